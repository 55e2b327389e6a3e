import Foundation
import SigV4
import XCTest

@testable import AWSCore
@testable import DeployKit

/// The uploader against SeaweedFS (strict SigV4, verifies aws-chunked chunk signatures):
/// single PUT and multipart, streamed from disk with every chunk signed.
final class UploaderIntegrationTests: XCTestCase {
    func s3() throws -> S3Client {
        let env = ProcessInfo.processInfo.environment
        guard let endpoint = env["DEPLOYER_IT_S3_ENDPOINT"], let key = env["DEPLOYER_IT_S3_ACCESS_KEY"], let secret = env["DEPLOYER_IT_S3_SECRET_KEY"] else {
            throw XCTSkip("SeaweedFS is not running: run Tests/run-swift.sh")
        }
        let client = AWSClient(
            configuration: AWSConfiguration(region: "us-east-1", endpoints: EndpointResolver(region: "us-east-1", explicitURL: endpoint, environment: [:])),
            transport: try AsyncHTTPTransport(), credentials: StaticCredentialProvider(Credentials(accessKeyId: key, secretAccessKey: secret)))
        return S3Client(client: client)
    }

    func file(bytes count: Int) throws -> (path: String, hash: String) {
        var bytes = [UInt8](repeating: 0, count: count)
        var state: UInt32 = 2_463_534_242
        for index in bytes.indices {
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            bytes[index] = UInt8(truncatingIfNeeded: state)
        }
        let path = NSTemporaryDirectory() + "deployer-upload-\(UUID().uuidString).bin"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (path, PayloadHash.hex(bytes))
    }

    func testSinglePutAndMultipartWithSignedChunks() async throws {
        let s3 = try s3()
        let bucket = "it-upload-\(UInt32.random(in: 0...UInt32.max))"
        try await s3.createBucket(bucket: bucket)
        let small = try file(bytes: 3 * 1_048_576 + 123)
        let large = try file(bytes: 13 * 1_048_576 + 7)
        defer {
            try? FileManager.default.removeItem(atPath: small.path)
            try? FileManager.default.removeItem(atPath: large.path)
        }
        let uploader = S3Uploader(multipartThreshold: 8 << 20, partSize: 5 << 20, concurrency: 3, chunkSize: 256 << 10)
        let progress = Progress()
        try await uploader.upload(s3: s3, bucket: bucket, key: "single/a b.bin", path: small.path, ifAbsent: true, progress: nil)
        try await uploader.upload(s3: s3, bucket: bucket, key: "multi/big.bin", path: large.path, ifAbsent: true) { done, total in progress.record(done, total)
        }
        let single = try await s3.getObject(bucket: bucket, key: "single/a b.bin")
        XCTAssertEqual(PayloadHash.hex(single), small.hash)
        let multi = try await s3.getObject(bucket: bucket, key: "multi/big.bin")
        XCTAssertEqual(multi.count, 13 * 1_048_576 + 7)
        XCTAssertEqual(PayloadHash.hex(multi), large.hash)
        XCTAssertEqual(progress.last, UInt64(13 * 1_048_576 + 7), "progress reaches the file size")
        let leftovers = try await s3.listMultipartUploads(bucket: bucket, prefix: "")
        XCTAssertTrue(leftovers.isEmpty)
        // Read back in 8 MiB ranges (two requests for 13 MiB): the same hash as the file.
        let store = S3Store(s3: s3, bucket: bucket)
        let streamed = try await store.contentHash("multi/big.bin")
        XCTAssertEqual(streamed?.sha256, large.hash)
        XCTAssertEqual(streamed?.size, UInt64(13 * 1_048_576 + 7))
        let small1 = try await store.contentHash("single/a b.bin")
        XCTAssertEqual(small1?.sha256, small.hash)
        let none = try await store.contentHash("no/such.bin")
        XCTAssertNil(none)
        let piece = try await s3.getObjectRange(bucket: bucket, key: "multi/big.bin", first: 5, last: 9)
        XCTAssertEqual(piece, Array(try Data(contentsOf: URL(fileURLWithPath: large.path))[5...9]))
        // Immutable keys stay immutable.
        do {
            try await uploader.upload(s3: s3, bucket: bucket, key: "single/a b.bin", path: large.path, ifAbsent: true, progress: nil)
            XCTFail("an existing key must not be overwritten")
        } catch let error as AWSError {
            XCTAssertEqual(error.status, 412, "\(error)")
        }
    }

    /// A chunk whose signature does not chain from the seed is refused: the store checks every chunk.
    func testTamperedChunkSignatureIsRefused() async throws {
        let s3 = try s3()
        let bucket = "it-tamper-\(UInt32.random(in: 0...UInt32.max))"
        try await s3.createBucket(bucket: bucket)
        let data = try file(bytes: 300_000)
        defer { try? FileManager.default.removeItem(atPath: data.path) }
        let location = try s3.client.configuration.endpoints.s3Location(bucket: bucket, key: "tampered.bin")
        let request = HTTPRequest(
            method: "PUT", scheme: location.endpoint.scheme, host: location.endpoint.host, port: location.endpoint.port, path: location.path,
            body: .signedChunks(path: data.path, offset: 0, length: 300_000, chunkSize: 65_536, signer: nil))
        var signed = try await s3.client.sign(request, service: .s3, signingRegion: nil, payload: nil)
        // Same key and time, but a chain started from another seed.
        let other = SigV4Signer(
            credentials: Credentials(accessKeyId: "x", secretAccessKey: ProcessInfo.processInfo.environment["DEPLOYER_IT_S3_SECRET_KEY"] ?? ""),
            region: "us-east-1", service: "s3")
        let bogusSeed = other.sign(SigningRequest(method: "PUT", path: "/other", headers: [HTTPHeader("Host", "h")]), payload: .streaming, at: s3.client.now)
        signed.body = .signedChunks(path: data.path, offset: 0, length: 300_000, chunkSize: 65_536, signer: other.chunkSigner(seed: bogusSeed))
        let response = try await s3.client.transport.send(signed, timeout: .seconds(30))
        // AWS answers 403 SignatureDoesNotMatch; SeaweedFS logs "chunk signature does not match"
        // and answers 500. Either way the upload is refused and nothing is stored.
        XCTAssertTrue([403, 500].contains(response.status), response.bodyText)
        let stored = try await s3.headObject(bucket: bucket, key: "tampered.bin")
        XCTAssertNil(stored, "nothing was stored")
        // The same upload with the genuine chain goes through.
        try await S3Uploader(chunkSize: 65_536).upload(s3: s3, bucket: bucket, key: "tampered.bin", path: data.path, ifAbsent: true, progress: nil)
        let read = try await s3.getObject(bucket: bucket, key: "tampered.bin")
        XCTAssertEqual(PayloadHash.hex(read), data.hash)
    }

    final class Progress: @unchecked Sendable {
        private let lock = NSLock()
        private var value: UInt64 = 0
        func record(_ done: UInt64, _ total: UInt64) { lock.withLock { value = max(value, done) } }
        var last: UInt64 { lock.withLock { value } }
    }
}
