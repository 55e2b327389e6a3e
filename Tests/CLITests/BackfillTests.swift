import Foundation
import XCTest

/// `deployer backfill` on the local engine: one run per date with its own --as_of, a few at a
/// time; a rerun skips the dates that succeeded; Ctrl-C cancels the runs going (exit 3) and the
/// same command then runs only what is left; bad flags are one line each.
final class BackfillTests: XCTestCase {
    var work: String!

    override func setUpWithError() throws {
        work = NSTemporaryDirectory() + "deployer-backfill-\(UUID().uuidString)"
        let package = work + "/daily/src/daily"
        try FileManager.default.createDirectory(atPath: package, withIntermediateDirectories: true)
        try "".write(toFile: package + "/__init__.py", atomically: true, encoding: .utf8)
        try "{}\n".write(toFile: work + "/daily/config.yml", atomically: true, encoding: .utf8)
        // Appends "start DATE" and "end DATE" to trail.txt; sleeps a minute for the dates in
        // slow.txt and fails for those in fail.txt.
        try """
        import sys, time
        args = sys.argv[1:]
        day = args[args.index("--as_of") + 1]
        def listed(name):
            try:
                return day in open(\(String(reflecting: work + "/"))+name).read().split()
            except OSError:
                return False
        with open(\(String(reflecting: work + "/trail.txt")), "a") as trail:
            trail.write("start " + day + "\\n")
        if listed("slow.txt"):
            time.sleep(60)
        with open(\(String(reflecting: work + "/trail.txt")), "a") as trail:
            trail.write("end " + day + "\\n")
        sys.exit(1 if listed("fail.txt") else 0)
        """.write(toFile: work + "/daily/main.py", atomically: true, encoding: .utf8)
        try deploy()
    }

