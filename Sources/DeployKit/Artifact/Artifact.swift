import AWSCore
import Crypto
import Foundation
import SigV4

/// A job's deployable artifact: the entry script, `code.zip` (the package plus its default
/// config), the same code as a wheel (`codeWheel`, for Glue's Python shell) and `config.yml`,
/// with `SHA256SUMS`. Content-addressed: the digest is the SHA-256
/// of `SHA256SUMS`, so the same sources always give the same digest and S3 key.
///
/// Built on disk with streaming reads and writes (1 MiB at a time), so memory stays flat
/// whatever the size of the job's files: `BUILD/JOB/DIGEST/` holds the five files.
public struct Artifact: Sendable, Equatable {
    /// One built file of the artifact.
    public struct File: Sendable, Equatable {
        /// Its name in the artifact (`main.py`, `code.zip`, `codeWheel`, `config.yml`, `SHA256SUMS`).
        public var name: String
        /// Where the built file is.
        public var path: String
        /// Its size in bytes.
        public var size: UInt64
        /// Its SHA-256, hex.
        public var sha256: String
    }

    /// The job's name in the manifest.
    public var job: String
    /// The built files, in upload order.
    public var files: [File]
    /// The SHA-256 of `SHA256SUMS`: names the artifact and its keys.
    public var digest: String
    /// `BUILD/JOB/DIGEST`: the folder holding the files.
    public var directory: String

    /// Files in upload order; `SHA256SUMS` last, so its presence marks a complete upload.
    public static let fileNames = ["main.py", "code.zip", codeWheel, "config.yml", "SHA256SUMS"]

    /// The built file called `name`, if there is one.
    public func file(_ name: String) -> File? { files.first { $0.name == name } }

    /// `PREFIX/artifacts/JOB/DIGEST`.
    public func keyPrefix(_ prefix: String) -> String {
        (prefix.isEmpty ? "" : prefix + "/") + "artifacts/\(job)/\(digest)"
    }

    /// Where artifacts are built unless told otherwise: `.deployer/build` beside the manifest.
    public static func defaultBuildRoot(for job: Job) -> String {
        (job.repository ?? NSTemporaryDirectory() + "deployer") + "/.deployer/build"
    }

