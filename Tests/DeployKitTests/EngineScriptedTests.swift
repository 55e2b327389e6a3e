import AWSCore
import AWSTestSupport
import Foundation
import SigV4
import XCTest

@testable import DeployKit

/// What moto cannot do (Glue UpdateJob, FAILED and unknown run states, EMR Serverless run
/// payloads), scripted with the response shapes of AWS's API models (botocore's JSON models).
final class EngineScriptedTests: XCTestCase {
    let target = Target(
        name: "dev", engine: GlueConfiguration(roleArn: "arn:aws:iam::123456789012:role/glue-job"), region: "eu-west-1", accountIds: [],
        artifacts: .s3(bucket: "b", prefix: "p"),
        roleArn: "arn:aws:iam::123456789012:role/glue-job", tags: ["team": "data"],
        settings: EngineSettings(version: "5.0", workerType: "G.1X", numberOfWorkers: 2, timeoutMinutes: 60, maxConcurrentRuns: 1))
    let job = Job(name: "sales_etl", source: "/src", entryPoint: "main.py", config: "/src/config.yml", arguments: ["--as_of": "2024-01-31"], engines: [:])
    let urls = ArtifactURLs(
        entryPoint: "s3://b/p/artifacts/sales_etl/d2/main.py", codeZip: "s3://b/p/artifacts/sales_etl/d2/code.zip",
        config: "s3://b/p/artifacts/sales_etl/d2/config.yml")

    /// A GetJob answer as the Glue model (Job shape) documents it, with fields deployer does not manage.
    nonisolated(unsafe) static let liveJob: [String: Any] = [
        "Name": "carsales-dev-sales_etl", "Description": "old", "Role": "arn:aws:iam::123456789012:role/glue-job",
        "CreatedOn": 1_700_000_000.5, "LastModifiedOn": 1_700_000_100.25,
        "ExecutionProperty": ["MaxConcurrentRuns": 1],
        "Command": ["Name": "glueetl", "ScriptLocation": "s3://b/p/artifacts/sales_etl/d1/main.py", "PythonVersion": "3"],
        "DefaultArguments": ["--extra-py-files": "s3://b/p/artifacts/sales_etl/d1/code.zip", "--as_of": "2023-12-31", "--TempDir": "s3://tmp/"],
        "Connections": ["Connections": ["aurora-jdbc"]], "MaxRetries": 2, "AllocatedCapacity": 2, "Timeout": 60, "MaxCapacity": 2.0,
        "WorkerType": "G.1X", "NumberOfWorkers": 2, "GlueVersion": "5.0", "SecurityConfiguration": "kms-at-rest",
    ]

    func json(_ object: Any) -> HTTPResponse {
        HTTPResponse(
            status: 200, headers: [HTTPHeader("Content-Type", "application/x-amz-json-1.1")],
            body: Array((try? JSONSerialization.data(withJSONObject: object)) ?? Data()))
    }

