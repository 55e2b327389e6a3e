/// One HTTP header line as given (name case preserved; repeated names allowed).
public struct HTTPHeader: Sendable, Equatable {
    /// The header name as written (case kept; the canonical request lower-cases it).
    public var name: String
    /// The header value as written (the canonical request trims it).
    public var value: String
    /// The header `name: value`.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// One query parameter, decoded (not percent-encoded).
public struct QueryItem: Sendable, Equatable {
    /// The parameter name, decoded.
    public var name: String
    /// The parameter value, decoded (empty for a bare name).
    public var value: String
    /// The parameter `name=value`, both given decoded.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// The parts of an HTTP request that SigV4 covers.
public struct SigningRequest: Sendable, Equatable {
    /// The HTTP method as it goes on the wire, e.g. `GET`.
    public var method: String
    /// The path exactly as it goes on the wire (already percent-encoded), e.g. `/bucket/a%20b`.
    public var path: String
    /// Query parameters, decoded, in the order they go on the wire.
    public var query: [QueryItem]
    /// Headers in the order they go on the wire. Must include `Host`.
    public var headers: [HTTPHeader]

    /// A request to sign; `path` already percent-encoded, `query` decoded, `headers` including `Host`.
    public init(method: String, path: String, query: [QueryItem] = [], headers: [HTTPHeader]) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
    }

    /// The first value of the header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name.lowercased() == lowered }?.value
    }

    /// The query string as it goes on the wire, RFC 3986 encoded, in `query` order.
    public var encodedQuery: String {
        query.map { URIEncoding.encodeComponent($0.name) + "=" + URIEncoding.encodeComponent($0.value) }
            .joined(separator: "&")
    }

    /// Path plus `?query` when there is one: the HTTP request target.
    public var target: String {
        query.isEmpty ? path : path + "?" + encodedQuery
    }
}
