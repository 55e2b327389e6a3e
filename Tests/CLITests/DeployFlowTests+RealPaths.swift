import AWSCore
import AWSTestSupport
import Foundation
import SigV4
import XCTest

/// The paths moto 5.2 could not run before Tests/peers/moto_gaps.py: Glue UpdateJob (apply of a
/// change, rollback) and BatchStopJobRun (cancel on SIGTERM), EMR Serverless runs that stay
/// RUNNING (cancel, attach), clientToken idempotency and the Spark UI link.
extension DeployFlowTests {
    /// POSTs JSON to moto's own control API (`/moto-api/…`).
    func motoControl(_ peers: Peers, _ path: String, _ body: String) async throws {
        let url = try XCTUnwrap(URLComponents(string: peers.moto))
        let request = HTTPRequest(
            method: "POST", scheme: "http", host: url.host ?? "127.0.0.1", port: url.port, path: path,
            headers: [HTTPHeader("Content-Type", "application/json")], body: .bytes(Array(body.utf8)))
        let response = try await AsyncHTTPTransport().send(request, timeout: .seconds(10))
        XCTAssertTrue((200..<300).contains(response.status), "\(path): \(response.status) \(response.bodyText)")
    }

    /// deployer in the background (CI=true: a signal cancels the run), its stderr in a file.
    func backgroundDeployer(_ arguments: [String], _ peers: Peers) throws -> (Process, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = arguments
        process.environment = environment(peers).merging([
            "HOME": "/nonexistent-home", "CI": "true", "AWS_EC2_METADATA_DISABLED": "true",
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]) { $1 }
        process.currentDirectoryURL = URL(fileURLWithPath: work)
        let errPath = work + "/bg-\(UUID().uuidString).err"
        FileManager.default.createFile(atPath: errPath, contents: nil)
        FileManager.default.createFile(atPath: errPath + ".out", contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: errPath + ".out") ?? FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, errPath)
    }

    func finished(_ process: Process, within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        return !process.isRunning
    }

    func testGlueUpdateRollbackAndCancelOnSIGTERMEndToEnd() async throws {
        let peers = try peers()
        let bucket = "itest-glue-real-\(UInt32.random(in: 0...UInt32.max))"
        try await S3Client(client: client(peers)).createBucket(bucket: bucket)
        _ = try manifest(target: "dev", body: glueDev(bucket: bucket, account: peers.account))
        XCTAssertEqual(try deployer(["apply", "-t", "dev", "--auto-approve"], peers).status, 0)
        let firstRecord = try XCTUnwrap(
            try deployer(["deployments", "-t", "dev", "--json"], peers).stdout
                .components(separatedBy: "\"id\" : \"").dropFirst().first?.prefix { $0 != "\"" }
        ).description
        // Apply of a change: UpdateJob on the live job, which then matches the manifest.
        try "\n# version two\n".appendTo(work + "/sales_etl/main.py")
        let update = try deployer(["apply", "-t", "dev", "--auto-approve"], peers)
        XCTAssertEqual(update.status, 0, update.all)
        XCTAssertTrue(update.stdout.contains("~ update job \(project)-dev-sales_etl"), update.stdout)
        XCTAssertEqual(try deployer(["plan", "-t", "dev", "--detailed-exitcode"], peers).status, 0, "the live job was updated")
        let live = try await GlueClient(client: client(peers)).getJob(name: "\(project)-dev-sales_etl")
        let afterUpdate = try XCTUnwrap(live?["DefaultArguments"]?.objectValue)
        // Rollback: UpdateJob back to the first deployment's definition.
        let rollback = try deployer(["rollback", "-t", "dev", "--to", firstRecord, "--auto-approve"], peers)
        XCTAssertEqual(rollback.status, 0, rollback.all)
        let restored = try await GlueClient(client: client(peers)).getJob(name: "\(project)-dev-sales_etl")
        let restoredArguments = try XCTUnwrap(restored?["DefaultArguments"]?.objectValue)
        XCTAssertNotEqual(restoredArguments, afterUpdate, "the rollback changed the live job back")
        XCTAssertEqual(try deployer(["plan", "-t", "dev", "--detailed-exitcode"], peers).status, 2, "the manifest (version two) differs again")

        // Cancel on SIGTERM: a run held in its first state, BatchStopJobRun, STOPPED, exit 3.
        try await motoControl(
            peers, "/moto-api/state-manager/set-transition",
            #"{"model_name": "glue::job_run", "transition": {"progression": "manual", "times": 100000}}"#)
        let (process, err) = try backgroundDeployer(["run", "sales_etl", "-t", "dev", "--wait"], peers)
        // stdout is a file (buffered until exit): the run is seen starting through `runs`.
        XCTAssertTrue(waitForRun("glue:dev:sales_etl:", target: "dev", peers), "the run started")
        process.terminate()
        XCTAssertTrue(finished(process, within: 60))
        let stderr = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        XCTAssertEqual(process.terminationStatus, 3, stderr)
        XCTAssertTrue(stderr.contains("SIGTERM: cancelling glue:dev:sales_etl:"), stderr)
        XCTAssertTrue(stderr.contains("cancelled glue:dev:sales_etl:"), stderr)
        try await motoControl(peers, "/moto-api/state-manager/unset-transition", #"{"model_name": "glue::job_run"}"#)
    }

    func testEMRServerlessCancelAttachIdempotencyAndSparkUIEndToEnd() async throws {
        let peers = try peers()
        _ = try await emrServerlessTarget("prod", peers)
        XCTAssertEqual(try deployer(["apply", "-t", "prod", "--auto-approve"], peers).status, 0)
        try await motoControl(peers, "/moto-api/deployer/emr-serverless", #"{"runs": "manual"}"#)
        // Idempotency: the same key finds the same run (by its tags, read with GetJobRun).
        let key = "k2-\(UInt32.random(in: 0...UInt32.max))"
        let first = try deployer(["run", "sales_etl", "-t", "prod", "--idempotency-key", key, "--arg", "as_of=2024-02-29"], peers)
        XCTAssertEqual(first.status, 0, first.all)
        let handle = try XCTUnwrap(first.stdout.components(separatedBy: "started ").dropFirst().first?.prefix { !$0.isWhitespace }).description
        let second = try deployer(["run", "sales_etl", "-t", "prod", "--idempotency-key", key, "--arg", "as_of=2024-02-29"], peers)
        XCTAssertEqual(second.status, 0, second.all)
        XCTAssertTrue(second.stdout.contains("found \(handle) (started earlier with idempotency key \(key)); not starting another"), second.all)
        // The run's own arguments come back from entryPointArguments (not a JSON tag).
        let runId = String(handle.split(separator: ":").last ?? "")
        let status = try deployer(["status", "sales_etl", "-t", "prod", "--run", runId, "--json"], peers)
        XCTAssertTrue(status.stdout.contains("\"as_of\" : \"2024-02-29\""), status.all)
        XCTAssertTrue(status.stdout.contains("\"state\" : \"running\""), status.all)
        // Attach: still running at the timeout (exit 4, detached), the Spark UI link shown.
        let attached = try deployer(["run", "--attach", handle, "-t", "prod", "--wait", "--timeout", "2s", "--on-timeout", "detach"], peers)
        XCTAssertEqual(attached.status, 4, attached.all)
        let human = try deployer(["status", "sales_etl", "-t", "prod", "--run", runId], peers)
        XCTAssertTrue(human.stdout.contains("spark ui:") && human.stdout.contains("https://"), human.all)
        // Finished on the service's side: attach follows it to the end.
        try await motoControl(
            peers, "/moto-api/deployer/emr-serverless/finish",
            #"{"applicationId": "\#(try applicationId())", "jobRunId": "\#(runId)", "state": "SUCCESS"}"#)
        let done = try deployer(["run", "--attach", handle, "-t", "prod", "--wait", "--timeout", "60s"], peers)
        XCTAssertEqual(done.status, 0, done.all)
        // Cancel on SIGTERM: CancelJobRun, CANCELLING, CANCELLED, exit 3.
        let (process, err) = try backgroundDeployer(["run", "sales_etl", "-t", "prod", "--wait"], peers)
        XCTAssertTrue(waitForRun("emr-serverless:prod:sales_etl:", target: "prod", peers, besides: handle), "the run started")
        process.terminate()
        XCTAssertTrue(finished(process, within: 60))
        let stderr = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        XCTAssertEqual(process.terminationStatus, 3, stderr)
        XCTAssertTrue(stderr.contains("cancelled emr-serverless:prod:sales_etl:"), stderr)
        // --max-cost: the application's maximum capacity at the target's prices gives the run's
        // time limit, which the run carries on the service (read back with GetJobRun).
        let capped = try deployer(["run", "sales_etl", "-t", "prod", "--max-cost", "2", "--idempotency-key", "cap-\(key)"], peers)
        XCTAssertEqual(capped.status, 0, capped.all)
        let minutes = try XCTUnwrap(
            capped.stderr.components(separatedBy: "executionTimeoutMinutes ").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) }, capped.all)
        XCTAssertTrue(capped.stderr.contains("note: --max-cost 2.00 USD: at most 8 vCPU, 32 GB, 200 GB disk"), capped.all)
        let hourly: Double = 8 * 0.052624 + 32 * 0.0057785 + 200 * 0.000111
        let expected = Int((2.0 / hourly * 60).rounded(.down))
        XCTAssertEqual(minutes, expected, capped.all)
        let cappedHandle = try XCTUnwrap(capped.stdout.components(separatedBy: "started ").dropFirst().first?.prefix { !$0.isWhitespace }).description
        let cappedStatus = try deployer(["status", "sales_etl", "-t", "prod", "--run", String(cappedHandle.split(separator: ":").last ?? ""), "--json"], peers)
        XCTAssertTrue(cappedStatus.stdout.contains("\"time_limit_minutes\" : \(minutes)"), cappedStatus.all)
        try await motoControl(peers, "/moto-api/deployer/emr-serverless", #"{"runs": "default"}"#)
    }

    /// The EMR Serverless application of the manifest in `work`.
    func applicationId() throws -> String {
        let text = try String(contentsOfFile: work + "/deployer.yml", encoding: .utf8)
        return try XCTUnwrap(text.components(separatedBy: "application_id: ").dropFirst().first?.prefix { !$0.isWhitespace }).description
    }

    /// Waits (bounded) until `deployer runs` lists a run whose handle starts with `prefix`
    /// (other than `besides`).
    func waitForRun(_ prefix: String, target: String, _ peers: Peers, besides: String? = nil, seconds: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let runs = try? deployer(["runs", "-t", target, "--json"], peers).stdout {
                let handles = runs.components(separatedBy: "\"handle\" : \"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
                if handles.contains(where: { $0.hasPrefix(prefix) && $0 != besides }) { return true }
            }
            usleep(300_000)
        }
        return false
    }
}
