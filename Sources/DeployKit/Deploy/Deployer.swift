import AWSCore
import SigV4
import Foundation

/// plan, apply, rollback and destroy for one target.
public struct Deployer: Sendable {
    /// The target, manifest, engine and store deployed through.
    public let context: DeployContext
    /// A deployer for the target of `context`.
    public init(context: DeployContext) {
        self.context = context
    }

    var manifest: Manifest { context.manifest }
    var target: Target { context.target }

    // MARK: Plan

    /// Where desired state comes from: the manifest's sources, or an earlier deployment.
    enum Desired {
        case manifest
        case record(DeploymentRecord)
    }

    /// Reads live state (O(jobs) requests, in parallel) and compares it with the desired state.
    /// `select`: only these jobs (`--select`); the others keep what the last deployment recorded.
    /// `verifyStored`: also read back every artifact and bundle file already in the store and
    /// check it against its SHA256SUMS (`plan --verify-stored`; downloads them).
    public func plan(select: [String]? = nil, verifyStored: Bool = false) async throws -> (plan: Plan, artifacts: [String: Artifact]) {
        let planned = try await plan(desired: .manifest, select: select, verifyStored: verifyStored)
        return (planned.plan, planned.artifacts)
    }

    /// The manifest's jobs, or only the selected ones (each must exist).
    func selectedJobs(_ select: [String]?) throws -> [Job] {
        guard let select, !select.isEmpty else { return manifest.jobs }
        return try Array(Set(select)).sorted().map { try manifest.job($0) }
    }

    var automation: Automation { Automation(target: target, client: context.client) }

