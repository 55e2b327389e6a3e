import Foundation
import SigV4

/// What the user chose on the command line, before the environment and files are consulted.
public struct AWSOptions: Sendable, Equatable {
    /// `--region`.
    public var region: String?
    /// `--profile`.
    public var profile: String?
    /// `--access-key-id`.
    public var accessKeyId: String?
    /// `--secret-access-key`.
    public var secretAccessKey: String?
    /// `--session-token`.
    public var sessionToken: String?
    /// `--endpoint-url`, for every service.
    public var endpointURL: String?
    /// How S3 buckets are addressed; `auto` unless chosen.
    public var s3AddressingStyle: S3AddressingStyle
    /// `--max-attempts`: wins over `AWS_MAX_ATTEMPTS` and the profile's `max_attempts`.
    public var maxAttempts: Int?

    /// The options as parsed; `nil` for a flag not given.
    public init(
        region: String? = nil, profile: String? = nil, accessKeyId: String? = nil, secretAccessKey: String? = nil, sessionToken: String? = nil,
        endpointURL: String? = nil, s3AddressingStyle: S3AddressingStyle = .auto, maxAttempts: Int? = nil
    ) {
        self.region = region
        self.profile = profile
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.endpointURL = endpointURL
        self.s3AddressingStyle = s3AddressingStyle
        self.maxAttempts = maxAttempts
    }
}

/// Builds the credential chain and region exactly in the AWS SDKs' order.
public struct AWSSetup: Sendable {
    /// What the command line said.
    public var options: AWSOptions
    /// Where the `AWS_*` settings are read (the process's environment unless a test gives one).
    public var environment: [String: String]
    /// The home directory `~/.aws` is found in.
    public var home: String
    /// The shared config and credentials files, read once at setup.
    public var config: SharedConfig
    /// The `User-Agent` of every client made from this setup (the credential chain's STS too).
    public var userAgent: String?

    /// Reads the shared files straight away. `home` defaults to `HOME`, else the user's home directory.
    public init(options: AWSOptions, environment: [String: String] = ProcessInfo.processInfo.environment, home: String? = nil) {
        self.options = options
        self.environment = environment
        let homeDirectory = home ?? environment["HOME"] ?? NSHomeDirectory()
        self.home = homeDirectory
        self.config = SharedConfig.load(environment: environment, home: homeDirectory)
    }

    /// The profile in effect: `--profile`, else `AWS_PROFILE`, else `default`.
    public var profileName: (name: String, explicit: Bool) {
        if let profile = options.profile, !profile.isEmpty { return (profile, true) }
        if let profile = environment["AWS_PROFILE"], !profile.isEmpty { return (profile, true) }
        return ("default", false)
    }

    /// Region: flag → `AWS_REGION` → `AWS_DEFAULT_REGION` → the profile's `region`.
    public func region() throws -> String {
        try regionWithSource().region
    }

    /// The region and the setting it came from (for messages).
    public func regionWithSource() throws -> (region: String, source: String) {
        if let region = options.region, !region.isEmpty { return (region, "--region") }
        if let region = environment["AWS_REGION"], !region.isEmpty { return (region, "AWS_REGION") }
        if let region = environment["AWS_DEFAULT_REGION"], !region.isEmpty { return (region, "AWS_DEFAULT_REGION") }
        if let region = config.configFile[profileName.name]?["region"], !region.isEmpty { return (region, "region of profile '\(profileName.name)'") }
        throw CredentialError("no AWS region: pass --region, set AWS_REGION, or add region to profile '\(profileName.name)' in ~/.aws/config")
    }

