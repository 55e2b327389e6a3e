import AWSCore
import Foundation
import XCTest

@testable import DeployKit

/// An engine added the way docs/architecture.md says: one plug-in type (its configuration,
/// target section, capabilities and driver) and one registry entry — nothing else in
/// DeployKit is touched. The manifest, schema errors, plan, apply, run and cost all reach it.
final class EnginePluginTests: XCTestCase {
    /// `memory: {queue, slots}`.
    struct QueueConfiguration: EngineConfiguration, Equatable, Decodable {
        var queue: String
        var slots: Int?
        var plugin: any EnginePlugin { QueuePlugin(engine: EnginePluginTests.shared) }
    }

    /// Holds job definitions and runs in memory, in the queue the target names.
    final class QueueEngine: EngineDriver, @unchecked Sendable {
        let lock = NSLock()
        var definitions: [String: JSONValue] = [:]
        var started: [(queue: String, name: String, request: RunRequest)] = []
        var queue = ""

        func preflight() async throws {}
        func liveDefinition(name: String, recorded: JSONValue?) async throws -> JSONValue? { lock.withLock { definitions[name] } }
        func desiredDefinition(name: String, job: Job, artifact: ArtifactURLs, digest: String) -> JSONValue {
            .object(["script": .string(artifact.entryPoint), "queue": .string(queue), "artifact": .string(digest)])
        }
        func apply(name: String, desired: JSONValue, live: JSONValue?) async throws { lock.withLock { definitions[name] = desired } }
        func delete(name: String) async throws { _ = lock.withLock { definitions.removeValue(forKey: name) } }
        func start(name: String, definition: JSONValue, request: RunRequest) async throws -> String {
            lock.withLock {
                started.append((definition["queue"]?.stringValue ?? "?", name, request))
                return "q-\(started.count)"
            }
        }
        func describe(name: String, definition: JSONValue, runId: String) async throws -> RunInfo {
            RunInfo(id: runId, state: .succeeded, engineState: "DONE", startedAt: nil, endedAt: nil, error: nil, usage: RunUsage(cpuSeconds: 40))
        }
        func recentRuns(name: String, definition: JSONValue, limit: Int) async throws -> [RunInfo] { [] }
        func cancel(name: String, definition: JSONValue, runId: String) async throws {}
        func logs(name: String, definition: JSONValue, runId: String, stderr: Bool) async throws -> [String] { [] }
    }

    static let shared = QueueEngine()

    /// The whole plug-in: section, configuration, capabilities, driver, runtime, cost.
    struct QueuePlugin: EnginePlugin {
        let engine: QueueEngine
        var kind: EngineKind { EngineKind(rawValue: "memory") }
        var targetFields: [String: Schema.Field] {
            [
                "memory": .init(
                    .object([
                        "queue": .init(.string(pattern: "^[a-z]+$", hint: "lower-case letters"), required: true),
                        "slots": .init(.integer(1...8)),
                    ]))
            ]
        }
        func configuration(from section: TargetSection) throws -> any EngineConfiguration {
            guard let configuration = try section.decode(QueueConfiguration.self, "memory") else {
                throw section.problem("memory", "engine memory needs a 'memory' section with its queue")
            }
            return configuration
        }
        var runsLocally: Bool { true }
        /// Its job settings (in its `memory:` section, and under `engines.memory`).
        var settingKeys: Set<String> { ["arguments", "timeout_minutes"] }
        func makeDriver(_ environment: EngineEnvironment) throws -> any EngineDriver {
            engine.lock.withLock { engine.queue = environment.target.configuration(QueueConfiguration.self)?.queue ?? "" }
            return engine
        }
        func defaultRuntime(for target: Target, environment: [String: String]) throws -> PythonRuntime { PythonRuntime(python: "3.12", arch: "aarch64") }
        var prices: [String: String] { ["memory_cpu_second": "per CPU-second (default 0.01)"] }
        func cost(_ usage: RunUsage, pricing: Pricing) -> RunCost? {
            guard let cpu = usage.cpuSeconds else { return nil }
            let price = pricing.price("memory_cpu_second", default: 0.01)
            return RunCost(usd: cpu * price, estimate: true, basis: "\(Pricing.format(cpu)) CPU-s × $\(Pricing.format(price))")
        }
        func preflightSummary(_ target: Target) -> String { "queue answers" }
    }

