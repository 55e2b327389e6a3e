import AWSTestSupport
import Foundation
import XCTest

/// The local engine end to end with real Spark on the committed sample data: the same
/// artifact, apply/run --wait/status/logs as on AWS, a failing run reported, and rollback.
final class LocalFlowTests: XCTestCase {
    func testApplyRunStatusLogsFailureAndRollbackWithRealSpark() throws {
        let work = NSTemporaryDirectory() + "deployer-local-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.copyItem(atPath: CLI.repoRoot.appendingPathComponent("jobs/sales_etl").path, toPath: work + "/sales_etl")
        try FileManager.default.copyItem(atPath: CLI.repoRoot.appendingPathComponent("jobs/common").path, toPath: work + "/common")
        let samples = CLI.repoRoot.appendingPathComponent("jobs/sample_data").path
        try """
        project: itest
        targets:
          local:
            engine: local
            artifacts: {path: state}
        jobs:
          sales_etl:
            source: sales_etl
            libraries: [common]
            arguments:
              --source_path: \(samples)
              --output_path: out/sales_etl
              --as_of: "2021-06-30"
        """.write(toFile: work + "/deployer.yml", atomically: true, encoding: .utf8)
        let environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "JAVA_HOME": ProcessInfo.processInfo.environment["JAVA_HOME"] ?? "",
        ]
        .filter { !$0.value.isEmpty }
        func deployer(_ arguments: [String]) throws -> CLIResult { try CLI.run(arguments, environment: environment, cwd: work) }

        let doctor = try deployer(["doctor"])
        XCTAssertEqual(doctor.status, 0, doctor.all)
        XCTAssertTrue(doctor.stdout.contains("✓ engine: spark-submit found") && doctor.stdout.contains("✓ lock:"), doctor.stdout)
        let apply = try deployer(["apply", "--auto-approve"])
        XCTAssertEqual(apply.status, 0, apply.all)
        XCTAssertTrue(apply.stdout.contains("+ create job itest-local-sales_etl"), apply.stdout)
        XCTAssertEqual(try deployer(["plan", "--detailed-exitcode"]).status, 0)

        let run = try deployer(["run", "sales_etl", "--wait", "--timeout", "5m"])
        XCTAssertEqual(run.status, 0, run.all)
        XCTAssertTrue(run.stdout.contains("started local:local:sales_etl:local-"), run.stdout)
        XCTAssertTrue(run.stdout.contains("EXITED 0"), run.stdout)
        for table in ["account_details", "invoice_details", "fact_sales", "fact_sales_processed", "monthly_sales_summary", "client_profile"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/out/sales_etl/\(table)"), "\(table) was written")
        }
        let logs = try deployer(["logs", "sales_etl", "--run", "latest"])
        XCTAssertEqual(logs.status, 0, logs.all)
        XCTAssertTrue(logs.stdout.contains("fact_sales"), logs.stdout)
        XCTAssertTrue(logs.stdout.contains("\(work)/out/sales_etl/client_profile") || logs.stdout.contains("out/sales_etl/client_profile"), logs.stdout)
        // Following a finished run prints the same lines once and stops.
        let followed = try deployer(["logs", "sales_etl", "--run", "latest", "--follow"])
        XCTAssertEqual(followed.status, 0, followed.all)
        XCTAssertEqual(followed.stdout, logs.stdout)
        XCTAssertEqual(try deployer(["status"]).status, 0)

        // Wrong answers to on-call: an unknown run, a path in a run id and a link planted in the
        // run folders are errors (exit 1), never an empty log, a green status or /etc's files.
        let unknown = try deployer(["logs", "sales_etl", "--run", "local-20990101T000000Z-nope"])
        XCTAssertEqual(unknown.status, 1, unknown.all)
        XCTAssertTrue(unknown.stderr.contains("no local run local-20990101T000000Z-nope"), unknown.stderr)
        let traversal = try deployer(["logs", "sales_etl", "--run", "../../../../etc"])
        XCTAssertEqual(traversal.status, 1, traversal.all)
        XCTAssertTrue(traversal.stderr.contains("is not a run id"), traversal.stderr)
        let planted = work + "/state/runs/itest-local-sales_etl/local-zzzz"
        try FileManager.default.createSymbolicLink(atPath: planted, withDestinationPath: "/etc")
        let linkedLogs = try deployer(["logs", "sales_etl", "--run", "local-zzzz"])
        XCTAssertEqual(linkedLogs.status, 1, linkedLogs.all)
        XCTAssertTrue(linkedLogs.stderr.contains("symbolic link"), linkedLogs.stderr)
        let unreadable = try deployer(["status"])
        XCTAssertEqual(unreadable.status, 1, "runs that cannot be read are not 'all is well': \(unreadable.all)")
        XCTAssertTrue(unreadable.stderr.contains("could not be read"), unreadable.stderr)
        XCTAssertFalse(unreadable.all.contains("root:"), "nothing from /etc is shown")
        try FileManager.default.removeItem(atPath: planted)

        // A run the job rejects: reported with the job's own message, and status turns red.
        let failed = try deployer(["run", "sales_etl", "--wait", "--arg", "source_format=xml"])
        XCTAssertEqual(failed.status, 1, failed.all)
        XCTAssertTrue(failed.stderr.contains("failed"), failed.stderr)
        XCTAssertTrue(failed.stderr.contains("source_format"), "the job's error names the bad key: \(failed.stderr)")
        let red = try deployer(["status", "--json"])
        XCTAssertEqual(red.status, 1, "the latest run failed")
        XCTAssertTrue(red.stdout.contains("\"state\" : \"failed\""), red.stdout)

        // A second deployment, then back to the first.
        let first = try XCTUnwrap(try deployer(["deployments"]).stdout.split(separator: " ").first.map(String.init))
        try "\n# v2\n".appendTo(work + "/sales_etl/main.py")
        XCTAssertEqual(try deployer(["apply", "--auto-approve"]).status, 0)
        let rollback = try deployer(["rollback", "--to", first, "--auto-approve"])
        XCTAssertEqual(rollback.status, 0, rollback.all)
        let history = try deployer(["deployments"]).stdout.split(separator: "\n")
        XCTAssertEqual(history.count, 3, "\(history)")
        XCTAssertTrue(history.first?.contains("(rollback to \(first))") ?? false, "\(history)")
        let destroy = try deployer(["destroy", "--auto-approve"])
        XCTAssertEqual(destroy.status, 0, destroy.all)
        let after = try deployer(["run", "sales_etl"])
        XCTAssertEqual(after.status, 1)
        XCTAssertTrue(after.stderr.contains("nothing is deployed"), after.stderr)
    }
}
