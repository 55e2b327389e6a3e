import AWSCore
import Foundation

/// Reading an execution's history: the step transitions, the runs they started, why they failed.
extension PipelineExecutions {
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
