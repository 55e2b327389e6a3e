import AWSCore
import Foundation

/// `runs PIPELINE` and `status`: executions with each step's state, run and cost.
extension PipelineExecutions {
    /// One execution as `runs` shows it: each step's last state and run, and the cost.
    public struct ExecutionSummary: Codable, Sendable, Equatable {
        /// One step's outcome in the execution.
        public struct Step: Codable, Sendable, Equatable {
            /// The step's name.
            public var step: String
            /// Its last state (`started` while its run goes on).
            public var state: String
            /// Its run (`glue:TARGET:JOB:RUN_ID`), when the history named it.
            public var handle: String?
            /// Its run's cost at the target's prices, when the engine reports usage.
            public var cost: RunCost?
        }

        /// The execution's name: the pipeline run id.
        public var runId: String
        /// `succeeded`, `failed`, `timed_out`, `cancelled`, `running`.
        public var state: String
        /// When it started and ended.
        public var startedAt: Date?
        public var endedAt: Date?
        /// The steps that started, in the order they did.
        public var steps: [Step]
        /// States entered (what Step Functions bills for a Standard workflow).
        public var transitions: Int
        /// The steps' runs plus the transitions.
        public var cost: RunCost?
        /// Why a failed execution failed (`deployer.StepFailed: step … failed`).
        public var error: String?
    }

    /// The pipeline's newest executions, each with its steps, their runs and the cost: the
    /// steps' runs at the target's prices plus the state transitions (`step_functions_transition`).
    public func summaries(pipeline: Pipeline, limit: Int) async throws -> [ExecutionSummary] {
        let sfn = try client
        let runner = Runner(context: context)
        var result: [ExecutionSummary] = []
        for listed in try await list(pipeline: pipeline.name, limit: limit) {
            // ListExecutions leaves out why an execution failed; DescribeExecution says it.
            let execution =
                ["FAILED", "TIMED_OUT", "ABORTED"].contains(listed.status) ? (try await sfn.describeExecution(arn: listed.executionArn) ?? listed) : listed
            let history = try await sfn.history(executionArn: execution.executionArn)
            var steps: [ExecutionSummary.Step] = []
            for event in Self.steps(history, pipeline: pipeline, target: context.target) {
                if let index = steps.firstIndex(where: { $0.step == event.step }) {
                    steps[index].state = event.state
                    if let handle = event.handle { steps[index].handle = handle }
                } else {
                    steps.append(ExecutionSummary.Step(step: event.step, state: event.state, handle: event.handle))
                }
            }
            for index in steps.indices {
                guard let text = steps[index].handle, let handle = RunHandle(text),
                    let info = try? await runner.describe(job: handle.job, runId: handle.runId)
                else { continue }
                steps[index].cost = runner.priced(info).cost
            }
            let transitions = history.filter { $0.type.hasSuffix("StateEntered") }.count
            let price = context.target.pricing.stepFunctionsTransition
            let stepsUSD = steps.compactMap(\.cost?.usd).reduce(0, +)
            let usd = stepsUSD + Double(transitions) * price
            let cost = RunCost(
                usd: usd, estimate: steps.contains { $0.cost?.estimate == true },
                basis: "steps \(RunCost(usd: stepsUSD, estimate: false, basis: "").text) + \(transitions) transitions × $\(Pricing.format(price))")
            let why = Self.why(error: execution.error, cause: execution.cause)
            result.append(
                ExecutionSummary(
                    runId: execution.name ?? execution.executionArn.components(separatedBy: ":").last ?? "?",
                    state: Self.state(execution.status), startedAt: execution.startDate, endedAt: execution.stopDate,
                    steps: steps, transitions: transitions, cost: cost, error: why.isEmpty ? nil : why))
        }
        return result
    }
}