    /// Whether `name` has the shape of an AWS region (`us-east-1`, `us-gov-west-1`, `cn-north-1`).
    public static func isRegionName(_ name: String) -> Bool {
        name.range(of: #"^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$"#, options: .regularExpression) != nil
    }

    /// Refuses settings that would otherwise be ignored or fail late: a region that is not a
    /// region name, `AWS_MAX_ATTEMPTS` or the profile's `max_attempts` that is not 1…20.
    public func validateSettings(region: String, regionSource: String) throws {
        guard Self.isRegionName(region) else {
            throw CredentialError("region '\(Redaction.scrub(region, limit: 40))' (from \(regionSource)) is not an AWS region name such as us-east-1: fix it")
        }
        let attempts: [(String?, String)] = [
            (environment["AWS_MAX_ATTEMPTS"], "AWS_MAX_ATTEMPTS"),
            (profileSetting("max_attempts"), "max_attempts of profile '\(profileName.name)' in ~/.aws/config"),
        ]
        for (value, source) in attempts {
            guard let value, !value.isEmpty else { continue }
            guard let number = Int(value.trimmingCharacters(in: .whitespaces)), (1...20).contains(number) else {
                throw CredentialError("\(source) is '\(Redaction.scrub(value, limit: 20))': it must be a whole number from 1 to 20")
            }
        }
    }

    /// flags → environment → shared files (profile, IAM Identity Center included) → web identity → container → IMDSv2,
    /// wrapped in a cache that refreshes temporary credentials before they expire.
    public func credentialChain(transport: any HTTPTransport, region: String, clock: @escaping @Sendable () -> Date = { Date() }) -> any CredentialProvider {
        let base = AWSClient(configuration: configuration(region: region), transport: transport, credentials: nil, clock: clock)
        let sts: @Sendable ((any CredentialProvider)?) -> STSClient = { provider in
            STSClient(client: base.with(credentials: provider.map { CachingCredentialProvider($0, clock: clock) }))
        }
        var providers: [any CredentialProvider] = []
        if options.accessKeyId != nil || options.secretAccessKey != nil {
            providers.append(FlagCredentialProvider(options: options))
        }
        providers.append(EnvironmentCredentialProvider(environment: environment))
        let profile = profileName
        let ssoCache = home + "/.aws/sso/cache"
        providers.append(
            ProfileCredentialProvider(
                profile: profile.name, config: config, environment: environment, explicit: profile.explicit, sts: sts,
                sso: (client: { base.with(region: $0) }, cacheDirectory: ssoCache)))
        providers.append(LazyWebIdentity(environment: environment, sts: sts(nil)))
        // The one HTTP client of the command: its pool and event loops, not a private client per
        // lookup. Link-local credential endpoints bypass any proxy (ProxySettings), and each
        // request carries its own short timeout.
        providers.append(ContainerCredentialProvider(environment: environment, transport: transport))
        providers.append(IMDSCredentialProvider(environment: environment, transport: transport))
        return CachingCredentialProvider(NamingConfigProblems(inner: ChainCredentialProvider(providers), problems: config.problems), clock: clock)
    }

    /// The profile's value for `key` in `~/.aws/config`.
    func profileSetting(_ key: String) -> String? {
        config.configFile[profileName.name]?[key].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// PEM bundle to trust: `AWS_CA_BUNDLE`, else the profile's `ca_bundle`, else the system's.
    public var caBundlePath: String? {
        if let path = environment["AWS_CA_BUNDLE"], !path.isEmpty { return path }
        return profileSetting("ca_bundle").map { SharedConfig.expand($0, home: home) }
    }

    /// Attempts per request: `--max-attempts`, else `AWS_MAX_ATTEMPTS`, else the profile's
    /// `max_attempts`, else `RetryPolicy.deployerDefaultAttempts`.
    public func configuration(region: String) -> AWSConfiguration {
        var retry = RetryPolicy.standard(environment: environment)
        if environment["AWS_MAX_ATTEMPTS"].flatMap(Int.init) == nil, let attempts = profileSetting("max_attempts").flatMap(Int.init), attempts > 0 {
            retry.maxAttempts = attempts
        }
        if let attempts = options.maxAttempts { retry.maxAttempts = max(1, attempts) }
        var configuration = AWSConfiguration(
            region: region,
            endpoints: EndpointResolver(
                region: region, explicitURL: options.endpointURL, environment: environment, s3AddressingStyle: options.s3AddressingStyle),
            retry: retry)
        configuration.userAgent = userAgent
        return configuration
    }
}

/// `--access-key-id` / `--secret-access-key` / `--session-token`.
struct FlagCredentialProvider: CredentialProvider {
    let options: AWSOptions
    func resolve() async throws -> ResolvedCredentials? {
        guard let accessKey = options.accessKeyId, let secret = options.secretAccessKey, !accessKey.isEmpty, !secret.isEmpty else {
            throw CredentialError("--access-key-id and --secret-access-key must be given together")
        }
        return ResolvedCredentials(
            credentials: Credentials(accessKeyId: accessKey, secretAccessKey: secret, sessionToken: options.sessionToken), source: "command-line flags")
    }
}

/// Web identity from the environment, checked when the chain reaches it.
struct LazyWebIdentity: CredentialProvider {
    let environment: [String: String]
    let sts: STSClient
    func resolve() async throws -> ResolvedCredentials? {
        try await WebIdentityCredentialProvider.fromEnvironment(environment, sts: sts)?.resolve()
    }
}

/// When no source has credentials and a shared file was there but unusable, says which file and
/// why ("no AWS credentials found" alone sent people looking everywhere but the broken file).
struct NamingConfigProblems: CredentialProvider {
    let inner: any CredentialProvider
    let problems: [String]

    func resolve() async throws -> ResolvedCredentials? {
        if let found = try await inner.resolve() { return found }
        guard !problems.isEmpty else { return nil }
        throw CredentialError("no AWS credentials found, and " + problems.joined(separator: "; "))
    }
}
