import Foundation

/// Settings a target gives an engine, which a job may override per engine.
public struct EngineSettings: Sendable, Equatable, Codable {
    /// `version`: the engine's version (Glue: default `5.0`).
    public var version: String?
    /// `worker_type`.
    public var workerType: String?
    /// `number_of_workers`.
    public var numberOfWorkers: Int?
    /// `timeout_minutes`: the engine's time limit for one run.
    public var timeoutMinutes: Int?
    /// `max_concurrent_runs`.
    public var maxConcurrentRuns: Int?
    /// `spark_submit_parameters`, passed to Spark as given.
    public var sparkSubmitParameters: String?
    /// `arguments`: job arguments by name.
    public var arguments: [String: String] = [:]
    /// Engine-side retries of a failed run.
    public var retries: Int? = nil

    /// Settings from their parts; none set by default.
    public init(
        version: String? = nil, workerType: String? = nil, numberOfWorkers: Int? = nil, timeoutMinutes: Int? = nil, maxConcurrentRuns: Int? = nil,
        sparkSubmitParameters: String? = nil, arguments: [String: String] = [:], retries: Int? = nil
    ) {
        self.version = version
        self.workerType = workerType
        self.numberOfWorkers = numberOfWorkers
        self.timeoutMinutes = timeoutMinutes
        self.maxConcurrentRuns = maxConcurrentRuns
        self.sparkSubmitParameters = sparkSubmitParameters
        self.arguments = arguments
        self.retries = retries
    }

    /// `other`'s values win where set; arguments merge key by key.
    public func overlaid(with other: EngineSettings?) -> EngineSettings {
        guard let other else { return self }
        var merged = self
        merged.version = other.version ?? version
        merged.workerType = other.workerType ?? workerType
        merged.numberOfWorkers = other.numberOfWorkers ?? numberOfWorkers
        merged.timeoutMinutes = other.timeoutMinutes ?? timeoutMinutes
        merged.maxConcurrentRuns = other.maxConcurrentRuns ?? maxConcurrentRuns
        merged.sparkSubmitParameters = other.sparkSubmitParameters ?? sparkSubmitParameters
        merged.retries = other.retries ?? retries
        merged.arguments.merge(other.arguments) { $1 }
        return merged
    }
}

/// Where a target keeps artifacts, deployment records and its lock.
public enum ArtifactLocation: Sendable, Equatable {
    /// `artifacts.bucket` and `artifacts.prefix` (default: the project; no leading or trailing `/`).
    case s3(bucket: String, prefix: String)
    /// `artifacts.path`, absolute; only for engines that run `spark-submit` on this machine.
    case local(path: String)

    /// `s3://BUCKET/PREFIX`, or the local path.
    public var description: String {
        switch self {
        case .s3(let bucket, let prefix): return "s3://\(bucket)/\(prefix)"
        case .local(let path): return path
        }
    }
}

/// `targets.<name>`: where and how the jobs are deployed and run.
public struct Target: Sendable, Equatable {
    /// The target's key under `targets`.
    public var name: String
    /// `engine:` and the settings that engine read from the target (its own section): the
    /// plug-in's typed configuration.
    public var engineConfiguration: any EngineConfiguration
    /// `region`: the AWS region; required when artifacts are in S3.
    public var region: String?
    /// `account_ids`: the accounts the target may be deployed to (empty: any).
    public var accountIds: [String]
    /// `artifacts`: where artifacts, deployment records and the lock are kept.
    public var artifacts: ArtifactLocation
    /// `role_arn`: the role the jobs run as (required for Glue; EMR Serverless's default
    /// execution role).
    public var roleArn: String?
    /// `tags`, put on the Glue jobs deployer creates (with `managed-by: deployer`).
    public var tags: [String: String]
    /// The target's engine settings (in its engine's section: `glue:`, `emr_serverless:`…), which
    /// jobs may override per engine.
    public var settings: EngineSettings
    /// `runtime.python` / `runtime.arch`: the engine's Python, where it differs from the
    /// engine's default (Glue 5 → 3.11, EMR 7 → 3.9, x86_64; local → its interpreter).
    public var runtimePython: String? = nil
    /// `runtime.arch`, normalised (see `runtimePython`).
    public var runtimeArch: String? = nil
    /// The role EventBridge Scheduler assumes to start scheduled runs (`schedule_role_arn`).
    public var scheduleRoleArn: String? = nil
    /// The role the pipelines' state machines run as (`pipeline_role_arn`; Step Functions engines).
    public var pipelineRoleArn: String? = nil
    /// Schedules are created paused unless a job says otherwise (`pause_schedules`; default:
    /// true, except on a target named `prod`).
    public var pauseSchedules: Bool = true
    /// Prices for run costs (`pricing:`), defaults where not given.
    public var pricing: Pricing = Pricing()
    /// `job_runtime:`: the runtime for this target's jobs that can run on either (default:
    /// DuckDB on `local`, Spark elsewhere).
    public var jobRuntime: JobRuntime? = nil
    /// `mode: development`: each engineer deploys their own copy of the target.
    public var development: Bool = false
    /// Whose development deployment this is (`--as`, else the caller's name); nil in production.
    public var developer: String? = nil

