import AWSCore
import ArgumentParser
import DeployKit
import Foundation

struct Apply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
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
        try await CommandContext.run(manifest: manifest, target: target.target, developer: target.developer, aws: aws) { command in
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
                    let reason = (error as? DecodingError)?.brief ?? "not readable"
                    throw CommandFailure(
                        "\(plan) is not a plan saved by 'deployer plan --out' (\(reason)): save it again with 'deployer plan -t TARGET --out FILE'")
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
            if let removed = result.removedLock {
                print(
                    "Removed lock \(removed.id) of \(removed.owner): its apply recorded deployment \(removed.finishedDeployment ?? "?") and did not release it."
                )
            }
            if let failure = result.releaseFailure { printNote("warning: " + failure) }
            if let record = result.record {
                if autoApprove || saved != nil { print(result.plan.render()) }
                print("Applied: deployment \(record.id) on target \(record.target).")
            } else {
                print(result.plan.render())
            }
        }
    }
}
