import AWSCore
import Foundation

/// One pinned line of a job's `requirements.txt`: `name==version`, with optional extras, an
/// environment marker and `--hash` options (which pip then enforces).
public struct Requirement: Sendable, Equatable {
    /// The package's name as written.
    public var name: String
    /// The pinned version.
    public var version: String
    /// Where it was written, for messages.
    public var line: Int

    /// PEP 503 normalised name: `PyYAML` and `pyyaml`, `typing_extensions` and `typing-extensions` match.
    public var key: String { Self.normalized(name) }

    /// `name` lower-cased, `_` and `.` as `-` (PEP 503).
    public static func normalized(_ name: String) -> String {
        name.lowercased().replacingOccurrences(of: "_", with: "-").replacingOccurrences(of: ".", with: "-")
    }
}

/// A job's dependency lock: every line pinned, so the same file always gives the same bundle.
public struct Requirements: Sendable, Equatable {
    /// The lock file's path, for messages.
    public var file: String
    /// Its pinned lines, in order.
    public var items: [Requirement]
    /// The file's bytes (part of the bundle's cache key).
    public var bytes: [UInt8]
    /// Every lock file, when more than one was joined (`load(files:)`); pip reads each.
    public var files: [String] = []

    /// Larger is not a lock file someone wrote.
    static let maximumBytes = 1 << 20

    /// Packages the engine provides: shipping another copy would shadow the cluster's own.
    static let provided: Set<String> = ["pyspark", "py4j"]

    private static let line = try! NSRegularExpression(
        pattern: #"^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[A-Za-z0-9._,\s-]*\])?\s*==\s*([A-Za-z0-9][A-Za-z0-9.!+_-]*)\s*(;.*)?$"#)

    /// Reads and checks `file`: one line-numbered error per problem (`FILE:LINE: …`), all at once.
    public static func load(_ file: String) throws -> Requirements {
        var info = stat()
        guard stat(file, &info) == 0 else {
            throw DeployError("\(file): missing (jobs.*.requirements): create it with pinned lines such as PyYAML==6.0.2, or remove the key")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw DeployError("\(file): not a regular file (jobs.*.requirements)") }
        guard info.st_size <= maximumBytes else { throw DeployError("\(file): \(info.st_size) bytes; a requirements file is at most 1 MiB") }
        guard let data = FileManager.default.contents(atPath: file) else { throw DeployError("\(file): cannot be read") }
        guard let text = String(data: data, encoding: .utf8) else { throw DeployError("\(file): not UTF-8 text") }
        let (items, problems) = parse(text, file: file)
        if !problems.isEmpty { throw DeployError(problems.joined(separator: "\n")) }
        return Requirements(file: file, items: items, bytes: Array(data))
    }

    /// Several locks as one (the job's and its DuckDB runtime's): a package pinned in two of
    /// them is refused; the bytes of all are the cache key.
    public static func load(files: [String]) throws -> Requirements {
        guard files.count > 1 else { return try load(files.first ?? "") }
        var joined = Requirements(file: files.joined(separator: " + "), items: [], bytes: [], files: files)
        var origin: [String: String] = [:]
        for file in files {
            let one = try load(file)
            for item in one.items {
                if let first = joined.pin(for: item.name) {
                    throw DeployError(
                        "\(file):\(item.line): \(item.name) is pinned again (first in \(origin[first.key] ?? files[0]) line \(first.line)): keep one pin")
                }
                joined.items.append(item)
                origin[item.key] = file
            }
            joined.bytes += Array("# \((file as NSString).lastPathComponent)\n".utf8) + one.bytes + [10]
        }
        return joined
    }

    /// The pinned requirements and the problems, each `FILE:LINE: …: what to do`.
    static func parse(_ text: String, file: String) -> (items: [Requirement], problems: [String]) {
        var items: [Requirement] = []
        var problems: [String] = []
        var seen: [String: Int] = [:]
        var logical: [(line: Int, text: String)] = []
        var pending: (line: Int, text: String)?
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var piece = String(raw)
            if piece.hasSuffix("\r") { piece.removeLast() }
            if let comment = piece.range(of: #"(^|\s)#"#, options: .regularExpression) { piece = String(piece[..<comment.lowerBound]) }
            let continued = piece.hasSuffix("\\")
            if continued { piece.removeLast() }
            if var current = pending {
                current.text += " " + piece
                pending = current
            } else {
                pending = (index + 1, piece)
            }
            if !continued, let done = pending {
                logical.append(done)
                pending = nil
            }
        }
        if let done = pending { logical.append(done) }
        for (number, content) in logical {
            var words = content.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if words.isEmpty { continue }
            func problem(_ message: String) { problems.append("\(file):\(number): \(message)") }
            // Hash options belong to the requirement before them; any other option is refused.
            var hashes: [String] = []
            var index = 0
            var unsupported: String?
            while index < words.count {
                let word = words[index]
                if word.hasPrefix("--hash=") {
                    hashes.append(word)
                    words.remove(at: index)
                } else if word == "--hash", index + 1 < words.count {
                    hashes.append(words[index + 1])
                    words.removeSubrange(index...index + 1)
                } else if word.hasPrefix("-") {
                    unsupported = word
                    break
                } else {
                    index += 1
                }
            }
            if let unsupported {
                problem(
                    "'\(Redaction.scrub(unsupported, limit: 40))' is not allowed: a lock holds only pinned NAME==VERSION lines (with --hash); indexes and includes belong to pip's configuration"
                )
                continue
            }
            for hash in hashes
            where hash.replacingOccurrences(of: "--hash=", with: "").range(of: "^sha(256|384|512):[0-9a-f]{64,128}$", options: .regularExpression) == nil {
                problem("'\(Redaction.scrub(hash, limit: 40))' is not a hash: write --hash=sha256:<64 hex digits>")
            }
            let requirement = words.joined(separator: " ")
            let range = NSRange(requirement.startIndex..., in: requirement)
            guard let match = line.firstMatch(in: requirement, range: range),
                let nameRange = Range(match.range(at: 1), in: requirement), let versionRange = Range(match.range(at: 3), in: requirement)
            else {
                problem(
                    "'\(Redaction.scrub(requirement, limit: 60))' is not pinned: write NAME==VERSION (e.g. PyYAML==6.0.2), so every build ships the same code")
                continue
            }
            let item = Requirement(name: String(requirement[nameRange]), version: String(requirement[versionRange]), line: number)
            if provided.contains(item.key) {
                problem("\(item.name) is provided by the engine's Spark runtime: remove the line (shipping another copy would shadow the cluster's own)")
                continue
            }
            if let first = seen[item.key] {
                problem("\(item.name) is listed twice (first on line \(first)): keep one pin")
                continue
            }
            seen[item.key] = number
            items.append(item)
        }
        return (items, problems)
    }

    /// The pin for a wheel's distribution name, if the lock has one.
    func pin(for name: String) -> Requirement? {
        let key = Requirement.normalized(name)
        return items.first { $0.key == key }
    }
}
