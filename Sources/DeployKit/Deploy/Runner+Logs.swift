import AWSCore
import Foundation

/// A run's log, read whole or followed.
extension Runner {
    /// The run's log as it stands now (stderr or stdout); throws when the run is unknown.
    public func logs(job: String, runId: String, stderr: Bool) async throws -> [String] {
        var reader = try await logReader(job: job, runId: runId, stderr: stderr)
        return try await reader.next()
    }

    /// A reader of one run's log that returns only new lines on each call; the job's
    /// deployment is read once, not on every poll.
    public func logReader(job: String, runId: String, stderr: Bool) async throws -> LogReader {
        let runId = try await resolve(job: job, runId: runId)
        let deployed = try await deployed(job)
        // An unknown run is an error, not an empty log.
        do {
            _ = try await context.engine.describe(name: deployed.name, definition: deployed.definition, runId: runId)
        } catch let error as AWSError where error.isNotFound || error.code == "ValidationException" || error.code == "InvalidRequestException" {
            throw DeployError(
                "job \(job) has no run \(runId) on target \(context.target.name) (\(error.code)): 'deployer status \(job) -t \(context.target.name)' lists its runs"
            )
        }
        return LogReader(engine: context.engine, name: deployed.name, definition: deployed.definition, runId: runId, stderr: stderr)
    }
}

/// Reads a run's log incrementally (see `Runner.logReader`).
public struct LogReader: Sendable {
    let engine: any EngineDriver
    /// The job's name on the engine.
    public let name: String
    /// The job's deployed engine definition.
    public let definition: JSONValue
    /// The run being read.
    public let runId: String
    /// Whether it reads stderr rather than stdout.
    public let stderr: Bool
    /// Where the next read resumes.
    public private(set) var cursor = LogCursor()

    /// The lines written since the last call (all of them on the first).
    public mutating func next() async throws -> [String] {
        let (lines, cursor) = try await engine.logs(name: name, definition: definition, runId: runId, stderr: stderr, after: cursor)
        self.cursor = cursor
        return lines
    }

    /// The run's current state (to know when following can stop).
    public func describe() async throws -> RunInfo {
        try await engine.describe(name: name, definition: definition, runId: runId)
    }
}
