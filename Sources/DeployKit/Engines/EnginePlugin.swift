import AWSCore
import Foundation
import Yams

/// An engine's name as the manifest spells it (`engine: glue`). Open: a plug-in brings its own.
public struct EngineKind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The manifest's spelling.
    public let rawValue: String
    /// The engine called `rawValue`.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// The manifest's spelling.
    public var description: String { rawValue }

    /// AWS Glue jobs.
    public static let glue = EngineKind(rawValue: "glue")
    /// EMR Serverless job runs on an existing application.
    public static let emrServerless = EngineKind(rawValue: "emr-serverless")
    /// Steps on an existing EMR on EC2 cluster.
    public static let emr = EngineKind(rawValue: "emr")
    /// `spark-submit` on this machine with `local[*]`.
    public static let local = EngineKind(rawValue: "local")
    /// Any Spark cluster by master URL through `spark-submit` in client mode.
    public static let spark = EngineKind(rawValue: "spark")
}

/// The settings one engine reads from a target (its own section of `targets.NAME`), typed per
/// engine: `GlueConfiguration`, `EMRServerlessConfiguration`, `EMRConfiguration`,
/// `SparkSubmitConfiguration`, or a plug-in's own.
public protocol EngineConfiguration: Sendable {
    /// The engine these settings belong to.
    var plugin: any EnginePlugin { get }
    /// Whether `other` is the same engine with the same settings.
    func isEqual(to other: any EngineConfiguration) -> Bool
}

extension EngineConfiguration where Self: Equatable {
    /// Equal when `other` is of this type and `==`.
    public func isEqual(to other: any EngineConfiguration) -> Bool { (other as? Self) == self }
}

/// How an engine's schedules fire.
public enum EngineScheduling: Sendable, Equatable {
    /// EventBridge Scheduler calls the engine's start API (the plug-in's `scheduledStart`).
    case eventBridge
    /// `deployer schedule run-due` on this machine starts due runs (cron without AWS-only fields).
    case local
    /// The engine cannot take a schedule: the manifest refuses one.
    case unsupported
}

/// How an engine runs a pipeline's steps.
public enum EngineOrchestration: Sendable, Equatable {
    /// On this machine: each layer's steps at once, bounded by the cores (local, spark).
    case local
    /// As an AWS Step Functions state machine with the engine's `.sync` integration.
    case stepFunctions
    /// Not at all.
    case unsupported
}

/// What EventBridge Scheduler calls to start a run: the universal target and its input.
public struct ScheduledStart: Sendable, Equatable {
    /// `arn:aws:scheduler:::aws-sdk:SERVICE:ACTION`.
    public var target: String
    /// The action's request, as JSON text.
    public var input: String
    /// A scheduled start of `target` with `input`.
    public init(target: String, input: String) {
        self.target = target
        self.input = input
    }
}

/// The message SNS gets for a matched run event: an EventBridge input transformer.
public struct RunEventMessage: Sendable, Equatable {
    /// `InputPathsMap`: placeholder → JSON path into the event.
    public var inputPaths: [String: String]
    /// `InputTemplate`: the message with `<placeholder>`s.
    public var inputTemplate: String
    /// A message from its parts.
    public init(inputPaths: [String: String], inputTemplate: String) {
        self.inputPaths = inputPaths
        self.inputTemplate = inputTemplate
    }
}

/// What a plug-in needs to make its driver for one command.
public struct EngineEnvironment: Sendable {
    /// The target, with the plug-in's configuration.
    public var target: Target
    /// The AWS client; `nil` when the target keeps artifacts in a local folder.
    public var client: AWSClient?
    /// Where an engine on this machine keeps its runs (the artifacts folder, else `.deployer/local`).
    public var stateRoot: String
    /// The manifest's folder: where runs on this machine start.
    public var directory: String
    /// The process environment.
    public var environment: [String: String]

    /// An environment from its parts.
    public init(target: Target, client: AWSClient?, stateRoot: String, directory: String, environment: [String: String]) {
        self.target = target
        self.client = client
        self.stateRoot = stateRoot
        self.directory = directory
        self.environment = environment
    }

    /// The client, or a `DeployError` saying the engine needs AWS.
    public func awsClient() throws -> AWSClient {
        guard let client else {
            throw DeployError("engine \(target.engine) runs on AWS: give targets.\(target.name).artifacts.bucket and region")
        }
        return client
    }
}

