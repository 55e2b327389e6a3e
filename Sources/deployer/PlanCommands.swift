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

    @OptionGroup var aws: AWSFlags

    func run() async throws {
        let changed: Bool = try await CommandContext.run(manifest: manifest, target: target.target, aws: aws) { command in
            try await command.context.verifyAccount()
            let (plan, _) = try await Deployer(context: command.context).plan(select: select.isEmpty ? nil : select)
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

struct Apply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upload missing artifacts and create/update job definitions under a lease lock.",
        discussion: "Writes the deployment record PREFIX/deployments/TARGET/ID.json and latest.json. With no changes nothing is written (not even the lock)."
    )

    @OptionGroup var manifest: ManifestFlags
    @OptionGroup var target: TargetFlag

    @Option(help: ArgumentHelp("Apply exactly this saved plan; refused if the live state moved since.", valueName: "PATH"))
    var plan: String?

    @Flag(help: "Do not ask for confirmation.")
    var autoApprove = false

    @Option(help: ArgumentHelp("Remove the lock with this id first (a dead deploy's lock).", valueName: "LOCK_ID"))
    var forceUnlock: String?

    @Option(help: ArgumentHelp("Lease length in seconds; renewed while apply works.", valueName: "SECONDS"))
    var lockTtl: Int = 900

    @Option(help: ArgumentHelp("Only this job (repeatable); the others are left as deployed.", valueName: "JOB"))
    var select: [String] = []

    @OptionGroup var aws: AWSFlags

    func validate() throws {
        guard (30...86_400).contains(lockTtl) else { throw ValidationError("--lock-ttl must be between 30 and 86400 seconds") }
    }

    func run() async throws {
        try await CommandContext.run(manifest: manifest, target: target.target, aws: aws) { command in
            let deployer = Deployer(context: command.context)
            if let forceUnlock {
                if let removed = try await deployer.forceUnlock(id: forceUnlock) {
                    print("Removed lock \(removed.id) held by \(removed.owner).")
                } else {
                    print("No lock was held on target \(command.context.target.name).")
                }
            }
            var saved: DeployKit.Plan?
            if let plan {
                guard let data = FileManager.default.contents(atPath: plan) else { throw CommandFailure("cannot read the saved plan \(plan)") }
                do {
                    saved = try JSONDecoder.iso.decode(DeployKit.Plan.self, from: data)
                } catch {
                    throw CommandFailure("\(plan) is not a plan saved by 'deployer plan --out': \(error)")
                }
            }
            var options = Deployer.ApplyOptions()
            options.lockTTL = TimeInterval(lockTtl)
            options.progress = ProgressBar.callback()
            options.select = select.isEmpty ? saved?.selected : select
            if saved == nil && !autoApprove {
                let (preview, _) = try await deployer.plan(select: options.select)
                print(preview.render())
                guard preview.hasChanges else { return }
                try confirm("Apply these changes to target \(command.context.target.name)?", autoApprove: false)
            }
            let chosen = saved
            let settings = options
            let result = try await Interrupts.run { try await deployer.apply(saved: chosen, options: settings) }
            if let record = result.record {
                if autoApprove || saved != nil { print(result.plan.render()) }
                print("Applied: deployment \(record.id) on target \(record.target).")
            } else {
                print(result.plan.render())
            }
        }
    }
}

struct Rollback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
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
        try await CommandContext.run(manifest: manifest, target: target.target, aws: aws) { command in
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

struct Destroy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete the job definitions deployer created on a target (never buckets or artifacts)."
    )

    @OptionGroup var manifest: ManifestFlags
    @OptionGroup var target: TargetFlag

    @Flag(help: "Do not ask for confirmation.")
    var autoApprove = false

    @OptionGroup var aws: AWSFlags

    func run() async throws {
        try await CommandContext.run(manifest: manifest, target: target.target, aws: aws) { command in
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

/// `plan --json`: the plan in the one `--json` style (the file `--out` writes is apply's input
/// and keeps its own format).
struct PlanOutput: Encodable {
    var version = 1
    var target: String
    var hasChanges: Bool
    var plan: Plan
}

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
                let what = record.destroyed == true ? "destroyed" : record.artifacts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.prefix(12))" }.joined(separator: " ")
                let note = record.rollbackOf.map { " (rollback to \($0))" } ?? ""
                print("\(record.id)  \(ISO8601DateFormatter().string(from: record.at))  \(record.by)  \(what)\(note)")
            }
        }
    }
}

/// A progress bar for uploads, on a terminal only.
enum ProgressBar {
    static func callback() -> (@Sendable (String, UInt64, UInt64) -> Void)? {
        guard isatty(STDERR_FILENO) != 0 else { return nil }
        return { name, done, total in
            let width = 30
            let filled = total == 0 ? width : Int(Double(done) / Double(total) * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let line = "\r\(name) [\(bar)] \(done / 1_048_576)/\(total / 1_048_576) MiB" + (done >= total ? "\n" : "")
            FileHandle.standardError.write(Data(line.utf8))
        }
    }
}
