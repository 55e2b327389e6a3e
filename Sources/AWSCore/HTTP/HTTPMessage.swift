import Foundation
import SigV4

/// What a request sends as its body.
public enum RequestBody: Sendable, Equatable {
    case empty
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
    public var method: String
    public var scheme: String
    public var host: String
    public var port: Int?
    /// The wire path (percent-encoded).
    public var path: String
    public var query: [QueryItem]
    public var headers: [HTTPHeader]
    public var body: RequestBody

    public init(method: String, scheme: String = "https", host: String, port: Int? = nil, path: String = "/", query: [QueryItem] = [], headers: [HTTPHeader] = [], body: RequestBody = .empty) {
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

    public var url: String {
        var text = "\(scheme)://\(hostHeader)\(path.isEmpty ? "/" : path)"
        if !query.isEmpty { text += "?" + SigningRequest(method: method, path: path, query: query, headers: []).encodedQuery }
        return text
    }

    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name.lowercased() == lowered }?.value
    }

    public mutating func setHeader(_ name: String, _ value: String) {
        let lowered = name.lowercased()
        headers.removeAll { $0.name.lowercased() == lowered }
        headers.append(HTTPHeader(name, value))
    }
}

/// An HTTP response, body held in memory (AWS control-plane answers are small).
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [HTTPHeader]
    public var body: [UInt8]

    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: Int, headers: [HTTPHeader] = [], text: String) {
        self.init(status: status, headers: headers, body: Array(text.utf8))
    }

    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name.lowercased() == lowered }?.value
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// Sends one HTTP request. The production transport is AsyncHTTPClient; tests script one.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest, timeout: Duration) async throws -> HTTPResponse
}

/// A failure below HTTP: no response came back. Retried as a transient error.
public struct TransportError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
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
    public var kind: Kind
    public var message: String
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
    public var description: String { "\(kind.rawValue) error: \(message)" }
}
