import AWSCore
import Foundation

/// A run anyone can re-attach to: `ENGINE:TARGET:JOB:RUN_ID`.
public struct RunHandle: Sendable, Equatable, CustomStringConvertible {
    /// The engine's name (`glue`, `emr-serverless`, …), as in the target.
    public var engine: String
    /// The target the run was started on.
    public var target: String
    /// The job's name in the manifest.
    public var job: String
    /// The engine's id of the run.
    public var runId: String

    /// `ENGINE:TARGET:JOB:RUN_ID`, the form `init?(_:)` reads back.
    public var description: String { "\(engine):\(target):\(job):\(runId)" }

    /// A handle from its four parts.
    public init(engine: String, target: String, job: String, runId: String) {
        self.engine = engine
        self.target = target
        self.job = job
        self.runId = runId
    }

    /// Reads `ENGINE:TARGET:JOB:RUN_ID`; `nil` unless there are four parts (the run id may
    /// itself contain `:`).
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 3).map(String.init)
        guard parts.count == 4 else { return nil }
        self.init(engine: parts[0], target: parts[1], job: parts[2], runId: parts[3])
    }
}
