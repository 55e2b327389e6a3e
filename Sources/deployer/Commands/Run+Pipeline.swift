import AWSCore
import DeployKit
import Foundation

/// `deployer run PIPELINE`: every step in order, one line per step transition, the exit code
/// of the first step that did not succeed (0 when all did); Ctrl-C/SIGTERM cancels the steps
/// running and exits 3.
extension Run {
    func runPipeline(_ pipeline: Pipeline, context: DeployContext, arguments: [String: String]) async throws -> Int32 {
        if context.target.plugin.orchestration == .stepFunctions {
            return try await runExecution(pipeline, context: context, arguments: arguments, attachTo: nil)
        }
        guard attach == nil, idempotencyKey == nil, maxCost == nil else {
            throw CommandFailure(
                "--attach, --idempotency-key and --max-cost are for jobs; pipeline \(pipeline.name) takes --arg (given to every step), --timeout per step in the manifest"
            )
        }
        var withArguments = pipeline
        withArguments.arguments = pipeline.arguments.merging(arguments.mapKeys { $0.hasPrefix("--") ? $0 : "--" + $0 }) { $1 }
        let runner = PipelineRunner(runner: Runner(context: context))
        let chosen = withArguments
        let runId = PipelineRunner.newRunId()
        let quiet = json
        if !quiet { print("pipeline \(pipeline.name) on \(context.target.name): run \(runId), steps \(pipeline.steps.map(\.name).joined(separator: ", "))") }
        let result: PipelineRunner.Result
        do {
            result = try await Interrupts.run(first: "cancelling the running steps of pipeline \(pipeline.name)", second: "quitting at once; steps may go on") {
                try await runner.run(chosen, runId: runId) { line in if !quiet { print(line) } }
            }
        } catch let interrupted as Interrupted {
            printNote("\(Interrupts.name(interrupted.signal)): pipeline \(pipeline.name) run \(runId) cancelled")
            return RunExit.interrupted
        }
        if json {
            try printJSON(PipelineOutput(pipeline: result))
        } else {
            print("pipeline \(pipeline.name) run \(runId): \(result.state)")
        }
        switch result.state {
        case "succeeded": return 0
        case "cancelled": return 3
        case "timed_out": return RunExit.timedOut
        default: return 1
        }
    }
}

/// A pipeline on Step Functions: an execution of its deployed state machine.
extension Run {
    /// The engine part of a pipeline execution's handle: `states:TARGET:PIPELINE:RUN_ID`.
    static let executionEngine = "states"

    /// Starts (or finds again, by its name) an execution of `pipeline`'s state machine, or
    /// follows `attachTo`, printing each step's transition from the execution's history until it
    /// ends; a signal stops the execution (Step Functions stops the running step's run), exit 3.
    func runExecution(_ pipeline: Pipeline, context: DeployContext, arguments: [String: String], attachTo runId: String?) async throws -> Int32 {
        guard maxCost == nil else {
            throw CommandFailure("--max-cost is for jobs: bound pipeline \(pipeline.name)'s steps with timeout_minutes in the manifest")
        }
        // Run inputs: the pipeline's own arguments, given to the execution; any other is the manifest's.
        var inputs: [String: String] = [:]
        for (key, value) in arguments {
            let name = Pipeline.bareName(key)
            guard pipeline.runInputs[name] != nil else {
                throw CommandFailure(
                    "--arg \(name): pipeline \(pipeline.name) on target \(context.target.name) runs its deployed state machine, which takes only the pipeline's own arguments (\(pipeline.runInputs.isEmpty ? "none" : pipeline.runInputs.keys.sorted().joined(separator: ", "))): add '--\(name)' under pipelines.\(pipeline.name).arguments and apply"
                )
            }
            if let step = pipeline.stepSetting(name) {
                throw CommandFailure(
                    "--arg \(name): step \(step.name) of pipeline \(pipeline.name) sets --\(name) itself, and its value wins over a run's: remove it there")
            }
            inputs[name] = value
        }
        _ = try pollMilliseconds()  // refused before anything is started
        let executions = PipelineExecutions(context: context)
        let target = context.target
        var executionArn: String
        let name: String
        if let runId {
            name = runId
            executionArn = try await executions.executionArn(pipeline: pipeline.name, runId: runId)
            _ = try await executions.describe(executionArn)
            if !json { print("attached \(Self.executionEngine):\(target.name):\(pipeline.name):\(runId)") }
        } else {
            name = idempotencyKey ?? Self.ciKey(job: pipeline.name, target: target.name) ?? PipelineRunner.newRunId()
            let started = try await executions.start(pipeline: pipeline.name, runId: name, inputs: inputs)
            executionArn = started.executionArn
            let handle = "\(Self.executionEngine):\(target.name):\(pipeline.name):\(name)"
            if !json {
                print(started.reused ? "found \(handle) (an execution of this name exists); not starting another" : "started \(handle)")
                print(
                    "pipeline \(pipeline.name) on \(target.name): steps \(pipeline.steps.map(\.name).joined(separator: ", ")); every step gets --run_id \(name)"
                )
            }
        }
        return try await Self.followExecution(executionArn, name: name, pipeline: pipeline, context: context, json: json)
    }

