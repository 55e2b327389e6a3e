import AWSCore
import Foundation
import SigV4

/// The local engine's scheduler: `deployer schedule run-due` (what cron calls every few
/// minutes) starts each deployed job whose schedule fired since the last call, once.
public struct LocalSchedules: Sendable {
    /// The local target whose schedules are run.
    public let context: DeployContext
    /// The scheduler of the target of `context`.
    public init(context: DeployContext) {
        self.context = context
    }

    /// What happened to one job's schedule.
    public struct Outcome: Sendable, Equatable, Codable {
        /// The job's name in the manifest, or `pipelines.NAME` for a pipeline.
        public var job: String
        /// `started`, `already started`, `not due`, `paused`, `no schedule`; for a pipeline,
        /// `succeeded`, `failed`, `cancelled` or `timed_out` once its run ended.
        public var action: String
        /// The latest firing since the last call; `nil` when none (or no schedule).
        public var dueAt: Date?
        /// The handle of the run started (or found already started).
        public var handle: String?
    }

    struct State: Codable {
        var checked: Date
    }

    /// A first call looks back this far, so the run cron was started for is not missed.
    public static let firstLookBack: TimeInterval = 300

    func stateKey(_ job: String) -> String { context.layout.join("schedules/\(context.target.name)/\(job).json") }

    /// Starts each deployed job whose schedule fired since the last call (once per firing: an
    /// idempotency key per firing) and records `now` as checked. Throws when the target is not
    /// a local one or nothing is deployed.
    public func runDue(now: Date = Date()) async throws -> [Outcome] {
        guard context.target.plugin.scheduling == .local else {
            throw DeployError("target \(context.target.name) runs its schedules in EventBridge Scheduler: 'deployer schedule run-due' is for the local engine")
        }
        guard let record = try await context.liveRecord() else {
            throw DeployError("nothing is deployed on target \(context.target.name): run 'deployer apply -t \(context.target.name)' first")
        }
        var outcomes: [Outcome] = []
        for job in record.definitions.keys.sorted() {
            guard case .object(let schedule)? = record.definitions[job]?["Schedule"], let expression = schedule["Expression"]?.stringValue,
                expression.hasPrefix("cron("), expression.hasSuffix(")")
            else {
                outcomes.append(Outcome(job: job, action: "no schedule"))
                continue
            }
            let cron = try Cron(String(expression.dropFirst(5).dropLast()))
            let timeZone = TimeZone(identifier: schedule["Timezone"]?.stringValue ?? "UTC") ?? TimeZone(identifier: "UTC")!
            let key = stateKey(job)
            var checked = now.addingTimeInterval(-Self.firstLookBack)
            if let (bytes, _) = try await context.store.get(key), let state = try? JSONDecoder.iso.decode(State.self, from: Data(bytes)) {
                checked = state.checked
            }
            let due = cron.fireTimes(after: checked, through: now, in: timeZone).last
            var outcome = Outcome(job: job, action: "not due", dueAt: due)
            if let due {
                if schedule["State"]?.stringValue == "DISABLED" {
                    outcome.action = "paused"
                } else {
                    var arguments: [String: String] = [:]
                    if case .object(let values)? = schedule["Arguments"] { for (name, value) in values { arguments[name] = value.stringValue ?? "" } }
                    // The key makes a second call for the same firing find the first run.
                    let started = try await Runner(context: context).start(
                        job: job, arguments: arguments,
                        idempotencyKey: "schedule-\(AMZDate(due).timestamp)")
                    outcome.action = started.reused ? "already started" : "started"
                    outcome.handle = started.handle.description
                }
            }
            try await context.store.put(
                key, bytes: Array(try JSONEncoder.pretty.encode(State(checked: now))), contentType: "application/json", condition: .always)
            outcomes.append(outcome)
        }
        for pipeline in context.manifest.pipelines {
            outcomes.append(try await runDue(pipeline, now: now))
        }
        return outcomes
    }

    /// A scheduled pipeline whose schedule fired since the last call runs to its end here (its
    /// steps as `deployer run PIPELINE` runs them), once per firing: the run id is the firing's,
    /// so a second call finds its record.
    func runDue(_ pipeline: Pipeline, now: Date) async throws -> Outcome {
        let name = "pipelines.\(pipeline.name)"
        guard let schedule = pipeline.schedule else { return Outcome(job: name, action: "no schedule") }
        let (cron, timeZone) = try schedule.firing()
        let key = stateKey("pipeline-" + pipeline.name)
        var checked = now.addingTimeInterval(-Self.firstLookBack)
        if let (bytes, _) = try await context.store.get(key), let state = try? JSONDecoder.iso.decode(State.self, from: Data(bytes)) {
            checked = state.checked
        }
        var outcome = Outcome(job: name, action: "not due", dueAt: nil)
        if let due = cron.fireTimes(after: checked, through: now, in: timeZone).last {
            outcome.dueAt = due
            if context.target.schedulePaused(schedule.paused) {
                outcome.action = "paused"
            } else {
                let runner = PipelineRunner(runner: Runner(context: context))
                let runId = "schedule-\(AMZDate(due).timestamp)"
                outcome.handle = "pipeline:\(context.target.name):\(pipeline.name):\(runId)"
                // Recorded before the first step starts: a second call for this firing finds it.
                if try await context.store.head(runner.recordKey(pipeline.name, runId: runId)) != nil {
                    outcome.action = "already started"
                } else {
                    // Checked first: a long run must not make the next call start this firing again.
                    try await context.store.put(
                        key, bytes: Array(try JSONEncoder.pretty.encode(State(checked: now))), contentType: "application/json", condition: .always)
                    var scheduled = pipeline
                    scheduled.arguments.merge(schedule.arguments) { $1 }
                    outcome.action = try await runner.run(scheduled, runId: runId) { _ in }.state
                    return outcome
                }
            }
        }
        try await context.store.put(key, bytes: Array(try JSONEncoder.pretty.encode(State(checked: now))), contentType: "application/json", condition: .always)
        return outcome
    }
}
