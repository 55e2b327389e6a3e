import AWSCore
import AWSTestSupport
import Foundation
import XCTest

@testable import DeployKit

/// A single fault at any step of apply leaves the target unchanged or converged by the next
/// apply, with the lock released: lost answers to conditional writes (the retry meets our own
/// write), a job created whose answer was lost, and Ctrl-C in the middle.
final class ApplyFaultTests: XCTestCase {
    /// Job definitions held in memory, like an engine with real definitions (Glue).
    final class MemoryEngine: EngineDriver, @unchecked Sendable {
        let lock = NSLock()
        var jobs: [String: JSONValue] = [:]
        /// Apply lands, then its answer is "lost" (throws) this many times.
        var loseApplyAnswers = 0
        /// Apply waits this long (to be interrupted).
        var applyDelay: Duration = .zero
        var applies = 0

        func preflight() async throws {}
        func liveDefinition(name: String, recorded: JSONValue?) async throws -> JSONValue? { lock.withLock { jobs[name] } }
        func desiredDefinition(name: String, job: Job, artifact: ArtifactURLs, digest: String) -> JSONValue {
            .object(["script": .string(artifact.entryPoint), "artifact": .string(digest)])
        }
        func apply(name: String, desired: JSONValue, live: JSONValue?) async throws {
            if applyDelay > .zero { try await Task.sleep(for: applyDelay) }
            let lose: Bool = lock.withLock {
                applies += 1
                jobs[name] = desired
                if loseApplyAnswers > 0 {
                    loseApplyAnswers -= 1
                    return true
                }
                return false
            }
            if lose {
                throw AWSError(
                    service: "glue", operation: "CreateJob", status: 0, code: "TransportError", message: "reset error: cut off", transportKind: .reset)
            }
        }
        func delete(name: String) async throws { _ = lock.withLock { jobs.removeValue(forKey: name) } }
        func start(name: String, definition: JSONValue, request: RunRequest) async throws -> String { "r1" }
        func describe(name: String, definition: JSONValue, runId: String) async throws -> RunInfo {
            RunInfo(id: runId, state: .succeeded, engineState: "SUCCEEDED", startedAt: nil, endedAt: nil, error: nil)
        }
        func recentRuns(name: String, definition: JSONValue, limit: Int) async throws -> [RunInfo] { [] }
        func cancel(name: String, definition: JSONValue, runId: String) async throws {}
        func logs(name: String, definition: JSONValue, runId: String, stderr: Bool) async throws -> [String] { [] }
    }

    /// A store whose conditional writes land and then answer as a retry after a lost answer
    /// does: the write is repeated, and the repeat's 412 is what the caller sees.
    struct LostAnswerStore: ObjectStore {
        let inner: LocalStore
        let conditionalKeys: @Sendable (String) -> Bool
        var location: String { inner.location }
        func url(_ key: String) -> String { inner.url(key) }
        func head(_ key: String) async throws -> StoredObject? { try await inner.head(key) }
        func get(_ key: String) async throws -> (bytes: [UInt8], etag: String)? { try await inner.get(key) }
        func put(_ key: String, bytes: [UInt8], contentType: String, condition: WriteCondition) async throws -> String {
            let tag = try await inner.put(key, bytes: bytes, contentType: contentType, condition: condition)
            guard condition != .always, conditionalKeys(key) else { return tag }
            return try await inner.put(key, bytes: bytes, contentType: contentType, condition: condition)
        }
        func putFile(_ key: String, path: String, condition: WriteCondition, progress: (@Sendable (UInt64, UInt64) -> Void)?) async throws {
            try await inner.putFile(key, path: path, condition: condition, progress: progress)
            guard condition != .always, conditionalKeys(key) else { return }
            try await inner.putFile(key, path: path, condition: condition, progress: progress)
        }
        func delete(_ key: String, ifMatch: String?) async throws {
            try await inner.delete(key, ifMatch: ifMatch)
            guard ifMatch != nil, conditionalKeys(key) else { return }
            try await inner.delete(key, ifMatch: ifMatch)
        }
        func list(_ prefix: String) async throws -> [String] { try await inner.list(prefix) }
    }

