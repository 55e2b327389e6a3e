/// The canonical URI: the path normalised and encoded.
extension CanonicalRequest {
    /// How the path becomes the canonical URI.
    public struct URIRules: Sendable, Equatable {
        /// Encode the (already encoded) wire path once more: every service but S3.
        public var doubleEncode: Bool
        /// Remove `.`, `..` and empty segments: every service but S3.
        public var normalize: Bool
        /// Rules with each step chosen; `standard` and `s3` are the two AWS uses.
        public init(doubleEncode: Bool, normalize: Bool) {
            self.doubleEncode = doubleEncode
            self.normalize = normalize
        }
        /// The general rule.
        public static let standard = URIRules(doubleEncode: true, normalize: true)
        /// S3's rule: the path is encoded once and kept exactly as it is.
        public static let s3 = URIRules(doubleEncode: false, normalize: false)
    }

    static func writeCanonicalURI(_ path: String, rules: URIRules, to out: inout ByteWriter) {
        if rules.doubleEncode {
            out.putEncoded(rules.normalize ? normalizePath(path) : (path.isEmpty ? "/" : path), keepSlash: true)
            return
        }
        let source = rules.normalize ? normalizePath(path) : (path.isEmpty ? "/" : path)
        // Each segment is decoded and re-encoded, so an under-encoded path canonicalises the
        // way S3 does, while `%2F` inside a segment stays `%2F` (a decoded `/` is data).
        withUTF8(source) { bytes in
            URIEncoding.forEachDecoded(bytes) { byte, wasEncoded in
                if byte == UInt8(ascii: "/"), !wasEncoded {
                    out.put(byte)
                } else {
                    out.putEncoded(byte, keepSlash: false)
                }
            }
        }
    }

    /// Removes `.` and `..` segments and collapses `//`; keeps a trailing `/`.
    public static func normalizePath(_ path: String) -> String {
        if isNormal(path) { return path }
        var stack: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": _ = stack.popLast()
            default: stack.append(segment)
            }
        }
        if stack.isEmpty { return "/" }
        var result = "/" + stack.joined(separator: "/")
        if path.hasSuffix("/") { result += "/" }
        return result
    }

    /// True when no segment is empty, `.` or `..` (the common case: nothing to rewrite).
    static func isNormal(_ path: String) -> Bool {
        var previousSlash = false
        var segmentLength = 0
        var dots = 0
        var first = true
        for byte in path.utf8 {
            if first {
                guard byte == UInt8(ascii: "/") else { return false }
                first = false
                previousSlash = true
                continue
            }
            if byte == UInt8(ascii: "/") {
                if previousSlash { return false }
                if segmentLength == dots, dots == 1 || dots == 2 { return false }
                previousSlash = true
                segmentLength = 0
                dots = 0
            } else {
                previousSlash = false
                segmentLength += 1
                if byte == UInt8(ascii: ".") { dots += 1 }
            }
        }
        if first { return false }
        return !(segmentLength == dots && (dots == 1 || dots == 2))
    }
}
