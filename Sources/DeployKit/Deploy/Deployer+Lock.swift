import AWSCore
import Foundation

/// The deploy lock as part of live state: a lock whose lease wrote the latest deployment record
/// belongs to an apply that finished and only failed to release it (a hung or lost DELETE).
/// Plan shows it and apply removes it, so it never blocks the next change for a lease's length.
extension Deployer {
    /// Removes the lock if it holds lease `id`; true when no lease of ours is left.
    static func removeIfOurs(lock: LeaseLock, id: String) async throws -> Bool {
        guard let (found, etag) = try await lock.current() else { return true }
        guard found?.id == id else { return true }
        try await lock.store.delete(lock.key, ifMatch: etag)
        return true
    }

    /// How long releasing the lock may take in all: a release that does not finish in time is
    /// reported, and the next apply removes the lock once its deployment is recorded.
    static let releaseLimit: Duration = .seconds(20)

    /// The lock now on the target, if any, and whether the latest record proves its apply finished.
    func lockState(latest: DeploymentRecord?) async throws -> LockState? {
        let lock = LeaseLock(store: context.store, key: context.layout.lockKey, target: target.deploymentName, ttl: 0)
        guard let (found, _) = try await lock.current() else { return nil }
        guard let lease = found else {
            return LockState(id: "?", owner: "?", expiresAt: nil, finishedDeployment: nil)
        }
        let finished = latest.flatMap { $0.lock == lease.id ? $0.id : nil }
        return LockState(id: lease.id, owner: lease.owner, expiresAt: lease.expiresAt, finishedDeployment: finished)
    }

    /// Removes the lock that `state` names when it is still that lease (compare-and-delete on
    /// its ETag); returns whether it is gone.
    func removeFinishedLock(_ state: LockState) async throws -> Bool {
        guard state.finishedDeployment != nil else { return false }
        let lock = LeaseLock(store: context.store, key: context.layout.lockKey, target: target.deploymentName, ttl: 0)
        let removed = try await Self.removeIfOurs(lock: lock, id: state.id)
        if removed {
            context.log("removed lock \(state.id) of \(state.owner): its apply recorded deployment \(state.finishedDeployment ?? "?") and could not release it")
        }
        return removed
    }

    /// Takes the target's lock for apply, rollback and destroy. The lease names the caller's
    /// identity (as the record's `by` does) and where it runs. A write whose every answer was
    /// lost is looked at once more and removed if it is ours; a refusal (403, refused
    /// credentials) wrote nothing, so it is reported as itself, with no lock advice.
    func takeLock(by: String, options: ApplyOptions) async throws -> (LeaseLock, LeaseLock.Handle) {
        let lock = LeaseLock(store: context.store, key: context.layout.lockKey, target: target.deploymentName, ttl: options.lockTTL)
        let owner = by == options.owner ? by : "\(by) (\(options.owner))"
        do {
            return (lock, try await lock.acquire(owner: owner))
        } catch let uncertain as LeaseLock.LockUncertain {
            if AccessAdvice.accessDenied(in: uncertain.underlying) != nil || AccessAdvice.credentialProblem(in: uncertain.underlying) != nil {
                throw uncertain.underlying
            }
            // Our lease may be there with its answer lost: one more careful look, then remove it
            // if it is ours (outside a cancelled task), else name it.
            let released =
                (try? await Uncancelled.run({
                    try await Self.retryingFaults(within: options.releaseLimit, what: "removing the lease") {
                        try await Self.removeIfOurs(lock: lock, id: uncertain.lease.id)
                    }
                })) ?? false
            if uncertain.underlying is CancellationError || Task.isCancelled {
                throw DeployFailure(
                    cause: "interrupted", underlying: CancellationError(), interrupted: true,
                    summary: "nothing was changed; "
                        + (released
                            ? "lock \(uncertain.lease.id) released (or never taken)"
                            : "lock \(uncertain.lease.id) may have been taken: 'deployer apply -t \(target.name) --force-unlock \(uncertain.lease.id)'")
                        + "; the next 'deployer apply -t \(target.name)' converges")
            }
            if released {
                throw DeployError("could not take the lock of target \(target.name): \(uncertain.underlying); nothing was changed and no lock is left")
            }
            throw uncertain
        }
    }

    /// Releases the lease in a task that Ctrl-C does not cancel, within `limit`.
    static func release(_ keeper: LeaseKeeper, within limit: Duration) async throws {
        try await Uncancelled.run {
            try await retryingFaults(within: limit, what: "releasing the lock") { try await keeper.stopAndRelease() }
        }
    }

    /// Runs `body` again after each fault (5xx, throttle, lost or cut answer) until it succeeds
    /// or `limit` passes. A lock left behind blocks every other deploy of the target for its
    /// lease, so releasing it (or removing a lease whose write may have landed) is worth more
    /// tries than one call's own five: a soak round at 50% injected errors used those up, and
    /// another at 50% cut answers left the lease of an apply that could not read the lock back.
    static func retryingFaults<T: Sendable>(within limit: Duration, what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withTimeLimit(limit, what: what) {
            var pause = Duration.milliseconds(250)
            while true {
                do {
                    return try await body()
                } catch let error as AWSError where error.isTransport || error.isThrottling || (error.status >= 500 && error.status != 501) {
                    try await Task.sleep(for: pause)
                    pause = min(pause * 2, .seconds(2))
                }
            }
        }
    }
}

/// A lock found on the target when planning.
public struct LockState: Codable, Sendable, Equatable {
    /// The lease's id (`?` when the object is not a lease).
    public var id: String
    /// Who took it.
    public var owner: String
    /// When it may be taken over.
    public var expiresAt: Date?
    /// The deployment its apply recorded: that apply finished and only the release failed, so
    /// the lock is provably left over and apply removes it. `nil`: a lock of an apply that may
    /// still be working.
    public var finishedDeployment: String?
}

/// The time limit passed before `body` finished.
public struct TimeLimitExceeded: Error, CustomStringConvertible, Sendable {
    /// What was being done.
    public let what: String
    /// The limit.
    public let limit: Duration
    /// `releasing the lock did not finish within 20 seconds`.
    public var description: String { "\(what) did not finish within \(limit)" }
}

/// Runs `body`, cancelling it and throwing `TimeLimitExceeded` when `limit` passes first.
func withTimeLimit<T: Sendable>(_ limit: Duration, what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw TimeLimitExceeded(what: what, limit: limit)
        }
        return value
    }
}
