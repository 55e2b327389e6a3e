import Crypto
import Foundation
import SigV4

/// IAM Identity Center (SSO) profiles, both forms the AWS CLI writes: `sso_session = NAME`
/// with a `[sso-session NAME]` section, or the legacy `sso_start_url` / `sso_region` keys on
/// the profile. The access token that `aws sso login` cached under `~/.aws/sso/cache/` is
/// exchanged for the role's temporary credentials (SSO `GetRoleCredentials`, unsigned: the
/// token is the proof). An sso-session login about to expire is refreshed with its refresh
/// token (SSO OIDC `CreateToken`) and the cache file updated, as the CLI does; a login that
/// cannot be refreshed is reported with the command that renews it.
public struct SSOCredentialProvider: CredentialProvider {
    /// The profile's name, for messages and the `aws sso login` hint.
    public let profile: String
    /// `sso_account_id`: the account whose role is wanted.
    public let accountId: String
    /// `sso_role_name`: the role in that account.
    public let roleName: String
    /// `sso_region`: the region IAM Identity Center runs in.
    public let region: String
    /// The session name (sso-session form) or the start URL (legacy form): its SHA-1 names the cache file.
    public let cacheKey: String
    /// Where `aws sso login` caches tokens (`~/.aws/sso/cache`).
    public let cacheDirectory: String
    /// sso-session logins carry a refresh token; legacy ones do not.
    public let refreshable: Bool
    let client: AWSClient
    let clock: @Sendable () -> Date

    /// Refresh a login this close to its expiry (botocore's window).
    static let refreshWindow: TimeInterval = 15 * 60

    /// A provider for one profile's account and role. `client` reaches IAM Identity Center in
    /// `region` unsigned (the token is the proof); `clock` is injectable for tests.
    public init(
        profile: String, accountId: String, roleName: String, region: String, cacheKey: String, cacheDirectory: String,
        refreshable: Bool, client: AWSClient, clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.profile = profile
        self.accountId = accountId
        self.roleName = roleName
        self.region = region
        self.cacheKey = cacheKey
        self.cacheDirectory = cacheDirectory
        self.refreshable = refreshable
        self.client = client
        self.clock = clock
    }

    /// `~/.aws/sso/cache/<sha1 hex of the key>.json`, as the CLI and SDKs name it.
    public var cacheFile: String {
        cacheDirectory + "/" + Insecure.SHA1.hash(data: Array(cacheKey.utf8)).map { String(format: "%02x", $0) }.joined() + ".json"
    }

    var login: String { "run 'aws sso login --profile \(profile)'" }

    /// The role's temporary credentials from GetRoleCredentials, after refreshing a cached
    /// sso-session login that is about to expire. Throws when no usable login is cached, it
    /// has expired or is refused (naming the `aws sso login` that renews it), or the answer
    /// holds no credentials.
    public func resolve() async throws -> ResolvedCredentials? {
        let token = try await cachedToken()
        let request = try client.makeRequest(
            .sso, method: "GET", path: "/federation/credentials",
            query: [QueryItem("account_id", accountId), QueryItem("role_name", roleName)],
            headers: [HTTPHeader("x-amz-sso_bearer_token", token)])
        let response: HTTPResponse
        do {
            response = try await client.send(.sso, operation: "GetRoleCredentials", request: request)
        } catch let error as AWSError where error.status == 401 || error.status == 403 {
            throw CredentialError(
                "profile \(profile): IAM Identity Center refused the cached login for account \(accountId) role \(roleName) (\(error.code): \(error.message)): \(login)"
            )
        }
        guard let object = try? JSONValue.decode(response.body), let role = object["roleCredentials"],
            let accessKey = role["accessKeyId"]?.stringValue, let secret = role["secretAccessKey"]?.stringValue, !accessKey.isEmpty, !secret.isEmpty
        else {
            throw CredentialError("profile \(profile): IAM Identity Center answered GetRoleCredentials without roleCredentials")
        }
        // `expiration` is milliseconds since the epoch.
        let expiration = role["expiration"]?.numberValue.map { Date(timeIntervalSince1970: $0 / 1000) }
        return ResolvedCredentials(
            credentials: Credentials(accessKeyId: accessKey, secretAccessKey: secret, sessionToken: role["sessionToken"]?.stringValue, expiration: expiration),
            source: "profile \(profile) (IAM Identity Center, role \(roleName))")
    }

    func cachedToken() async throws -> String {
        let file = cacheFile
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CredentialError("profile \(profile): no IAM Identity Center login cached (\(file) is missing): \(login)")
        }
        guard let object = try? JSONValue.decode(Array(data)), let token = object["accessToken"]?.stringValue, !token.isEmpty,
            let expiresText = object["expiresAt"]?.stringValue
        else {
            throw CredentialError("\(file): not an IAM Identity Center token cache (accessToken and expiresAt expected): \(login)")
        }
        guard let expires = Self.parseTimestamp(expiresText) else {
            throw CredentialError("\(file): expiresAt '\(expiresText)' is not a timestamp: \(login)")
        }
        let now = clock()
        if refreshable, expires.timeIntervalSince(now) < Self.refreshWindow, let refreshed = try? await refresh(object, file: file, now: now) {
            return refreshed
        }
        guard expires > now else {
            throw CredentialError("profile \(profile): the IAM Identity Center login expired at \(expiresText): \(login)")
        }
        return token
    }

    /// Exchanges the cached refresh token for a new access token and rewrites the cache file.
    /// `nil` when the cache holds no usable client registration.
    func refresh(_ cached: JSONValue, file: String, now: Date) async throws -> String? {
        guard var updated = cached.objectValue, let refreshToken = cached["refreshToken"]?.stringValue, let clientId = cached["clientId"]?.stringValue,
            let clientSecret = cached["clientSecret"]?.stringValue,
            let registrationExpires = cached["registrationExpiresAt"]?.stringValue.flatMap(Self.parseTimestamp), registrationExpires > now
        else { return nil }
        let request: JSONValue = [
            "clientId": .string(clientId), "clientSecret": .string(clientSecret), "grantType": "refresh_token", "refreshToken": .string(refreshToken),
        ]
        let answer: JSONValue = try await client.restJSONCall(.ssoOIDC, operation: "CreateToken", method: "POST", path: "/token", body: request)
        guard let accessToken = answer["accessToken"]?.stringValue, !accessToken.isEmpty, let expiresIn = answer["expiresIn"]?.numberValue else {
            return nil
        }
        updated["accessToken"] = .string(accessToken)
        updated["expiresAt"] = .string(CredentialDates.format(now.addingTimeInterval(expiresIn)))
        if let newRefreshToken = answer["refreshToken"]?.stringValue { updated["refreshToken"] = .string(newRefreshToken) }
        // Written back like the CLI does, so the next command (ours or aws) starts from it.
        let data = Data(try JSONValue.object(updated).encoded())
        // Created 0600 before any token is in it, then renamed over the old file.
        let temporary = file + ".\(ProcessInfo.processInfo.processIdentifier).tmp"
        unlink(temporary)  // a stale one could carry other permissions; O_EXCL then creates ours
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CredentialError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        guard written == data.count else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw CredentialError("cannot write \(temporary)")
        }
        guard rename(temporary, file) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw CredentialError("cannot replace \(file): \(String(cString: strerror(errno)))")
        }
        return accessToken
    }

    /// `…Z`, or `…UTC` as some CLI versions wrote it.
    static func parseTimestamp(_ text: String) -> Date? {
        CredentialDates.parse(text.hasSuffix("UTC") ? String(text.dropLast(3)) + "Z" : text)
    }
}
