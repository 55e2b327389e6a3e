import Foundation
import SigV4

/// Settings shared by every service client of one `deployer` invocation.
public struct AWSConfiguration: Sendable {
    /// The region the service clients work in.
    public var region: String
    /// Where each service's requests go: overrides first, then AWS's naming rules.
    public var endpoints: EndpointResolver
    /// How many attempts a call gets and how long it backs off between them.
    public var retry: RetryPolicy
    /// One attempt's limit (a request with a body gets one more second per MiB sent).
    public var timeout: Duration
    /// The whole call's limit, retries and backoff included (plus the same allowance for a body):
    /// a silent or failing endpoint ends a command in bounded time.
    public var deadline: Duration
    /// The `User-Agent` every request carries (not signed): which tool and command sent it, for
    /// CloudTrail and for the contract test that checks each request against the service model.
    public var userAgent: String?

    /// Settings for `region`. Without `endpoints`, AWS's own endpoints for that region unless
    /// the process environment overrides them (`AWS_ENDPOINT_URL…`).
    public init(
        region: String, endpoints: EndpointResolver? = nil, retry: RetryPolicy = RetryPolicy(), timeout: Duration = .seconds(30),
        deadline: Duration = .seconds(75)
    ) {
        self.region = region
        self.endpoints = endpoints ?? EndpointResolver(region: region)
        self.retry = retry
        self.timeout = timeout
        self.deadline = deadline
    }
}

/// The one path every AWS call takes: resolve credentials, sign (again on every attempt),
/// send, retry what is retryable, correct clock skew, decode the error.
public final class AWSClient: Sendable {
    /// Region, endpoints, retries and time limits.
    public let configuration: AWSConfiguration
    /// Sends the signed requests (AsyncHTTPClient in production, a script in tests).
    public let transport: any HTTPTransport
    /// `nil` sends unsigned requests (STS AssumeRoleWithWebIdentity needs no credentials).
    public let credentials: (any CredentialProvider)?
    /// The local time before skew correction; injectable so tests are deterministic.
    public let clock: @Sendable () -> Date
    /// Waits out a backoff delay; injectable so tests need not wait.
    public let sleep: @Sendable (Duration) async throws -> Void
    /// The measured offset from AWS's clock, shared with the clients derived with `with(…)`.
    public let skew: ClockSkew
    /// Shared by every call of this client and of the clients derived from it with `with(…)`.
    public let retryQuota: RetryQuota
    /// Where `--debug` lines go; `nil` writes none.
    public let debug: DebugLog?

    /// A client that signs with `credentials` (`nil`: unsigned). The defaults are the real
    /// clock, `Task.sleep`, a fresh skew and retry quota, and no debug output.
    public init(
        configuration: AWSConfiguration, transport: any HTTPTransport, credentials: (any CredentialProvider)?,
        clock: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        skew: ClockSkew = ClockSkew(), retryQuota: RetryQuota = RetryQuota(), debug: DebugLog? = nil
    ) {
        self.configuration = configuration
        self.transport = transport
        self.credentials = credentials
        self.clock = clock
        self.sleep = sleep
        self.skew = skew
        self.retryQuota = retryQuota
        self.debug = debug
    }

    /// The same client with other credentials (used to build STS clients for role chains).
    public func with(credentials: (any CredentialProvider)?) -> AWSClient {
        AWSClient(
            configuration: configuration, transport: transport, credentials: credentials, clock: clock, sleep: sleep, skew: skew, retryQuota: retryQuota,
            debug: debug)
    }

    /// The same client with another retry policy (one attempt for a write that is not
    /// idempotent, whose caller looks for its effect before trying again).
    public func with(retry: RetryPolicy) -> AWSClient {
        var configuration = configuration
        configuration.retry = retry
        return AWSClient(
            configuration: configuration, transport: transport, credentials: credentials, clock: clock, sleep: sleep, skew: skew, retryQuota: retryQuota,
            debug: debug)
    }

    /// The same client for another region.
    public func with(region: String) -> AWSClient {
        var configuration = configuration
        configuration.region = region
        configuration.endpoints.region = region
        return AWSClient(
            configuration: configuration, transport: transport, credentials: credentials, clock: clock, sleep: sleep, skew: skew, retryQuota: retryQuota,
            debug: debug)
    }

    /// The current time corrected by the measured clock skew.
    public var now: Date { clock().addingTimeInterval(skew.current) }

