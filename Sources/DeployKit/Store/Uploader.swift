import AWSCore
import Crypto
import Foundation
import SigV4

/// Uploads files to S3 with flat memory: one PUT below `multipartThreshold`, else a multipart
/// upload whose parts go `concurrency` at a time. Every part is read once to hash it (SHA-256
/// for the signature, MD5 for `Content-MD5`, which S3 verifies) and once to stream it. A failed
/// upload is aborted so no parts are left behind.
public struct Uploader: Sendable {
    public var multipartThreshold: UInt64
    public var partSize: UInt64
    public var concurrency: Int

    public init(multipartThreshold: UInt64 = 64 << 20, partSize: UInt64 = 8 << 20, concurrency: Int = 8) {
        self.multipartThreshold = multipartThreshold
        self.partSize = max(5 << 20, partSize)
        self.concurrency = max(1, concurrency)
    }

    public static func md5Base64(_ bytes: [UInt8]) -> String {
        Data(Insecure.MD5.hash(data: bytes)).base64EncodedString()
    }

    /// SHA-256 (hex) and MD5 (base64) of a file range, reading 1 MiB at a time.
    static func digests(path: String, offset: UInt64, length: UInt64) throws -> (sha256: String, md5: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw DeployError("cannot open \(path)") }
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        var sha = SHA256()
        var md5 = Insecure.MD5()
        var remaining = length
        while remaining > 0 {
            let chunk = try handle.read(upToCount: Int(min(remaining, 1 << 20))) ?? Data()
            if chunk.isEmpty { throw DeployError("\(path) ended early: did it change during the upload?") }
            sha.update(data: chunk)
            md5.update(data: chunk)
            remaining -= UInt64(chunk.count)
        }
        return (PayloadHash.hex(Array(sha.finalize())), Data(md5.finalize()).base64EncodedString())
    }

    public func upload(s3: S3Client, bucket: String, key: String, path: String, ifAbsent: Bool, progress: (@Sendable (UInt64, UInt64) -> Void)?) async throws {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let size = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
        if size < multipartThreshold {
            let digest = try Self.digests(path: path, offset: 0, length: size)
            try await s3.putObject(bucket: bucket, key: key, body: .file(path: path, offset: 0, length: size), payloadHash: digest.sha256,
                                   ifNoneMatch: ifAbsent, contentMD5: digest.md5)
            progress?(size, size)
            return
        }
        let uploadId = try await s3.createMultipartUpload(bucket: bucket, key: key)
        do {
            let partCount = Int((size + partSize - 1) / partSize)
            let done = ProgressCounter()
            var etags: [(number: Int, etag: String)] = []
            try await withThrowingTaskGroup(of: (Int, String).self) { group in
                var next = 1
                func addPart(_ number: Int) {
                    let offset = UInt64(number - 1) * partSize
                    let length = min(partSize, size - offset)
                    group.addTask {
                        let digest = try Self.digests(path: path, offset: offset, length: length)
                        let etag = try await s3.uploadPart(bucket: bucket, key: key, uploadId: uploadId, partNumber: number,
                                                           body: .file(path: path, offset: offset, length: length), payloadHash: digest.sha256, contentMD5: digest.md5)
                        progress?(done.add(length), size)
                        return (number, etag)
                    }
                }
                while next <= min(concurrency, partCount) {
                    addPart(next)
                    next += 1
                }
                while let finished = try await group.next() {
                    etags.append((finished.0, finished.1))
                    if next <= partCount {
                        addPart(next)
                        next += 1
                    }
                }
            }
            try await s3.completeMultipartUpload(bucket: bucket, key: key, uploadId: uploadId, parts: etags, ifNoneMatch: ifAbsent)
        } catch {
            // Best effort: the original error is what the user needs to see.
            try? await s3.abortMultipartUpload(bucket: bucket, key: key, uploadId: uploadId)
            throw error
        }
    }
}

final class ProgressCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value: UInt64 = 0
    func add(_ amount: UInt64) -> UInt64 {
        lock.withLock {
            value += amount
            return value
        }
    }
}