    func plan(desired: Desired, buildRoot: String? = nil, select: [String]? = nil, verifyStored: Bool = false) async throws
        -> (plan: Plan, artifacts: [String: Artifact], bundles: [String: DependencyBundle]) {
        try await context.engine.preflight()
        let automation = self.automation
        let latest = try await context.latestRecord()
        var artifacts: [String: Artifact] = [:]
        var bundles: [String: DependencyBundle] = [:]
        var inputs: [(job: String, name: String, digest: String, definition: JSONValue)] = []
        var removed: [(job: String, name: String, digest: String, definition: JSONValue)] = []
        let selection = select.flatMap { $0.isEmpty ? nil : $0 }
        switch desired {
        case .manifest:
            let jobs = try selectedJobs(selection)
            // Jobs the last deployment made that the manifest no longer has are deleted, unless protected.
            if selection == nil, let latest, latest.destroyed != true {
                for (job, name) in latest.jobNames.sorted(by: { $0.key < $1.key }) where !manifest.jobs.contains(where: { $0.name == job }) {
                    if latest.protected?.contains(job) == true {
                        throw DeployError("job \(job) (\(name)) was removed from the manifest but deployment \(latest.id) protects it (prevent_destroy: true): put it back, or set prevent_destroy: false and apply before removing it")
                    }
                    removed.append((job, name, latest.artifacts[job] ?? "", latest.definitions[job] ?? .null))
                }
            }
            // Built, checked and test-imported before anything is uploaded.
            bundles = try await context.dependencyBundles(jobs, buildRoot: buildRoot)
            for job in jobs {
                let artifact = try Artifact.build(job, buildRoot: buildRoot)
                artifacts[job.name] = artifact
                let name = manifest.engineJobName(job, target: target)
                let urls = context.artifactURLs(job: job.name, digest: artifact.digest, bundle: bundles[job.name])
                let engineDefinition = context.engine.desiredDefinition(name: name, job: job, artifact: urls, digest: artifact.digest)
                let definition = Automation.merged(engineDefinition, automation.desired(job: job, name: name, engineDefinition: engineDefinition)) ?? engineDefinition
                inputs.append((job.name, name, artifact.digest, definition))
            }
        case .record(let record):
            for (job, definition) in record.definitions.sorted(by: { $0.key < $1.key }) {
                guard let digest = record.artifacts[job], let name = record.jobNames[job] else { continue }
                inputs.append((job, name, digest, definition))
            }
        }
        let context = self.context
        let planned = try await withThrowingTaskGroup(of: JobPlan.self) { group in
            for input in inputs {
                group.addTask {
                    let sums = context.layout.artifactPrefix(job: input.job, digest: input.digest) + "/SHA256SUMS"
                    async let present = context.store.head(sums)
                    let dependencies = input.definition.dependencyDigest
                    async let dependenciesPresent = dependencies == nil ? nil : context.store.head(context.layout.dependencyPrefix(digest: dependencies ?? "") + "/SHA256SUMS")
                    let recorded = latest?.jobNames[input.job] == input.name ? latest?.definitions[input.job] : nil
                    async let live = context.engine.liveDefinition(name: input.name, recorded: recorded?.engineDefinition)
                    async let liveAutomation = automation.live(name: input.name, recorded: recorded)
                    // In request order, so the first refusal is the one reported.
                    let uploaded = try await present != nil
                    let dependenciesUploaded = try await dependenciesPresent != nil
                    let engineLive = try await live
                    let liveDefinition = engineLive == nil ? nil : Automation.merged(engineLive, try await liveAutomation)
                    let action: Action
                    let changes = Plan.diff(live: liveDefinition, desired: input.definition)
                    if liveDefinition == nil { action = .create } else { action = changes.isEmpty ? .unchanged : .update }
                    // Drift: what the live job holds that the last deployment did not set, over the
                    // fields deployer sets (AWS's own defaults elsewhere are not drift).
                    var drift: [FieldChange]?
                    if let liveDefinition, let recorded = latest?.definitions[input.job], latest?.jobNames[input.job] == input.name {
                        let fields = Plan.diff(live: liveDefinition, desired: recorded).map { FieldChange(field: $0.field, old: $0.new, new: $0.old) }
                        drift = fields.isEmpty ? nil : fields
                    }
                    return JobPlan(job: input.job, engineName: input.name, artifact: input.digest, uploadArtifact: !uploaded, action: action,
                                   changes: changes, desired: input.definition, live: liveDefinition, drift: drift,
                                   dependencies: dependencies, uploadDependencies: dependencies == nil ? nil : !dependenciesUploaded)
                }
            }
            var result: [JobPlan] = []
            for try await plan in group { result.append(plan) }
            return result.sorted { $0.job < $1.job }
        }
        // A bundle already in the store must be the one built here: a damaged copy would be
        // used as it is (content-addressed keys are never rewritten), so it stops the plan.
        var verified: Set<String> = []
        for job in planned where job.uploadDependencies == false {
            guard let bundle = bundles[job.job], bundle.digest == job.dependencies, verified.insert(bundle.digest).inserted else { continue }
            try await verifyStoredBundle(bundle)
        }
        if verifyStored {
            var checked: Set<String> = []
            var files = 0
            var bytes: UInt64 = 0
            for job in planned {
                if !job.uploadArtifact, checked.insert("artifact/" + job.artifact).inserted {
                    let read = try await verifyContents(prefix: context.layout.artifactPrefix(job: job.job, digest: job.artifact), digest: job.artifact,
                                                        what: "artifact \(job.job) \(job.artifact.prefix(12))")
                    files += read.files
                    bytes += read.bytes
                }
                if job.uploadDependencies == false, let digest = job.dependencies, checked.insert("dependencies/" + digest).inserted {
                    let read = try await verifyContents(prefix: context.layout.dependencyPrefix(digest: digest), digest: digest,
                                                        what: "dependency bundle \(digest.prefix(12))")
                    files += read.files
                    bytes += read.bytes
                }
            }
            context.log("verified \(files) stored file(s), \(bytes) bytes, against their SHA256SUMS")
        }
        var deletions: [JobPlan] = []
        for gone in removed {
            let live = try await context.engine.liveDefinition(name: gone.name, recorded: gone.definition.engineDefinition)
            deletions.append(JobPlan(job: gone.job, engineName: gone.name, artifact: gone.digest, uploadArtifact: false, action: .delete, changes: [],
                                     desired: gone.definition, live: live))
        }
        let jobs = planned + deletions
        if case .record(let record) = desired, let missing = jobs.first(where: \.uploadArtifact) {
            throw DeployError("deployment \(record.id) used artifact \(missing.artifact) of \(missing.job), which is no longer in \(context.store.location): it cannot be restored")
        }
        if case .record(let record) = desired, let missing = jobs.first(where: { $0.uploadDependencies == true }) {
            throw DeployError("deployment \(record.id) used dependency bundle \(missing.dependencies ?? "?") of \(missing.job), which is no longer in \(context.store.location): it cannot be restored")
        }
        var rollbackOf: String?
        if case .record(let record) = desired { rollbackOf = record.id }
        // Planned from what exists, not only from the record: when the jobs already match but the
        // record does not, an earlier apply stopped before recording, and this one records.
        let plan = Plan(project: manifest.project, target: target.name, engine: target.engine.rawValue, jobs: jobs, latestDeployment: latest?.id,
                        liveFingerprint: Plan.fingerprint(jobs, latest: latest?.id), rollbackOf: rollbackOf,
                        recordBehind: Plan.record(latest, matches: jobs, selected: selection != nil) || jobs.contains(where: { $0.action != .unchanged || $0.uploadArtifact || $0.uploadDependencies == true }) ? nil : true,
                        selected: selection)
        var withLock = plan
        withLock.lock = try await lockState(latest: latest)
        return (withLock, artifacts, bundles)
    }

