import AWSCore
import ArgumentParser
import DeployKit
import Foundation
import SigV4

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per job: latest deployment and recent runs (the on-call view).",
        discussion: "Exit status 1 when the latest run of any job failed or the runs of a job could not be read, 0 otherwise."
    )

    @Argument(help: "Only this job (default: every job of the manifest).")
    var job: String?

    @OptionGroup var manifest: ManifestFlags
    @OptionGroup var target: TargetFlag

    @Option(help: ArgumentHelp("Show this run of JOB in detail ('latest' for the newest).", valueName: "RUN_ID"))
    var run: String?

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Refresh every 10 seconds until interrupted.")
    var watch = false

    @Option(help: "Runs shown per job.")
    var limit = 5

    @OptionGroup var aws: AWSFlags

    func validate() throws {
        if run != nil && job == nil { throw ValidationError("--run needs the JOB argument") }
        guard (1...50).contains(limit) else { throw ValidationError("--limit must be between 1 and 50") }
    }

    struct Output: Encodable {
        var version = 1
        var target: String
        var jobs: [Runner.JobStatus]
    }

    /// `status JOB --run RUN_ID --json`.
    struct RunOutput: Encodable {
        var version = 1
        var target: String
        var job: String
        var run: RunInfo
    }

    func run() async throws {
        let failed: Bool = try await CommandContext.run(manifest: manifest, target: target.target, aws: aws) { command in
            let runner = Runner(context: command.context)
            if let run, let job {
                let info = try await runner.detail(job: job, runId: run)
                if json { try printSnakeJSON(RunOutput(target: command.context.target.name, job: job, run: info)) } else {
                    print("run:      \(RunHandle(engine: command.context.target.engine.rawValue, target: command.context.target.name, job: job, runId: run))")
                    print("state:    \(info.state.rawValue) (\(info.engineState))")
                    print("started:  \(info.startedAt.map { ISO8601DateFormatter().string(from: $0) } ?? "-")")
                    print("duration: \(info.durationSeconds.map { Self.duration($0) } ?? "-")")
                    if let minutes = info.timeLimitMinutes { print("limit:    \(minutes) min") }
                    if let error = info.error { print("error:    \(error)") }
                    if let cost = info.cost { print("cost:     \(cost.text)\(cost.estimate ? " (estimate)" : "") = \(cost.basis)") }
                    for (name, link) in info.links.sorted(by: { $0.key < $1.key }) { print("\(name.replacingOccurrences(of: "_", with: " ")):\(String(repeating: " ", count: max(1, 9 - name.count)))\(link)") }
                }
                return info.state == .failed || info.state == .timedOut
            }
            let jobs = try job.map { [try command.context.manifest.job($0).name] } ?? command.context.manifest.jobs.map(\.name)
            while true {
                let statuses = try await runner.status(jobs: jobs, limit: limit)
                if json {
                    try printSnakeJSON(Output(target: command.context.target.name, jobs: statuses))
                } else {
                    if watch { print("\u{1B}[2J\u{1B}[H", terminator: "") }
                    print(Self.table(statuses, target: command.context.target.name))
                }
                let anyFailed = statuses.contains { ["failed", "timed_out"].contains($0.runs.first?.state ?? "") }
                let unreadable = statuses.filter { $0.error != nil }.map(\.job)
                if !watch {
                    // On call must not read "all is well" from a view that could not be read.
                    if !unreadable.isEmpty { printError("the runs of \(unreadable.joined(separator: ", ")) could not be read (see above)") }
                    return anyFailed || !unreadable.isEmpty
                }
                try await Task.sleep(for: .seconds(10))
            }
        }
        if failed { throw ExitCode(1) }
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 3600 ? "\(total / 3600)h\(total % 3600 / 60)m" : total >= 60 ? "\(total / 60)m\(total % 60)s" : "\(total)s"
    }

    static func table(_ statuses: [Runner.JobStatus], target: String) -> String {
        let iso = ISO8601DateFormatter()
        var lines = ["target \(target)"]
        for status in statuses {
            lines.append("")
            if let deployment = status.deployment {
                lines.append("\(status.job): deployment \(deployment.id), artifact \(deployment.artifact.prefix(12)), \(iso.string(from: deployment.at)) by \(deployment.by)")
            } else {
                lines.append("\(status.job): not deployed")
            }
            if let error = status.error { lines.append("  (runs unavailable: \(error))") }
            if status.runs.isEmpty, status.deployment != nil { lines.append("  no runs yet") }
            if !status.runs.isEmpty {
                lines.append("  " + ["RUN", "STATE", "STARTED", "DURATION", "COST", "ERROR"].joined(separator: "  "))
                for run in status.runs {
                    lines.append("  \(run.id)  \(run.state) (\(run.engineState))  \(run.startedAt.map { iso.string(from: $0) } ?? "-")  \(run.durationSeconds.map(duration) ?? "-")  \(run.cost.map { $0.text + ($0.estimate ? "~" : "") } ?? "-")  \(run.error ?? "")")
                }
            }
        }
        return lines.joined(separator: "\n")
    }
}
