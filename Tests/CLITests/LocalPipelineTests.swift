import AWSTestSupport
import Foundation
import XCTest

/// The repository's own `nightly` pipeline on the local target with real Spark, on the committed
/// sample (jobs/sample_cdc: DMS files of jobs/sample_data plus one file of changes): its tables
/// are exactly those of `cdc_merge` and then `sales_etl` run by hand (nightly_by_hand.py).
final class LocalPipelineTests: XCTestCase {
    func testNightlyOnTheSampleGivesTheRowsOfTheJobsRunByHand() throws {
        let work = NSTemporaryDirectory() + "deployer-nightly-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: work + "/jobs", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.copyItem(atPath: CLI.repoRoot.appendingPathComponent("deployer.yml").path, toPath: work + "/deployer.yml")
        for folder in ["cdc_merge", "sales_etl", "common", "sample_data", "sample_cdc"] {
            try FileManager.default.copyItem(atPath: CLI.repoRoot.appendingPathComponent("jobs/\(folder)").path, toPath: work + "/jobs/\(folder)")
        }
        let env = ProcessInfo.processInfo.environment
        let pass = Dictionary(
            uniqueKeysWithValues: ["PATH", "JAVA_HOME", "SPARK_LOCAL_IP", "DEPLOYER_JOBS_PYTHON"].compactMap { key in env[key].map { (key, $0) } })
        func deployer(_ arguments: [String]) throws -> CLIResult { try CLI.run(arguments, environment: pass, cwd: work) }

        let apply = try deployer(["apply", "-t", "local", "--auto-approve"])
        XCTAssertEqual(apply.status, 0, apply.all)
        let run = try deployer(["run", "nightly", "-t", "local", "--arg", "as_of=2021-06-30", "--json"])
        XCTAssertEqual(run.status, 0, run.all)
        let pipeline = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])?["pipeline"] as? [String: Any])
        XCTAssertEqual(pipeline["state"] as? String, "succeeded", run.stdout)
        XCTAssertEqual((pipeline["steps"] as? [[String: Any]])?.map { $0["step"] as? String }, ["cdc_merge", "sales_etl"])
        let runId = try XCTUnwrap(pipeline["run_id"] as? String)
        // On call sees what the run wrote: status reads both jobs' own run records.
        let status = try deployer(["status", "-t", "local", "--json"])
        XCTAssertEqual(status.status, 0, status.all)
        let jobs = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["jobs"] as? [[String: Any]])
        for job in jobs {
            let data = try XCTUnwrap(job["data"] as? [String: Any], "\(job["job"] ?? "?")")
            XCTAssertEqual(data["published_run_id"] as? String, runId, "\(data)")
            let latest = try XCTUnwrap((data["runs"] as? [[String: Any]])?.first)
            XCTAssertEqual(latest["run_id"] as? String, runId)
            let tables = try XCTUnwrap(latest["tables"] as? [String: Int])
            XCTAssertEqual(tables.count, job["job"] as? String == "sales_etl" ? 6 : 4, "\(tables)")
            XCTAssertTrue(tables.values.allSatisfy { $0 > 0 }, "\(tables)")
        }
        // The job's EMF lines (CloudWatch metrics from its log) carry the record's figures.
        let logs = try deployer(["logs", "sales_etl", "-t", "local", "--run", "latest"])
        var emfRows: [String: Int] = [:]
        for line in logs.stdout.split(separator: "\n") where line.hasPrefix(#"{"_aws""#) {
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if let table = object["Table"] as? String { emfRows[table] = object["Rows"] as? Int }
        }
        let salesData = try XCTUnwrap(jobs.first { $0["job"] as? String == "sales_etl" }?["data"] as? [String: Any])
        XCTAssertEqual(emfRows, (salesData["runs"] as? [[String: Any]])?.first?["tables"] as? [String: Int], logs.stdout)
        // runs: each step's run with the record it wrote (matched by the run id it was given).
        let runs = try deployer(["runs", "-t", "local", "--json"])
        XCTAssertEqual(runs.status, 0, runs.all)
        let entries = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [String: Any])?["runs"] as? [[String: Any]])
        XCTAssertEqual(entries.count, 2, runs.stdout)
        XCTAssertEqual(entries.compactMap { ($0["data"] as? [String: Any])?["run_id"] as? String }, [runId, runId], runs.stdout)

        let script = CLI.repoRoot.appendingPathComponent("Tests/CLITests/nightly_by_hand.py").path
        let python = env["DEPLOYER_JOBS_PYTHON"] ?? "python3"
        let hand = try byHand([python, script, work, runId, "2021-06-30"], environment: pass, work: work)
        XCTAssertEqual(hand.status, 0, hand.stderr)
        let line = try XCTUnwrap(hand.stdout.split(separator: "\n").last(where: { $0.hasPrefix("{") }), hand.stdout + hand.stderr)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let tables = try XCTUnwrap(report["tables"] as? [String: [String: Any]])
        XCTAssertEqual(tables.count, 10, "four merged tables and six sales tables: \(tables.keys.sorted())")
        for (table, outcome) in tables.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(outcome["equal"] as? Bool, true, "\(table): \(outcome)")
            XCTAssertGreaterThan(outcome["pipeline"] as? Int ?? 0, 0, "\(table) has rows")
        }
        // The changes file took effect: a new account and invoice merged, a deleted invoice gone.
        XCTAssertEqual(
            report["facts"] as? [String: Bool], ["account_21_merged": true, "invoice_99_merged": true, "invoice_98_deleted": true], line.description)
    }

    /// Runs the script with its output in files (Spark's log would fill a pipe nobody reads yet).
    func byHand(_ command: [String], environment: [String: String], work: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        process.environment = environment.merging(["HOME": work]) { $1 }
        let out = work + "/by-hand.out"
        let err = work + "/by-hand.err"
        FileManager.default.createFile(atPath: out, contents: nil)
        FileManager.default.createFile(atPath: err, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "", (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }
}
