import Foundation

/// AWS credentials used to sign a request.
///
/// `description` never reveals the secret key or the session token, so a
/// `Credentials` value can be logged or interpolated without leaking them.
public struct Credentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The access key ID, sent in clear in the signature's `Credential=`.
    public var accessKeyId: String
    /// The secret the signing key is derived from; never sent, never printed.
    public var secretAccessKey: String
    /// The session token of temporary credentials, sent as `X-Amz-Security-Token`; `nil` for long-term keys.
    public var sessionToken: String?
    /// When temporary credentials stop working; `nil` for long-term keys.
    public var expiration: Date?

    /// Credentials from their parts; `sessionToken` and `expiration` only for temporary ones.
    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }

    /// The access key ID, with the secret and any session token shown as `<redacted>`.
    public var description: String {
        "Credentials(accessKeyId: \(accessKeyId), secretAccessKey: <redacted>, sessionToken: \(sessionToken == nil ? "none" : "<redacted>"))"
    }

    /// The same as `description`, so debug printing cannot leak the secret either.
    public var debugDescription: String { description }
}
