import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SigV4

/// The production transport: one AsyncHTTPClient for the process (one more per proxy in use),
/// so connections are reused; TLS always verified (against `AWS_CA_BUNDLE` when set); file
/// bodies streamed.
public final class AsyncHTTPTransport: HTTPTransport, @unchecked Sendable {
    /// Direct connections, and one client per proxy in use (AsyncHTTPClient sets the proxy per client).
    private let direct: HTTPClient
    private let proxied: [[String]: HTTPClient]
    /// The proxy settings read from the environment when the transport was made.
    public let proxies: ProxySettings
    /// Bytes read from disk per body chunk: large enough for throughput, small enough for flat memory.
    public static let fileChunkSize = 1 << 20

    /// - Parameters:
    ///   - caBundlePath: PEM bundle to trust instead of the system's (else `AWS_CA_BUNDLE`).
    ///   - environment: where `AWS_CA_BUNDLE` and `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` are read.
    public init(
        caBundlePath: String? = nil, connectTimeout: Duration = .seconds(10),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        if let caBundlePath = caBundlePath ?? environment["AWS_CA_BUNDLE"], !caBundlePath.isEmpty {
            guard FileManager.default.isReadableFile(atPath: caBundlePath) else {
                throw TransportError(
                    .tlsVerification, "AWS_CA_BUNDLE (or the profile's ca_bundle) \(caBundlePath) is not a readable file: point it at a PEM bundle or unset it")
            }
            let certificates = try? NIOSSLCertificate.fromPEMFile(caBundlePath)
            guard let certificates, !certificates.isEmpty else {
                throw TransportError(
                    .tlsVerification,
                    "AWS_CA_BUNDLE (or the profile's ca_bundle) \(caBundlePath) holds no PEM certificate: point it at a PEM bundle ('-----BEGIN CERTIFICATE-----') or unset it"
                )
            }
            tls.trustRoots = .file(caBundlePath)
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .nanoseconds(Int64(connectTimeout.components.seconds) * 1_000_000_000))
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.httpVersion = .http1Only
        // A refused or failed connection surfaces at once; the AWS retry layer decides what to
        // retry (with backoff and a deadline) instead of the pool retrying until its timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        let proxies = try ProxySettings.fromEnvironment(environment)
        var proxied: [[String]: HTTPClient] = [:]
        for proxy in [proxies.https, proxies.http].compactMap({ $0 }) where proxied[proxy.identity] == nil {
            var viaProxy = configuration
            // A refused proxy login is final: fail the request at once instead of retrying the
            // connection until the deadline (the AWS retry layer still retries what is transient).
            viaProxy.connectionPool.retryConnectionEstablishment = false
            viaProxy.proxy = .server(
                host: proxy.host, port: proxy.port,
                authorization: proxy.username.map { .basic(username: $0, password: proxy.password ?? "") })
            proxied[proxy.identity] = HTTPClient(eventLoopGroupProvider: .singleton, configuration: viaProxy)
        }
        self.proxies = proxies
        self.proxied = proxied
        self.direct = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    deinit {
        try? direct.syncShutdown()
        for client in proxied.values { try? client.syncShutdown() }
    }

    /// Shuts down the direct client, then each proxy's, waiting for each to finish.
    public func shutdown() async throws {
        try await direct.shutdown()
        for client in proxied.values { try await client.shutdown() }
    }

    /// The proxy `request` goes through, or nil for a direct connection.
    func proxy(for request: HTTPRequest) -> ProxySettings.Proxy? {
        proxies.proxy(scheme: request.scheme, host: request.host, port: request.port ?? (request.scheme.lowercased() == "https" ? 443 : 80))
    }

    func client(for request: HTTPRequest) -> HTTPClient {
        proxy(for: request).flatMap { proxied[$0.identity] } ?? direct
    }

    /// Sends `request` and collects the whole answer (at most `maximumResponseBytes`) within
    /// `timeout`. File bodies are streamed; any `Content-Length` header is dropped, the body
    /// sets it. Throws `TransportError`, whose kind decides retrying, or `CancellationError`.
    public func send(_ request: HTTPRequest, timeout: Duration) async throws -> HTTPResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for header in request.headers where header.name.lowercased() != "content-length" {
            outgoing.headers.add(name: header.name, value: header.value)
        }
        switch request.body {
        case .empty:
            if request.method == "PUT" || request.method == "POST" { outgoing.body = .bytes(ByteBuffer()) }
        case .bytes(let bytes):
            outgoing.body = .bytes(ByteBuffer(bytes: bytes))
        case .file(let path, let offset, let length):
            let chunks = FileChunks(path: path, offset: offset, length: length, chunkSize: Self.fileChunkSize)
            outgoing.body = .stream(chunks, length: .known(Int64(length)))
        case .signedChunks(let path, let offset, let length, let chunkSize, let signer):
            guard let signer else { throw TransportError(.io, "an aws-chunked body was sent unsigned") }
            let chunks = SignedFileChunks(path: path, offset: offset, length: length, chunkSize: chunkSize, signer: signer)
            outgoing.body = .stream(chunks, length: .known(Int64(request.body.wireLength)))
        }
        do {
            let response = try await client(for: request).execute(
                outgoing, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
            var body = try await response.body.collect(upTo: Self.maximumResponseBytes)
            let bytes = body.readBytes(length: body.readableBytes) ?? []
            return HTTPResponse(status: Int(response.status.code), headers: response.headers.map { HTTPHeader($0.name, $0.value) }, body: bytes)
        } catch let error as HTTPClientError where error == .proxyAuthenticationRequired {
            let variable = proxy(for: request)?.variable ?? "the proxy setting"
            throw TransportError(
                .proxy, "the proxy in \(variable) refused the login (407 Proxy Authentication Required): check the user and password in \(variable)")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw Self.classify(error, endpoint: request.hostHeader)
        }
    }

    /// Control-plane answers are small; anything larger is refused rather than buffered.
    public static let maximumResponseBytes = 64 << 20

    /// Turns whatever the HTTP stack threw into a `TransportError` whose kind decides retrying,
    /// with a message that names the endpoint and never carries header values (they may hold
    /// credentials) or library build paths.
    static func classify(_ error: any Error, endpoint: String) -> TransportError {
        switch error {
        case let error as TransportError:
            return error
        case let error as HTTPClientError:
            return classify(error, endpoint: endpoint)
        case let error as HTTPParserError:
            return TransportError(.reset, "the answer from \(endpoint) was cut off or malformed (HTTP parser: \(error))")
        case is NIOTooManyBytesError:
            return TransportError(.tooLarge, "the answer from \(endpoint) is larger than \(maximumResponseBytes >> 20) MiB: refused")
        case let error as NIOSSLError:
            return classifyTLS("\(error)", endpoint: endpoint)
        case let error as NIOSSLExtraError:
            return classifyTLS("\(error)", endpoint: endpoint)
        case let error as FileRangeReader.ReadError:
            return TransportError(.io, error.description)
        case let error as NIOConnectionError:
            if error.connectionErrors.contains(where: { ($0.error as? IOError)?.errnoCode == ECONNREFUSED }) {
                return refused(endpoint)
            }
            if error.dnsAError != nil || error.dnsAAAAError != nil, error.connectionErrors.isEmpty {
                return TransportError(.connect, "cannot resolve the host of \(endpoint) (DNS): check the region and endpoint settings")
            }
            return TransportError(.connect, "cannot connect to \(endpoint)")
        case let error as IOError:
            if error.errnoCode == ECONNREFUSED { return refused(endpoint) }
            return TransportError(.reset, "connection to \(endpoint) failed: \(String(cString: strerror(error.errnoCode)))")
        case let error as ChannelError:
            return TransportError(.reset, "connection to \(endpoint) failed: \(Redaction.scrub("\(error)"))")
        default:
            let text = "\(error)"
            if text.contains("connection refused") || text.contains("Connection refused") { return refused(endpoint) }
            return TransportError(.reset, "connection to \(endpoint) failed: \(type(of: error)): \(Redaction.scrub(text))")
        }
    }

    static func refused(_ endpoint: String) -> TransportError {
        TransportError(
            .refused, "connection refused by \(endpoint): nothing listens there; check the endpoint (--endpoint-url, AWS_ENDPOINT_URL…) and the region")
    }

    static func classifyTLS(_ text: String, endpoint: String) -> TransportError {
        let verification = [
            "CERTIFICATE_VERIFY_FAILED", "unableToValidateCertificate", "cannotMatchULabel", "failedToValidateHostname", "noCertificateToValidate",
        ]
        if verification.contains(where: text.contains) {
            return TransportError(
                .tlsVerification,
                "the TLS certificate of \(endpoint) is not trusted or does not match its name: check the endpoint, or set AWS_CA_BUNDLE to the PEM bundle of the CA that signed it"
            )
        }
        return TransportError(.tls, "the TLS handshake with \(endpoint) failed")
    }

    static func classify(_ error: HTTPClientError, endpoint: String) -> TransportError {
        switch error {
        case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout, .getConnectionFromPoolTimeout, .tlsHandshakeTimeout, .httpProxyHandshakeTimeout,
            .socksHandshakeTimeout:
            return TransportError(.timeout, "\(endpoint) did not answer in time (\(error.shortName))")
        case .remoteConnectionClosed, .uncleanShutdown, .bodyLengthMismatch:
            return TransportError(.reset, "\(endpoint) closed the connection before the answer was complete (\(error.shortName))")
        case .cancelled, .requestStreamCancelled:
            return TransportError(.cancelled, "the request to \(endpoint) was cancelled")
        default:
            let name = error.shortName
            if name.hasPrefix("invalidHeader") || name.hasPrefix("invalidURL") || name.hasPrefix("empty") {
                // The values are not shown: a header may carry a credential.
                return TransportError(
                    .invalidRequest,
                    "the request to \(endpoint) holds a character HTTP does not allow in a header or the URL (\(name)): check the credentials and names for control characters"
                )
            }
            return TransportError(.reset, "request to \(endpoint) failed (\(name))")
        }
    }
}

extension HTTPClientError {
    /// The case name without associated values (which may hold header values).
    var shortName: String {
        let text = "\(self)"
        let start = text.range(of: "HTTPClientError.")?.upperBound ?? text.startIndex
        let rest = text[start...]
        return String(rest.prefix { $0.isLetter || $0.isNumber })
    }
}

/// Reads a file range front to back, `chunkSize` bytes per call, opening the file lazily.
/// Bytes go straight from the file into the buffer that is sent (one copy, no staging `Data`).
final class FileRangeReader {
    struct ReadError: Error, CustomStringConvertible {
        let description: String
    }