    /// The name deployments, locks, records, jobs, schedules and state machines are made under:
    /// the target's, with the developer's after it in development mode (`dev-alice`).
    public var deploymentName: String { developer.map { "\(name)-\($0)" } ?? name }

    /// Whether a schedule is deployed paused: always in development mode, else as the schedule
    /// (`paused:`) or the target (`pause_schedules:`) says.
    public func schedulePaused(_ explicit: Bool?) -> Bool { developer != nil || (explicit ?? pauseSchedules) }

    /// A target from its parts; only the name, the engine's configuration and the artifacts'
    /// place are required.
    public init(
        name: String, engine: any EngineConfiguration, region: String? = nil, accountIds: [String] = [], artifacts: ArtifactLocation,
        roleArn: String? = nil, tags: [String: String] = [:], settings: EngineSettings = EngineSettings(), runtimePython: String? = nil,
        runtimeArch: String? = nil, scheduleRoleArn: String? = nil, pauseSchedules: Bool = true, pricing: Pricing = Pricing()
    ) {
        self.name = name
        self.engineConfiguration = engine
        self.region = region
        self.accountIds = accountIds
        self.artifacts = artifacts
        self.roleArn = roleArn
        self.tags = tags
        self.settings = settings
        self.runtimePython = runtimePython
        self.runtimeArch = runtimeArch
        self.scheduleRoleArn = scheduleRoleArn
        self.pauseSchedules = pauseSchedules
        self.pricing = pricing
    }

    /// `engine:`: the engine every job of the target runs on.
    public var engine: EngineKind { plugin.kind }
    /// The engine's plug-in.
    public var plugin: any EnginePlugin { engineConfiguration.plugin }

    /// The engine's configuration as `T`, when the target's engine has that type.
    public func configuration<T: EngineConfiguration>(_ type: T.Type) -> T? { engineConfiguration as? T }

    /// Equal targets have equal fields and the same engine configuration.
    public static func == (lhs: Target, rhs: Target) -> Bool {
        lhs.name == rhs.name && lhs.engineConfiguration.isEqual(to: rhs.engineConfiguration) && lhs.region == rhs.region && lhs.accountIds == rhs.accountIds
            && lhs.artifacts == rhs.artifacts && lhs.roleArn == rhs.roleArn && lhs.tags == rhs.tags && lhs.settings == rhs.settings
            && lhs.runtimePython == rhs.runtimePython && lhs.runtimeArch == rhs.runtimeArch && lhs.scheduleRoleArn == rhs.scheduleRoleArn
            && lhs.pipelineRoleArn == rhs.pipelineRoleArn && lhs.pauseSchedules == rhs.pauseSchedules && lhs.pricing == rhs.pricing
            && lhs.development == rhs.development && lhs.developer == rhs.developer
    }
}

/// `deployer.yml`, validated and interpolated.
public struct Manifest: Sendable, Equatable {
    /// `project`: prefixes the jobs' engine names and is the default artifact prefix.
    public var project: String
    /// `default_target`: the target used when none is given.
    public var defaultTarget: String?
    /// `targets`, by name.
    public var targets: [String: Target]
    /// `jobs`, sorted by name.
    public var jobs: [Job]
    /// `pipelines`, in file order.
    public var pipelines: [Pipeline] = []
    /// The folder holding the manifest: relative paths are resolved against it.
    public var directory: String
    /// The manifest's path, for messages.
    public var file: String

    /// The target `name`, else `default_target`, else `local`; throws a `DeployError` listing
    /// the targets when there is no such target.
    public func target(_ name: String?) throws -> Target {
        let chosen = name ?? defaultTarget ?? "local"
        guard let target = targets[chosen] else {
            throw DeployError("\(file): no target '\(chosen)' (targets: \(targets.keys.sorted().joined(separator: ", "))): pass -t with one of them")
        }
        return target
    }

    /// The pipeline `name`, if the manifest has one.
    public func pipeline(_ name: String) -> Pipeline? {
        pipelines.first { $0.name == name }
    }

    /// The job `name`; throws a `DeployError` listing the jobs when there is none.
    public func job(_ name: String) throws -> Job {
        guard let job = jobs.first(where: { $0.name == name }) else {
            throw DeployError("\(file): no job '\(name)' (jobs: \(jobs.map(\.name).joined(separator: ", ")))")
        }
        return job
    }

    /// The name the job has in the engine: `PROJECT-TARGET-JOB`, so targets sharing an account never collide.
    public func engineJobName(_ job: Job, target: Target) -> String {
        job.engineName ?? "\(project)-\(target.deploymentName)-\(job.name)"
    }
}

/// A deploy-layer failure with a message meant for the user (one line, says what to do).
public struct DeployError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The message.
    public let description: String
    /// An error that says `description`.
    public init(_ description: String) {
        self.description = description
    }
}
