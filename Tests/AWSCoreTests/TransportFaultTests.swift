import AWSTestSupport
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SigV4
import XCTest

@testable import AWSCore

/// Faults below HTTP through the real transport (AsyncHTTPClient) against servers on
/// 127.0.0.1: each of these escaped the retry loop, took tens of seconds, or printed a secret.
final class TransportFaultTests: XCTestCase {
    func client(
        port: Int, attempts: Int = 3, timeout: Duration = .seconds(30), deadline: Duration = .seconds(75),
        credentials: Credentials = Fixtures.credentials, sleeps: SleepRecorder = SleepRecorder()
    ) throws -> AWSClient {
        var configuration = AWSConfiguration(
            region: "us-east-1", endpoints: EndpointResolver(region: "us-east-1", environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:\(port)"]),
            retry: RetryPolicy(maxAttempts: attempts, random: { 0 }))
        configuration.timeout = timeout
        configuration.deadline = deadline
        return AWSClient(
            configuration: configuration, transport: try AsyncHTTPTransport(environment: [:]), credentials: StaticCredentialProvider(credentials),
            sleep: { try await sleeps.sleep($0) })
    }

    /// A GET whose answer is cut off mid-body (or malformed) is retried, and succeeds.
    func testCutOffAndMalformedAnswersAreRetried() async throws {
        let body =
            "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/ci</Arn><UserId>AID</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>"
        let server = try RawTCPServer { index in
            switch index {
            case 0: return .bytes(Array(RawTCPServer.response(200, body: body).prefix(120)), close: true)  // headers, half a body
            case 1: return .bytes(Array("HTTP/1.1 2x0 WHAT\r\n\r\n".utf8), close: true)  // not HTTP
            default: return .bytes(RawTCPServer.response(200, body: body), close: false)
            }
        }
        defer { server.stop() }
        let aws = try client(port: server.port)
        let identity = try await STSClient(client: aws).getCallerIdentity()
        XCTAssertEqual(identity.account, "123456789012")
        XCTAssertEqual(server.requests, 3)
        try await aws.transport.shutdownIfPossible()
    }

    /// Nothing listening: one attempt, at once, a message naming the endpoint.
    func testConnectionRefusedFailsAtOnceNamingTheEndpoint() async throws {
        let port = try RawTCPServer { _ in .silent }
        let closed = port.port
        port.stop()
        let sleeps = SleepRecorder()
        let aws = try client(port: closed, attempts: 5, sleeps: sleeps)
        let started = ContinuousClock.now
        do {
            _ = try await STSClient(client: aws).getCallerIdentity()
            XCTFail("nothing listens there")
        } catch let error as AWSError {
            XCTAssertEqual(error.transportKind, .refused, "\(error)")
            XCTAssertTrue(error.message.contains("connection refused by 127.0.0.1:\(closed)") && error.message.contains("after 1 attempt"), error.message)
        }
        XCTAssertTrue(sleeps.durations.isEmpty, "a refused connection is not retried")
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(5))
        try await aws.transport.shutdownIfPossible()
    }

    /// A server that accepts and never answers ends the call at its deadline, not after
    /// attempts × the per-attempt limit.
    func testSilentServerEndsAtTheCallDeadline() async throws {
        let server = try RawTCPServer { _ in .silent }
        defer { server.stop() }
        let aws = try client(port: server.port, attempts: 5, timeout: .seconds(1), deadline: .milliseconds(2500))
        let started = ContinuousClock.now
        do {
            _ = try await STSClient(client: aws).getCallerIdentity()
            XCTFail("the server never answers")
        } catch let error as AWSError {
            XCTAssertEqual(error.transportKind, .timeout, "\(error)")
        }
        let elapsed = ContinuousClock.now - started
        XCTAssertLessThan(elapsed, .seconds(4), "bounded by the deadline")
        XCTAssertLessThanOrEqual(server.requests, 3)
        try await aws.transport.shutdownIfPossible()
    }

    /// A session token with a control character: refused before anything is sent, naming the
    /// field, never printing the token or the signature; not retried as a "connect error".
    func testCredentialsWithControlCharactersAreRefusedWithoutPrintingThem() async throws {
        let server = try RawTCPServer { _ in .bytes(RawTCPServer.response(200, body: ""), close: false) }
        defer { server.stop() }
        let token = "FwoGZXIvYXdzEJr\u{0}SECRET-TOKEN-VALUE\nmore"
        let aws = try client(port: server.port, credentials: Credentials(accessKeyId: "AKIDTEST", secretAccessKey: "secret-value-xyz", sessionToken: token))
        do {
            _ = try await STSClient(client: aws).getCallerIdentity()
            XCTFail("a token with NUL and a line break cannot be sent")
        } catch {
            let text = "\(error)"
            XCTAssertTrue(text.contains("session token") && text.contains("value not shown"), text)
            for secret in ["SECRET-TOKEN-VALUE", "secret-value-xyz", "Signature="] { XCTAssertFalse(text.contains(secret), text) }
        }
        XCTAssertEqual(server.requests, 0)
        try await aws.transport.shutdownIfPossible()
    }

