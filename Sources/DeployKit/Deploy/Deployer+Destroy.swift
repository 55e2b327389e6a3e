import AWSCore
import Foundation
import SigV4

/// Destroy: the engine-side jobs of the last deployment, under the lock.
extension Deployer {
    /// Deletes the engine-side job definitions of the last deployment (never artifacts or buckets).
    public func destroy(options: ApplyOptions = ApplyOptions()) async throws -> DeploymentRecord? {
        try await context.verifyAccount()
        guard let latest = try await context.liveRecord() else { return nil }
        let protectedPipelines = (latest.pipelines ?? [:]).filter { $0.value.protected == true || manifest.pipeline($0.key)?.preventDestroy == true }.keys
        let protected = Set(latest.protected ?? []).union(manifest.jobs.filter(\.preventDestroy).map(\.name)).intersection(latest.jobNames.keys).union(
            protectedPipelines)
        guard protected.isEmpty else {
            throw DeployError(
                "refusing to destroy target \(target.name): job\(protected.count == 1 ? "" : "s") \(protected.sorted().joined(separator: ", ")) \(protected.count == 1 ? "is" : "are") protected (prevent_destroy: true); set prevent_destroy: false and apply first"
            )
        }
        if let leftover = try await lockState(latest: latest), leftover.finishedDeployment != nil {
            _ = try await removeFinishedLock(leftover)
        }
        let by = try await context.callerIdentity() ?? options.owner
        let (lock, handle) = try await takeLock(by: by, options: options)
        context.log("locked \(target.deploymentName) (lock \(handle.lease.id))")
        let keeper = LeaseKeeper(lock: lock, handle: handle)
        await keeper.start(every: .seconds(max(1, Int(options.lockTTL / 3))))
        let progress = ApplyProgress()
        do {
            try await destroyPipelines(latest, keeper: keeper, progress: progress)
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
            let plan = Plan(
                project: manifest.project, target: target.name, engine: target.engine.rawValue, jobs: [], latestDeployment: latest.id,
                liveFingerprint: "", rollbackOf: nil)
            let record = try await writeRecord(
                plan: plan, by: by, options: options, rollbackOf: nil, destroyed: true, lockId: handle.lease.id, progress: progress)
            progress.recorded = true
            do {
                try await Self.release(keeper, within: options.releaseLimit)
            } catch {
                context.log(
                    "warning: target \(target.name) is destroyed and recorded (deployment \(record.id)), but lock \(handle.lease.id) was not released (\(error)): the next apply removes it"
                )
            }
            return record
        } catch {
            throw await failed(error, progress: progress, keeper: keeper, lockId: handle.lease.id, releaseLimit: options.releaseLimit)
        }
    }

    /// Removes the target's lock if it holds lease `id` (`ANY`: whatever is there); returns
    /// the lease removed, `nil` when there was no lock.
    public func forceUnlock(id: String) async throws -> LeaseLock.Lease? {
        try await LeaseLock(store: context.store, key: context.layout.lockKey, target: target.deploymentName, ttl: 0).forceUnlock(id: id)
    }
}
