import Crypto
import Foundation

enum Hex {
    /// `0`–`9`, `a`–`f` for a nibble.
    @inline(__always)
    static func lowerDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") - 10 + nibble
    }

    static func string<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        // Written straight into the String's storage: one allocation per digest.
        String(unsafeUninitializedCapacity: bytes.underestimatedCount * 2 + 64) { buffer in
            var written = 0
            for byte in bytes {
                buffer[written] = lowerDigit(byte >> 4)
                buffer[written + 1] = lowerDigit(byte & 0x0F)
                written += 2
            }
            return written
        }
    }
}

/// Hex SHA-256 helpers used for payload hashes.
public enum PayloadHash {
    /// SHA-256 of the empty string, the payload hash of a request without a body.
    public static let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    /// Literal used in place of a hash when the caller chooses not to sign the body (S3 only).
    public static let unsigned = "UNSIGNED-PAYLOAD"
    /// Literal for `aws-chunked` uploads whose chunks are signed one by one.
    public static let streaming = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"

    /// Lower-case hex SHA-256 of `bytes`.
    public static func hex<D: DataProtocol>(_ bytes: D) -> String {
        Hex.string(SHA256.hash(data: bytes))
    }

    /// Lower-case hex of a finished digest (hashes computed piece by piece).
    public static func hex(digest: SHA256.Digest) -> String {
        Hex.string(digest)
    }

    /// Lower-case hex SHA-256 of contiguous bytes (no generic region walk).
    public static func hex(_ bytes: [UInt8]) -> String {
        var hasher = SHA256()
        bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return Hex.string(hasher.finalize())
    }
}
