import AWSCore
import Foundation
import SigV4

/// Checks of what is already in the store: a damaged content-addressed set stops the plan.
extension Deployer {
    /// Reads back a stored bundle's SHA256SUMS (its hash is the digest) and each file's size.
    func verifyStoredBundle(_ bundle: DependencyBundle) async throws {
        let prefix = context.layout.dependencyPrefix(digest: bundle.digest)
        let damaged = "is damaged: " + repairAdvice(prefix)
        guard let (sums, _) = try await context.store.get(prefix + "/SHA256SUMS") else { return }
        guard PayloadHash.hex(sums) == bundle.digest else {
            throw DeployError("dependency bundle \(context.store.url(prefix)): SHA256SUMS does not hash to its digest, so the bundle \(damaged)")
        }
        for file in bundle.files where file.name != "SHA256SUMS" {
            let stored = try await context.store.head(prefix + "/" + file.name)
            guard let stored, stored.size == file.size else {
                throw DeployError(
                    "dependency bundle \(context.store.url(prefix + "/" + file.name)) is \(stored.map { "\($0.size) bytes, not \(file.size)" } ?? "missing"): the bundle \(damaged)"
                )
            }
        }
    }

    /// Reads every file of a stored content-addressed set (an artifact or a bundle) back and
    /// checks it against the set's SHA256SUMS, whose own hash is the digest. Catches what a size
    /// check cannot: an object overwritten in place with other bytes of the same length.
    func verifyContents(prefix: String, digest: String, what: String) async throws -> (files: Int, bytes: UInt64) {
        let damaged = repairAdvice(prefix)
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
                throw DeployError(
                    "\(what): \(context.store.url(key)) does not match its SHA256SUMS (stored bytes hash to \(stored.sha256.prefix(12))…, expected \(expected.prefix(12))…): \(damaged)"
                )
            }
            bytes += stored.size
        }
        return (entries.count + 1, bytes)
    }

    /// How to repair a damaged content-addressed set: its keys are never rewritten in place.
    func repairAdvice(_ prefix: String) -> String {
        "delete \(context.store.url(prefix))/ (content-addressed keys are never rewritten in place) and run 'deployer apply -t \(target.name)' to upload it again"
    }
}