    /// A local store whose writes can be made to fail or hang, one hook per operation.
    struct HookedStore: ObjectStore {
        let inner: LocalStore
        var beforePut: @Sendable (String) async throws -> Void = { _ in }
        var beforePutFile: @Sendable (String) async throws -> Void = { _ in }
        var beforeDelete: @Sendable (String) async throws -> Void = { _ in }
        var redundantUploads: (@Sendable () throws -> [String])?
        var location: String { inner.location }
        func url(_ key: String) -> String { inner.url(key) }
        func head(_ key: String) async throws -> StoredObject? { try await inner.head(key) }
        func get(_ key: String) async throws -> (bytes: [UInt8], etag: String)? { try await inner.get(key) }
        func put(_ key: String, bytes: [UInt8], contentType: String, condition: WriteCondition) async throws -> String {
            try await beforePut(key)
            return try await inner.put(key, bytes: bytes, contentType: contentType, condition: condition)
        }
        func putFile(_ key: String, path: String, condition: WriteCondition, progress: (@Sendable (UInt64, UInt64) -> Void)?) async throws {
            try await beforePutFile(key)
            try await inner.putFile(key, path: path, condition: condition, progress: progress)
        }
        func delete(_ key: String, ifMatch: String?) async throws {
            try await beforeDelete(key)
            try await inner.delete(key, ifMatch: ifMatch)
        }
        func list(_ prefix: String) async throws -> [String] { try await inner.list(prefix) }
        func abortRedundantUploads(prefix: String) async throws -> [String] { try redundantUploads?() ?? [] }
    }

    var work: String!

