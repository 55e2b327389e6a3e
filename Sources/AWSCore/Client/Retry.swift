import Foundation

/// AWS "standard" retry mode: a fixed number of attempts, capped exponential backoff with
/// full jitter, retrying throttling, transient and 5xx answers and transport failures.
public struct RetryPolicy: Sendable {
    /// Attempts per call, the first included (at least 1).
    public var maxAttempts: Int
    /// The backoff ceiling after the first failure; it doubles with each further one.
    public var baseDelay: Duration
    /// The most a single backoff may wait.
    public var maxBackoff: Duration
    /// Uniform random number in [0, 1); injectable so tests are deterministic.
    public var random: @Sendable () -> Double

    /// Three attempts, backoff from 1 s capped at 20 s, unless told otherwise; `maxAttempts`
    /// below 1 counts as 1.
    public init(
        maxAttempts: Int = 3, baseDelay: Duration = .seconds(1), maxBackoff: Duration = .seconds(20),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxBackoff = maxBackoff
        self.random = random
    }

    /// Attempts per call when nothing says otherwise. Five rather than the SDKs' three: a
    /// deploy is a chain of some twenty calls that fails if any one does, and every step is
    /// idempotent, so two more tries cost nothing when the network is fine and turn a 20%
    /// fault rate from about one failed apply in seven into about one in a hundred and fifty.
    public static let deployerDefaultAttempts = 5

    /// `AWS_MAX_ATTEMPTS` when set to a positive number, else `deployerDefaultAttempts`.
    public static func standard(environment: [String: String]) -> RetryPolicy {
        if let text = environment["AWS_MAX_ATTEMPTS"], let attempts = Int(text.trimmingCharacters(in: .whitespaces)), attempts > 0 {
            return RetryPolicy(maxAttempts: attempts)
        }
        return RetryPolicy(maxAttempts: deployerDefaultAttempts)
    }

    /// Delay before attempt `attempt + 1`, after `attempt` failed (1-based): random × min(base × 2^(attempt-1), cap).
    public func delay(afterAttempt attempt: Int) -> Duration {
        let exponent = min(attempt - 1, 30)
        let ceiling = min(baseDelay * (1 << exponent), maxBackoff)
        return ceiling * random()
    }

    static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
        "ProvisionedThroughputExceededException", "TransactionInProgressException", "RequestLimitExceeded",
        "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
        "EC2ThrottledException",
    ]
    static let transientCodes: Set<String> = [
        "RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure", "ServiceUnavailable",
        "InternalServerException", "InternalServiceException", "IDPCommunicationError",
    ]
    static let transientStatuses: Set<Int> = [500, 502, 503, 504, 429]
    /// Codes a wrong clock produces; retried once the skew is measured from the answer's `Date`.
    public static let clockSkewCodes: Set<String> = [
        "RequestTimeTooSkewed", "RequestExpired", "InvalidSignatureException", "SignatureDoesNotMatch", "AuthFailure",
        "RequestInTheFuture",
    ]

    /// Whether another attempt may succeed: a throttling or transient code, or status 429,
    /// 500, 502, 503 or 504. Transport failures are judged by `TransportError.Kind.isRetryable`.
    public func isRetryable(_ error: AWSError) -> Bool {
        Self.throttlingCodes.contains(error.code) || Self.transientCodes.contains(error.code) || Self.transientStatuses.contains(error.status)
    }
}

/// The retry quota of AWS "standard" mode, shared by every call of one client: a bucket of
/// 500 tokens; a retry takes 5 (10 after a timeout), a call that
/// succeeds first time puts 1 back, a call that succeeds after retrying returns what its last
/// retry took. When the bucket is empty, failures surface at once instead of being retried:
/// while a service is down or throttling, a `plan` over 50 jobs does not multiply the load by 3.
public final class RetryQuota: @unchecked Sendable {
    /// Tokens a retry takes.
    public static let retryCost = 5
    /// Tokens a retry after a timeout takes.
    public static let timeoutRetryCost = 10
    /// Tokens a call that succeeds at its first attempt puts back.
    public static let successIncrement = 1

    private let lock = NSLock()
    private var tokens: Int
    /// The most tokens the bucket holds; it starts full.
    public let capacity: Int

    /// A full bucket of `capacity` tokens (a negative capacity counts as 0).
    public init(capacity: Int = 500) {
        self.capacity = max(0, capacity)
        self.tokens = self.capacity
    }

    /// Tokens left now.
    public var available: Int { lock.withLock { tokens } }

    /// Takes the cost of one retry; `nil` when the quota cannot pay for it (do not retry).
    public func acquire(afterTimeout: Bool) -> Int? {
        let cost = afterTimeout ? Self.timeoutRetryCost : Self.retryCost
        return lock.withLock {
            guard tokens >= cost else { return nil }
            tokens -= cost
            return cost
        }
    }

    /// Records a success: `lastRetryCost` is what the final retry took (`nil` if none).
    public func succeeded(lastRetryCost: Int?) {
        lock.withLock { tokens = min(capacity, tokens + (lastRetryCost ?? Self.successIncrement)) }
    }
}

/// The offset between this machine's clock and AWS's, learnt from skew errors.
public final class ClockSkew: @unchecked Sendable {
    private let lock = NSLock()
    private var offset: TimeInterval = 0

    /// No skew until one is measured.
    public init() {}

    /// Seconds to add to the local clock to get AWS's (0 until measured).
    public var current: TimeInterval {
        lock.lock()
        defer { lock.unlock() }
        return offset
    }

    /// Adopts the server's time when it is more than `threshold` away from ours (corrected).
    /// Returns whether the correction changed anything.
    @discardableResult
    public func correct(serverDate: Date, localNow: Date, threshold: TimeInterval = 300) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let measured = serverDate.timeIntervalSince(localNow)
        guard abs(measured - offset) > threshold else { return false }
        offset = measured
        return true
    }

    /// Parses an HTTP `Date` header (IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`).
    public static func parseHTTPDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
