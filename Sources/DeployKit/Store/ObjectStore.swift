import AWSCore
import Crypto
import Foundation
import SigV4

/// How a write may proceed.
public enum WriteCondition: Sendable, Equatable {
    /// Whatever is there.
    case always
    /// Only if the key does not exist (`If-None-Match: *`).
    case ifAbsent
    /// Only if the object still has this ETag (`If-Match`).
    case ifMatch(String)
}

/// What `head` tells about an object.
public struct StoredObject: Sendable, Equatable {
    /// Its ETag (S3's, or the SHA-256 of a local file's content).
    public var etag: String
    /// Its size in bytes.
    public var size: UInt64
}

/// The write lost a race: the key exists (ifAbsent) or changed (ifMatch).
public struct PreconditionFailed: Error, CustomStringConvertible, Sendable {
    /// The key whose write or delete was refused.
    public let key: String
    /// `KEY changed underneath (precondition failed)`.
    public var description: String { "\(key) changed underneath (precondition failed)" }
}

/// Where a target's artifacts, records and lock live: S3 or a local folder.
public protocol ObjectStore: Sendable {
    /// `s3://bucket` or a folder path, for messages.
    var location: String { get }
    /// The object's ETag and size, `nil` when there is no such key.
    func head(_ key: String) async throws -> StoredObject?
    /// The object's bytes and ETag, `nil` when there is no such key.
    func get(_ key: String) async throws -> (bytes: [UInt8], etag: String)?
    /// The SHA-256 (hex) and size of the stored bytes, read back; nil when there is no such object.
    func contentHash(_ key: String) async throws -> (sha256: String, size: UInt64)?
    /// Writes `bytes` under `key` if `condition` allows and returns the new ETag; throws
    /// `PreconditionFailed` when it does not.
    @discardableResult
    func put(_ key: String, bytes: [UInt8], contentType: String, condition: WriteCondition) async throws -> String
    /// Uploads a file from disk with bounded memory; `ifAbsent` keeps immutable keys immutable.
    func putFile(_ key: String, path: String, condition: WriteCondition, progress: (@Sendable (UInt64, UInt64) -> Void)?) async throws
    /// Deletes `key` (only if its ETag is still `ifMatch`, when given: else `PreconditionFailed`).
    func delete(_ key: String, ifMatch: String?) async throws
    /// The keys that start with `prefix`.
    func list(_ prefix: String) async throws -> [String]
    /// A URL the engine reads (`s3://bucket/key` or an absolute path).
    func url(_ key: String) -> String
    /// Aborts multipart uploads under `prefix` started more than `olderThan` seconds before
    /// `now` (left by an interrupted apply; no live apply holds an upload longer than its
    /// lease); returns their keys.
    func abortIncompleteUploads(prefix: String, olderThan: TimeInterval, now: Date) async throws -> [String]
    /// Aborts multipart uploads under `prefix` whose key already holds a complete object
    /// (content-addressed keys are written once: such an upload is a leftover); returns their keys.
    func abortRedundantUploads(prefix: String) async throws -> [String]
}

extension ObjectStore {
    /// A store without multipart uploads has none to abort.
    public func abortIncompleteUploads(prefix: String, olderThan: TimeInterval, now: Date) async throws -> [String] { [] }
    /// A store without multipart uploads has none to abort.
    public func abortRedundantUploads(prefix: String) async throws -> [String] { [] }
    /// By default the object read whole and hashed (local files, test stores).
    public func contentHash(_ key: String) async throws -> (sha256: String, size: UInt64)? {
        try await get(key).map { (PayloadHash.hex($0.bytes), UInt64($0.bytes.count)) }
    }
}

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

/// A folder on disk (the local engine). ETags are SHA-256 of the content; conditional
/// writes are made atomic with exclusive creation and rename under a lock file.
public struct LocalStore: ObjectStore {
    /// The folder the keys are paths under.
    public let root: String

    /// A store in the folder `root` (created on the first write).
    public init(root: String) {
        self.root = root
    }

