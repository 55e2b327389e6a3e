import Foundation

/// AWS "standard" retry mode: a fixed number of attempts, capped exponential backoff with
/// full jitter, retrying throttling, transient and 5xx answers and transport failures.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxBackoff: Duration
    /// Uniform random number in [0, 1); injectable so tests are deterministic.
    public var random: @Sendable () -> Double

    public init(maxAttempts: Int = 3, baseDelay: Duration = .seconds(1), maxBackoff: Duration = .seconds(20), random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxBackoff = maxBackoff
        self.random = random
    }

    /// `AWS_MAX_ATTEMPTS` when set to a positive number, else 3.
    public static func standard(environment: [String: String]) -> RetryPolicy {
        if let text = environment["AWS_MAX_ATTEMPTS"], let attempts = Int(text), attempts > 0 {
            return RetryPolicy(maxAttempts: attempts)
        }
        return RetryPolicy()
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

    public func isRetryable(_ error: AWSError) -> Bool {
        Self.throttlingCodes.contains(error.code) || Self.transientCodes.contains(error.code) || Self.transientStatuses.contains(error.status)
    }
}

/// The offset between this machine's clock and AWS's, learnt from skew errors.
public final class ClockSkew: @unchecked Sendable {
    private let lock = NSLock()
    private var offset: TimeInterval = 0

    public init() {}

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
