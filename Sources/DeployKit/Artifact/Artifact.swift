import AWSCore
import Crypto
import Foundation
import SigV4

/// A job's deployable artifact: the entry script, `code.zip` (the package plus its default
/// config) and `config.yml`, with `SHA256SUMS`. Content-addressed: the digest is the SHA-256
/// of `SHA256SUMS`, so the same sources always give the same digest and S3 key.
public struct Artifact: Sendable, Equatable {
    public struct File: Sendable, Equatable {
        public var name: String
        public var bytes: [UInt8]
        public var sha256: String
    }

    public var job: String
    public var files: [File]
    public var digest: String

    /// Files in upload order; `SHA256SUMS` last, so its presence marks a complete upload.
    public static let fileNames = ["main.py", "code.zip", "config.yml", "SHA256SUMS"]

    public func file(_ name: String) -> File? { files.first { $0.name == name } }

    /// `PREFIX/artifacts/JOB/DIGEST`.
    public func keyPrefix(_ prefix: String) -> String {
        (prefix.isEmpty ? "" : prefix + "/") + "artifacts/\(job)/\(digest)"
    }

    /// Builds the artifact of `job` in memory (job sources are small; the code zip is stored, not compressed).
    public static func build(_ job: Job) throws -> Artifact {
        let fileManager = FileManager.default
        let entryPath = job.source + "/" + job.entryPoint
        guard let entry = fileManager.contents(atPath: entryPath) else {
            throw DeployError("\(entryPath): missing; job '\(job.name)' needs its entry point (jobs.\(job.name).entry_point)")
        }
        guard let config = fileManager.contents(atPath: job.config) else {
            throw DeployError("\(job.config): missing; job '\(job.name)' needs a config file (jobs.\(job.name).config)")
        }
        let package = try packageDirectory(job)
        let packageName = URL(fileURLWithPath: package).lastPathComponent
        var entries = try packageFiles(package, packageName: packageName)
        entries.append((packageName + "/config.yml", Array(config)))
        entries.sort { $0.name.unicodeScalars.lexicographicallyPrecedes($1.name.unicodeScalars) }
        let zip = StoredZip.make(entries)
        var files = [
            File(name: "main.py", bytes: Array(entry), sha256: PayloadHash.hex(entry)),
            File(name: "code.zip", bytes: zip, sha256: PayloadHash.hex(zip)),
            File(name: "config.yml", bytes: Array(config), sha256: PayloadHash.hex(config)),
        ]
        let sums = files.sorted { $0.name < $1.name }.map { "\($0.sha256)  \($0.name)\n" }.joined()
        let sumsBytes = Array(sums.utf8)
        let digest = PayloadHash.hex(sumsBytes)
        files.append(File(name: "SHA256SUMS", bytes: sumsBytes, sha256: digest))
        return Artifact(job: job.name, files: files, digest: digest)
    }

    static func packageDirectory(_ job: Job) throws -> String {
        let src = job.source + "/src"
        let candidates = ((try? FileManager.default.contentsOfDirectory(atPath: src)) ?? [])
            .filter { FileManager.default.fileExists(atPath: "\(src)/\($0)/__init__.py") }
            .sorted()
        guard candidates.count == 1, let only = candidates.first else {
            throw DeployError("\(src): expected exactly one Python package (a folder with __init__.py), found \(candidates.count)")
        }
        return "\(src)/\(only)"
    }

    static func packageFiles(_ package: String, packageName: String) throws -> [(name: String, data: [UInt8])] {
        var entries: [(name: String, data: [UInt8])] = []
        guard let enumerator = FileManager.default.enumerator(atPath: package) else {
            throw DeployError("\(package): cannot be read")
        }
        while let relative = enumerator.nextObject() as? String {
            let parts = relative.split(separator: "/")
            if parts.contains(where: { $0 == "__pycache__" || $0 == ".pytest_cache" }) { continue }
            if relative.hasSuffix(".pyc") || relative.hasSuffix(".pyo") { continue }
            let full = package + "/" + relative
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            guard let data = FileManager.default.contents(atPath: full) else { throw DeployError("\(full): cannot be read") }
            entries.append((packageName + "/" + relative, Array(data)))
        }
        return entries
    }

    /// Writes the files to `directory` (created if needed).
    public func write(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for file in files {
            let path = directory + "/" + file.name
            try Data(file.bytes).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.posixPermissions: 0o644, .modificationDate: Date(timeIntervalSince1970: 315_532_800)], ofItemAtPath: path)
        }
    }
}
