import AWSCore
import Foundation

/// A run's id, state, detail and cost, and the limits a cost bound puts on it.
extension Runner {
    /// Whether `runId` can be a run id of any engine (Glue `jr_…`, EMR Serverless ids, EMR
    /// `s-…`, local `local-…`): no path separators or `..`, bounded length.
    public static func isValidRunId(_ runId: String) -> Bool {
        runId.range(of: "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,255}$", options: .regularExpression) != nil && !runId.contains("..")
    }

    /// `latest` means the job's most recent run.
    public func resolve(job: String, runId: String) async throws -> String {
        guard runId == "latest" else {
            guard Self.isValidRunId(runId) else {
                throw DeployError(
                    "'\(Schema.short(runId))' is not a run id (letters, digits, '_', '.', ':' and '-'; no '/' or '..'): 'deployer status \(job) -t \(context.target.name)' lists them"
                )
            }
            return runId
        }
        let deployed = try await deployed(job)
        let runs = try await context.engine.recentRuns(name: deployed.name, definition: deployed.definition, limit: 10)
        guard let newest = runs.max(by: { ($0.startedAt ?? .distantPast) < ($1.startedAt ?? .distantPast) }) else {
            throw DeployError("job \(job) has no runs on target \(context.target.name) yet: start one with 'deployer run \(job) -t \(context.target.name)'")
        }
        return newest.id
    }

    /// The run (`latest`: the job's most recent) with its cost; throws when nothing is deployed,
    /// the run id is invalid or the engine cannot describe it.
    public func describe(job: String, runId: String) async throws -> RunInfo {
        let runId = try await resolve(job: job, runId: runId)
        let deployed = try await deployed(job)
        return priced(try await context.engine.describe(name: deployed.name, definition: deployed.definition, runId: runId))
    }

    /// One run in detail: its state, cost and every link (the EMR Serverless Spark UI included).
    public func detail(job: String, runId: String) async throws -> RunInfo {
        var info = try await describe(job: job, runId: runId)
        let deployed = try await deployed(job)
        info.links.merge(await context.engine.detailLinks(name: deployed.name, definition: deployed.definition, runId: info.id)) { $1 }
        return info
    }

    /// The run with its cost at the target's prices.
    public func priced(_ info: RunInfo) -> RunInfo {
        var info = info
        info.cost = context.target.pricing.cost(info.usage, engine: context.target.plugin)
        return info
    }

    /// The run's time limit that keeps its cost under `maxCost` USD, and how it was worked out.
    public func timeoutMinutes(job: String, maxCost: Double) async throws -> (minutes: Int, explanation: String) {
        guard maxCost > 0, maxCost.isFinite else { throw DeployError("--max-cost must be a positive amount of USD") }
        let deployed = try await deployed(job)
        return try await context.engine.timeoutMinutes(forMaxCost: maxCost, pricing: context.target.pricing, definition: deployed.definition)
    }

    /// Asks the engine to cancel the run of the deployed job; does not wait for it to end.
    public func cancel(job: String, runId: String) async throws {
        let deployed = try await deployed(job)
        try await context.engine.cancel(name: deployed.name, definition: deployed.definition, runId: runId)
    }
}
