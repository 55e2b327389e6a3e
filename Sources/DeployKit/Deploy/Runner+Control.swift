import AWSCore
import Foundation

/// Retry and cancel of a run, and what a wait's timeout does with it.
extension Runner {
    /// What `retry` did: the new run, and the deployment whose artifact it used.
    public struct Retried: Sendable {
        /// The new run.
        public var handle: RunHandle
        /// The artifact the new run uses (the retried run's).
        public var artifact: String
        /// The deployment record whose definition the new run uses.
        public var deployment: String
        /// The newest deployment, when it is not the one retried.
        public var newerDeployment: String?
    }

    /// Starts a new run with the same artifact and arguments as `handle`'s run, even when a
    /// newer deployment exists (its deployment record gives the definition used).
    public func retry(_ handle: RunHandle, timeoutMinutes: Int? = nil) async throws -> Retried {
        try check(handle)
        let latest = try await deployed(handle.job)
        let original = try await context.engine.describe(name: latest.name, definition: latest.definition, runId: handle.runId)
        guard let metadata = original.metadata, let deploymentId = metadata.deployment else {
            throw DeployError(
                "run \(handle) carries no deployment (started outside deployer, or before runs recorded it): start a new one with 'deployer run \(handle.job) -t \(handle.target)'"
            )
        }
        let record = deploymentId == latest.record.id ? latest.record : try await context.record(deploymentId)
        guard let definition = record.definitions[handle.job]?.engineDefinition, let name = record.jobNames[handle.job],
            let artifact = record.artifacts[handle.job]
        else {
            throw DeployError("deployment \(deploymentId) has no job \(handle.job): it cannot be retried")
        }
        let request = RunRequest(
            arguments: metadata.arguments,
            metadata: RunMetadata(idempotencyKey: nil, artifact: artifact, deployment: record.id, arguments: metadata.arguments),
            timeoutMinutes: timeoutMinutes)
        let runId = try await context.engine.start(name: name, definition: definition, request: request)
        return Retried(
            handle: self.handle(job: handle.job, runId: runId), artifact: artifact, deployment: record.id,
            newerDeployment: latest.record.id == record.id ? nil : latest.record.id)
    }

    /// Cancels the run and waits (at most `timeout`) until the engine reports it ended.
    public func cancelAndWait(
        job: String, runId: String, timeout: Duration = .seconds(120), poll: Duration = .seconds(2),
        sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) async throws -> RunInfo {
        let deployed = try await deployed(job)
        try await context.engine.cancel(name: deployed.name, definition: deployed.definition, runId: runId)
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let info = try await context.engine.describe(name: deployed.name, definition: deployed.definition, runId: runId)
            if info.state.isTerminal || clock.now >= deadline { return info }
            try await sleep(poll)
        }
    }
}

extension Runner {
    /// The `--on-timeout` policy once a wait ran out: cancel the run (a failed cancel is
    /// reported, not fatal: the exit status says "timed out" either way) or leave it running.
    /// Returns the line to tell the user.
    public func settleTimeout(job: String, runId: String, handle: String, target: String, cancel: Bool, after limit: String) async -> String {
        guard cancel else {
            return "timed out after \(limit): \(handle) goes on; follow it with 'deployer run --attach \(handle) -t \(target) --wait'"
        }
        do {
            // A cancel is asynchronous on every AWS engine: say "cancelled" only once it is.
            let info = try await cancelAndWait(job: job, runId: runId, timeout: .seconds(60))
            if info.state == .cancelled { return "timed out after \(limit): cancelled \(handle)" }
            return
                "timed out after \(limit): asked to cancel \(handle); it is \(info.state.rawValue) (\(info.engineState)) now: check it with 'deployer status \(job) -t \(target) --run \(runId)'"
        } catch {
            return "timed out after \(limit): could not cancel \(handle): \(error)"
        }
    }
}
