import Foundation
import SigV4

/// What a request sends as its body.
public enum RequestBody: Sendable, Equatable {
    /// No body.
    case empty
    /// A body held in memory.
    case bytes([UInt8])
    /// `length` bytes of the file at `path` from `offset`, streamed (never loaded whole).
    case file(path: String, offset: UInt64, length: UInt64)
    /// A file range sent as `aws-chunked` with every chunk signed (one read, no pre-hash pass).
    /// `signer` is filled in by `AWSClient` after it signs the headers.
    case signedChunks(path: String, offset: UInt64, length: UInt64, chunkSize: Int, signer: ChunkSigner?)

    /// Bytes of payload (for `aws-chunked`, the decoded length).
    public var length: UInt64 {
        switch self {
        case .empty: return 0
        case .bytes(let bytes): return UInt64(bytes.count)
        case .file(_, _, let length): return length
        case .signedChunks(_, _, let length, _, _): return length
        }
    }

    /// Bytes on the wire.
    public var wireLength: UInt64 {
        if case .signedChunks(_, _, let length, let chunkSize, _) = self {
            return UInt64(ChunkSigner.encodedLength(payloadLength: Int(length), chunkSize: chunkSize))
        }
        return length
    }

    /// Equal when of the same kind with the same content; the chunk signer is left out, as
    /// every attempt gets a new one.
    public static func == (lhs: RequestBody, rhs: RequestBody) -> Bool {
        switch (lhs, rhs) {
        case (.empty, .empty): return true
        case (.bytes(let a), .bytes(let b)): return a == b
        case (.file(let a, let b, let c), .file(let d, let e, let f)): return a == d && b == e && c == f
        case (.signedChunks(let a, let b, let c, let d, _), .signedChunks(let e, let f, let g, let h, _)): return a == e && b == f && c == g && d == h
        default: return false
        }
    }
}

/// An HTTP request to an AWS endpoint.
public struct HTTPRequest: Sendable, Equatable {
    /// The HTTP method, e.g. `GET`.
    public var method: String
    /// `https` or `http`.
    public var scheme: String
    /// The host to connect to.
    public var host: String
    /// The port; `nil` for the scheme's default.
    public var port: Int?
    /// The wire path (percent-encoded).
    public var path: String
    /// Query parameters, decoded, in wire order.
    public var query: [QueryItem]
    /// Headers in wire order; `AWSClient` adds `Host` and the signing headers.
    public var headers: [HTTPHeader]
    /// What is sent as the body.
    public var body: RequestBody

    /// A request; by default `https` to `/`, with no query, headers or body.
    public init(
        method: String, scheme: String = "https", host: String, port: Int? = nil, path: String = "/", query: [QueryItem] = [], headers: [HTTPHeader] = [],
        body: RequestBody = .empty
    ) {
        self.method = method
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// `Host` header value: the host, plus the port when it is not the scheme's default.
    public var hostHeader: String {
        guard let port else { return host }
        if (scheme == "https" && port == 443) || (scheme == "http" && port == 80) { return host }
        return "\(host):\(port)"
    }

    /// The full URL: scheme, `hostHeader`, path (`/` when empty) and the encoded query.
    public var url: String {
        var text = "\(scheme)://\(hostHeader)\(path.isEmpty ? "/" : path)"
        if !query.isEmpty { text += "?" + SigningRequest(method: method, path: path, query: query, headers: []).encodedQuery }
        return text
    }

    /// The first value of the header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name.lowercased() == lowered }?.value
    }

    /// Replaces every header named `name` (case-insensitive) with the one `name: value`.
    public mutating func setHeader(_ name: String, _ value: String) {
        let lowered = name.lowercased()
        headers.removeAll { $0.name.lowercased() == lowered }
        headers.append(HTTPHeader(name, value))
    }
}

/// An HTTP response, body held in memory (AWS control-plane answers are small).
public struct HTTPResponse: Sendable, Equatable {
    /// The HTTP status code.
    public var status: Int
    /// The headers as received.
    public var headers: [HTTPHeader]
    /// The whole body.
    public var body: [UInt8]

    /// A response from its parts.
    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response whose body is `text` as UTF-8.
    public init(status: Int, headers: [HTTPHeader] = [], text: String) {
        self.init(status: status, headers: headers, body: Array(text.utf8))
    }

    /// The first value of the header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name.lowercased() == lowered }?.value
    }

    /// The body as UTF-8 text (invalid bytes repaired).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// Sends one HTTP request. The production transport is AsyncHTTPClient; tests script one.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and returns the answer, whatever its status. Throws `TransportError`
    /// when no complete answer came back within `timeout`.
    func send(_ request: HTTPRequest, timeout: Duration) async throws -> HTTPResponse
}

/// A failure below HTTP: no response came back. Retried as a transient error.
public struct TransportError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure it was; decides whether the call is retried.
    public enum Kind: String, Sendable {
        /// `connect`: no connection; `timeout`: no answer in time; `reset`: the connection
        /// dropped; `tls`: the handshake failed (these four are retried); `io`: a local
        /// failure such as reading an upload's file (not retried).
        case connect, timeout, reset, tls, io
        /// The proxy refused us (its login): retrying cannot help.
        case proxy
        /// Nothing listens at the endpoint.
        case refused
        /// The server's certificate failed verification, or the CA bundle is unusable.
        case tlsVerification
        /// The request cannot be sent as built (a control character in a header, say).
        case invalidRequest
        /// The answer is larger than deployer accepts.
        case tooLarge
        /// The caller cancelled (Ctrl-C, SIGTERM).
        case cancelled

        /// Whether another attempt may succeed.
        public var isRetryable: Bool {
            switch self {
            case .connect, .timeout, .reset, .tls: return true
            case .io, .proxy, .refused, .tlsVerification, .invalidRequest, .tooLarge, .cancelled: return false
            }
        }
    }
    /// What kind of failure it was.
    public var kind: Kind
    /// What happened, for the user.
    public var message: String
    /// A failure of `kind` described by `message`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
    /// `KIND error: message`.
    public var description: String { "\(kind.rawValue) error: \(message)" }
}
