import Foundation
import XCTest

/// `deployer init job NAME`: the new job validates, its own test passes and it runs locally
/// with real Spark (its run record then shows in status); taken names, bad names and unknown
/// --from are refused with nothing changed.
final class InitJobTests: XCTestCase {
    func testANewJobValidatesPassesItsTestAndRunsLocally() throws {
        let work = NSTemporaryDirectory() + "deployer-init-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: work + "/jobs/tests", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        for folder in ["common", "sales_etl", "sample_data"] {
            try FileManager.default.copyItem(atPath: CLI.repoRoot.appendingPathComponent("jobs/\(folder)").path, toPath: work + "/jobs/\(folder)")
        }
        for file in ["pytest.ini", "tests/conftest.py"] {
            try FileManager.default.copyItem(atPath: CLI.repoRoot.appendingPathComponent("jobs/\(file)").path, toPath: work + "/jobs/\(file)")
        }
        let manifest = """
            # the team's manifest
            project: shop
            targets:
              local: {engine: local, artifacts: {path: state}}
            jobs:
                sales_etl:
                    source: jobs/sales_etl
                    libraries: [jobs/common]

            # pipelines come later
            """
        try manifest.write(toFile: work + "/deployer.yml", atomically: true, encoding: .utf8)
        let env = ProcessInfo.processInfo.environment
        let pass = Dictionary(
            uniqueKeysWithValues: ["PATH", "JAVA_HOME", "SPARK_LOCAL_IP", "DEPLOYER_JOBS_PYTHON"].compactMap { key in env[key].map { (key, $0) } })
        func deployer(_ arguments: [String]) throws -> CLIResult { try CLI.run(arguments, environment: pass, cwd: work) }

        let made = try deployer(["init", "job", "demo"])
        XCTAssertEqual(made.status, 0, made.all)
        XCTAssertTrue(made.stdout.contains("  + jobs/demo/src/demo/models/invoices_per_month.sql\n"), made.stdout)
        XCTAssertTrue(made.stdout.contains("  + jobs/tests/test_demo.py\n"), made.stdout)
        let text = try String(contentsOfFile: work + "/deployer.yml", encoding: .utf8)
        XCTAssertTrue(
            text.hasSuffix(
                """
                        libraries: [jobs/common]

                    demo:
                        source: jobs/demo
                        libraries: [jobs/common]
                        requirements: jobs/demo/requirements.txt
                        arguments:
                            --input_path: jobs/sample_data
                            --output_path: .deployer/local/output/demo

                # pipelines come later
                """), "added after the last job, in the file's indentation, comments kept:\n\(text)")
        XCTAssertEqual(try deployer(["validate"]).status, 0)

        // Refused, with nothing changed: the same name again, a folder in the way, a bad name,
        // an unknown --from.
        try FileManager.default.createDirectory(atPath: work + "/jobs/leftover", withIntermediateDirectories: true)
        for (arguments, message) in [
            (["init", "job", "demo"], "deployer.yml has a job 'demo' already; choose another name"),
            (["init", "job", "leftover"], "jobs/leftover exists; choose another name or remove it"),
            (["init", "job", "sales_etl"], "has a job 'sales_etl' already; choose another name"),
            (["init", "job", "Demo-2"], "'Demo-2' is not a job name"),
            (["init", "job", "other", "--from", "nope"], "--from 'nope' is neither 'empty' nor a job of deployer.yml (jobs: demo, sales_etl)"),
        ] {
            let refused = try deployer(arguments)
            XCTAssertNotEqual(refused.status, 0, refused.all)
            XCTAssertTrue(refused.stderr.contains(message), "\(message) in: \(refused.stderr)")
            XCTAssertEqual(try String(contentsOfFile: work + "/deployer.yml", encoding: .utf8), text, "the manifest is unchanged")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/jobs/other"))

        // A copy of an existing job: its package renamed, and it validates too.
        let copied = try deployer(["init", "job", "sales_copy", "--from", "sales_etl"])
        XCTAssertEqual(copied.status, 0, copied.all)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/jobs/sales_copy/src/sales_copy/models/fact_sales.sql"))
        let cli = try String(contentsOfFile: work + "/jobs/sales_copy/src/sales_copy/cli.py", encoding: .utf8)
        XCTAssertFalse(cli.contains("sales_etl"), cli)
        XCTAssertEqual(try deployer(["validate"]).status, 0)

        // Its test (exact rows on a tiny frame) passes as generated, and it runs with local Spark.
        let python = env["DEPLOYER_JOBS_PYTHON"] ?? "python3"
        let test = Process()
        test.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        test.arguments = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "jobs/tests/test_demo.py"]
        test.currentDirectoryURL = URL(fileURLWithPath: work)
        test.environment = pass.merging(["HOME": work]) { $1 }
        test.standardOutput = FileHandle.nullDevice
        test.standardError = FileHandle.nullDevice
        try test.run()
        test.waitUntilExit()
        XCTAssertEqual(test.terminationStatus, 0, "pytest jobs/tests/test_demo.py")
        XCTAssertEqual(try deployer(["apply", "--auto-approve"]).status, 0)
        let run = try deployer(["run", "demo", "--wait", "--timeout", "5m"])
        XCTAssertEqual(run.status, 0, run.all)
        let status = try deployer(["status", "demo", "--detailed-exitcode"])
        XCTAssertEqual(status.status, 0, status.all)
        XCTAssertTrue(status.stdout.contains("invoices_per_month "), "status shows the rows the new job wrote: \(status.stdout)")
    }
}
