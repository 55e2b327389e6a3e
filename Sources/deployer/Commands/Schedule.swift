import ArgumentParser
import DeployKit
import Foundation

struct Schedule: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Schedules of the local engine (AWS engines run theirs in EventBridge Scheduler).",
        subcommands: [RunDue.self]
    )

    struct RunDue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run-due",
            abstract: "Start each deployed local job whose schedule fired since the last call (what cron calls, e.g. every 5 minutes).",
            discussion:
                "A firing starts one run even if this is called twice for it. A paused schedule does not start. The first call looks back 5 minutes. A scheduled pipeline that is due runs to its end here (its steps one after the other as 'deployer run PIPELINE' runs them), once per firing."
        )

        @OptionGroup var manifest: ManifestFlags
        @OptionGroup var target: TargetFlag

        @Flag(help: "Print JSON.")
        var json = false

        @OptionGroup var aws: AWSFlags

        struct Output: Encodable {
            var version = 1
            var target: String
            var schedules: [LocalSchedules.Outcome]
        }

        func run() async throws {
            try await CommandContext.run(manifest: manifest, target: target.target, developer: target.developer, aws: aws) { command in
                let outcomes = try await LocalSchedules(context: command.context).runDue()
                if json {
                    try printSnakeJSON(Output(target: command.context.target.name, schedules: outcomes))
                    return
                }
                for outcome in outcomes {
                    print("\(outcome.job): \(outcome.action)\(outcome.handle.map { " \($0)" } ?? "")")
                }
            }
        }
    }
}
