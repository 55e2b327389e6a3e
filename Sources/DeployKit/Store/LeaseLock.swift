import AWSCore
import Foundation

/// The deploy lock: an object created only if absent, holding its owner and an expiry.
/// A holder renews it while working (compare-and-swap on the ETag); a lease past its expiry
/// can be taken over by another apply (also compare-and-swap), so a crashed deploy never
/// blocks the next one for longer than the lease.
public struct LeaseLock: Sendable {
    /// The lock object's content.
    public struct Lease: Codable, Sendable, Equatable {
        /// A fresh UUID per acquisition; `--force-unlock` names it.
        public var id: String
        /// Who holds it, as the caller of `acquire` named them.
        public var owner: String
        /// The target it locks.
        public var target: String
        /// When it was taken.
        public var acquiredAt: Date
        /// When it may be taken over; pushed on by every renewal.
        public var expiresAt: Date
    }

    /// Another apply holds a lease that has not expired.
    public struct Held: Error, CustomStringConvertible, Sendable {
        /// The other holder's lease.
        public let lease: Lease
        /// The lock's key.
        public let key: String
        /// Who holds the lock since when and until when, and how to remove it if that deploy is dead.
        public var description: String {
            "target '\(lease.target)' is locked by \(lease.owner) (lock \(lease.id), taken \(ISO8601DateFormatter().string(from: lease.acquiredAt)), expires \(ISO8601DateFormatter().string(from: lease.expiresAt))): wait, or run 'deployer apply -t \(lease.target) --force-unlock \(lease.id)' if that deploy is dead"
        }
    }

    /// Taking the lock failed in a way that may have left our lease written (every answer lost).
    public struct LockUncertain: Error, CustomStringConvertible, Sendable {
        /// The lease this apply tried to write.
        public let lease: Lease
        /// The target whose lock it was.
        public let target: String
        /// The failure of the write.
        public let underlying: any Error
        /// The failure, and how to remove the lease if it is there now.
        public var description: String {
            "could not take the lock of target \(target): \(underlying); if lock \(lease.id) is there now, it is this apply's: remove it with 'deployer apply -t \(target) --force-unlock \(lease.id)'"
        }
    }

    let store: any ObjectStore
    /// The key of the lock object.
    public let key: String
    let target: String
    let ttl: TimeInterval
    let clock: @Sendable () -> Date

    /// The lock of `target` at `key` in `store`; leases last `ttl` seconds from each
    /// acquisition or renewal, by `clock`.
    public init(store: any ObjectStore, key: String, target: String, ttl: TimeInterval, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.key = key
        self.target = target
        self.ttl = ttl
        self.clock = clock
    }

    /// A held lease and the ETag that proves it is still ours.
    public struct Handle: Sendable {
        /// The lease as last written.
        public var lease: Lease
        /// Its ETag, the condition of the next renewal or release.
        public var etag: String
        /// The stale lease this one replaced, if any.
        public var tookOver: Lease?
    }

    static func encode(_ lease: Lease) throws -> [UInt8] {
        Array(try JSONEncoder.pretty.encode(lease))
    }

    /// The lease now stored under the key, and its ETag (`nil` when there is none or it is not a lease).
    func current() async throws -> (lease: Lease?, etag: String)? {
        guard let (bytes, etag) = try await store.get(key) else { return nil }
        return (try? JSONDecoder.iso.decode(Lease.self, from: Data(bytes)), etag)
    }

    /// Takes the lock: writes a lease if there is none, takes over an expired one. Throws
    /// `Held` when another lease is live, `LockUncertain` when the write failed and our lease
    /// may be there, a `DeployError` when the object is not a lease or a takeover race is lost.
    public func acquire(owner: String) async throws -> Handle {
        let now = clock()
        let lease = Lease(id: UUID().uuidString.lowercased(), owner: owner, target: target, acquiredAt: now, expiresAt: now.addingTimeInterval(ttl))
        do {
            do {
                let etag = try await store.put(key, bytes: try Self.encode(lease), contentType: "application/json", condition: .ifAbsent)
                return Handle(lease: lease, etag: etag, tookOver: nil)
            } catch let error where !(error is PreconditionFailed) {
                // The write may have landed with every answer lost: read back before giving up,
                // so a lock this apply holds is either used or named, never silently left.
                if let (found, etag) = try? await current(), let found, found.id == lease.id {
                    return Handle(lease: lease, etag: etag, tookOver: nil)
                }
                throw LockUncertain(lease: lease, target: target, underlying: error)
            }
        } catch is PreconditionFailed {
            do {
                return try await acquireHeld(lease, now: now)
            } catch let error where !(error is Held) && !(error is DeployError) {
                // The 412 may have met our own write (a retry after its answer was lost, or cut
                // off by Ctrl-C): whatever stops us now, the lease may be ours and is named as such
                // (a SIGTERM here left the lock and said "stopped before taking the lock").
                throw LockUncertain(lease: lease, target: target, underlying: error)
            }
        }
    }

