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
        out.reserveCapacity(256 + request.path.utf8.count + headers.storage.count)
        out.append(contentsOf: request.method.utf8)
        out.append(0x0A)
        Self.appendCanonicalURI(request.path, rules: uriRules, to: &out)
        out.append(0x0A)
        Self.appendCanonicalQuery(request.query, extraQuery, to: &out)
        out.append(0x0A)
        headers.storage.withUnsafeBufferPointer { buffer in
            for entry in headers.entries {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[entry.name]))
                out.append(UInt8(ascii: ":"))
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[entry.value]))
                out.append(0x0A)
            }
        }
        let signed = headers.signedHeaders
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

    // MARK: Query

    static func appendCanonicalQuery(_ query: [QueryItem], _ extra: [QueryItem], to out: inout [UInt8]) {
        let total = query.count + extra.count
        if total == 0 { return }
        // Every key and value encoded into one buffer; pairs are ranges into it, so sorting
        // compares slices and allocates nothing per parameter.
        var storage: [UInt8] = []
        storage.reserveCapacity(total * 32)
        var pairs: [(key: Range<Int>, value: Range<Int>)] = []
        pairs.reserveCapacity(total)
        func add(_ item: QueryItem) {
            let keyStart = storage.count
            URIEncoding.encode(item.name.utf8, keepSlash: false, into: &storage)
            let valueStart = storage.count
            URIEncoding.encode(item.value.utf8, keepSlash: false, into: &storage)
            pairs.append((keyStart..<valueStart, valueStart..<storage.count))
        }
        for item in query { add(item) }
        for item in extra { add(item) }
        storage.withUnsafeBufferPointer { buffer in
            pairs.sort { lhs, rhs in
                let leftKey = buffer[lhs.key], rightKey = buffer[rhs.key]
                if !leftKey.elementsEqual(rightKey) { return leftKey.lexicographicallyPrecedes(rightKey) }
                return buffer[lhs.value].lexicographicallyPrecedes(buffer[rhs.value])
            }
        }
        storage.withUnsafeBufferPointer { buffer in
            for (index, pair) in pairs.enumerated() {
                if index > 0 { out.append(UInt8(ascii: "&")) }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[pair.key]))
                out.append(UInt8(ascii: "="))
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[pair.value]))
            }
        }
    }

    // MARK: Headers

    /// Canonical headers held in one byte buffer; entries are ranges into it (no allocation
    /// per header), merged by name and sorted.
    struct CanonicalHeaders {
        var storage: [UInt8] = []
        var entries: [(name: Range<Int>, value: Range<Int>)] = []

        /// `;`-joined names.
        var signedHeaders: [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(entries.count * 16)
            storage.withUnsafeBufferPointer { buffer in
                for (index, entry) in entries.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ";")) }
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[entry.name]))
                }
            }
            return out
        }
    }

    static let unsignableNames: [[UInt8]] = unsignableHeaders.map { Array($0.utf8) }

    /// Lower-cased names, trimmed values with inner whitespace runs collapsed, repeated
    /// names joined with `,` in order, sorted by name; unsignable headers left out.
    static func canonicalHeaders(_ headers: [HTTPHeader], excluding: Set<String>) -> CanonicalHeaders {
        var result = CanonicalHeaders()
        result.storage.reserveCapacity(headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count } * 2)
        var raw: [(name: Range<Int>, value: Range<Int>, order: Int)] = []
        raw.reserveCapacity(headers.count)
        for (order, header) in headers.enumerated() {
            let nameStart = result.storage.count
            for byte in header.name.utf8 {
                result.storage.append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte)
            }
            let name = nameStart..<result.storage.count
            let skip = result.storage.withUnsafeBufferPointer { buffer in
                unsignableNames.contains { $0.count == name.count && $0.elementsEqual(buffer[name]) }
            }
                || (!excluding.isEmpty && excluding.contains(String(decoding: result.storage[name], as: UTF8.self)))
            if skip {
                result.storage.removeSubrange(name)
                continue
            }
            let valueStart = result.storage.count
            appendCanonicalValue(header.value, to: &result.storage)
            raw.append((name, valueStart..<result.storage.count, order))
        }
        result.storage.withUnsafeBufferPointer { buffer in
            raw.sort { lhs, rhs in
                let left = buffer[lhs.name], right = buffer[rhs.name]
                if left.elementsEqual(right) { return lhs.order < rhs.order }
                return left.lexicographicallyPrecedes(right)
            }
        }
        var index = 0
        while index < raw.count {
            var last = index
            while last + 1 < raw.count, result.storage.withUnsafeBufferPointer({ $0[raw[last + 1].name].elementsEqual($0[raw[index].name]) }) { last += 1 }
            if last == index {
                result.entries.append((raw[index].name, raw[index].value))
            } else {
                // Repeated header: values joined with ',' in the order given.
                let start = result.storage.count
                for position in index...last {
                    if position > index { result.storage.append(UInt8(ascii: ",")) }
                    result.storage.append(contentsOf: result.storage[raw[position].value])
                }
                result.entries.append((raw[index].name, start..<result.storage.count))
            }
            index = last + 1
        }
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

    static func appendCanonicalValue(_ value: String, to out: inout [UInt8]) {
        let start = out.count
        var pendingSpace = false
        for byte in value.utf8 {
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                pendingSpace = out.count > start
            } else {
                if pendingSpace {
                    out.append(0x20)
                    pendingSpace = false
                }
                out.append(byte)
            }
        }
    }
}
