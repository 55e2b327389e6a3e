import AWSTestSupport
import Foundation
import SigV4
import XCTest

@testable import AWSCore

/// Against real peers started by `Tests/run-swift.sh` (Tests/peers/start.sh): SeaweedFS for S3
/// and moto_server with authentication on for STS. Skipped, loudly, when they are not running.
final class IntegrationTests: XCTestCase {
    struct Peers {
        let s3Endpoint: String
        let s3Credentials: Credentials
        let motoEndpoint: String
        let motoCredentials: Credentials
        let deniedCredentials: Credentials
        let roleArn: String
        let accountId: String
    }

    func peers() throws -> Peers {
        let env = ProcessInfo.processInfo.environment
        guard let s3 = env["DEPLOYER_IT_S3_ENDPOINT"], let moto = env["DEPLOYER_IT_MOTO_ENDPOINT"],
            let s3Key = env["DEPLOYER_IT_S3_ACCESS_KEY"], let s3Secret = env["DEPLOYER_IT_S3_SECRET_KEY"],
            let motoKey = env["DEPLOYER_IT_MOTO_ACCESS_KEY"], let motoSecret = env["DEPLOYER_IT_MOTO_SECRET_KEY"],
            let deniedKey = env["DEPLOYER_IT_MOTO_DENIED_ACCESS_KEY"], let deniedSecret = env["DEPLOYER_IT_MOTO_DENIED_SECRET_KEY"],
            let role = env["DEPLOYER_IT_MOTO_ROLE_ARN"], let account = env["DEPLOYER_IT_MOTO_ACCOUNT_ID"]
        else {
            throw XCTSkip("integration peers are not running: run Tests/run-swift.sh (starts SeaweedFS and moto_server)")
        }
        return Peers(
            s3Endpoint: s3, s3Credentials: Credentials(accessKeyId: s3Key, secretAccessKey: s3Secret), motoEndpoint: moto,
            motoCredentials: Credentials(accessKeyId: motoKey, secretAccessKey: motoSecret),
            deniedCredentials: Credentials(accessKeyId: deniedKey, secretAccessKey: deniedSecret), roleArn: role, accountId: account)
    }

    static let transport: AsyncHTTPTransport = {
        do {
            return try AsyncHTTPTransport()
        } catch {
            fatalError("transport: \(error)")
        }
    }()

    func client(
        endpoint: String, credentials: Credentials?, clock: @escaping @Sendable () -> Date = { Date() },
        retry: RetryPolicy = RetryPolicy(baseDelay: .milliseconds(50))
    ) -> AWSClient {
        AWSClient(
            configuration: AWSConfiguration(
                region: "us-east-1", endpoints: EndpointResolver(region: "us-east-1", explicitURL: endpoint, environment: [:]), retry: retry),
            transport: Self.transport, credentials: credentials.map { StaticCredentialProvider($0) }, clock: clock)
    }

    // MARK: STS on moto (auth on)

    func testGetCallerIdentitySignedAndChecked() async throws {
        let peers = try peers()
        let identity = try await STSClient(client: client(endpoint: peers.motoEndpoint, credentials: peers.motoCredentials)).getCallerIdentity()
        XCTAssertEqual(identity.account, peers.accountId)
        XCTAssertTrue(identity.arn.hasSuffix(":user/deployer-ci"), identity.arn)
    }

    func testWrongSecretIsRejectedByMoto() async throws {
        let peers = try peers()
        let wrong = Credentials(accessKeyId: peers.motoCredentials.accessKeyId, secretAccessKey: "not-the-secret")
        do {
            _ = try await STSClient(client: client(endpoint: peers.motoEndpoint, credentials: wrong, retry: RetryPolicy(maxAttempts: 1))).getCallerIdentity()
            XCTFail("a wrong secret must be rejected")
        } catch let error as AWSError {
            XCTAssertEqual(error.status, 403)
            XCTAssertEqual(error.code, "SignatureDoesNotMatch", "\(error)")
        }
    }

