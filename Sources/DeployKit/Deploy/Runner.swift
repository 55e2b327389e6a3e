import AWSCore
import Foundation

/// Starting, following, cancelling and listing runs.
public struct Runner: Sendable {
    /// The target, manifest, engine and store the runs are started and read through.
    public let context: DeployContext
    /// A runner for the target of `context`.
    public init(context: DeployContext) {
        self.context = context
    }

    /// The deployed definition of `job` (from the latest deployment record).
    public func deployed(_ job: String) async throws -> (name: String, definition: JSONValue, record: DeploymentRecord) {
        guard let record = try await context.liveRecord() else {
            throw DeployError("nothing is deployed on target \(context.target.name): run 'deployer apply -t \(context.target.name)' first")
        }
        guard let definition = record.definitions[job], let name = record.jobNames[job] else {
            throw DeployError("job \(job) is not in deployment \(record.id) of target \(context.target.name): add it to the manifest and apply")
        }
        return (name, definition.engineDefinition, record)
    }

    /// Starts a run of the deployed job with `arguments` and no idempotency key; returns its handle.
    public func start(job: String, arguments: [String: String]) async throws -> RunHandle {
        try await start(job: job, arguments: arguments, idempotencyKey: nil).handle
    }

    /// How long an idempotency key keeps finding its run.
    public static let idempotencyWindow: TimeInterval = 24 * 3600

    /// Starts a run of the deployed job, or, when a run carrying `idempotencyKey` started
    /// within the last 24 hours, returns that one (`reused`): a CI step retried after a lost
    /// answer or a re-run of the same workflow step does not start a second run.
    public func start(job: String, arguments: [String: String], idempotencyKey: String?, timeoutMinutes: Int? = nil) async throws -> (
        handle: RunHandle, reused: Bool
    ) {
        try await context.verifyAccount()
        try context.engine.checkArguments(arguments, source: "--arg")
        let deployed = try await deployed(job)
        if let idempotencyKey {
            guard Self.isValidIdempotencyKey(idempotencyKey) else {
                throw DeployError("--idempotency-key '\(Schema.short(idempotencyKey))' must be 1 to 64 letters, digits, '_', '-' or '.'")
            }
            if let existing = try await findRun(job: job, idempotencyKey: idempotencyKey) {
                return (handle(job: job, runId: existing.id), true)
            }
        }
        let metadata = RunMetadata(
            idempotencyKey: idempotencyKey, artifact: deployed.record.artifacts[job], deployment: deployed.record.id, arguments: arguments)
        // The client token makes a retried StartJobRun idempotent (EMR Serverless).
        let request = RunRequest(
            arguments: arguments, clientToken: idempotencyKey ?? UUID().uuidString.lowercased(), metadata: metadata, timeoutMinutes: timeoutMinutes)
        let runId = try await context.engine.start(name: deployed.name, definition: deployed.definition, request: request)
        return (handle(job: job, runId: runId), false)
    }

    /// Whether `key` is 1 to 64 letters, digits, `_`, `-` or `.`.
    public static func isValidIdempotencyKey(_ key: String) -> Bool {
        key.range(of: "^[A-Za-z0-9_.-]{1,64}$", options: .regularExpression) != nil
    }

    /// A recent run of `job` that carries `idempotencyKey` (started within the window).
    public func findRun(job: String, idempotencyKey: String) async throws -> RunInfo? {
        let deployed = try await deployed(job)
        let since = context.now().addingTimeInterval(-Self.idempotencyWindow)
        return try await context.engine.run(name: deployed.name, definition: deployed.definition, carrying: idempotencyKey, since: since)
    }

    func handle(job: String, runId: String) -> RunHandle {
        RunHandle(engine: context.target.engine.rawValue, target: context.target.name, job: job, runId: runId)
    }

    /// Checks that `handle` belongs to this target and engine and names a known job and a
    /// valid run id (a handle of another target or account is refused, not followed).
    public func check(_ handle: RunHandle) throws {
        guard handle.target == context.target.name, handle.engine == context.target.engine.rawValue else {
            throw DeployError(
                "run \(handle) belongs to target \(handle.target) (\(handle.engine)), not \(context.target.name) (\(context.target.engine.rawValue)): pass -t \(handle.target)"
            )
        }
        _ = try context.manifest.job(handle.job)
        guard Self.isValidRunId(handle.runId) else { throw DeployError("'\(Schema.short(handle.runId))' in \(handle) is not a run id") }
    }
}
