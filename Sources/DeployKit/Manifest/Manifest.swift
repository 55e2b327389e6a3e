import Foundation

/// Where a job runs.
public enum EngineKind: String, Sendable, Codable, CaseIterable {
    case glue
    case emrServerless = "emr-serverless"
    case emr
    case local
    /// Any Spark cluster by master URL (`spark://…`, `k8s://…`) through `spark-submit`; `local`
    /// is this engine with `local[*]`.
    case spark

    /// Engines that run `spark-submit` on this machine (no AWS).
    public var isSparkSubmit: Bool { self == .local || self == .spark }
}

/// Settings a target gives an engine, which a job may override per engine.
public struct EngineSettings: Sendable, Equatable, Codable {
    public var version: String?
    public var workerType: String?
    public var numberOfWorkers: Int?
    public var timeoutMinutes: Int?
    public var maxConcurrentRuns: Int?
    public var sparkSubmitParameters: String?
    public var arguments: [String: String] = [:]
    /// Engine-side retries of a failed run.
    public var retries: Int? = nil

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
    case s3(bucket: String, prefix: String)
    case local(path: String)

    public var description: String {
        switch self {
        case .s3(let bucket, let prefix): return "s3://\(bucket)/\(prefix)"
        case .local(let path): return path
        }
    }
}

public struct Target: Sendable, Equatable {
    public var name: String
    public var engine: EngineKind
    public var region: String?
    public var accountIds: [String]
    public var artifacts: ArtifactLocation
    public var roleArn: String?
    public var tags: [String: String]
    public var settings: EngineSettings
    public var emrServerlessApplicationId: String?
    public var emrServerlessExecutionRoleArn: String?
    public var logURI: String?
    public var emrClusterId: String?
    public var sparkSubmit: String?
    public var master: String?
    /// The interpreter `spark-submit` runs the job with (`local.python` / `spark.python`;
    /// `PYSPARK_PYTHON` and `PYSPARK_DRIVER_PYTHON`).
    public var python: String? = nil
    /// `runtime.python` / `runtime.arch`: the engine's Python, where it differs from the
    /// engine's default (Glue 5 → 3.11, EMR 7 → 3.9, x86_64; local → its interpreter).
    public var runtimePython: String? = nil
    public var runtimeArch: String? = nil
    /// The role EventBridge Scheduler assumes to start scheduled runs (`schedule_role_arn`).
    public var scheduleRoleArn: String? = nil
    /// Schedules are created paused unless a job says otherwise (`pause_schedules`; default:
    /// true, except on a target named `prod`).
    public var pauseSchedules: Bool = true
    /// Prices for run costs (`pricing:`), defaults where not given.
    public var pricing: Pricing = Pricing()
}

/// `jobs.<name>.schedule`.
public struct JobSchedule: Sendable, Equatable {
    public var cron: String
    public var timezone: String
    public var arguments: [String: String]
    /// nil: the target's `pause_schedules`.
    public var paused: Bool?
}

/// `jobs.<name>.notify`.
public struct JobNotify: Sendable, Equatable {
    /// Run outcomes reported: `failed`, `timeout`, `stopped`.
    public var on: [String]
    public var snsTopic: String
}

public struct Job: Sendable, Equatable {
    public var name: String
    /// Absolute path of the job's directory.
    public var source: String
    public var entryPoint: String
    /// Absolute path of the default config file.
    public var config: String
    public var arguments: [String: String]
    public var engines: [EngineKind: EngineSettings]
    /// The folder of the manifest: nothing outside it is packaged (symbolic links included).
    public var repository: String? = nil
    /// `prevent_destroy: true`: destroy and removal from the manifest refuse to delete it.
    public var preventDestroy: Bool = false
    /// `schedule:`: when the engine starts the job on its own.
    public var schedule: JobSchedule? = nil
    /// `notify:`: where failed runs are reported.
    public var notify: JobNotify? = nil
    /// `name:`: the job's name in the engine, for a job brought under deployer with `import`
    /// (default `PROJECT-TARGET-JOB`).
    public var engineName: String? = nil
    /// `requirements:`: absolute path of the job's pinned lock, shipped as a dependency bundle.
    public var requirements: String? = nil
    /// `libraries:`: absolute paths of shared library folders whose `src/` packages go into code.zip.
    public var libraries: [String] = []
}

/// `deployer.yml`, validated and interpolated.
public struct Manifest: Sendable, Equatable {
    public var project: String
    public var defaultTarget: String?
    public var targets: [String: Target]
    public var jobs: [Job]
    /// The folder holding the manifest: relative paths are resolved against it.
    public var directory: String
    public var file: String

    public func target(_ name: String?) throws -> Target {
        let chosen = name ?? defaultTarget ?? "local"
        guard let target = targets[chosen] else {
            throw DeployError("\(file): no target '\(chosen)' (targets: \(targets.keys.sorted().joined(separator: ", "))): pass -t with one of them")
        }
        return target
    }

    public func job(_ name: String) throws -> Job {
        guard let job = jobs.first(where: { $0.name == name }) else {
            throw DeployError("\(file): no job '\(name)' (jobs: \(jobs.map(\.name).joined(separator: ", ")))")
        }
        return job
    }

    /// The name the job has in the engine: `PROJECT-TARGET-JOB`, so targets sharing an account never collide.
    public func engineJobName(_ job: Job, target: Target) -> String {
        job.engineName ?? "\(project)-\(target.name)-\(job.name)"
    }
}

/// A deploy-layer failure with a message meant for the user (one line, says what to do).
public struct DeployError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) {
        self.description = description
    }
}
