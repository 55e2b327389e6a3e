import AWSCore
import Foundation

/// Pipelines on Step Functions engines: one Standard state machine per pipeline and target,
/// planned from live state like a job (create, update by state, drift, delete when removed from
/// the manifest), applied after the jobs it starts and recorded with them.
extension Deployer {
    /// The target's state machines; nil when its engine runs pipelines on this machine.
    func stateMachines() async throws -> StateMachines? {
        guard target.plugin.orchestration == .stepFunctions, let client = context.client, let region = target.region,
            let identity = try await context.identity()
        else { return nil }
        return StateMachines(client: StepFunctionsClient(client: client), region: region, account: identity.account)
    }

    /// `PROJECT-TARGET-PIPELINE`, as job names are made: the deploy role's grants cover it.
    public static func stateMachineName(project: String, target: String, pipeline: String) -> String {
        "\(project)-\(target)-\(pipeline)"
    }

    /// The state machines the manifest's pipelines want, from the jobs as planned (and, for jobs
    /// `--select` left out, as the last deployment recorded them: an EMR Serverless step names
    /// its job's artifact, so a state machine follows every job deployed).
    func desiredPipelines(jobs: [JobPlan], latest: DeploymentRecord?, machines: StateMachines) throws -> [String: RecordedPipeline] {
        guard !manifest.pipelines.isEmpty else { return [:] }
        guard let role = target.pipelineRoleArn else {
            throw DeployError(
                "\(manifest.file): targets.\(target.name).pipeline_role_arn is needed for pipelines on engine \(target.engine.rawValue): the role their Step Functions state machines run as (terraform output pipeline_role_arn)"
            )
        }
        var result: [String: RecordedPipeline] = [:]
        for pipeline in manifest.pipelines {
            let name = Self.stateMachineName(project: manifest.project, target: target.deploymentName, pipeline: pipeline.name)
            // StateMachine Name: 1 to 80 characters (botocore's stepfunctions model).
            guard name.count <= 80 else {
                throw DeployError(
                    "\(manifest.file): pipelines.\(pipeline.name): its state machine name \(name) is \(name.count) characters, AWS allows 80: shorten the project, target or pipeline name"
                )
            }
            let definition = try StateMachine.definition(pipeline) { step in
                let planned = jobs.first(where: { $0.job == step.job && $0.action != .delete }).map { ($0.engineName, $0.desired) }
                let recorded = latest?.live.flatMap { record in
                    record.jobNames[step.job].flatMap { name in record.definitions[step.job].map { (name, $0) } }
                }
                guard let (engineName, jobDefinition) = planned ?? recorded else {
                    throw DeployError(
                        "pipelines.\(pipeline.name): step \(step.name) runs job \(step.job), which is neither in this plan nor deployed: apply it too")
                }
                guard
                    let task = StateMachine.task(
                        step, of: pipeline, plugin: target.plugin, name: engineName, engineDefinition: jobDefinition.engineDefinition)
                else {
                    throw DeployError("pipelines.\(pipeline.name): engine \(target.engine.rawValue) has no Step Functions task for job \(step.job)")
                }
                return task
            }
            var desired: [String: JSONValue] = ["definition": definition, "roleArn": .string(role)]
            for (key, value) in try automation(of: pipeline, name: name, arn: machines.arn(name)) { desired[key] = value }
            result[pipeline.name] = RecordedPipeline(
                stateMachine: name, arn: machines.arn(name), definition: .object(desired),
                protected: pipeline.preventDestroy ? true : nil)
        }
        return result
    }

    /// The universal target a pipeline's schedule calls.
    static let startExecutionTarget = "arn:aws:scheduler:::aws-sdk:sfn:startExecution"

