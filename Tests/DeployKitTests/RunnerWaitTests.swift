import AWSCore
import Foundation
import XCTest

@testable import DeployKit

/// `run --wait` polling: unknown states are not terminal, every change is reported, the
/// timeout is honoured, and a few failed polls do not end the wait.
final class RunnerWaitTests: XCTestCase {
    final class ScriptedEngine: EngineDriver, @unchecked Sendable {
        let lock = NSLock()
        var states: [Result<String, Error>]
        var polls = 0
        init(_ states: [Result<String, Error>]) { self.states = states }
        func preflight() async throws {}
        func liveDefinition(name: String, recorded: JSONValue?) async throws -> JSONValue? { recorded }
        func desiredDefinition(name: String, job: Job, artifact: ArtifactURLs, digest: String) -> JSONValue { .null }
        func apply(name: String, desired: JSONValue, live: JSONValue?) async throws {}
        func delete(name: String) async throws {}
        func start(name: String, definition: JSONValue, request: RunRequest) async throws -> String { "r1" }
        func describe(name: String, definition: JSONValue, runId: String) async throws -> RunInfo {
            let next: Result<String, Error> = lock.withLock {
                polls += 1
                return states.count > 1 ? states.removeFirst() : states[0]
            }
            let raw = try next.get()
            return RunInfo(id: runId, state: GlueEngine.state(raw), engineState: raw, startedAt: nil, endedAt: nil, error: nil)
        }
        func recentRuns(name: String, definition: JSONValue, limit: Int) async throws -> [RunInfo] { [] }
        func cancel(name: String, definition: JSONValue, runId: String) async throws {}
        func logs(name: String, definition: JSONValue, runId: String, stderr: Bool) async throws -> [String] { [] }
    }

    /// The folders this test made, removed in tearDown (they were left behind before).
    var roots: [String] = []

    override func tearDown() {
        for root in roots { try? FileManager.default.removeItem(atPath: root) }
        roots = []
        super.tearDown()
    }

    func context(_ engine: ScriptedEngine) async throws -> DeployContext {
        let root = NSTemporaryDirectory() + "deployer-wait-\(UUID().uuidString)"
        roots.append(root)
        let store = LocalStore(root: root)
        let record = DeploymentRecord(
            id: "d1", project: "p", target: "t", engine: "glue", at: Date(), by: "me", gitCommit: nil, artifacts: ["job": "a"],
            jobNames: ["job": "p-t-job"], definitions: ["job": .object([:])], previous: nil, rollbackOf: nil, destroyed: nil)
        let layout = Layout(prefix: "", target: "t")
        try await store.put(layout.latestKey, bytes: Array(try JSONEncoder.pretty.encode(record)), contentType: "application/json", condition: .always)
        let target = Target(
            name: "t", engine: GlueConfiguration(roleArn: "arn:aws:iam::123456789012:role/glue-job"), region: nil, accountIds: [],
            artifacts: .local(path: root), roleArn: nil, tags: [:], settings: EngineSettings())
        let manifest = Manifest(project: "p", defaultTarget: nil, targets: ["t": target], jobs: [], directory: root, file: root + "/deployer.yml")
        return DeployContext(manifest: manifest, target: target, store: store, engine: engine, layout: layout, client: nil)
    }

    struct Blip: Error {}

    func testUnknownStatesKeepWaitingAndChangesAreReported() async throws {
        let engine = ScriptedEngine([
            .success("STARTING"), .success("RUNNING"), .failure(Blip()), .success("RUNNING"), .success("BRAND_NEW_STATE"), .success("SUCCEEDED"),
        ])
        let runner = Runner(context: try await context(engine))
        let seen = Seen()
        let outcome = try await runner.wait(job: "job", runId: "r1", timeout: nil, sleep: { _ in }, onChange: { seen.add($0.engineState) })
        guard case .finished(let info) = outcome else { return XCTFail("expected the run to finish") }
        XCTAssertEqual(info.state, .succeeded)
        XCTAssertEqual(seen.values, ["STARTING", "RUNNING", "BRAND_NEW_STATE", "SUCCEEDED"])
        XCTAssertEqual(engine.polls, 6)
    }

    func testTimeoutReturnsTheLastState() async throws {
        let engine = ScriptedEngine([.success("RUNNING")])
        let runner = Runner(context: try await context(engine))
        let outcome = try await runner.wait(job: "job", runId: "r1", timeout: .milliseconds(300), initialDelay: .milliseconds(20), maxDelay: .milliseconds(40))
        { _ in }
        guard case .timedOut(let info) = outcome else { return XCTFail("expected a timeout") }
        XCTAssertEqual(info.engineState, "RUNNING")
        XCTAssertGreaterThan(engine.polls, 3)
    }

    func testPersistentPollFailureSurfaces() async throws {
        let engine = ScriptedEngine([.failure(Blip())])
        let runner = Runner(context: try await context(engine))
        do {
            _ = try await runner.wait(job: "job", runId: "r1", timeout: nil, sleep: { _ in }, onChange: { _ in })
            XCTFail("expected the error")
        } catch is Blip {}
        XCTAssertEqual(engine.polls, 5)
    }

    final class Seen: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [String] = []
        func add(_ value: String) { lock.withLock { list.append(value) } }
        var values: [String] { lock.withLock { list } }
    }
}
