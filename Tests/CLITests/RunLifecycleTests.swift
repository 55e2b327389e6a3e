import AWSTestSupport
import Foundation
import XCTest

/// Runs you can trust from CI, with real local Spark: SIGTERM to `run --wait` cancels the run
/// (the spark-submit process group is gone, status says cancelled, exit 3); `--on-interrupt
/// detach` leaves it running and `run --attach` picks it up; the same idempotency key twice
/// gives one run.
final class RunLifecycleTests: XCTestCase {
    var work: String!

    override func setUpWithError() throws {
        work = NSTemporaryDirectory() + "deployer-lifecycle-\(UUID().uuidString)"
        let package = work + "/sleeper/src/sleeper"
        try FileManager.default.createDirectory(atPath: package, withIntermediateDirectories: true)
        try "".write(toFile: package + "/__init__.py", atomically: true, encoding: .utf8)
        try "seconds: 120\n".write(toFile: work + "/sleeper/config.yml", atomically: true, encoding: .utf8)
        // A PySpark driver that stays up (the JVM and Python both run), as a long job would.
        try """
        import sys, time
        print("sleeper: started", flush=True)
        time.sleep(120)
        print("sleeper: done", flush=True)
        """.write(toFile: work + "/sleeper/main.py", atomically: true, encoding: .utf8)
        try writeManifest(jobs: "  sleeper:\n    source: sleeper")
        let apply = try deployer(["apply", "--auto-approve"])
        XCTAssertEqual(apply.status, 0, apply.all)
    }

