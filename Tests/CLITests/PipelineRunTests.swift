import AWSTestSupport
import Foundation
import XCTest

/// `deployer run PIPELINE` on the local engine, with real local Spark: the steps run in order,
/// every step gets the same --run_id, a failed step stops the pipeline (later steps never
/// start) and the exit code says so; the run is recorded in the target's store.
final class PipelineRunTests: XCTestCase {
    var work: String!

    /// A job whose driver appends `NAME RUN_ID` to `trail.txt` and exits `code`.
    func job(_ name: String, code: Int) throws {
        let package = work + "/\(name)/src/\(name)"
        try FileManager.default.createDirectory(atPath: package, withIntermediateDirectories: true)
        try "".write(toFile: package + "/__init__.py", atomically: true, encoding: .utf8)
        try "{}\n".write(toFile: work + "/\(name)/config.yml", atomically: true, encoding: .utf8)
        try """
        import sys
        args = sys.argv[1:]
        run_id = args[args.index("--run_id") + 1] if "--run_id" in args else "none"
        with open(\(String(reflecting: work + "/trail.txt")), "a") as trail:
            trail.write("\(name) " + run_id + " " + " ".join(a for a in args if a.startswith("--")) + "\\n")
        sys.exit(\(code))
        """.write(toFile: work + "/\(name)/main.py", atomically: true, encoding: .utf8)
    }

    override func setUpWithError() throws {
        work = NSTemporaryDirectory() + "deployer-pipeline-run-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try job("first", code: 0)
        try job("second", code: 0)
        try job("broken", code: 1)
        try """
        project: pipe
        targets:
          local:
            engine: local
            artifacts: {path: state}
        jobs:
          first: {source: first}
          second: {source: second}
          broken: {source: broken}
        pipelines:
          nightly:
            arguments: {--as_of: "2024-01-31"}
            steps:
              - job: first
              - {job: second, needs: [first], arguments: {--mode: cdc}}
          failing:
            steps:
              - job: broken
              - {job: second, needs: [broken]}
        """.write(toFile: work + "/deployer.yml", atomically: true, encoding: .utf8)
        let apply = try deployer(["apply", "--auto-approve"])
        XCTAssertEqual(apply.status, 0, apply.all)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: work)
    }

    func deployer(_ arguments: [String]) throws -> CLIResult {
        let env = ProcessInfo.processInfo.environment
        let pass = ["PATH", "JAVA_HOME", "SPARK_LOCAL_IP", "DEPLOYER_JOBS_PYTHON"].compactMap { key in env[key].map { (key, $0) } }
        return try CLI.run(arguments, environment: Dictionary(uniqueKeysWithValues: pass), cwd: work)
    }

    func trail() -> [String] {
        ((try? String(contentsOfFile: work + "/trail.txt", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// `schedule run-due` runs a scheduled local pipeline once per firing (the firing's run id),
    /// and a paused one not at all.
    func testScheduleRunDueRunsAScheduledPipelineOncePerFiring() throws {
        let text = try String(contentsOfFile: work + "/deployer.yml", encoding: .utf8)
        try text.replacingOccurrences(
            of: "    arguments: {--as_of: \"2024-01-31\"}",
            with: """
                    arguments: {--as_of: "2024-01-31"}
                    schedule: {cron: "* * * * ? *", paused: false, arguments: {--as_of: "2024-02-29"}}
                """
        ).replacingOccurrences(of: "  failing:\n", with: "  failing:\n    schedule: {cron: \"* * * * ? *\"}\n")
            .write(toFile: work + "/deployer.yml", atomically: true, encoding: .utf8)
        let due = try deployer(["schedule", "run-due", "--json"])
        XCTAssertEqual(due.status, 0, due.all)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(due.stdout.utf8)) as? [String: Any])
        let outcomes = Dictionary(uniqueKeysWithValues: ((object["schedules"] as? [[String: Any]]) ?? []).map { ($0["job"] as? String ?? "", $0) })
        XCTAssertEqual(outcomes["pipelines.nightly"]?["action"] as? String, "succeeded", due.stdout)
        XCTAssertEqual(
            outcomes["pipelines.failing"]?["action"] as? String, "paused", "a local target's schedules are paused unless they say otherwise: \(due.stdout)")
        let handle = try XCTUnwrap(outcomes["pipelines.nightly"]?["handle"] as? String)
        let runId = String(handle.split(separator: ":").last ?? "")
        XCTAssertTrue(runId.hasPrefix("schedule-"), handle)
        XCTAssertEqual(
            trail(), ["first \(runId) --as_of --run_id", "second \(runId) --as_of --mode --run_id"], "both steps ran once, with the firing's run id")
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/state/pipelines/local/nightly/\(runId).json"), "the run is recorded")
    }

    func testStepsRunInOrderWithOneRunId() throws {
        let run = try deployer(["run", "nightly", "--json"])
        XCTAssertEqual(run.status, 0, run.all)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let pipeline = try XCTUnwrap(object["pipeline"] as? [String: Any])
        XCTAssertEqual(pipeline["state"] as? String, "succeeded")
        let runId = try XCTUnwrap(pipeline["run_id"] as? String)
        let steps = try XCTUnwrap(pipeline["steps"] as? [[String: Any]])
        XCTAssertEqual(steps.map { $0["step"] as? String }, ["first", "second"])
        XCTAssertEqual(steps.map { $0["state"] as? String }, ["succeeded", "succeeded"])
        // Both steps got the pipeline's run id; the pipeline's arguments and the step's own.
        XCTAssertEqual(trail(), ["first \(runId) --as_of --run_id", "second \(runId) --as_of --mode --run_id"])
        let record = work + "/state/pipelines/local/nightly/\(runId).json"
        XCTAssertTrue(FileManager.default.fileExists(atPath: record), "the run is recorded")
        // Human output: one line per step transition.
        let again = try deployer(["run", "nightly", "--arg", "as_of=2024-02-29"])
        XCTAssertEqual(again.status, 0, again.all)
        XCTAssertTrue(again.stdout.contains("first: started local:local:first:"), again.stdout)
        XCTAssertTrue(again.stdout.contains("second: succeeded local:local:second:"), again.stdout)
        XCTAssertTrue(again.stdout.hasSuffix(": succeeded\n"), again.stdout)
    }

    func testAFailedStepStopsThePipeline() throws {
        let run = try deployer(["run", "failing", "--json"])
        XCTAssertEqual(run.status, 1, run.all)
        let pipeline = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])?["pipeline"] as? [String: Any])
        XCTAssertEqual(pipeline["state"] as? String, "failed")
        let steps = try XCTUnwrap(pipeline["steps"] as? [[String: Any]])
        XCTAssertEqual(steps.map { $0["state"] as? String }, ["failed", "not_started"])
        XCTAssertEqual(trail().map { String($0.split(separator: " ")[0]) }, ["broken"], "second never started")
        let refused = try deployer(["run", "nightly", "--idempotency-key", "k"])
        XCTAssertEqual(refused.status, 1, refused.all)
        XCTAssertTrue(refused.stderr.contains("are for jobs; pipeline nightly takes --arg"), refused.all)
    }
}
