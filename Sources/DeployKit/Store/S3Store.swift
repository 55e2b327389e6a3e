import AWSCore
import Crypto
import Foundation
import SigV4

/// S3 via deployer's own client.
public struct S3Store: ObjectStore {
    /// The client the objects are read and written with.
    public let s3: S3Client
    /// The bucket the keys are in.
    public let bucket: String
    /// Uploads files, in parts when they are large.
    public var uploader: S3Uploader

    /// A store for `bucket`, uploading files with `uploader`.
    public init(s3: S3Client, bucket: String, uploader: S3Uploader = S3Uploader()) {
        self.s3 = s3
        self.bucket = bucket
        self.uploader = uploader
    }

    /// `s3://BUCKET`.
    public var location: String { "s3://\(bucket)" }
    /// `s3://BUCKET/KEY`.
    public func url(_ key: String) -> String { "s3://\(bucket)/\(key)" }

    /// HEAD of the object; `nil` when it does not exist.
    public func head(_ key: String) async throws -> StoredObject? {
        try await s3.headObject(bucket: bucket, key: key).map { StoredObject(etag: $0.etag ?? "", size: $0.size) }
    }

    /// The SHA-256 of the object, read in ranges of `pieceSize` bytes so a large bundle file is
    /// never held whole in memory.
    public func contentHash(_ key: String) async throws -> (sha256: String, size: UInt64)? {
        guard let head = try await head(key) else { return nil }
        var hasher = SHA256()
        var offset: UInt64 = 0
        while offset < head.size {
            try Task.checkCancellation()
            let last = min(offset + Self.pieceSize, head.size) - 1
            hasher.update(data: try await s3.getObjectRange(bucket: bucket, key: key, first: offset, last: last))
            offset = last + 1
        }
        return (PayloadHash.hex(digest: hasher.finalize()), head.size)
    }

    /// How much `contentHash` reads per request.
    static let pieceSize: UInt64 = 8 << 20

    /// GET of the object (a 404 is `nil`).
    public func get(_ key: String) async throws -> (bytes: [UInt8], etag: String)? {
        // HEAD first would race; GET and map 404.
        do {
            let object = try await s3.getObjectWithETag(bucket: bucket, key: key)
            return (object.body, object.etag)
        } catch let error as AWSError where error.status == 404 {
            return nil
        }
    }

    /// PUT with a Content-MD5 and the condition as `If-None-Match: *` / `If-Match`; a 412 or a
    /// conflicting conditional write throws `PreconditionFailed`.
    public func put(_ key: String, bytes: [UInt8], contentType: String, condition: WriteCondition) async throws -> String {
        do {
            let etag: String?
            switch condition {
            case .always:
                etag = try await s3.putObject(bucket: bucket, key: key, body: .bytes(bytes), contentType: contentType, contentMD5: S3Uploader.md5Base64(bytes))
            case .ifAbsent:
                etag = try await s3.putObject(
                    bucket: bucket, key: key, body: .bytes(bytes), contentType: contentType, ifNoneMatch: true, contentMD5: S3Uploader.md5Base64(bytes))
            case .ifMatch(let tag):
                etag = try await s3.putObject(
                    bucket: bucket, key: key, body: .bytes(bytes), contentType: contentType, ifMatch: tag, contentMD5: S3Uploader.md5Base64(bytes))
            }
            return etag ?? ""
        } catch let error as AWSError where error.isPreconditionFailed {
            throw PreconditionFailed(key: key)
        }
    }

    /// Uploads through `uploader` (`ifAbsent` honoured; other conditions write unconditionally);
    /// a lost race throws `PreconditionFailed`.
    public func putFile(_ key: String, path: String, condition: WriteCondition, progress: (@Sendable (UInt64, UInt64) -> Void)?) async throws {
        do {
            try await s3.putFile(bucket: bucket, key: key, path: path, ifAbsent: condition == .ifAbsent, uploader: uploader, progress: progress)
        } catch let error as AWSError where error.isPreconditionFailed {
            throw PreconditionFailed(key: key)
        }
    }

    /// Aborts uploads under `prefix` whose key already holds an object; returns their keys.
    public func abortRedundantUploads(prefix: String) async throws -> [String] {
        try await S3Uploader.abortRedundantUploads(s3: s3, bucket: bucket, prefix: prefix)
    }

    /// Aborts uploads under `prefix` started more than `olderThan` seconds before `now` (one
    /// already gone is skipped); returns their keys.
    public func abortIncompleteUploads(prefix: String, olderThan: TimeInterval, now: Date) async throws -> [String] {
        var aborted: [String] = []
        for upload in try await s3.listMultipartUploads(bucket: bucket, prefix: prefix) {
            guard let started = upload.initiated, now.timeIntervalSince(started) > olderThan else { continue }
            do {
                try await s3.abortMultipartUpload(bucket: bucket, key: upload.key, uploadId: upload.uploadId)
            } catch let error as AWSError where error.isNotFound {
                continue
            }
            aborted.append(upload.key)
        }
        return aborted
    }

    /// DELETE, conditional on `ifMatch` when given; a 412 throws `PreconditionFailed`.
    public func delete(_ key: String, ifMatch: String?) async throws {
        do {
            try await s3.deleteObject(bucket: bucket, key: key, ifMatch: ifMatch)
        } catch let error as AWSError where error.isPreconditionFailed {
            throw PreconditionFailed(key: key)
        }
    }

    /// Every key under `prefix` (all pages).
    public func list(_ prefix: String) async throws -> [String] {
        try await s3.listObjects(bucket: bucket, prefix: prefix).map(\.key)
    }
}
