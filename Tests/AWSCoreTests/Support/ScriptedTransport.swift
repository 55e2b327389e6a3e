import AWSCore
import Foundation
import SigV4

/// A transport that answers from a script and records what it was sent.
final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    enum Step {
        case respond(HTTPResponse)
        case fail(TransportError)
    }
    private let lock = NSLock()
    private var steps: [Step]
    private(set) var sent: [HTTPRequest] = []
    let fallback: ((HTTPRequest) -> HTTPResponse)?

    init(_ steps: [Step], fallback: ((HTTPRequest) -> HTTPResponse)? = nil) {
        self.steps = steps
        self.fallback = fallback
    }

    convenience init(handler: @escaping (HTTPRequest) -> HTTPResponse) {
        self.init([], fallback: handler)
    }

    var requests: [HTTPRequest] {
        lock.lock()
        defer { lock.unlock() }
        return sent
    }

    func send(_ request: HTTPRequest, timeout: Duration) async throws -> HTTPResponse {
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
final class SleepRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var durations: [Duration] = []
    func sleep(_ duration: Duration) async throws {
        lock.withLock { durations.append(duration) }
    }
}

/// A clock tests move by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    init(_ start: Date) { current = start }
    func now() -> Date {
        lock.lock()
        defer { lock.unlock() }
        return current
    }
    func advance(_ seconds: TimeInterval) {
        lock.lock()
        current = current.addingTimeInterval(seconds)
        lock.unlock()
    }
}

enum Fixtures {
    static let credentials = Credentials(accessKeyId: "AKIDTEST", secretAccessKey: "test-secret-key-that-must-not-leak")
    static let start = Date(timeIntervalSince1970: 1_700_000_000)

    static func client(_ transport: any HTTPTransport, clock: TestClock = TestClock(start), sleeps: SleepRecorder = SleepRecorder(),
                       credentials: Credentials? = Fixtures.credentials, retry: RetryPolicy = RetryPolicy(random: { 0.5 }),
                       environment: [String: String] = [:], debug: DebugLog? = nil) -> AWSClient {
        AWSClient(configuration: AWSConfiguration(region: "us-east-1", endpoints: EndpointResolver(region: "us-east-1", environment: environment), retry: retry),
                  transport: transport, credentials: credentials.map { StaticCredentialProvider($0) },
                  clock: { clock.now() }, sleep: { try await sleeps.sleep($0) }, debug: debug)
    }

    static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}
