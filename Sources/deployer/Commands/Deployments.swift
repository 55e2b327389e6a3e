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
    static let configuration = CommandConfiguration(abstract: "List a target's deployments, newest first (ids for rollback).")

    @OptionGroup var manifest: ManifestFlags
    @OptionGroup var target: TargetFlag

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var aws: AWSFlags

    func run() async throws {
        try await CommandContext.run(manifest: manifest, target: target.target, aws: aws) { command in
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
