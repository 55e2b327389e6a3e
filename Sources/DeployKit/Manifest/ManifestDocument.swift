import Foundation
import Yams

/// `deployer.yml` as the schema has checked it, decoded once by Yams' `Decodable` decoder
/// (snake_case keys through `CodingKeys`). Numbers and booleans are read as the scalar's text
/// and parsed the way the schema checked them (`"10"` and `10` alike), so the two never disagree. Engine sections (`emr_serverless:`, `spark:`, a
/// plug-in's own) are decoded by their plug-ins; `ManifestLoader.build` turns this into the model.
struct ManifestDocument: Decodable {
    var project: String
    var defaultTarget: String?
    var targets: [String: TargetDocument]?
    var jobs: [String: JobDocument]
    var pipelines: [String: PipelineDocument]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case project
        case defaultTarget = "default_target"
        case targets, jobs, pipelines
    }
}

/// `pipelines.NAME`.
struct PipelineDocument: Decodable {
    struct Step: Decodable {
        var job: String
        var name: String?
        var needs: [String]?
        var arguments: [String: String]?
        var retries: String?
        var timeoutMinutes: String?
        var engines: [String: StepEngine]?

        /// `engines.<engine>` of a step.
        struct StepEngine: Decodable {
            var arguments: [String: String]?
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case job, name, needs, arguments, retries
            case timeoutMinutes = "timeout_minutes"
            case engines
        }
    }

    var steps: [Step]
    var arguments: [String: String]?
    var schedule: JobDocument.Schedule?
    var notify: JobDocument.Notify?
    var preventDestroy: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case steps, arguments, schedule, notify
        case preventDestroy = "prevent_destroy"
    }
}

/// `targets.NAME`, the keys every target has.
struct TargetDocument: Decodable {
    struct Artifacts: Decodable {
        var bucket: String?
        var prefix: String?
        var path: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case bucket, prefix, path }
    }

    struct Runtime: Decodable {
        var python: String?
        var arch: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case python, arch }
    }

    var engine: String
    var region: String?
    var accountIds: [String]?
    var artifacts: Artifacts
    var roleArn: String?
    var tags: [String: String]?
    var scheduleRoleArn: String?
    var pipelineRoleArn: String?
    var pauseSchedules: String?
    var pricing: [String: String]?
    var runtime: Runtime?
    var jobRuntime: String?
    var mode: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case engine, region, mode
        case accountIds = "account_ids"
        case artifacts
        case roleArn = "role_arn"
        case tags
        case scheduleRoleArn = "schedule_role_arn"
        case pipelineRoleArn = "pipeline_role_arn"
        case pauseSchedules = "pause_schedules"
        case pricing, runtime
        case jobRuntime = "job_runtime"
    }
}

/// The job settings in a target's section of its engine (`glue:`, `emr_serverless:`…), or a
/// job's `engines.<engine>` block.
struct SettingsDocument: Decodable {
    var version: String?
    var workerType: String?
    var numberOfWorkers: String?
    var timeoutMinutes: String?
    var maxConcurrentRuns: String?
    var sparkSubmitParameters: String?
    var arguments: [String: String]?
    var retries: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case version
        case workerType = "worker_type"
        case numberOfWorkers = "number_of_workers"
        case timeoutMinutes = "timeout_minutes"
        case maxConcurrentRuns = "max_concurrent_runs"
        case sparkSubmitParameters = "spark_submit_parameters"
        case arguments, retries
    }

    var settings: EngineSettings {
        EngineSettings(
            version: version, workerType: workerType, numberOfWorkers: numberOfWorkers.flatMap(Int.init), timeoutMinutes: timeoutMinutes.flatMap(Int.init),
            maxConcurrentRuns: maxConcurrentRuns.flatMap(Int.init), sparkSubmitParameters: sparkSubmitParameters, arguments: arguments ?? [:],
            retries: retries.flatMap(Int.init))
    }
}

/// `jobs.NAME`.
struct JobDocument: Decodable {
    struct Schedule: Decodable {
        var cron: String
        var timezone: String?
        var arguments: [String: String]?
        var paused: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case cron, timezone, arguments, paused }
    }

    struct Notify: Decodable {
        var on: [String]?
        var snsTopic: String

        enum CodingKeys: String, CodingKey, CaseIterable {
            case on
            case snsTopic = "sns_topic"
        }
    }

    struct DataChecksDocument: Decodable {
        var enabled: String?
        var outputArgument: String?
        var baselineRuns: String?
        var maxChangePercent: String?
        var staleAfterHours: String?
        enum CodingKeys: String, CodingKey, CaseIterable {
            case enabled
            case outputArgument = "output_argument"
            case baselineRuns = "baseline_runs"
            case maxChangePercent = "max_change_percent"
            case staleAfterHours = "stale_after_hours"
        }

        var checks: DataChecks {
            var checks = DataChecks()
            checks.enabled = manifestBool(enabled) ?? true
            if let outputArgument { checks.outputArgument = outputArgument }
            if let runs = baselineRuns.flatMap(Int.init) { checks.baselineRuns = runs }
            if let percent = maxChangePercent.flatMap(Double.init) { checks.maxChangePercent = percent }
            checks.staleAfterHours = staleAfterHours.flatMap(Double.init)
            return checks
        }
    }

    var source: String
    var entryPoint: String?
    var config: String?
    var arguments: [String: String]?
    var name: String?
    var schedule: Schedule?
    var notify: Notify?
    var requirements: String?
    var libraries: [String]?
    var preventDestroy: String?
    var engines: [String: SettingsDocument]?
    var dataChecks: DataChecksDocument?
    var duckdb: DuckDBDocument?
    var jobRuntime: String?

    struct DuckDBDocument: Decodable {
        var requirements: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case requirements }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case duckdb
        case jobRuntime = "job_runtime"
        case source
        case entryPoint = "entry_point"
        case config, arguments, name, schedule, notify, requirements, libraries
        case preventDestroy = "prevent_destroy"
        case engines
        case dataChecks = "data_checks"
    }
}

/// A boolean as the schema accepts it: `true` or `false`, any case.
func manifestBool(_ text: String?) -> Bool? { text.map { $0.lowercased() == "true" } }

extension Node {
    /// The node at `path` (mapping keys) below this one: where a decoded field came from, for
    /// messages with its line and column.
    func node(at path: [String]) -> Node? {
        var node: Node? = self
        for key in path { node = node?.mapping?[Node(key)] }
        return node
    }
}
