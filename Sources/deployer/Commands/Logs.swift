import AWSCore
import ArgumentParser
import DeployKit
import Foundation
import SigV4

struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print a run's driver log (CloudWatch for Glue, S3 for EMR, the log file for local)."
    )

    @Argument(help: "The job, as named in the manifest.")
    var job: String

    @Option(help: ArgumentHelp("The run (the last field of its handle), or 'latest'.", valueName: "RUN_ID"))
    var run: String

    @OptionGroup var manifest: ManifestFlags
    @OptionGroup var target: TargetFlag

    @Flag(help: "Keep printing new lines until the run ends.")
    var follow = false

    @Flag(help: "The driver's stderr (Glue: the error log group) instead of stdout.")
    var stderr = false

    @Option(help: "With --follow, on Ctrl-C or SIGTERM: cancel the run, detach, or ask (default: cancel in CI or without a terminal, else ask).")
    var onInterrupt: OnInterrupt?

    @OptionGroup var aws: AWSFlags

    func run() async throws {
        let code: Int32 = try await CommandContext.run(manifest: manifest, target: target.target, developer: target.developer, aws: aws) { command in
            let runner = Runner(context: command.context)
            let first = try await runner.logReader(job: job, runId: self.run, stderr: stderr)
            guard follow else {
                var reader = first
                for line in try await reader.next() { print(line) }
                return 0
            }
            let handle = RunHandle(engine: command.context.target.engine.rawValue, target: command.context.target.name, job: job, runId: first.runId)
            let followed = try await RunInterrupts.follow(handle, runner: runner, policy: OnInterrupt.effective(onInterrupt)) {
                var reader = first
                while true {
                    for line in try await reader.next() { print(line) }
                    if try await reader.describe().state.isTerminal {
                        for line in try await reader.next() { print(line) }
                        return true
                    }
                    try await Task.sleep(for: .seconds(3))
                }
            }
            switch followed {
            case .finished: return 0
            case .cancelled(let info):
                printError("cancelled \(handle) on interrupt: the run is \(info.state.rawValue) (\(info.engineState))")
                return RunExit.interrupted
            case .detached(let signal): return RunExit.detached(signal: signal)
            }
        }
        if code != 0 { throw ExitCode(code) }
    }
}
