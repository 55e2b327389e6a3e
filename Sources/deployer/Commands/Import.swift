import AWSCore
import ArgumentParser
import DeployKit
import Foundation

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Print the manifest YAML for a Glue job or an EMR Serverless application that exists, to bring it under deployer.",
        discussion:
            "The settings it prints (workers, version, timeout, concurrency, retries, arguments, role) round-trip: the next plan changes none of them. The first apply points the job at the artifact built from the repository."
    )

    /// The engines whose plug-ins can read an existing job.
    static var importable: [String] { EngineRegistry.builtIn.plugins.filter(\.importsExisting).map(\.kind.rawValue) }

    @Argument(help: ArgumentHelp("The engine: \(Import.importable.joined(separator: " or ")).", valueName: "engine"))
    var engine: String

    @Argument(help: "The Glue job's name, or the EMR Serverless application id.")
    var identifier: String

    @OptionGroup var aws: AWSFlags

    func validate() throws {
        guard EngineRegistry.builtIn.plugin(engine)?.importsExisting == true else {
            throw ValidationError("'\(engine.prefix(40))' is not an engine that can import (engines: \(Self.importable.joined(separator: ", ")))")
        }
    }

    func run() async throws {
        guard let plugin = EngineRegistry.builtIn.plugin(engine) else { throw ExitCode(64) }
        let session: AWSSession
        do {
            session = try AWSSession(flags: aws)
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        let text: String? = try await failing {
            defer { Task { await session.shutdown() } }
            do {
                return try await plugin.importManifest(identifier, client: session.client)
            } catch {
                // A refusal names who, what and where; refused credentials say what to check.
                if let refused = AccessAdvice.credentialProblem(in: error) { throw CommandFailure(AccessAdvice.explainCredentials(refused)) }
                if let denied = AccessAdvice.accessDenied(in: error) {
                    let principal = try? await STSClient(client: session.client).getCallerIdentity().arn
                    throw CommandFailure(AccessAdvice.explain(denied, principal: principal, target: nil))
                }
                throw error
            }
        }
        if let text { print(text) }
    }
}