    /// GetLogEvents as the CloudWatch Logs model documents it: events plus nextForwardToken,
    /// the same token again with no events at the end of the stream.
    func testGlueLogsPageThroughCloudWatchAndFollowFromTheForwardToken() async throws {
        final class Stream: @unchecked Sendable {
            let lock = NSLock()
            var pages: [String: ([String], String)] = ["": (["l1", "l2"], "f/1"), "f/1": (["l3"], "f/2"), "f/2": ([], "f/2")]
        }
        let stream = Stream()
        let transport = ScriptedTransport { request in
            guard request.header("X-Amz-Target") == "Logs_20140328.GetLogEvents",
                let body = try? JSONSerialization.jsonObject(with: Data(request.bodyText.utf8)) as? [String: Any]
            else {
                return HTTPResponse(status: 400, text: #"{"__type":"InvalidParameterException","message":"unexpected"}"#)
            }
            if body["logStreamName"] as? String == "jr_missing" {
                return HTTPResponse(status: 400, text: #"{"__type":"ResourceNotFoundException","message":"The specified log stream does not exist."}"#)
            }
            let (messages, next) = stream.lock.withLock { stream.pages[body["nextToken"] as? String ?? ""] ?? ([], "f/x") }
            return self.json([
                "events": messages.enumerated().map {
                    ["timestamp": 1_700_000_000_000 + $0.offset, "message": $0.element, "ingestionTime": 1_700_000_000_500]
                },
                "nextForwardToken": next, "nextBackwardToken": "b/0",
            ])
        }
        let engine = GlueEngine(client: Fixtures.client(transport, region: "eu-west-1"), target: target)
        let first = try await engine.logs(name: "carsales-dev-sales_etl", definition: .object([:]), runId: "jr_1", stderr: false, after: LogCursor())
        XCTAssertEqual(first.lines, ["l1", "l2", "l3"])
        XCTAssertEqual(first.cursor, LogCursor(lines: 3, token: "f/2"))
        let tokens = {
            transport.requests.map { (try? JSONSerialization.jsonObject(with: Data($0.bodyText.utf8)) as? [String: Any])?["nextToken"] as? String ?? "-" }
        }
        XCTAssertEqual(tokens(), ["-", "f/1", "f/2"])
        XCTAssertEqual(
            (try JSONSerialization.jsonObject(with: Data(transport.requests[0].bodyText.utf8)) as? [String: Any])?["logGroupName"] as? String,
            "/aws-glue/jobs/output")

        // The run writes more; following asks from the last forward token, not from the head.
        stream.lock.withLock {
            stream.pages["f/2"] = (["l4"], "f/3")
            stream.pages["f/3"] = ([], "f/3")
        }
        let second = try await engine.logs(name: "carsales-dev-sales_etl", definition: .object([:]), runId: "jr_1", stderr: false, after: first.cursor)
        XCTAssertEqual(second.lines, ["l4"])
        XCTAssertEqual(second.cursor, LogCursor(lines: 4, token: "f/3"))
        XCTAssertEqual(Array(tokens().dropFirst(3)), ["f/2", "f/3"])
        let idle = try await engine.logs(name: "carsales-dev-sales_etl", definition: .object([:]), runId: "jr_1", stderr: false, after: second.cursor)
        XCTAssertEqual(idle.lines, [])
        XCTAssertEqual(idle.cursor, second.cursor)

        let missing = try await engine.logs(name: "carsales-dev-sales_etl", definition: .object([:]), runId: "jr_missing", stderr: true, after: LogCursor())
        XCTAssertEqual(missing.lines, [], "no stream yet: nothing written")
        XCTAssertEqual(missing.cursor, LogCursor())
        let all = try await engine.logs(name: "carsales-dev-sales_etl", definition: .object([:]), runId: "jr_1", stderr: false)
        XCTAssertEqual(all, ["l1", "l2", "l3", "l4"])
    }

    func testGlueUpdateSendsTheFullMergedDefinition() async throws {
        let transport = ScriptedTransport { request in
            switch request.header("X-Amz-Target") {
            case "AWSGlue.GetJob": return self.json(["Job": Self.liveJob])
            case "AWSGlue.UpdateJob": return self.json(["JobName": "carsales-dev-sales_etl"])
            default: return HTTPResponse(status: 400, text: #"{"__type":"InvalidInputException","message":"unexpected"}"#)
            }
        }
        let engine = GlueEngine(client: Fixtures.client(transport, region: "eu-west-1"), target: target)
        let desired = engine.desiredDefinition(name: "carsales-dev-sales_etl", job: job, artifact: urls, digest: "d2")
        let live = try await engine.liveDefinition(name: "carsales-dev-sales_etl", recorded: nil)
        let changes = Plan.diff(live: live, desired: desired).map(\.field)
        XCTAssertTrue(changes.contains("Command.ScriptLocation"))
        XCTAssertTrue(changes.contains("DefaultArguments.--TempDir"), "an argument only the live job has shows as removed")
        try await engine.apply(name: "carsales-dev-sales_etl", desired: desired, live: live)
        let update = try XCTUnwrap(transport.requests.last { $0.header("X-Amz-Target") == "AWSGlue.UpdateJob" })
        let body = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(update.bodyText.utf8)) as? [String: Any])
        XCTAssertEqual(body["JobName"] as? String, "carsales-dev-sales_etl")
        let jobUpdate = try XCTUnwrap(body["JobUpdate"] as? [String: Any])
        // Kept from the live job (UpdateJob would reset them if omitted):
        XCTAssertEqual(jobUpdate["MaxRetries"] as? Int, 2)
        XCTAssertEqual((jobUpdate["Connections"] as? [String: Any])?["Connections"] as? [String], ["aurora-jdbc"])
        XCTAssertEqual(jobUpdate["SecurityConfiguration"] as? String, "kms-at-rest")
        // Never sent: read-only fields and the capacity fields that conflict with WorkerType.
        for field in ["Name", "CreatedOn", "LastModifiedOn", "AllocatedCapacity", "MaxCapacity"] { XCTAssertNil(jobUpdate[field], field) }
        XCTAssertEqual((jobUpdate["Command"] as? [String: Any])?["ScriptLocation"] as? String, urls.entryPoint)
        let arguments = try XCTUnwrap(jobUpdate["DefaultArguments"] as? [String: String])
        XCTAssertEqual(arguments["--extra-py-files"], urls.codeZip)
        XCTAssertEqual(arguments["--as_of"], "2024-01-31")
        XCTAssertEqual(arguments["--deployer-artifact"], "d2")
        XCTAssertEqual(update.host, "glue.eu-west-1.amazonaws.com")
        XCTAssertTrue(update.header("Authorization")?.contains("/eu-west-1/glue/aws4_request") ?? false)
    }

    /// Real Glue answers a repeated CreateJob with AlreadyExistsException (moto accepts it):
    /// the first CreateJob landed, its answer was lost, the retry meets our own job. Apply then
    /// converges by updating that job instead of failing.
    func testGlueCreateJobThatMeetsItsOwnLostCreationUpdatesIt() async throws {
        final class Calls: @unchecked Sendable {
            let lock = NSLock()
            var creates = 0
        }
        let calls = Calls()
        let transport = ScriptedTransport { request in
            switch request.header("X-Amz-Target") {
            case "AWSGlue.CreateJob":
                let first: Bool = calls.lock.withLock {
                    calls.creates += 1
                    return calls.creates == 1
                }
                // The first answer is "lost": a 500 makes the client retry, as a cut answer would.
                if first { return HTTPResponse(status: 500, text: #"{"__type":"InternalServiceException","message":"injected"}"#) }
                return HTTPResponse(status: 400, text: #"{"__type":"AlreadyExistsException","message":"Job with name carsales-dev-sales_etl already exists."}"#)
            case "AWSGlue.GetJob": return self.json(["Job": Self.liveJob])
            case "AWSGlue.UpdateJob": return self.json(["JobName": "carsales-dev-sales_etl"])
            default: return HTTPResponse(status: 400, text: #"{"__type":"InvalidInputException","message":"unexpected"}"#)
            }
        }
        let engine = GlueEngine(client: Fixtures.client(transport, region: "eu-west-1"), target: target)
        let desired = engine.desiredDefinition(name: "carsales-dev-sales_etl", job: job, artifact: urls, digest: "d2")
        try await engine.apply(name: "carsales-dev-sales_etl", desired: desired, live: nil)
        let targets = transport.requests.compactMap { $0.header("X-Amz-Target") }
        XCTAssertEqual(targets, ["AWSGlue.CreateJob", "AWSGlue.CreateJob", "AWSGlue.GetJob", "AWSGlue.UpdateJob"])
        let update = try XCTUnwrap(transport.requests.last)
        let body = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(update.bodyText.utf8)) as? [String: Any])
        XCTAssertEqual(((body["JobUpdate"] as? [String: Any])?["DefaultArguments"] as? [String: String])?["--deployer-artifact"], "d2")
    }

    func testGlueCreateTagsAndRunStates() async throws {
        let transport = ScriptedTransport { request in
            switch request.header("X-Amz-Target") {
            case "AWSGlue.CreateJob": return self.json(["Name": "carsales-dev-sales_etl"])
            case "AWSGlue.GetJobRun":
                return self.json([
                    "JobRun": [
                        "Id": "jr_1", "JobName": "carsales-dev-sales_etl", "JobRunState": "FAILED", "StartedOn": 1_700_000_000.0,
                        "CompletedOn": 1_700_000_300.0, "ErrorMessage": "AnalysisException: Path does not exist: s3://lake/raw/accounts.csv",
                        "ExecutionTime": 280,
                    ]
                ])
            default: return HTTPResponse(status: 400, text: #"{"__type":"InvalidInputException","message":"unexpected"}"#)
            }
        }
        let engine = GlueEngine(client: Fixtures.client(transport), target: target)
        let desired = engine.desiredDefinition(name: "carsales-dev-sales_etl", job: job, artifact: urls, digest: "d2")
        try await engine.apply(name: "carsales-dev-sales_etl", desired: desired, live: nil)
        let create = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(transport.requests[0].bodyText.utf8)) as? [String: Any])
        XCTAssertEqual(create["Name"] as? String, "carsales-dev-sales_etl")
        XCTAssertEqual(create["Tags"] as? [String: String], ["team": "data", "managed-by": "deployer"])
        let run = try await engine.describe(name: "carsales-dev-sales_etl", definition: desired, runId: "jr_1")
        XCTAssertEqual(run.state, .failed)
        XCTAssertEqual(run.durationSeconds, 300)
        XCTAssertEqual(run.error, "AnalysisException: Path does not exist: s3://lake/raw/accounts.csv")
        XCTAssertEqual(GlueEngine.state("STOPPED"), .cancelled)
        XCTAssertEqual(GlueEngine.state("TIMEOUT"), .timedOut)
        XCTAssertEqual(GlueEngine.state("SOMETHING_NEW"), .unknown)
        XCTAssertFalse(RunState.unknown.isTerminal)
    }

    func testEMRServerlessStartJobRunPayload() async throws {
        let transport = ScriptedTransport { request in
            if request.method == "POST", request.path == "/applications/00fabc123/jobruns" {
                return self.json([
                    "applicationId": "00fabc123", "jobRunId": "00run999",
                    "arn": "arn:aws:emr-serverless:us-east-1:123456789012:/applications/00fabc123/jobruns/00run999",
                ])
            }
            return HTTPResponse(status: 404, headers: [HTTPHeader("x-amzn-ErrorType", "ResourceNotFoundException")], text: #"{"message":"nope"}"#)
        }
        var emrTarget = target
        emrTarget.engineConfiguration = EMRServerlessConfiguration(
            applicationId: "00fabc123", executionRoleArn: "arn:aws:iam::123456789012:role/emr-job", logURI: "s3://logs/emr/")
        let engine = EMRServerlessEngine(client: Fixtures.client(transport), target: emrTarget)
        let definition = engine.desiredDefinition(name: "carsales-prod-sales_etl", job: job, artifact: urls, digest: "d2")
        let request = RunRequest(
            arguments: ["as_of": "2024-02-29"], clientToken: "token-123",
            metadata: RunMetadata(idempotencyKey: "token-123", artifact: "d2", deployment: "20240131T000000Z-abcd", arguments: ["as_of": "2024-02-29"]),
            timeoutMinutes: 42)
        let runId = try await engine.start(name: "carsales-prod-sales_etl", definition: definition, request: request)
        XCTAssertEqual(runId, "00run999")
        let body = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(transport.requests[0].bodyText.utf8)) as? [String: Any])
        XCTAssertEqual(body["clientToken"] as? String, "token-123")
        // Run metadata as tags (the API's StartJobRun `tags` map), the cost limit as executionTimeoutMinutes.
        // The run's own arguments are not copied into a tag (TagValue allows no JSON): the tag
        // names where they start in entryPointArguments (after the template's two).
        let tags = try XCTUnwrap(body["tags"] as? [String: String])
        XCTAssertEqual(
            tags,
            [
                "managed-by": "deployer", "deployer-run-key": "token-123", "deployer-artifact": "d2",
                "deployer-deployment": "20240131T000000Z-abcd", "deployer-arguments-from": "2",
            ])
        let tagValue = try NSRegularExpression(pattern: "^[A-Za-z0-9 /_.:=+@-]{0,256}$")
        for (key, value) in tags {
            XCTAssertNotNil(tagValue.firstMatch(in: value, range: NSRange(value.startIndex..., in: value)), "tag \(key)=\(value) breaks the model's TagValue")
        }
        XCTAssertEqual(body["executionTimeoutMinutes"] as? Int, 42)
        let sentArguments = (((body["jobDriver"] as? [String: Any])?["sparkSubmit"]) as? [String: Any])?["entryPointArguments"] as? [String]
        XCTAssertEqual(EMRServerlessEngine.metadata(tags: tags, entryPointArguments: sentArguments), request.metadata)
        // A JSON value with spaces and quotes, and an argument of 300 characters, still come back whole.
        let long = String(repeating: "x", count: 300)
        let wide = RunMetadata(idempotencyKey: "k", arguments: ["note": #"{"a": "b c"}"#, "long": long])
        let wideTags = EMRServerlessEngine.tags(wide, argumentsFrom: 2)
        XCTAssertEqual(wideTags["deployer-arguments-from"], "2")
        XCTAssertEqual(
            EMRServerlessEngine.metadata(tags: wideTags, entryPointArguments: ["--as_of", "2024-01-31", "--long", long, "--note", #"{"a": "b c"}"#])?.arguments,
            wide.arguments)
        // An index beyond the list is not trusted.
        XCTAssertEqual(
            EMRServerlessEngine.metadata(tags: ["deployer-run-key": "k", "deployer-arguments-from": "9"], entryPointArguments: ["--a", "b"])?.arguments, [:])
        XCTAssertEqual(body["executionRoleArn"] as? String, "arn:aws:iam::123456789012:role/emr-job")
        XCTAssertNil(body["applicationId"], "the application id goes in the path")
        let submit = try XCTUnwrap(((body["jobDriver"] as? [String: Any])?["sparkSubmit"]) as? [String: Any])
        XCTAssertEqual(submit["entryPoint"] as? String, urls.entryPoint)
        XCTAssertEqual(submit["entryPointArguments"] as? [String], ["--as_of", "2024-01-31", "--as_of", "2024-02-29"])
        XCTAssertEqual(submit["sparkSubmitParameters"] as? String, "--py-files \(urls.codeZip)")
        XCTAssertEqual(
            ((body["configurationOverrides"] as? [String: Any])?["monitoringConfiguration"] as? [String: Any])?["s3MonitoringConfiguration"]
                as? [String: String], ["logUri": "s3://logs/emr/"])
        XCTAssertEqual(transport.requests[0].header("Content-Type"), "application/json")
        // The schedule's Input is the same call: no deployer-only keys in it either.
        var withBundle = definition
        if case .object(var fields) = withBundle {
            fields["dependencies"] = .string("b1")
            withBundle = .object(fields)
        }
        let scheduled = try XCTUnwrap(
            EMRServerlessPlugin().scheduledStart(name: "carsales-prod-sales_etl", engineDefinition: withBundle, arguments: ["as_of": "x"], target: emrTarget))
        let input = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(scheduled.input.utf8)) as? [String: Any])
        XCTAssertNil(input["dependencies"])
        XCTAssertNil(input["artifact"])
        XCTAssertEqual(input["applicationId"] as? String, "00fabc123", "the scheduler's call names the application in its body")
        XCTAssertEqual(EMRServerlessEngine.state("SUCCESS"), .succeeded)
        XCTAssertEqual(EMRServerlessEngine.state("CANCELLED"), .cancelled)
        XCTAssertEqual(EMRServerlessEngine.state("QUEUED"), .pending)
    }

    /// EMR Serverless refuses an empty or blank entry-point argument (EntryPointArgument `.*\S.*`,
    /// min 1): refused before anything starts, the key named and the value not; Glue takes them.
    func testEMRServerlessRefusesBlankArgumentsNamingTheKey() throws {
        var emrTarget = target
        emrTarget.engineConfiguration = EMRServerlessConfiguration(
            applicationId: "00fabc123", executionRoleArn: "arn:aws:iam::123456789012:role/emr-job", logURI: nil)
        let engine = EMRServerlessEngine(client: Fixtures.client(ScriptedTransport([])), target: emrTarget)
        for blank in ["", " ", "\t"] {
            XCTAssertThrowsError(try engine.checkArguments(["--as_of": "2024-01-31", "--note": blank], source: "--arg")) { error in
                XCTAssertEqual(
                    "\(error)",
                    "--arg --note: EMR Serverless refuses an empty or blank argument value (entryPointArguments need a non-space character): give a value or leave the argument out"
                )
            }
        }
        XCTAssertNoThrow(try engine.checkArguments(["--note": " a "], source: "--arg"))
        XCTAssertThrowsError(try engine.checkArguments(["--big": String(repeating: "x", count: 10_281)], source: "jobs.etl.arguments"))
        let glue = GlueEngine(client: Fixtures.client(ScriptedTransport([])), target: target)
        XCTAssertNoThrow(try glue.checkArguments(["--note": ""], source: "--arg"), "Glue's Arguments take empty values")
    }

    func testEMRStepUsesCommandRunnerSparkSubmit() async throws {
        let transport = ScriptedTransport { request in
            switch request.header("X-Amz-Target") {
            case "ElasticMapReduce.AddJobFlowSteps": return self.json(["StepIds": ["s-1ABC"]])
            case "ElasticMapReduce.DescribeStep":
                return self.json([
                    "Step": [
                        "Id": "s-1ABC", "Name": "carsales-onprem-sales_etl",
                        "Status": [
                            "State": "FAILED",
                            "FailureDetails": [
                                "Reason": "Unknown Error.", "Message": "Exception in thread main", "LogFile": "s3://logs/j-ABC123/steps/s-1ABC/",
                            ],
                            "Timeline": ["CreationDateTime": 1_700_000_000.0, "StartDateTime": 1_700_000_010.0, "EndDateTime": 1_700_000_070.0],
                        ],
                    ]
                ])
            default: return HTTPResponse(status: 400, text: #"{"__type":"InvalidRequestException","message":"unexpected"}"#)
            }
        }
        var emrTarget = target
        emrTarget.engineConfiguration = EMRConfiguration(clusterId: "j-ABC123", logURI: "s3://logs/emr/")
        let engine = EMRStepEngine(client: Fixtures.client(transport), target: emrTarget)
        let definition = engine.desiredDefinition(name: "carsales-onprem-sales_etl", job: job, artifact: urls, digest: "d2")
        let stepId = try await engine.start(name: "carsales-onprem-sales_etl", definition: definition, request: RunRequest(clientToken: "t"))
        XCTAssertEqual(stepId, "s-1ABC")
        let body = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(transport.requests[0].bodyText.utf8)) as? [String: Any])
        XCTAssertEqual(body["JobFlowId"] as? String, "j-ABC123")
        let step = try XCTUnwrap((body["Steps"] as? [[String: Any]])?.first)
        let jar = try XCTUnwrap(step["HadoopJarStep"] as? [String: Any])
        XCTAssertEqual(jar["Jar"] as? String, "command-runner.jar")
        XCTAssertEqual(
            jar["Args"] as? [String], ["spark-submit", "--deploy-mode", "cluster", "--py-files", urls.codeZip, urls.entryPoint, "--as_of", "2024-01-31"])
        let info = try await engine.describe(name: "carsales-onprem-sales_etl", definition: definition, runId: "s-1ABC")
        XCTAssertEqual(info.state, .failed)
        XCTAssertEqual(info.error, "Exception in thread main")
        XCTAssertEqual(info.durationSeconds, 60)
    }
}
