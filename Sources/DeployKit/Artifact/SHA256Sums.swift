import Foundation
import SigV4

/// `SHA256SUMS`, the list that closes every content-addressed set (artifact, dependency
/// bundle): one `HASH  NAME` line per file, sorted by name, in `sha256sum`'s format. Its own
/// SHA-256 is the set's digest, so the list is written by one function and read by one.
enum SHA256Sums {
    /// The list's bytes for `files` (name, hex SHA-256), sorted by name.
    static func render(_ files: [(name: String, sha256: String)]) -> [UInt8] {
        Array(files.sorted { $0.name < $1.name }.map { "\($0.sha256)  \($0.name)\n" }.joined().utf8)
    }

    /// The (name, hex SHA-256) entries of a list; nil when a line is not `HASH  NAME`.
    static func entries(_ bytes: [UInt8]) -> [(name: String, sha256: String)]? {
        var entries: [(name: String, sha256: String)] = []
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            entries.append((parts[1].trimmingCharacters(in: .whitespaces), String(parts[0])))
        }
        return entries
    }
}
