import AWSCore
import Foundation

/// What a `local` or `spark` target sets (`local:` / `spark:`).
public struct SparkSubmitConfiguration: EngineConfiguration, Equatable {
    /// Which of the two engines: `local` (`local[*]` unless `master` says) or `spark`.
    public var kind: EngineKind
    /// `spark_submit`: the `spark-submit` to run.
    public var sparkSubmit: String?
    /// `master`: the master URL passed to `spark-submit`.
    public var master: String?
    /// `python`: the interpreter the job runs with (`PYSPARK_PYTHON`, `PYSPARK_DRIVER_PYTHON`).
    public var python: String?
    /// `image` (engine `local` only): the container image runs happen in.
    public var image: String?

    /// Settings of engine `kind` (`.local` or `.spark`).
    public init(kind: EngineKind = .local, sparkSubmit: String? = nil, master: String? = nil, python: String? = nil, image: String? = nil) {
        self.kind = kind
        self.sparkSubmit = sparkSubmit
        self.master = master
        self.python = python
        self.image = image
    }

    /// The section as the manifest spells it.
    struct Section: Decodable {
        var sparkSubmit: String?
        var master: String?
        var python: String?
        var deployMode: String?
        var image: String?

        enum CodingKeys: String, CodingKey {
            case sparkSubmit = "spark_submit"
            case master, python, image
            case deployMode = "deploy_mode"
        }
    }

    /// The `local` or `spark` plug-in.
    public var plugin: any EnginePlugin { kind == .spark ? SparkSubmitPlugin.spark : SparkSubmitPlugin.local }
}

/// `engine: local` and `engine: spark`: `spark-submit` on this machine in client mode, on
/// `local[*]` or any cluster's master URL. Artifacts may stay in a local folder; schedules
/// fire from `deployer schedule run-due`; no AWS.
public struct SparkSubmitPlugin: EnginePlugin {
    /// `local` or `spark`.
    public let kind: EngineKind
    /// The target section it reads: `local` or `spark`.
    let section: String
    /// Whether the section must name a master URL (a cluster has no default).
    let requiresMaster: Bool

    /// `engine: local`.
    public static let local = SparkSubmitPlugin(kind: .local, section: "local", requiresMaster: false)
    /// `engine: spark`.
    public static let spark = SparkSubmitPlugin(kind: .spark, section: "spark", requiresMaster: true)

    /// `local:` / `spark:`.
    public var settingsSection: String { section }

    /// `local:` / `spark:` `{spark_submit, master, python, deploy_mode}`.
    public var targetFields: [String: Schema.Field] {
        var fields: [String: Schema.Field] = [
            "spark_submit": .init(.string()),
            "master": .init(
                .string(
                    pattern: "^(local(\\[[0-9*]+(,[0-9]+)?\\])?|spark://[^\\s]+|k8s://[^\\s]+|yarn)$",
                    hint: "local[*], spark://HOST:PORT, k8s://https://HOST:PORT or yarn")),
            "python": .init(.string(), "the interpreter the job runs with (PYSPARK_PYTHON; default python3)"),
            "deploy_mode": .init(
                .string(allowed: ["client"]), "client: the driver runs here, executors get code and dependencies from what the artifact ships"),
        ]
        if kind == .local {
            fields["image"] = .init(
                .string(pattern: Self.imagePattern, hint: "NAME[:TAG][@sha256:DIGEST], e.g. localhost/deployer-jobs:1"),
                "runs happen in this container image (podman or docker; the repository's Dockerfile builds one)")
        }
        return [section: .init(.object(fields), requiresMaster ? "engine spark: the cluster's master URL and how to reach it" : "")]
    }

    /// An image reference: optional registry host and port, lower-case path, tag, digest.
    static let imagePattern =
        "^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$"

    /// The section's settings; `spark` requires `master`.
    public func configuration(from section: TargetSection) throws -> any EngineConfiguration {
        let read = try section.decode(SparkSubmitConfiguration.Section.self, self.section)
        if requiresMaster, read?.master == nil {
            throw section.problem(self.section, "engine spark needs spark.master (spark://HOST:PORT, k8s://…)")
        }
        return SparkSubmitConfiguration(kind: kind, sparkSubmit: read?.sparkSubmit, master: read?.master, python: read?.python, image: read?.image)
    }

    /// Runs on this machine.
    public var runsLocally: Bool { true }
    /// `local` runs the DuckDB runtime with the job's Python (no spark-submit); a Spark cluster does not.
    public var runsDuckDB: Bool { kind == .local }
    /// `deployer schedule run-due` starts due runs.
    public var scheduling: EngineScheduling { .local }
    /// Pipelines run on this machine.
    public var orchestration: EngineOrchestration { .local }

    /// A `LocalEngine` keeping runs under the environment's state folder.
    public func makeDriver(_ environment: EngineEnvironment) throws -> any EngineDriver {
        LocalEngine(target: environment.target, root: environment.stateRoot, workingDirectory: environment.directory, environment: environment.environment)
    }

    /// The job's interpreter's own version and architecture.
    public func defaultRuntime(for target: Target, environment: [String: String]) throws -> PythonRuntime {
        let configuration = target.configuration(SparkSubmitConfiguration.self)
        if let image = configuration?.image { return try LocalContainer(image: image, environment: environment).pythonRuntime() }
        return try PythonRuntime.probe(configuration?.python ?? environment["PYSPARK_PYTHON"] ?? "python3")
    }

    /// CPU-seconds, at no charge.
    public func cost(_ usage: RunUsage, pricing: Pricing) -> RunCost? {
        guard let cpu = usage.cpuSeconds else { return nil }
        return RunCost(usd: 0, estimate: false, basis: "local: \(Pricing.format(cpu)) CPU-seconds, no charge")
    }

    /// `spark-submit` is there, or the target's image is.
    public func preflightSummary(_ target: Target) -> String {
        target.configuration(SparkSubmitConfiguration.self)?.image.map { "image \($0) found" } ?? "spark-submit found"
    }
}
