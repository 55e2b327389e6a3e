import AWSCore
import Foundation

/// Runs a pipeline on an engine that runs pipelines on this machine (`local`, `spark`): layer
/// by layer, a layer's steps at the same time (at most `concurrency`), each step an ordinary
/// run of its job with the pipeline's arguments, its own, and `--run_id`; a failed step is
/// started again up to its `retries`, then stops the pipeline (later steps never start).
/// The run is recorded at `pipelines/TARGET/NAME/RUN_ID.json` in the target's store.
public struct PipelineRunner: Sendable {
    /// Starts, follows and cancels the steps' runs.
    public let runner: Runner
    /// Steps of one layer running at the same time, at most.
    public let concurrency: Int

    /// A runner for the steps of `runner`'s target.
    public init(runner: Runner, concurrency: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)) {
        self.runner = runner
        self.concurrency = max(1, concurrency)
    }

    /// One step's outcome.
    public struct StepResult: Codable, Sendable, Equatable {
        /// The step's name.
        public var step: String
        /// Its job.
        public var job: String
        /// `succeeded`, `failed`, `cancelled`, `timed_out`, or `not_started`.
        public var state: String
        /// The handle of its last run, when it started.
        public var handle: String?
        /// Runs started (1 + retries used).
        public var attempts: Int
        /// Seconds its last run took.
        public var seconds: Double?
    }

    /// A pipeline run: its id, every step's outcome and the overall state.
    public struct Result: Codable, Sendable, Equatable {
        /// The pipeline's name.
        public var pipeline: String
        /// The id every step received as `--run_id`.
        public var runId: String
        /// `succeeded` when every step did, else the first failed step's state.
        public var state: String
        /// In the order the steps ran.
        public var steps: [StepResult]
        /// When it started and ended.
        public var startedAt: Date
        public var endedAt: Date?
    }

    /// A new pipeline run id: sortable time and a short random part.
    public static func newRunId(at date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: date) + "-" + String(UUID().uuidString.lowercased().prefix(8))
    }

    /// The record's key.
    func recordKey(_ pipeline: String, runId: String) -> String {
        runner.context.layout.join("pipelines/\(runner.context.target.name)/\(pipeline)/\(runId).json")
    }

    /// Runs `pipeline` to its end; `report` hears every step transition. Cancelling the task
    /// (Ctrl-C, SIGTERM) cancels the steps that are running and records them cancelled.
    public func run(_ pipeline: Pipeline, runId: String = PipelineRunner.newRunId(), report: @escaping @Sendable (String) -> Void) async throws -> Result {
        guard runner.context.target.plugin.orchestration == .local else {
            throw DeployError(
                "target \(runner.context.target.name) (\(runner.context.target.engine.rawValue)) runs pipelines through AWS Step Functions, which this version of deployer does not deploy yet: run the steps one by one with 'deployer run JOB', or run the pipeline on a local or spark target"
            )
        }
        var result = Result(pipeline: pipeline.name, runId: runId, state: "running", steps: [], startedAt: Date(), endedAt: nil)
        try await record(result)
        var stopped: String?
        for layer in try pipeline.layers() {
            if stopped != nil {
                for step in layer {
                    result.steps.append(StepResult(step: step.name, job: step.job, state: "not_started", handle: nil, attempts: 0, seconds: nil))
                }
                continue
            }
            var outcomes: [StepResult] = []
            for chunk in stride(from: 0, to: layer.count, by: concurrency).map({ Array(layer[$0..<min($0 + concurrency, layer.count)]) }) {
                outcomes += try await withThrowingTaskGroup(of: StepResult.self) { group in
                    for step in chunk {
                        group.addTask { try await self.runStep(step, of: pipeline, runId: runId, report: report) }
                    }
                    var done: [StepResult] = []
                    for try await outcome in group { done.append(outcome) }
                    return chunk.compactMap { step in done.first { $0.step == step.name } }
                }
            }
            result.steps += outcomes
            if let bad = outcomes.first(where: { $0.state != "succeeded" }) {
                stopped = bad.state
                result.state = bad.state
            }
            try await record(result)
        }
        if stopped == nil { result.state = "succeeded" }
        result.endedAt = Date()
        try await record(result)
        return result
    }

    /// One step: started, followed to its end, started again while retries are left.
    func runStep(_ step: PipelineStep, of pipeline: Pipeline, runId: String, report: @escaping @Sendable (String) -> Void) async throws -> StepResult {
        let arguments = pipeline.arguments(of: step, runId: runId)
        var attempts = 0
        while true {
            attempts += 1
            let started = try await runner.start(
                job: step.job, arguments: arguments, idempotencyKey: nil,
                timeoutMinutes: step.timeoutMinutes)
            let handle = started.handle
            report("\(step.name): started \(handle)\(attempts > 1 ? " (attempt \(attempts))" : "")")
            let outcome: Runner.WaitOutcome
            do {
                outcome = try await runner.wait(
                    job: step.job, runId: handle.runId, timeout: step.timeoutMinutes.map { .seconds($0 * 60) },
                    initialDelay: .milliseconds(500), maxDelay: .seconds(5)
                ) { _ in }
            } catch is CancellationError {
                let info = try? await Uncancelled.run { try await runner.cancelAndWait(job: step.job, runId: handle.runId) }
                report("\(step.name): cancelled \(handle)")
                return StepResult(
                    step: step.name, job: step.job, state: info.map { $0.state.rawValue } ?? "cancelled", handle: handle.description, attempts: attempts,
                    seconds: info?.durationSeconds)
            }
            switch outcome {
            case .finished(let info):
                report("\(step.name): \(info.state.rawValue) \(handle)\(info.durationSeconds.map { " in \(Int($0.rounded())) s" } ?? "")")
                if info.state == .failed, attempts <= step.retries { continue }
                return StepResult(
                    step: step.name, job: step.job, state: info.state.rawValue, handle: handle.description, attempts: attempts, seconds: info.durationSeconds)
            case .timedOut(let info):
                _ = try? await Uncancelled.run { try await runner.cancelAndWait(job: step.job, runId: handle.runId) }
                report("\(step.name): timed out after \(step.timeoutMinutes ?? 0) min, cancelled \(handle)")
                return StepResult(
                    step: step.name, job: step.job, state: "timed_out", handle: handle.description, attempts: attempts, seconds: info.durationSeconds)
            }
        }
    }

    func record(_ result: Result) async throws {
        let bytes = Array(try JSONEncoder.pretty.encode(result))
        _ = try await Uncancelled.run { [runner] in
            try await runner.context.store.put(
                recordKey(result.pipeline, runId: result.runId), bytes: bytes, contentType: "application/json", condition: .always)
        }
    }
}
