import Foundation
import SigV4

/// AWS STS (query protocol, version 2011-06-15).
public struct STSClient: Sendable {
    /// The client every call goes through.
    public let client: AWSClient
    static let version = "2011-06-15"

    /// STS calls through `client` (its region, credentials and retries).
    public init(client: AWSClient) {
        self.client = client
    }

    /// Who the credentials belong to (GetCallerIdentity).
    public struct CallerIdentity: Sendable, Equatable, Codable {
        /// The account id.
        public var account: String
        /// The caller's ARN (a user, or an assumed-role session).
        public var arn: String
        /// The caller's unique id; empty when the answer leaves it out.
        public var userId: String
    }

    /// Who the client's credentials belong to; throws `MalformedResponse` when the answer
    /// lacks the account or the ARN.
    public func getCallerIdentity() async throws -> CallerIdentity {
        let root = try await client.queryCall(.sts, operation: "GetCallerIdentity", version: Self.version, parameters: [])
        guard let result = root.first("GetCallerIdentityResult"), let account = result.string("Account"), let arn = result.string("Arn") else {
            throw AWSError(
                service: "sts", operation: "GetCallerIdentity", status: 200, code: "MalformedResponse", message: "no GetCallerIdentityResult in the answer")
        }
        return CallerIdentity(account: account, arn: arn, userId: result.string("UserId") ?? "")
    }

    /// Temporary credentials for `roleArn` (AssumeRole), asked for with the client's
    /// credentials; `externalId` and `durationSeconds` are sent only when given.
    public func assumeRole(roleArn: String, sessionName: String, externalId: String? = nil, durationSeconds: Int? = nil) async throws -> Credentials {
        var parameters = [("RoleArn", roleArn), ("RoleSessionName", sessionName)]
        if let externalId { parameters.append(("ExternalId", externalId)) }
        if let durationSeconds { parameters.append(("DurationSeconds", String(durationSeconds))) }
        let root = try await client.queryCall(.sts, operation: "AssumeRole", version: Self.version, parameters: parameters)
        return try Self.credentials(from: root, operation: "AssumeRole")
    }

    /// Temporary credentials for `roleArn` in exchange for a web identity `token`
    /// (AssumeRoleWithWebIdentity, which needs no credentials: the client may be unsigned).
    public func assumeRoleWithWebIdentity(roleArn: String, sessionName: String, token: String, durationSeconds: Int? = nil) async throws -> Credentials {
        var parameters = [("RoleArn", roleArn), ("RoleSessionName", sessionName), ("WebIdentityToken", token)]
        if let durationSeconds { parameters.append(("DurationSeconds", String(durationSeconds))) }
        let root = try await client.queryCall(.sts, operation: "AssumeRoleWithWebIdentity", version: Self.version, parameters: parameters)
        return try Self.credentials(from: root, operation: "AssumeRoleWithWebIdentity")
    }

    static func credentials(from root: XML.Element, operation: String) throws -> Credentials {
        guard let node = root.first("Credentials"), let accessKey = node.string("AccessKeyId"), let secret = node.string("SecretAccessKey") else {
            throw AWSError(service: "sts", operation: operation, status: 200, code: "MalformedResponse", message: "no Credentials in the answer")
        }
        return Credentials(
            accessKeyId: accessKey, secretAccessKey: secret, sessionToken: node.string("SessionToken"),
            expiration: node.string("Expiration").flatMap(CredentialDates.parse))
    }
}
