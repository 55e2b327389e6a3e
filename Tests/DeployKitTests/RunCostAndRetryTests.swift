import AWSCore
import AWSTestSupport
import Foundation
import SigV4
import XCTest

@testable import DeployKit

/// Cost of runs, --max-cost, idempotency-key lookup, cancel and retry on Glue and EMR
/// Serverless, scripted with the response shapes of botocore's models (moto reports no
/// DPUSeconds or billedResourceUtilization and runs EMR Serverless jobs to SUCCESS at once).
final class RunCostAndRetryTests: XCTestCase {
    let job = Job(name: "sales_etl", source: "/src", entryPoint: "main.py", config: "/src/config.yml", arguments: [:], engines: [:])

    func configuration(_ engine: EngineKind) -> any EngineConfiguration {
        switch engine {
        case .emrServerless:
            return EMRServerlessConfiguration(applicationId: "00app", executionRoleArn: "arn:aws:iam::123456789012:role/emr-job", logURI: "s3://logs/emr/")
        case .emr: return EMRConfiguration(clusterId: "j-ABC", logURI: "s3://logs/emr/")
        default: return GlueConfiguration(roleArn: "arn:aws:iam::123456789012:role/glue-job")
        }
    }

    func target(_ engine: EngineKind) -> Target {
        Target(
            name: "dev", engine: configuration(engine), region: "eu-west-1", accountIds: [], artifacts: .s3(bucket: "b", prefix: "p"),
            roleArn: "arn:aws:iam::123456789012:role/glue-job", tags: [:],
            settings: EngineSettings(version: "5.0", workerType: "G.2X", numberOfWorkers: 10, timeoutMinutes: 60, maxConcurrentRuns: 1))
    }

    func json(_ object: Any) -> HTTPResponse {
        HTTPResponse(
            status: 200, headers: [HTTPHeader("Content-Type", "application/x-amz-json-1.1")],
            body: Array((try? JSONSerialization.data(withJSONObject: object)) ?? Data()))
    }

