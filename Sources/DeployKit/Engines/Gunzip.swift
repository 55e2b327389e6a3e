import Foundation

/// Decompresses gzip via the system's `gzip -dc` (present on every Linux host deployer
/// targets), keeping zlib out of the static binary.
enum Gunzip {
    static func text(_ bytes: [UInt8]) throws -> String {
        let result = try Subprocess.run(["gzip", "-dc"], input: bytes)
        guard result.status == 0 else { throw DeployError("a driver log is not valid gzip") }
        return String(decoding: result.output, as: UTF8.self)
    }
}
