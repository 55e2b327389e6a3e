import AWSCore
import Foundation

/// What an EMR Serverless target sets (`emr_serverless:`).
public struct EMRServerlessConfiguration: EngineConfiguration, Equatable, Decodable {
    /// `application_id`: the application runs start on.
    public var applicationId: String
    /// `execution_role_arn`, else the target's `role_arn`.
    public var executionRoleArn: String?
    /// `log_uri`: where the engine writes run logs.
    public var logURI: String?
    /// `image`: the application's runs start in an image deployer builds with the jobs'
    /// dependencies baked in.
    public var image: Image?

    /// `emr_serverless.image`.
    public struct Image: Equatable, Decodable, Sendable {
        /// `repository`: the ECR repository (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME`).
        public var repository: String
        /// `base`: the image built on; default EMR's Spark image of the application's release.
        public var base: String?

        /// Settings for `repository`.
        public init(repository: String, base: String? = nil) {
            self.repository = repository
            self.base = base
        }
    }

    enum CodingKeys: String, CodingKey {
        case applicationId = "application_id"
        case executionRoleArn = "execution_role_arn"
        case logURI = "log_uri"
        case image
    }

    /// Settings for application `applicationId`.
    public init(applicationId: String, executionRoleArn: String? = nil, logURI: String? = nil, image: Image? = nil) {
        self.applicationId = applicationId
        self.executionRoleArn = executionRoleArn
        self.logURI = logURI
        self.image = image
    }

    /// The EMR Serverless plug-in.
    public var plugin: any EnginePlugin { EMRServerlessPlugin() }
}

extension Pricing {
    /// `emr_serverless_vcpu_hour`: per vCPU-hour (AWS's us-east-1 x86_64 list price by default,
    /// taken 2026-11-30; arm64 and other regions differ).
    public var emrServerlessVCPUHour: Double {
        get { price("emr_serverless_vcpu_hour", default: 0.052624) }
        set { values["emr_serverless_vcpu_hour"] = newValue }
    }
    /// `emr_serverless_memory_gb_hour`: per GB-hour of memory.
    public var emrServerlessMemoryGBHour: Double {
        get { price("emr_serverless_memory_gb_hour", default: 0.0057785) }
        set { values["emr_serverless_memory_gb_hour"] = newValue }
    }
    /// `emr_serverless_storage_gb_hour`: per GB-hour of storage.
    public var emrServerlessStorageGBHour: Double {
        get { price("emr_serverless_storage_gb_hour", default: 0.000111) }
        set { values["emr_serverless_storage_gb_hour"] = newValue }
    }
}

/// `engine: emr-serverless`: runs on an existing application; the StartJobRun template is
/// kept in the deployment record; schedules through EventBridge Scheduler, alerts on "EMR
/// Serverless Job Run State Change" events.
public struct EMRServerlessPlugin: EnginePlugin {
    /// An EMR Serverless plug-in.
    public init() {}
    /// `emr-serverless`.
    public var kind: EngineKind { .emrServerless }

    /// `emr_serverless:`, beside the application.
    public var settingsSection: String { "emr_serverless" }
    /// A job run's arguments, spark-submit parameters, time limit and retry policy.
    public var settingKeys: Set<String> { ["arguments", "spark_submit_parameters", "timeout_minutes", "retries"] }

    /// `emr_serverless: {application_id, execution_role_arn, log_uri, image: {repository, base}}`
    /// and the job settings.
    public var targetFields: [String: Schema.Field] {
        [
            "emr_serverless": .init(
                .object([
                    "application_id": .init(.string(), required: true),
                    "execution_role_arn": .init(.string(pattern: "^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", hint: "an IAM role ARN")),
                    "log_uri": .init(.string()),
                    "image": .init(
                        .object([
                            "repository": .init(
                                .string(pattern: Self.repositoryPattern, hint: "an ECR repository, ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME"),
                                required: true),
                            "base": .init(.string(pattern: SparkSubmitPlugin.imagePattern, hint: "an image reference, NAME[:TAG][@sha256:DIGEST]")),
                        ])),
                ]))
        ]
    }