    func body(_ request: HTTPRequest) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(request.bodyText.utf8)) as? [String: Any]) ?? [:]
    }

    /// Glue's prices: billed DPU-seconds when Glue reports them, else ExecutionTime × capacity
    /// with the 1-minute minimum; Flex at its own price. EMR Serverless from billed usage.
    func testCostsAreExactToTheCent() {
        let pricing = Pricing()
        // 10 G.2X workers (20 DPU) for 15 minutes: 5 DPU-hours × $0.44 = $2.20.
        let glue = pricing.cost(RunUsage(executionSeconds: 900, capacityDPU: 20), engine: GluePlugin())
        XCTAssertEqual(glue?.text, "$2.20")
        XCTAssertEqual(glue?.basis, "5 DPU-hours × $0.44")
        // 20 seconds of 2 DPU still bills a minute: 120 DPU-s = 0.0333 DPU-h × $0.44 = $0.0147.
        XCTAssertEqual(pricing.cost(RunUsage(executionSeconds: 20, capacityDPU: 2), engine: GluePlugin())?.usd ?? 0, 120.0 / 3600 * 0.44, accuracy: 1e-12)
        // Billed DPU-seconds win over the duration; Flex costs $0.29.
        XCTAssertEqual(
            pricing.cost(RunUsage(dpuSeconds: 36_000, executionSeconds: 900, capacityDPU: 20, executionClass: "FLEX"), engine: GluePlugin())?.text, "$2.90")
        // EMR Serverless: 12.5 vCPU-h, 50 GB-h memory, 100 GB-h storage.
        let emr = pricing.cost(RunUsage(vcpuHours: 12.5, memoryGBHours: 50, storageGBHours: 100), engine: EMRServerlessPlugin())
        XCTAssertEqual(emr?.usd ?? 0, 12.5 * 0.052624 + 50 * 0.0057785 + 100 * 0.000111, accuracy: 1e-12)
        XCTAssertEqual(emr?.text, "$0.96")
        // EMR on EC2 only with a cluster price, and marked as an estimate.
        XCTAssertNil(pricing.cost(RunUsage(executionSeconds: 3600), engine: EMRPlugin()))
        var priced = Pricing()
        priced.emrClusterHour = 3.5
        XCTAssertEqual(priced.cost(RunUsage(executionSeconds: 1800), engine: EMRPlugin())?.text, "$1.75")
        XCTAssertEqual(priced.cost(RunUsage(executionSeconds: 1800), engine: EMRPlugin())?.estimate, true)
        XCTAssertEqual(pricing.cost(RunUsage(cpuSeconds: 12.5), engine: SparkSubmitPlugin.local)?.text, "$0.00")
        XCTAssertEqual(LocalEngine.childrenCPUSeconds(Data("0m0.010s 0m0.020s\n1m2.500s 0m3.250s\n".utf8)), 65.75)
    }

    /// A Glue run: its usage read from GetJobRun, --max-cost as the run's Timeout, the
    /// idempotency key found again through GetJobRuns, cancel through BatchStopJobRun, and a
    /// retry of a run of an older deployment naming that deployment's code.zip.
    func testGlueRunLifecycleWithCostKeyCancelAndRetry() async throws {
        final class State: @unchecked Sendable {
            let lock = NSLock()
            var runs: [[String: Any]] = []
        }
        let state = State()
        let transport = ScriptedTransport { request in
            let input = self.body(request)
            switch request.header("X-Amz-Target") {
            case "AWSGlue.StartJobRun":
                let id = "jr_\(state.lock.withLock { state.runs.count + 1 })"
                let run: [String: Any] = [
                    "Id": id, "JobName": input["JobName"] as? String ?? "", "JobRunState": "RUNNING", "StartedOn": Date().timeIntervalSince1970,
                    "Arguments": input["Arguments"] as? [String: String] ?? [:], "WorkerType": "G.2X", "NumberOfWorkers": 10,
                    "Timeout": input["Timeout"] as? Int ?? 60,
                ]
                state.lock.withLock { state.runs.insert(run, at: 0) }
                return self.json(["JobRunId": id])
            case "AWSGlue.GetJobRuns":
                return self.json(["JobRuns": state.lock.withLock { state.runs }])
            case "AWSGlue.GetJobRun":
                var run = state.lock.withLock { state.runs.first { $0["Id"] as? String == input["RunId"] as? String } } ?? [:]
                run["JobRunState"] = "SUCCEEDED"
                run["ExecutionTime"] = 900
                run["CompletedOn"] = Date().timeIntervalSince1970 + 900
                return self.json(["JobRun": run])
            case "AWSGlue.BatchStopJobRun":
                return self.json([
                    "SuccessfulSubmissions": [["JobName": input["JobName"] ?? "", "JobRunId": (input["JobRunIds"] as? [String])?.first ?? ""]], "Errors": [],
                ])
            default:
                return HTTPResponse(status: 400, text: #"{"__type":"InvalidInputException","message":"unexpected"}"#)
            }
        }
        let glueTarget = target(.glue)
        let engine = GlueEngine(client: Fixtures.client(transport, region: "eu-west-1"), target: glueTarget)
        let store = LocalStore(root: NSTemporaryDirectory() + "deployer-cost-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: store.root) }
        let layout = Layout(prefix: "p", target: "dev")
        let oldURLs = ArtifactURLs(entryPoint: "s3://b/p/artifacts/sales_etl/old/main.py", codeZip: "s3://b/p/artifacts/sales_etl/old/code.zip", config: "")
        let newURLs = ArtifactURLs(entryPoint: "s3://b/p/artifacts/sales_etl/new/main.py", codeZip: "s3://b/p/artifacts/sales_etl/new/code.zip", config: "")
        let old = DeploymentRecord(
            id: "20260101T000000Z-old", project: "p", target: "dev", engine: "glue", at: Date(), by: "ci", gitCommit: nil, artifacts: ["sales_etl": "old"],
            jobNames: ["sales_etl": "p-dev-sales_etl"],
            definitions: ["sales_etl": engine.desiredDefinition(name: "p-dev-sales_etl", job: job, artifact: oldURLs, digest: "old")],
            previous: nil, rollbackOf: nil, destroyed: nil)
        var new = old
        new.id = "20260102T000000Z-new"
        new.artifacts = ["sales_etl": "new"]
        new.definitions = ["sales_etl": engine.desiredDefinition(name: "p-dev-sales_etl", job: job, artifact: newURLs, digest: "new")]
        try await store.put(layout.deploymentKey(old.id), bytes: Array(try JSONEncoder.pretty.encode(old)), contentType: "application/json", condition: .always)
        try await store.put(layout.latestKey, bytes: Array(try JSONEncoder.pretty.encode(old)), contentType: "application/json", condition: .always)
        let manifest = Manifest(project: "p", defaultTarget: "dev", targets: ["dev": glueTarget], jobs: [job], directory: "/", file: "/deployer.yml")
        let context = DeployContext(manifest: manifest, target: glueTarget, store: store, engine: engine, layout: layout, client: nil)
        let runner = Runner(context: context)

        // $5 at 20 DPU × $0.44 = $8.80/h buys 34 minutes.
        let limit = try await runner.timeoutMinutes(job: "sales_etl", maxCost: 5)
        XCTAssertEqual(limit.minutes, 34, limit.explanation)
        let first = try await runner.start(job: "sales_etl", arguments: ["as_of": "2026-11-29"], idempotencyKey: "nightly-1", timeoutMinutes: limit.minutes)
        XCTAssertFalse(first.reused)
        let start = try XCTUnwrap(transport.requests.last { $0.header("X-Amz-Target") == "AWSGlue.StartJobRun" })
        XCTAssertEqual(body(start)["Timeout"] as? Int, 34)
        XCTAssertEqual(
            body(start)["Arguments"] as? [String: String],
            [
                "--as_of": "2026-11-29", "--deployer-run-key": "nightly-1", "--deployer-artifact": "old",
                "--deployer-deployment": old.id, "--extra-py-files": oldURLs.codeZip, "--deployer-start-token": "nightly-1",
            ])
        // The same key again: GetJobRuns finds the run, nothing is started.
        let again = try await runner.start(job: "sales_etl", arguments: ["as_of": "2026-11-29"], idempotencyKey: "nightly-1")
        XCTAssertTrue(again.reused)
        XCTAssertEqual(again.handle, first.handle)
        XCTAssertEqual(transport.requests.filter { $0.header("X-Amz-Target") == "AWSGlue.StartJobRun" }.count, 1)

        // Its cost and links.
        let info = try await runner.describe(job: "sales_etl", runId: first.handle.runId)
        XCTAssertEqual(info.cost?.text, "$2.20")
        XCTAssertEqual(
            info.links["console"], "https://eu-west-1.console.aws.amazon.com/gluestudio/home?region=eu-west-1#/job/p-dev-sales_etl/run/\(first.handle.runId)")

        // Cancel: BatchStopJobRun with the run id.
        _ = try await runner.cancelAndWait(job: "sales_etl", runId: first.handle.runId, sleep: { _ in })
        let stop = try XCTUnwrap(transport.requests.last { $0.header("X-Amz-Target") == "AWSGlue.BatchStopJobRun" })
        XCTAssertEqual(body(stop)["JobRunIds"] as? [String], [first.handle.runId])

        // A newer deployment, then a retry of the first run: the old code.zip and arguments.
        try await store.put(layout.deploymentKey(new.id), bytes: Array(try JSONEncoder.pretty.encode(new)), contentType: "application/json", condition: .always)
        try await store.put(layout.latestKey, bytes: Array(try JSONEncoder.pretty.encode(new)), contentType: "application/json", condition: .always)
        let retried = try await runner.retry(first.handle)
        XCTAssertEqual(retried.artifact, "old")
        XCTAssertEqual(retried.newerDeployment, new.id)
        let retryStart = try XCTUnwrap(transport.requests.last { $0.header("X-Amz-Target") == "AWSGlue.StartJobRun" })
        let arguments = try XCTUnwrap(body(retryStart)["Arguments"] as? [String: String])
        XCTAssertEqual(arguments["--extra-py-files"], oldURLs.codeZip)
        XCTAssertEqual(arguments["--as_of"], "2026-11-29")
        XCTAssertEqual(arguments["--deployer-deployment"], old.id)
        XCTAssertNil(arguments["--deployer-run-key"], "a retry is a new run, not the keyed one")
        // A handle of another target is refused.
        XCTAssertThrowsError(try runner.check(RunHandle(engine: "glue", target: "prod", job: "sales_etl", runId: "jr_1"))) {
            XCTAssertTrue("\($0)".contains("belongs to target prod"), "\($0)")
        }
    }

    /// EMR Serverless: cost from billedResourceUtilization, the Spark UI from
    /// GetDashboardForJobRun, --max-cost from the application's maximum capacity.
    func testEMRServerlessCostDashboardAndMaxCost() async throws {
        let transport = ScriptedTransport { request in
            switch (request.method, request.path) {
            case ("GET", "/applications/00app/jobruns/00run/dashboard"):
                return self.json(["url": "https://spark-ui.example/00run?auth=token"])
            case ("GET", "/applications/00app/jobruns/00run"):
                return self.json([
                    "jobRun": [
                        "applicationId": "00app", "jobRunId": "00run", "state": "SUCCESS", "createdAt": 1_700_000_000.0, "updatedAt": 1_700_003_600.0,
                        "billedResourceUtilization": ["vCPUHour": 12.5, "memoryGBHour": 50.0, "storageGBHour": 100.0],
                        "tags": ["deployer-run-key": "k", "deployer-artifact": "d1", "deployer-deployment": "dep1"],
                    ]
                ])
            case ("GET", "/applications/00app"):
                return self.json([
                    "application": ["applicationId": "00app", "state": "CREATED", "maximumCapacity": ["cpu": "40 vCPU", "memory": "160 GB", "disk": "200 GB"]]
                ])
            default:
                return HTTPResponse(status: 404, headers: [HTTPHeader("x-amzn-ErrorType", "ResourceNotFoundException")], text: #"{"message":"nope"}"#)
            }
        }
        let emrTarget = target(.emrServerless)
        let engine = EMRServerlessEngine(client: Fixtures.client(transport, region: "eu-west-1"), target: emrTarget)
        let definition = engine.desiredDefinition(
            name: "p-dev-sales_etl", job: job, artifact: ArtifactURLs(entryPoint: "e", codeZip: "c", config: ""), digest: "d1")
        let info = try await engine.describe(name: "p-dev-sales_etl", definition: definition, runId: "00run")
        XCTAssertEqual(Pricing().cost(info.usage, engine: EMRServerlessPlugin())?.text, "$0.96")
        XCTAssertEqual(info.metadata, RunMetadata(idempotencyKey: "k", artifact: "d1", deployment: "dep1"))
        XCTAssertEqual(info.links["logs"], "s3://logs/emr/applications/00app/jobs/00run/")
        let links = await engine.detailLinks(name: "p-dev-sales_etl", definition: definition, runId: "00run")
        XCTAssertEqual(links["spark_ui"], "https://spark-ui.example/00run?auth=token")
        // 40 vCPU × 0.052624 + 160 GB × 0.0057785 + 200 GB × 0.000111 = $3.0517/h: $10 → 196 minutes.
        let limit = try await engine.timeoutMinutes(forMaxCost: 10, pricing: Pricing(), definition: definition)
        let hourly: Double = 40 * 0.052624 + 160 * 0.0057785 + 200 * 0.000111
        XCTAssertEqual(limit.minutes, Int((10 / hourly * 60).rounded(.down)))
        XCTAssertEqual(limit.minutes, 196)
        // EMR steps cannot bound a run's cost.
        let steps = EMRStepEngine(client: Fixtures.client(transport), target: target(.emr))
        do {
            _ = try await steps.timeoutMinutes(forMaxCost: 10, pricing: Pricing(), definition: .null)
            XCTFail("EMR steps have no per-run limit")
        } catch {
            XCTAssertTrue("\(error)".contains("--max-cost is not supported"), "\(error)")
        }
    }

    /// `retries:` maps to Glue MaxRetries and EMR Serverless retryPolicy.maxAttempts (+1).
    func testRetriesMapToTheEngines() {
        var settings = target(.glue)
        settings.settings.retries = 2
        let glue = GlueEngine(client: Fixtures.client(ScriptedTransport([])), target: settings).desiredDefinition(
            name: "n", job: job, artifact: ArtifactURLs(entryPoint: "e", codeZip: "c", config: ""), digest: "d")
        XCTAssertEqual(glue["MaxRetries"], .number(2))
        var emr = target(.emrServerless)
        emr.settings.retries = 2
        let serverless = EMRServerlessEngine(client: Fixtures.client(ScriptedTransport([])), target: emr).desiredDefinition(
            name: "n", job: job, artifact: ArtifactURLs(entryPoint: "e", codeZip: "c", config: ""), digest: "d")
        XCTAssertEqual(serverless["retryPolicy"], .object(["maxAttempts": .number(3)]))
        let plain = GlueEngine(client: Fixtures.client(ScriptedTransport([])), target: target(.glue)).desiredDefinition(
            name: "n", job: job, artifact: ArtifactURLs(entryPoint: "e", codeZip: "c", config: ""), digest: "d")
        XCTAssertNil(plain["MaxRetries"], "unset: an existing job shows no change")
    }

    /// EMR Serverless schedules start the deployed job driver through the scheduler's universal
    /// target, with the scheduler's execution id as the client token (one run per firing).
    func testEMRServerlessScheduleTargetsStartJobRun() throws {
        var emrTarget = target(.emrServerless)
        emrTarget.scheduleRoleArn = "arn:aws:iam::123456789012:role/scheduler"
        emrTarget.pauseSchedules = false
        var scheduled = job
        scheduled.schedule = JobSchedule(cron: "0 3 * * ? *", timezone: "UTC", arguments: ["as_of": "today"], paused: nil)
        scheduled.notify = JobNotify(on: ["failed", "stopped"], snsTopic: "arn:aws:sns:eu-west-1:123456789012:alerts")
        let engine = EMRServerlessEngine(client: Fixtures.client(ScriptedTransport([])), target: emrTarget)
        let definition = engine.desiredDefinition(
            name: "p-prod-sales_etl", job: scheduled, artifact: ArtifactURLs(entryPoint: "s3://b/main.py", codeZip: "s3://b/code.zip", config: ""), digest: "d")
        let automation = Automation(target: emrTarget, client: nil).desired(job: scheduled, name: "p-prod-sales_etl", engineDefinition: definition)
        let schedule = try XCTUnwrap(automation["Schedule"])
        XCTAssertEqual(schedule["Target"]?.stringValue, "arn:aws:scheduler:::aws-sdk:emrserverless:startJobRun")
        XCTAssertEqual(schedule["State"]?.stringValue, "ENABLED")
        let input = try XCTUnwrap(JSONSerialization.jsonObject(with: Data((schedule["Input"]?.stringValue ?? "").utf8)) as? [String: Any])
        XCTAssertEqual(input["clientToken"] as? String, "<aws.scheduler.execution-id>")
        XCTAssertEqual(input["applicationId"] as? String, "00app")
        XCTAssertNil(input["artifact"])
        let submit = try XCTUnwrap((input["jobDriver"] as? [String: Any])?["sparkSubmit"] as? [String: Any])
        XCTAssertEqual(submit["entryPointArguments"] as? [String], ["--as_of", "today"])
        let pattern = try XCTUnwrap(JSONSerialization.jsonObject(with: Data((automation["Alerts"]?["Pattern"]?.stringValue ?? "").utf8)) as? [String: Any])
        XCTAssertEqual(pattern["source"] as? [String], ["aws.emr-serverless"])
        XCTAssertEqual((pattern["detail"] as? [String: Any])?["state"] as? [String], ["CANCELLED", "FAILED"])
        XCTAssertEqual(Automation.resourceName(String(repeating: "x", count: 80)).count, 64)
    }
}