    // MARK: Apply

    /// How an apply, rollback or destroy goes about it.
    public struct ApplyOptions: Sendable {
        /// The lease's length in seconds (renewed every third of it); default 15 minutes.
        public var lockTTL: TimeInterval = 900
        /// Who the lock names as holder (the CI run's URL, or `user@host`).
        public var owner: String = Identity.owner()
        /// Where artifacts are built; `nil`: each job's default build folder.
        public var buildDirectory: String?
        /// `--select`: only these jobs.
        public var select: [String]?
        /// How long releasing the lock may take in all (then it is reported, and the next
        /// apply removes the lock once its deployment is recorded).
        public var releaseLimit: Duration = Deployer.releaseLimit
        /// Told each upload's file name, bytes sent and total bytes.
        public var progress: (@Sendable (String, UInt64, UInt64) -> Void)?
        /// The defaults.
        public init() {}
    }

    /// What an apply or rollback did.
    public struct ApplyResult: Sendable {
        /// The plan carried out (re-read under the lock).
        public var plan: Plan
        /// `nil` when there was nothing to do (and nothing was written).
        public var record: DeploymentRecord?
        /// The expired lease taken over, if the lock was stale.
        public var tookOverLock: LeaseLock.Lease?
        /// The lock of a finished apply that this one removed.
        public var removedLock: LockState? = nil
        /// Why releasing the lock failed after the record was written: the deployment is done
        /// and recorded, and the next plan shows the lock, which the next apply removes.
        public var releaseFailure: String? = nil
    }

    /// Deploys the manifest (or, for a saved rollback plan, its deployment) under the lock:
    /// dependencies and artifacts uploaded, removed jobs deleted, jobs created or updated, a
    /// deployment record written. A `saved` plan is refused when the live state or sources
    /// moved since; a failure part-way throws `DeployFailure`.
    public func apply(saved: Plan? = nil, options: ApplyOptions = ApplyOptions()) async throws -> ApplyResult {
        try await apply(desired: saved?.rollbackOf != nil ? .record(try await context.record(saved?.rollbackOf ?? "")) : .manifest, saved: saved, options: options)
    }

    /// Applies deployment `id` again: its artifacts and definitions become the desired state.
    public func rollback(to id: String, options: ApplyOptions = ApplyOptions()) async throws -> ApplyResult {
        let record = try await context.record(id)
        return try await apply(desired: .record(record), saved: nil, options: options)
    }