    /// Library errors are classified (cut answers retried; too large, TLS verification and bad
    /// headers not), and their text never carries header values or build paths.
    func testClassification() {
        let endpoint = "sts.us-east-1.amazonaws.com"
        XCTAssertEqual(AsyncHTTPTransport.classify(HTTPParserError.invalidEOFState, endpoint: endpoint).kind, .reset)
        XCTAssertTrue(AsyncHTTPTransport.classify(HTTPParserError.invalidEOFState, endpoint: endpoint).kind.isRetryable)
        XCTAssertEqual(AsyncHTTPTransport.classify(NIOTooManyBytesError(maxBytes: 10), endpoint: endpoint).kind, .tooLarge)
        XCTAssertFalse(TransportError.Kind.tooLarge.isRetryable)
        let verify = AsyncHTTPTransport.classifyTLS(
            "handshakeFailed(sslError([Error: 268435581 error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at /work/.build/checkouts/swift-nio-ssl/Sources/CNIOBoringSSL/ssl/handshake.cc:393]))",
            endpoint: endpoint)
        XCTAssertEqual(verify.kind, .tlsVerification)
        XCTAssertFalse(verify.kind.isRetryable)
        XCTAssertFalse(verify.message.contains("/work/") || verify.message.contains("handshake.cc"), verify.message)
        XCTAssertTrue(verify.message.contains("AWS_CA_BUNDLE"), verify.message)
        let header = AsyncHTTPTransport.classify(
            HTTPClientError.invalidHeaderFieldValues(["AWS4-HMAC-SHA256 Credential=AKID/… Signature=abcdef0123"]), endpoint: endpoint)
        XCTAssertEqual(header.kind, .invalidRequest)
        XCTAssertFalse(header.message.contains("Signature") || header.message.contains("abcdef0123"), header.message)
        XCTAssertEqual(Redaction.scrub("bad\u{0}value Authorization: AWS4 Signature=zz"), "bad?value <redacted>")
    }

    /// `AWS_CA_BUNDLE` pointing at something that is not PEM is refused when the transport is
    /// built, naming the variable (not an `unknownError` at the first TLS connection).
    func testCABundleThatIsNotPEMIsNamed() throws {
        let path = NSTemporaryDirectory() + "not-pem-\(UUID().uuidString).pem"
        try Data("this is not a certificate\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertThrowsError(try AsyncHTTPTransport(environment: ["AWS_CA_BUNDLE": path])) { error in
            XCTAssertTrue("\(error)".contains("AWS_CA_BUNDLE") && "\(error)".contains("no PEM certificate"), "\(error)")
            XCTAssertEqual((error as? TransportError)?.kind, .tlsVerification)
        }
    }

    /// Region and max_attempts settings that were silently ignored are refused by name.
    func testBadRegionAndMaxAttemptsAreNamed() throws {
        let setup = AWSSetup(options: AWSOptions(), environment: ["AWS_MAX_ATTEMPTS": "-5", "HOME": "/nonexistent"])
        XCTAssertThrowsError(try setup.validateSettings(region: "us-east-1", regionSource: "AWS_REGION")) {
            XCTAssertTrue("\($0)".contains("AWS_MAX_ATTEMPTS is '-5'"), "\($0)")
        }
        let words = AWSSetup(options: AWSOptions(), environment: ["AWS_MAX_ATTEMPTS": "abc", "HOME": "/nonexistent"])
        XCTAssertThrowsError(try words.validateSettings(region: "us-east-1", regionSource: "AWS_REGION")) { XCTAssertTrue("\($0)".contains("'abc'"), "\($0)") }
        let fine = AWSSetup(options: AWSOptions(), environment: ["HOME": "/nonexistent"])
        XCTAssertThrowsError(try fine.validateSettings(region: "US East", regionSource: "AWS_REGION")) {
            XCTAssertTrue("\($0)".contains("from AWS_REGION"), "\($0)")
        }
        XCTAssertNoThrow(try fine.validateSettings(region: "eu-central-1", regionSource: "AWS_REGION"))
        XCTAssertTrue(AWSSetup.isRegionName("us-gov-west-1"))
    }
}

extension HTTPTransport {
    func shutdownIfPossible() async throws {
        try await (self as? AsyncHTTPTransport)?.shutdown()
    }
}
