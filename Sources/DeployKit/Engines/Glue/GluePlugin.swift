import AWSCore
import Foundation

/// What a Glue target sets: the role its jobs run as (`role_arn`).
public struct GlueConfiguration: EngineConfiguration, Equatable {
    /// `role_arn`: the Glue job role.
    public var roleArn: String
    /// Glue settings with this role.
    public init(roleArn: String) { self.roleArn = roleArn }
    /// The Glue plug-in.
    public var plugin: any EnginePlugin { GluePlugin() }
}

extension Pricing {
    /// `glue_dpu_hour`: Glue standard, per DPU-hour (AWS's us-east-1 list price by default,
    /// taken 2026-11-30; it matches AWS's own worked example).
    public var glueDPUHour: Double {
        get { price("glue_dpu_hour", default: 0.44) }
        set { values["glue_dpu_hour"] = newValue }
    }
    /// `glue_flex_dpu_hour`: Glue Flex, per DPU-hour.
    public var glueFlexDPUHour: Double {
        get { price("glue_flex_dpu_hour", default: 0.29) }
        set { values["glue_flex_dpu_hour"] = newValue }
    }
}

/// `engine: glue`: a Glue job per job, started by StartJobRun; schedules through EventBridge
/// Scheduler, alerts on "Glue Job State Change" events, native wheels installed by Glue's pip.
public struct GluePlugin: EnginePlugin {
    /// A Glue plug-in.
    public init() {}
    /// Glue's billing minimum per run (Glue 2.0 and later).
    public static let minimumSeconds = 60.0
    /// `glue`.
    public var kind: EngineKind { .glue }
    /// `glue:` holds only job settings (the schema adds them); `role_arn` is a common key.
    public var targetFields: [String: Schema.Field] { [:] }
    /// `glue:`.
    public var settingsSection: String { "glue" }
    /// Glue's job properties; Glue takes no spark-submit parameters.
    public var settingKeys: Set<String> { ["arguments", "version", "worker_type", "number_of_workers", "timeout_minutes", "max_concurrent_runs", "retries"] }

    /// Requires `role_arn`.
    public func configuration(from section: TargetSection) throws -> any EngineConfiguration {
        guard let role = section.string("role_arn") else { throw section.problem("role_arn", "engine glue needs role_arn (the Glue job role)") }
        return GlueConfiguration(roleArn: role)
    }

    /// Through EventBridge Scheduler's universal target.
    public var scheduling: EngineScheduling { .eventBridge }
    /// Pipelines run as Step Functions state machines.
    public var orchestration: EngineOrchestration { .stepFunctions }

    /// `glue:startJobRun.sync`: the job by name, the step's arguments (a run input's by its path)
    /// and the run id.
    public func pipelineTask(name: String, engineDefinition: JSONValue, arguments: [String: String], paths: [String: String]) -> StateMachine.Task? {
        var args: [String: JSONValue] = [:]
        for (key, value) in arguments where key != Pipeline.runIdArgument { args[key.hasPrefix("--") ? key : "--" + key] = .string(value) }
        for (key, path) in paths where key != Pipeline.runIdArgument { args[(key.hasPrefix("--") ? key : "--" + key) + ".$"] = .string(path) }
        args[Pipeline.runIdArgument + ".$"] = .string(StateMachine.runIdPath)
        return StateMachine.Task(
            resource: "arn:aws:states:::glue:startJobRun.sync",
            parameters: .object(["JobName": .string(name), "Arguments": .object(args)]),
            transientErrors: [
                "Glue.ThrottlingException", "Glue.InternalServiceException", "Glue.OperationTimeoutException", "Glue.ConcurrentRunsExceededException",
            ])
    }
    /// `deployer import` reads existing ones.
    public var importsExisting: Bool { true }
    /// Glue emits "Glue Job State Change" events.
    public var reportsRunEvents: Bool { true }
    /// Glue installs the native wheels itself (`--additional-python-modules`).
    public var dependencyDelivery: DependencyBundle.Delivery { .wheels }
    /// A DuckDB job is a Python shell job.
    public var runsDuckDB: Bool { true }
    /// A Python shell job pip-installs the `.whl` files of `--extra-py-files`, pure ones too.
    public func jobDelivery(for runtime: JobRuntime) -> DependencyBundle.Delivery { runtime == .duckdb ? .allWheels : .wheels }
    /// Python shell jobs run CPython 3.9 on x86_64 (Amazon Linux 2: manylinux2014 wheels).
    public func jobPython(for runtime: JobRuntime, target: Target) -> PythonRuntime? {
        runtime == .duckdb ? PythonRuntime(python: GlueEngine.pythonShellVersion, arch: "x86_64") : nil
    }