    override func setUpWithError() throws {
        work = NSTemporaryDirectory() + "deployer-applyfault-\(UUID().uuidString)"
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: root + "/jobs/sales_etl", toPath: work + "/sales_etl")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: work)
    }

    func context(engine: MemoryEngine, store: (any ObjectStore)? = nil) -> DeployContext {
        let target = Target(
            name: "dev", engine: GlueConfiguration(roleArn: "arn:aws:iam::123456789012:role/glue-job"), region: nil, accountIds: [],
            artifacts: .local(path: work + "/store"), roleArn: nil, tags: [:],
            settings: EngineSettings())
        let job = Job(
            name: "sales_etl", source: work + "/sales_etl", entryPoint: "main.py", config: work + "/sales_etl/config.yml", arguments: [:], engines: [:],
            repository: work)
        let manifest = Manifest(project: "p", defaultTarget: "dev", targets: ["dev": target], jobs: [job], directory: work, file: work + "/deployer.yml")
        return DeployContext(
            manifest: manifest, target: target, store: store ?? LocalStore(root: work + "/store"), engine: engine,
            layout: Layout(prefix: "", target: "dev"), client: nil)
    }

    func assertConverged(_ context: DeployContext, _ engine: MemoryEngine, file: StaticString = #filePath, line: UInt = #line) async throws {
        let (plan, _) = try await Deployer(context: context).plan()
        XCTAssertFalse(plan.hasChanges, plan.render(), file: file, line: line)
        let lock = try await context.store.head(context.layout.lockKey)
        XCTAssertNil(lock, "no lock left", file: file, line: line)
        let record = try await context.latestRecord()
        XCTAssertEqual(
            record?.definitions["sales_etl"], engine.lock.withLock { engine.jobs["p-dev-sales_etl"] }, "the record describes the live job", file: file,
            line: line)
    }

    /// The leftover-upload check blames the role only when S3 refused it: a throttle (503
    /// SlowDown) used to get "the deploy role needs s3:ListBucketMultipartUploads".
    func testLeftoverUploadWarningBlamesTheRoleOnlyForARefusal() async throws {
        let cases: [(AWSError, Bool)] = [
            (AWSError(service: "s3", operation: "ListMultipartUploads", status: 503, code: "SlowDown", message: "Please reduce your request rate."), false),
            (
                AWSError(service: "s3", operation: "ListMultipartUploads", status: 0, code: "TransportError", message: "timed out", transportKind: .timeout),
                false
            ),
            (AWSError(service: "s3", operation: "ListMultipartUploads", status: 403, code: "InvalidAccessKeyId", message: ""), false),
            (AWSError(service: "s3", operation: "ListMultipartUploads", status: 403, code: "AccessDenied", message: "Access Denied"), true),
        ]
        for (error, blamesRole) in cases {
            let lines = Lines()
            let base = context(engine: MemoryEngine())
            let context = DeployContext(
                manifest: base.manifest, target: base.target, store: HookedStore(inner: LocalStore(root: work + "/store"), redundantUploads: { throw error }),
                engine: base.engine, layout: base.layout, client: nil, log: { lines.append($0) })
            await Deployer(context: context).abortLeftoverUploads(olderThan: nil)
            let text = lines.all.joined(separator: "\n")
            XCTAssertTrue(text.contains("warning: could not check for incomplete uploads"), text)
            XCTAssertEqual(text.contains("s3:ListBucketMultipartUploads"), blamesRole, "\(error.code): \(text)")
        }
    }

    /// An HTML page where latest.json should be is an endpoint problem, said so; a JSON
    /// document of the wrong shape names the field; neither shows Swift's debug text.
    func testGarbageLatestRecordIsNamedWithoutSwiftInternals() async throws {
        let context = context(engine: MemoryEngine())
        let cases = [
            (
                "<html><body>Gateway says hi</body></html>",
                "is not JSON (41 bytes starting '<html><body>Gate'): an endpoint or proxy that is not the object store answered"
            ),
            (#"{"id": 7}"#, "is not a deployment record (field id: not a String)"),
            (#"{"id": "x""#, "is not a deployment record (not valid JSON)"),
        ]
        for (body, expected) in cases {
            _ = try await context.store.put(context.layout.latestKey, bytes: Array(body.utf8), contentType: "application/json", condition: .always)
            do {
                _ = try await context.latestRecord()
                XCTFail("refused: \(body)")
            } catch {
                let text = "\(error)"
                XCTAssertTrue(text.contains(expected), text)
                XCTAssertFalse(text.contains("DecodingError") || text.contains("Debug description") || text.contains("CodingKeys"), text)
            }
        }
    }

    /// A manifest of another project pointed at this project's store and target may not
    /// destroy (or plan against) this project's jobs: destroy used to follow the record.
    func testDestroyWithAnotherProjectsManifestChangesNothing() async throws {
        let engine = MemoryEngine()
        let ours = context(engine: engine)
        var options = Deployer.ApplyOptions()
        options.buildDirectory = work + "/build"
        _ = try await Deployer(context: ours).apply(options: options)
        XCTAssertEqual(engine.lock.withLock { engine.jobs.keys.sorted() }, ["p-dev-sales_etl"])
        var manifest = ours.manifest
        manifest.project = "other"
        let theirs = DeployContext(manifest: manifest, target: ours.target, store: ours.store, engine: engine, layout: ours.layout, client: nil)
        for attempt in ["destroy", "plan"] {
            do {
                if attempt == "destroy" {
                    _ = try await Deployer(context: theirs).destroy(options: options)
                } else {
                    _ = try await Deployer(context: theirs).plan()
                }
                XCTFail("\(attempt) with another project's manifest must be refused")
            } catch {
                XCTAssertTrue("\(error)".contains("belongs to project 'p', not 'other': nothing was read or changed"), "\(error)")
            }
        }
        XCTAssertEqual(engine.lock.withLock { engine.jobs.keys.sorted() }, ["p-dev-sales_etl"], "our job is still there")
        let lock = try await ours.store.head(ours.layout.lockKey)
        XCTAssertNil(lock, "no lock taken")
        try await assertConverged(ours, engine)
    }

    /// A lock release that hangs after the record is written: apply reports the deployment as
    /// done and recorded (it said "the next apply converges" and exited 1, and the next apply
    /// said "No changes" and left the lock for 15 minutes). Now the lock is live state: plan
    /// shows it, the next apply removes it; a lock of an apply that has not recorded is shown
    /// and never removed.
    func testALockLeftByAFinishedApplyIsPlannedAndRemoved() async throws {
        let engine = MemoryEngine()
        let hanging = Flag(true)
        let store = HookedStore(
            inner: LocalStore(root: work + "/store"),
            beforeDelete: { key in
                if key.hasPrefix("locks/"), hanging.value { try await Task.sleep(for: .seconds(60)) }
            })
        let context = context(engine: engine, store: store)
        var options = Deployer.ApplyOptions()
        options.buildDirectory = work + "/build"
        options.releaseLimit = .milliseconds(300)
        let started = ContinuousClock.now
        let first = try await Deployer(context: context).apply(options: options)
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(20), "the release is bounded")
        let record = try XCTUnwrap(first.record)
        XCTAssertEqual(record.lock.map { !$0.isEmpty }, true)
        let failure = try XCTUnwrap(first.releaseFailure)
        XCTAssertTrue(
            failure.hasPrefix("deployment \(record.id) is recorded, but lock \(record.lock ?? "") was not released (releasing the lock did not finish within"),
            failure)
        hanging.value = false
        let (plan, _) = try await Deployer(context: context).plan()
        XCTAssertEqual(plan.lock?.finishedDeployment, record.id)
        XCTAssertTrue(plan.hasChanges, "our own leftover lock is a change")
        XCTAssertTrue(plan.render().contains("- lock \(record.lock ?? "") of "), plan.render())
        XCTAssertTrue(plan.summary.contains("the lock left by a finished apply will be removed"), plan.summary)
        let second = try await Deployer(context: context).apply(options: options)
        XCTAssertNil(second.record, "nothing else to do")
        XCTAssertEqual(second.removedLock?.id, record.lock)
        try await assertConverged(context, engine)
        // A lock of an apply that recorded nothing (it may still be working) is shown, not removed.
        let other = LeaseLock(store: store, key: context.layout.lockKey, target: "dev", ttl: 900)
        let held = try await other.acquire(owner: "someone-else")
        let (third, _) = try await Deployer(context: context).plan()
        XCTAssertNil(third.lock?.finishedDeployment)
        XCTAssertFalse(third.hasChanges)
        XCTAssertTrue(third.render().contains("! lock \(held.lease.id) held by someone-else"), third.render())
        let heldNow = try await store.head(context.layout.lockKey)
        XCTAssertNotNil(heldNow)
    }

    /// A release that meets only 5xx answers for longer than one call's retries is tried again
    /// until its time limit (a soak round at 50% injected errors left the lock of an
    /// interrupted apply after the call's five attempts failed).
    func testAReleaseMeetingRepeated5xxKeepsTryingWithinItsLimit() async throws {
        let engine = MemoryEngine()
        let failures = Lines()
        let store = HookedStore(
            inner: LocalStore(root: work + "/store"),
            beforeDelete: { key in
                guard key.hasPrefix("locks/"), failures.all.count < 6 else { return }
                failures.append(key)
                throw AWSError(service: "s3", operation: "DeleteObject", status: 500, code: "InternalError", message: "injected")
            })
        let context = context(engine: engine, store: store)
        var options = Deployer.ApplyOptions()
        options.buildDirectory = work + "/build"
        options.releaseLimit = .seconds(20)
        let result = try await Deployer(context: context).apply(options: options)
        XCTAssertNil(result.releaseFailure, "released after \(failures.all.count) failed deletes")
        XCTAssertEqual(failures.all.count, 6)
        try await assertConverged(context, engine)
    }

    final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: Bool
        init(_ value: Bool) { stored = value }
        var value: Bool {
            get { lock.withLock { stored } }
            set { lock.withLock { stored = newValue } }
        }
    }

    /// A failure after a file was stored does not say "nothing was changed".
    func testAFailureAfterAStoredFileSaysSo() async throws {
        let engine = MemoryEngine()
        let count = Lines()
        let store = HookedStore(
            inner: LocalStore(root: work + "/store"),
            beforePutFile: { key in
                count.append(key)
                if count.all.count == 2 { throw AWSError(service: "s3", operation: "PutObject", status: 500, code: "InternalError", message: "") }
            })
        let context = context(engine: engine, store: store)
        var options = Deployer.ApplyOptions()
        options.buildDirectory = work + "/build"
        do {
            _ = try await Deployer(context: context).apply(options: options)
            XCTFail("the second upload fails")
        } catch let failure as DeployFailure {
            XCTAssertFalse(failure.summary.contains("nothing was changed"), failure.summary)
            XCTAssertTrue(
                failure.summary.hasPrefix("1 file of an unfinished upload stored (content-addressed: the next apply keeps them); nothing else was changed"),
                failure.summary)
            XCTAssertTrue(failure.summary.contains("the next 'deployer apply -t dev' converges"), failure.summary)
        }
        try await assertConvergedAfterApply(engine, options)
    }

    func assertConvergedAfterApply(_ engine: MemoryEngine, _ options: Deployer.ApplyOptions) async throws {
        let clean = context(engine: engine)
        _ = try await Deployer(context: clean).apply(options: options)
        try await assertConverged(clean, engine)
    }

    /// latest.json refused after the record file was written: said so, not "no deployment
    /// record was written".
    func testARefusedLatestSaysTheRecordFileWasWritten() async throws {
        let context = context(
            engine: MemoryEngine(),
            store: HookedStore(
                inner: LocalStore(root: work + "/store"),
                beforePut: { key in
                    if key.hasSuffix("/latest.json") {
                        throw AWSError(service: "s3", operation: "PutObject", status: 403, code: "AccessDenied", message: "Access Denied")
                    }
                }))
        var options = Deployer.ApplyOptions()
        options.buildDirectory = work + "/build"
        do {
            _ = try await Deployer(context: context).apply(options: options)
            XCTFail("latest.json is refused")
        } catch let failure as DeployFailure {
            XCTAssertFalse(failure.summary.contains("no deployment record was written"), failure.summary)
            XCTAssertTrue(failure.summary.contains("was written but latest.json was not updated"), failure.summary)
        }
    }

    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }

    /// Lease acquire, renew and release, the record and the artifact writes: each lands, its
    /// answer is lost, the retry gets 412 on our own object. Apply still succeeds.
    func testRetriedConditionalWritesMeetingTheirOwnWriteSucceed() async throws {
        let engine = MemoryEngine()
        let store = LostAnswerStore(inner: LocalStore(root: work + "/store")) { _ in true }
        let context = context(engine: engine, store: store)
        var options = Deployer.ApplyOptions()
        options.buildDirectory = work + "/build"
        let result = try await Deployer(context: context).apply(options: options)
        XCTAssertNotNil(result.record)
        try await assertConverged(context, engine)
        let latest = try await context.latestRecord()
        XCTAssertEqual(latest?.id, result.record?.id, "latest.json written after the record's lost answer")
    }

    func testLeaseRenewAndReleaseAfterLostAnswersStayOurs() async throws {
        let store = LostAnswerStore(inner: LocalStore(root: work + "/store")) { _ in true }
        let lock = LeaseLock(store: store, key: "locks/dev.json", target: "dev", ttl: 60)
        let handle = try await lock.acquire(owner: "ci")
        let renewed = try await lock.renew(handle)
        XCTAssertEqual(renewed.lease.id, handle.lease.id)
        // Release with the pre-renewal ETag (the renewal's answer was lost): still ours, removed.
        try await lock.release(handle)
        let left = try await store.head("locks/dev.json")
        XCTAssertNil(left)
        // Someone else's lease is still reported as held.
        let other = LeaseLock(store: LocalStore(root: work + "/store"), key: "locks/dev.json", target: "dev", ttl: 60)
        _ = try await other.acquire(owner: "alice")
        do {
            _ = try await lock.acquire(owner: "ci")
            XCTFail("alice holds it")
        } catch let held as LeaseLock.Held {
            XCTAssertEqual(held.lease.owner, "alice")
            XCTAssertTrue(held.description.contains("-t dev --force-unlock"), held.description)
        }
    }

    /// The job was created but the answer lost and not recovered: apply fails, releases the
    /// lock, says what it did; the next plan sees the job exists and the record is behind;
    /// the next apply records it; then there is nothing to do.
    func testCreatedJobWhoseAnswerWasLostIsRecordedByTheNextApply() async throws {
        let engine = MemoryEngine()
        engine.loseApplyAnswers = 1
        let context = context(engine: engine)
        var options = Deployer.ApplyOptions()
        options.buildDirectory = work + "/build"
        do {
            _ = try await Deployer(context: context).apply(options: options)
            XCTFail("the answer was lost")
        } catch let failure as DeployFailure {
            XCTAssertFalse(failure.interrupted)
            XCTAssertTrue(
                failure.summary.contains("uploaded artifact sales_etl") && failure.summary.contains("no deployment record was written")
                    && failure.summary.contains("released"), failure.summary)
        }
        let lock = try await context.store.head(context.layout.lockKey)
        XCTAssertNil(lock)
        let (plan, _) = try await Deployer(context: context).plan()
        XCTAssertEqual(plan.jobs.first?.action, .unchanged, "the job exists and matches")
        XCTAssertEqual(plan.recordBehind, true)
        XCTAssertTrue(plan.hasChanges)
        XCTAssertTrue(plan.render().contains("deployment record: behind"), plan.render())
        let result = try await Deployer(context: context).apply(options: options)
        XCTAssertNotNil(result.record)
        XCTAssertEqual(engine.applies, 1, "the job is not written again")
        try await assertConverged(context, engine)
        let runner = Runner(context: context)
        let deployed = try await runner.deployed("sales_etl")
        XCTAssertEqual(deployed.name, "p-dev-sales_etl", "run and status see the job")
    }

    /// Ctrl-C while a job is being written: the task stops, the lock is released, the error
    /// says it was interrupted and what was done; the next apply converges.
    /// A store whose lock write lands, is then cut off by a signal (the task is cancelled) and
    /// retried into its own 412, as the HTTP client does; reads fail once the task is cancelled.
    struct CancelledLockWriteStore: ObjectStore {
        let inner: LocalStore
        var location: String { inner.location }
        func url(_ key: String) -> String { inner.url(key) }
        func head(_ key: String) async throws -> StoredObject? {
            try Task.checkCancellation()
            return try await inner.head(key)
        }
        func get(_ key: String) async throws -> (bytes: [UInt8], etag: String)? {
            try Task.checkCancellation()
            return try await inner.get(key)
        }
        func put(_ key: String, bytes: [UInt8], contentType: String, condition: WriteCondition) async throws -> String {
            let tag = try await inner.put(key, bytes: bytes, contentType: contentType, condition: condition)
            guard key.hasPrefix("locks/"), condition == .ifAbsent else { return tag }
            withUnsafeCurrentTask { $0?.cancel() }
            return try await inner.put(key, bytes: bytes, contentType: contentType, condition: condition)
        }
        func putFile(_ key: String, path: String, condition: WriteCondition, progress: (@Sendable (UInt64, UInt64) -> Void)?) async throws {
            try await inner.putFile(key, path: path, condition: condition, progress: progress)
        }
        func delete(_ key: String, ifMatch: String?) async throws { try await inner.delete(key, ifMatch: ifMatch) }
        func list(_ prefix: String) async throws -> [String] { try await inner.list(prefix) }
    }

    /// Soak round 1327: SIGTERM just after the lock write landed left the lock and said "stopped
    /// before taking the lock; nothing was changed". The lease is ours: it is removed, and said so.
    func testASignalJustAfterTheLockWriteLandedLeavesNoLock() async throws {
        let engine = MemoryEngine()
        let context = context(engine: engine, store: CancelledLockWriteStore(inner: LocalStore(root: work + "/store")))
        var options = Deployer.ApplyOptions()
        options.buildDirectory = work + "/build"
        let settings = options
        do {
            _ = try await Task { try await Deployer(context: context).apply(options: settings) }.value
            XCTFail("cancelled")
        } catch let failure as DeployFailure {
            XCTAssertTrue(failure.interrupted, "\(failure)")
            XCTAssertTrue(failure.summary.contains("nothing was changed; lock") && failure.summary.contains("released"), failure.summary)
        }
        let lock = try await LocalStore(root: work + "/store").head(context.layout.lockKey)
        XCTAssertNil(lock, "the lease this apply wrote is removed")
        XCTAssertEqual(engine.applies, 0)
    }

    /// Soak round 1323 (50% cut answers): the lock write landed, its answer was lost, the retry
    /// met its own lease (412) and the read-back failed five times: apply failed naming the
    /// GetObject and left its lease for 15 minutes. The lease is now removed once the store
    /// answers again, and the failure says nothing was changed and no lock is left.
    func testALeaseWhoseReadBackFailsIsRemovedWhenTheStoreAnswersAgain() async throws {
        let engine = MemoryEngine()
        let failures = Lines()
        let inner = LocalStore(root: work + "/store")
        let lost = LostAnswerStore(inner: inner) { $0.hasPrefix("locks/") }
        struct FlakyReads: ObjectStore {
            let inner: LostAnswerStore
            let failures: Lines
            var location: String { inner.location }
            func url(_ key: String) -> String { inner.url(key) }
            func head(_ key: String) async throws -> StoredObject? { try await inner.head(key) }
            func get(_ key: String) async throws -> (bytes: [UInt8], etag: String)? {
                if key.hasPrefix("locks/"), failures.all.count < 6, try await inner.head(key) != nil {
                    failures.append(key)
                    throw AWSError(service: "s3", operation: "GetObject", status: 0, code: "TransportError", message: "cut off", transportKind: .reset)
                }
                return try await inner.get(key)
            }
            func put(_ key: String, bytes: [UInt8], contentType: String, condition: WriteCondition) async throws -> String {
                try await inner.put(key, bytes: bytes, contentType: contentType, condition: condition)
            }
            func putFile(_ key: String, path: String, condition: WriteCondition, progress: (@Sendable (UInt64, UInt64) -> Void)?) async throws {
                try await inner.putFile(key, path: path, condition: condition, progress: progress)
            }
            func delete(_ key: String, ifMatch: String?) async throws { try await inner.inner.delete(key, ifMatch: ifMatch) }
            func list(_ prefix: String) async throws -> [String] { try await inner.list(prefix) }
        }
        let context = context(engine: engine, store: FlakyReads(inner: lost, failures: failures))
        var options = Deployer.ApplyOptions()
        options.buildDirectory = work + "/build"
        do {
            _ = try await Deployer(context: context).apply(options: options)
            XCTFail("the lock could not be read back")
        } catch let error as DeployError {
            XCTAssertTrue(error.description.contains("nothing was changed and no lock is left"), error.description)
        }
        XCTAssertEqual(failures.all.count, 6)
        let lock = try await inner.head(context.layout.lockKey)
        XCTAssertNil(lock, "the lease this apply wrote is removed")
        XCTAssertEqual(engine.applies, 0)
    }

    func testInterruptedApplyReleasesTheLockAndTheNextApplyConverges() async throws {
        let engine = MemoryEngine()
        engine.applyDelay = .seconds(30)
        let context = context(engine: engine)
        var options = Deployer.ApplyOptions()
        options.buildDirectory = work + "/build"
        let settings = options
        let task = Task { try await Deployer(context: context).apply(options: settings) }
        // Wait until the lock is taken (apply is then in the engine's slow write).
        for _ in 0..<200 {
            if try await context.store.head(context.layout.lockKey) != nil { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        do {
            _ = try await task.value
            XCTFail("cancelled")
        } catch let failure as DeployFailure {
            XCTAssertTrue(failure.interrupted, "\(failure)")
            XCTAssertTrue(failure.summary.contains("released"), failure.summary)
        }
        let lock = try await context.store.head(context.layout.lockKey)
        XCTAssertNil(lock, "the lock is released on interrupt")
        engine.applyDelay = .zero
        _ = try await Deployer(context: context).apply(options: options)
        try await assertConverged(context, engine)
    }
}