    func apply(desired: Desired, saved: Plan?, options: ApplyOptions) async throws -> ApplyResult {
        try await context.verifyAccount()
        var (plan, artifacts, bundles) = try await plan(desired: desired, buildRoot: options.buildDirectory, select: options.select)
        if let saved {
            guard saved.project == plan.project, saved.target == plan.target else {
                throw DeployError("the saved plan is for \(saved.project)/\(saved.target), not \(plan.project)/\(plan.target)")
            }
            guard saved.liveFingerprint == plan.liveFingerprint, saved.jobs.map(\.desired) == plan.jobs.map(\.desired) else {
                throw DeployError("the live state or the sources changed since the plan was saved: run 'deployer plan -t \(target.name)' again")
            }
        }
        // A lock whose apply recorded the latest deployment is left over: removed first, so it
        // neither blocks this apply nor waits out its lease.
        var removedLock: LockState?
        if let leftover = plan.lock, leftover.finishedDeployment != nil {
            if try await removeFinishedLock(leftover) { removedLock = leftover }
            plan.lock = nil
        }
        guard plan.hasChanges else {
            // Nothing to deploy, but leftovers of an earlier apply that died after an upload
            // completed are provably redundant: abort them (safe without the lock).
            await abortLeftoverUploads(olderThan: nil)
            return ApplyResult(plan: plan, record: nil, tookOverLock: nil, removedLock: removedLock)
        }

        let by = try await context.callerIdentity() ?? options.owner
        let (lock, handle) = try await takeLock(by: by, options: options)
        if let stale = handle.tookOver {
            context.log("took over the expired lock \(stale.id) of \(stale.owner)")
        }
        context.log("locked \(target.name) (lock \(handle.lease.id))")
        let keeper = LeaseKeeper(lock: lock, handle: handle)
        await keeper.start(every: .seconds(max(1, Int(options.lockTTL / 3))))
        let progress = ApplyProgress()
        do {
            // Re-read under the lock: another deploy may have finished while we waited.
            let recheck = try await self.plan(desired: desired, buildRoot: options.buildDirectory, select: options.select)
            guard recheck.plan.liveFingerprint == plan.liveFingerprint else {
                throw DeployError("target \(target.name) changed while acquiring the lock (another deploy finished): run 'deployer plan -t \(target.name)' again")
            }
            plan = recheck.plan
            plan.lock = nil
            artifacts = recheck.artifacts.isEmpty ? artifacts : recheck.artifacts
            bundles = recheck.bundles.isEmpty ? bundles : recheck.bundles
            // Uploads an interrupted apply left behind (older than any live lease) are aborted.
            await abortLeftoverUploads(olderThan: options.lockTTL)
            // Dependencies first: a job's artifact never lands without what it imports.
            var uploadedBundles: Set<String> = []
            for job in plan.jobs where job.uploadDependencies == true {
                guard let bundle = bundles[job.job], !uploadedBundles.contains(bundle.digest) else { continue }
                uploadedBundles.insert(bundle.digest)
                try await upload(prefix: context.layout.dependencyPrefix(digest: bundle.digest), directory: bundle.directory, names: bundle.files.map(\.name),
                                 options: options, keeper: keeper, progress: progress)
                progress.note("uploaded dependencies \(job.job) \(bundle.digest.prefix(12))")
            }
            for job in plan.jobs where job.uploadArtifact {
                guard let artifact = artifacts[job.job] else { continue }
                try await upload(artifact, options: options, keeper: keeper, progress: progress)
                progress.note("uploaded artifact \(job.job) \(job.artifact.prefix(12))")
            }
            for job in plan.jobs where job.action == .delete {
                try await keeper.check()
                try Task.checkCancellation()
                context.log("deleting job \(job.engineName) (removed from the manifest)")
                try await automation.delete(name: job.engineName, log: context.log)
                do {
                    try await context.engine.delete(name: job.engineName)
                } catch let error as AWSError where error.isNotFound {
                    context.log("job \(job.engineName) was already gone")
                }
                progress.note("deleted job \(job.engineName)")
            }
            for job in plan.jobs where job.action == .create || job.action == .update {
                try await keeper.check()
                try Task.checkCancellation()
                let desired = Automation.split(job.desired)
                let live = Automation.split(job.live)
                // The schedule and alerts are not the engine's: a change to them alone does not
                // touch the job definition.
                if job.live == nil || desired.engine != live.engine {
                    context.log("\(job.action == .create ? "creating" : "updating") job \(job.engineName)")
                    try await context.engine.apply(name: job.engineName, desired: desired.engine ?? job.desired, live: live.engine)
                }
                try await automation.apply(name: job.engineName, desired: desired.automation, live: live.automation, log: context.log)
                progress.note("\(job.action == .create ? "created" : "updated") job \(job.engineName)")
            }
            try await keeper.check()
            try Task.checkCancellation()
            let record = try await writeRecord(plan: plan, by: by, options: options, rollbackOf: plan.rollbackOf, destroyed: nil, lockId: handle.lease.id)
            progress.recorded = true
            // The deployment is done and recorded: a release that fails now does not undo it.
            var releaseFailure: String?
            do {
                try await Self.release(keeper, within: options.releaseLimit)
                context.log("released lock \(handle.lease.id)")
            } catch {
                releaseFailure = "deployment \(record.id) is recorded, but lock \(handle.lease.id) was not released (\(error)): the next 'deployer plan -t \(target.name)' shows it and the next apply removes it"
            }
            return ApplyResult(plan: plan, record: record, tookOverLock: handle.tookOver, removedLock: removedLock, releaseFailure: releaseFailure)
        } catch {
            throw await failed(error, progress: progress, keeper: keeper, lockId: handle.lease.id, releaseLimit: options.releaseLimit)
        }
    }

