import AWSCore
import Foundation

/// A job's schedule and failure alerts, kept beside its definition under the keys `Schedule` and
/// `Alerts` (so plan diffs, deployment records, drift and rollback carry them like any field),
/// and made real with EventBridge Scheduler and an EventBridge rule to SNS on AWS engines (what
/// they call and match is the engine plug-in's). Engines on this machine keep them in the
/// record only; `deployer schedule run-due` reads them there.
struct Automation: Sendable {
    static let keys = ["Schedule", "Alerts"]
    let target: Target
    let scheduler: SchedulerClient?
    let events: EventsClient?

    init(target: Target, client: AWSClient?) {
        self.target = target
        let aws = target.plugin.runsLocally ? nil : client
        scheduler = aws.map { SchedulerClient(client: $0) }
        events = aws.map { EventsClient(client: $0) }
    }

    /// A definition without the automation keys (what the engine itself is given), and those keys.
    static func split(_ definition: JSONValue?) -> (engine: JSONValue?, automation: [String: JSONValue]) {
        guard case .object(var fields)? = definition else { return (definition, [:]) }
        var automation: [String: JSONValue] = [:]
        for key in keys { automation[key] = fields.removeValue(forKey: key) }
        return (.object(fields), automation)
    }

    static func merged(_ definition: JSONValue?, _ automation: [String: JSONValue]) -> JSONValue? {
        guard case .object(var fields)? = definition else { return definition }
        for key in keys { fields.removeValue(forKey: key) }
        for (key, value) in automation { fields[key] = value }
        return .object(fields)
    }

