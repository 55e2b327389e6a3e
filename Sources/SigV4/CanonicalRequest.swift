/// Step 1 of SigV4: the canonical request.
///
/// ```
/// METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n \n SignedHeaders \n PayloadHash
/// ```
public struct CanonicalRequest: Sendable {
    /// The UTF-8 bytes that are hashed for the string to sign.
    public let bytes: [UInt8]
    /// `;`-joined lower-case names of the headers that were signed.
    public let signedHeaders: String

    /// The canonical request as text (for `--explain` and tests).
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Headers SigV4 must never sign: they are added or changed by proxies and HTTP stacks.
    public static let unsignableHeaders: Set<String> = [
        "authorization", "user-agent", "expect", "connection", "transfer-encoding", "x-amzn-trace-id",
    ]

    public init(request: SigningRequest, payloadHash: String, uriRules: URIRules, extraQuery: [QueryItem] = [], excludeHeaders: Set<String> = []) {
        let headers = Self.canonicalHeaders(request.headers, excluding: excludeHeaders)
        var out: [UInt8] = []
        out.reserveCapacity(256 + request.path.utf8.count + 64 * headers.count)
        out.append(contentsOf: request.method.utf8)
        out.append(0x0A)
        Self.appendCanonicalURI(request.path, rules: uriRules, to: &out)
        out.append(0x0A)
        Self.appendCanonicalQuery(request.query, extraQuery, to: &out)
        out.append(0x0A)
        var signed: [UInt8] = []
        signed.reserveCapacity(16 * headers.count)
        for (index, header) in headers.enumerated() {
            out.append(contentsOf: header.name)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: header.value)
            out.append(0x0A)
            if index > 0 { signed.append(UInt8(ascii: ";")) }
            signed.append(contentsOf: header.name)
        }
        out.append(0x0A)
        out.append(contentsOf: signed)
        out.append(0x0A)
        out.append(contentsOf: payloadHash.utf8)
        self.bytes = out
        self.signedHeaders = String(decoding: signed, as: UTF8.self)
    }

    // MARK: URI

    /// How the path becomes the canonical URI.
    public struct URIRules: Sendable, Equatable {
        /// Encode the (already encoded) wire path once more: every service but S3.
        public var doubleEncode: Bool
        /// Remove `.`, `..` and empty segments: every service but S3.
        public var normalize: Bool
        public init(doubleEncode: Bool, normalize: Bool) {
            self.doubleEncode = doubleEncode
            self.normalize = normalize
        }
        /// The general rule.
        public static let standard = URIRules(doubleEncode: true, normalize: true)
        /// S3's rule: the path is encoded once and kept exactly as it is.
        public static let s3 = URIRules(doubleEncode: false, normalize: false)
    }

    static func appendCanonicalURI(_ path: String, rules: URIRules, to out: inout [UInt8]) {
        let source = rules.normalize ? normalizePath(path) : (path.isEmpty ? "/" : path)
        if rules.doubleEncode {
            URIEncoding.encode(source.utf8, keepSlash: true, into: &out)
        } else {
            // Decode and re-encode each segment so an under-encoded path still
            // canonicalises the way S3 does, while `%2F` inside a segment survives.
            var first = true
            for segment in source.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
                if !first { out.append(UInt8(ascii: "/")) }
                first = false
                let text = Substring(decoding: segment, as: UTF8.self)
                URIEncoding.encode(URIEncoding.decode(text), keepSlash: false, into: &out)
            }
        }
    }

    /// Removes `.` and `..` segments and collapses `//`; keeps a trailing `/`.
    public static func normalizePath(_ path: String) -> String {
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

    // MARK: Query

    static func appendCanonicalQuery(_ query: [QueryItem], _ extra: [QueryItem], to out: inout [UInt8]) {
        let total = query.count + extra.count
        if total == 0 { return }
        var pairs: [([UInt8], [UInt8])] = []
        pairs.reserveCapacity(total)
        for item in query + extra {
            var key: [UInt8] = []
            var value: [UInt8] = []
            URIEncoding.encode(item.name.utf8, keepSlash: false, into: &key)
            URIEncoding.encode(item.value.utf8, keepSlash: false, into: &value)
            pairs.append((key, value))
        }
        pairs.sort { lhs, rhs in
            if lhs.0 != rhs.0 { return lhs.0.lexicographicallyPrecedes(rhs.0) }
            return lhs.1.lexicographicallyPrecedes(rhs.1)
        }
        for (index, pair) in pairs.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "&")) }
            out.append(contentsOf: pair.0)
            out.append(UInt8(ascii: "="))
            out.append(contentsOf: pair.1)
        }
    }

    // MARK: Headers

    struct CanonicalHeader {
        var name: [UInt8]
        var value: [UInt8]
    }

    /// Lower-cased names, trimmed values with inner whitespace runs collapsed, repeated
    /// names joined with `,` in order, sorted by name; unsignable headers left out.
    static let unsignableNames: [[UInt8]] = unsignableHeaders.map { Array($0.utf8) }

    static func canonicalHeaders(_ headers: [HTTPHeader], excluding: Set<String>) -> [CanonicalHeader] {
        var result: [CanonicalHeader] = []
        result.reserveCapacity(headers.count)
        for header in headers {
            let name = lowercased(header.name)
            if unsignableNames.contains(name) { continue }
            if !excluding.isEmpty, excluding.contains(String(decoding: name, as: UTF8.self)) { continue }
            let value = canonicalValue(header.value)
            if let existing = result.firstIndex(where: { $0.name == name }) {
                result[existing].value.append(UInt8(ascii: ","))
                result[existing].value.append(contentsOf: value)
            } else {
                result.append(CanonicalHeader(name: name, value: value))
            }
        }
        result.sort { $0.name.lexicographicallyPrecedes($1.name) }
        return result
    }

    static func lowercased(_ string: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            out.append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte)
        }
        return out
    }

    static func canonicalValue(_ value: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count)
        var pendingSpace = false
        for byte in value.utf8 {
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace {
                    out.append(0x20)
                    pendingSpace = false
                }
                out.append(byte)
            }
        }
        return out
    }
}
