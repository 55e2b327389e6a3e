import AWSCore
import Foundation
import SigV4

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

    /// Where desired state comes from: the manifest's sources, or an earlier deployment.
    enum Desired {
        case manifest
        case record(DeploymentRecord)
    }

    /// The manifest's jobs, or only the selected ones (each must exist).
    func selectedJobs(_ select: [String]?) throws -> [Job] {
        guard let select, !select.isEmpty else { return manifest.jobs }
        return try Array(Set(select)).sorted().map { try manifest.job($0) }
    }

    var automation: Automation { Automation(target: target, client: context.client) }
}

/// What an apply (or destroy) has done so far, for the message when it stops early.
final class ApplyProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var steps: [String] = []
    private var wrote = false
    private var files = 0
    private var record: String?
    /// The record file written (before latest.json), if any.
    var recordFile: String? {
        get { lock.withLock { record } }
        set { lock.withLock { record = newValue } }
    }
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