    /// Sends `request` to `service`. `payload` overrides how the body is hashed (a precomputed
    /// hash for file bodies, or `.unsigned`); by default in-memory bodies are hashed.
    /// Returns 2xx answers (and 304); throws `AWSError` for the rest.
    public func send(
        _ service: ServiceInfo, resource: String? = nil, operation: String, request: HTTPRequest, signingRegion: String? = nil, payload: Payload? = nil
    ) async throws -> HTTPResponse {
        var request = request
        // Every request, whichever client built it (S3 builds its own), says who sent it.
        if let userAgent = configuration.userAgent, request.header("User-Agent") == nil {
            request.headers.append(HTTPHeader("User-Agent", userAgent))
        }
        do {
            return try await attempt(service, operation: operation, request: request, signingRegion: signingRegion, payload: payload)
        } catch var error as AWSError {
            // What was asked for, so an AccessDenied can name the resource.
            if error.resource == nil { error.resource = resource ?? Self.resource(of: request, service: service) }
            throw error
        }
    }

    func attempt(_ service: ServiceInfo, operation: String, request: HTTPRequest, signingRegion: String?, payload: Payload?) async throws -> HTTPResponse {
        let retry = configuration.retry
        var attempt = 0
        var skewCorrected = false
        var lastRetryCost: Int?
        // A body earns one more second per MiB on top of the limits (uploads of large parts).
        let allowance = Duration.seconds(Int64(request.body.wireLength >> 20))
        let attemptLimit = configuration.timeout + allowance
        let deadline = ContinuousClock.now + configuration.deadline + allowance
        // The limit as it really is: a large part has more than the bare deadline.
        let deadlineText = "\(configuration.deadline)" + (allowance > .zero ? " + \(allowance) for the body's \(request.body.wireLength >> 20) MiB" : "")
        /// Sleeps before the next attempt, or returns false when that would pass the deadline.
        func backoff(_ delay: Duration) async throws -> Bool {
            guard ContinuousClock.now + delay < deadline else { return false }
            try await sleep(delay)
            return true
        }
        while true {
            attempt += 1
            try Task.checkCancellation()
            let signed = try await sign(request, service: service, signingRegion: signingRegion, payload: payload)
            debug?.request(signed, attempt: attempt)
            let started = ContinuousClock.now
            let response: HTTPResponse
            do {
                let remaining = deadline - started
                guard remaining > .zero else { throw TransportError(.timeout, "the call's deadline of \(deadlineText) passed") }
                response = try await transport.send(signed, timeout: min(attemptLimit, remaining))
            } catch let error as TransportError {
                debug?.note("\(service.signingName) \(operation): \(error)")
                if error.kind == .cancelled || Task.isCancelled { throw CancellationError() }
                var quotaNote = ""
                if attempt < retry.maxAttempts, error.kind.isRetryable {
                    if let cost = retryQuota.acquire(afterTimeout: error.kind == .timeout) {
                        lastRetryCost = cost
                        if try await backoff(retry.delay(afterAttempt: attempt)) { continue }
                        quotaNote = "; not retried: the call's deadline of \(deadlineText) would pass"
                    } else {
                        quotaNote = "; not retried: the retry quota is spent after repeated failures"
                    }
                }
                throw AWSError(
                    service: service.signingName, operation: operation, status: 0, code: "TransportError",
                    message: "\(error) (after \(attempt) attempt\(attempt == 1 ? "" : "s")\(quotaNote)) to \(signed.scheme)://\(signed.hostHeader)",
                    transportKind: error.kind)
            }
            debug?.response(response, elapsed: ContinuousClock.now - started)
            if (200..<300).contains(response.status) || response.status == 304 {
                retryQuota.succeeded(lastRetryCost: lastRetryCost)
                return response
            }
            let error = AWSError.decode(service: service.signingName, operation: operation, protocol: service.wireProtocol, response: response)
            if RetryPolicy.clockSkewCodes.contains(error.code), !skewCorrected,
                let dateHeader = response.header("Date"), let serverDate = ClockSkew.parseHTTPDate(dateHeader),
                skew.correct(serverDate: serverDate, localNow: clock())
            {
                skewCorrected = true
                debug?.note("clock skew corrected by \(Int(skew.current)) s from the server's Date header; re-signing")
                if attempt < retry.maxAttempts + 1 { continue }
            }
            if retry.isRetryable(error), attempt < retry.maxAttempts {
                if let cost = retryQuota.acquire(afterTimeout: false) {
                    lastRetryCost = cost
                    debug?.note("\(error.code): retrying")
                    if try await backoff(retry.delay(afterAttempt: attempt)) { continue }
                    debug?.note("\(error.code): not retried, the call's deadline would pass")
                } else {
                    debug?.note("\(error.code): not retried, the retry quota is spent")
                }
            }
            throw error
        }
    }

