import AWSCore
import Foundation

/// `deployer status`: per job, its deployment and latest runs.
extension Runner {
    /// One job in `deployer status`: its latest deployment and recent runs.
    public struct JobStatus: Codable, Sendable {
        /// The latest deployment of the job.
        public struct Deployment: Codable, Sendable {
            /// The deployment record's id.
            public var id: String
            /// The artifact deployed for the job; empty when the record names none.
            public var artifact: String
            /// When the deployment was made.
            public var at: Date
            /// Who made it.
            public var by: String
        }
        /// One recent run, as `status` prints it.
        public struct Run: Codable, Sendable {
            /// The engine's run id.
            public var id: String
            /// The normalised state (`RunState`'s raw value).
            public var state: String
            /// The state as the engine names it.
            public var engineState: String
            /// When it started, if the engine says.
            public var startedAt: Date?
            /// How long it ran so far, in seconds (written rounded).
            public var durationSeconds: Double?
            /// The engine's error message for a failed run.
            public var error: String?
            /// Its cost at the target's prices, when the usage is known.
            public var cost: RunCost?
            /// Console and log links, by name.
            public var links: [String: String] = [:]

            enum CodingKeys: String, CodingKey { case id, state, engineState, startedAt, durationSeconds, error, cost, links }

            /// Writes every key, absent values as null and the duration rounded to whole seconds.
            public func encode(to encoder: Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(id, forKey: .id)
                try container.encode(state, forKey: .state)
                try container.encode(engineState, forKey: .engineState)
                try container.encode(startedAt, forKey: .startedAt)
                try container.encode(durationSeconds.map { $0.rounded() }, forKey: .durationSeconds)
                try container.encode(error, forKey: .error)
                try container.encode(cost, forKey: .cost)
                try container.encode(links, forKey: .links)
            }
        }
        /// The job's name in the manifest.
        public var job: String
        /// The latest deployment of the job; `nil` when none (or the target was destroyed).
        public var deployment: Deployment?
        /// The most recent runs, newest first.
        public var runs: [Run]
        /// Why the runs could not be listed, if they could not.
        public var error: String?
        /// Its data: the newest run records in its output folder and what looks wrong; `nil`
        /// when the job names no output folder (or `data_checks.enabled` is false).
        public var data: JobData? = nil

        enum CodingKeys: String, CodingKey { case job, deployment, runs, error, data }

        /// `deployment` and `error` are written as null when absent: alerting scripts rely on the keys.
        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(job, forKey: .job)
            try container.encode(deployment, forKey: .deployment)
            try container.encode(runs, forKey: .runs)
            try container.encode(error, forKey: .error)
            try container.encode(data, forKey: .data)
        }
    }

    /// Per job: the latest deployment and the most recent runs (newest first).
    /// With `data`, each job's run records too (see `data(job:limit:)`).
    public func status(jobs: [String], limit: Int, data: Bool = false) async throws -> [JobStatus] {
        let record = try await context.latestRecord()
        var result: [JobStatus] = []
        for job in jobs {
            var status = JobStatus(job: job, deployment: nil, runs: [], error: nil)
            if let record = record?.live, let definition = record.definitions[job]?.engineDefinition, let name = record.jobNames[job] {
                status.deployment = .init(id: record.id, artifact: record.artifacts[job] ?? "", at: record.at, by: record.by)
                do {
                    let runs = try await context.engine.recentRuns(name: name, definition: definition, limit: limit)
                    status.runs = runs.sorted { ($0.startedAt ?? .distantPast) > ($1.startedAt ?? .distantPast) }.map(priced).map {
                        .init(
                            id: $0.id, state: $0.state.rawValue, engineState: $0.engineState, startedAt: $0.startedAt, durationSeconds: $0.durationSeconds,
                            error: $0.error,
                            cost: $0.cost, links: $0.links)
                    }
                } catch {
                    status.error = "\(error)"
                }
            }
            if data, let job = context.manifest.jobs.first(where: { $0.name == job }) { status.data = await self.data(job: job, limit: limit) }
            result.append(status)
        }
        return result
    }
}
