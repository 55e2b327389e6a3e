import AWSTestSupport
import Foundation
import SigV4
import XCTest

@testable import AWSCore

/// Retry, re-signing, clock-skew correction and error decoding through `AWSClient.send`.
final class ClientPipelineTests: XCTestCase {
    func jsonRequest(_ client: AWSClient) throws -> HTTPRequest {
        try client.makeRequest(.glue, method: "POST", headers: [HTTPHeader("X-Amz-Target", "AWSGlue.GetJob")], body: .bytes(Array("{}".utf8)))
    }

    func testRetriesThrottlingAnd5xxThenSucceedsResigningEachAttempt() async throws {
        let transport = ScriptedTransport([
            .respond(
                HTTPResponse(status: 400, headers: [HTTPHeader("x-amzn-RequestId", "r1")], text: #"{"__type":"ThrottlingException","message":"Rate exceeded"}"#)
            ),
            .fail(TransportError(.reset, "connection reset by peer")),
            .respond(HTTPResponse(status: 200, text: "{}")),
        ])
        let clock = TestClock(Fixtures.start)
        let sleeps = SleepRecorder()
        let client = Fixtures.client(
            transport, clock: clock, sleeps: sleeps,
            retry: RetryPolicy(
                maxAttempts: 3,
                random: {
                    clock.advance(61)
                    return 0.5
                }))
        _ = try await client.send(.glue, operation: "GetJob", request: try jsonRequest(client))
        XCTAssertEqual(transport.requests.count, 3)
        XCTAssertEqual(sleeps.durations, [.milliseconds(500), .seconds(1)], "full jitter of min(1s × 2^(n-1), 20s) with random 0.5")
        let dates = transport.requests.compactMap { $0.header("X-Amz-Date") }
        XCTAssertEqual(Set(dates).count, 3, "every attempt is signed again with its own time")
        XCTAssertEqual(Set(transport.requests.compactMap { $0.header("Authorization") }).count, 3)
    }

    func testNonRetryableErrorFailsAtOnceWithDecodedFields() async throws {
        let transport = ScriptedTransport([
            .respond(
                HTTPResponse(
                    status: 400, headers: [HTTPHeader("x-amzn-RequestId", "req-42")],
                    text: #"{"__type":"com.amazonaws.glue#EntityNotFoundException","message":"Job x not found"}"#))
        ])
        let client = Fixtures.client(transport)
        do {
            _ = try await client.send(.glue, operation: "GetJob", request: try jsonRequest(client))
            XCTFail("expected an error")
        } catch let error as AWSError {
            XCTAssertEqual(
                error,
                AWSError(service: "glue", operation: "GetJob", status: 400, code: "EntityNotFoundException", message: "Job x not found", requestId: "req-42"))
        }
        XCTAssertEqual(transport.requests.count, 1)
    }

    func testGivesUpAfterMaxAttempts() async throws {
        let transport = ScriptedTransport(handler: { _ in
            HTTPResponse(status: 503, text: "<Error><Code>SlowDown</Code><Message>Please reduce</Message></Error>")
        })
        let sleeps = SleepRecorder()
        let client = Fixtures.client(transport, sleeps: sleeps, retry: RetryPolicy(maxAttempts: 4, random: { 1.0 }))
        let request = try client.makeRequest(.s3, method: "GET", path: "/b/k")
        do {
            _ = try await client.send(.s3, operation: "GetObject", request: request)
            XCTFail("expected an error")
        } catch let error as AWSError {
            XCTAssertEqual(error.code, "SlowDown")
            XCTAssertEqual(error.status, 503)
        }
        XCTAssertEqual(transport.requests.count, 4)
        XCTAssertEqual(sleeps.durations, [.seconds(1), .seconds(2), .seconds(4)])
    }

    func testRetryQuotaStopsRetriesWhenSpentAndRefillsOnSuccess() async throws {
        let failing = HTTPResponse(status: 503, text: "<Error><Code>SlowDown</Code><Message>Please reduce</Message></Error>")
        let transport = ScriptedTransport([
            // Call 1: two retries take 5 + 5 of the 12 tokens, then it gives up (3 attempts).
            .respond(failing), .respond(failing), .respond(failing),
            // Call 2: 2 tokens left, less than one retry costs: fails after one attempt.
            .respond(failing),
            // Call 3: succeeds at once, puts 1 token back.
            .respond(HTTPResponse(status: 200, text: "")),
        ])
        let quota = RetryQuota(capacity: 12)
        let client = AWSClient(
            configuration: AWSConfiguration(region: "us-east-1", retry: RetryPolicy(maxAttempts: 3, random: { 0 })),
            transport: transport, credentials: StaticCredentialProvider(Fixtures.credentials),
            clock: { Fixtures.start }, sleep: { _ in }, retryQuota: quota)
        let request = try client.makeRequest(.s3, method: "GET", path: "/b/k")
        for expected in [3, 4] {
            do {
                _ = try await client.send(.s3, operation: "GetObject", request: request)
                XCTFail("expected SlowDown")
            } catch let error as AWSError {
                XCTAssertEqual(error.code, "SlowDown")
            }
            XCTAssertEqual(transport.requests.count, expected)
        }
        XCTAssertEqual(quota.available, 2)
        _ = try await client.send(.s3, operation: "GetObject", request: request)
        XCTAssertEqual(quota.available, 3)
        XCTAssertTrue(client.with(region: "eu-west-1").retryQuota === quota, "derived clients share the quota")
    }

    func testRetryQuotaCostsMoreAfterTimeoutsAndRefundsTheLastRetry() async throws {
        let transport = ScriptedTransport([
            .fail(TransportError(.timeout, "read timed out")),
            .fail(TransportError(.reset, "connection reset by peer")),
            .respond(HTTPResponse(status: 200, text: "")),
            .fail(TransportError(.timeout, "read timed out")),
        ])
        let quota = RetryQuota(capacity: 20)
        let client = AWSClient(
            configuration: AWSConfiguration(region: "us-east-1", retry: RetryPolicy(maxAttempts: 3, random: { 0 })),
            transport: transport, credentials: StaticCredentialProvider(Fixtures.credentials),
            clock: { Fixtures.start }, sleep: { _ in }, retryQuota: quota)
        let request = try client.makeRequest(.s3, method: "GET", path: "/b/k")
        _ = try await client.send(.s3, operation: "GetObject", request: request)
        // 20 - 10 (retry after the timeout) - 5 (retry after the reset) + 5 (the last retry's cost back).
        XCTAssertEqual(quota.available, 10)
        let spent = RetryQuota(capacity: 9)
        let starved = AWSClient(
            configuration: client.configuration, transport: transport, credentials: client.credentials,
            clock: { Fixtures.start }, sleep: { _ in }, retryQuota: spent)
        do {
            _ = try await starved.send(.s3, operation: "GetObject", request: request)
            XCTFail("expected a transport error")
        } catch let error as AWSError {
            XCTAssertEqual(error.code, "TransportError")
            XCTAssertTrue(error.message.contains("retry quota is spent"), error.message)
            // No answer, no status: not "HTTP 0 TransportError".
            XCTAssertTrue("\(error)".hasPrefix("s3 GetObject failed: no answer (timeout): "), "\(error)")
            XCTAssertFalse("\(error)".contains("HTTP 0"), "\(error)")
        }
        XCTAssertEqual(transport.requests.count, 4, "a timeout retry costs 10: with 9 tokens it is not retried")
    }

    func testARefusedProxyLoginIsNotRetried() async throws {
        let transport = ScriptedTransport([
            .fail(TransportError(.proxy, "the proxy in HTTPS_PROXY refused the login")), .respond(HTTPResponse(status: 200, text: "")),
        ])
        let client = Fixtures.client(transport)
        do {
            _ = try await client.send(.s3, operation: "GetObject", request: try client.makeRequest(.s3, method: "GET", path: "/b/k"))
            XCTFail("expected the proxy error")
        } catch let error as AWSError {
            XCTAssertTrue(error.message.contains("refused the login") && error.message.contains("after 1 attempt"), error.message)
        }
        XCTAssertEqual(transport.requests.count, 1)
    }

    func testBackoffIsCappedAt20Seconds() {
        let policy = RetryPolicy(maxAttempts: 10, random: { 1.0 })
        XCTAssertEqual(policy.delay(afterAttempt: 1), .seconds(1))
        XCTAssertEqual(policy.delay(afterAttempt: 5), .seconds(16))
        XCTAssertEqual(policy.delay(afterAttempt: 6), .seconds(20))
        XCTAssertEqual(policy.delay(afterAttempt: 30), .seconds(20))
        XCTAssertEqual(RetryPolicy.standard(environment: ["AWS_MAX_ATTEMPTS": "7"]).maxAttempts, 7)
        XCTAssertEqual(RetryPolicy.standard(environment: [:]).maxAttempts, RetryPolicy.deployerDefaultAttempts)
        XCTAssertEqual(RetryPolicy.deployerDefaultAttempts, 5)
    }

    func testClockSkewCorrectedFromDateHeaderAndResigned() async throws {
        let serverNow = Fixtures.start.addingTimeInterval(20 * 60)
        let transport = ScriptedTransport([
            .respond(
                HTTPResponse(
                    status: 403, headers: [HTTPHeader("Date", Fixtures.httpDate(serverNow))],
                    text:
                        "<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message></Error>"
                )),
            .respond(HTTPResponse(status: 200)),
        ])
        let client = Fixtures.client(transport)
        _ = try await client.send(.s3, operation: "HeadObject", request: try client.makeRequest(.s3, method: "HEAD", path: "/b/k"))
        XCTAssertEqual(transport.requests.count, 2)
        XCTAssertEqual(transport.requests[0].header("X-Amz-Date"), AMZDate(Fixtures.start).timestamp)
        XCTAssertEqual(transport.requests[1].header("X-Amz-Date"), AMZDate(serverNow).timestamp)
        XCTAssertEqual(client.skew.current, 1200, accuracy: 1)
    }

    func testSmallSkewIsNotCorrectedAndSignatureErrorSurfaces() async throws {
        let transport = ScriptedTransport([
            .respond(
                HTTPResponse(
                    status: 403, headers: [HTTPHeader("Date", Fixtures.httpDate(Fixtures.start.addingTimeInterval(30)))],
                    text: "<Error><Code>SignatureDoesNotMatch</Code><Message>bad</Message><RequestId>abc</RequestId></Error>"))
        ])
        let client = Fixtures.client(transport)
        do {
            _ = try await client.send(.s3, operation: "GetObject", request: try client.makeRequest(.s3, method: "GET", path: "/b/k"))
            XCTFail("expected an error")
        } catch let error as AWSError {
            XCTAssertEqual(error.code, "SignatureDoesNotMatch")
            XCTAssertEqual(error.requestId, "abc")
        }
        XCTAssertEqual(transport.requests.count, 1)
    }

    func testErrorDecodingPerProtocol() {
        let query = AWSError.decode(
            service: "sts", operation: "AssumeRole", protocol: .query,
            response: HTTPResponse(
                status: 403,
                text: """
                    <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not allowed &amp; denied</Message></Error><RequestId>q-1</RequestId></ErrorResponse>
                    """))
        XCTAssertEqual(
            query, AWSError(service: "sts", operation: "AssumeRole", status: 403, code: "AccessDenied", message: "not allowed & denied", requestId: "q-1"))
        let rest = AWSError.decode(
            service: "emr-serverless", operation: "GetApplication", protocol: .restJSON,
            response: HTTPResponse(
                status: 404,
                headers: [HTTPHeader("x-amzn-ErrorType", "ResourceNotFoundException:http://internal.amazon.com/coral/"), HTTPHeader("x-amzn-RequestId", "rj")],
                text: #"{"message":"Application 00f not found"}"#))
        XCTAssertEqual(
            rest,
            AWSError(
                service: "emr-serverless", operation: "GetApplication", status: 404, code: "ResourceNotFoundException", message: "Application 00f not found",
                requestId: "rj"))
        let s3 = AWSError.decode(
            service: "s3", operation: "PutObject", protocol: .restXML,
            response: HTTPResponse(
                status: 412, headers: [HTTPHeader("x-amz-request-id", "s3r")],
                text:
                    "<?xml version=\"1.0\"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>"
            ))
        XCTAssertEqual(s3.code, "PreconditionFailed")
        XCTAssertEqual(s3.requestId, "s3r")
        let empty = AWSError.decode(service: "s3", operation: "HeadObject", protocol: .restXML, response: HTTPResponse(status: 404))
        XCTAssertEqual(empty.code, "NotFound")
        XCTAssertTrue("\(s3)".contains("HTTP 412 PreconditionFailed"))
    }

    func testDebugLogRedactsSignatureTokenAndSecret() async throws {
        let lines = LineCollector()
        let transport = ScriptedTransport([.respond(HTTPResponse(status: 200, text: "{}"))])
        let credentials = Credentials(accessKeyId: "AKIDTEST", secretAccessKey: "super-secret-value", sessionToken: "session-token-value")
        let client = Fixtures.client(transport, credentials: credentials, debug: DebugLog { lines.append($0) })
        _ = try await client.send(.glue, operation: "GetJob", request: try jsonRequest(client))
        let signature = try XCTUnwrap(transport.requests.first?.header("Authorization")?.components(separatedBy: "Signature=").last)
        let text = lines.text
        XCTAssertTrue(text.contains("Authorization: AWS4-HMAC-SHA256 Credential=AKIDTEST/"), text)
        XCTAssertTrue(text.contains("Signature=<redacted>"))
        XCTAssertFalse(text.contains(signature))
        XCTAssertFalse(text.contains("session-token-value"))
        XCTAssertFalse(text.contains("super-secret-value"))
        XCTAssertEqual(
            Redaction.url("https://h/k?X-Amz-Credential=A%2Fb&X-Amz-Security-Token=tok&X-Amz-Signature=abc"),
            "https://h/k?X-Amz-Credential=A%2Fb&X-Amz-Security-Token=<redacted>&X-Amz-Signature=<redacted>")
    }

    func testUnsignedClientSendsNoAuthorization() async throws {
        let transport = ScriptedTransport([
            .respond(
                HTTPResponse(
                    status: 200,
                    text:
                        "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>"
                ))
        ])
        let client = Fixtures.client(transport, credentials: nil)
        let credentials = try await STSClient(client: client).assumeRoleWithWebIdentity(roleArn: "arn:aws:iam::1:role/r", sessionName: "s", token: "jwt")
        XCTAssertEqual(credentials.accessKeyId, "ASIA1")
        XCTAssertNil(transport.requests[0].header("Authorization"))
        let body = String(decoding: { if case .bytes(let b) = transport.requests[0].body { return b } else { return [] } }(), as: UTF8.self)
        XCTAssertTrue(body.contains("Action=AssumeRoleWithWebIdentity"))
        XCTAssertTrue(body.contains("WebIdentityToken=jwt"))
    }
}

final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) {
        lock.lock()
        lines.append(line)
        lock.unlock()
    }
    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return lines.joined(separator: "\n")
    }
}
