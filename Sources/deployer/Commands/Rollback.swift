import AWSCore
import ArgumentParser
import DeployKit
import Foundation

struct Rollback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Point job definitions back at an earlier deployment's artifacts (through plan and lock).",
        discussion: "'deployer deployments' lists deployment ids. The rollback is recorded as a new deployment."
    )

    @OptionGroup var manifest: ManifestFlags
    @OptionGroup var target: TargetFlag

    @Option(help: ArgumentHelp("The deployment id to restore.", valueName: "DEPLOYMENT_ID"))
    var to: String

    @Flag(help: "Do not ask for confirmation.")
    var autoApprove = false

    @OptionGroup var aws: AWSFlags

    func run() async throws {
        try await CommandContext.run(manifest: manifest, target: target.target, developer: target.developer, aws: aws) { command in
            try confirm("Roll target \(command.context.target.name) back to deployment \(to)?", autoApprove: autoApprove)
            var options = Deployer.ApplyOptions()
            options.progress = ProgressBar.callback()
            let deployer = Deployer(context: command.context)
            let to = self.to
            let settings = options
            let result = try await Interrupts.run { try await deployer.rollback(to: to, options: settings) }
            print(result.plan.render())
            if let record = result.record {
                print("Rolled back: deployment \(record.id) restores \(to) on target \(record.target).")
            }
        }
    }
}
