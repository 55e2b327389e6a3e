import AWSCore
import Foundation
import SigV4

/// A transport that answers from a script and records what it was sent.
public final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    public enum Step {
        case respond(HTTPResponse)
        case fail(TransportError)
    }
    private let lock = NSLock()
    private var steps: [Step]
    public private(set) var sent: [HTTPRequest] = []
    let fallback: ((HTTPRequest) -> HTTPResponse)?

    public init(_ steps: [Step], fallback: ((HTTPRequest) -> HTTPResponse)? = nil) {
        self.steps = steps
        self.fallback = fallback
    }

    public convenience init(handler: @escaping (HTTPRequest) -> HTTPResponse) {
        self.init([], fallback: handler)
    }

    public var requests: [HTTPRequest] {
        lock.lock()
        defer { lock.unlock() }
        return sent
    }

    public func send(_ request: HTTPRequest, timeout: Duration) async throws -> HTTPResponse {
        let step: Step? = lock.withLock {
            sent.append(request)
            return steps.isEmpty ? nil : steps.removeFirst()
        }
        switch step {
        case .respond(let response): return response
        case .fail(let error): throw error
        case nil:
            guard let fallback else { throw TransportError(.connect, "script exhausted") }
            return fallback(request)
        }
    }
}

/// Records sleeps instead of sleeping.
public final class SleepRecorder: @unchecked Sendable {
    private let lock = NSLock()
    public private(set) var durations: [Duration] = []
    public init() {}
    public func sleep(_ duration: Duration) async throws {
        lock.withLock { durations.append(duration) }
    }
}

/// A clock tests move by hand.
public final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    public init(_ start: Date) { current = start }
    public func now() -> Date {
        lock.lock()
        defer { lock.unlock() }
        return current
    }
    public func advance(_ seconds: TimeInterval) {
        lock.lock()
        current = current.addingTimeInterval(seconds)
        lock.unlock()
    }
}

public enum Fixtures {
    public static let credentials = Credentials(accessKeyId: "AKIDTEST", secretAccessKey: "test-secret-key-that-must-not-leak")
    public static let start = Date(timeIntervalSince1970: 1_700_000_000)

    public static func client(
        _ transport: any HTTPTransport, clock: TestClock = TestClock(start), sleeps: SleepRecorder = SleepRecorder(),
        credentials: Credentials? = Fixtures.credentials, retry: RetryPolicy = RetryPolicy(random: { 0.5 }),
        environment: [String: String] = [:], debug: DebugLog? = nil, region: String = "us-east-1"
    ) -> AWSClient {
        AWSClient(
            configuration: AWSConfiguration(region: region, endpoints: EndpointResolver(region: region, environment: environment), retry: retry),
            transport: transport, credentials: credentials.map { StaticCredentialProvider($0) },
            clock: { clock.now() }, sleep: { try await sleeps.sleep($0) }, debug: debug)
    }

    public static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}

extension HTTPRequest {
    /// The in-memory body as text (tests).
    public var bodyText: String {
        if case .bytes(let bytes) = body { return String(decoding: bytes, as: UTF8.self) }
        return ""
    }
}

extension String {
    /// Appends this text to the file at `path` (tests that change a job's sources).
    public func appendTo(_ path: String) throws {
        guard let handle = FileHandle(forWritingAtPath: path) else { throw CocoaError(.fileNoSuchFile) }
        handle.seekToEndOfFile()
        handle.write(Data(utf8))
        try handle.close()
    }
}
