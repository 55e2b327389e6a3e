import Foundation
import SigV4

/// `context.json` of one case of aws-c-auth's `aws-signing-test-suite/v4` (`../shared`): what the
/// case signs with, read by the signer's suite test and by the `sign` command's.
public struct AWSCAuthContext: Decodable, Sendable {
    public struct Keys: Decodable, Sendable {
        public let accessKeyId: String
        public let secretAccessKey: String
        public let token: String?

        enum CodingKeys: String, CodingKey {
            case accessKeyId = "access_key_id"
            case secretAccessKey = "secret_access_key"
            case token
        }
    }

    public let credentials: Keys
    public let expirationInSeconds: Int
    public let normalize: Bool
    public let region: String
    public let service: String
    public let signBody: Bool
    public let timestamp: String
    public let omitSessionToken: Bool?

    enum CodingKeys: String, CodingKey {
        case credentials, normalize, region, service, timestamp
        case expirationInSeconds = "expiration_in_seconds"
        case signBody = "sign_body"
        case omitSessionToken = "omit_session_token"
    }

    /// The context of the case in `directory`.
    public static func load(_ directory: URL) throws -> AWSCAuthContext {
        try JSONDecoder().decode(AWSCAuthContext.self, from: Data(contentsOf: directory.appendingPathComponent("context.json")))
    }

    /// The case's keys as the signer takes them.
    public var signingCredentials: Credentials {
        Credentials(accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.token)
    }
}
