import Foundation

/// Where the repository and the optional `../shared` folder are, from this file's location.
enum SharedPaths {
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `$DEPLOYER_SHARED_DIR` or `<repo>/../shared`, when it exists.
    static var shared: URL? {
        let candidate =
            ProcessInfo.processInfo.environment["DEPLOYER_SHARED_DIR"].map { URL(fileURLWithPath: $0) }
            ?? repoRoot.deletingLastPathComponent().appendingPathComponent("shared")
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory) && isDirectory.boolValue ? candidate : nil
    }
}
