import ArgumentParser
import DeployKit
import Foundation

extension RunState: ExpressibleByArgument {}

struct Runs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List runs across the target's engine: state, start, duration, artifact, deployment, and what each wrote.",
        discussion:
            "Newest first. Runs started by deployer carry the artifact digest and deployment id they ran. DATA: the job's run record the run wrote (its --run_id, or the record started while it ran): rows and quarantine ratio. Given a pipeline on a Step Functions engine: its executions, each step's state and run, and the cost (the steps' runs plus the state transitions)."
    )

    @Argument(help: "Only this job, or this pipeline's executions (default: every job of the manifest).")
    var job: String?

    @OptionGroup var manifest: ManifestFlags
    @OptionGroup var target: TargetFlag

    @Option(help: "Only runs in this state: pending, running, succeeded, failed, cancelled, timed_out.")
    var state: RunState?

    @Option(help: ArgumentHelp("Only runs started in this last period (e.g. 24h, 7d) or since this time (2026-11-30T00:00:00Z).", valueName: "WHEN"))
    var since: String?

    @Option(help: "Runs shown per job (1 to 200).")
    var limit = 20

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var aws: AWSFlags

    func validate() throws {
        guard (1...200).contains(limit) else { throw ValidationError("--limit must be between 1 and 200") }
        if let since, Self.parseSince(since, now: Date()) == nil {
            throw ValidationError("--since '\(since.prefix(40))' is neither a period such as 24h or 7d nor a time such as 2026-11-30T00:00:00Z")
        }
    }

    static func parseSince(_ text: String, now: Date) -> Date? {
        if let period = parseDuration(text) { return now.addingTimeInterval(-TimeInterval(period.components.seconds)) }
        return ISO8601DateFormatter().date(from: text)
    }

    struct Output: Encodable {
        var version = 1
        var target: String
        var runs: [Runner.HistoryEntry]
    }

    struct PipelineOutput: Encodable {
        var version = 1
        var target: String
        var pipeline: String
        var executions: [PipelineExecutions.ExecutionSummary]
    }

    /// A pipeline's executions (Step Functions engines).
    func executions(_ pipeline: Pipeline, context: DeployContext) async throws {
        guard context.target.plugin.orchestration == .stepFunctions else {
            throw CommandFailure(
                "pipeline \(pipeline.name) runs on this machine on target \(context.target.name): its runs are recorded under pipelines/\(context.target.name)/\(pipeline.name)/ in the target's store"
            )
        }
        let cutoff = since.flatMap { Self.parseSince($0, now: context.now()) }
        var summaries = try await PipelineExecutions(context: context).summaries(pipeline: pipeline, limit: limit)
        summaries.removeAll { summary in
            (state.map { $0.rawValue != summary.state } ?? false) || (cutoff.map { (summary.startedAt ?? .distantPast) < $0 } ?? false)
        }
        if json {
            try printSnakeJSON(PipelineOutput(target: context.target.name, pipeline: pipeline.name, executions: summaries))
            return
        }
        guard !summaries.isEmpty else {
            print(
                "No executions of pipeline \(pipeline.name) on target \(context.target.name)\(state.map { " in state \($0.rawValue)" } ?? "")\(since.map { " since \($0)" } ?? "")."
            )
            return
        }
        let iso = ISO8601DateFormatter()
        print(["PIPELINE", "RUN", "STATE", "STARTED", "DURATION", "COST", "STEPS"].joined(separator: "  "))
        for summary in summaries {
            let duration = summary.startedAt.map { (summary.endedAt ?? Date()).timeIntervalSince($0) }
            let steps = summary.steps.map { "\($0.step) \($0.state)\($0.handle.map { " " + $0 } ?? "")" }.joined(separator: "; ")
            print(
                [
                    pipeline.name, summary.runId, summary.state, summary.startedAt.map { iso.string(from: $0) } ?? "-", duration.map(Status.duration) ?? "-",
                    summary.cost?.text ?? "-", steps.isEmpty ? "-" : steps,
                ].joined(separator: "  "))
            if let error = summary.error { print("    \(error)") }
        }
        let total = summaries.compactMap(\.cost?.usd).reduce(0, +)
        print("total cost of the executions listed: \(RunCost(usd: total, estimate: false, basis: "").text)")
    }

    /// What a run wrote, in a few words: `RUN_ID: N rows in T tables, quarantine R%`.
    static func dataText(_ record: DataRecord) -> String {
        let rows = record.tables.values.reduce(0, +)
        return "\(record.runId): \(rows) rows in \(record.tables.count) tables"
            + (record.quarantineRatio.map { String(format: ", quarantine %.2f%%", $0 * 100) } ?? "")
    }

    func run() async throws {
        try await CommandContext.run(manifest: manifest, target: target.target, developer: target.developer, aws: aws) { command in
            if let job, let pipeline = command.context.manifest.pipeline(job) {
                try await executions(pipeline, context: command.context)
                return
            }
            let jobs = try job.map { [try command.context.manifest.job($0).name] } ?? command.context.manifest.jobs.map(\.name)
            let cutoff = since.flatMap { Self.parseSince($0, now: command.context.now()) }
            let entries = try await Runner(context: command.context).history(jobs: jobs, state: state, since: cutoff, limit: limit, data: true)
            if json {
                try printSnakeJSON(Output(target: command.context.target.name, runs: entries))
                return
            }
            let total = entries.compactMap(\.run.cost?.usd).reduce(0, +)
            defer { if !json && !entries.isEmpty { print("total cost of the runs listed: \(RunCost(usd: total, estimate: false, basis: "").text)") } }
            if entries.isEmpty {
                print("No runs on target \(command.context.target.name)\(state.map { " in state \($0.rawValue)" } ?? "")\(since.map { " since \($0)" } ?? "").")
                return
            }
            let iso = ISO8601DateFormatter()
            var rows = [["JOB", "RUN", "STATE", "STARTED", "DURATION", "COST", "ARTIFACT", "DEPLOYMENT", "DATA"]]
            for entry in entries {
                let run = entry.run
                rows.append([
                    entry.job, run.id, run.state.rawValue, run.startedAt.map { iso.string(from: $0) } ?? "-",
                    run.durationSeconds.map(Status.duration) ?? "-",
                    run.cost.map { $0.text + ($0.estimate ? "~" : "") } ?? "-", run.metadata?.artifact.map { String($0.prefix(12)) } ?? "-",
                    run.metadata?.deployment ?? "-", entry.data.map(Self.dataText) ?? "-",
                ])
            }
            for line in alignedLines(rows) { print(line) }
        }
    }
}
