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
}