    /// A `GlueEngine` on the environment's AWS client.
    public func makeDriver(_ environment: EngineEnvironment) throws -> any EngineDriver {
        GlueEngine(client: try environment.awsClient(), target: environment.target)
    }

    /// Glue 5.0 runs CPython 3.11, 4.0 runs 3.10; Glue workers are x86_64.
    public func defaultRuntime(for target: Target, environment: [String: String]) throws -> PythonRuntime {
        PythonRuntime(python: (target.settings.version ?? "5.0").hasPrefix("4.") ? "3.10" : "3.11", arch: "x86_64")
    }

    /// `glue_dpu_hour`, `glue_flex_dpu_hour`.
    public var prices: [String: String] {
        ["glue_dpu_hour": "Glue standard, per DPU-hour (default 0.44)", "glue_flex_dpu_hour": "Glue Flex, per DPU-hour (default 0.29)"]
    }

    /// Billed DPU-seconds when Glue reports them, else run time (at least Glue's one-minute
    /// minimum) × capacity; Flex at its own price.
    public func cost(_ usage: RunUsage, pricing: Pricing) -> RunCost? {
        let flex = usage.executionClass?.uppercased() == "FLEX"
        let price = flex ? pricing.glueFlexDPUHour : pricing.glueDPUHour
        let dpuSeconds: Double
        if let billed = usage.dpuSeconds, billed > 0 {
            dpuSeconds = billed
        } else if let seconds = usage.executionSeconds, let capacity = usage.capacityDPU {
            dpuSeconds = max(seconds, Self.minimumSeconds) * capacity
        } else {
            return nil
        }
        let hours = dpuSeconds / 3600
        return RunCost(usd: hours * price, estimate: false, basis: "\(Pricing.format(hours)) DPU-hours × $\(Pricing.format(price))\(flex ? " (Flex)" : "")")
    }

    /// Glue needs no fixed infrastructure: the preflight only shows Glue answers.
    public func preflightSummary(_ target: Target) -> String { "Glue answers in \(target.region ?? "the region")" }

    /// The Glue job role.
    public func passedRole(_ target: Target) -> String? { target.configuration(GlueConfiguration.self)?.roleArn }

    /// `glue:startJobRun` with the schedule's arguments.
    public func scheduledStart(name: String, engineDefinition: JSONValue, arguments: [String: String], target: Target) -> ScheduledStart? {
        var named: [String: String] = [:]
        for (key, value) in arguments { named[key.hasPrefix("--") ? key : "--" + key] = value }
        return ScheduledStart(
            target: "arn:aws:scheduler:::aws-sdk:glue:startJobRun", input: Automation.json(["JobName": .string(name), "Arguments": .strings(named)]))
    }

    /// "Glue Job State Change" events of this job in the states `on` names.
    public func runEventPattern(name: String, engineDefinition: JSONValue, on: [String], target: Target) -> String? {
        let states = on.map { ["failed": "FAILED", "timeout": "TIMEOUT", "stopped": "STOPPED"][$0] ?? $0.uppercased() }.sorted()
        return Automation.json([
            "source": ["aws.glue"], "detail-type": ["Glue Job State Change"], "detail": ["jobName": [.string(name)], "state": .strings(states)],
        ])
    }

    /// Job, run, state, Glue's message and the run's console page.
    public func runEventMessage(target: Target) -> RunEventMessage? {
        let region = target.region ?? "us-east-1"
        return RunEventMessage(
            inputPaths: ["job": "$.detail.jobName", "run": "$.detail.jobRunId", "state": "$.detail.state", "message": "$.detail.message"],
            inputTemplate:
                "\"deployer (target \(target.name)): Glue job <job> run <run> ended <state>: <message>. https://\(region).console.aws.amazon.com/gluestudio/home?region=\(region)#/job/<job>/run/<run>\""
        )
    }
}
