import AWSCore
import Foundation

/// `deployer runs`: runs across the target's engine.
extension Runner {
    /// One row of `deployer runs`.
    public struct HistoryEntry: Codable, Sendable {
        /// The job's name in the manifest.
        public var job: String
        /// The run's handle, `ENGINE:TARGET:JOB:RUN_ID`.
        public var handle: String
        /// The run, priced at the target's prices.
        public var run: RunInfo
    }

    /// Runs of `jobs` across the target's engine, newest first: only `state` (if given), only
    /// those started after `since` (if given), at most `limit` per job.
    public func history(jobs: [String], state: RunState?, since: Date?, limit: Int) async throws -> [HistoryEntry] {
        guard let record = try await context.liveRecord() else {
            throw DeployError("nothing is deployed on target \(context.target.name): no runs to list")
        }
        var entries: [HistoryEntry] = []
        for job in jobs {
            guard let definition = record.definitions[job]?.engineDefinition, let name = record.jobNames[job] else { continue }
            let runs = try await context.engine.recentRuns(name: name, definition: definition, limit: max(limit, 50))
            for run in runs {
                if let state, run.state != state { continue }
                if let since, (run.startedAt ?? .distantPast) < since { continue }
                entries.append(HistoryEntry(job: job, handle: handle(job: job, runId: run.id).description, run: priced(run)))
            }
        }
        entries.sort { ($0.run.startedAt ?? .distantPast) > ($1.run.startedAt ?? .distantPast) }
        var perJob: [String: Int] = [:]
        return entries.filter { entry in
            perJob[entry.job, default: 0] += 1
            return perJob[entry.job, default: 0] <= limit
        }
    }
}