    /// Builds the artifact of `job` under `buildRoot` (default: `defaultBuildRoot`). Only regular
    /// files inside the job's repository are read: a symbolic link out of it, a FIFO or a device
    /// is an error naming the file.
    public static func build(_ job: Job, buildRoot: String? = nil) throws -> Artifact {
        let root = buildRoot ?? defaultBuildRoot(for: job)
        let repository = job.repository ?? job.source
        let fileManager = FileManager.default
        let entryPath = job.source + "/" + job.entryPoint
        guard fileManager.fileExists(atPath: entryPath) else {
            throw DeployError("\(entryPath): missing; job '\(job.name)' needs its entry point (jobs.\(job.name).entry_point)")
        }
        guard fileManager.fileExists(atPath: job.config) else {
            throw DeployError("\(job.config): missing; job '\(job.name)' needs a config file (jobs.\(job.name).config)")
        }
        let entrySource = try SourceFile.checked(entryPath, repository: repository)
        let configSource = try SourceFile.checked(job.config, repository: repository)
        let package = try packageDirectory(job)
        let packageName = URL(fileURLWithPath: package).lastPathComponent
        var entries = try packageFiles(package, packageName: packageName, repository: repository)
        // Shared libraries (`libraries:`) add their packages beside the job's; a name twice is ambiguous.
        var owners = [packageName: job.source]
        for library in job.libraries {
            for libraryPackage in try libraryPackages(library) {
                let name = URL(fileURLWithPath: libraryPackage).lastPathComponent
                if let owner = owners[name] {
                    throw DeployError("package \(name) is in both \(owner) and \(library): rename one (jobs.\(job.name).libraries)")
                }
                owners[name] = library
                entries += try packageFiles(libraryPackage, packageName: name, repository: repository)
            }
        }
        entries.append((packageName + "/config.yml", configSource))
        entries.sort { $0.name.unicodeScalars.lexicographicallyPrecedes($1.name.unicodeScalars) }

        try fileManager.createDirectory(atPath: root + "/\(job.name)", withIntermediateDirectories: true)
        let staging = root + "/\(job.name)/.staging-\(UUID().uuidString)"
        try fileManager.createDirectory(atPath: staging, withIntermediateDirectories: true)
        do {
            var files = [
                try StreamingFile.copy(from: entrySource, to: staging + "/main.py", name: "main.py"),
                try StoredZip.write(entries, to: staging + "/code.zip"),
                try StoredZip.write(try wheelEntries(entries, folder: staging + "/.wheel"), to: staging + "/" + codeWheel, name: codeWheel),
                try StreamingFile.copy(from: configSource, to: staging + "/config.yml", name: "config.yml"),
            ]
            try fileManager.removeItem(atPath: staging + "/.wheel")
            let sumsBytes = SHA256Sums.render(files.map { ($0.name, $0.sha256) })
            let digest = PayloadHash.hex(sumsBytes)
            try Data(sumsBytes).write(to: URL(fileURLWithPath: staging + "/SHA256SUMS"))
            files.append(File(name: "SHA256SUMS", path: staging + "/SHA256SUMS", size: UInt64(sumsBytes.count), sha256: digest))
            for file in files {
                try fileManager.setAttributes([.posixPermissions: 0o644, .modificationDate: Date(timeIntervalSince1970: 315_532_800)], ofItemAtPath: file.path)
            }
            let final = root + "/\(job.name)/\(digest)"
            try ContentAddressedFolder.place(staging, at: final, marker: "SHA256SUMS", what: "the built artifact")
            let placed = files.map { File(name: $0.name, path: final + "/" + $0.name, size: $0.size, sha256: $0.sha256) }
            return Artifact(job: job.name, files: placed, digest: digest, directory: final)
        } catch {
            try? fileManager.removeItem(atPath: staging)
            throw error
        }
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

    /// A library folder's packages (`src/*/__init__.py`), at least one.
    static func libraryPackages(_ library: String) throws -> [String] {
        let src = library + "/src"
        let found = ((try? FileManager.default.contentsOfDirectory(atPath: src)) ?? [])
            .filter { FileManager.default.fileExists(atPath: "\(src)/\($0)/__init__.py") }
            .sorted()
        guard !found.isEmpty else {
            throw DeployError("\(src): a library needs at least one Python package (a folder with __init__.py) under src/")
        }
        return found.map { "\(src)/\($0)" }
    }

    static func packageFiles(_ package: String, packageName: String, repository: String) throws -> [(name: String, source: SourceFile)] {
        var entries: [(name: String, source: SourceFile)] = []
        guard let enumerator = FileManager.default.enumerator(atPath: package) else {
            throw DeployError("\(package): cannot be read")
        }
        while let relative = enumerator.nextObject() as? String {
            let parts = relative.split(separator: "/")
            if parts.contains(where: { $0 == "__pycache__" || $0 == ".pytest_cache" }) { continue }
            if relative.hasSuffix(".pyc") || relative.hasSuffix(".pyo") { continue }
            let full = package + "/" + relative
            let type = (try? FileManager.default.attributesOfItem(atPath: full)[.type] as? FileAttributeType) ?? nil
            if type == .typeDirectory { continue }
            entries.append((packageName + "/" + relative, try SourceFile.checked(full, repository: repository)))
        }
        return entries
    }
}

/// A file that may be packaged: a regular file inside the repository, links resolved.
struct SourceFile: Sendable, Equatable {
    /// What was named (for messages).
    let path: String
    /// What is read.
    let resolved: String

    static func checked(_ path: String, repository: String) throws -> SourceFile {
        let root = URL(fileURLWithPath: repository).resolvingSymlinksInPath().path
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard resolved == root || resolved.hasPrefix(root + "/") else {
            throw DeployError("\(path) leads outside the repository (to \(resolved)): nothing outside \(root) is packaged; replace the link with the file")
        }
        var info = stat()
        guard stat(resolved, &info) == 0 else { throw DeployError("\(path): cannot be read: \(String(cString: strerror(errno)))") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw DeployError("\(path) is not a regular file (a FIFO, socket or device): only regular files are packaged")
        }
        return SourceFile(path: path, resolved: resolved)
    }
}

/// Reads and writes files in bounded pieces.
enum StreamingFile {
    static let chunkSize = 1 << 20