/// One engine as a plug-in: everything deployer knows about an engine beyond `EngineDriver`
/// (which talks to it) lives behind this protocol, so adding an engine is one folder under
/// `Engines/` and one entry in `EngineRegistry.builtIn` (see docs/architecture.md).
public protocol EnginePlugin: Sendable {
    /// The `engine:` value that selects it.
    var kind: EngineKind { get }
    /// Keys the engine adds to `targets.NAME` (usually one section named after it), with their
    /// shapes: the schema checks them with file, line and column.
    var targetFields: [String: Schema.Field] { get }
    /// The target section holding the engine's job settings (its defaults for every job, which
    /// a job overrides under `engines.<engine>`): `glue`, `emr_serverless`, `local`…
    var settingsSection: String { get }
    /// The settings the engine takes there and under `engines.<engine>` (keys of
    /// `Schema.engineSettingFields`); the schema refuses any other.
    var settingKeys: Set<String> { get }
    /// Reads the engine's settings from a schema-checked target; throws `section.problem(…)` for
    /// what a schema cannot say (a section the engine needs, a key it requires).
    func configuration(from section: TargetSection) throws -> any EngineConfiguration
    /// Runs `spark-submit` on this machine: the target may keep artifacts in a local folder and
    /// needs no AWS.
    var runsLocally: Bool { get }
    /// Can run a job on the DuckDB runtime (`job_runtime: duckdb`).
    var runsDuckDB: Bool { get }
    /// How the engine's schedules fire.
    var scheduling: EngineScheduling { get }
    /// How the engine runs pipelines: on this machine, through AWS Step Functions, or not at all.
    var orchestration: EngineOrchestration { get }
    /// The Step Functions task that starts one run of the job `name` (its recorded engine
    /// definition) with `arguments`, each argument of `paths` (its value at that JSONPath of the
    /// state's input: a run input) and `--run_id`, and waits for it (`.sync`); nil when the
    /// engine has none.
    func pipelineTask(name: String, engineDefinition: JSONValue, arguments: [String: String], paths: [String: String]) -> StateMachine.Task?
    /// Whether runs emit state-change events an alert rule can match (`notify:`).
    var reportsRunEvents: Bool { get }
    /// How packages with native code reach the engine: Glue installs wheels, Spark unpacks an archive.
    var dependencyDelivery: DependencyBundle.Delivery { get }
    /// The driver for one command.
    func makeDriver(_ environment: EngineEnvironment) throws -> any EngineDriver
    /// The Python the engine runs without asking AWS (its documented default, or the local
    /// interpreter's own); a target's `runtime:` overrides it.
    func defaultRuntime(for target: Target, environment: [String: String]) throws -> PythonRuntime
    /// The Python a job on `runtime` runs on where it is not the target's (Glue's Python shell
    /// jobs run 3.9 beside Glue 5.0's 3.11); nil: the target's.
    func jobPython(for runtime: JobRuntime, target: Target) -> PythonRuntime?
    /// How a job on `runtime` gets its packages where that differs from `dependencyDelivery`
    /// (Glue's Python shell installs every wheel; it imports no zip).
    func jobDelivery(for runtime: JobRuntime) -> DependencyBundle.Delivery
    /// The keys the engine's prices have under `targets.NAME.pricing` (USD per unit), with what
    /// each is; the defaults are the plug-in's.
    var prices: [String: String] { get }
    /// A run's cost at `pricing`, or nil when the usage says nothing billable.
    func cost(_ usage: RunUsage, pricing: Pricing) -> RunCost?
    /// What `doctor` says a passed preflight proved.
    func preflightSummary(_ target: Target) -> String
    /// The role the engine's runs take, which the deploying principal must be able to pass.
    func passedRole(_ target: Target) -> String?
    /// EventBridge Scheduler's call that starts a run of `name` with `arguments` (engines with
    /// `.eventBridge` scheduling).
    func scheduledStart(name: String, engineDefinition: JSONValue, arguments: [String: String], target: Target) -> ScheduledStart?
    /// The event pattern (JSON text) matching this job's runs that end as `on` says (engines
    /// that report run events).
    func runEventPattern(name: String, engineDefinition: JSONValue, on: [String], target: Target) -> String?
    /// The message SNS gets for one matched event (job, run, state, error, console link).
    func runEventMessage(target: Target) -> RunEventMessage?
    /// Whether `deployer import` can read an existing job of this engine.
    var importsExisting: Bool { get }
    /// `deployer import`: the manifest YAML for the existing job or application `identifier`.
    func importManifest(_ identifier: String, client: AWSClient) async throws -> String
}

