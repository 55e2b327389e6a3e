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
        /// What the run wrote: the job's run record matched to it (see `matchRecord`), when found.
        public var data: DataRecord? = nil
    }

    /// The record of `records` that `run` wrote: the one whose run id the run was given
    /// (`--run_id`), else the one that started while the run ran (the latest such).
    static func matchRecord(_ run: RunInfo, in records: [DataRecord]) -> DataRecord? {
        if let given = run.metadata?.arguments["--run_id"] ?? run.metadata?.arguments["run_id"], let record = records.first(where: { $0.runId == given }) {
            return record
        }
        // By time only for a run that succeeded: a failed run may have written nothing, and a
        // run beside it (a backfill's) may have started in the same window.
        guard run.state == .succeeded, let start = run.startedAt else { return nil }
        // The job's own start is after the engine's (queueing, JVM start); allow a minute of clock skew.
        let end = run.durationSeconds.map { start.addingTimeInterval($0 + 60) } ?? .distantFuture
        return records.filter { record in
            guard let began = record.startedAt else { return false }
            return began >= start.addingTimeInterval(-60) && began <= end
        }.max { ($0.startedAt ?? .distantPast) < ($1.startedAt ?? .distantPast) }
    }

    /// Runs of `jobs` across the target's engine, newest first: only `state` (if given), only
    /// those started after `since` (if given), at most `limit` per job; with `data`, each with
    /// the run record it wrote (read from the job's output folder; none when unreadable).
    public func history(jobs: [String], state: RunState?, since: Date?, limit: Int, data: Bool = false) async throws -> [HistoryEntry] {
        guard let record = try await context.liveRecord() else {
            throw DeployError("nothing is deployed on target \(context.target.name): no runs to list")
        }
        var entries: [HistoryEntry] = []
        for job in jobs {
            guard let definition = record.definitions[job]?.engineDefinition, let name = record.jobNames[job] else { continue }
            let runs = try await context.engine.recentRuns(name: name, definition: definition, limit: max(limit, 50))
            // What each run wrote, from the job's run records (none when it names no output).
            var records: [DataRecord] = []
            if data, let manifestJob = context.manifest.jobs.first(where: { $0.name == job }) {
                records = (try? await self.records(job: manifestJob, limit: max(limit, 50)))??.records ?? []
            }
            for run in runs {
                if let state, run.state != state { continue }
                if let since, (run.startedAt ?? .distantPast) < since { continue }
                entries.append(
                    HistoryEntry(job: job, handle: handle(job: job, runId: run.id).description, run: priced(run), data: Self.matchRecord(run, in: records)))
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
