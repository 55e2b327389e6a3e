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
        /// The job's name in the manifest.
        public var job: String
        /// `started`, `not due`, `paused`, `no schedule`.
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
                  expression.hasPrefix("cron("), expression.hasSuffix(")") else {
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
                    let started = try await Runner(context: context).start(job: job, arguments: arguments,
                                                                          idempotencyKey: "schedule-\(AMZDate(due).timestamp)")
                    outcome.action = started.reused ? "already started" : "started"
                    outcome.handle = started.handle.description
                }
            }
            try await context.store.put(key, bytes: Array(try JSONEncoder.pretty.encode(State(checked: now))), contentType: "application/json", condition: .always)
            outcomes.append(outcome)
        }
        return outcomes
    }
}
