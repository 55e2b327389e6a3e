import Foundation
import XCTest

@testable import DeployKit

final class LeaseLockTests: XCTestCase {
    var root: String!

    override func setUp() {
        root = NSTemporaryDirectory() + "deployer-lock-\(UUID().uuidString)"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: root)
    }

    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var value = Date(timeIntervalSince1970: 1_800_000_000)
        func now() -> Date { lock.withLock { value } }
        func advance(_ seconds: TimeInterval) { lock.withLock { value = value.addingTimeInterval(seconds) } }
    }

    func testHeldLockRefusedStaleLockTakenOverRenewAndRelease() async throws {
        let clock = Clock()
        let store = LocalStore(root: root)
        let lock = LeaseLock(store: store, key: "locks/dev.json", target: "dev", ttl: 60, clock: { clock.now() })
        let first = try await lock.acquire(owner: "alice@laptop")
        do {
            _ = try await lock.acquire(owner: "ci")
            XCTFail("a held lock must refuse a second holder")
        } catch let held as LeaseLock.Held {
            XCTAssertEqual(held.lease.owner, "alice@laptop")
            XCTAssertTrue(held.description.contains("--force-unlock \(first.lease.id)"))
        }
        clock.advance(45)
        let renewed = try await lock.renew(first)
        clock.advance(45)
        do {
            _ = try await lock.acquire(owner: "ci")
            XCTFail("a renewed lease is not stale yet")
        } catch is LeaseLock.Held {}
        clock.advance(30)
        let taken = try await lock.acquire(owner: "ci")
        XCTAssertEqual(taken.tookOver?.id, first.lease.id)
        do {
            _ = try await lock.renew(renewed)
            XCTFail("the old holder must learn it lost the lease")
        } catch {
            XCTAssertTrue("\(error)".contains("taken over"))
        }
        try await lock.release(taken)
        let head = try await store.head("locks/dev.json")
        XCTAssertNil(head)
    }

    func testConcurrentAcquireHasExactlyOneWinner() async throws {
        let store = LocalStore(root: root)
        let lock = LeaseLock(store: store, key: "locks/t.json", target: "t", ttl: 600)
        let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<12 {
                group.addTask {
                    do {
                        _ = try await lock.acquire(owner: "worker-\(index)")
                        return true
                    } catch is LeaseLock.Held {
                        return false
                    }
                }
            }
            var count = 0
            for try await won in group where won { count += 1 }
            return count
        }
        XCTAssertEqual(winners, 1)
    }

    func testForceUnlockChecksTheId() async throws {
        let store = LocalStore(root: root)
        let lock = LeaseLock(store: store, key: "locks/t.json", target: "t", ttl: 600)
        let handle = try await lock.acquire(owner: "dead-ci")
        do {
            _ = try await lock.forceUnlock(id: "wrong-id")
            XCTFail("a wrong id must not remove the lock")
        } catch {
            XCTAssertTrue("\(error)".contains("nothing removed"))
        }
        let removed = try await lock.forceUnlock(id: handle.lease.id)
        XCTAssertEqual(removed?.owner, "dead-ci")
        let again = try await lock.acquire(owner: "next")
        XCTAssertNil(again.tookOver)
    }
}
