import DeployKit
import Dispatch
import Foundation

/// Ctrl-C and SIGTERM (a cancelled CI job) during a command that writes: the first signal
/// cancels the work, which stops at its next safe point, aborts its uploads, releases the lock
/// and says what was done; the command then exits 130 (SIGINT) or 143 (SIGTERM). A second
/// signal exits at once.
enum Interrupts {
    final class State: @unchecked Sendable {
        let lock = NSLock()
        var signal: Int32?
        var task: Task<Void, Never>?
    }

    /// Runs `body` so that a signal cancels it; a body that ends because of the signal throws
    /// `Interrupted` carrying the signal and the body's own error.
    static func run<T: Sendable>(
        first: String = "stopping at the next safe point (aborting uploads, releasing the lock); press Ctrl-C again to quit at once",
        second: String = "quitting at once; a lock left behind is named in the 'locked' line above",
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let state = State()
        var sources: [DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let isFirst: Bool = state.lock.withLock {
                    if state.signal != nil { return false }
                    state.signal = number
                    return true
                }
                // `isFirst`, not `first`: the parameter `first` is the message to print.
                if isFirst {
                    FileHandle.standardError.write(Data("\n\(name(number)): \(first)\n".utf8))
                    state.lock.withLock { state.task }?.cancel()
                } else {
                    FileHandle.standardError.write(Data("\(name(number)) again: \(second)\n".utf8))
                    exit(128 + number)
                }
            }
            source.resume()
            sources.append(source)
        }
        defer {
            for source in sources { source.cancel() }
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
        let box = ResultBox<T>()
        let task = Task {
            do { box.set(.success(try await body())) } catch { box.set(.failure(error)) }
        }
        state.lock.withLock { state.task = task }
        // A signal that came before the task existed still cancels it.
        if state.lock.withLock({ state.signal }) != nil { task.cancel() }
        await task.value
        let received = state.lock.withLock { state.signal }
        switch box.get() {
        case .success(let value)?:
            return value
        case .failure(let error)?:
            if let received { throw Interrupted(signal: received, error: error) }
            throw error
        case nil:
            throw CommandFailure("internal error: the command ended without a result")
        }
    }

    static func name(_ number: Int32) -> String { number == SIGINT ? "SIGINT" : number == SIGTERM ? "SIGTERM" : "signal \(number)" }

    final class ResultBox<T>: @unchecked Sendable {
        private let lock = NSLock()
        private var result: Result<T, any Error>?
        func set(_ value: Result<T, any Error>) { lock.withLock { result = value } }
        func get() -> Result<T, any Error>? { lock.withLock { result } }
    }
}

/// A command stopped by a signal: exits 128 + the signal's number.
struct Interrupted: Error, CustomStringConvertible {
    let signal: Int32
    let error: any Error
    var description: String {
        if let failure = error as? DeployFailure { return "\(Interrupts.name(signal)): \(failure.summary)" }
        if error is CancellationError { return "\(Interrupts.name(signal)): stopped before taking the lock; nothing was changed" }
        return "\(Interrupts.name(signal)): stopped (\(error))"
    }
}
