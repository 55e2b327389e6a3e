import Foundation

/// `jobs.<name>.schedule`.
public struct JobSchedule: Sendable, Equatable {
    /// `cron`: when runs start, as a cron expression.
    public var cron: String
    /// `timezone`: the IANA zone `cron` is read in (default `UTC`).
    public var timezone: String
    /// `arguments` for the scheduled runs.
    public var arguments: [String: String]
    /// nil: the target's `pause_schedules`.
    public var paused: Bool?

    /// The cron expression and the zone it is read in (UTC when the zone is unknown; the
    /// manifest loader refuses an unknown zone before this is reached).
    public func firing() throws -> (cron: Cron, timeZone: TimeZone) {
        (try Cron(cron), TimeZone(identifier: timezone) ?? TimeZone(secondsFromGMT: 0) ?? .current)
    }
}

/// `jobs.<name>.notify`.
public struct JobNotify: Sendable, Equatable {
    /// Run outcomes reported: `failed`, `timeout`, `stopped`.
    public var on: [String]
    /// `sns_topic`: the SNS topic the outcomes are published to.
    public var snsTopic: String
}

/// `jobs.<name>`: one job of the project.
public struct Job: Sendable, Equatable {
    /// The job's key under `jobs`.
    public var name: String
    /// Absolute path of the job's directory.
    public var source: String
    /// `entry_point`: the script run, relative to `source` (default `main.py`).
    public var entryPoint: String
    /// Absolute path of the default config file.
    public var config: String
    /// `arguments`: the job's default arguments.
    public var arguments: [String: String]
    /// `engines.<engine>`: settings that override the target's on that engine.
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
    /// `data_checks:`: where its run records are and when its data looks wrong (`status`).
    public var dataChecks = DataChecks()
    /// `duckdb.requirements`: absolute path of the extra lock of the DuckDB runtime; set (even
    /// to nil) only when the job has a `duckdb:` block, i.e. can run on DuckDB.
    public var duckdb: DuckDBSupport? = nil
    /// `job_runtime:`: the runtime this job runs on wherever deployed, over the target's.
    public var jobRuntime: JobRuntime? = nil

    /// The runtime the job's code runs on at `target`: the job's `job_runtime`, else the
    /// target's (for a job that can run there), else DuckDB on `local` for a job that can,
    /// else Spark.
    public func runtime(on target: Target) -> JobRuntime {
        if let jobRuntime { return jobRuntime }
        guard duckdb != nil, target.plugin.runsDuckDB else { return .spark }
        return target.jobRuntime ?? (target.engine == .local ? .duckdb : .spark)
    }

    /// The arguments that select the job's runtime at `target`: `--runtime duckdb` on DuckDB
    /// (Spark is every job's default), which wins over the job's own.
    public func runtimeArguments(on target: Target) -> [String: String] {
        runtime(on: target) == .duckdb ? ["--runtime": "duckdb"] : [:]
    }

    /// The lock files of the job's dependency bundle at `target`: `requirements`, and on DuckDB
    /// the `duckdb.requirements` too.
    public func requirementFiles(on target: Target) -> [String] {
        var files = [requirements].compactMap { $0 }
        if runtime(on: target) == .duckdb, let extra = duckdb?.requirements { files.append(extra) }
        return files
    }
}

/// Which runtime runs a job's code: Spark (every engine), or DuckDB on one machine (`local`,
/// and Glue as a Python shell job) for a job whose code has a DuckDB runtime.
public enum JobRuntime: String, Sendable, Equatable, CaseIterable {
    /// Spark: `spark-submit`, Glue's Spark jobs, EMR, EMR Serverless.
    case spark
    /// DuckDB: the job's `--runtime duckdb`, no JVM.
    case duckdb
}

/// `jobs.NAME.duckdb`: the job can run on DuckDB.
public struct DuckDBSupport: Sendable, Equatable {
    /// `requirements`: absolute path of the lock added to the job's on DuckDB (duckdb, pyarrow…).
    public var requirements: String?

    /// The block's settings.
    public init(requirements: String? = nil) { self.requirements = requirements }
}
