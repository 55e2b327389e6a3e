import AWSTestSupport
import Foundation
import SigV4
import XCTest

@testable import AWSCore

/// The typed shapes of the service clients against answers shaped like botocore's models:
/// requests encode to the model's member names, answers decode (epoch and ISO timestamps),
/// and an answer of the wrong shape is a `MalformedResponse` naming the field, not its value.
final class ServiceShapeTests: XCTestCase {
    func json(_ text: String) -> HTTPResponse {
        HTTPResponse(status: 200, headers: [HTTPHeader("Content-Type", "application/x-amz-json-1.1")], text: text)
    }

    func body(_ request: HTTPRequest) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(request.bodyText.utf8)) as? [String: Any]) ?? [:]
    }

    func testGlueRunRequestsAndAnswers() async throws {
        let transport = ScriptedTransport { request in
            switch request.headers.first(where: { $0.name.lowercased() == "x-amz-target" })?.value {
            case "AWSGlue.StartJobRun":
                return self.json(#"{"JobRunId":"jr_1"}"#)
            case "AWSGlue.GetJobRun":
                return self.json(
                    #"""
                    {"JobRun":{"Id":"jr_1","JobRunState":"SUCCEEDED","StartedOn":1700000000.5,"CompletedOn":"2023-11-14T22:28:20Z","ExecutionTime":900,
                     "Arguments":{"--as_of":"2024-01-31"},"DPUSeconds":36000.0,"WorkerType":"G.2X","NumberOfWorkers":10,"ExecutionClass":"FLEX","Unmodelled":[1,2]}}
                    """#)
            default:
                return self.json(#"{"JobRuns":[{"Id":"jr_2"}]}"#)
            }
        }
        let glue = GlueClient(client: Fixtures.client(transport))
        let id = try await glue.startJobRun(name: "job", arguments: ["--x": "1"], timeoutMinutes: 30)
        XCTAssertEqual(id, "jr_1")
        let start = body(transport.requests[0])
        XCTAssertEqual(start["JobName"] as? String, "job")
        XCTAssertEqual(start["Arguments"] as? [String: String], ["--x": "1"])
        XCTAssertEqual(start["Timeout"] as? Int, 30)

        let run = try await glue.getJobRun(name: "job", runId: "jr_1")
        XCTAssertEqual(body(transport.requests[1])["PredecessorsIncluded"] as? Bool, false)
        XCTAssertEqual(run.jobRunState, "SUCCEEDED")
        XCTAssertEqual(run.startedOn, Date(timeIntervalSince1970: 1_700_000_000.5))
        XCTAssertEqual(run.completedOn, Date(timeIntervalSince1970: 1_700_000_900))
        XCTAssertEqual(run.executionTime, 900)
        XCTAssertEqual(run.dpuSeconds, 36000)
        XCTAssertEqual(run.numberOfWorkers, 10)
        XCTAssertEqual(run.arguments, ["--as_of": "2024-01-31"])

        let runs = try await glue.getJobRuns(name: "job", maxResults: 5)
        XCTAssertEqual(runs, [GlueClient.JobRun(id: "jr_2", jobRunState: nil)])
        XCTAssertEqual(body(transport.requests[2])["MaxResults"] as? Int, 5)
    }

    func testAnAnswerOfTheWrongShapeNamesTheFieldAndNotTheValue() async throws {
        let cases: [(String, String)] = [
            (#"{"JobRun":{"Id":"jr_1","JobRunState":["AKIAIOSFODNN7EXAMPLE"]}}"#, "JobRun.JobRunState is not a String"),
            (#"{"JobRun":{"Id":"jr_1","Arguments":{"--x":7}}}"#, "JobRun.Arguments.--x is not a String"),
            (#"{"Other":1}"#, "the answer has no JobRun"),
            (#"{"JobRun":{"Id":"jr_1","StartedOn":"yesterday AKIAIOSFODNN7EXAMPLE"}}"#, "JobRun.StartedOn is not valid"),
            ("<html>AKIAIOSFODNN7EXAMPLE</html>", "the answer is not JSON"),
        ]
        for (answer, expected) in cases {
            let glue = GlueClient(client: Fixtures.client(ScriptedTransport { _ in self.json(answer) }))
            do {
                _ = try await glue.getJobRun(name: "job", runId: "jr_1")
                XCTFail("\(answer) was accepted")
            } catch let error as AWSError {
                XCTAssertEqual(error.code, "MalformedResponse")
                XCTAssertEqual(error.message, expected)
                XCTAssertFalse("\(error)".contains("AKIA"), "\(error)")
            }
        }
    }

    func testEMRServerlessSchedulerAndEventsShapes() async throws {
        let transport = ScriptedTransport { request in
            if request.path.hasSuffix("/jobruns/00r1") {
                return HTTPResponse(
                    status: 200,
                    text: #"""
                        {"jobRun":{"applicationId":"00app","jobRunId":"00r1","name":"p-dev-job","state":"FAILED","stateDetails":"OOM","createdAt":1700000000,
                         "updatedAt":1700000600,"tags":{"deployer-run-key":"k"},"billedResourceUtilization":{"vCPUHour":12.5,"memoryGBHour":50,"storageGBHour":0},
                         "jobDriver":{"sparkSubmit":{"entryPoint":"s3://b/main.py","entryPointArguments":["--as_of","2024-01-31"]}},
                         "configurationOverrides":{"monitoringConfiguration":{"s3MonitoringConfiguration":{"logUri":"s3://logs/"}}},"retryPolicy":{"maxAttempts":2}}}
                        """#)
            }
            if request.path.hasPrefix("/schedules/") {
                if request.method == "GET" {
                    return HTTPResponse(
                        status: 200,
                        text: #"{"ScheduleExpression":"cron(0 3 * * ? *)","State":"DISABLED","Target":{"Arn":"arn:x","RoleArn":"arn:r","Input":"{}"}}"#)
                }
                return HTTPResponse(status: 200, text: #"{"ScheduleArn":"arn:aws:scheduler:eu-west-1:123456789012:schedule/default/s"}"#)
            }
            return self.json(#"{"FailedEntryCount":1,"FailedEntries":[{"TargetId":"sns","ErrorCode":"AccessDenied","ErrorMessage":"no"}]}"#)
        }
        let client = Fixtures.client(transport)
        let run = try await EMRServerlessClient(client: client).getJobRun(applicationId: "00app", runId: "00r1")
        XCTAssertEqual(run.runId, "00r1")
        XCTAssertEqual(run.billedResourceUtilization?.vCPUHour, 12.5)
        XCTAssertEqual(run.jobDriver?.sparkSubmit?.entryPointArguments, ["--as_of", "2024-01-31"])
        XCTAssertEqual(run.configurationOverrides?.monitoringConfiguration?.s3MonitoringConfiguration?.logUri, "s3://logs/")
        XCTAssertEqual(run.retryPolicy?.maxAttempts, 2)

        let scheduler = SchedulerClient(client: client)
        let schedule = try await scheduler.getSchedule(name: "s")
        XCTAssertEqual(schedule?.target, SchedulerClient.Target(arn: "arn:x", roleArn: "arn:r", input: "{}"))
        try await scheduler.putSchedule(name: "s", schedule: try XCTUnwrap(schedule), description: "d", exists: false)
        let put = body(transport.requests.last!)
        XCTAssertEqual(put["ScheduleExpressionTimezone"] as? String, "UTC")
        XCTAssertEqual(put["FlexibleTimeWindow"] as? [String: String], ["Mode": "OFF"])
        XCTAssertEqual((put["Target"] as? [String: String])?["RoleArn"], "arn:r")
        XCTAssertNotNil(put["ClientToken"] as? String)

        let events = EventsClient(client: client)
        do {
            try await events.putTargets(
                rule: "r",
                targets: [
                    EventsClient.Target(
                        id: "sns", arn: "arn:t",
                        inputTransformer: EventsClient.InputTransformer(inputPathsMap: ["j": "$.detail.jobName"], inputTemplate: "\"<j>\""))
                ])
            XCTFail("a refused target is an error")
        } catch let error as AWSError {
            XCTAssertEqual(error.code, "AccessDenied")
        }
        let sent = body(transport.requests.last!)
        let target = try XCTUnwrap((sent["Targets"] as? [[String: Any]])?.first)
        XCTAssertEqual((target["InputTransformer"] as? [String: Any])?["InputTemplate"] as? String, "\"<j>\"")
        XCTAssertEqual(target["Id"] as? String, "sns")
    }

    /// Callers branch on typed codes, not on strings they spell themselves.
    func testErrorCodesAreTyped() {
        func error(_ status: Int, _ code: String) -> AWSError { AWSError(service: "s", operation: "o", status: status, code: code, message: "m") }
        XCTAssertTrue(error(400, "EntityNotFoundException").isNotFound)
        XCTAssertTrue(error(400, "ResourceNotFoundException").isNotFound)
        XCTAssertTrue(error(404, "Whatever").isNotFound)
        XCTAssertFalse(error(400, "InvalidRequestException").isNotFound)
        XCTAssertTrue(error(400, "AlreadyExistsException").isAlreadyExists)
        XCTAssertTrue(error(409, "ConflictException").isAlreadyExists)
        XCTAssertFalse(error(400, "ValidationException").isAlreadyExists)
        XCTAssertTrue(error(412, "PreconditionFailed").isPreconditionFailed)
        XCTAssertTrue(error(409, "ConditionalRequestConflict").isPreconditionFailed)
        XCTAssertFalse(error(409, "BucketAlreadyExists").isPreconditionFailed)
        XCTAssertTrue(error(400, "ThrottlingException").isThrottling)
    }

    /// A ranged read gets exactly the bytes asked for: a server that ignores Range is cut to
    /// them; an answer of another length is a MalformedResponse naming the key, not the bytes.
    func testRangedReadsAreExactOrRefused() async throws {
        let whole = Array("0123456789".utf8)
        let answers: [HTTPResponse] = [
            HTTPResponse(status: 206, body: Array(whole[2...6])),
            HTTPResponse(status: 200, body: whole),
            HTTPResponse(status: 206, body: Array(whole[2...4])),
            HTTPResponse(status: 200, body: Array(whole[0...3])),
        ]
        let transport = ScriptedTransport(answers.map { .respond($0) })
        let s3 = S3Client(client: Fixtures.client(transport))
        let exact = try await s3.getObjectRange(bucket: "b", key: "k", first: 2, last: 6)
        XCTAssertEqual(exact, Array(whole[2...6]))
        XCTAssertEqual(transport.requests.first?.headers.first { $0.name == "Range" }?.value, "bytes=2-6")
        let cut = try await s3.getObjectRange(bucket: "b", key: "k", first: 2, last: 6)
        XCTAssertEqual(cut, Array(whole[2...6]))
        for _ in 0..<2 {
            do {
                _ = try await s3.getObjectRange(bucket: "b", key: "k", first: 2, last: 6)
                XCTFail("a short answer was accepted")
            } catch let error as AWSError {
                XCTAssertEqual(error.code, "MalformedResponse")
                XCTAssertTrue(error.message.hasPrefix("asked for 5 bytes of k, got "), error.message)
            }
        }
    }
}