    /// EventBridge names: `[0-9A-Za-z-_.]`, 64 at most.
    static func resourceName(_ name: String) -> String {
        let cleaned = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "-" })
        let full = "deployer-" + cleaned
        guard full.count > 64 else { return full }
        return String(full.prefix(55)) + "-" + String(PayloadHashHex.of(name).prefix(8))
    }

    /// The alert rule of job `name`: `deployer-NAME-alerts`, at most 64 characters.
    static func alertRuleName(_ name: String) -> String {
        resourceName(name + "-alerts")
    }

    static func json(_ document: JSONValue) -> String {
        String(decoding: (try? document.encoded()) ?? [], as: UTF8.self)
    }

    /// The `Schedule` and `Alerts` the manifest asks for, from the job's engine definition.
    func desired(job: Job, name: String, engineDefinition: JSONValue) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        if let schedule = job.schedule {
            let paused = target.schedulePaused(schedule.paused)
            var fields: [String: JSONValue] = [
                "Expression": .string("cron(\(schedule.cron))"),
                "Timezone": .string(schedule.timezone),
                "State": .string(paused ? "DISABLED" : "ENABLED"),
            ]
            if let start = target.plugin.scheduledStart(name: name, engineDefinition: engineDefinition, arguments: schedule.arguments, target: target) {
                fields["Target"] = .string(start.target)
                fields["Role"] = .string(target.scheduleRoleArn ?? "")
                fields["Input"] = .string(start.input)
            } else {
                fields["Arguments"] = .object(schedule.arguments.mapValues(JSONValue.string))
            }
            result["Schedule"] = .object(fields)
        }
        if let notify = job.notify, let pattern = target.plugin.runEventPattern(name: name, engineDefinition: engineDefinition, on: notify.on, target: target) {
            result["Alerts"] = .object([
                "Rule": .string(Self.alertRuleName(name)),
                "Topic": .string(notify.snsTopic),
                "Pattern": .string(pattern),
            ])
        }
        return result
    }

    /// What exists: the schedule and the rule, read back in the shape `desired` has.
    func live(name: String, recorded: JSONValue?) async throws -> [String: JSONValue] {
        guard let scheduler, let events else { return Self.split(recorded).automation }
        var result: [String: JSONValue] = [:]
        if let schedule = try await scheduler.getSchedule(name: Self.resourceName(name)) {
            var fields: [String: JSONValue] = [
                "Expression": .string(schedule.scheduleExpression),
                "Timezone": .string(schedule.scheduleExpressionTimezone ?? "UTC"),
                "State": .string(schedule.state ?? "ENABLED"),
            ]
            if let target = schedule.target {
                fields["Target"] = .string(target.arn)
                fields["Role"] = .string(target.roleArn)
                if let input = target.input { fields["Input"] = .string(Self.normalised(input)) }
            }
            result["Schedule"] = .object(fields)
        }
        let rule = Self.alertRuleName(name)
        if let described = try await events.describeRule(name: rule) {
            let topic = try await events.listTargets(rule: rule).first { $0.id == "sns" }?.arn
            result["Alerts"] = .object([
                "Rule": .string(rule),
                "Topic": .string(topic ?? "(none)"),
                "Pattern": .string(Self.normalised(described.eventPattern ?? "")),
            ])
        }
        return result
    }

    /// JSON text re-serialised with sorted keys (AWS may answer it reformatted).
    static func normalised(_ text: String) -> String {
        guard let document = try? JSONValue.decode(Array(text.utf8)) else { return text }
        return json(document)
    }

    /// Makes the schedule and the rule what `desired` says (creating, updating or deleting).
    /// `alertMessage`: the alert's text when it is not a job run's (a pipeline's execution).
    func apply(
        name: String, desired: [String: JSONValue], live: [String: JSONValue], alertMessage: EventsClient.InputTransformer? = nil,
        log: @Sendable (String) -> Void
    ) async throws {
        guard let scheduler, let events else { return }
        let scheduleName = Self.resourceName(name)
        if desired["Schedule"] != live["Schedule"] {
            if case .object(let fields)? = desired["Schedule"] {
                let schedule = SchedulerClient.Schedule(
                    scheduleExpression: fields["Expression"]?.stringValue ?? "", scheduleExpressionTimezone: fields["Timezone"]?.stringValue ?? "UTC",
                    state: fields["State"]?.stringValue ?? "DISABLED",
                    target: SchedulerClient.Target(
                        arn: fields["Target"]?.stringValue ?? "", roleArn: fields["Role"]?.stringValue ?? "", input: fields["Input"]?.stringValue ?? "{}"))
                try await scheduler.putSchedule(
                    name: scheduleName, schedule: schedule,
                    description: "Managed by deployer: starts \(name) (target \(target.name)). Changes made here are overwritten by the next apply.",
                    exists: live["Schedule"] != nil)
                log(
                    "\(live["Schedule"] == nil ? "created" : "updated") schedule \(scheduleName) (\(fields["Expression"]?.stringValue ?? ""), \(fields["State"]?.stringValue ?? ""))"
                )
            } else {
                try await scheduler.deleteSchedule(name: scheduleName)
                log("deleted schedule \(scheduleName)")
            }
        }
        if desired["Alerts"] != live["Alerts"] {
            // Through resourceName too: a 64-character schedule name plus "-alerts" was 71,
            // over EventBridge's 64 for rule names.
            let rule = Self.alertRuleName(name)
            if case .object(let fields)? = desired["Alerts"] {
                try await events.putRule(
                    name: rule, pattern: fields["Pattern"]?.stringValue ?? "{}",
                    description: "Managed by deployer: failed runs of \(name) to SNS")
                try await events.putTargets(
                    rule: rule,
                    targets: [
                        EventsClient.Target(
                            id: "sns", arn: fields["Topic"]?.stringValue ?? "",
                            inputTransformer: alertMessage ?? transformer())
                    ])
                log("\(live["Alerts"] == nil ? "created" : "updated") alert rule \(rule) → \(fields["Topic"]?.stringValue ?? "")")
            } else {
                try await events.deleteRule(name: rule)
                log("deleted alert rule \(rule)")
            }
        }
    }

    /// A readable message (job, run, state, error, console link): the engine's input transformer.
    func transformer() -> EventsClient.InputTransformer? {
        target.plugin.runEventMessage(target: target).map { EventsClient.InputTransformer(inputPathsMap: $0.inputPaths, inputTemplate: $0.inputTemplate) }
    }

    func delete(name: String, log: @Sendable (String) -> Void) async throws {
        guard let scheduler, let events else { return }
        try await scheduler.deleteSchedule(name: Self.resourceName(name))
        try await events.deleteRule(name: Self.alertRuleName(name))
    }
}

extension JSONValue {
    /// The definition an engine is given: without deployer's `Schedule` and `Alerts` keys.
    public var engineDefinition: JSONValue { Automation.split(self).engine ?? self }
}
