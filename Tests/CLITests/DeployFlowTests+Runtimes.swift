import AWSCore
import Foundation
import XCTest

/// `job_runtime: duckdb` on Glue: the job becomes a Python shell job (botocore's model checks
/// every request in the contract suite), converges, runs and costs; bad values are refused first.
extension DeployFlowTests {
    func duckdbGlueManifest(bucket: String, account: String, runtime: String) throws {
        try "PyYAML==6.0.2\n".write(toFile: work + "/sales_etl/requirements.txt", atomically: true, encoding: .utf8)
        try "sqlglot==26.33.0\n".write(toFile: work + "/duckdb-lock.txt", atomically: true, encoding: .utf8)
        try """
        project: \(project)
        targets:
        \(glueDev(bucket: bucket, account: account, #"account_ids: ["\#(account)"]"#, "job_runtime: \(runtime)"))
        jobs:
          sales_etl:
            source: sales_etl
            requirements: sales_etl/requirements.txt
            duckdb: {requirements: duckdb-lock.txt}
            arguments:
              --as_of: "2021-06-30"
        """.write(toFile: work + "/deployer.yml", atomically: true, encoding: .utf8)
    }

    func testGlueJobOnDuckDBIsAPythonShellJobThatConvergesRunsAndCosts() async throws {
        let peers = try peers()
        let bucket = "itest-shell-\(UInt32.random(in: 0...UInt32.max))"
        try await S3Client(client: client(peers)).createBucket(bucket: bucket)
        try duckdbGlueManifest(bucket: bucket, account: peers.account, runtime: "duckdb")
        let name = "\(project)-dev-sales_etl"

        let apply = try deployer(["apply", "-t", "dev", "--auto-approve"], peers)
        XCTAssertEqual(apply.status, 0, apply.all)
        // The bundle is built for the Python shell's CPython 3.9, not Glue 5.0's 3.11.
        XCTAssertTrue(apply.stderr.contains("CPython 3.9 x86_64"), apply.stderr)
        let job = try await XCTUnwrapAsync(try await GlueClient(client: client(peers)).getJob(name: name))
        let command = try XCTUnwrap(job["Command"])
        XCTAssertEqual(command["Name"]?.stringValue, "pythonshell")
        XCTAssertEqual(command["PythonVersion"]?.stringValue, "3.9")
        XCTAssertEqual(job["MaxCapacity"]?.numberValue, 1)
        XCTAssertNil(job["WorkerType"])
        XCTAssertNil(job["NumberOfWorkers"])
        let arguments = try XCTUnwrap(job["DefaultArguments"]?.objectValue)
        XCTAssertEqual(arguments["--runtime"]?.stringValue, "duckdb")
        XCTAssertNil(arguments["--additional-python-modules"], "Python shell installs no S3-hosted modules that way")
        let files = (arguments["--extra-py-files"]?.stringValue ?? "").split(separator: ",").map(String.init)
        // Python shell pip-installs the .whl files of --extra-py-files: the code and every package
        // (PyYAML's native cp39 wheel and sqlglot's pure one) go as wheels, no zip.
        XCTAssertTrue(files.allSatisfy { $0.hasSuffix(".whl") }, files.joined(separator: "\n"))
        XCTAssertTrue(files.contains { $0.hasSuffix("/deployer_job_code-0-py3-none-any.whl") }, files.joined(separator: "\n"))
        XCTAssertTrue(files.contains { $0.contains("/wheels/PyYAML-6.0.2-cp39") }, "PyYAML's cp39 wheel: \(files)")
        XCTAssertTrue(files.contains { $0.contains("/wheels/sqlglot-26.33.0-py3-none-any.whl") }, "sqlglot's pure wheel: \(files)")
        for file in files {
            let key = String(file.dropFirst("s3://\(bucket)/".count))
            let object = try await S3Client(client: client(peers)).getObject(bucket: bucket, key: key)
            XCTAssertFalse(object.isEmpty, "\(file) was uploaded")
        }

        let again = try deployer(["plan", "-t", "dev", "--detailed-exitcode"], peers)
        XCTAssertEqual(again.status, 0, "a Python shell job converges: \(again.all)")

        // Runs end at once (a manual progression another test left on the shared moto would hold it).
        try await motoControl(peers, "/moto-api/state-manager/unset-transition", #"{"model_name": "glue::job_run"}"#)
        let run = try deployer(["run", "sales_etl", "-t", "dev", "--wait"], peers)
        XCTAssertEqual(run.status, 0, run.all)
        // moto reports ExecutionTime 123 s: 123 s × 1 DPU at Glue's DPU-hour price.
        XCTAssertTrue(run.all.contains("cost: $0.02 = 0.034167 DPU-hours × $0.44"), run.all)

        // --max-cost sizes the Timeout from the Python shell job's capacity.
        let capped = try deployer(["run", "sales_etl", "-t", "dev", "--max-cost", "0.05"], peers)
        XCTAssertEqual(capped.status, 0, capped.all)
        XCTAssertTrue(capped.stderr.contains("1 DPUs × $0.44/DPU-hour = $0.44/h → Timeout 6 min"), capped.stderr)

        // Back to Spark: the same job becomes a glueetl job with workers again.
        try duckdbGlueManifest(bucket: bucket, account: peers.account, runtime: "spark")
        let plan = try deployer(["plan", "-t", "dev"], peers)
        XCTAssertTrue(plan.stdout.contains("pythonshell") && plan.stdout.contains("glueetl"), plan.stdout)
        XCTAssertEqual(try deployer(["apply", "-t", "dev", "--auto-approve"], peers).status, 0)
        let spark = try await XCTUnwrapAsync(try await GlueClient(client: client(peers)).getJob(name: name))
        XCTAssertEqual(spark["Command"]?["Name"]?.stringValue, "glueetl")
        XCTAssertEqual(spark["WorkerType"]?.stringValue, "G.1X")
        XCTAssertNotNil(spark["DefaultArguments"]?.objectValue)
        XCTAssertNil(spark["DefaultArguments"]?["--runtime"])
    }

    func testRuntimesThatCannotWorkAreRefusedOneLineEach() throws {
        let base = """
            project: \(project)
            targets:
              local:
                engine: local
                artifacts: {path: .deployer/local}
              prod:
                engine: emr-serverless
                region: us-east-1
                artifacts: {bucket: b-prod, prefix: d}
                emr_serverless: {application_id: "00f1", execution_role_arn: "arn:aws:iam::123456789012:role/r"}
            """
        let cases: [(String, String)] = [
            (
                base + "\n    job_runtime: duckdb\njobs:\n  sales_etl: {source: sales_etl}\n",
                "targets.prod.job_runtime: engine emr-serverless runs Spark only: duckdb runs on"
            ),
            (base + "\njobs:\n  sales_etl: {source: sales_etl, job_runtime: duckdb}\n", "jobs.sales_etl.job_runtime: duckdb needs a duckdb: block"),
            (base + "\njobs:\n  sales_etl: {source: sales_etl, job_runtime: polars}\n", "jobs.sales_etl.job_runtime"),
            (
                base + "\njobs:\n  sales_etl: {source: sales_etl, duckdb: {requirements: nope.txt}}\n",
                "jobs.sales_etl.duckdb.requirements: 'nope.txt' does not exist"
            ),
        ]
        for (text, expected) in cases {
            try text.write(toFile: work + "/deployer.yml", atomically: true, encoding: .utf8)
            let result = try CLI.run(["validate", "-t", "local"], environment: [:], cwd: work)
            XCTAssertNotEqual(result.status, 0, text)
            XCTAssertTrue(result.stderr.contains(expected), "\(expected)\n\(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        }
        // A job on DuckDB on an engine that cannot run it, chosen by the job itself.
        try (base + "\njobs:\n  sales_etl: {source: sales_etl, duckdb: {}, job_runtime: duckdb}\n").write(
            toFile: work + "/deployer.yml", atomically: true, encoding: .utf8)
        let refused = try CLI.run(["validate", "-t", "prod"], environment: [:], cwd: work)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("jobs.sales_etl.job_runtime: engine emr-serverless (target prod) runs Spark only"), refused.stderr)
    }
}
