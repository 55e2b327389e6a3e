import Foundation

/// Amazon ECR's API (JSON 1.1): only what pushing an image needs.
public struct ECRClient: Sendable {
    /// The client every call goes through.
    public let client: AWSClient
    /// ECR calls through `client` (its region, credentials and retries).
    public init(client: AWSClient) {
        self.client = client
    }

    /// A registry login from GetAuthorizationToken: the user and password its token decodes to
    /// and the registry's URL. The password is a secret: it goes only into a private auth file
    /// and the `Authorization` header of registry requests, never into output.
    public struct Login: Sendable, Equatable, CustomStringConvertible {
        /// The user (`AWS`).
        public var user: String
        /// The password (a 12-hour token).
        public var password: String
        /// Where the registry answers (`proxyEndpoint`, `https://ACCOUNT.dkr.ecr.REGION.amazonaws.com`).
        public var endpoint: URL
        /// When the token expires.
        public var expiresAt: Date?

        /// A login from its parts.
        public init(user: String, password: String, endpoint: URL, expiresAt: Date? = nil) {
            self.user = user
            self.password = password
            self.endpoint = endpoint
            self.expiresAt = expiresAt
        }

        /// The user and endpoint only.
        public var description: String { "registry login \(user)@\(endpoint.absoluteString)" }
    }

    /// GetAuthorizationToken for the caller's default registry.
    public func login() async throws -> Login {
        struct Input: Encodable {}
        struct AuthorizationData: Decodable {
            var authorizationToken: String?
            var expiresAt: Date?
            var proxyEndpoint: String?
        }
        struct Output: Decodable { var authorizationData: [AuthorizationData]? }
        let output: Output = try await client.jsonCall(.ecr, operation: "GetAuthorizationToken", input: Input())
        func malformed(_ message: String) -> AWSError {
            AWSError(service: "ecr", operation: "GetAuthorizationToken", status: 200, code: "MalformedResponse", message: message)
        }
        guard let data = output.authorizationData?.first, let token = data.authorizationToken else { throw malformed("no authorizationToken") }
        guard let decoded = Data(base64Encoded: token).flatMap({ String(data: $0, encoding: .utf8) }), let colon = decoded.firstIndex(of: ":") else {
            throw malformed("the authorizationToken is not base64 of user:password")
        }
        guard let text = data.proxyEndpoint, let endpoint = URL(string: text), endpoint.host != nil, ["https", "http"].contains(endpoint.scheme ?? "")
        else {
            throw malformed("no usable proxyEndpoint")
        }
        return Login(user: String(decoded[..<colon]), password: String(decoded[decoded.index(after: colon)...]), endpoint: endpoint, expiresAt: data.expiresAt)
    }
}