    func testAssumeRoleThroughProfileThenActAsRole() async throws {
        let peers = try peers()
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("deployer-it-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home.appendingPathComponent(".aws"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        try "[ci]\naws_access_key_id = \(peers.motoCredentials.accessKeyId)\naws_secret_access_key = \(peers.motoCredentials.secretAccessKey)\n"
            .write(to: home.appendingPathComponent(".aws/credentials"), atomically: true, encoding: .utf8)
        try "[profile deploy]\nrole_arn = \(peers.roleArn)\nsource_profile = ci\nrole_session_name = it-session\n"
            .write(to: home.appendingPathComponent(".aws/config"), atomically: true, encoding: .utf8)
        let setup = AWSSetup(
            options: AWSOptions(region: "us-east-1", profile: "deploy", endpointURL: peers.motoEndpoint),
            environment: ["HOME": home.path, "AWS_EC2_METADATA_DISABLED": "true"])
        let chain = setup.credentialChain(transport: Self.transport, region: "us-east-1")
        let resolved = try await chain.resolve()
        XCTAssertEqual(resolved?.source, "profile deploy (assume role)")
        XCTAssertNotNil(resolved?.credentials.sessionToken)
        let client = AWSClient(configuration: setup.configuration(region: "us-east-1"), transport: Self.transport, credentials: chain)
        let identity = try await STSClient(client: client).getCallerIdentity()
        XCTAssertTrue(identity.arn.contains(":assumed-role/"), identity.arn)
        XCTAssertTrue(identity.arn.hasSuffix("/it-session"), identity.arn)
    }

    func testDeniedUserGetsAccessDenied() async throws {
        let peers = try peers()
        let denied = client(endpoint: peers.motoEndpoint, credentials: peers.deniedCredentials, retry: RetryPolicy(maxAttempts: 1))
        do {
            let _: JSONValue = try await denied.jsonCall(.glue, operation: "GetJob", input: ["JobName": "nope"] as JSONValue)
            XCTFail("the denied user must not read Glue")
        } catch let error as AWSError {
            // AWS says AccessDeniedException in JSON; moto answers the same denial as query-style XML.
            XCTAssertEqual(error.status, 403, "\(error)")
            XCTAssertTrue(["AccessDeniedException", "AccessDenied"].contains(error.code), "\(error)")
            XCTAssertTrue(error.message.contains("glue:GetJob"), error.message)
        }
    }

    // MARK: S3 on SeaweedFS (strict SigV4)

    static let awkwardKeys = [
        "plain.txt", "with space.txt", "plus+equals=colon:at@.txt", "parens(1)*star,comma;semi$dollar&amp'quote.txt",
        "percent%20literal%.txt", "unicode-é中文😀.txt", "double//slash/key.txt", "tilde~and-dash_underscore.txt",
    ]

    func testPutGetHeadListDeleteAwkwardKeys() async throws {
        let peers = try peers()
        let s3 = S3Client(client: client(endpoint: peers.s3Endpoint, credentials: peers.s3Credentials))
        let bucket = "it-keys-\(UInt32.random(in: 0...UInt32.max))"
        try await s3.createBucket(bucket: bucket)
        for key in Self.awkwardKeys {
            let body = Array("content of \(key)".utf8)
            try await s3.putObject(bucket: bucket, key: key, body: .bytes(body), contentType: "text/plain")
            let read = try await s3.getObject(bucket: bucket, key: key)
            XCTAssertEqual(read, body, key)
            let head = try await s3.headObject(bucket: bucket, key: key)
            XCTAssertEqual(head?.size, UInt64(body.count), key)
        }
        let listed = try await s3.listObjects(bucket: bucket, prefix: "").map(\.key)
        // SeaweedFS (unlike S3) folds '//' in object keys to '/': that one key lists folded.
        XCTAssertEqual(Set(listed), Set(Self.awkwardKeys.map { $0.replacingOccurrences(of: "//", with: "/") }))
        let missing = try await s3.headObject(bucket: bucket, key: "no such key")
        XCTAssertNil(missing)
        for key in Self.awkwardKeys { try await s3.deleteObject(bucket: bucket, key: key) }
        let afterDelete = try await s3.listObjects(bucket: bucket, prefix: "")
        XCTAssertTrue(afterDelete.isEmpty)
    }

    func testConditionalPutRefusesExistingKey() async throws {
        let peers = try peers()
        let s3 = S3Client(client: client(endpoint: peers.s3Endpoint, credentials: peers.s3Credentials, retry: RetryPolicy(maxAttempts: 1)))
        let bucket = "it-cond-\(UInt32.random(in: 0...UInt32.max))"
        try await s3.createBucket(bucket: bucket)
        try await s3.putObject(bucket: bucket, key: "lock", body: .bytes(Array("one".utf8)), ifNoneMatch: true)
        do {
            try await s3.putObject(bucket: bucket, key: "lock", body: .bytes(Array("two".utf8)), ifNoneMatch: true)
            XCTFail("If-None-Match: * must refuse an existing key")
        } catch let error as AWSError {
            XCTAssertEqual(error.status, 412, "\(error)")
        }
        let content = try await s3.getObject(bucket: bucket, key: "lock")
        XCTAssertEqual(String(decoding: content, as: UTF8.self), "one")
    }

    func testStreamedFilePutWithPayloadHash() async throws {
        let peers = try peers()
        let s3 = S3Client(client: client(endpoint: peers.s3Endpoint, credentials: peers.s3Credentials))
        let bucket = "it-file-\(UInt32.random(in: 0...UInt32.max))"
        try await s3.createBucket(bucket: bucket)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("deployer-it-\(UUID().uuidString).bin")
        var bytes = [UInt8](repeating: 0, count: 3 * 1_048_576 + 17)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 31 &+ 7) }
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let hash = PayloadHash.hex(bytes)
        try await s3.putObject(bucket: bucket, key: "big/file.bin", body: .file(path: file.path, offset: 0, length: UInt64(bytes.count)), payloadHash: hash)
        let read = try await s3.getObject(bucket: bucket, key: "big/file.bin")
        XCTAssertEqual(PayloadHash.hex(read), hash)
        // SeaweedFS does not compare the body with a signed x-amz-content-sha256 (S3 does, with
        // XAmzContentSHA256Mismatch), so refusal of a corrupt body is covered where S3 semantics are scripted.
    }

    func testPresignedGetWorksWithoutCredentials() async throws {
        let peers = try peers()
        let s3 = S3Client(client: client(endpoint: peers.s3Endpoint, credentials: peers.s3Credentials))
        let bucket = "it-presign-\(UInt32.random(in: 0...UInt32.max))"
        try await s3.createBucket(bucket: bucket)
        let key = "reports/q1 (final)+v2.txt"
        try await s3.putObject(bucket: bucket, key: key, body: .bytes(Array("presigned body".utf8)))
        let url = try await s3.presignedGetURL(bucket: bucket, key: key, expires: 300)
        let components = try XCTUnwrap(URLComponents(string: url))
        let request = HTTPRequest(
            method: "GET", scheme: components.scheme ?? "http", host: components.host ?? "", port: components.port,
            path: components.percentEncodedPath,
            query: (components.percentEncodedQueryItems ?? []).map { QueryItem($0.name, URIEncoding.decodeToString(Substring($0.value ?? ""))) },
            headers: [HTTPHeader("Host", "\(components.host ?? ""):\(components.port ?? 80)")])
        let response = try await Self.transport.send(request, timeout: .seconds(10))
        XCTAssertEqual(response.status, 200, response.bodyText)
        XCTAssertEqual(response.bodyText, "presigned body")
        var tampered = request
        tampered.query = request.query.map { $0.name == "X-Amz-Signature" ? QueryItem($0.name, String(repeating: "0", count: 64)) : $0 }
        let refused = try await Self.transport.send(tampered, timeout: .seconds(10))
        XCTAssertEqual(refused.status, 403)
    }

    func testClockSkewOfTwentyMinutesIsCorrectedByRetry() async throws {
        let peers = try peers()
        let skewedClock: @Sendable () -> Date = { Date().addingTimeInterval(-20 * 60) }
        let client = client(endpoint: peers.s3Endpoint, credentials: peers.s3Credentials, clock: skewedClock)
        let s3 = S3Client(client: client)
        let bucket = "it-skew-\(UInt32.random(in: 0...UInt32.max))"
        try await s3.createBucket(bucket: bucket)
        XCTAssertEqual(client.skew.current, 1200, accuracy: 5, "the first refused request taught the client the server's clock")
        try await s3.putObject(bucket: bucket, key: "k", body: .bytes([1, 2, 3]))
        let read = try await s3.getObject(bucket: bucket, key: "k")
        XCTAssertEqual(read, [1, 2, 3])
    }
}