    /// A pipeline's `Schedule` (EventBridge Scheduler → StartExecution, named by the firing's
    /// `<aws.scheduler.execution-id>`, the same on each retried delivery of one firing, so a
    /// retry finds the execution instead of starting a second) and `Alerts` (an EventBridge rule
    /// on its executions' status changes to SNS), beside the definition as jobs keep theirs.
    func automation(of pipeline: Pipeline, name: String, arn: String) throws -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        if let schedule = pipeline.schedule {
            guard schedule.arguments.isEmpty else {
                throw DeployError(
                    "\(manifest.file): pipelines.\(pipeline.name).schedule.arguments: a scheduled pipeline runs its deployed state machine with pipelines.\(pipeline.name).arguments; move them there"
                )
            }
            guard let role = target.scheduleRoleArn else {
                throw DeployError(
                    "\(manifest.file): targets.\(target.name).schedule_role_arn is needed for pipelines.\(pipeline.name).schedule: the role EventBridge Scheduler assumes (terraform output scheduler_role_arn)"
                )
            }
            let paused = target.schedulePaused(schedule.paused)
            result["Schedule"] = .object([
                "Expression": .string("cron(\(schedule.cron))"), "Timezone": .string(schedule.timezone), "State": .string(paused ? "DISABLED" : "ENABLED"),
                "Target": .string(Self.startExecutionTarget), "Role": .string(role),
                "Input": .string(Automation.json(["StateMachineArn": .string(arn), "Name": "<aws.scheduler.execution-id>", "Input": "{}"])),
            ])
        }
        if let notify = pipeline.notify {
            let statuses = notify.on.flatMap { outcome -> [String] in
                switch outcome {
                case "failed": return ["FAILED"]
                case "timeout": return ["TIMED_OUT"]
                default: return ["ABORTED"]
                }
            }
            let pattern = Automation.json([
                "source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"],
                "detail": ["stateMachineArn": [.string(arn)], "status": .strings(statuses.sorted())],
            ])
            result["Alerts"] = .object(["Rule": .string(Automation.alertRuleName(name)), "Topic": .string(notify.snsTopic), "Pattern": .string(pattern)])
        }
        return result
    }

    /// The alert's text: the pipeline, the execution, its status and the cause, which names the
    /// step that failed (the definition's Fail state says `step NAME (job JOB) failed`).
    func pipelineAlertMessage(_ pipeline: String) -> EventsClient.InputTransformer {
        let region = target.region ?? "us-east-1"
        return EventsClient.InputTransformer(
            inputPathsMap: ["execution": "$.detail.name", "status": "$.detail.status", "cause": "$.detail.cause", "arn": "$.detail.executionArn"],
            inputTemplate:
                "\"deployer (target \(target.name)): pipeline \(pipeline) execution <execution> ended <status>: <cause>. https://\(region).console.aws.amazon.com/states/home?region=\(region)#/v2/executions/details/<arn>\""
        )
    }

    /// The plan of every pipeline's state machine (none on engines that run pipelines locally).
    /// With `--select` too: a selected job's new artifact changes the steps that run it.
    func planPipelines(desired: Desired, jobs: [JobPlan], latest: DeploymentRecord?, selected: Bool) async throws -> [PipelinePlan] {
        let recorded = latest?.live?.pipelines ?? [:]
        guard let machines = try await stateMachines() else { return [] }
        let automation = self.automation
        var wanted: [String: RecordedPipeline]
        var removed: [(String, RecordedPipeline)] = []
        switch desired {
        case .manifest:
            wanted = try desiredPipelines(jobs: jobs, latest: latest, machines: machines)
            for (name, old) in recorded.sorted(by: { $0.key < $1.key }) where wanted[name] == nil {
                if old.protected == true {
                    throw DeployError(
                        "pipeline \(name) (\(old.stateMachine)) was removed from the manifest but deployment \(latest?.id ?? "?") protects it (prevent_destroy: true): put it back, or set prevent_destroy: false and apply before removing it"
                    )
                }
                removed.append((name, old))
            }
        case .record(let record):
            wanted = record.pipelines ?? [:]
        }
        let plans = try await withThrowingTaskGroup(of: PipelinePlan.self) { group in
            for (name, want) in wanted {
                group.addTask {
                    let live = try await automation.live(name: want.stateMachine, recorded: nil).merged(into: try await machines.live(arn: want.arn))
                    let changes = Plan.diff(live: live, desired: want.definition)
                    var drift: [FieldChange]?
                    if let live, let before = recorded[name], before.arn == want.arn {
                        let fields = Plan.diff(live: live, desired: before.definition).map { FieldChange(field: $0.field, old: $0.new, new: $0.old) }
                        drift = fields.isEmpty ? nil : fields
                    }
                    return PipelinePlan(
                        pipeline: name, stateMachine: want.stateMachine, arn: want.arn,
                        action: live == nil ? .create : changes.isEmpty ? .unchanged : .update,
                        changes: changes, desired: want.definition, live: live, drift: drift)
                }
            }
            for (name, old) in removed {
                group.addTask {
                    let live = try await machines.live(arn: old.arn)
                    return PipelinePlan(
                        pipeline: name, stateMachine: old.stateMachine, arn: old.arn, action: .delete, changes: [], desired: old.definition, live: live)
                }
            }
            var result: [PipelinePlan] = []
            for try await plan in group { result.append(plan) }
            return result.sorted { $0.pipeline < $1.pipeline }
        }
        return plans
    }

    /// Deletes the state machines of removed pipelines (before the jobs they start go).
    func deletePipelines(_ plan: Plan, keeper: LeaseKeeper, progress: ApplyProgress) async throws {
        guard let machines = try await stateMachines() else { return }
        for pipeline in plan.pipelines ?? [] where pipeline.action == .delete {
            try await keeper.check()
            try Task.checkCancellation()
            context.log("deleting state machine \(pipeline.stateMachine) (pipeline \(pipeline.pipeline) removed from the manifest)")
            try await automation.delete(name: pipeline.stateMachine, log: context.log)
            try await machines.client.deleteStateMachine(arn: pipeline.arn)
            progress.note("deleted pipeline \(pipeline.pipeline)")
        }
    }

    /// Creates or updates the state machines (after the jobs they start).
    func applyPipelines(_ plan: Plan, keeper: LeaseKeeper, progress: ApplyProgress) async throws {
        guard let machines = try await stateMachines() else { return }
        var tags = target.tags
        tags["managed-by"] = "deployer"
        for pipeline in plan.pipelines ?? [] where pipeline.action == .create || pipeline.action == .update {
            try await keeper.check()
            try Task.checkCancellation()
            context.log("\(pipeline.action == .create ? "creating" : "updating") state machine \(pipeline.stateMachine) (pipeline \(pipeline.pipeline))")
            let desired = Automation.split(pipeline.desired)
            let live = Automation.split(pipeline.live)
            if pipeline.live == nil || desired.engine != live.engine {
                try await machines.apply(
                    name: pipeline.stateMachine, arn: pipeline.arn, desired: desired.engine ?? pipeline.desired, exists: pipeline.live != nil, tags: tags)
            }
            try await automation.apply(
                name: pipeline.stateMachine, desired: desired.automation, live: live.automation,
                alertMessage: pipelineAlertMessage(pipeline.pipeline), log: context.log)
            progress.note("\(pipeline.action == .create ? "created" : "updated") pipeline \(pipeline.pipeline)")
        }
    }

    /// Deletes every state machine `record` deployed (destroy).
    func destroyPipelines(_ record: DeploymentRecord, keeper: LeaseKeeper, progress: ApplyProgress) async throws {
        guard let recorded = record.pipelines, !recorded.isEmpty, let machines = try await stateMachines() else { return }
        for (name, pipeline) in recorded.sorted(by: { $0.key < $1.key }) {
            try await keeper.check()
            try Task.checkCancellation()
            try await automation.delete(name: pipeline.stateMachine, log: context.log)
            try await machines.client.deleteStateMachine(arn: pipeline.arn)
            context.log("deleted state machine \(pipeline.stateMachine) (pipeline \(name))")
            progress.note("deleted pipeline \(name)")
        }
    }
}

extension [String: JSONValue] {
    /// `definition` (a live state machine, or nil) with these automation keys added; nil when
    /// there is no state machine (a schedule left without one is deleted by the next apply's create).
    func merged(into definition: JSONValue?) -> JSONValue? {
        Automation.merged(definition, self)
    }
}
