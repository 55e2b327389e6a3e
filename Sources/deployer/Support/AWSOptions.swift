import AWSCore
import ArgumentParser
import DeployKit
import Foundation

/// Options every command that talks to AWS accepts.
struct AWSFlags: ParsableArguments {
    @Option(help: "AWS region (else AWS_REGION, AWS_DEFAULT_REGION, then the profile's region).")
    var region: String?

    @Option(help: "Shared-config profile (else AWS_PROFILE, else default).")
    var profile: String?

    @Option(help: "Endpoint URL for every service (else AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL).")
    var endpointURL: String?

    @Option(help: "Access key id; use with --secret-access-key. Prefer the environment or a profile.")
    var accessKeyId: String?

    @Option(help: "Secret access key; use with --access-key-id.")
    var secretAccessKey: String?

    @Option(help: "Session token for temporary credentials.")
    var sessionToken: String?

    @Option(help: "S3 addressing: auto, virtual or path.")
    var s3AddressingStyle: S3AddressingStyle = .auto

    @Option(help: "Attempts per request, retries included (else AWS_MAX_ATTEMPTS, the profile's max_attempts, else 5).")
    var maxAttempts: Int?

    @Flag(help: "Log each request and response line to stderr (signatures, tokens and secrets redacted).")
    var debug = false

    func validate() throws {
        if let maxAttempts, !(1...20).contains(maxAttempts) {
            throw ValidationError("--max-attempts must be from 1 to 20")
        }
    }

    var options: AWSOptions {
        AWSOptions(
            region: region, profile: profile, accessKeyId: accessKeyId, secretAccessKey: secretAccessKey, sessionToken: sessionToken,
            endpointURL: endpointURL, s3AddressingStyle: s3AddressingStyle, maxAttempts: maxAttempts)
    }
}

extension S3AddressingStyle: ExpressibleByArgument {}

/// The AWS plumbing one invocation needs: built once, one HTTP client for the process.
struct AWSSession {
    let setup: AWSSetup
    let region: String
    let transport: AsyncHTTPTransport
    let credentials: any CredentialProvider
    let client: AWSClient

    init(flags: AWSFlags, regionFallback: String? = nil) throws {
        var setup = AWSSetup(options: flags.options)
        setup.userAgent = Self.userAgent()
        self.setup = setup
        if let found = try? setup.regionWithSource() {
            self.region = found.region
            try setup.validateSettings(region: found.region, regionSource: found.source)
        } else if let regionFallback {
            self.region = regionFallback
            try setup.validateSettings(region: regionFallback, regionSource: "the manifest's target")
        } else {
            self.region = try setup.region()
        }
        transport = try AsyncHTTPTransport(caBundlePath: setup.caBundlePath)
        credentials = setup.credentialChain(transport: transport, region: region)
        client = AWSClient(
            configuration: setup.configuration(region: region), transport: transport, credentials: credentials,
            debug: flags.debug ? .standardError : nil)
    }

    func shutdown() async {
        try? await transport.shutdown()
    }

    /// `deployer/VERSION cmd/SUBCOMMAND`: the subcommand is the first word that is not a flag,
    /// kept to letters and dashes (never a value someone typed).
    static func userAgent(arguments: [String] = CommandLine.arguments) -> String {
        let word = arguments.dropFirst().first { !$0.hasPrefix("-") } ?? "none"
        let command = word.allSatisfy { $0.isASCII && ($0.isLowercase || $0 == "-") } && !word.isEmpty && word.count <= 20 ? word : "other"
        return "deployer/\(DeployerCommand.version) cmd/\(command)"
    }
}
