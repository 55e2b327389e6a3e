import ArgumentParser
import DeployKit
import Foundation

/// What Ctrl-C or SIGTERM does to a run that `run --wait` or `logs --follow` is following.
enum OnInterrupt: String, ExpressibleByArgument, CaseIterable {
    /// Cancel the run (Glue BatchStopJobRun, EMR Serverless CancelJobRun, EMR CancelSteps,
    /// local: the spark-submit process group), wait until it ends, exit 3.
    case cancel
    /// Leave the run going and print its handle.
    case detach
    /// Ask on the terminal.
    case ask

    /// `ask` on a terminal outside CI; `cancel` in CI (`CI=true`) or without a terminal: a
    /// cancelled CI job must not leave a billed run behind with nobody watching.
    static func effective(_ chosen: OnInterrupt?, environment: [String: String] = ProcessInfo.processInfo.environment) -> OnInterrupt {
        if let chosen { return chosen }
        if environment["CI"]?.lowercased() == "true" || isatty(STDIN_FILENO) == 0 { return .cancel }
        return .ask
    }
}

/// Follows a run with `body`; on a signal, cancels or detaches as `policy` says.
enum RunInterrupts {
    /// The outcome of following a run that a signal may have stopped.
    enum Outcome<T> {
        case finished(T)
        /// Cancelled on the user's behalf: the run's last state.
        case cancelled(RunInfo)
        /// Left running.
        case detached(signal: Int32)
    }

    static func follow<T: Sendable>(_ handle: RunHandle, runner: Runner, policy: OnInterrupt, _ body: @escaping @Sendable () async throws -> T) async throws
        -> Outcome<T>
    {
        let first: String
        switch policy {
        case .cancel: first = "cancelling \(handle) (press Ctrl-C again to detach and leave it running)"
        case .detach: first = "detaching: \(handle) goes on"
        case .ask: first = "the run goes on until you answer"
        }
        do {
            return .finished(try await Interrupts.run(first: first, second: "detached: \(handle) goes on", body))
        } catch let interrupted as Interrupted {
            var action = policy
            if action == .ask {
                FileHandle.standardError.write(Data("Cancel run \(handle)? Type 'yes' to cancel, anything else leaves it running: ".utf8))
                action = readLine()?.trimmingCharacters(in: .whitespaces) == "yes" ? .cancel : .detach
            }
            if action == .detach {
                // A detach is what the user chose, not a failure: no `error:` prefix.
                printNote("detached: \(handle) goes on; follow it with 'deployer run --attach \(handle) -t \(handle.target) --wait'")
                return .detached(signal: interrupted.signal)
            }
            do {
                let info = try await Interrupts.run(first: "detaching: \(handle) goes on (the cancel request was sent)", second: "detached: \(handle)") {
                    try await runner.cancelAndWait(job: handle.job, runId: handle.runId)
                }
                return .cancelled(info)
            } catch let again as Interrupted {
                printNote(
                    "detached: \(handle) (a cancel may be under way); check it with 'deployer status \(handle.job) -t \(handle.target) --run \(handle.runId)'")
                return .detached(signal: again.signal)
            }
        }
    }
}
