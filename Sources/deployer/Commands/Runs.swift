import ArgumentParser
import DeployKit
import Foundation

extension RunState: ExpressibleByArgument {}

struct Runs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List runs across the target's engine: state, start, duration, artifact, deployment.",
        discussion: "Newest first. Runs started by deployer carry the artifact digest and deployment id they ran."
    )

    @Argument(help: "Only this job (default: every job of the manifest).")
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

    func run() async throws {
        try await CommandContext.run(manifest: manifest, target: target.target, aws: aws) { command in
            let jobs = try job.map { [try command.context.manifest.job($0).name] } ?? command.context.manifest.jobs.map(\.name)
            let cutoff = since.flatMap { Self.parseSince($0, now: command.context.now()) }
            let entries = try await Runner(context: command.context).history(jobs: jobs, state: state, since: cutoff, limit: limit)
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
            print(["JOB", "RUN", "STATE", "STARTED", "DURATION", "COST", "ARTIFACT", "DEPLOYMENT"].joined(separator: "  "))
            for entry in entries {
                let run = entry.run
                print([entry.job, run.id, run.state.rawValue, run.startedAt.map { iso.string(from: $0) } ?? "-", run.durationSeconds.map(Status.duration) ?? "-",
                       run.cost.map { $0.text + ($0.estimate ? "~" : "") } ?? "-", run.metadata?.artifact.map { String($0.prefix(12)) } ?? "-", run.metadata?.deployment ?? "-"].joined(separator: "  "))
            }
        }
    }
}
