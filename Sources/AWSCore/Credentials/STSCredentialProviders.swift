import Foundation
import SigV4

/// `role_arn` + a source of credentials → STS AssumeRole.
public struct AssumeRoleCredentialProvider: CredentialProvider {
    let source: any CredentialProvider
    let sts: @Sendable (any CredentialProvider) -> STSClient
    let roleArn: String
    let sessionName: String
    let externalId: String?
    let durationSeconds: Int?
    let label: String

    /// Assumes `roleArn` with the credentials `source` gives; `sts` builds the STS client that
    /// signs with them. `label` becomes the result's source.
    public init(
        source: any CredentialProvider, sts: @escaping @Sendable (any CredentialProvider) -> STSClient, roleArn: String, sessionName: String,
        externalId: String? = nil, durationSeconds: Int? = nil, label: String
    ) {
        self.source = source
        self.sts = sts
        self.roleArn = roleArn
        self.sessionName = sessionName
        self.externalId = externalId
        self.durationSeconds = durationSeconds
        self.label = label
    }

    /// Temporary credentials for the role. Throws `CredentialError` when AssumeRole fails, and
    /// passes on what resolving `source` throws.
    public func resolve() async throws -> ResolvedCredentials? {
        do {
            let credentials = try await sts(source).assumeRole(
                roleArn: roleArn, sessionName: sessionName, externalId: externalId, durationSeconds: durationSeconds)
            return ResolvedCredentials(credentials: credentials, source: label)
        } catch let error as AWSError {
            throw CredentialError("\(label): AssumeRole of \(roleArn) failed: \(error.code): \(error.message)")
        }
    }
}

/// A web identity token file + role → STS AssumeRoleWithWebIdentity (unsigned). This is how
/// GitHub Actions OIDC and EKS service accounts arrive.
public struct WebIdentityCredentialProvider: CredentialProvider {
    let tokenFile: String
    let roleArn: String
    let sessionName: String
    let sts: STSClient
    let label: String

    /// Exchanges the token in `tokenFile` for `roleArn`'s credentials through `sts`; `label`
    /// becomes the result's source.
    public init(tokenFile: String, roleArn: String, sessionName: String, sts: STSClient, label: String) {
        self.tokenFile = tokenFile
        self.roleArn = roleArn
        self.sessionName = sessionName
        self.sts = sts
        self.label = label
    }

    /// From `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` (+ `AWS_ROLE_SESSION_NAME`).
    public static func fromEnvironment(_ environment: [String: String], sts: STSClient) throws -> WebIdentityCredentialProvider? {
        let tokenFile = environment["AWS_WEB_IDENTITY_TOKEN_FILE"] ?? ""
        let roleArn = environment["AWS_ROLE_ARN"] ?? ""
        if tokenFile.isEmpty && roleArn.isEmpty { return nil }
        guard !tokenFile.isEmpty, !roleArn.isEmpty else {
            throw CredentialError("AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN must be set together for web identity credentials")
        }
        let session = environment["AWS_ROLE_SESSION_NAME"].flatMap { $0.isEmpty ? nil : $0 } ?? "deployer-\(Int(Date().timeIntervalSince1970))"
        return WebIdentityCredentialProvider(
            tokenFile: tokenFile, roleArn: roleArn, sessionName: session, sts: sts, label: "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)")
    }

    /// Temporary credentials for the role. Throws when the token file is missing or empty, or
    /// STS refuses the exchange.
    public func resolve() async throws -> ResolvedCredentials? {
        // Read on every refresh: the token file is rotated by the platform.
        guard let token = try? String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty else {
            throw CredentialError("web identity token file \(tokenFile) is missing or empty")
        }
        do {
            let credentials = try await sts.assumeRoleWithWebIdentity(roleArn: roleArn, sessionName: sessionName, token: token)
            return ResolvedCredentials(credentials: credentials, source: label)
        } catch let error as AWSError {
            throw CredentialError("\(label): AssumeRoleWithWebIdentity of \(roleArn) failed: \(error.code): \(error.message)")
        }
    }
}

/// A named profile of the shared files: static keys, `role_arn` with `source_profile` or
/// `credential_source`, `web_identity_token_file`, IAM Identity Center (SSO), or `credential_process`.
public struct ProfileCredentialProvider: CredentialProvider {
    let profile: String
    let config: SharedConfig
    let environment: [String: String]
    /// Builds an STS client that signs with the given credentials (nil = unsigned).
    let sts: @Sendable ((any CredentialProvider)?) -> STSClient
    let explicit: Bool
    /// An unsigned client for IAM Identity Center in a region, and where `aws sso login` caches tokens.
    let sso: (client: @Sendable (String) -> AWSClient, cacheDirectory: String)?

    /// - Parameter explicit: the profile was asked for by name (flag or `AWS_PROFILE`), so a
    ///   missing profile is an error rather than "not configured".
    public init(
        profile: String, config: SharedConfig, environment: [String: String], explicit: Bool, sts: @escaping @Sendable ((any CredentialProvider)?) -> STSClient,
        sso: (client: @Sendable (String) -> AWSClient, cacheDirectory: String)? = nil
    ) {
        self.profile = profile
        self.config = config
        self.environment = environment
        self.explicit = explicit
        self.sts = sts
        self.sso = sso
    }