extension EnginePlugin {
    /// By default the section named as the engine.
    public var settingsSection: String { kind.rawValue }
    /// By default what every Spark engine passes on: arguments, spark-submit parameters, a time limit.
    public var settingKeys: Set<String> { ["arguments", "spark_submit_parameters", "timeout_minutes"] }
    /// By default an engine runs on AWS.
    public var runsLocally: Bool { false }
    /// By default an engine runs Spark only.
    public var runsDuckDB: Bool { false }
    /// By default every job of a target runs on the target's Python.
    public func jobPython(for runtime: JobRuntime, target: Target) -> PythonRuntime? { nil }
    /// By default every job gets the engine's delivery.
    public func jobDelivery(for runtime: JobRuntime) -> DependencyBundle.Delivery { dependencyDelivery }
    /// By default no schedules.
    public var scheduling: EngineScheduling { .unsupported }
    /// By default an engine runs no pipelines.
    public var orchestration: EngineOrchestration { .unsupported }
    /// By default no Step Functions task.
    public func pipelineTask(name: String, engineDefinition: JSONValue, arguments: [String: String], paths: [String: String]) -> StateMachine.Task? {
        nil
    }
    /// The task with literal arguments only.
    public func pipelineTask(name: String, engineDefinition: JSONValue, arguments: [String: String]) -> StateMachine.Task? {
        pipelineTask(name: name, engineDefinition: engineDefinition, arguments: arguments, paths: [:])
    }
    /// By default no run events.
    public var reportsRunEvents: Bool { false }
    /// By default an archive unpacked beside each process.
    public var dependencyDelivery: DependencyBundle.Delivery { .archive }
    /// By default no prices of its own.
    public var prices: [String: String] { [:] }
    /// By default the role is not checked.
    public func passedRole(_ target: Target) -> String? { nil }
    /// By default no scheduled start.
    public func scheduledStart(name: String, engineDefinition: JSONValue, arguments: [String: String], target: Target) -> ScheduledStart? { nil }
    /// By default no run event rule.
    public func runEventPattern(name: String, engineDefinition: JSONValue, on: [String], target: Target) -> String? { nil }
    /// By default no run event message.
    public func runEventMessage(target: Target) -> RunEventMessage? { nil }
    /// By default nothing to import.
    public var importsExisting: Bool { false }
    /// By default a `DeployError`: the engine has nothing to import.
    public func importManifest(_ identifier: String, client: AWSClient) async throws -> String {
        throw DeployError("engine \(kind) has no existing jobs to import")
    }
}

/// The engines a manifest may name. Adding an engine = one plug-in in `builtIn`; tests add
/// theirs with `adding(_:)` and give the registry to `ManifestLoader.engines`. After loading,
/// a target reaches its plug-in through its configuration (`EngineConfiguration.plugin`), so
/// `DeployContext.make` and the rest need no registry.
public struct EngineRegistry: Sendable {
    /// The plug-ins, in the order messages list them.
    public let plugins: [any EnginePlugin]

    /// A registry of `plugins`.
    public init(_ plugins: [any EnginePlugin]) { self.plugins = plugins }

    /// The engines deployer ships.
    public static let builtIn = EngineRegistry([GluePlugin(), EMRServerlessPlugin(), EMRPlugin(), SparkSubmitPlugin.local, SparkSubmitPlugin.spark])

    /// This registry and `plugin`. A plug-in with a registered name replaces that one in the
    /// manifest (schema, `configuration(from:)`); the rest follows the configuration it returns,
    /// so a replacement returns a configuration type of its own.
    public func adding(_ plugin: any EnginePlugin) -> EngineRegistry {
        EngineRegistry(plugins.filter { $0.kind != plugin.kind } + [plugin])
    }

    /// The plug-in named `name`.
    public func plugin(_ name: String) -> (any EnginePlugin)? { plugins.first { $0.kind.rawValue == name } }

    /// Every engine's name.
    public var names: [String] { plugins.map(\.kind.rawValue) }
}

/// `targets.NAME` as an engine plug-in reads it, after the schema has checked it.
public struct TargetSection {
    /// The target's name.
    public let name: String
    let node: Node
    let file: String

    /// A string key of the target itself (`role_arn`).
    public func string(_ key: String) -> String? { node.mapping?[Node(key)]?.string }

    /// Whether the target has `key`.
    public func has(_ key: String) -> Bool { node.mapping?[Node(key)] != nil }

    /// The section `key` decoded as `T` (snake_case keys through `T`'s `CodingKeys`); nil when absent.
    public func decode<T: Decodable>(_ type: T.Type, _ key: String) throws -> T? {
        guard let section = node.mapping?[Node(key)] else { return nil }
        do {
            return try YAMLDecoder().decode(type, from: section)
        } catch {
            throw problem(key, "cannot be read: \(Schema.short("\(error)", 200))")
        }
    }

    /// A problem with `key` of this target, at that key's line and column (the target's when absent).
    public func problem(_ key: String, _ message: String) -> ManifestLoader.LoadError {
        let first = key.split(separator: ".").first.map(String.init) ?? key
        let mark = node.mapping?[Node(first)]?.mark ?? node.mark
        return .issues([ManifestIssue(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, path: "targets.\(name).\(key)", message: message)])
    }
}
