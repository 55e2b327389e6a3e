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
    public static let unsignableHeaders: Set<String> = Set(unsignableNames.map(\.description))

    /// Builds the canonical request for `request` with `payloadHash` in the last line.
    /// `extraQuery` is signed as if it were part of the query (presigning's `X-Amz-*`
    /// parameters, which are not on the request yet); headers named in `excludeHeaders`
    /// (lower-case) are left unsigned, as are `unsignableHeaders`.
    public init(request: SigningRequest, payloadHash: String, uriRules: URIRules, extraQuery: [QueryItem] = [], excludeHeaders: Set<String> = []) {
        // One pass sizes the output (every byte of a path or query may become `%XY`; header
        // names appear twice, in the lines and in SignedHeaders), so it is written with no
        // growth checks and the only allocation is the result.
        var bound = request.method.utf8.count + 3 * (request.path.utf8.count + 2) + payloadHash.utf8.count + 8
        var queryBytes = 0
        for item in request.query { queryBytes += item.name.utf8.count + item.value.utf8.count }
        for item in extraQuery { queryBytes += item.name.utf8.count + item.value.utf8.count }
        bound += 3 * queryBytes + 2 * (request.query.count + extraQuery.count)
        var headerBytes = 0
        for header in request.headers { headerBytes += header.name.utf8.count + header.value.utf8.count }
        bound += 2 * headerBytes + 3 * request.headers.count
        var signedRange = 0..<0
        self.bytes = [UInt8](unsafeUninitializedCapacity: bound) { buffer, initialized in
            var out = ByteWriter(buffer)
            out.put(request.method)
            out.put(0x0A)
            Self.writeCanonicalURI(request.path, rules: uriRules, to: &out)
            out.put(0x0A)
            Self.writeCanonicalQuery(request.query, extraQuery, encodedBound: 3 * queryBytes, to: &out)
            out.put(0x0A)
            signedRange = Self.writeCanonicalHeaders(request.headers, excluding: excludeHeaders, scratchSize: headerBytes, to: &out)
            out.put(0x0A)
            out.put(payloadHash)
            initialized = out.count
        }
        self.signedHeaders = String(decoding: bytes[signedRange], as: UTF8.self)
    }

    // MARK: URI

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

    // MARK: Query

    /// A name and value as ranges into a scratch buffer, with the input position for stable ties.
    struct Slot {
        var name: Range<Int>
        var value: Range<Int>
        var order: Int
    }

    static func writeCanonicalQuery(_ query: [QueryItem], _ extra: [QueryItem], encodedBound: Int, to out: inout ByteWriter) {
        let total = query.count + extra.count
        if total == 0 { return }
        // Keys and values are encoded into one scratch buffer; sorting moves small slots only.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(encodedBound, 1)) { scratchBuffer in
            withUnsafeTemporaryAllocation(of: Slot.self, capacity: total) { slots in
                var scratch = ByteWriter(scratchBuffer)
                var filled = 0
                func add(_ item: QueryItem) {
                    let keyStart = scratch.count
                    scratch.putEncoded(item.name, keepSlash: false)
                    let valueStart = scratch.count
                    scratch.putEncoded(item.value, keepSlash: false)
                    (slots.baseAddress.unsafelyUnwrapped + filled).initialize(
                        to: Slot(name: keyStart..<valueStart, value: valueStart..<scratch.count, order: filled))
                    filled += 1
                }
                for item in query { add(item) }
                for item in extra { add(item) }
                let bytes = UnsafeBufferPointer(rebasing: scratchBuffer[0..<scratch.count])
                sortSlots(slots) { left, right in
                    let leftKey = UnsafeBufferPointer(rebasing: bytes[left.name])
                    let rightKey = UnsafeBufferPointer(rebasing: bytes[right.name])
                    if !bytesEqual(leftKey, rightKey) { return lexicographicallyPrecedes(leftKey, rightKey) }
                    return lexicographicallyPrecedes(UnsafeBufferPointer(rebasing: bytes[left.value]), UnsafeBufferPointer(rebasing: bytes[right.value]))
                }
                for index in 0..<total {
                    if index > 0 { out.put(UInt8(ascii: "&")) }
                    out.put(UnsafeBufferPointer(rebasing: bytes[slots[index].name]))
                    out.put(UInt8(ascii: "="))
                    out.put(UnsafeBufferPointer(rebasing: bytes[slots[index].value]))
                }
                _ = slots.baseAddress.map { $0.deinitialize(count: total) }
            }
        }
    }

    /// Insertion sort for the usual handful of entries; the library sort beyond that.
    static func sortSlots(_ slots: UnsafeMutableBufferPointer<Slot>, by precedes: (Slot, Slot) -> Bool) {
        if slots.count > 24 {
            var slots = slots
            slots.sort(by: precedes)
            return
        }
        var index = 1
        while index < slots.count {
            let item = slots[index]
            var position = index
            while position > 0, precedes(item, slots[position - 1]) {
                slots[position] = slots[position - 1]
                position -= 1
            }
            slots[position] = item
            index += 1
        }
    }

    // MARK: Headers

    /// The `;`-joined SignedHeaders list for `headers` (presigning puts it in the query).
    static func signedHeaderNames(_ headers: [HTTPHeader]) -> String {
        var headerBytes = 0
        for header in headers { headerBytes += header.name.utf8.count + header.value.utf8.count }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2 * headerBytes + 3 * headers.count + 1) { buffer in
            var out = ByteWriter(buffer)
            let range = writeCanonicalHeaders(headers, excluding: [], scratchSize: headerBytes, to: &out)
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self)
        }
    }

    static func isUnsignable(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        switch name.count {
        case 6, 10, 13, 15, 17:
            return unsignableNames.contains { bytesEqual(UnsafeBufferPointer(start: $0.utf8Start, count: $0.utf8CodeUnitCount), name) }
        default:
            return false
        }
    }

    /// `unsignableHeaders` as static bytes (no allocation per lookup).
    static let unsignableNames: [StaticString] = [
        "authorization", "user-agent", "expect", "connection", "transfer-encoding", "x-amzn-trace-id",
    ]

    /// Writes the canonical header lines, the blank line and SignedHeaders; returns where
    /// SignedHeaders sits in the output. Names lower-cased, values trimmed with inner
    /// whitespace runs collapsed, repeated names joined with `,` in order, sorted by name.
    static func writeCanonicalHeaders(_ headers: [HTTPHeader], excluding: Set<String>, scratchSize: Int, to out: inout ByteWriter) -> Range<Int> {
        let count = headers.count
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(scratchSize, 1)) { scratchBuffer in
            withUnsafeTemporaryAllocation(of: Slot.self, capacity: max(count, 1)) { slots in
                var scratch = ByteWriter(scratchBuffer)
                var filled = 0
                for (order, header) in headers.enumerated() {
                    let nameStart = scratch.count
                    withUTF8(header.name) { bytes in
                        for byte in bytes { scratch.put(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte) }
                    }
                    let lowered = scratch.written(from: nameStart)
                    if isUnsignable(lowered) || (!excluding.isEmpty && excluding.contains(String(decoding: lowered, as: UTF8.self))) {
                        scratch = ByteWriter(scratchBuffer, count: nameStart)
                        continue
                    }
                    let valueStart = scratch.count
                    withUTF8(header.value) { bytes in
                        var pendingSpace = false
                        for byte in bytes {
                            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                                pendingSpace = scratch.count > valueStart
                            } else {
                                if pendingSpace {
                                    scratch.put(0x20)
                                    pendingSpace = false
                                }
                                scratch.put(byte)
                            }
                        }
                    }
                    (slots.baseAddress.unsafelyUnwrapped + filled).initialize(
                        to: Slot(name: nameStart..<valueStart, value: valueStart..<scratch.count, order: order))
                    filled += 1
                }
                let bytes = UnsafeBufferPointer(rebasing: scratchBuffer[0..<scratch.count])
                let used = UnsafeMutableBufferPointer(rebasing: slots[0..<filled])
                sortSlots(used) { left, right in
                    let leftName = UnsafeBufferPointer(rebasing: bytes[left.name])
                    let rightName = UnsafeBufferPointer(rebasing: bytes[right.name])
                    if bytesEqual(leftName, rightName) { return left.order < right.order }
                    return lexicographicallyPrecedes(leftName, rightName)
                }
                var index = 0
                while index < filled {
                    let name = UnsafeBufferPointer(rebasing: bytes[used[index].name])
                    out.put(name)
                    out.put(UInt8(ascii: ":"))
                    out.put(UnsafeBufferPointer(rebasing: bytes[used[index].value]))
                    index += 1
                    // Repeated header: values joined with ',' in the order given.
                    while index < filled, bytesEqual(UnsafeBufferPointer(rebasing: bytes[used[index].name]), name) {
                        out.put(UInt8(ascii: ","))
                        out.put(UnsafeBufferPointer(rebasing: bytes[used[index].value]))
                        index += 1
                    }
                    out.put(0x0A)
                }
                out.put(0x0A)
                let signedStart = out.count
                index = 0
                var first = true
                while index < filled {
                    let name = UnsafeBufferPointer(rebasing: bytes[used[index].name])
                    if !first { out.put(UInt8(ascii: ";")) }
                    first = false
                    out.put(name)
                    index += 1
                    while index < filled, bytesEqual(UnsafeBufferPointer(rebasing: bytes[used[index].name]), name) { index += 1 }
                }
                _ = slots.baseAddress.map { $0.deinitialize(count: filled) }
                return signedStart..<out.count
            }
        }
    }
}