    /// Aborts incomplete multipart uploads an earlier apply left under the artifacts prefix:
    /// those whose key is already complete and, under the lock, those older than the lease.
    /// Housekeeping: a failure (a role without s3:ListBucketMultipartUploads, say) is logged and
    /// the apply goes on.
    func abortLeftoverUploads(olderThan lease: TimeInterval?) async {
        for folder in ["artifacts/", "dependencies/"] {
            await abortLeftoverUploads(prefix: context.layout.join(folder), olderThan: lease)
        }
    }

    func abortLeftoverUploads(prefix: String, olderThan lease: TimeInterval?) async {
        do {
            if let lease {
                for aborted in try await context.store.abortIncompleteUploads(prefix: prefix, olderThan: lease, now: context.now()) {
                    context.log("aborted an incomplete upload of \(context.store.url(aborted)) left by an interrupted apply")
                }
            }
            for aborted in try await context.store.abortRedundantUploads(prefix: prefix) {
                context.log("aborted a leftover incomplete upload of \(context.store.url(aborted)) (its object is complete)")
            }
        } catch is CancellationError {
            return
        } catch {
            // Only a refusal is about the role: a throttle or a lost answer is not.
            let hint = AccessAdvice.accessDenied(in: error) != nil ? "; the deploy role needs s3:ListBucketMultipartUploads and s3:AbortMultipartUpload" : "; the next apply checks again"
            context.log("warning: could not check for incomplete uploads under \(context.store.url(prefix)) (\(error))\(hint)")
        }
    }

    /// Removes the lock if it holds lease `id`; true when no lease of ours is left.
    static func removeIfOurs(lock: LeaseLock, id: String) async throws -> Bool {
        guard let (found, etag) = try await lock.current() else { return true }
        guard found?.id == id else { return true }
        try await lock.store.delete(lock.key, ifMatch: etag)
        return true
    }

