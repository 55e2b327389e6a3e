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
}
