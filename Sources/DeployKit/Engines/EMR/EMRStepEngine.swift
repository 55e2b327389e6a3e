import AWSCore
import Foundation

/// EMR on EC2: a spark-submit step (command-runner.jar) on an existing cluster.
public struct EMRStepEngine: EngineDriver {
    let emr: EMRClient
    let s3: S3Client
    let target: Target

    /// The engine for `target`'s cluster, calling EMR and S3 through `client`.
    public init(client: AWSClient, target: Target) {
        emr = EMRClient(client: client)
        s3 = S3Client(client: client)
        self.target = target
    }

    /// The target's `emr:` settings.
    var configuration: EMRConfiguration? { target.configuration(EMRConfiguration.self) }
    var clusterId: String { configuration?.clusterId ?? "" }

    /// EMR 7 releases run CPython 3.9 (EMR 6: 3.7); the instances' architecture is the target's
    /// `runtime.arch` (x86_64 unless said).
    public func pythonRuntime() async throws -> PythonRuntime? {
        let release = try await emr.describeCluster(id: clusterId)?.releaseLabel ?? "emr-7"
        return PythonRuntime(python: release.hasPrefix("emr-6") ? "3.7" : "3.9", arch: "x86_64")
    }

    /// Throws when the cluster does not exist or is terminating or terminated.
    public func preflight() async throws {
        guard let cluster = try await emr.describeCluster(id: clusterId) else {
            throw DeployError("EMR cluster \(clusterId) (targets.\(target.name).emr.cluster_id) does not exist")
        }
        let state = cluster.status?.state ?? "?"
        if state.hasPrefix("TERMINAT") {
            throw DeployError("EMR cluster \(clusterId) is \(state): point targets.\(target.name).emr.cluster_id at a running cluster")
        }
    }

    /// The recorded definition: EMR holds no job definitions.
    public func liveDefinition(name: String, recorded: JSONValue?) async throws -> JSONValue? { recorded }

    /// The step to add: `spark-submit --deploy-mode cluster` with `--py-files`, archive
    /// settings, the job's parameters, entry point and arguments; digests recorded beside it.
    public func desiredDefinition(name: String, job: Job, artifact: ArtifactURLs, digest: String) -> JSONValue {
        let settings = target.settings.overlaid(with: job.engines[.emr])
        var args = ["spark-submit", "--deploy-mode", "cluster", "--py-files", artifact.pyFiles]
        for setting in artifact.archiveSettings(driverEnvironment: "spark.yarn.appMasterEnv") { args += ["--conf", setting] }
        if let extra = settings.sparkSubmitParameters { args += extra.split(separator: " ").map(String.init) }
        args.append(artifact.entryPoint)
        args += Self.argumentList(job.arguments.merging(settings.arguments) { $1 })
        var definition: [String: JSONValue] = [
            "clusterId": .string(clusterId),
            "step": .object([
                "Name": .string(name),
                "ActionOnFailure": .string("CONTINUE"),
                "HadoopJarStep": .object(["Jar": .string("command-runner.jar"), "Args": .array(args.map(JSONValue.string))]),
            ]),
            "artifact": .string(digest),
        ]
        if let dependencies = artifact.dependencies { definition["dependencies"] = .string(dependencies.digest) }
        return .object(definition)
    }

    /// Nothing to create: the step lives in the deployment record.
    public func apply(name: String, desired: JSONValue, live: JSONValue?) async throws {}
    /// Nothing to delete.
    public func delete(name: String) async throws {}

    /// AddJobFlowSteps with the recorded step and the run's arguments appended (an idempotency
    /// key goes into the step's name); returns the step id.
    public func start(name: String, definition: JSONValue, request: RunRequest) async throws -> String {
        guard case .object(var step)? = definition["step"], case .object(var jar)? = step["HadoopJarStep"], case .array(var args)? = jar["Args"] else {
            throw DeployError("job \(name) has no recorded step: run deployer apply")
        }
        args += Self.argumentList(request.arguments).map(JSONValue.string)
        jar["Args"] = .array(args)
        step["HadoopJarStep"] = .object(jar)
        // Steps have no tags: the run key rides in the step's name (`NAME [key]`).
        if let key = request.metadata.idempotencyKey { step["Name"] = .string(Self.stepName(name, key: key)) }
        return try await emr.addStep(clusterId: definition["clusterId"]?.stringValue ?? clusterId, step: .object(step))
    }

