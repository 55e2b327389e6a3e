import Foundation
import SigV4

/// Credentials plus a short name of where they came from (shown by `deployer whoami`).
public struct ResolvedCredentials: Sendable, Equatable {
    /// The credentials themselves.
    public var credentials: Credentials
    /// Where they came from, e.g. `environment` or `profile dev (assume role)`.
    public var source: String
    /// Credentials labelled with their source.
    public init(credentials: Credentials, source: String) {
        self.credentials = credentials
        self.source = source
    }

    /// Refuses keys and tokens holding spaces or control characters (a pasted line break, say):
    /// sent in a header they would fail below HTTP with the value in the error. The message
    /// names the field and where it came from, never the value.
    public func checkPrintable() throws {
        let fields: [(String, String?)] = [
            ("access key id", credentials.accessKeyId), ("secret access key", credentials.secretAccessKey),
            ("session token", credentials.sessionToken),
        ]
        for (field, value) in fields {
            guard let value else { continue }
            if value.isEmpty || value.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7F }) {
                throw CredentialError(
                    "the \(field) from \(source) is empty or holds a space, control or non-ASCII character (value not shown): set it again without them")
            }
        }
    }
}

/// A source of credentials. Returns `nil` when it is not configured at all (the chain then
/// asks the next source) and throws when it is configured but fails (the chain stops, so a
/// broken profile is reported instead of silently falling back to other credentials).
public protocol CredentialProvider: Sendable {
    /// The credentials, or `nil` when this source is not configured; throws when it is
    /// configured but cannot deliver them.
    func resolve() async throws -> ResolvedCredentials?
}

/// A credential or region setting that is missing, malformed or refused. The message says
/// which setting and how to fix it, and never holds a secret.
public struct CredentialError: Error, CustomStringConvertible, Sendable {
    /// The message shown to the user.
    public let description: String
    /// An error with `description` as its message.
    public init(_ description: String) {
        self.description = description
    }
}

/// Fixed credentials (command-line flags, tests).
public struct StaticCredentialProvider: CredentialProvider {
    let resolved: ResolvedCredentials
    /// Always answers `credentials`, labelled `source`.
    public init(_ credentials: Credentials, source: String = "static") {
        resolved = ResolvedCredentials(credentials: credentials, source: source)
    }
    /// The fixed credentials: never `nil`, never an error.
    public func resolve() async throws -> ResolvedCredentials? { resolved }
}

/// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`.
public struct EnvironmentCredentialProvider: CredentialProvider {
    let environment: [String: String]
    /// Reads the variables from `environment` (the process's, or a test's).
    public init(environment: [String: String]) {
        self.environment = environment
    }
    /// `nil` when neither key variable is set; throws when only one is. An empty
    /// `AWS_SESSION_TOKEN` counts as unset.
    public func resolve() async throws -> ResolvedCredentials? {
        let accessKey = environment["AWS_ACCESS_KEY_ID"] ?? ""
        let secret = environment["AWS_SECRET_ACCESS_KEY"] ?? ""
        if accessKey.isEmpty && secret.isEmpty { return nil }
        guard !accessKey.isEmpty, !secret.isEmpty else {
            throw CredentialError(
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together (only \(accessKey.isEmpty ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID") is set)"
            )
        }
        let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return ResolvedCredentials(credentials: Credentials(accessKeyId: accessKey, secretAccessKey: secret, sessionToken: token), source: "environment")
    }
}

/// Asks each provider in turn; the first that is configured wins.
public struct ChainCredentialProvider: CredentialProvider {
    let providers: [any CredentialProvider]
    /// A chain that asks `providers` in this order.
    public init(_ providers: [any CredentialProvider]) {
        self.providers = providers
    }
    /// The first configured provider's answer, or `nil` when none is configured; a provider
    /// that throws ends the chain with its error.
    public func resolve() async throws -> ResolvedCredentials? {
        for provider in providers {
            if let resolved = try await provider.resolve() { return resolved }
        }
        return nil
    }
}

/// Caches another provider's answer and refreshes temporary credentials before they expire
/// (`refreshWindow` ahead), with one refresh in flight at a time.
public actor CachingCredentialProvider: CredentialProvider {
    let base: any CredentialProvider
    let refreshWindow: TimeInterval
    let clock: @Sendable () -> Date
    var cached: ResolvedCredentials?
    var inFlight: Task<ResolvedCredentials?, Error>?

    /// Caches `base`'s answer; credentials within `refreshWindow` seconds of their expiry are
    /// fetched again. `clock` is injectable for tests.
    public init(_ base: any CredentialProvider, refreshWindow: TimeInterval = 300, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.base = base
        self.refreshWindow = refreshWindow
        self.clock = clock
    }

    /// The cached credentials while they are fresh, else `base`'s answer (callers arriving in
    /// the meantime wait for the same request). Errors are passed on and not cached.
    public func resolve() async throws -> ResolvedCredentials? {
        if let cached, !needsRefresh(cached) { return cached }
        if let inFlight { return try await inFlight.value }
        let task = Task { try await base.resolve() }
        inFlight = task
        defer { inFlight = nil }
        let fresh = try await task.value
        cached = fresh
        return fresh
    }

    /// Drops the cached value (e.g. after the service said the token expired).
    public func invalidate() {
        cached = nil
    }

    func needsRefresh(_ resolved: ResolvedCredentials) -> Bool {
        guard let expiration = resolved.credentials.expiration else { return false }
        return clock().addingTimeInterval(refreshWindow) >= expiration
    }
}

/// Parses the ISO 8601 timestamps AWS returns (with or without fractional seconds), and writes them.
public enum CredentialDates {
    /// `2026-01-02T03:04:05Z`.
    public static func format(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }

    /// The date of an ISO 8601 timestamp with or without fractional seconds; `nil` for anything else.
    public static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
