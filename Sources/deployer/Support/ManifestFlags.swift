import AWSCore
import ArgumentParser
import DeployKit
import Foundation

/// Flags of every command that reads `deployer.yml`.
struct ManifestFlags: ParsableArguments {
    @Option(name: [.short, .long], help: "The manifest.")
    var file = "deployer.yml"

    @Option(name: .customLong("var"), help: ArgumentHelp("A ${var.NAME} value, NAME=VALUE; repeatable (also DEPLOYER_VAR_NAME).", valueName: "NAME=VALUE"))
    var variables: [String] = []

    @Option(help: ArgumentHelp("A 'terraform output -json' file or a terraform directory, for ${tf.OUTPUT}.", valueName: "PATH"))
    var tfOutputs: String?

    func validate() throws {
        for variable in variables where !variable.contains("=") || variable.hasPrefix("=") {
            throw ValidationError("--var '\(variable)' is not NAME=VALUE")
        }
    }

    func load(target: String? = nil) throws -> Manifest {
        var values: [String: String] = [:]
        for variable in variables {
            let parts = variable.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            values[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return try ManifestLoader(variables: values, terraformOutputs: tfOutputs).load(file: file, target: target)
    }
}

struct TargetFlag: ParsableArguments {
    @Option(name: [.short, .long], help: "The target (default: the manifest's default_target, else local).")
    var target: String?

    @Option(
        name: .customLong("as"),
        help: ArgumentHelp("Whose deployment of a target in mode: development (default: your AWS user or role session name, else $USER).", valueName: "NAME"))
    var developer: String?
}

/// Manifest + target + AWS session, built once per command.
struct CommandContext {
    let context: DeployContext
    let session: AWSSession?

    init(manifest flags: ManifestFlags, target: String?, aws: AWSFlags, developer: String? = nil) throws {
        var manifest = try flags.load(target: target)
        var session: AWSSession?
        if let developer { manifest = try manifest.developing(try manifest.target(target).name, as: developer) }
        let chosen = try manifest.target(target)
        context = try DeployContext.make(
            manifest: manifest, targetName: target,
            makeClient: { region in
                var awsFlags = aws
                if awsFlags.region == nil { awsFlags.region = chosen.region ?? region }
                let made = try AWSSession(flags: awsFlags)
                session = made
                return made.client
            }, log: { line in FileHandle.standardError.write(Data((line + "\n").utf8)) })
        self.session = session
    }

    func shutdown() async {
        await session?.shutdown()
    }

    /// Runs a manifest command's body with its context, then shuts the AWS session down (awaited,
    /// whether the body succeeded or failed); errors become one `error:` line as in `failing`.
    static func run<T>(
        manifest: ManifestFlags, target: String?, developer: String? = nil, aws: AWSFlags, _ body: (CommandContext) async throws -> T
    ) async throws -> T {
        try await failing {
            var command = try CommandContext(manifest: manifest, target: target, aws: aws, developer: developer)
            if command.context.target.development, developer == nil {
                // Development mode: the deployment is the caller's, named after who AWS says they are.
                let arn = try? await command.context.callerIdentity()
                await command.shutdown()
                guard
                    let name = arn.flatMap(Manifest.developerName(fromARN:))
                        ?? ProcessInfo.processInfo.environment["USER"].flatMap(Manifest.developerName(from:))
                else {
                    throw CommandFailure("target \(command.context.target.name) is in development mode and no name was found for you: pass --as NAME")
                }
                command = try CommandContext(manifest: manifest, target: target, aws: aws, developer: name)
            }
            do {
                let result = try await body(command)
                await command.shutdown()
                return result
            } catch {
                // Refused credentials are no grant's business: say what to check instead.
                if let refused = AccessAdvice.credentialProblem(in: error) {
                    await command.shutdown()
                    var text = AccessAdvice.explainCredentials(refused)
                    if let failure = error as? DeployFailure { text += " (\(failure.summary))" }
                    throw CommandFailure(text)
                }
                // AccessDenied names who, what, where, and which Terraform module grants it.
                if let denied = AccessAdvice.accessDenied(in: error) {
                    let principal = try? await command.context.callerIdentity()
                    await command.shutdown()
                    var text = AccessAdvice.explain(denied, principal: principal, target: command.context.target.name)
                    if let failure = error as? DeployFailure { text += " (\(failure.summary))" }
                    throw CommandFailure(text)
                }
                await command.shutdown()
                throw error
            }
        }
    }
}