    /// Deploys project `fill`: job `daily` on a local target, and `more` (manifest lines after the jobs).
    func deploy(_ more: String = "") throws {
        let manifest = ["project: fill", "targets:", "  local: {engine: local, artifacts: {path: state}}", "jobs:", "  daily: {source: daily}", more]
        try manifest.joined(separator: "\n").write(toFile: work + "/deployer.yml", atomically: true, encoding: .utf8)
        XCTAssertEqual(try deployer(["apply", "--auto-approve"]).status, 0)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: work)
    }

    var environment: [String: String] {
        let env = ProcessInfo.processInfo.environment
        return Dictionary(
            uniqueKeysWithValues: ["PATH", "JAVA_HOME", "SPARK_LOCAL_IP", "DEPLOYER_JOBS_PYTHON"].compactMap { key in env[key].map { (key, $0) } })
    }

    func deployer(_ arguments: [String]) throws -> CLIResult { try CLI.run(arguments, environment: environment, cwd: work) }

    /// Empties fail.txt's dates and runs the same backfill again, which must then succeed.
    func rerunWithoutFailures(_ arguments: [String]) throws -> CLIResult {
        try FileManager.default.removeItem(atPath: work + "/fail.txt")
        let again = try deployer(arguments)
        XCTAssertEqual(again.status, 0, again.all)
        return again
    }

    func trail() -> [String] {
        ((try? String(contentsOfFile: work + "/trail.txt", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func testEachDateRunsOnceAndARerunDoesOnlyWhatIsLeft() throws {
        try "2024-01-03\n".write(toFile: work + "/fail.txt", atomically: true, encoding: .utf8)
        let first = try deployer(["backfill", "daily", "--from", "2024-01-01", "--to", "2024-01-05", "--concurrency", "2"])
        XCTAssertEqual(first.status, 1, first.all)
        XCTAssertTrue(
            first.stdout.contains("backfill daily on local: 5 dates (2024-01-01 to 2024-01-05, every day), 0 done already, 5 to run, 2 at a time"), first.stdout
        )
        XCTAssertEqual(trail().filter { $0.hasPrefix("end ") }.sorted(), (1...5).map { "end 2024-01-0\($0)" }, "each date ran once with its own --as_of")
        let table = first.stdout.components(separatedBy: "\n").filter { $0.range(of: "^2024-01-0[1-5]  ", options: .regularExpression) != nil }
        XCTAssertEqual(table.count, 5, first.stdout)
        XCTAssertTrue(table[2].contains("  failed  "), table[2])
        XCTAssertTrue(table[0].contains("  succeeded  "), table[0])

        let second = try rerunWithoutFailures(["backfill", "daily", "--from", "2024-01-01", "--to", "2024-01-05", "--concurrency", "2"])
        XCTAssertTrue(second.stdout.contains("4 done already, 1 to run"), second.stdout)
        XCTAssertEqual(trail().filter { $0 == "end 2024-01-03" }.count, 2, "only the failed date ran again: \(trail())")
        XCTAssertEqual(trail().count, 12)

        let plan = try deployer(["backfill", "daily", "--from", "2024-01-01", "--to", "2024-01-31", "--every", "month", "--plan"])
        XCTAssertEqual(plan.status, 0, plan.all)
        XCTAssertTrue(plan.stdout.contains("1 date (2024-01-01 to 2024-01-31, every month), 0 done already, 1 to run"), plan.stdout)
        XCTAssertTrue(plan.stdout.contains("  2024-01-31  to run"), plan.stdout)
        XCTAssertTrue(plan.stdout.contains("estimate: $0.00"), "local runs cost nothing; the estimate says so: \(plan.stdout)")
        XCTAssertEqual(trail().count, 12, "--plan starts nothing")
    }

    func testAPipelineRunsOncePerDateEveryStepWithItsDateAndARerunDoesOnlyWhatIsLeft() throws {
        try deploy(
            """
            pipelines:
              chain:
                arguments: {as_of: "2000-01-01"}
                steps:
                  - {name: first, job: daily}
                  - {name: second, job: daily, needs: [first]}
            """)
        try "2024-03-02\n".write(toFile: work + "/fail.txt", atomically: true, encoding: .utf8)
        let first = try deployer(["backfill", "chain", "--from", "2024-03-01", "--to", "2024-03-03", "--concurrency", "2"])
        XCTAssertEqual(first.status, 1, first.all)
        XCTAssertTrue(
            first.stdout.contains("backfill pipeline chain on local: 3 dates (2024-03-01 to 2024-03-03, every day), 0 done already, 3 to run, 2 at a time"),
            first.stdout)
        let ends = { self.trail().filter { $0.hasPrefix("end ") } }
        // Both steps of the good dates ran with the date, not the pipeline's own as_of; the bad
        // date's first step failed, so its second did not start.
        XCTAssertEqual(ends().filter { $0 == "end 2024-03-01" }.count, 2, "\(ends())")
        XCTAssertEqual(ends().filter { $0 == "end 2024-03-03" }.count, 2, "\(ends())")
        XCTAssertEqual(ends().filter { $0 == "end 2024-03-02" }.count, 1, "\(ends())")
        XCTAssertFalse(trail().contains("start 2000-01-01"))
        XCTAssertTrue(first.stdout.contains("2024-03-01: started pipeline chain run bf-chain-20240301"), first.stdout)
        let table = first.stdout.components(separatedBy: "\n").filter { $0.range(of: "^2024-03-0[1-3]  ", options: .regularExpression) != nil }
        XCTAssertEqual(table.count, 3, first.stdout)
        XCTAssertTrue(table[0].contains("bf-chain-20240301") && table[0].contains("  succeeded  "), table[0])
        XCTAssertTrue(table[1].contains("  failed  "), table[1])

        let second = try rerunWithoutFailures(["backfill", "chain", "--from", "2024-03-01", "--to", "2024-03-03", "--concurrency", "2"])
        XCTAssertTrue(second.stdout.contains("2 done already, 1 to run"), second.stdout)
        XCTAssertEqual(ends().filter { $0 == "end 2024-03-02" }.count, 3, "only the failed date ran again, both steps: \(ends())")
        XCTAssertEqual(ends().count, 7)
        // Its second attempt is a run of its own, so the failed one's outputs stay apart.
        XCTAssertNotNil(second.stdout.range(of: "started pipeline chain run bf-chain-20240302-[0-9a-f]{4}", options: .regularExpression), second.stdout)
    }

    func testCtrlCCancelsTheRunsGoingAndTheSameCommandGoesOn() throws {
        try "2024-02-03 2024-02-04\n".write(toFile: work + "/slow.txt", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["backfill", "daily", "--from", "2024-02-01", "--to", "2024-02-05", "--concurrency", "2"]
        process.environment = environment.merging(["HOME": work]) { $1 }
        process.currentDirectoryURL = URL(fileURLWithPath: work)
        let errors = work + "/backfill.err"
        FileManager.default.createFile(atPath: errors, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && !(trail().contains("start 2024-02-03") && trail().contains("start 2024-02-04")) { usleep(100_000) }
        XCTAssertEqual(Set(trail().filter { $0.hasPrefix("end ") }), ["end 2024-02-01", "end 2024-02-02"], "two dates done before the slow ones")
        usleep(500_000)
        process.interrupt()
        let stopBy = Date().addingTimeInterval(60)
        while process.isRunning && Date() < stopBy { usleep(100_000) }
        XCTAssertFalse(process.isRunning)
        let stderr = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
        XCTAssertEqual(process.terminationStatus, 3, stderr)
        XCTAssertTrue(stderr.contains("backfill daily stopped; cancelled local:local:daily:"), stderr)
        XCTAssertFalse(trail().contains("end 2024-02-03"), "the slow run was cancelled, not finished")

        try FileManager.default.removeItem(atPath: work + "/slow.txt")
        let again = try deployer(["backfill", "daily", "--from", "2024-02-01", "--to", "2024-02-05", "--concurrency", "2"])
        XCTAssertEqual(again.status, 0, again.all)
        XCTAssertTrue(again.stdout.contains("2 done already, 3 to run"), again.stdout)
        let ends = trail().filter { $0.hasPrefix("end ") }
        XCTAssertEqual(ends.filter { $0 == "end 2024-02-01" || $0 == "end 2024-02-02" }.count, 2, "the two done dates did not run again: \(ends)")
        XCTAssertEqual(Set(ends), Set((1...5).map { "end 2024-02-0\($0)" }))
    }

    func testBadFlagsAreOneLineEach() throws {
        let cases: [([String], String)] = [
            (["--from", "2024-01-05", "--to", "2024-01-01"], "--from 2024-01-05 is after --to 2024-01-01: give the earlier date first"),
            (["--from", "2024-02-30", "--to", "2024-03-01"], "--from '2024-02-30' is not a date: use YYYY-MM-DD"),
            (["--from", "yesterday", "--to", "2024-03-01"], "--from 'yesterday' is not a date"),
            (["--from", "2024-01-01", "--to", "2024-01-02", "--concurrency", "0"], "--concurrency 0 is not between 1 and 16"),
            (["--from", "2024-01-01", "--to", "2024-01-02", "--every", "week"], "--every 'week' is not day or month"),
            (["--from", "2024-01-02", "--to", "2024-01-20", "--every", "month"], "no month ends in that range"),
            (["--from", "2000-01-01", "--to", "2024-01-01"], "more than 1000 dates; split the backfill"),
            (["--from", "2024-01-01", "--to", "2024-01-02", "--max-cost=-1"], "--max-cost must be a number of USD, 0 or more"),
            (["--from", "2024-01-01", "--to", "2024-01-02", "--date-argument", "as_of"], "--date-argument 'as_of' is not a job argument such as --as_of"),
            (["--from", "2024-01-01", "--to", "2024-01-02", "--date-argument=--as of"], "--date-argument '--as of' is not a job argument"),
        ]
        for (flags, message) in cases {
            let result = try deployer(["backfill", "daily"] + flags)
            XCTAssertNotEqual(result.status, 0, result.all)
            XCTAssertTrue(result.stderr.contains(message), "\(message) in: \(result.stderr)")
        }
        let unknown = try deployer(["backfill", "weekly", "--from", "2024-01-01", "--to", "2024-01-02"])
        XCTAssertEqual(unknown.status, 1, unknown.all)
        XCTAssertEqual(trail(), [], "nothing ran")
    }

    /// A backfill record someone damaged is named with what to do, and the same command runs nothing.
    func testADamagedBackfillRecordIsOneLineAndNothingRuns() throws {
        let first = try deployer(["backfill", "daily", "--from", "2024-01-01", "--to", "2024-01-02"])
        XCTAssertEqual(first.status, 0, first.all)
        let records = try XCTUnwrap(FileManager.default.enumerator(atPath: work + "/state")?.allObjects as? [String]).filter {
            $0.contains("backfills/") && $0.hasSuffix(".json")
        }
        XCTAssertEqual(records.count, 1, "\(records)")
        try "{\"job\": \"daily\", \"runs\": [tru".write(toFile: work + "/state/" + records[0], atomically: true, encoding: .utf8)
        let before = trail()
        let again = try deployer(["backfill", "daily", "--from", "2024-01-01", "--to", "2024-01-02"])
        XCTAssertEqual(again.status, 1, again.all)
        let lines = again.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, again.stderr)
        XCTAssertTrue(again.stderr.contains("is not a backfill record") && again.stderr.contains("remove it to start the backfill afresh"), again.stderr)
        XCTAssertEqual(trail(), before, "nothing ran")
    }
}