    /// deployer.yml: project `life` on a local target storing under state/, with `jobs` (the
    /// lines under `jobs:`).
    func writeManifest(jobs: String) throws {
        let head = ["project: life", "targets:", "  local:", "    engine: local", "    artifacts: {path: state}", "jobs:"]
        try (head + [jobs, ""]).joined(separator: "\n").write(toFile: work + "/deployer.yml", atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws {
        // Whatever a failed assertion left running.
        for pid in runPids() { kill(-pid, SIGKILL) }
        try? FileManager.default.removeItem(atPath: work)
    }

    var environment: [String: String] {
        ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "JAVA_HOME": ProcessInfo.processInfo.environment["JAVA_HOME"] ?? ""]
            .filter { !$0.value.isEmpty }
    }

    func deployer(_ arguments: [String], extra: [String: String] = [:]) throws -> CLIResult {
        try CLI.run(arguments, environment: environment.merging(extra) { $1 }, cwd: work)
    }

    var runsDirectory: String { work + "/state/runs/life-local-sleeper" }

    func runIds() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: runsDirectory)) ?? []).filter { $0.hasPrefix("local-") }.sorted()
    }

    func runPids() -> [Int32] {
        runIds().compactMap { id in
            guard let data = FileManager.default.contents(atPath: "\(runsDirectory)/\(id)/run.json"),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { return nil }
            return (object["pid"] as? NSNumber)?.int32Value
        }
    }

    /// Starts `deployer ARGS` in the background; returns the process and its output pipes.
    func background(_ arguments: [String]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = arguments
        var env = ["HOME": "/nonexistent-home", "CI": "true"]
        env.merge(environment) { $1 }
        process.environment = env
        process.currentDirectoryURL = URL(fileURLWithPath: work)
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, out, err)
    }

    /// Waits (bounded) until a run exists and its driver has started.
    func waitForRunningDriver(count: Int = 1) throws -> String {
        for _ in 0..<300 {
            if let id = runIds().last, runIds().count >= count,
                let log = try? String(contentsOfFile: "\(runsDirectory)/\(id)/driver.log", encoding: .utf8), log.contains("sleeper: started")
            {
                return id
            }
            usleep(100_000)
        }
        XCTFail("the driver never started")
        return ""
    }

    func finish(_ process: Process, within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        return !process.isRunning
    }

    func groupAlive(_ pid: Int32) -> Bool { kill(-pid, 0) == 0 }

    func testSIGTERMCancelsTheRunAndItsProcessGroup() throws {
        let (process, _, err) = try background(["run", "sleeper", "--wait"])
        let runId = try waitForRunningDriver()
        let pid = try XCTUnwrap(runPids().last)
        XCTAssertTrue(groupAlive(pid))
        let signalled = Date()
        process.terminate()  // SIGTERM, as a cancelled CI job sends
        XCTAssertTrue(finish(process, within: 60), "deployer ends after cancelling")
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 3, stderr)
        XCTAssertTrue(stderr.contains("cancelled local:local:sleeper:\(runId) on interrupt"), stderr)
        // The signal's own line says what happens next (it printed "SIGTERM: true" before).
        XCTAssertTrue(stderr.contains("SIGTERM: cancelling local:local:sleeper:\(runId)"), stderr)
        XCTAssertFalse(stderr.contains(": true"), stderr)
        var gone = false
        for _ in 0..<100 where !gone {
            gone = !groupAlive(pid)
            if !gone { usleep(100_000) }
        }
        XCTAssertTrue(gone, "the spark-submit process group is gone")
        XCTAssertLessThan(Date().timeIntervalSince(signalled), 30)
        let status = try deployer(["status", "sleeper", "--run", runId, "--json"])
        XCTAssertTrue(status.stdout.contains("\"state\" : \"cancelled\""), status.all)
    }

    func testDetachLeavesTheRunAndAttachFollowsIt() throws {
        let (process, _, err) = try background(["run", "sleeper", "--wait", "--on-interrupt", "detach"])
        let runId = try waitForRunningDriver()
        let pid = try XCTUnwrap(runPids().last)
        process.terminate()
        XCTAssertTrue(finish(process, within: 30))
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 143, stderr)
        XCTAssertTrue(stderr.contains("SIGTERM: detaching: local:local:sleeper:\(runId) goes on"), stderr)
        // A chosen detach is not an error.
        XCTAssertTrue(stderr.contains("\ndetached: local:local:sleeper:\(runId) goes on"), stderr)
        XCTAssertFalse(stderr.contains("error:"), stderr)
        XCTAssertTrue(groupAlive(pid), "detached: the run goes on")
        // Attach from elsewhere, wait a little, cancel at the timeout.
        let attached = try deployer(["run", "--attach", "local:local:sleeper:\(runId)", "--wait", "--timeout", "2s", "--on-timeout", "cancel"])
        XCTAssertEqual(attached.status, 4, attached.all)
        XCTAssertTrue(attached.stdout.contains("attached local:local:sleeper:\(runId)"), attached.all)
        XCTAssertTrue(attached.stderr.contains("cancelled local:local:sleeper:\(runId)"), attached.all)
        for _ in 0..<100 where groupAlive(pid) { usleep(100_000) }
        XCTAssertFalse(groupAlive(pid))
        // Handles of another target, or unknown runs, are refused in one line.
        let other = try deployer(["run", "--attach", "glue:prod:sleeper:jr_1", "--wait"])
        XCTAssertEqual(other.status, 1)
        XCTAssertTrue(other.stderr.contains("belongs to target prod"), other.stderr)
        let unknown = try deployer(["run", "--attach", "local:local:sleeper:local-20990101T000000Z-none"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("no local run"), unknown.stderr)
        let garbage = try deployer(["run", "--attach", "not-a-handle"])
        XCTAssertNotEqual(garbage.status, 0)
        XCTAssertTrue(garbage.stderr.contains("is not a run handle"), garbage.stderr)
    }

    func testSameIdempotencyKeyGivesOneRun() throws {
        let first = try deployer(["run", "sleeper", "--idempotency-key", "nightly-2026-11-30"])
        XCTAssertEqual(first.status, 0, first.all)
        let handle = try XCTUnwrap(first.stdout.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        let second = try deployer(["run", "sleeper", "--idempotency-key", "nightly-2026-11-30", "--json"])
        XCTAssertEqual(second.status, 0, second.all)
        XCTAssertTrue(second.stdout.contains("\"handle\" : \"\(handle)\""), second.stdout)
        XCTAssertTrue(second.stdout.contains("\"reused\" : true"), second.stdout)
        XCTAssertEqual(runIds().count, 1, "one run for one key")
        // The CI default key: the same step of the same workflow run (any attempt) finds it too.
        let ci = ["CI": "true", "GITHUB_REPOSITORY": "org/repo", "GITHUB_RUN_ID": "42", "GITHUB_JOB": "deploy", "GITHUB_ACTION": "run-etl"]
        let ciFirst = try deployer(["run", "sleeper"], extra: ci.merging(["GITHUB_RUN_ATTEMPT": "1"]) { $1 })
        let ciRetry = try deployer(["run", "sleeper"], extra: ci.merging(["GITHUB_RUN_ATTEMPT": "2"]) { $1 })
        XCTAssertTrue(ciFirst.stdout.hasPrefix("started "), ciFirst.all)
        XCTAssertTrue(ciRetry.stdout.hasPrefix("found "), ciRetry.all)
        XCTAssertEqual(runIds().count, 2)
        for cost in ["-1", "0", "nan"] {
            let negative = try deployer(["run", "sleeper", "--max-cost", cost])
            XCTAssertNotEqual(negative.status, 0, cost)
            XCTAssertTrue(negative.stderr.contains("--max-cost"), negative.stderr)
        }
        let local = try deployer(["run", "sleeper", "--max-cost", "5"])
        XCTAssertEqual(local.status, 1, "local runs have no per-run limit: \(local.all)")
        XCTAssertTrue(local.stderr.contains("--max-cost is not supported"), local.stderr)
        XCTAssertEqual(runIds().count, 2, "nothing was started")
        let bad = try deployer(["run", "sleeper", "--idempotency-key", "../x y"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("--idempotency-key"), bad.stderr)
    }

    /// `runs` lists runs with their artifact and deployment; `retry` starts the same artifact
    /// and arguments again, even after a newer deployment, and says so.
    func testRunsListsAndRetryUsesTheOriginalArtifact() throws {
        let first = try deployer(["run", "sleeper", "--arg", "day=2026-11-29"])
        XCTAssertEqual(first.status, 0, first.all)
        let handle = try XCTUnwrap(first.stdout.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        let listed = try deployer(["runs", "--json"])
        XCTAssertEqual(listed.status, 0, listed.all)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["version"] as? Int, 1)
        let runs = try XCTUnwrap(object["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.count, 1)
        XCTAssertEqual(runs.first?["handle"] as? String, handle)
        let metadata = try XCTUnwrap((runs.first?["run"] as? [String: Any])?["metadata"] as? [String: Any])
        let artifact = try XCTUnwrap(metadata["artifact"] as? String)
        let deployment = try XCTUnwrap(metadata["deployment"] as? String)
        XCTAssertEqual(try deployer(["runs", "--state", "succeeded"]).stdout.contains("No runs"), true)
        XCTAssertNotEqual(try deployer(["runs", "--since", "yesterday"]).status, 0)
        // A newer deployment, then a retry of the first run: the first run's artifact again.
        try "\n# v2\n".appendTo(work + "/sleeper/main.py")
        XCTAssertEqual(try deployer(["apply", "--auto-approve"]).status, 0)
        let retried = try deployer(["retry", handle])
        XCTAssertEqual(retried.status, 0, retried.all)
        XCTAssertTrue(retried.stdout.contains("artifact \(artifact.prefix(12)) of deployment \(deployment)"), retried.all)
        XCTAssertTrue(retried.stderr.contains("is newer"), retried.stderr)
        let newest = try XCTUnwrap(runIds().last)
        let record = try XCTUnwrap(FileManager.default.contents(atPath: "\(runsDirectory)/\(newest)/run.json"))
        let text = String(decoding: record, as: UTF8.self)
        XCTAssertTrue(text.contains(artifact) && text.contains("2026-11-29"), "the retry ran the old artifact with the same arguments: \(text)")
        let other = try deployer(["retry", "glue:dev:sleeper:jr_x"])
        XCTAssertEqual(other.status, 1)
        XCTAssertTrue(other.stderr.contains("no target 'dev'") || other.stderr.contains("belongs to target"), other.stderr)
    }

    /// The local engine's schedules: a due one starts through `schedule run-due` (real
    /// spark-submit), a not-due one does not, a firing starts one run however often cron calls.
    func testLocalScheduleRunsWhatIsDue() throws {
        try FileManager.default.copyItem(atPath: work + "/sleeper", toPath: work + "/later")
        try FileManager.default.moveItem(atPath: work + "/later/src/sleeper", toPath: work + "/later/src/later")
        try writeManifest(
            jobs: """
                  sleeper:
                    source: sleeper
                    schedule: {cron: "* * * * ? *", timezone: Europe/Berlin, arguments: {day: scheduled}, paused: false}
                  later:
                    source: later
                    schedule: {cron: "0 0 1 1 ? 2199"}
                """)
        let apply = try deployer(["apply", "--auto-approve"])
        XCTAssertEqual(apply.status, 0, apply.all)
        XCTAssertTrue(apply.stdout.contains("Schedule.Expression"), "the schedule is part of the plan: \(apply.stdout)")
        let first = try deployer(["schedule", "run-due", "--json"])
        XCTAssertEqual(first.status, 0, first.all)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        let outcomes = Dictionary(uniqueKeysWithValues: ((object["schedules"] as? [[String: Any]]) ?? []).map { ($0["job"] as? String ?? "", $0) })
        XCTAssertEqual(outcomes["sleeper"]?["action"] as? String, "started", first.stdout)
        XCTAssertEqual(outcomes["later"]?["action"] as? String, "not due", first.stdout)
        XCTAssertEqual(runIds().count, 1, "one run for the due schedule")
        let record = try XCTUnwrap(FileManager.default.contents(atPath: "\(runsDirectory)/\(runIds()[0])/run.json"))
        XCTAssertTrue(String(decoding: record, as: UTF8.self).contains("scheduled"), "the schedule's arguments reach the run")
        _ = try waitForRunningDriver()
        // Called again for the same firing: no second run (a new minute may bring a new firing).
        let second = try deployer(["schedule", "run-due", "--json"])
        let again = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(second.stdout.utf8)) as? [String: Any])
        let sleeper = ((again["schedules"] as? [[String: Any]]) ?? []).first { $0["job"] as? String == "sleeper" }
        if sleeper?["action"] as? String == "started" {
            XCTAssertNotEqual(sleeper?["due_at"] as? String, outcomes["sleeper"]?["due_at"] as? String, "a new firing, not the same one twice")
        } else {
            XCTAssertEqual(sleeper?["action"] as? String, "not due", second.stdout)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/state/runs/life-local-later"), "the not-due job did not run")
        // Pausing is a plan change; on AWS targets run-due refuses.
        try String(contentsOfFile: work + "/deployer.yml", encoding: .utf8).replacingOccurrences(of: "paused: false", with: "paused: true")
            .write(toFile: work + "/deployer.yml", atomically: true, encoding: .utf8)
        let paused = try deployer(["plan"])
        XCTAssertTrue(paused.stdout.contains("~ Schedule.State: ENABLED → DISABLED"), paused.stdout)
    }
}