    /// A step's Name holds at most 256 characters (the model's XmlStringMaxLen256); a run key
    /// (at most 64) adds " [KEY]", so the job's name keeps its first 189 in a keyed step.
    static let maximumStepName = 256
    static func keyedPrefix(_ name: String) -> String { String(name.prefix(maximumStepName - 67)) + " [" }
    static func stepName(_ name: String, key: String) -> String { keyedPrefix(name) + key + "]" }

    static func state(_ raw: String) -> RunState {
        switch raw {
        case "PENDING": return .pending
        case "RUNNING", "CANCEL_PENDING": return .running
        case "COMPLETED": return .succeeded
        case "FAILED", "INTERRUPTED": return .failed
        case "CANCELLED": return .cancelled
        default: return .unknown
        }
    }

    func info(_ step: EMRClient.Step) -> RunInfo {
        let raw = step.status?.state ?? "UNKNOWN"
        let timeline = step.status?.timeline
        let failure = step.status?.failureDetails
        var metadata: RunMetadata?
        if let stepName = step.name, stepName.hasSuffix("]"), let open = stepName.lastIndex(of: "[") {
            metadata = RunMetadata(idempotencyKey: String(stepName[stepName.index(after: open)..<stepName.index(before: stepName.endIndex)]))
        }
        let started = timeline?.startDateTime ?? timeline?.creationDateTime
        let ended = timeline?.endDateTime
        // The step's duration: its cost is estimated from it and the cluster's hourly price.
        let usage = started.flatMap { start in ended.map { RunUsage(executionSeconds: $0.timeIntervalSince(start)) } }
        let id = step.id ?? "?"
        var links = ["console": consoleURL(region: target.region, "emr/home?region={region}#/clusterDetails/\(clusterId)")]
        if let logURI = configuration?.logURI { links["logs"] = (logURI.hasSuffix("/") ? logURI : logURI + "/") + "\(clusterId)/steps/\(id)/" }
        return RunInfo(
            id: id, state: Self.state(raw), engineState: raw, startedAt: started, endedAt: ended,
            error: failure?.message ?? failure?.reason, metadata: metadata, usage: usage, links: links)
    }

    /// DescribeStep.
    public func describe(name: String, definition: JSONValue, runId: String) async throws -> RunInfo {
        info(try await emr.describeStep(clusterId: definition["clusterId"]?.stringValue ?? clusterId, stepId: runId))
    }

    /// The cluster's steps named `name` (or `name [key]`), at most `limit`.
    public func recentRuns(name: String, definition: JSONValue, limit: Int) async throws -> [RunInfo] {
        try await emr.listSteps(clusterId: definition["clusterId"]?.stringValue ?? clusterId).filter {
            guard let stepName = $0.name else { return false }
            return stepName == name || stepName.hasPrefix(Self.keyedPrefix(name))
        }.prefix(limit).map { info($0) }
    }

    /// CancelSteps.
    public func cancel(name: String, definition: JSONValue, runId: String) async throws {
        try await emr.cancelStep(clusterId: definition["clusterId"]?.stringValue ?? clusterId, stepId: runId)
    }

    /// The step's stdout or stderr under the target's `emr.log_uri` (gzip'd or plain); throws
    /// when it has none.
    public func logs(name: String, definition: JSONValue, runId: String, stderr: Bool) async throws -> [String] {
        guard let logURI = configuration?.logURI else {
            throw DeployError("target \(target.name) has no emr.log_uri: set it to the cluster's LogUri to read step logs")
        }
        let base = logURI.hasSuffix("/") ? logURI : logURI + "/"
        return try await s3LogLines(s3, uri: "\(base)\(definition["clusterId"]?.stringValue ?? clusterId)/steps/\(runId)/\(stderr ? "stderr" : "stdout")") ?? []
    }
}