    var work: String!

    override func setUpWithError() throws {
        // The configuration reaches its plug-in (and so this engine) statically: start clean.
        Self.shared.lock.withLock {
            Self.shared.definitions = [:]
            Self.shared.started = []
        }
        work = NSTemporaryDirectory() + "deployer-plugin-\(UUID().uuidString)"
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: root + "/jobs/sales_etl", toPath: work + "/sales_etl")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: work)
    }

    func manifest(_ target: String, job extra: String = "") throws -> String {
        let path = work + "/deployer.yml"
        try """
        project: p
        default_target: q
        targets:
          q:
            engine: memory
            artifacts: {path: state}
        \(target)
        jobs:
          sales_etl:
            source: sales_etl
        \(extra)
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    var loader: ManifestLoader {
        var loader = ManifestLoader(environment: [:])
        loader.engines = EngineRegistry.builtIn.adding(QueuePlugin(engine: Self.shared))
        return loader
    }

    func testTheRegistryIsTheOnlyWayInAndTheSchemaIsThePlugins() throws {
        let file = try manifest("    memory: {queue: nightly}")
        // Without the registry entry the engine does not exist.
        XCTAssertThrowsError(try ManifestLoader(environment: [:]).load(file: file)) {
            XCTAssertTrue("\($0)".contains("targets.q.engine: 'memory' is not allowed (allowed: glue, emr-serverless, emr, local, spark)"), "\($0)")
        }
        let target = try loader.load(file: file).target("q")
        XCTAssertEqual(target.engine.rawValue, "memory")
        XCTAssertEqual(target.configuration(QueueConfiguration.self), QueueConfiguration(queue: "nightly"))
        XCTAssertEqual(try PythonRuntime.offline(for: target), PythonRuntime(python: "3.12", arch: "aarch64"))
        XCTAssertEqual(
            try loader.load(file: try manifest("    memory: {queue: nightly, slots: 4}")).target("q").configuration(QueueConfiguration.self),
            QueueConfiguration(queue: "nightly", slots: 4))

        // The plug-in's section is checked with file, line and column like any other.
        let bad = try manifest("    memory: {queue: Nightly, speed: 3}")
        XCTAssertThrowsError(try loader.load(file: bad)) {
            let text = "\($0)"
            XCTAssertTrue(text.contains("deployer.yml:7:") && text.contains("targets.q.memory.queue: 'Nightly' is not valid (lower-case letters)"), text)
            XCTAssertTrue(text.contains("targets.q.memory.speed: unknown key (allowed: arguments, queue, slots, timeout_minutes)"), text)
        }
        // Its job settings live in its own section, and jobs override exactly those keys.
        let withSettings = try loader.load(
            file: try manifest("    memory: {queue: a, timeout_minutes: 5}", job: "    engines: {memory: {timeout_minutes: 7}}"))
        XCTAssertEqual(try withSettings.target("q").settings.timeoutMinutes, 5)
        XCTAssertEqual(try withSettings.job("sales_etl").engines[EngineKind(rawValue: "memory")]?.timeoutMinutes, 7)
        XCTAssertThrowsError(try loader.load(file: try manifest("    memory: {queue: a}", job: "    engines: {memory: {worker_type: G.1X}}"))) {
            XCTAssertTrue("\($0)".contains("jobs.sales_etl.engines.memory.worker_type: unknown key (allowed: arguments, timeout_minutes)"), "\($0)")
        }
        // Another engine's section on its target is read by nobody: refused, naming where settings go.
        XCTAssertThrowsError(try loader.load(file: try manifest("    memory: {queue: a}\n    glue: {timeout_minutes: 5}"))) {
            XCTAssertTrue(
                "\($0)".contains(
                    "targets.q.glue: a section of engine glue, and this target's engine is memory: its job settings go under memory (arguments, timeout_minutes)"
                ),
                "\($0)")
        }
        // What a schema cannot say, the plug-in says, at the target.
        XCTAssertThrowsError(try loader.load(file: try manifest(""))) {
            XCTAssertTrue("\($0)".contains("targets.q.memory: engine memory needs a 'memory' section with its queue"), "\($0)")
        }
        // Jobs may override settings for it, and the capabilities decide what a job may ask.
        XCTAssertNoThrow(try loader.load(file: try manifest("    memory: {queue: a}", job: "    engines: {memory: {arguments: {x: '1'}}}")))
        XCTAssertThrowsError(try loader.load(file: try manifest("    memory: {queue: a}", job: "    schedule: {cron: \"0 3 * * ? *\"}"))) {
            XCTAssertTrue("\($0)".contains("engine memory (target q) cannot take a schedule: schedule on glue, emr-serverless, local, spark"), "\($0)")
        }
        XCTAssertThrowsError(
            try loader.load(
                file: try manifest(
                    "    memory: {queue: a}",
                    job: "    notify: {sns_topic: \"arn:aws:sns:eu-west-1:123456789012:alerts\"}"))
        ) {
            XCTAssertTrue("\($0)".contains("notify works on glue, emr-serverless"), "\($0)")
        }
    }

    func testPlanApplyAndRunGoThroughThePluginsDriver() async throws {
        let manifest = try loader.load(file: try manifest("    memory: {queue: nightly}"))
        let context = try DeployContext.make(
            manifest: manifest, targetName: nil, environment: [:],
            makeClient: { _ in throw DeployError("no AWS for an engine that runs locally") }, log: { _ in })
        XCTAssertTrue(context.engine as? QueueEngine === Self.shared, "the plug-in made the driver")
        let runtime = try await context.pythonRuntime()
        XCTAssertEqual(runtime, PythonRuntime(python: "3.12", arch: "aarch64"), "the driver says nothing: the plug-in's default")
        var options = Deployer.ApplyOptions()
        options.buildDirectory = work + "/build"
        let (plan, _) = try await Deployer(context: context).plan()
        XCTAssertTrue(plan.hasChanges)
        XCTAssertEqual(plan.engine, "memory")
        _ = try await Deployer(context: context).apply(options: options)
        let definition = try XCTUnwrap(Self.shared.lock.withLock { Self.shared.definitions["p-q-sales_etl"] })
        XCTAssertEqual(definition["queue"]?.stringValue, "nightly")
        XCTAssertTrue(definition["script"]?.stringValue?.hasPrefix(work + "/state/") == true, "\(definition)")
        let (again, _) = try await Deployer(context: context).plan()
        XCTAssertFalse(again.hasChanges, again.render())

        let handle = try await Runner(context: context).start(job: "sales_etl", arguments: ["as_of": "2024-01-31"])
        XCTAssertEqual(handle.engine, "memory")
        XCTAssertEqual(Self.shared.lock.withLock { Self.shared.started.last?.queue }, "nightly")
        let run = try await Runner(context: context).describe(job: "sales_etl", runId: handle.runId)
        XCTAssertEqual(run.cost?.text, "$0.40")
        XCTAssertEqual(run.cost?.basis, "40 CPU-s × $0.01")

        // Its price key is a manifest key like Glue's, with the plug-in's default where not given.
        let priced = try loader.load(file: try self.manifest("    memory: {queue: nightly}\n    pricing: {memory_cpu_second: 0.5, glue_dpu_hour: 1}"))
        let pricedContext = try DeployContext.make(
            manifest: priced, targetName: nil, environment: [:], makeClient: { _ in throw DeployError("no AWS") }, log: { _ in })
        let pricedRun = try await Runner(context: pricedContext).describe(job: "sales_etl", runId: handle.runId)
        XCTAssertEqual(pricedRun.cost?.text, "$20.00")
        XCTAssertThrowsError(try loader.load(file: try self.manifest("    memory: {queue: nightly}\n    pricing: {memory_cpu_hour: 1}"))) {
            XCTAssertTrue("\($0)".contains("targets.q.pricing.memory_cpu_hour: unknown key (allowed: emr_cluster_hour, emr_serverless_memory_gb_hour"), "\($0)")
            XCTAssertTrue("\($0)".contains("memory_cpu_second"), "\($0)")
        }
    }
}
