import AWSCore
import ArgumentParser
import DeployKit
import Foundation

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what apply would change: + create, ~ update (field old → new), = unchanged.",
        discussion: "Reads live state only (no writes). Exit status: 0 success; with --detailed-exitcode 0 no changes, 2 changes, 1 error."
    )

    @OptionGroup var manifest: ManifestFlags
    @OptionGroup var target: TargetFlag

    @Flag(help: "Print the plan as JSON.")
    var json = false

    @Option(help: ArgumentHelp("Save the plan for 'deployer apply --plan'.", valueName: "PATH"))
    var out: String?

    @Flag(help: "Exit 0 when there are no changes, 2 when there are (drift included), 1 on error.")
    var detailedExitcode = false

    @Option(help: ArgumentHelp("Only this job (repeatable); the others are left as deployed.", valueName: "JOB"))
    var select: [String] = []

    @Flag(help: "Also read back every stored artifact and dependency file and check it against its SHA256SUMS (downloads them).")
    var verifyStored = false

    @OptionGroup var aws: AWSFlags

    func run() async throws {
        let changed: Bool = try await CommandContext.run(manifest: manifest, target: target.target, developer: target.developer, aws: aws) { command in
            try await command.context.verifyAccount()
            let (plan, _) = try await Deployer(context: command.context).plan(select: select.isEmpty ? nil : select, verifyStored: verifyStored)
            if let out {
                try JSONEncoder.pretty.encode(plan).write(to: URL(fileURLWithPath: out))
            }
            if json {
                try printSnakeJSON(PlanOutput(target: plan.target, hasChanges: plan.hasChanges, plan: plan))
            } else {
                print(plan.render())
                if let out { print("Saved to \(out): apply it with 'deployer apply -t \(plan.target) --plan \(out)'.") }
            }
            return plan.hasChanges
        }
        if detailedExitcode && changed { throw ExitCode(2) }
    }
}

/// `plan --json`: the plan in the one `--json` style (the file `--out` writes is apply's input
/// and keeps its own format).
struct PlanOutput: Encodable {
    var version = 1
    var target: String
    var hasChanges: Bool
    var plan: Plan
}
