import AWSCore
import ArgumentParser
import Foundation

struct Whoami: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whoami",
        abstract: "Show the AWS identity deployer would act as (STS GetCallerIdentity).",
        discussion: "Exit status 0 when the identity was confirmed by AWS, 1 otherwise."
    )

    @OptionGroup var aws: AWSFlags

    @Flag(help: "Print JSON instead of text.")
    var json = false

    struct Output: Encodable {
        let account: String
        let arn: String
        var version = 1
        let userId: String
        let region: String
        let credentialSource: String
    }

    func run() async throws {
        let session: AWSSession
        do {
            session = try AWSSession(flags: aws, regionFallback: "us-east-1")
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        defer { Task { await session.shutdown() } }
        do {
            guard let resolved = try await session.credentials.resolve() else {
                throw CredentialError("no AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run where a role is available")
            }
            let identity = try await STSClient(client: session.client).getCallerIdentity()
            let output = Output(
                account: identity.account, arn: identity.arn, userId: identity.userId, region: session.region, credentialSource: resolved.source)
            if json {
                try printJSON(output)
            } else {
                print("account:     \(output.account)")
                print("arn:         \(output.arn)")
                print("user id:     \(output.userId)")
                print("region:      \(output.region)")
                print("credentials: \(output.credentialSource)")
            }
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
    }
}
