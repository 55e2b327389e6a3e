import Crypto
import Foundation

/// The job's code as a wheel: Glue's Python shell installs the `.whl` files of
/// `--extra-py-files` with pip and documents no `.zip` there, so a Python shell job gets its
/// code as this wheel (the same entries as `code.zip`, plus the wheel's metadata).
extension Artifact {
    /// The wheel's file name: one fixed distribution per artifact prefix, version 0, pure Python.
    public static let codeWheel = "deployer_job_code-0-py3-none-any.whl"
    /// The wheel's metadata folder.
    static let wheelDistInfo = "deployer_job_code-0.dist-info"

    /// `entries` with the wheel's METADATA, WHEEL and RECORD (written into `folder`), sorted as
    /// `code.zip`'s are. RECORD lists every entry's SHA-256 (URL-safe base64, no padding) and size.
    static func wheelEntries(_ entries: [(name: String, source: SourceFile)], folder: String) throws -> [(name: String, source: SourceFile)] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        func generated(_ name: String, _ text: String) throws -> (name: String, source: SourceFile) {
            let path = folder + "/" + name
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return (wheelDistInfo + "/" + name, SourceFile(path: path, resolved: path))
        }
        var all = entries
        all.append(try generated("METADATA", "Metadata-Version: 2.1\nName: deployer-job-code\nVersion: 0\n"))
        all.append(try generated("WHEEL", "Wheel-Version: 1.0\nGenerator: deployer\nRoot-Is-Purelib: true\nTag: py3-none-any\n"))
        let recordName = wheelDistInfo + "/RECORD"
        var record = ""
        for entry in all.sorted(by: { $0.name.unicodeScalars.lexicographicallyPrecedes($1.name.unicodeScalars) }) {
            var hasher = SHA256()
            var size: UInt64 = 0
            try StreamingFile.read(entry.source) { piece in
                hasher.update(bufferPointer: piece)
                size += UInt64(piece.count)
            }
            let digest = Data(hasher.finalize()).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            record += "\(recordField(entry.name)),sha256=\(digest),\(size)\n"
        }
        record += "\(recordName),,\n"
        all.append(try generated("RECORD", record))
        return all.sorted { $0.name.unicodeScalars.lexicographicallyPrecedes($1.name.unicodeScalars) }
    }

    /// A path as a CSV field (RECORD is CSV): quoted when it holds a comma, quote or line break.
    static func recordField(_ path: String) -> String {
        guard path.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return path }
        return "\"" + path.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
