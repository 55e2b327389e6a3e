import AWSCore
import Foundation

/// Following a run until it ends.
extension Runner {
    /// How `wait` ended.
    public enum WaitOutcome: Sendable, Equatable {
        /// The run ended (succeeded, failed, cancelled or timed out on the engine); priced.
        case finished(RunInfo)
        /// The wait's `timeout` passed first; the run goes on.
        case timedOut(RunInfo)
    }

    /// Polls until the run ends or `timeout` passes: capped exponential backoff with jitter,
    /// unknown states treated as still running, every state change reported.
    public func wait(
        job: String, runId: String, timeout: Duration?, initialDelay: Duration = .seconds(2), maxDelay: Duration = .seconds(30),
        sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        onChange: @Sendable (RunInfo) -> Void
    ) async throws -> WaitOutcome {
        let deployed = try await deployed(job)
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now + $0 }
        var delay = initialDelay
        var lastState: String?
        var transientFailures = 0
        while true {
            let info: RunInfo
            do {
                info = try await context.engine.describe(name: deployed.name, definition: deployed.definition, runId: runId)
                transientFailures = 0
            } catch {
                // Polling survives a few failed reads (network blips); the run goes on regardless.
                transientFailures += 1
                if transientFailures >= 5 { throw error }
                try await sleep(delay)
                continue
            }
            if info.engineState != lastState {
                onChange(info)
                lastState = info.engineState
            }
            if info.state.isTerminal { return .finished(priced(info)) }
            if let deadline, clock.now >= deadline { return .timedOut(info) }
            var pause = delay * Double.random(in: 0.8...1.2)
            if let deadline { pause = min(pause, max(.milliseconds(10), deadline - clock.now)) }
            try await sleep(pause)
            delay = min(delay * 1.5, maxDelay)
        }
    }
}
