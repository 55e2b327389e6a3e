import AWSCore
import Foundation

/// A run's state in engine-neutral terms. Unknown engine states are not terminal.
public enum RunState: String, Codable, Sendable {
    /// Waiting to start, running, and the three ordinary ends.
    case pending, running, succeeded, failed, cancelled
    /// Stopped by the engine at its time limit.
    case timedOut = "timed_out"
    /// A state deployer does not know (treated as still running).
    case unknown

    /// Whether the run has ended: succeeded, failed, cancelled or timed out.
    public var isTerminal: Bool {
        switch self {
        case .succeeded, .failed, .cancelled, .timedOut: return true
        case .pending, .running, .unknown: return false
        }
    }
}

/// One run as an engine reports it.
public struct RunInfo: Codable, Sendable, Equatable {
    /// The engine's run id.
    public var id: String
    /// The state in engine-neutral terms.
    public var state: RunState
    /// The engine's own word for the state (e.g. Glue's `STOPPING`).
    public var engineState: String
    /// When it started, if the engine says.
    public var startedAt: Date?
    /// When it ended; `nil` while it runs.
    public var endedAt: Date?
    /// The engine's message for a failed run.
    public var error: String?
    /// What deployer attached to the run when it started it (`nil` for runs started elsewhere).
    public var metadata: RunMetadata? = nil
    /// What the engine reports the run used.
    public var usage: RunUsage? = nil
    /// Its cost at the target's prices (filled in by `Runner`).
    public var cost: RunCost? = nil
    /// Console page, logs, Spark UI: name → URL or location.
    public var links: [String: String] = [:]
    /// The run's time limit on the engine (Glue `Timeout`, EMR Serverless
    /// `executionTimeoutMinutes`): what `--max-cost` set, or the job's default.
    public var timeLimitMinutes: Int? = nil

    /// A run as an engine reports it; `cost` is left for `Runner` to fill in.
    public init(
        id: String, state: RunState, engineState: String, startedAt: Date?, endedAt: Date?, error: String?, metadata: RunMetadata? = nil,
        usage: RunUsage? = nil, links: [String: String] = [:]
    ) {
        self.id = id
        self.state = state
        self.engineState = engineState
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.error = error
        self.metadata = metadata
        self.usage = usage
        self.links = links
    }

    /// Seconds from start to end, or to now while it runs; `nil` before it starts.
    public var durationSeconds: Double? {
        guard let startedAt else { return nil }
        return (endedAt ?? Date()).timeIntervalSince(startedAt)
    }
}

/// What deployer attaches to every run it starts, so a run can be found again (idempotency
/// key), retried with the same artifact, and traced to its deployment: Glue run arguments
/// `--deployer-*`, EMR Serverless tags, the EMR step's name, the local run record.
public struct RunMetadata: Codable, Sendable, Equatable {
    /// The `--idempotency-key` it was started with.
    public var idempotencyKey: String?
    /// The artifact it runs.
    public var artifact: String?
    /// The deployment record it was started from.
    public var deployment: String?
    /// The job arguments given for this run (`--arg`), without deployer's own.
    public var arguments: [String: String]

    /// Metadata from its parts; all empty by default.
    public init(idempotencyKey: String? = nil, artifact: String? = nil, deployment: String? = nil, arguments: [String: String] = [:]) {
        self.idempotencyKey = idempotencyKey
        self.artifact = artifact
        self.deployment = deployment
        self.arguments = arguments
    }

    /// Glue run arguments and local records carry these keys.
    static let keyArgument = "--deployer-run-key"
    static let artifactArgument = "--deployer-artifact"
    static let deploymentArgument = "--deployer-deployment"
    /// The start's own token (Glue: StartJobRun has no client token, so a start whose answer
    /// was lost is found again by it).
    static let startTokenArgument = "--deployer-start-token"

    /// The metadata as `--deployer-*` arguments.
    var asArguments: [String: String] {
        var result: [String: String] = [:]
        if let idempotencyKey { result[Self.keyArgument] = idempotencyKey }
        if let artifact { result[Self.artifactArgument] = artifact }
        if let deployment { result[Self.deploymentArgument] = deployment }
        return result
    }

