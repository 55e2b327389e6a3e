import Foundation

/// Runs cleanup that must happen even when the current task was cancelled (Ctrl-C): releasing
/// the lock, aborting an upload. A detached task does not inherit the cancellation.
public enum Uncancelled {
    /// Runs `body` in a detached task and returns (or throws) what it does.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await Task.detached(operation: body).value
    }
}