    func sign(_ request: HTTPRequest, service: ServiceInfo, signingRegion: String?, payload: Payload?) async throws -> HTTPRequest {
        var request = request
        request.setHeader("Host", request.hostHeader)
        guard let provider = credentials else { return request }
        guard let resolved = try await provider.resolve() else {
            throw CredentialError("no AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run where a role is available")
        }
        try resolved.checkPrintable()
        let region = try signingRegion ?? configuration.endpoints.resolve(service).signingRegion
        // x-amz-content-sha256 on every request: S3 needs it, other services ignore it, and
        // some emulators refuse bodiless GETs without it.
        var options = SigV4Signer.Options.forService(service.signingName)
        options.addContentSHA256Header = true
        let signer = SigV4Signer(credentials: resolved.credentials, region: region, service: service.signingName, options: options)
        let bodyPayload: Payload
        var headers = request.headers.filter { $0.name.lowercased() != "content-length" }
        if case .signedChunks(_, _, let length, let chunkSize, _) = request.body {
            bodyPayload = .streaming
            headers.removeAll { ["content-encoding", "x-amz-decoded-content-length", "content-md5"].contains($0.name.lowercased()) }
            headers.append(HTTPHeader("Content-Encoding", "aws-chunked"))
            headers.append(HTTPHeader("x-amz-decoded-content-length", String(length)))
            headers.append(HTTPHeader("Content-Length", String(ChunkSigner.encodedLength(payloadLength: Int(length), chunkSize: chunkSize))))
        } else if let payload {
            bodyPayload = payload
        } else {
            switch request.body {
            case .empty: bodyPayload = .empty
            case .bytes(let bytes): bodyPayload = .bytes(bytes)
            case .file, .signedChunks: bodyPayload = .unsigned
            }
        }
        let signingRequest = SigningRequest(method: request.method, path: request.path.isEmpty ? "/" : request.path, query: request.query, headers: headers)
        let result = signer.sign(signingRequest, payload: bodyPayload, at: now)
        request.headers = result.request.headers.filter { $0.name.lowercased() != "content-length" }
        // Every attempt signs again, so every attempt gets a fresh chunk chain from its own seed.
        if case .signedChunks(let path, let offset, let length, let chunkSize, _) = request.body {
            request.body = .signedChunks(path: path, offset: offset, length: length, chunkSize: chunkSize, signer: signer.chunkSigner(seed: result))
        }
        return request
    }

    /// Builds a request to `service`'s endpoint (resolved for this client's region).
    public func makeRequest(
        _ service: ServiceInfo, method: String, path: String = "/", query: [QueryItem] = [], headers: [HTTPHeader] = [], body: RequestBody = .empty
    ) throws -> HTTPRequest {
        let endpoint = try configuration.endpoints.resolve(service)
        return HTTPRequest(
            method: method, scheme: endpoint.scheme, host: endpoint.host, port: endpoint.port,
            path: endpoint.basePath + (path.isEmpty ? "/" : path), query: query, headers: headers, body: body)
    }

    // MARK: Protocol helpers

    /// POSTs a JSON 1.1 body (`X-Amz-Target: PREFIX.OPERATION`): what every JSON 1.1 call sends.
    func sendJSON(_ service: ServiceInfo, operation: String, body: [UInt8]) async throws -> HTTPResponse {
        let request = try makeRequest(
            service, method: "POST",
            headers: [
                HTTPHeader("Content-Type", "application/x-amz-json-\(service.jsonVersion)"),
                HTTPHeader("X-Amz-Target", "\(service.targetPrefix ?? service.endpointPrefix).\(operation)"),
            ], body: .bytes(body))
        return try await send(service, operation: operation, request: request)
    }

    /// A REST-JSON request, with a JSON body when there is one: what every REST-JSON call sends.
    func sendRESTJSON(_ service: ServiceInfo, operation: String, method: String, path: String, query: [QueryItem], body: [UInt8]?) async throws -> HTTPResponse
    {
        let headers = body == nil ? [] : [HTTPHeader("Content-Type", "application/json")]
        let request = try makeRequest(service, method: method, path: path, query: query, headers: headers, body: body.map { .bytes($0) } ?? .empty)
        return try await send(service, operation: operation, request: request)
    }

    /// Query protocol (`Action=…&Version=…` form posts with XML answers): STS.
    public func queryCall(_ service: ServiceInfo, operation: String, version: String, parameters: [(String, String)]) async throws -> XML.Element {
        let form = ([("Action", operation), ("Version", version)] + parameters)
            .map { URIEncoding.encodeComponent($0.0) + "=" + URIEncoding.encodeComponent($0.1) }
            .joined(separator: "&")
        let request = try makeRequest(
            service, method: "POST",
            headers: [
                HTTPHeader("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
            ], body: .bytes(Array(form.utf8)))
        let response = try await send(service, operation: operation, request: request)
        do {
            return try XML.parse(response.body)
        } catch {
            throw AWSError(service: service.signingName, operation: operation, status: response.status, code: "MalformedResponse", message: "\(error)")
        }
    }
}