    /// Splits a run's arguments into deployer's metadata and the job's own.
    static func from(arguments: [String: String]) -> RunMetadata? {
        var own: [String: String] = [:]
        for (key, value) in arguments where ![keyArgument, artifactArgument, deploymentArgument, startTokenArgument].contains(key) {
            own[key.hasPrefix("--") ? String(key.dropFirst(2)) : key] = value
        }
        guard arguments[keyArgument] != nil || arguments[artifactArgument] != nil || arguments[deploymentArgument] != nil else { return nil }
        return RunMetadata(
            idempotencyKey: arguments[keyArgument], artifact: arguments[artifactArgument], deployment: arguments[deploymentArgument], arguments: own)
    }
}

/// What `run` asks an engine to start.
public struct RunRequest: Sendable, Equatable {
    /// Job arguments for this run (`--arg KEY=VALUE`).
    public var arguments: [String: String]
    /// Sent as the engine's client token where it has one (EMR Serverless): the idempotency
    /// key when given, else a fresh UUID (a retried StartJobRun is then still idempotent).
    public var clientToken: String
    /// Attached to the run where the engine can keep it.
    public var metadata: RunMetadata
    /// The run's own time limit (from `--max-cost`), in minutes.
    public var timeoutMinutes: Int?

    /// A request; the client token defaults to a fresh UUID.
    public init(
        arguments: [String: String] = [:], clientToken: String = UUID().uuidString.lowercased(), metadata: RunMetadata = RunMetadata(),
        timeoutMinutes: Int? = nil
    ) {
        self.arguments = arguments
        self.clientToken = clientToken
        self.metadata = metadata
        self.timeoutMinutes = timeoutMinutes
    }
}

/// An engine whose runs may start in an image deployer builds and pushes (EMR Serverless'
/// `image:`): the plan and apply steps in `Deployer+Image.swift` drive it.
public protocol RuntimeImageDriver: EngineDriver {
    /// What the image is set on, for plans (`application ID`).
    var imageHolder: String { get }
    /// The image the target asks for with `bundles` baked in; nil when it sets none.
    func runtimeImage(bundles: [DependencyBundle]) async throws -> RuntimeImage?
    /// The image runs start in now (`REPOSITORY@sha256:…`); nil: the engine's own.
    func liveImage() async throws -> String?
    /// Sets the image (nil: back to the engine's own), waiting where the engine must be idle.
    func setImage(_ uri: String?, log: @escaping @Sendable (String) -> Void) async throws
}

/// One execution engine: how a job definition looks there, and how runs start and report.
public protocol EngineDriver: Sendable {
    /// Checks the target's fixed infrastructure (application, cluster) exists.
    func preflight() async throws
    /// The definition the engine holds now; engines without job definitions return what the
    /// last deployment recorded.
    func liveDefinition(name: String, recorded: JSONValue?) async throws -> JSONValue?
    /// The definition the engine should hold for `job` with this artifact (named `name`;
    /// `digest` identifies the artifact).
    func desiredDefinition(name: String, job: Job, artifact: ArtifactURLs, digest: String) -> JSONValue
    /// Creates or updates the engine-side definition (a no-op where the engine has none).
    func apply(name: String, desired: JSONValue, live: JSONValue?) async throws
    /// Deletes the engine-side definition (a no-op where the engine has none).
    func delete(name: String) async throws
    /// Starts a run carrying `request.metadata` where the engine can keep it; returns its id.
    func start(name: String, definition: JSONValue, request: RunRequest) async throws -> String
    /// The run `runId` of the job as the engine reports it now.
    func describe(name: String, definition: JSONValue, runId: String) async throws -> RunInfo
    /// The job's most recent runs, at most `limit`.
    func recentRuns(name: String, definition: JSONValue, limit: Int) async throws -> [RunInfo]
    /// A run of the job carrying idempotency key `key` that started at `since` or later, looked
    /// for among all the runs the engine lists from then on, whatever order it lists them in.
    func run(name: String, definition: JSONValue, carrying key: String, since: Date) async throws -> RunInfo?
    /// Asks the engine to stop the run; does not wait for it.
    func cancel(name: String, definition: JSONValue, runId: String) async throws
    /// The driver's log lines (stdout, or stderr).
    func logs(name: String, definition: JSONValue, runId: String, stderr: Bool) async throws -> [String]
    /// The Python jobs run on here, for dependency bundles (Glue's version, the EMR
    /// application's architecture, the local interpreter); a target's `runtime:` overrides it.
    /// `nil`: the plug-in's `defaultRuntime`, when asking the engine tells nothing more.
    func pythonRuntime() async throws -> PythonRuntime?
    /// The run's time limit in minutes that spends at most `maxCost` USD at `pricing`, and how
    /// it was worked out; throws when the engine cannot bound a run's cost.
    func timeoutMinutes(forMaxCost maxCost: Double, pricing: Pricing, definition: JSONValue) async throws -> (minutes: Int, explanation: String)
    /// Links that need a call to the engine (EMR Serverless' Spark UI), for one run's detail view.
    func detailLinks(name: String, definition: JSONValue, runId: String) async -> [String: String]
    /// The lines after `cursor` and where to continue from (`deployer logs --follow`).
    func logs(name: String, definition: JSONValue, runId: String, stderr: Bool, after cursor: LogCursor) async throws -> (lines: [String], cursor: LogCursor)
    /// Refuses job argument values the engine's API would refuse (`source` names where they
    /// come from: `--arg`, `jobs.NAME.arguments`), before anything is uploaded or started.
    func checkArguments(_ arguments: [String: String], source: String) throws
}

