import AWSCore
import ArgumentParser
import DeployKit
import Foundation

struct DeploymentsOutput: Encodable {
    var version = 1
    var target: String
    var deployments: [DeploymentRecord]
}

struct Deployments: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "deployments", abstract: "List a target's deployments, newest first (ids for rollback).")

    @OptionGroup var manifest: ManifestFlags
    @OptionGroup var target: TargetFlag

    @Flag(help: "Print JSON.")
    var json = false

    @Option(
        help: ArgumentHelp(
            "List the target's development deployments (every engineer's, mode: development) untouched for longer than this (7d, 12h, 30m).",
            valueName: "AGE"))
    var stale: String?

    @Flag(help: "With --stale: destroy those deployments (each under its own lock).")
    var clean = false

    @Flag(help: "With --clean: do not ask for confirmation.")
    var autoApprove = false

    @OptionGroup var aws: AWSFlags

    func validate() throws {
        if let stale, parseDuration(stale) == nil { throw ValidationError("--stale '\(stale.prefix(20))' is not an age such as 7d, 12h or 30m") }
        if clean, stale == nil { throw ValidationError("--clean needs --stale AGE: it removes only deployments untouched for longer") }
    }

    func run() async throws {
        if let stale, let age = parseDuration(stale) {
            try await staleDeployments(olderThan: age)
            return
        }
        try await CommandContext.run(manifest: manifest, target: target.target, developer: target.developer, aws: aws) { command in
            let records = try await command.context.records()
            if json {
                try printSnakeJSON(DeploymentsOutput(target: command.context.target.name, deployments: records))
                return
            }
            if records.isEmpty { print("No deployments on target \(command.context.target.name).") }
            for record in records {
                let what =
                    record.destroyed == true
                    ? "destroyed" : record.artifacts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.prefix(12))" }.joined(separator: " ")
                let note = record.rollbackOf.map { " (rollback to \($0))" } ?? ""
                print("\(record.id)  \(ISO8601DateFormatter().string(from: record.at))  \(record.by)  \(what)\(note)")
            }
        }
    }
}

/// `deployments --stale AGE [--clean]`: every engineer's development deployment of the target.
extension Deployments {
    func staleDeployments(olderThan age: Duration) async throws {
        let (name, found) = try await CommandContext.run(manifest: manifest, target: target.target, developer: target.developer, aws: aws) { command in
            let context = command.context
            guard context.target.development else {
                throw CommandFailure("--stale: target \(context.target.name) is not in development mode (targets.\(context.target.name).mode: development)")
            }
            return (context.target.name, try await DevelopmentDeployments(context: context).stale(olderThan: TimeInterval(age.components.seconds)))
        }
        if json {
            // The resolved target's name (the manifest's default when -t is left out), not the flag.
            try printSnakeJSON(StaleOutput(target: name, stale: found))
        } else if found.isEmpty {
            print("No development deployment untouched for longer than \(stale ?? "").")
        } else {
            var rows = [["DEVELOPER", "LAST DEPLOYMENT", "AT", "JOBS"]]
            for record in found {
                rows.append([
                    record.developer ?? "-", record.id, ISO8601DateFormatter().string(from: record.at), record.jobNames.keys.sorted().joined(separator: " "),
                ])
            }
            for line in alignedLines(rows) { print(line) }
        }
        guard clean, !found.isEmpty else { return }
        try confirm("Destroy the \(found.count) development deployment\(found.count == 1 ? "" : "s") above?", autoApprove: autoApprove)
        var failures = 0
        for record in found {
            guard let developer = record.developer else { continue }
            do {
                try await CommandContext.run(manifest: manifest, target: target.target, developer: developer, aws: aws) { command in
                    let destroyed = try await Interrupts.run({ try await Deployer(context: command.context).destroy() })
                    print("destroyed \(developer)'s deployment\(destroyed.map { " (record \($0.id))" } ?? "")")
                }
            } catch {
                failures += 1
                printError("\(developer)'s deployment: \(error)")
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}

/// `deployments --stale --json`.
struct StaleOutput: Encodable {
    var version = 1
    var target: String
    var stale: [DeploymentRecord]
}
