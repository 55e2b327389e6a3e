import AWSCore
import Foundation

/// A run's state in engine-neutral terms. Unknown engine states are not terminal.
public enum RunState: String, Codable, Sendable {
    case pending, running, succeeded, failed, cancelled
    case timedOut = "timed_out"
    case unknown

    public var isTerminal: Bool {
        switch self {
        case .succeeded, .failed, .cancelled, .timedOut: return true
        case .pending, .running, .unknown: return false
        }
    }
}

public struct RunInfo: Codable, Sendable, Equatable {
    public var id: String
    public var state: RunState
    /// The engine's own word for the state (e.g. Glue's `STOPPING`).
    public var engineState: String
    public var startedAt: Date?
    public var endedAt: Date?
    public var error: String?

    public var durationSeconds: Double? {
        guard let startedAt else { return nil }
        return (endedAt ?? Date()).timeIntervalSince(startedAt)
    }
}

/// Where an artifact's files are, as the engine reads them.
public struct ArtifactURLs: Sendable, Equatable {
    public var entryPoint: String
    public var codeZip: String
    public var config: String
}

/// One execution engine: how a job definition looks there, and how runs start and report.
public protocol EngineDriver: Sendable {
    /// Checks the target's fixed infrastructure (application, cluster) exists.
    func preflight() async throws
    /// The definition the engine holds now; engines without job definitions return what the
    /// last deployment recorded.
    func liveDefinition(name: String, recorded: JSONValue?) async throws -> JSONValue?
    func desiredDefinition(name: String, job: Job, artifact: ArtifactURLs, digest: String) -> JSONValue
    /// Creates or updates the engine-side definition (a no-op where the engine has none).
    func apply(name: String, desired: JSONValue, live: JSONValue?) async throws
    func delete(name: String) async throws
    func start(name: String, definition: JSONValue, arguments: [String: String], clientToken: String) async throws -> String
    func describe(name: String, definition: JSONValue, runId: String) async throws -> RunInfo
    func recentRuns(name: String, definition: JSONValue, limit: Int) async throws -> [RunInfo]
    func cancel(name: String, definition: JSONValue, runId: String) async throws
    /// The driver's log lines (stdout, or stderr).
    func logs(name: String, definition: JSONValue, runId: String, stderr: Bool) async throws -> [String]
    /// The lines after `cursor` and where to continue from (`deployer logs --follow`).
    func logs(name: String, definition: JSONValue, runId: String, stderr: Bool, after cursor: LogCursor) async throws -> (lines: [String], cursor: LogCursor)
}

/// How far a reader of a run's log has got: lines seen, and the engine's continuation token
/// where it has one (CloudWatch's `nextForwardToken`), so following a log reads only what is new.
public struct LogCursor: Sendable, Equatable {
    public var lines: Int
    public var token: String?
    public init(lines: Int = 0, token: String? = nil) {
        self.lines = lines
        self.token = token
    }
}

extension EngineDriver {
    /// For logs that are whole files (local, S3): read them and skip the lines already seen.
    public func logs(name: String, definition: JSONValue, runId: String, stderr: Bool, after cursor: LogCursor) async throws -> (lines: [String], cursor: LogCursor) {
        let all = try await logs(name: name, definition: definition, runId: runId, stderr: stderr)
        guard all.count > cursor.lines else { return ([], cursor) }
        return (Array(all[cursor.lines...]), LogCursor(lines: all.count))
    }
}

extension EngineDriver {
    /// `--key value` pairs as the list spark-submit passes to the script.
    static func argumentList(_ arguments: [String: String]) -> [String] {
        arguments.sorted { $0.key < $1.key }.flatMap { [$0.key.hasPrefix("--") ? $0.key : "--" + $0.key, $0.value] }
    }
}

func dateFrom(_ value: Any?) -> Date? {
    switch value {
    case let number as NSNumber: return Date(timeIntervalSince1970: number.doubleValue)
    case let text as String: return CredentialDates.parse(text)
    default: return nil
    }
}