    /// An ECR repository as EMR Serverless' ImageUri pattern has it, without tag or digest.
    static let repositoryPattern = "^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.[a-z0-9._-]+/((?:[a-z0-9]+(?:[-._][a-z0-9]+)*/)*[a-z0-9]+(?:[-._][a-z0-9]+)*)$"

    /// Requires the `emr_serverless` section; the execution role defaults to `role_arn`.
    public func configuration(from section: TargetSection) throws -> any EngineConfiguration {
        guard var configuration = try section.decode(EMRServerlessConfiguration.self, "emr_serverless") else {
            throw section.problem("emr_serverless", "engine emr-serverless needs a 'emr_serverless' section")
        }
        configuration.executionRoleArn = configuration.executionRoleArn ?? section.string("role_arn")
        return configuration
    }

    /// Through EventBridge Scheduler's universal target.
    public var scheduling: EngineScheduling { .eventBridge }
    /// Pipelines run as Step Functions state machines.
    public var orchestration: EngineOrchestration { .stepFunctions }

    /// `emr-serverless:startJobRun.sync`: the recorded template (PascalCase, as the integration
    /// takes it), its arguments then the step's, and the run id.
    public func pipelineTask(name: String, engineDefinition: JSONValue, arguments: [String: String], paths: [String: String]) -> StateMachine.Task? {
        let template = engineDefinition.engineDefinition
        guard let application = template["applicationId"]?.stringValue, let submit = template["jobDriver"]?["sparkSubmit"] else { return nil }
        var literals: [String] = []
        if case .array(let existing)? = submit["entryPointArguments"] { literals = existing.compactMap(\.stringValue) }
        literals += EMRServerlessEngine.argumentList(arguments.filter { $0.key != Pipeline.runIdArgument })
        var sparkSubmit: [String: JSONValue] = [
            "EntryPoint": submit["entryPoint"] ?? .null,
            "EntryPointArguments.$": .string(StateMachine.arrayWithRunId(literals, paths: paths.filter { $0.key != Pipeline.runIdArgument })),
        ]
        if let parameters = submit["sparkSubmitParameters"] { sparkSubmit["SparkSubmitParameters"] = parameters }
        var parameters: [String: JSONValue] = [
            "ApplicationId": .string(application), "Name": .string(name),
            "ExecutionRoleArn": template["executionRoleArn"] ?? .null,
            "JobDriver": .object(["SparkSubmit": .object(sparkSubmit)]),
        ]
        if let minutes = template["executionTimeoutMinutes"] { parameters["ExecutionTimeoutMinutes"] = minutes }
        if let logUri = template["configurationOverrides"]?["monitoringConfiguration"]?["s3MonitoringConfiguration"]?["logUri"] {
            parameters["ConfigurationOverrides"] = .object(["MonitoringConfiguration": .object(["S3MonitoringConfiguration": .object(["LogUri": logUri])])])
        }
        return StateMachine.Task(
            resource: "arn:aws:states:::emr-serverless:startJobRun.sync", parameters: .object(parameters),
            transientErrors: ["EMRServerless.ThrottlingException", "EMRServerless.InternalServerException"])
    }
    /// `deployer import` reads existing ones.
    public var importsExisting: Bool { true }
    /// EMR Serverless emits job run state-change events.
    public var reportsRunEvents: Bool { true }

    /// An `EMRServerlessEngine` on the environment's AWS client.
    public func makeDriver(_ environment: EngineEnvironment) throws -> any EngineDriver {
        EMRServerlessEngine(client: try environment.awsClient(), target: environment.target)
    }

    /// EMR 7's CPython 3.9 on x86_64 (`plan` reads the application's architecture).
    public func defaultRuntime(for target: Target, environment: [String: String]) throws -> PythonRuntime {
        PythonRuntime(python: "3.9", arch: "x86_64")
    }

    /// `emr_serverless_vcpu_hour`, `emr_serverless_memory_gb_hour`, `emr_serverless_storage_gb_hour`.
    public var prices: [String: String] {
        [
            "emr_serverless_vcpu_hour": "EMR Serverless, per vCPU-hour (default 0.052624)",
            "emr_serverless_memory_gb_hour": "EMR Serverless, per GB-hour of memory (default 0.0057785)",
            "emr_serverless_storage_gb_hour": "EMR Serverless, per GB-hour of storage (default 0.000111)",
        ]
    }

