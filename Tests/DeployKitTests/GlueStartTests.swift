import AWSCore
import AWSTestSupport
import Foundation
import SigV4
import XCTest

@testable import DeployKit

/// Glue's StartJobRun has no client token: a start whose answer was lost must not start a
/// second run. deployer sends it once per attempt and looks for the run carrying the start's
/// token before trying again.
final class GlueStartTests: XCTestCase {
    let target = Target(
        name: "dev", engine: GlueConfiguration(roleArn: "arn:aws:iam::123456789012:role/glue-job"), region: "us-east-1",
        artifacts: .s3(bucket: "b", prefix: "p"))

    func engine(_ transport: ScriptedTransport) -> GlueEngine {
        GlueEngine(client: Fixtures.client(transport), target: target)
    }

    func operation(_ request: HTTPRequest) -> String { request.header("X-Amz-Target") ?? "" }

    func testALostAnswerFindsTheRunItStartedAndStartsNoOther() async throws {
        let started = Fixtures.start.timeIntervalSince1970
        let transport = ScriptedTransport([
            .fail(TransportError(.reset, "the answer was lost")),
            .respond(
                HTTPResponse(
                    status: 200,
                    text:
                        #"{"JobRuns":[{"Id":"jr_other","StartedOn":\#(started),"JobRunState":"RUNNING","Arguments":{"--deployer-start-token":"someone-else"}},{"Id":"jr_1","StartedOn":\#(started),"JobRunState":"STARTING","Arguments":{"--deployer-start-token":"tok-1","--as_of":"2024-01-31"}}]}"#
                )),
        ])
        let id = try await engine(transport).start(
            name: "p-dev-etl", definition: .object([:]), request: RunRequest(arguments: ["as_of": "2024-01-31"], clientToken: "tok-1"))
        XCTAssertEqual(id, "jr_1")
        XCTAssertEqual(transport.requests.map(operation), ["AWSGlue.StartJobRun", "AWSGlue.GetJobRuns"], "one start, then the look")
        let body = try JSONValue.decode(Array(transport.requests[0].bodyText.utf8))
        XCTAssertEqual(body["Arguments"]?["--deployer-start-token"]?.stringValue, "tok-1")
    }

    func testAFailedStartThatLandedNothingIsTriedAgain() async throws {
        let transport = ScriptedTransport([
            .respond(HTTPResponse(status: 500, text: #"{"__type":"InternalServiceException","message":"boom"}"#)),
            .respond(HTTPResponse(status: 200, text: #"{"JobRuns":[]}"#)),
            .respond(HTTPResponse(status: 200, text: #"{"JobRunId":"jr_2"}"#)),
        ])
        let id = try await engine(transport).start(name: "p-dev-etl", definition: .object([:]), request: RunRequest(clientToken: "tok-2"))
        XCTAssertEqual(id, "jr_2")
        XCTAssertEqual(transport.requests.map(operation), ["AWSGlue.StartJobRun", "AWSGlue.GetJobRuns", "AWSGlue.StartJobRun"])
    }

    func testARefusalIsNotRetriedOrLookedFor() async throws {
        let transport = ScriptedTransport([
            .respond(HTTPResponse(status: 400, text: #"{"__type":"ConcurrentRunsExceededException","message":"too many"}"#))
        ])
        do {
            _ = try await engine(transport).start(name: "p-dev-etl", definition: .object([:]), request: RunRequest(clientToken: "tok-3"))
            XCTFail("a refusal must fail")
        } catch let error as AWSError {
            XCTAssertEqual(error.code, "ConcurrentRunsExceededException")
        }
        XCTAssertEqual(transport.requests.count, 1)
    }
}
