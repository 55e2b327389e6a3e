import AWSCore
import Foundation
import SigV4

/// Apply and rollback: the lock, uploads, job changes and the record, in that order.
extension Deployer {
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
        try await apply(
            desired: saved?.rollbackOf != nil ? .record(try await context.record(saved?.rollbackOf ?? "")) : .manifest, saved: saved, options: options)
    }

    /// Applies deployment `id` again: its artifacts and definitions become the desired state.
    public func rollback(to id: String, options: ApplyOptions = ApplyOptions()) async throws -> ApplyResult {
        let record = try await context.record(id)
        return try await apply(desired: .record(record), saved: nil, options: options)
    }

    func apply(desired: Desired, saved: Plan?, options: ApplyOptions) async throws -> ApplyResult {
        try await context.verifyAccount()
        var (plan, artifacts, bundles, image) = try await plan(desired: desired, buildRoot: options.buildDirectory, select: options.select)
        if let saved {
            guard saved.project == plan.project, saved.target == plan.target else {
                throw DeployError("the saved plan is for \(saved.project)/\(saved.target), not \(plan.project)/\(plan.target)")
            }
            guard saved.liveFingerprint == plan.liveFingerprint, saved.jobs.map(\.desired) == plan.jobs.map(\.desired),
                (saved.pipelines ?? []).map(\.desired) == (plan.pipelines ?? []).map(\.desired), saved.image?.tag == plan.image?.tag
            else {
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
        context.log("locked \(target.deploymentName) (lock \(handle.lease.id))")
        let keeper = LeaseKeeper(lock: lock, handle: handle)
        await keeper.start(every: .seconds(max(1, Int(options.lockTTL / 3))))
        let progress = ApplyProgress()
        do {
            // Re-read under the lock: another deploy may have finished while we waited.
            let recheck = try await self.plan(desired: desired, buildRoot: options.buildDirectory, select: options.select)
            guard recheck.plan.liveFingerprint == plan.liveFingerprint else {
                throw DeployError(
                    "target \(target.name) changed while acquiring the lock (another deploy finished): run 'deployer plan -t \(target.name)' again")
            }
            plan = recheck.plan
            plan.lock = nil
            artifacts = recheck.artifacts.isEmpty ? artifacts : recheck.artifacts
            bundles = recheck.bundles.isEmpty ? bundles : recheck.bundles
            image = recheck.image ?? image
            // Uploads an interrupted apply left behind (older than any live lease) are aborted.
            await abortLeftoverUploads(olderThan: options.lockTTL)
            // Dependencies first: a job's artifact never lands without what it imports.
            var uploadedBundles: Set<String> = []
            for job in plan.jobs where job.uploadDependencies == true {
                guard let bundle = bundles[job.job], !uploadedBundles.contains(bundle.digest) else { continue }
                uploadedBundles.insert(bundle.digest)
                try await upload(
                    prefix: context.layout.dependencyPrefix(digest: bundle.digest), directory: bundle.directory, names: bundle.files.map(\.name),
                    options: options, keeper: keeper, progress: progress)
                progress.note("uploaded dependencies \(job.job) \(bundle.digest.prefix(12))")
            }
            for job in plan.jobs where job.uploadArtifact {
                guard let artifact = artifacts[job.job] else { continue }
                try await upload(artifact, options: options, keeper: keeper, progress: progress)
                progress.note("uploaded artifact \(job.job) \(job.artifact.prefix(12))")
            }
            // Before the jobs: their templates name packages the new image holds.
            try await applyImage(&plan, image: image, options: options, keeper: keeper, progress: progress)
            try await deletePipelines(plan, keeper: keeper, progress: progress)
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
            try await applyPipelines(plan, keeper: keeper, progress: progress)
            try await keeper.check()
            try Task.checkCancellation()
            let record = try await writeRecord(
                plan: plan, by: by, options: options, rollbackOf: plan.rollbackOf, destroyed: nil, lockId: handle.lease.id, progress: progress)
            progress.recorded = true
            // The deployment is done and recorded: a release that fails now does not undo it.
            var releaseFailure: String?
            do {
                try await Self.release(keeper, within: options.releaseLimit)
                context.log("released lock \(handle.lease.id)")
            } catch {
                releaseFailure =
                    "deployment \(record.id) is recorded, but lock \(handle.lease.id) was not released (\(error)): the next 'deployer plan -t \(target.name)' shows it and the next apply removes it"
            }
            return ApplyResult(plan: plan, record: record, tookOverLock: handle.tookOver, removedLock: removedLock, releaseFailure: releaseFailure)
        } catch {
            throw await failed(error, progress: progress, keeper: keeper, lockId: handle.lease.id, releaseLimit: options.releaseLimit)
        }
    }

    /// Releases the lock whatever happened (also when the task was cancelled by Ctrl-C or SIGTERM)
    /// and says in one line what was and was not done, so the user knows the next apply converges.
    func failed(_ error: any Error, progress: ApplyProgress, keeper: LeaseKeeper, lockId: String, releaseLimit: Duration = Deployer.releaseLimit) async
        -> DeployFailure
    {
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
            parts.append(
                files == 0
                    ? "nothing was changed"
                    : "\(files) file\(files == 1 ? "" : "s") of an unfinished upload stored (content-addressed: the next apply keeps them); nothing else was changed"
            )
        } else {
            parts.append("done before it: " + done.joined(separator: ", "))
        }
        if progress.recorded {
            parts.append("the deployment record was written")
        } else if let file = progress.recordFile {
            parts.append("the deployment record \(file) was written but latest.json was not updated")
        } else {
            parts.append("no deployment record was written")
        }
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
        parts.append(
            transient ? "the next 'deployer apply -t \(target.name)' converges" : "'deployer apply -t \(target.name)' resumes from here once the cause is fixed"
        )
        let cause = interrupted ? "interrupted" : "\(error)"
        return DeployFailure(cause: cause, underlying: error, interrupted: interrupted, summary: parts.joined(separator: "; "))
    }
}