    /// After a 412 on the conditional write: our own lease (its answer lost), an expired one
    /// taken over, or `Held`.
    private func acquireHeld(_ lease: Lease, now: Date) async throws -> Handle {
        guard let (found, etag) = try await current() else {
            // Released between our write and read: try once more.
            let etag = try await store.put(key, bytes: try Self.encode(lease), contentType: "application/json", condition: .ifAbsent)
            return Handle(lease: lease, etag: etag, tookOver: nil)
        }
        guard let existing = found else {
            throw DeployError(
                "lock \(store.url(key)) is not a deployer lease: inspect it, then delete it with 'deployer apply -t \(target) --force-unlock ANY'")
        }
        // Our own write landed and only its answer was lost (the retry met our lease).
        if existing.id == lease.id { return Handle(lease: lease, etag: etag, tookOver: nil) }
        guard existing.expiresAt < now else { throw Held(lease: existing, key: key) }
        do {
            let newTag = try await store.put(key, bytes: try Self.encode(lease), contentType: "application/json", condition: .ifMatch(etag))
            return Handle(lease: lease, etag: newTag, tookOver: existing)
        } catch is PreconditionFailed {
            if let (winner, winnerTag) = try await current(), let winner {
                // Our takeover landed, its answer lost.
                if winner.id == lease.id { return Handle(lease: lease, etag: winnerTag, tookOver: existing) }
                throw Held(lease: winner, key: key)
            }
            throw DeployError("lost the race for the stale lock \(existing.id) on target \(target): run the command again")
        }
    }

    /// Extends the lease; fails if it is no longer ours.
    public func renew(_ handle: Handle) async throws -> Handle {
        var lease = handle.lease
        lease.expiresAt = clock().addingTimeInterval(ttl)
        do {
            let etag = try await store.put(key, bytes: try Self.encode(lease), contentType: "application/json", condition: .ifMatch(handle.etag))
            return Handle(lease: lease, etag: etag, tookOver: handle.tookOver)
        } catch is PreconditionFailed {
            // A retried renewal meets the ETag of its own first write: still ours if the id is.
            if let (found, etag) = try await current(), let found, found.id == handle.lease.id {
                return Handle(lease: found, etag: etag, tookOver: handle.tookOver)
            }
            throw DeployError("lock \(handle.lease.id) on target \(target) was taken over by another deploy (our lease expired): stopping")
        }
    }

    /// Deletes our lease (under whichever ETag it has now; already gone is fine); throws a
    /// `DeployError` when another deploy has taken the lock over.
    public func release(_ handle: Handle) async throws {
        do {
            try await store.delete(key, ifMatch: handle.etag)
        } catch is PreconditionFailed {
            // Gone: a retried delete met its own success. Ours under another ETag (a renewal
            // whose answer was lost): delete that. Anyone else's: report it.
            guard let (found, etag) = try await current() else { return }
            if let found, found.id == handle.lease.id {
                do {
                    try await store.delete(key, ifMatch: etag)
                    return
                } catch is PreconditionFailed {
                    if try await current() == nil { return }
                }
            }
            throw DeployError(
                "lock \(handle.lease.id) on target \(target) was taken over before release: check 'deployer status -t \(target)' for what the other deploy did")
        } catch let error as AWSError where error.isNotFound {
            return
        }
    }

    /// Removes the lock if it has the given id (`ANY` removes whatever is there).
    public func forceUnlock(id: String) async throws -> Lease? {
        guard let (bytes, etag) = try await store.get(key) else { return nil }
        let lease = try? JSONDecoder.iso.decode(Lease.self, from: Data(bytes))
        guard id == "ANY" || lease?.id == id else {
            throw DeployError("the lock is \(lease?.id ?? "unreadable"), not \(id): nothing removed")
        }
        try await store.delete(key, ifMatch: etag)
        return lease
    }
}

/// Keeps a lease alive in the background while a deploy works.
public actor LeaseKeeper {
    let lock: LeaseLock
    /// The lease as last renewed.
    public private(set) var handle: LeaseLock.Handle
    private var task: Task<Void, Never>?
    /// Why a renewal failed, if one did; renewing stops then.
    public private(set) var failure: Error?

    /// Keeps `handle`, held on `lock`; nothing happens until `start`.
    public init(lock: LeaseLock, handle: LeaseLock.Handle) {
        self.lock = lock
        self.handle = handle
    }

    /// Renews the lease every `interval` in a background task until a renewal fails or
    /// `stopAndRelease` is called.
    public func start(every interval: Duration) {
        task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { return }
                await self?.renewOnce()
            }
        }
    }

    func renewOnce() async {
        do {
            handle = try await lock.renew(handle)
        } catch {
            failure = error
            task?.cancel()
        }
    }

    /// Throws if renewal failed: the caller must stop writing.
    public func check() throws {
        if let failure { throw failure }
    }

    /// Stops renewing and releases the lease (see `LeaseLock.release`).
    public func stopAndRelease() async throws {
        task?.cancel()
        task = nil
        try await lock.release(handle)
    }
}
