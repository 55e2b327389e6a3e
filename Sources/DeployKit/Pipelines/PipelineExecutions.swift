import AWSCore
import Foundation

/// Runs of a deployed pipeline on Step Functions: an execution of its state machine, named by
/// the run id (which every step receives as `--run_id`, and which makes a repeated start find
/// the same execution), followed through its history, stopped on a signal.
public struct PipelineExecutions: Sendable {
    /// The target's context (its AWS client and deployment records).
    public let context: DeployContext

    /// Executions on `context`'s target.
    public init(context: DeployContext) {
        self.context = context
    }

    var client: StepFunctionsClient {
        get throws {
            guard let client = context.client else { throw DeployError("target \(context.target.name) runs pipelines on this machine, not on Step Functions") }
            return StepFunctionsClient(client: client)
        }
    }

    /// The deployed state machine of `pipeline` (the live deployment record's).
    public func deployed(_ pipeline: String) async throws -> RecordedPipeline {
        guard let recorded = try await context.liveRecord()?.pipelines?[pipeline] else {
            throw DeployError(
                "pipeline \(pipeline) is not deployed on target \(context.target.name): 'deployer apply -t \(context.target.name)' deploys its state machine")
        }
        return recorded
    }

    /// An execution name Step Functions accepts: 1 to 80 of `A-Z a-z 0-9 - _`.
    public static func checkName(_ name: String, given: String = "--idempotency-key") throws {
        guard (1...80).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw DeployError("\(given) '\(String(name.prefix(90)))' cannot name a Step Functions execution: use 1 to 80 letters, digits, - and _")
        }
    }

    /// A started (or found again) execution.
    public struct Started: Sendable, Equatable {
        /// The execution's ARN.
        public var executionArn: String
        /// Its name: the pipeline run id.
        public var runId: String
        /// An execution of this name existed already: nothing new was started.
        public var reused: Bool
    }

    /// StartExecution named `runId`; an execution of that name that has ended already is found
    /// again (`ExecutionAlreadyExists`), not started twice.
    public func start(pipeline: String, runId: String) async throws -> Started {
        try Self.checkName(runId)
        let machine = try await deployed(pipeline)
        let sfn = try client
        let arn = Self.executionArn(stateMachineArn: machine.arn, runId: runId)
        if let existing = try await sfn.describeExecution(arn: arn) {
            return Started(executionArn: existing.executionArn, runId: runId, reused: true)
        }
        do {
            let started = try await sfn.startExecution(stateMachineArn: machine.arn, name: runId, input: "{}")
            return Started(executionArn: started, runId: runId, reused: false)
        } catch let error as AWSError where error.code == "ExecutionAlreadyExists" {
            return Started(executionArn: arn, runId: runId, reused: true)
        }
    }

    /// DescribeExecution; throws when there is no such execution.
    public func describe(_ executionArn: String) async throws -> StepFunctionsClient.Execution {
        guard let found = try await (try client).describeExecution(arn: executionArn) else {
            throw DeployError("no execution \(executionArn) on target \(context.target.name)")
        }
        return found
    }

    /// StopExecution: Step Functions stops the running step's run and ends the execution ABORTED.
    public func stop(_ executionArn: String, cause: String) async throws {
        try await (try client).stopExecution(arn: executionArn, cause: cause)
    }

    /// Cancels, through their engine, the runs of steps the execution started that its history
    /// does not show ended: a stopped execution must not leave a job running, whatever Step
    /// Functions does with a `.sync` task it stops. Returns the handles cancelled.
    public func cancelRunningSteps(_ executionArn: String, pipeline: Pipeline) async throws -> [String] {
        let events = Self.steps(try await (try client).history(executionArn: executionArn), pipeline: pipeline, target: context.target)
        var open: [String: StepEvent] = [:]
        for event in events {
            if event.state == "started" { open[event.step] = event } else { open.removeValue(forKey: event.step) }
        }
        let runner = Runner(context: context)
        var cancelled: [String] = []
        for event in open.values.sorted(by: { $0.id < $1.id }) {
            guard let text = event.handle, let handle = RunHandle(text) else { continue }
            try await runner.cancel(job: handle.job, runId: handle.runId)
            cancelled.append(text)
        }
        return cancelled
    }

    /// The ARN of execution `runId` of the deployed `pipeline`.
    public func executionArn(pipeline: String, runId: String) async throws -> String {
        try Self.checkName(runId, given: "run id")
        return Self.executionArn(stateMachineArn: try await deployed(pipeline).arn, runId: runId)
    }

    /// `arn:…:execution:MACHINE:RUN_ID` of state machine `arn:…:stateMachine:MACHINE`.
    static func executionArn(stateMachineArn: String, runId: String) -> String {
        stateMachineArn.replacingOccurrences(of: ":stateMachine:", with: ":execution:") + ":" + runId
    }

    /// RedriveExecution of a failed, timed-out or stopped execution: it goes on from the step
    /// that did not finish; the steps that succeeded do not run again. Another state is refused
    /// (`ExecutionNotRedrivable`), named with what to do instead.
    public func redrive(_ executionArn: String) async throws {
        do {
            try await (try client).redriveExecution(arn: executionArn, clientToken: UUID().uuidString.lowercased())
        } catch let error as AWSError where error.code == "ExecutionNotRedrivable" {
            throw DeployError(
                "execution \(executionArn) cannot be redriven (\(error.message)): only a failed, timed-out or stopped one, within 14 days of its start; start a new run with 'deployer run PIPELINE'"
            )
        }
    }

    /// The pipeline's newest executions.
    public func list(pipeline: String, limit: Int) async throws -> [StepFunctionsClient.Execution] {
        try await (try client).listExecutions(stateMachineArn: try await deployed(pipeline).arn, maxResults: limit)
    }

    /// Polls the execution and its history until it ends; `report` hears each new step line
    /// (`STEP: STATE [HANDLE][: DETAIL]`). Returns the ended execution and every step event.
    public func follow(
        _ arn: String, pipeline: Pipeline, poll: Duration,
        report: @escaping @Sendable (String) -> Void
    ) async throws -> (StepFunctionsClient.Execution, [StepEvent]) {
        var seen = 0
        var all: [StepEvent] = []
        let sfn = try client
        while true {
            let execution = try await describe(arn)
            for event in Self.steps(try await sfn.history(executionArn: arn), pipeline: pipeline, target: context.target) where event.id > seen {
                seen = event.id
                all.append(event)
                report("\(event.step): \(event.state)\(event.handle.map { " \($0)" } ?? "")\(event.detail.map { ": \($0)" } ?? "")")
            }
            if !["RUNNING", "PENDING_REDRIVE"].contains(execution.status) { return (execution, all) }
            try await Task.sleep(for: poll)
        }
    }

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

    /// One step transition read from an execution's history.
    public struct StepEvent: Sendable, Equatable {
        /// The history event's id.
        public var id: Int
        /// The step's name.
        public var step: String
        /// `started`, `succeeded`, `failed`.
        public var state: String
        /// The run the step started (`glue:TARGET:JOB:RUN_ID`), when its task said.
        public var handle: String?
        /// The engine's error and cause of a failed step.
        public var detail: String?
    }

    /// The step transitions of `history`, oldest first: a task state entered, its run submitted,
    /// succeeded or failed. Each task event is traced back (`previousEventId`) to the state it
    /// belongs to, so the branches of a Parallel are told apart.
    public static func steps(_ history: [StepFunctionsClient.HistoryEvent], pipeline: Pipeline, target: Target) -> [StepEvent] {
        let byId = Dictionary(history.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        func stepName(of event: StepFunctionsClient.HistoryEvent) -> String? {
            var current: StepFunctionsClient.HistoryEvent? = event
            for _ in 0..<16 {
                guard let here = current else { return nil }
                if here.type == "TaskStateEntered", let name = here.stateEnteredEventDetails?.name { return StateMachine.stepName(ofState: name) }
                current = here.previousEventId.flatMap { byId[$0] }
            }
            return nil
        }
        var result: [StepEvent] = []
        for event in history {
            switch event.type {
            case "TaskSubmitted":
                guard let step = stepName(of: event), let job = pipeline.steps.first(where: { $0.name == step })?.job else { continue }
                let runId = event.taskSubmittedEventDetails?.output.flatMap(Self.runId(fromTaskOutput:))
                result.append(
                    StepEvent(
                        id: event.id, step: step, state: "started",
                        handle: runId.map { RunHandle(engine: target.engine.rawValue, target: target.name, job: job, runId: $0).description }))
            case "TaskSucceeded":
                guard let step = stepName(of: event) else { continue }
                result.append(StepEvent(id: event.id, step: step, state: "succeeded"))
            case "TaskFailed", "TaskTimedOut", "TaskStartFailed", "TaskSubmitFailed":
                guard let step = stepName(of: event) else { continue }
                let failure = event.taskFailedEventDetails
                let detail = why(error: failure?.error, cause: failure?.cause)
                result.append(
                    StepEvent(id: event.id, step: step, state: event.type == "TaskTimedOut" ? "timed_out" : "failed", detail: detail.isEmpty ? nil : detail))
            default:
                continue
            }
        }
        return result
    }

    /// Why an execution or step failed, for people: `error: cause`, where a cause that is (or
    /// ends with, after `failed: `) a `.sync` run as JSON is told as `run ID STATE: message`
    /// (Glue's `Id`/`JobRunState`/`ErrorMessage`, EMR Serverless' `JobRunId`/`State`/`StateDetails`).
    public static func why(error: String?, cause: String?) -> String {
        var told = cause
        if let cause, let brace = cause.firstIndex(of: "{"), cause[..<brace].isEmpty || cause[..<brace].hasSuffix("failed: "),
            let run = try? JSONDecoder().decode(JSONValue.self, from: Data(cause[brace...].utf8)), let id = runId(in: run)
        {
            let state = ["JobRunState", "State", "state"].lazy.compactMap { run[$0]?.stringValue }.first
            let message = ["ErrorMessage", "StateDetails", "stateDetails"].lazy.compactMap { run[$0]?.stringValue }.first { !$0.isEmpty }
            told = String(cause[..<brace]) + "run \(id)" + (state.map { " \($0)" } ?? "") + (message.map { ": \(String($0.prefix(300)))" } ?? "")
        }
        return [error, told.map { String($0.prefix(600)) }].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
    }

    /// The run id in a `.sync` task's submitted output: Glue's `JobRunId`, EMR Serverless'
    /// `JobRunId`/`jobRunId`, EMR's `StepId`.
    static func runId(fromTaskOutput text: String) -> String? {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else { return nil }
        return runId(in: value)
    }

    static func runId(in value: JSONValue) -> String? {
        ["JobRunId", "jobRunId", "StepId", "Id"].lazy.compactMap { value[$0]?.stringValue }.first
    }

    /// `succeeded`, `failed`, `timed_out`, `cancelled` or `running`, from Step Functions' status.
    public static func state(_ status: String) -> String {
        switch status {
        case "SUCCEEDED": return "succeeded"
        case "FAILED": return "failed"
        case "TIMED_OUT": return "timed_out"
        case "ABORTED": return "cancelled"
        default: return "running"
        }
    }
}
