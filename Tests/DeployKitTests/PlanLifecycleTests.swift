import AWSCore
import AWSTestSupport
import Foundation
import XCTest

@testable import DeployKit

/// Drift (changed outside deployer), --select, prevent_destroy and removal from the manifest,
/// against an engine with real job definitions held in memory.
final class PlanLifecycleTests: XCTestCase {
    var work: String!
    var options = Deployer.ApplyOptions()

    override func setUpWithError() throws {
        work = NSTemporaryDirectory() + "deployer-lifecycle-plan-\(UUID().uuidString)"
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        for name in ["a", "b"] { try FileManager.default.copyItem(atPath: root + "/jobs/sales_etl", toPath: work + "/" + name) }
        options.buildDirectory = work + "/build"
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: work)
    }

    func context(_ engine: ApplyFaultTests.MemoryEngine, jobs: [String], protected: Set<String> = []) -> DeployContext {
        let target = Target(
            name: "dev", engine: GlueConfiguration(roleArn: "arn:aws:iam::123456789012:role/glue-job"), region: nil, accountIds: [],
            artifacts: .local(path: work + "/store"), roleArn: nil, tags: [:],
            settings: EngineSettings())
        let manifestJobs = jobs.map { name in
            Job(
                name: name, source: work + "/" + name, entryPoint: "main.py", config: work + "/\(name)/config.yml", arguments: [:], engines: [:],
                repository: work, preventDestroy: protected.contains(name))
        }
        let manifest = Manifest(project: "p", defaultTarget: "dev", targets: ["dev": target], jobs: manifestJobs, directory: work, file: work + "/deployer.yml")
        return DeployContext(
            manifest: manifest, target: target, store: LocalStore(root: work + "/store"), engine: engine, layout: Layout(prefix: "", target: "dev"), client: nil
        )
    }

    func testDriftIsShownAndRestoredAndAFreshJobHasNone() async throws {
        let engine = ApplyFaultTests.MemoryEngine()
        let ctx = context(engine, jobs: ["a"])
        _ = try await Deployer(context: ctx).apply(options: options)
        let (fresh, _) = try await Deployer(context: ctx).plan()
        XCTAssertFalse(fresh.hasChanges)
        XCTAssertFalse(fresh.hasDrift, "a freshly created job shows no false drift")
        // Someone edits the job in the console.
        engine.lock.withLock {
            if case .object(var fields)? = engine.jobs["p-dev-a"] {
                fields["script"] = .string("s3://elsewhere/main.py")
                fields["NumberOfWorkers"] = .number(5)
                engine.jobs["p-dev-a"] = .object(fields)
            }
        }
        let (drifted, _) = try await Deployer(context: ctx).plan()
        XCTAssertTrue(drifted.hasChanges)
        XCTAssertTrue(drifted.hasDrift)
        let text = drifted.render()
        XCTAssertTrue(text.contains("~ drift: script ") && text.contains("→ s3://elsewhere/main.py, changed outside deployer"), text)
        XCTAssertFalse(text.contains("NumberOfWorkers"), "fields deployer does not set are not drift: \(text)")
        XCTAssertTrue(text.contains("(1 drifted)"), text)
        _ = try await Deployer(context: ctx).apply(options: options)
        let (restored, _) = try await Deployer(context: ctx).plan()
        XCTAssertFalse(restored.hasChanges, restored.render())
    }

    /// A stored file overwritten in place with other bytes of the same size: the default plan
    /// (presence, sizes) cannot see it; `--verify-stored` reads it back and names it.
    func testVerifyStoredCatchesASameSizeOverwrite() async throws {
        let engine = ApplyFaultTests.MemoryEngine()
        let ctx = context(engine, jobs: ["a"])
        _ = try await Deployer(context: ctx).apply(options: options)
        let (intact, _) = try await Deployer(context: ctx).plan(verifyStored: true)
        XCTAssertFalse(intact.hasChanges)
        let digest = try XCTUnwrap(intact.jobs.first?.artifact)
        let stored = work + "/store/" + ctx.layout.artifactPrefix(job: "a", digest: digest) + "/code.zip"
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: stored)))
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: stored))
        let (blind, _) = try await Deployer(context: ctx).plan()
        XCTAssertFalse(blind.hasChanges, "the size check alone passes a same-size overwrite")
        do {
            _ = try await Deployer(context: ctx).plan(verifyStored: true)
            XCTFail("a damaged stored artifact passed --verify-stored")
        } catch let error as DeployError {
            XCTAssertTrue(
                error.description.contains("artifact a \(digest.prefix(12))") && error.description.contains("/code.zip does not match its SHA256SUMS"),
                error.description)
            XCTAssertTrue(error.description.contains("run 'deployer apply -t dev' to upload it again"), error.description)
        }
    }

    func testSelectPlansAndRecordsOnlyTheSelectedJob() async throws {
        let engine = ApplyFaultTests.MemoryEngine()
        let ctx = context(engine, jobs: ["a", "b"])
        _ = try await Deployer(context: ctx).apply(options: options)
        let before = try await ctx.latestRecord()
        try "\n# v2\n".appendTo(work + "/a/main.py")
        try "\n# v2\n".appendTo(work + "/b/main.py")
        let (selected, _) = try await Deployer(context: ctx).plan(select: ["a"])
        XCTAssertEqual(selected.jobs.map(\.job), ["a"])
        XCTAssertEqual(selected.selected, ["a"])
        var only = options
        only.select = ["a"]
        let result = try await Deployer(context: ctx).apply(options: only)
        let record = try XCTUnwrap(result.record)
        XCTAssertNotEqual(record.artifacts["a"], before?.artifacts["a"])
        XCTAssertEqual(record.artifacts["b"], before?.artifacts["b"], "b keeps its deployed artifact")
        XCTAssertEqual(record.definitions["b"], before?.definitions["b"])
        let (all, _) = try await Deployer(context: ctx).plan()
        XCTAssertEqual(all.jobs.filter { $0.action != .unchanged }.map(\.job), ["b"])
        do {
            _ = try await Deployer(context: ctx).plan(select: ["nope"])
            XCTFail("unknown job")
        } catch {
            XCTAssertTrue("\(error)".contains("no job 'nope'"), "\(error)")
        }
    }

    func testPreventDestroyRefusesDestroyAndRemovalAndUnprotectedRemovalDeletes() async throws {
        let engine = ApplyFaultTests.MemoryEngine()
        _ = try await Deployer(context: context(engine, jobs: ["a", "b"], protected: ["a"])).apply(options: options)
        do {
            _ = try await Deployer(context: context(engine, jobs: ["a", "b"], protected: ["a"])).destroy(options: options)
            XCTFail("a is protected")
        } catch {
            XCTAssertTrue("\(error)".contains("job a is protected (prevent_destroy: true)"), "\(error)")
        }
        do {
            _ = try await Deployer(context: context(engine, jobs: ["b"])).plan()
            XCTFail("removing a protected job is refused")
        } catch {
            XCTAssertTrue(
                "\(error)".contains("job a (p-dev-a) was removed from the manifest but deployment") && "\(error)".contains("prevent_destroy"), "\(error)")
        }
        XCTAssertNotNil(engine.lock.withLock { engine.jobs["p-dev-a"] })
        // Unprotected b removed from the manifest: plan says delete, apply deletes it.
        let ctx = context(engine, jobs: ["a"], protected: ["a"])
        let (plan, _) = try await Deployer(context: ctx).plan()
        XCTAssertTrue(plan.render().contains("- delete job p-dev-b  (removed from the manifest)"), plan.render())
        _ = try await Deployer(context: ctx).apply(options: options)
        XCTAssertNil(engine.lock.withLock { engine.jobs["p-dev-b"] })
        let record = try await ctx.latestRecord()
        XCTAssertEqual(record?.jobNames.keys.sorted(), ["a"])
        XCTAssertEqual(record?.protected, ["a"])
        let (after, _) = try await Deployer(context: ctx).plan()
        XCTAssertFalse(after.hasChanges, after.render())
    }
}
