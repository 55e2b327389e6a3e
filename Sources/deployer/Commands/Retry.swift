import ArgumentParser
import DeployKit
import Foundation

struct Retry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Start a new run with the same artifact and arguments as an earlier run (even if a newer deployment exists).",
        discussion:
            "HANDLE is ENGINE:TARGET:JOB:RUN_ID as 'deployer run' and 'deployer runs' print it. With --wait, exit codes as for 'deployer run --wait'. A pipeline's execution on Step Functions (states:TARGET:PIPELINE:RUN_ID) is redriven instead: it goes on from the step that did not finish, under the same run id."
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
        let code: Int32 = try await CommandContext.run(
            manifest: manifest, target: target.target ?? RunHandle(handle)?.target, developer: target.developer, aws: aws
        ) { command in
            guard let parsed = RunHandle(handle) else { throw CommandFailure("'\(handle)' is not a run handle") }
            if parsed.engine == Run.executionEngine {
                return try await redrive(parsed, context: command.context)
            }
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

    /// A pipeline's execution (`states:TARGET:PIPELINE:RUN_ID`): redriven from the step that did
    /// not finish (the steps that succeeded do not run again), followed with --wait.
    func redrive(_ handle: RunHandle, context: DeployContext) async throws -> Int32 {
        guard handle.target == context.target.name else {
            throw CommandFailure("\(handle) is an execution on target \(handle.target), not \(context.target.name): pass -t \(handle.target)")
        }
        guard let pipeline = context.manifest.pipeline(handle.job), context.target.plugin.orchestration == .stepFunctions else {
            throw CommandFailure("\(handle): the manifest has no pipeline \(handle.job) on Step Functions target \(context.target.name)")
        }
        if wait { _ = try pollMilliseconds() }  // refused before anything is redriven
        let executions = PipelineExecutions(context: context)
        let arn = try await executions.executionArn(pipeline: pipeline.name, runId: handle.runId)
        try await executions.redrive(arn)
        print("redriven \(handle): it goes on from the step that did not finish; the steps that succeeded do not run again")
        guard wait else { return 0 }
        return try await Run.followExecution(arn, name: handle.runId, pipeline: pipeline, context: context, json: false)
    }
}
