/// Percent-encoding exactly as SigV4 defines it (RFC 3986 unreserved characters
/// `A-Z a-z 0-9 - . _ ~` are kept, every other byte of the UTF-8 form becomes `%XY`
/// with upper-case hex). Works on bytes so it is fast and independent of Foundation.
public enum URIEncoding {
    /// RFC 3986 unreserved: `A-Z a-z 0-9 - . _ ~`.
    @inlinable @inline(__always)
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// `0`–`9`, `A`–`F` for a nibble.
    @inlinable @inline(__always)
    static func upperHexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "A") - 10 + nibble
    }

    /// Emits the encoding of one byte: itself when unreserved (or `/` with `keepSlash`), else `%XY`.
    /// The one encoder both the wire forms and the canonical request use.
    @inlinable @inline(__always)
    static func encode(_ byte: UInt8, keepSlash: Bool, _ emit: (UInt8) -> Void) {
        if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
            emit(byte)
        } else {
            emit(UInt8(ascii: "%"))
            emit(upperHexDigit(byte >> 4))
            emit(upperHexDigit(byte & 0x0F))
        }
    }

    /// Appends the encoding of `bytes` to `out`. With `keepSlash`, `/` is kept as is
    /// (path encoding); otherwise it becomes `%2F` (query keys and values).
    @inlinable
    public static func encode<S: Sequence>(_ bytes: S, keepSlash: Bool, into out: inout [UInt8]) where S.Element == UInt8 {
        for byte in bytes {
            encode(byte, keepSlash: keepSlash) { out.append($0) }
        }
    }

    /// The encoding of `string` (query component rules: `/` becomes `%2F`).
    public static func encodeComponent(_ string: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(string.utf8.count)
        encode(string.utf8, keepSlash: false, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The encoding of a decoded path such as an S3 key (`/` kept).
    public static func encodePath(_ string: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(string.utf8.count)
        encode(string.utf8, keepSlash: true, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `%XY` sequences; malformed sequences are kept literally and `+` stays `+`
    /// (SigV4 does not treat `+` as a space).
    public static func decode(_ string: Substring) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(string.utf8.count)
        var text = string
        text.withUTF8 { bytes in forEachDecoded(bytes) { byte, _ in out.append(byte) } }
        return out
    }

    /// Walks `bytes` decoding valid `%XY` sequences: `emit(byte, wasEncoded)` per resulting byte,
    /// so a caller can tell a literal `/` from a decoded `%2F`.
    @inline(__always)
    static func forEachDecoded(_ bytes: UnsafeBufferPointer<UInt8>, _ emit: (UInt8, Bool) -> Void) {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                emit(high << 4 | low, true)
                index += 3
            } else {
                emit(byte, false)
                index += 1
            }
        }
    }

    /// Decodes `%XY` sequences into a String (invalid UTF-8 is repaired).
    public static func decodeToString(_ string: Substring) -> String {
        String(decoding: decode(string), as: UTF8.self)
    }

    @inlinable
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