    let path: String
    private var position: UInt64
    private(set) var remaining: UInt64
    let chunkSize: Int
    private var handle: FileHandle?

    init(path: String, offset: UInt64, length: UInt64, chunkSize: Int) {
        self.path = path
        self.position = offset
        self.remaining = length
        self.chunkSize = chunkSize
    }

    deinit {
        try? handle?.close()
    }

    /// How many bytes the next read returns (0 once the range is read).
    var nextLength: Int { Int(Swift.min(UInt64(chunkSize), remaining)) }

    /// Appends the next `nextLength` bytes to `buffer`.
    func read(into buffer: inout ByteBuffer) throws {
        let want = nextLength
        guard want > 0 else {
            try? handle?.close()
            handle = nil
            return
        }
        if handle == nil {
            guard let opened = FileHandle(forReadingAtPath: path) else { throw ReadError(description: "cannot open \(path) for reading") }
            handle = opened
        }
        guard let descriptor = handle?.fileDescriptor else { throw ReadError(description: "cannot read \(path)") }
        var done = 0
        while done < want {
            var failure: Int32 = 0
            let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: want - done) { target -> Int in
                let result = pread(descriptor, target.baseAddress, want - done, off_t(position + UInt64(done)))
                if result < 0 { failure = errno }
                return Swift.max(result, 0)
            }
            if failure == EINTR { continue }
            if failure != 0 { throw ReadError(description: "cannot read \(path): \(String(cString: strerror(failure)))") }
            guard count > 0 else { throw ReadError(description: "\(path) ended \(remaining - UInt64(done)) bytes early (changed while uploading?)") }
            done += count
        }
        position += UInt64(want)
        remaining -= UInt64(want)
    }
}