/// How far a reader of a run's log has got: lines seen, and the engine's continuation token
/// where it has one (CloudWatch's `nextForwardToken`), so following a log reads only what is new.
public struct LogCursor: Sendable, Equatable {
    /// Lines already returned.
    public var lines: Int
    /// Where the engine continues, where it has a continuation token.
    public var token: String?
    /// A cursor; the default starts at the beginning of the log.
    public init(lines: Int = 0, token: String? = nil) {
        self.lines = lines
        self.token = token
    }
}

extension EngineDriver {
    /// By default an engine cannot bound a run's cost: throws a `DeployError`.
    public func timeoutMinutes(forMaxCost maxCost: Double, pricing: Pricing, definition: JSONValue) async throws -> (minutes: Int, explanation: String) {
        throw DeployError("--max-cost is not supported on this engine: it has no per-run time limit to set")
    }

    /// By default no links need a call.
    public func detailLinks(name: String, definition: JSONValue, runId: String) async -> [String: String] { [:] }
    /// By default among the 200 most recent runs (engines that page through more say so).
    public func run(name: String, definition: JSONValue, carrying key: String, since: Date) async throws -> RunInfo? {
        try await recentRuns(name: name, definition: definition, limit: 200).first {
            $0.metadata?.idempotencyKey == key && ($0.startedAt ?? .distantFuture) >= since
        }
    }

    /// By default the plug-in's `defaultRuntime`.
    public func pythonRuntime() async throws -> PythonRuntime? { nil }

    /// By default every value is accepted.
    public func checkArguments(_ arguments: [String: String], source: String) throws {}
}

extension EngineDriver {
    /// For logs that are whole files (local, S3): read them and skip the lines already seen.
    public func logs(name: String, definition: JSONValue, runId: String, stderr: Bool, after cursor: LogCursor) async throws -> (
        lines: [String], cursor: LogCursor
    ) {
        let all = try await logs(name: name, definition: definition, runId: runId, stderr: stderr)
        guard all.count > cursor.lines else { return ([], cursor) }
        return (Array(all[cursor.lines...]), LogCursor(lines: all.count))
    }
}

extension EngineDriver {
    /// `--key value` pairs as the list spark-submit passes to the script.
    static func argumentList(_ arguments: [String: String]) -> [String] {
        arguments.sorted { $0.key < $1.key }.flatMap { [$0.key.hasPrefix("--") ? $0.key : "--" + $0.key, $0.value] }
    }
}

/// `https://REGION.console.aws.amazon.com/PATH` (the AWS console; GovCloud and China differ).
func consoleURL(region: String?, _ path: String) -> String {
    let region = region ?? "us-east-1"
    return "https://\(region).console.aws.amazon.com/\(path)".replacingOccurrences(of: "{region}", with: region)
}
