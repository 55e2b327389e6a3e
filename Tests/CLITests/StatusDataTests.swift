import Foundation
import XCTest

/// `status` shows each job's data from its own run records (rows per table, quarantine ratio,
/// the published run) and flags anomalies; `--detailed-exitcode` exits 2 for them. Local target:
/// the records are planted where the job writes them (OUTPUT/_runs/RUN_ID.json), as the job
/// writes them.
final class StatusDataTests: XCTestCase {
    var work: String!

    override func setUpWithError() throws {
        work = NSTemporaryDirectory() + "deployer-status-data-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: work + "/etl/src/etl", withIntermediateDirectories: true)
        try "".write(toFile: work + "/etl/src/etl/__init__.py", atomically: true, encoding: .utf8)
        try "print('etl')\n".write(toFile: work + "/etl/main.py", atomically: true, encoding: .utf8)
        try "{}\n".write(toFile: work + "/etl/config.yml", atomically: true, encoding: .utf8)
        try """
        project: data
        targets:
          local: {engine: local, artifacts: {path: state}}
        jobs:
          etl:
            source: etl
            arguments: {--output_path: out/etl}
          quiet:
            source: etl
            data_checks: {enabled: false}
            arguments: {--output_path: out/quiet}
        """.write(toFile: work + "/deployer.yml", atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: work)
    }