    /// Calls `body` with each piece of the file, in order.
    static func read(_ source: SourceFile, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let descriptor = open(source.resolved, O_RDONLY | O_NOFOLLOW)
        guard descriptor >= 0 else { throw DeployError("\(source.path): cannot be read: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = Foundation.read(descriptor, buffer.baseAddress, chunkSize)
            if count < 0 {
                if errno == EINTR { continue }
                throw DeployError("\(source.path): cannot be read: \(String(cString: strerror(errno)))")
            }
            if count == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// Copies `source` to `destination`, hashing it on the way.
    static func copy(from source: SourceFile, to destination: String, name: String) throws -> Artifact.File {
        let output = try Output(destination)
        var hasher = SHA256()
        var size: UInt64 = 0
        try read(source) { piece in
            hasher.update(bufferPointer: piece)
            try output.write(piece)
            size += UInt64(piece.count)
        }
        try output.close()
        return Artifact.File(name: name, path: destination, size: size, sha256: PayloadHash.hex(digest: hasher.finalize()))
    }

    /// SHA-256 of a whole file, read in pieces.
    static func sha256(_ path: String) throws -> String {
        var hasher = SHA256()
        try read(SourceFile(path: path, resolved: path)) { hasher.update(bufferPointer: $0) }
        return PayloadHash.hex(digest: hasher.finalize())
    }

    /// A file being written, with positioned writes for patching headers.
    final class Output {
        let path: String
        let descriptor: Int32
        private(set) var offset: UInt64 = 0

        init(_ path: String) throws {
            self.path = path
            descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0o644)
            guard descriptor >= 0 else { throw DeployError("cannot write \(path): \(String(cString: strerror(errno)))") }
        }

        deinit { if descriptor >= 0 { Foundation.close(descriptor) } }

        func write(_ bytes: UnsafeRawBufferPointer) throws {
            var done = 0
            while done < bytes.count {
                let count = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
                if count < 0 {
                    if errno == EINTR { continue }
                    throw DeployError("cannot write \(path): \(String(cString: strerror(errno)))")
                }
                done += count
            }
            offset += UInt64(bytes.count)
        }

        func write(_ bytes: [UInt8]) throws {
            try bytes.withUnsafeBytes { try write($0) }
        }

        /// Overwrites bytes already written at `position` (does not move the end).
        func patch(_ bytes: [UInt8], at position: UInt64) throws {
            let count = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, off_t(position)) }
            guard count == bytes.count else { throw DeployError("cannot write \(path): \(String(cString: strerror(errno)))") }
        }

        func close() throws {
            guard fsync(descriptor) == 0 || errno == EINVAL else { throw DeployError("cannot write \(path): \(String(cString: strerror(errno)))") }
        }
    }
}

/// Moves a fully built folder into its content-addressed place. Two builds of the same digest
/// may race (two applies in one checkout): the first rename wins, the second finds a complete
/// folder with the same bytes and keeps it. A folder left incomplete by an older crash (no
/// `marker`) is moved aside first, never deleted under a reader.
enum ContentAddressedFolder {
    static func place(_ staging: String, at final: String, marker: String, what: String) throws {
        let fileManager = FileManager.default
        for _ in 0..<3 {
            if fileManager.fileExists(atPath: final + "/" + marker) {
                try? fileManager.removeItem(atPath: staging)
                return
            }
            if rename(staging, final) == 0 { return }
            guard errno == ENOTEMPTY || errno == EEXIST else { break }
            if !fileManager.fileExists(atPath: final + "/" + marker) {
                let aside = final + ".incomplete-\(UUID().uuidString)"
                if rename(final, aside) == 0 { try? fileManager.removeItem(atPath: aside) }
            }
        }
        if fileManager.fileExists(atPath: final + "/" + marker) {
            try? fileManager.removeItem(atPath: staging)
            return
        }
        throw DeployError("cannot move \(what) into \(final): \(String(cString: strerror(errno)))")
    }
}