    /// Releases the lock whatever happened (also when the task was cancelled by Ctrl-C or SIGTERM)
    /// and says in one line what was and was not done, so the user knows the next apply converges.
    func failed(_ error: any Error, progress: ApplyProgress, keeper: LeaseKeeper, lockId: String, releaseLimit: Duration = Deployer.releaseLimit) async -> DeployFailure {
        let interrupted = error is CancellationError || Task.isCancelled
        var released = true
        do {
            try await Self.release(keeper, within: releaseLimit)
        } catch {
            released = false
        }
        var parts: [String] = []
        let done = progress.done
        let files = progress.uploadedFiles
        if done.isEmpty {
            // Files of an unfinished set are content-addressed: the next apply keeps them.
            parts.append(files == 0 ? "nothing was changed" : "\(files) file\(files == 1 ? "" : "s") of an unfinished upload stored (content-addressed: the next apply keeps them); nothing else was changed")
        } else {
            parts.append("done before it: " + done.joined(separator: ", "))
        }
        if !progress.recorded { parts.append("no deployment record was written") } else { parts.append("the deployment record was written") }
        if released {
            parts.append("lock \(lockId) released")
        } else if progress.recorded {
            parts.append("lock \(lockId) may still be held; the next apply removes it (its deployment is recorded)")
        } else {
            parts.append("lock \(lockId) may still be held: 'deployer apply -t \(target.name) --force-unlock \(lockId)'")
        }
        // A fault passes; a refusal (bad input, permissions, an API that does not exist) does not.
        let transient: Bool
        switch error {
        case let failure as AWSError: transient = failure.isTransport || failure.isThrottling || (failure.status >= 500 && failure.status != 501)
        default: transient = interrupted
        }
        parts.append(transient ? "the next 'deployer apply -t \(target.name)' converges" : "'deployer apply -t \(target.name)' resumes from here once the cause is fixed")
        let cause = interrupted ? "interrupted" : "\(error)"
        return DeployFailure(cause: cause, underlying: error, interrupted: interrupted, summary: parts.joined(separator: "; "))
    }

    func upload(_ artifact: Artifact, options: ApplyOptions, keeper: LeaseKeeper, progress: ApplyProgress? = nil) async throws {
        try await upload(prefix: context.layout.artifactPrefix(job: artifact.job, digest: artifact.digest), directory: artifact.directory,
                         names: Artifact.fileNames, options: options, keeper: keeper, progress: progress)
    }

    /// Uploads content-addressed files in order, each only if absent; `names` ends with
    /// SHA256SUMS, whose presence marks the whole set complete.
    func upload(prefix: String, directory: String, names: [String], options: ApplyOptions, keeper: LeaseKeeper, progress: ApplyProgress? = nil) async throws {
        for name in names {
            try await keeper.check()
            try Task.checkCancellation()
            let key = prefix + "/" + name
            do {
                try await context.store.putFile(key, path: directory + "/" + name, condition: .ifAbsent) { done, total in
                    options.progress?(name, done, total)
                }
                context.log("uploaded \(context.store.url(key))")
                progress?.uploadedFile()
            } catch is PreconditionFailed {
                // Content-addressed: an existing key already holds these exact bytes (or our own
                // earlier attempt, whose answer was lost, wrote them).
                context.log("kept \(context.store.url(key)) (already there)")
            }
        }
    }

    /// Reads back a stored bundle's SHA256SUMS (its hash is the digest) and each file's size.
    func verifyStoredBundle(_ bundle: DependencyBundle) async throws {
        let prefix = context.layout.dependencyPrefix(digest: bundle.digest)
        let damaged = "is damaged: delete \(context.store.url(prefix))/ (content-addressed keys are never rewritten in place) and run 'deployer apply -t \(target.name)' to upload it again"
        guard let (sums, _) = try await context.store.get(prefix + "/SHA256SUMS") else { return }
        guard PayloadHash.hex(sums) == bundle.digest else {
            throw DeployError("dependency bundle \(context.store.url(prefix)): SHA256SUMS does not hash to its digest, so the bundle \(damaged)")
        }
        for file in bundle.files where file.name != "SHA256SUMS" {
            let stored = try await context.store.head(prefix + "/" + file.name)
            guard let stored, stored.size == file.size else {
                throw DeployError("dependency bundle \(context.store.url(prefix + "/" + file.name)) is \(stored.map { "\($0.size) bytes, not \(file.size)" } ?? "missing"): the bundle \(damaged)")
            }
        }
    }

