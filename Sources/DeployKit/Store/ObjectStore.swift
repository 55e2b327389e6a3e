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
