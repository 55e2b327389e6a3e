import AWSCore
import ArgumentParser
import DeployKit
import Foundation

struct Destroy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destroy",
        abstract: "Delete the job definitions deployer created on a target (never buckets or artifacts)."
    )

    @OptionGroup var manifest: ManifestFlags
    @OptionGroup var target: TargetFlag

    @Flag(help: "Do not ask for confirmation.")
    var autoApprove = false

    @OptionGroup var aws: AWSFlags

    func run() async throws {
        try await CommandContext.run(manifest: manifest, target: target.target, developer: target.developer, aws: aws) { command in
            try confirm("Delete every job definition deployer created on target \(command.context.target.name)?", autoApprove: autoApprove)
            let deployer = Deployer(context: command.context)
            if let record = try await Interrupts.run({ try await deployer.destroy() }) {
                print("Destroyed: deployment \(record.id) records that target \(record.target) has no jobs.")
            } else {
                print("Nothing deployed on target \(command.context.target.name).")
            }
        }
    }
}