    /// The profile's credentials; `nil` when it does not exist and was not asked for by name.
    /// Throws when it exists but is incomplete, names a missing or looping `source_profile`,
    /// or its source fails.
    public func resolve() async throws -> ResolvedCredentials? {
        guard config.hasProfile(profile) else {
            if explicit {
                throw CredentialError(
                    "profile '\(profile)' is not in ~/.aws/credentials or ~/.aws/config (AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE): create it or choose another with --profile"
                )
            }
            return nil
        }
        return try await provider(for: profile, visited: []).resolve()
    }

    func provider(for name: String, visited: [String]) throws -> any CredentialProvider {
        if visited.contains(name) {
            throw CredentialError("profile '\(profile)': source_profile loop \((visited + [name]).joined(separator: " → "))")
        }
        guard config.hasProfile(name) else {
            throw CredentialError("profile '\(visited.last ?? profile)' names source_profile '\(name)', which does not exist")
        }
        let label = "profile \(name)"
        if let roleArn = config.value("role_arn", profile: name) {
            let session = config.value("role_session_name", profile: name) ?? "deployer-\(Int(Date().timeIntervalSince1970))"
            let duration = config.value("duration_seconds", profile: name).flatMap(Int.init)
            if let tokenFile = config.value("web_identity_token_file", profile: name) {
                return WebIdentityCredentialProvider(
                    tokenFile: tokenFile, roleArn: roleArn, sessionName: session, sts: sts(nil), label: "\(label) (web identity)")
            }
            let source: any CredentialProvider
            if let sourceProfile = config.value("source_profile", profile: name) {
                // A profile that is its own source uses its static keys (the CLI's rule).
                if sourceProfile == name {
                    source = try staticKeys(name)
                } else {
                    source = try provider(for: sourceProfile, visited: visited + [name])
                }
            } else if let credentialSource = config.value("credential_source", profile: name) {
                switch credentialSource {
                case "Environment": source = EnvironmentCredentialProvider(environment: environment)
                case "EcsContainer": source = ContainerCredentialProvider(environment: environment, transport: nil)
                case "Ec2InstanceMetadata": source = IMDSCredentialProvider(environment: environment, transport: nil)
                default:
                    throw CredentialError("\(label): credential_source '\(credentialSource)' is not one of Environment, EcsContainer, Ec2InstanceMetadata")
                }
            } else {
                throw CredentialError("\(label) has role_arn but neither source_profile nor credential_source: add one")
            }
            return AssumeRoleCredentialProvider(
                source: source, sts: { sts($0) }, roleArn: roleArn, sessionName: session,
                externalId: config.value("external_id", profile: name), durationSeconds: duration,
                label: "\(label) (assume role)")
        }
        // The SDKs' order: single sign-on before keys in the credentials file.
        if let provider = try ssoProvider(name, label: label) {
            return provider
        }
        if config.value("aws_access_key_id", profile: name) != nil || config.value("aws_secret_access_key", profile: name) != nil {
            return try staticKeys(name)
        }
        if let command = config.value("credential_process", profile: name) {
            return ProcessCredentialProvider(command: command, profile: name)
        }
        throw CredentialError("\(label) has no credentials: add aws_access_key_id/aws_secret_access_key, role_arn, or credential_process")
    }

    func ssoProvider(_ name: String, label: String) throws -> (any CredentialProvider)? {
        let sessionName = config.value("sso_session", profile: name)
        let startURL = config.value("sso_start_url", profile: name)
        guard sessionName != nil || startURL != nil else { return nil }
        guard let accountId = config.value("sso_account_id", profile: name), let roleName = config.value("sso_role_name", profile: name) else {
            throw CredentialError(
                "\(label) uses IAM Identity Center but has no sso_account_id and sso_role_name: add them ('aws configure sso --profile \(name)' does)")
        }
        let region: String?
        let cacheKey: String
        if let sessionName {
            guard let session = config.ssoSessions[sessionName] else {
                throw CredentialError(
                    "\(label): sso_session '\(sessionName)' has no [sso-session \(sessionName)] section in ~/.aws/config: add it or fix the name")
            }
            region = session["sso_region"]
            cacheKey = sessionName
        } else {
            region = config.value("sso_region", profile: name)
            cacheKey = startURL ?? ""
        }
        guard let region, !region.isEmpty else {
            throw CredentialError("\(label) uses IAM Identity Center but no sso_region is set: add it")
        }
        guard let sso else {
            throw CredentialError("\(label) uses IAM Identity Center, which this command cannot reach")
        }
        return SSOCredentialProvider(
            profile: name, accountId: accountId, roleName: roleName, region: region, cacheKey: cacheKey,
            cacheDirectory: sso.cacheDirectory, refreshable: sessionName != nil, client: sso.client(region))
    }

    func staticKeys(_ name: String) throws -> any CredentialProvider {
        guard let accessKey = config.value("aws_access_key_id", profile: name), let secret = config.value("aws_secret_access_key", profile: name),
            !accessKey.isEmpty, !secret.isEmpty
        else {
            throw CredentialError("profile \(name): aws_access_key_id and aws_secret_access_key must both be set")
        }
        return StaticCredentialProvider(
            Credentials(accessKeyId: accessKey, secretAccessKey: secret, sessionToken: config.value("aws_session_token", profile: name)),
            source: "profile \(name)")
    }
}
