import AWSCore
import Crypto
import Foundation
import SigV4

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
