import DeployKit
import Foundation

/// `deployer run PIPELINE`: every step in order, one line per step transition, the exit code
/// of the first step that did not succeed (0 when all did); Ctrl-C/SIGTERM cancels the steps
/// running and exits 3.
extension Run {
    func runPipeline(_ pipeline: Pipeline, context: DeployContext, arguments: [String: String]) async throws -> Int32 {
        guard attach == nil, idempotencyKey == nil, maxCost == nil else {
            throw CommandFailure("--attach, --idempotency-key and --max-cost are for jobs; pipeline \(pipeline.name) takes --arg (given to every step), --timeout per step in the manifest")
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

/// `run PIPELINE --json`.
struct PipelineOutput: Encodable {
    var version = 1
    var pipeline: PipelineRunner.Result
}

extension Dictionary where Key == String {
    /// The same values under new keys.
    func mapKeys(_ transform: (String) -> String) -> [String: Value] {
        Dictionary<String, Value>(uniqueKeysWithValues: map { (transform($0.key), $0.value) })
    }
}