    /// The billed vCPU, memory and storage hours at the target's prices.
    public func cost(_ usage: RunUsage, pricing: Pricing) -> RunCost? {
        guard usage.vcpuHours != nil || usage.memoryGBHours != nil else { return nil }
        let vcpu = usage.vcpuHours ?? 0
        let memory = usage.memoryGBHours ?? 0
        let storage = usage.storageGBHours ?? 0
        let usd = vcpu * pricing.emrServerlessVCPUHour + memory * pricing.emrServerlessMemoryGBHour + storage * pricing.emrServerlessStorageGBHour
        return RunCost(
            usd: usd, estimate: false,
            basis:
                "\(Pricing.format(vcpu)) vCPU-h × $\(Pricing.format(pricing.emrServerlessVCPUHour)) + \(Pricing.format(memory)) GB-h × $\(Pricing.format(pricing.emrServerlessMemoryGBHour)) + \(Pricing.format(storage)) storage GB-h × $\(Pricing.format(pricing.emrServerlessStorageGBHour))"
        )
    }

    /// The application exists and is not terminated.
    public func preflightSummary(_ target: Target) -> String {
        "EMR Serverless application \(target.configuration(EMRServerlessConfiguration.self)?.applicationId ?? "?") exists and is not terminated"
    }

    /// The execution role.
    public func passedRole(_ target: Target) -> String? { target.configuration(EMRServerlessConfiguration.self)?.executionRoleArn }

    /// `emrserverless:startJobRun` with the recorded template, the schedule's arguments after
    /// the job's, and the scheduler's execution id as client token (one run per firing).
    public func scheduledStart(name: String, engineDefinition: JSONValue, arguments: [String: String], target: Target) -> ScheduledStart? {
        var input = engineDefinition.engineDefinition.objectValue ?? [:]
        // deployer's own keys are not StartJobRun members (the contract test caught
        // `dependencies` in the schedule's Input: AWS would refuse it at every firing).
        for key in EMRServerlessEngine.recordOnlyKeys { input.removeValue(forKey: key) }
        if var driver = input["jobDriver"]?.objectValue, var submit = driver["sparkSubmit"]?.objectValue {
            let given = submit["entryPointArguments"]?.arrayValue ?? []
            submit["entryPointArguments"] = .array(given + EMRServerlessEngine.argumentList(arguments).map(JSONValue.string))
            driver["sparkSubmit"] = .object(submit)
            input["jobDriver"] = .object(driver)
        }
        input["clientToken"] = "<aws.scheduler.execution-id>"
        return ScheduledStart(target: "arn:aws:scheduler:::aws-sdk:emrserverless:startJobRun", input: Automation.json(.object(input)))
    }

    /// The application's runs that end FAILED (or CANCELLED for `stopped`).
    public func runEventPattern(name: String, engineDefinition: JSONValue, on: [String], target: Target) -> String? {
        let states = Set(on.map { $0 == "stopped" ? "CANCELLED" : "FAILED" }).sorted()
        let app = engineDefinition["applicationId"]?.stringValue ?? target.configuration(EMRServerlessConfiguration.self)?.applicationId ?? ""
        return Automation.json([
            "source": ["aws.emr-serverless"], "detail-type": ["EMR Serverless Job Run State Change"],
            "detail": ["applicationId": [.string(app)], "state": .strings(states)],
        ])
    }

    /// Run, application, state, its details and the application's console page.
    public func runEventMessage(target: Target) -> RunEventMessage? {
        let region = target.region ?? "us-east-1"
        return RunEventMessage(
            inputPaths: ["app": "$.detail.applicationId", "run": "$.detail.jobRunId", "state": "$.detail.state", "details": "$.detail.stateDetails"],
            inputTemplate:
                "\"deployer (target \(target.name)): EMR Serverless run <run> of application <app> ended <state>: <details>. https://\(region).console.aws.amazon.com/emr/home?region=\(region)#/serverless-applications/<app>\""
        )
    }
}