    /// Reads every file of a stored content-addressed set (an artifact or a bundle) back and
    /// checks it against the set's SHA256SUMS, whose own hash is the digest. Catches what a size
    /// check cannot: an object overwritten in place with other bytes of the same length.
    func verifyContents(prefix: String, digest: String, what: String) async throws -> (files: Int, bytes: UInt64) {
        let damaged = "delete \(context.store.url(prefix))/ (content-addressed keys are never rewritten in place) and run 'deployer apply -t \(target.name)' to upload it again"
        guard let (sums, _) = try await context.store.get(prefix + "/SHA256SUMS") else {
            throw DeployError("\(what): \(context.store.url(prefix + "/SHA256SUMS")) is missing: \(damaged)")
        }
        guard PayloadHash.hex(sums) == digest else {
            throw DeployError("\(what): SHA256SUMS does not hash to the digest: \(damaged)")
        }
        guard let entries = SHA256Sums.entries(sums) else {
            throw DeployError("\(what): SHA256SUMS has a line that is not 'HASH  NAME': \(damaged)")
        }
        var bytes = UInt64(sums.count)
        for (name, expected) in entries {
            let key = prefix + "/" + name
            guard let stored = try await context.store.contentHash(key) else {
                throw DeployError("\(what): \(context.store.url(key)) is missing: \(damaged)")
            }
            guard stored.sha256 == expected else {
                throw DeployError("\(what): \(context.store.url(key)) does not match its SHA256SUMS (stored bytes hash to \(stored.sha256.prefix(12))…, expected \(expected.prefix(12))…): \(damaged)")
            }
            bytes += stored.size
        }
        return (entries.count + 1, bytes)
    }

    func writeRecord(plan: Plan, by: String, options: ApplyOptions, rollbackOf: String?, destroyed: Bool?, lockId: String?) async throws -> DeploymentRecord {
        let now = Date()
        var artifacts: [String: String] = [:]
        var names: [String: String] = [:]
        var definitions: [String: JSONValue] = [:]
        if destroyed != true {
            // With --select the other jobs keep what the last deployment recorded.
            if plan.selected != nil, let latest = try await context.latestRecord(), latest.destroyed != true {
                artifacts = latest.artifacts
                names = latest.jobNames
                definitions = latest.definitions
            }
            for job in plan.jobs {
                if job.action == .delete {
                    artifacts.removeValue(forKey: job.job)
                    names.removeValue(forKey: job.job)
                    definitions.removeValue(forKey: job.job)
                    continue
                }
                artifacts[job.job] = job.artifact
                names[job.job] = job.engineName
                definitions[job.job] = job.desired
            }
        }
        let protected = manifest.jobs.filter { $0.preventDestroy && names[$0.name] != nil }.map(\.name).sorted()
        let digest = artifacts.values.sorted().joined()
        let record = DeploymentRecord(id: DeploymentRecord.newId(at: now, digest: PayloadHashHex.of(digest + plan.liveFingerprint)), project: manifest.project,
                                      target: target.name, engine: target.engine.rawValue, at: now, by: by,
                                      gitCommit: Identity.gitCommit(directory: manifest.directory, environment: context.environment),
                                      artifacts: artifacts, jobNames: names, definitions: definitions, previous: plan.latestDeployment,
                                      rollbackOf: rollbackOf, destroyed: destroyed, protected: protected.isEmpty ? nil : protected, lock: lockId)
        let bytes = Array(try JSONEncoder.pretty.encode(record))
        let key = context.layout.deploymentKey(record.id)
        do {
            try await context.store.put(key, bytes: bytes, contentType: "application/json", condition: .ifAbsent)
        } catch is PreconditionFailed {
            // A retried write meets its own first attempt, whose answer was lost: same bytes, done.
            guard let (existing, _) = try await context.store.get(key), existing == bytes else {
                throw DeployError("\(context.store.url(key)) already holds another deployment record: run 'deployer apply -t \(target.name)' again")
            }
        }
        try await context.store.put(context.layout.latestKey, bytes: bytes, contentType: "application/json", condition: .always)
        context.log("recorded deployment \(record.id)")
        return record
    }

    // MARK: Destroy