/// A file range as a request body, read on demand so memory stays flat however large the file.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let path: String
    let offset: UInt64
    let length: UInt64
    let chunkSize: Int

    func makeAsyncIterator() -> Iterator {
        Iterator(reader: FileRangeReader(path: path, offset: offset, length: length, chunkSize: chunkSize))
    }

    final class Iterator: AsyncIteratorProtocol {
        let reader: FileRangeReader
        init(reader: FileRangeReader) {
            self.reader = reader
        }

        func next() async throws -> ByteBuffer? {
            let length = reader.nextLength
            if length == 0 { return nil }
            var buffer = ByteBufferAllocator().buffer(capacity: length)
            try reader.read(into: &buffer)
            return buffer
        }
    }
}

/// An `aws-chunked` body read from a file: each chunk framed with its signature, chained from
/// the seed signature, then the final empty chunk. One read of the file, memory flat.
struct SignedFileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let path: String
    let offset: UInt64
    let length: UInt64
    let chunkSize: Int
    let signer: ChunkSigner

    func makeAsyncIterator() -> Iterator {
        Iterator(reader: FileRangeReader(path: path, offset: offset, length: length, chunkSize: chunkSize), signer: signer)
    }

    final class Iterator: AsyncIteratorProtocol {
        let reader: FileRangeReader
        var signer: ChunkSigner
        var finished = false

        init(reader: FileRangeReader, signer: ChunkSigner) {
            self.reader = reader
            self.signer = signer
        }

        func next() async throws -> ByteBuffer? {
            if finished { return nil }
            let length = reader.nextLength
            // The empty read is the final, zero-length chunk that closes the signature chain.
            if length == 0 { finished = true }
            // The data is read into place after room for its header, which needs the data's hash.
            let headerLength = ChunkSigner.headerLength(chunkLength: length)
            var buffer = ByteBufferAllocator().buffer(capacity: headerLength + length + 2)
            buffer.writeRepeatingByte(0, count: headerLength)
            try reader.read(into: &buffer)
            let header = buffer.withUnsafeReadableBytes { bytes in
                signer.header(for: UnsafeRawBufferPointer(rebasing: bytes[headerLength...]))
            }
            guard header.count == headerLength else {
                throw FileRangeReader.ReadError(description: "chunk header of \(header.count) bytes, expected \(headerLength)")
            }
            buffer.setBytes(header, at: buffer.readerIndex)
            buffer.writeBytes([0x0D, 0x0A])
            return buffer
        }
    }
}