    /// Follows execution `arn` (named `name`) of `pipeline` to its end, one line per step
    /// transition; a signal stops it and cancels the running step's run (exit 3). The exit code
    /// is the execution's: 0 succeeded, 1 failed, 3 stopped, 4 timed out. `retry` shares it.
    static func followExecution(_ executionArn: String, name: String, pipeline: Pipeline, context: DeployContext, json: Bool) async throws -> Int32 {
        let executions = PipelineExecutions(context: context)
        let target = context.target
        let quiet = json
        let poll = Duration.milliseconds(Int64(try pollMilliseconds()))
        let arn = executionArn
        let final: StepFunctionsClient.Execution
        var steps: [PipelineExecutions.StepEvent] = []
        do {
            (final, steps) = try await Interrupts.run(
                first: "stopping execution \(name) of pipeline \(pipeline.name) (Step Functions stops the running step's run)",
                second: "quitting at once; the execution goes on: 'deployer run --attach \(Self.executionEngine):\(target.name):\(pipeline.name):\(name)'"
            ) {
                try await executions.follow(arn, pipeline: pipeline, poll: poll) { line in if !quiet { print(line) } }
            }
        } catch let interrupted as Interrupted {
            let signal = Interrupts.name(interrupted.signal)
            let stopped: [String]?
            do {
                stopped = try await Uncancelled.run {
                    try await executions.stop(arn, cause: "\(signal) to deployer run")
                    return try await executions.cancelRunningSteps(arn, pipeline: pipeline)
                }
            } catch {
                printError(
                    "\(signal): could not stop execution \(name) of pipeline \(pipeline.name): \(error); 'deployer run --attach \(Self.executionEngine):\(target.name):\(pipeline.name):\(name)' follows it"
                )
                return 1
            }
            let runs = (stopped ?? []).isEmpty ? "" : "; cancelled " + (stopped ?? []).joined(separator: ", ")
            printNote("\(signal): stopped execution \(name) of pipeline \(pipeline.name)\(runs)")
            return RunExit.interrupted
        }
        let state = PipelineExecutions.state(final.status)
        if json {
            try printJSON(
                ExecutionOutput(
                    pipeline: pipeline.name, runId: name, executionArn: arn, state: state, error: final.error, cause: final.cause,
                    startedAt: final.startDate, endedAt: final.stopDate,
                    steps: steps.map { ExecutionOutput.Step(step: $0.step, state: $0.state, handle: $0.handle, detail: $0.detail) }))
        } else {
            let why = PipelineExecutions.why(error: final.error, cause: final.cause)
            print("pipeline \(pipeline.name) run \(name): \(state)\(why.isEmpty ? "" : " (\(why))")")
        }
        switch state {
        case "succeeded": return 0
        case "cancelled": return RunExit.interrupted
        case "timed_out": return RunExit.timedOut
        default: return 1
        }
    }
}

/// How often an execution is read: 5 s, or `DEPLOYER_PIPELINE_POLL_MS` (100 to 60000); any
/// other value is refused rather than silently replaced.
func pollMilliseconds(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Int {
    guard let text = environment["DEPLOYER_PIPELINE_POLL_MS"] else { return 5000 }
    guard let value = Int(text), (100...60_000).contains(value) else {
        throw CommandFailure(
            "DEPLOYER_PIPELINE_POLL_MS: '\(String(text.prefix(40)))' is not a whole number of milliseconds from 100 to 60000; unset it for 5 s")
    }
    return value
}

/// `run PIPELINE --json` on Step Functions.
struct ExecutionOutput: Encodable {
    struct Step: Encodable {
        var step: String
        var state: String
        var handle: String?
        var detail: String?
    }

    var version = 1
    var pipeline: String
    var runId: String
    var executionArn: String
    var state: String
    var error: String?
    var cause: String?
    var startedAt: Date?
    var endedAt: Date?
    var steps: [Step]
}

/// `run PIPELINE --json`.
struct PipelineOutput: Encodable {
    var version = 1
    var pipeline: PipelineRunner.Result
}

extension Dictionary where Key == String {
    /// The same values under new keys.
    func mapKeys(_ transform: (String) -> String) -> [String: Value] {
        [String: Value](uniqueKeysWithValues: map { (transform($0.key), $0.value) })
    }
}
