import ArgumentParser
import DeployKit
import Foundation

struct Retry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a new run with the same artifact and arguments as an earlier run (even if a newer deployment exists).",
        discussion: "HANDLE is ENGINE:TARGET:JOB:RUN_ID as 'deployer run' and 'deployer runs' print it. With --wait, exit codes as for 'deployer run --wait'."
    )

    @Argument(help: "The run to retry.")
    var handle: String

    @OptionGroup var manifest: ManifestFlags
    @OptionGroup var target: TargetFlag

    @Flag(help: "Wait for the new run to finish.")
    var wait = false

    @Option(help: "On Ctrl-C or SIGTERM while waiting: cancel the run, detach, or ask.")
    var onInterrupt: OnInterrupt?

    @OptionGroup var aws: AWSFlags

    func validate() throws {
        if RunHandle(handle) == nil {
            throw ValidationError("'\(handle.prefix(80))' is not a run handle ENGINE:TARGET:JOB:RUN_ID (as 'deployer run' prints it)")
        }
    }

    func run() async throws {
        let code: Int32 = try await CommandContext.run(manifest: manifest, target: target.target ?? RunHandle(handle)?.target, aws: aws) { command in
            guard let parsed = RunHandle(handle) else { throw CommandFailure("'\(handle)' is not a run handle") }
            let runner = Runner(context: command.context)
            let retried = try await runner.retry(parsed)
            print("started \(retried.handle) (retry of \(parsed.runId): artifact \(retried.artifact.prefix(12)) of deployment \(retried.deployment))")
            if let newer = retried.newerDeployment {
                printError("note: deployment \(newer) is newer; this retry runs the older artifact of \(retried.deployment), as the original run did")
            }
            guard wait else { return 0 }
            let newHandle = retried.handle
            let followed = try await RunInterrupts.follow(newHandle, runner: runner, policy: OnInterrupt.effective(onInterrupt)) {
                try await runner.wait(job: newHandle.job, runId: newHandle.runId, timeout: nil) { info in
                    print("\(Run.clock())  \(info.engineState)\(info.error.map { ": \($0)" } ?? "")")
                }
            }
            switch followed {
            case .detached(let signal): return RunExit.detached(signal: signal)
            case .cancelled: return RunExit.interrupted
            case .finished(.timedOut): return RunExit.timedOut
            case .finished(.finished(let info)): return RunExit.status(info.state)
            }
        }
        if code != 0 { throw ExitCode(code) }
    }
}