    func deployer(_ arguments: [String]) throws -> CLIResult {
        try CLI.run(arguments, environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"], cwd: work)
    }

    /// A run record as sales_etl writes it.
    static func record(_ runId: String, hoursAgo: Double, rows: [String: Int], ratio: Double) -> String {
        let published = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-hoursAgo * 3600))
        let tables = rows.map { "\"\($0.key)\": {\"rows\": \($0.value), \"format\": \"parquet\"}" }.joined(separator: ", ")
        return """
            {"job": "etl", "run_id": "\(runId)", "status": "succeeded", "as_of": "2021-06-30", "published_at": "\(published)",
             "quarantine": {"max_ratio": 0.02, "ratio": \(ratio), "rows": 3}, "tables": {\(tables)}}
            """
    }

    func plant(_ name: String, _ text: String) throws {
        let runs = work + "/out/etl/_runs"
        try FileManager.default.createDirectory(atPath: runs, withIntermediateDirectories: true)
        try text.write(toFile: runs + "/\(name)", atomically: true, encoding: .utf8)
    }

    func testStatusShowsRowsRatioAndAnomaliesAndExitsTwoForThem() throws {
        XCTAssertEqual(try deployer(["apply", "--auto-approve"]).status, 0)
        let empty = try deployer(["status", "--detailed-exitcode"])
        XCTAssertEqual(empty.status, 0, empty.all)
        XCTAssertTrue(empty.stdout.contains("data in \(work!)/out/etl/_runs/\n  no run records yet"), empty.stdout)
        XCTAssertFalse(empty.stdout.contains("out/quiet"), "data_checks.enabled false: not read")

        try plant("r1.json", Self.record("r1", hoursAgo: 50, rows: ["fact_sales": 1000, "client_profile": 20], ratio: 0.004))
        Thread.sleep(forTimeInterval: 0.02)
        try plant("r2.json", Self.record("r2", hoursAgo: 26, rows: ["fact_sales": 1010, "client_profile": 20], ratio: 0.004))
        Thread.sleep(forTimeInterval: 0.02)
        try plant("r3.json", Self.record("r3", hoursAgo: 2, rows: ["fact_sales": 1030, "client_profile": 21], ratio: 0.005))
        try #"{"run_id": "r3", "tables": {}}"#.write(toFile: work + "/out/etl/_manifest.json", atomically: true, encoding: .utf8)
        let steady = try deployer(["status", "--detailed-exitcode"])
        XCTAssertEqual(steady.status, 0, steady.all)
        XCTAssertTrue(steady.stdout.contains("data in \(work!)/out/etl/_runs/: published run r3"), steady.stdout)
        let table = steady.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("    ") }
        XCTAssertEqual(table.count, 4, steady.stdout)
        XCTAssertTrue(table[0].hasPrefix("    RUN   STATUS     AS_OF       AT "), table[0])
        XCTAssertTrue(table[1].hasPrefix("    r3 *  succeeded  2021-06-30  "), table[1])
        XCTAssertTrue(table[1].hasSuffix("0.50%       client_profile 21, fact_sales 1030"), table[1])
        XCTAssertFalse(steady.stdout.contains("  ! "), steady.stdout)

        // A run that wrote 60% fewer facts and an empty table: flagged, exit 2 with the flag.
        Thread.sleep(forTimeInterval: 0.02)
        try plant("r4.json", Self.record("r4", hoursAgo: 1, rows: ["fact_sales": 404, "client_profile": 0], ratio: 0.004))
        let bad = try deployer(["status", "--detailed-exitcode"])
        XCTAssertEqual(bad.status, 2, bad.all)
        XCTAssertTrue(bad.stdout.contains("  ! client_profile: 0 rows in run r4"), bad.stdout)
        XCTAssertTrue(bad.stdout.contains("  ! fact_sales: 404 rows in run r4, 60% below the median of the 3 runs before (1010; limit ±50%)"), bad.stdout)
        XCTAssertEqual(try deployer(["status"]).status, 0, "without --detailed-exitcode anomalies are shown, not an exit status")
        let json = try deployer(["status", "etl", "--json"])
        XCTAssertEqual(json.status, 0, json.all)
        let jobs = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["jobs"] as? [[String: Any]])
        let data = try XCTUnwrap(jobs.first?["data"] as? [String: Any])
        XCTAssertEqual(data["published_run_id"] as? String, "r3")
        XCTAssertTrue(data.keys.contains("error") && data["error"] is NSNull, "error is written as null: \(data)")
        let runs = try XCTUnwrap(data["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.map { $0["run_id"] as? String }, ["r4", "r3", "r2", "r1"])
        XCTAssertEqual(runs.first?["tables"] as? [String: Int], ["fact_sales": 404, "client_profile": 0])
        XCTAssertEqual(runs.first?["quarantine_ratio"] as? Double, 0.004)
        XCTAssertEqual((data["anomalies"] as? [[String: Any]])?.map { $0["kind"] as? String }, ["empty_table", "rows_changed"])

        // What is not a run record: a link out of the folder is not followed; a damaged record
        // is an error naming the file (exit 1: on call must not read "fine" from it).
        try FileManager.default.createSymbolicLink(atPath: work + "/out/etl/_runs/r9.json", withDestinationPath: "/etc/hostname")
        XCTAssertEqual(try deployer(["status", "--json"]).stdout.contains("\"r9\""), false)
        try plant("r5.json", "{\"run_id\": ")
        let damaged = try deployer(["status"])
        XCTAssertEqual(damaged.status, 1, damaged.all)
        XCTAssertTrue(damaged.stdout.contains("(data unavailable: \(work!)/out/etl/_runs/r5.json: not a JSON object)"), damaged.stdout)
        XCTAssertTrue(damaged.stderr.contains("the data of etl could not be read (see above)"), damaged.stderr)
    }

    func testBadDataChecksAreNamed() throws {
        let text = try String(contentsOfFile: work + "/deployer.yml", encoding: .utf8)
        let cases: [(String, String)] = [
            ("data_checks: {enabled: false}", "data_checks: {max_change_percent: 0}"),
            ("data_checks: {enabled: false}", "data_checks: {baseline_runs: many}"),
            ("data_checks: {enabled: false}", "data_checks: {output_argument: output_path}"),
            ("data_checks: {enabled: false}", "data_checks: {stale_after: 3}"),
        ]
        let expected = [
            "deployer.yml:10:39: jobs.quiet.data_checks.max_change_percent: 0 is out of range (allowed: 1...100000)",
            "jobs.quiet.data_checks.baseline_runs: expected a whole number, found 'many'",
            "jobs.quiet.data_checks.output_argument: 'output_path' is not valid (a job argument such as --output_path)",
            "jobs.quiet.data_checks.stale_after: unknown key (allowed: baseline_runs, enabled, max_change_percent, output_argument, stale_after_hours)",
        ]
        for ((old, new), message) in zip(cases, expected) {
            try text.replacingOccurrences(of: old, with: new).write(toFile: work + "/deployer.yml", atomically: true, encoding: .utf8)
            let result = try deployer(["validate"])
            XCTAssertEqual(result.status, 1, result.all)
            XCTAssertTrue(result.all.contains(message), "\(message)\n\(result.all)")
        }
    }
}