    /// The folder's path.
    public var location: String { root }
    /// `ROOT/KEY`, the path the local engine reads.
    public func url(_ key: String) -> String { root + "/" + key }
    func path(_ key: String) -> String { root + "/" + key }

    /// The file's SHA-256 and size; `nil` when there is no such file.
    public func head(_ key: String) async throws -> StoredObject? {
        guard let data = FileManager.default.contents(atPath: path(key)) else { return nil }
        return StoredObject(etag: PayloadHash.hex(data), size: UInt64(data.count))
    }

    /// The file's bytes and SHA-256; `nil` when there is no such file.
    public func get(_ key: String) async throws -> (bytes: [UInt8], etag: String)? {
        guard let data = FileManager.default.contents(atPath: path(key)) else { return nil }
        return (Array(data), PayloadHash.hex(data))
    }

    /// Writes a temporary file and renames it into place under the lock, after checking
    /// `condition`; returns the content's SHA-256.
    public func put(_ key: String, bytes: [UInt8], contentType: String, condition: WriteCondition) async throws -> String {
        let target = path(key)
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        return try withLock {
            switch condition {
            case .always: break
            case .ifAbsent:
                if FileManager.default.fileExists(atPath: target) { throw PreconditionFailed(key: key) }
            case .ifMatch(let tag):
                guard let current = FileManager.default.contents(atPath: target), PayloadHash.hex(current) == tag else { throw PreconditionFailed(key: key) }
            }
            let temporary = target + ".tmp-\(UUID().uuidString)"
            try Data(bytes).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, target) == 0 else { throw DeployError("cannot write \(target)") }
            return PayloadHash.hex(bytes)
        }
    }

    /// Copied in pieces (flat memory) to a temporary file, then renamed into place under the lock.
    public func putFile(_ key: String, path source: String, condition: WriteCondition, progress: (@Sendable (UInt64, UInt64) -> Void)?) async throws {
        let target = path(key)
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let temporary = target + ".tmp-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        let copied = try StreamingFile.copy(from: SourceFile(path: source, resolved: source), to: temporary, name: key)
        try withLock {
            switch condition {
            case .always: break
            case .ifAbsent:
                if FileManager.default.fileExists(atPath: target) { throw PreconditionFailed(key: key) }
            case .ifMatch(let tag):
                guard FileManager.default.fileExists(atPath: target), (try? StreamingFile.sha256(target)) == tag else { throw PreconditionFailed(key: key) }
            }
            guard rename(temporary, target) == 0 else { throw DeployError("cannot write \(target)") }
        }
        progress?(copied.size, copied.size)
    }

    /// Removes the file under the lock (only if its SHA-256 is still `ifMatch`, when given).
    public func delete(_ key: String, ifMatch: String?) async throws {
        try withLock {
            let target = path(key)
            if let ifMatch {
                guard let current = FileManager.default.contents(atPath: target), PayloadHash.hex(current) == ifMatch else {
                    throw PreconditionFailed(key: key)
                }
            }
            try? FileManager.default.removeItem(atPath: target)
        }
    }

    /// The files whose relative paths start with `prefix`, sorted; temporary files and the
    /// lock file left out.
    public func list(_ prefix: String) async throws -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        var keys: [String] = []
        while let relative = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if relative.hasPrefix(prefix), FileManager.default.fileExists(atPath: path(relative), isDirectory: &isDirectory), !isDirectory.boolValue,
                !relative.contains(".tmp-"), !relative.hasSuffix(".store-lock")
            {
                keys.append(relative)
            }
        }
        return keys.sorted()
    }

    /// Serialises conditional operations of concurrent deployer processes on this folder.
    func withLock<T>(_ body: () throws -> T) throws -> T {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let descriptor = open(root + "/.store-lock", O_CREAT | O_RDWR, 0o644)
        guard descriptor >= 0 else { throw DeployError("cannot open \(root)/.store-lock") }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else { throw DeployError("cannot lock \(root)/.store-lock") }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }
}