    /// Deletes the engine-side job definitions of the last deployment (never artifacts or buckets).
    public func destroy(options: ApplyOptions = ApplyOptions()) async throws -> DeploymentRecord? {
        try await context.verifyAccount()
        guard let latest = try await context.latestRecord(), latest.destroyed != true else { return nil }
        let protected = Set(latest.protected ?? []).union(manifest.jobs.filter(\.preventDestroy).map(\.name)).intersection(latest.jobNames.keys)
        guard protected.isEmpty else {
            throw DeployError("refusing to destroy target \(target.name): job\(protected.count == 1 ? "" : "s") \(protected.sorted().joined(separator: ", ")) \(protected.count == 1 ? "is" : "are") protected (prevent_destroy: true); set prevent_destroy: false and apply first")
        }
        if let leftover = try await lockState(latest: latest), leftover.finishedDeployment != nil {
            _ = try await removeFinishedLock(leftover)
        }
        let by = try await context.callerIdentity() ?? options.owner
        let (lock, handle) = try await takeLock(by: by, options: options)
        context.log("locked \(target.name) (lock \(handle.lease.id))")
        let keeper = LeaseKeeper(lock: lock, handle: handle)
        await keeper.start(every: .seconds(max(1, Int(options.lockTTL / 3))))
        let progress = ApplyProgress()
        do {
            for (job, name) in latest.jobNames.sorted(by: { $0.key < $1.key }) {
                try await keeper.check()
                try Task.checkCancellation()
                do {
                    try await automation.delete(name: name, log: context.log)
                    try await context.engine.delete(name: name)
                    context.log("deleted job \(name) (\(job))")
                } catch let error as AWSError where error.isNotFound {
                    context.log("job \(name) was already gone")
                }
                progress.note("deleted job \(name)")
            }
            let plan = Plan(project: manifest.project, target: target.name, engine: target.engine.rawValue, jobs: [], latestDeployment: latest.id,
                            liveFingerprint: "", rollbackOf: nil)
            let record = try await writeRecord(plan: plan, by: by, options: options, rollbackOf: nil, destroyed: true, lockId: handle.lease.id)
            progress.recorded = true
            do {
                try await Self.release(keeper, within: options.releaseLimit)
            } catch {
                context.log("warning: target \(target.name) is destroyed and recorded (deployment \(record.id)), but lock \(handle.lease.id) was not released (\(error)): the next apply removes it")
            }
            return record
        } catch {
            throw await failed(error, progress: progress, keeper: keeper, lockId: handle.lease.id, releaseLimit: options.releaseLimit)
        }
    }

    /// Removes the target's lock if it holds lease `id` (`ANY`: whatever is there); returns
    /// the lease removed, `nil` when there was no lock.
    public func forceUnlock(id: String) async throws -> LeaseLock.Lease? {
        try await LeaseLock(store: context.store, key: context.layout.lockKey, target: target.name, ttl: 0).forceUnlock(id: id)
    }
}

/// What an apply (or destroy) has done so far, for the message when it stops early.
final class ApplyProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var steps: [String] = []
    private var wrote = false
    private var files = 0
    func note(_ step: String) { lock.withLock { steps.append(step) } }
    /// One more file stored by this apply.
    func uploadedFile() { lock.withLock { files += 1 } }
    var uploadedFiles: Int { lock.withLock { files } }
    var done: [String] { lock.withLock { steps } }
    var recorded: Bool {
        get { lock.withLock { wrote } }
        set { lock.withLock { wrote = newValue } }
    }
}

/// An apply, rollback or destroy that stopped part-way: the cause, then what was done and what
/// the next command does (one line).
public struct DeployFailure: Error, CustomStringConvertible, Sendable {
    /// What stopped it (`interrupted`, or the error).
    public let cause: String
    /// The error that stopped it.
    public let underlying: any Error
    /// Stopped by Ctrl-C or SIGTERM (task cancellation), not by a failure.
    public let interrupted: Bool
    /// What was and was not done, and what the next command does.
    public let summary: String
    /// `CAUSE (SUMMARY)`.
    public var description: String { "\(cause) (\(summary))" }
}

enum PayloadHashHex {
    static func of(_ text: String) -> String {
        PayloadHash.hex(Array(text.utf8))
    }

    static func of(bytes: [UInt8]) -> String {
        PayloadHash.hex(bytes)
    }
}
