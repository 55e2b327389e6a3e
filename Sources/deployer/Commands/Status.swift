import AWSCore
import ArgumentParser
import DeployKit
import Foundation
import SigV4

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Per job: latest deployment and recent runs (the on-call view); per pipeline on Step Functions: recent executions.",
        discussion: """
            Per job also its data: the newest run records the job wrote in its output folder (OUTPUT/_runs/RUN_ID.json, OUTPUT from \
            its --output_path or data_checks.output_argument): rows per table, quarantine ratio, the published run, and anomalies \
            against the median of the runs before (a table with 0 rows, rows changed by more than data_checks.max_change_percent, \
            the quarantine ratio over its limit or doubled, no publish after a firing of the schedule).
            Exit status 1 when the latest run of any job (or execution of any pipeline) failed or anything could not be read; \
            with --detailed-exitcode 2 when none did but the data has an anomaly; 0 otherwise.
            """
    )

    @Argument(help: "Only this job or pipeline (default: every job, and every pipeline on Step Functions targets).")
    var job: String?

    @OptionGroup var manifest: ManifestFlags
    @OptionGroup var target: TargetFlag

    @Option(help: ArgumentHelp("Show this run of JOB in detail ('latest' for the newest).", valueName: "RUN_ID"))
    var run: String?

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Refresh every 10 seconds until interrupted.")
    var watch = false

    @Flag(help: "Exit 2 when no run failed but a job's data has an anomaly (see below).")
    var detailedExitcode = false

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
        var pipelines: [PipelineStatus]? = nil
    }

    /// A pipeline's recent executions (Step Functions targets).
    struct PipelineStatus: Encodable {
        var pipeline: String
        var executions: [PipelineExecutions.ExecutionSummary]
        var error: String?
        var deployed = true
    }

    /// The recent executions of `pipelines` (none on targets that run pipelines locally).
    func pipelineStatuses(_ pipelines: [Pipeline], context: DeployContext) async -> [PipelineStatus] {
        guard context.target.plugin.orchestration == .stepFunctions else { return [] }
        var result: [PipelineStatus] = []
        let deployed = (try? await context.liveRecord())?.pipelines ?? [:]
        for pipeline in pipelines {
            guard deployed[pipeline.name] != nil else {
                result.append(PipelineStatus(pipeline: pipeline.name, executions: [], deployed: false))
                continue
            }
            do {
                result.append(
                    PipelineStatus(
                        pipeline: pipeline.name, executions: try await PipelineExecutions(context: context).summaries(pipeline: pipeline, limit: limit)))
            } catch {
                result.append(PipelineStatus(pipeline: pipeline.name, executions: [], error: "\(error)"))
            }
        }
        return result
    }

    static func pipelineTable(_ statuses: [PipelineStatus]) -> String {
        let iso = ISO8601DateFormatter()
        var lines: [String] = []
        for status in statuses {
            lines.append("")
            lines.append("pipeline \(status.pipeline):\(status.deployed ? "" : " not deployed")")
            if let error = status.error { lines.append("  (executions unavailable: \(error))") }
            if status.executions.isEmpty, status.error == nil, status.deployed { lines.append("  no executions yet") }
            for execution in status.executions {
                let duration = execution.startedAt.map { (execution.endedAt ?? Date()).timeIntervalSince($0) }
                lines.append(
                    "  \(execution.runId)  \(execution.state)  \(execution.startedAt.map { iso.string(from: $0) } ?? "-")  \(duration.map(Status.duration) ?? "-")  \(execution.cost?.text ?? "-")  "
                        + execution.steps.map { "\($0.step) \($0.state)" }.joined(separator: ", ") + (execution.error.map { "  (\($0))" } ?? ""))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `status JOB --run RUN_ID --json`.
    struct RunOutput: Encodable {
        var version = 1
        var target: String
        var job: String
        var run: RunInfo
    }

    func run() async throws {
        let code: Int32 = try await CommandContext.run(manifest: manifest, target: target.target, developer: target.developer, aws: aws) { command in
            let runner = Runner(context: command.context)
            if let run, let job {
                let info = try await runner.detail(job: job, runId: run)
                if json {
                    try printSnakeJSON(RunOutput(target: command.context.target.name, job: job, run: info))
                } else {
                    print("run:      \(RunHandle(engine: command.context.target.engine.rawValue, target: command.context.target.name, job: job, runId: run))")
                    print("state:    \(info.state.rawValue) (\(info.engineState))")
                    print("started:  \(info.startedAt.map { ISO8601DateFormatter().string(from: $0) } ?? "-")")
                    print("duration: \(info.durationSeconds.map { Self.duration($0) } ?? "-")")
                    if let minutes = info.timeLimitMinutes { print("limit:    \(minutes) min") }
                    if let error = info.error { print("error:    \(error)") }
                    if let cost = info.cost { print("cost:     \(cost.text)\(cost.estimate ? " (estimate)" : "") = \(cost.basis)") }
                    for (name, link) in info.links.sorted(by: { $0.key < $1.key }) {
                        print("\(name.replacingOccurrences(of: "_", with: " ")):\(String(repeating: " ", count: max(1, 9 - name.count)))\(link)")
                    }
                }
                return info.state == .failed || info.state == .timedOut ? 1 : 0
            }
            let onePipeline = job.flatMap { command.context.manifest.pipeline($0) }
            let jobs = onePipeline != nil ? [] : try job.map { [try command.context.manifest.job($0).name] } ?? command.context.manifest.jobs.map(\.name)
            let pipelines = onePipeline.map { [$0] } ?? (job == nil ? command.context.manifest.pipelines : [])
            while true {
                let statuses = try await runner.status(jobs: jobs, limit: limit, data: true)
                let executions = await pipelineStatuses(pipelines, context: command.context)
                if json {
                    try printSnakeJSON(Output(target: command.context.target.name, jobs: statuses, pipelines: executions.isEmpty ? nil : executions))
                } else {
                    if watch { print("\u{1B}[2J\u{1B}[H", terminator: "") }
                    print(Self.table(statuses, target: command.context.target.name) + Self.pipelineTable(executions))
                }
                let anyFailed =
                    statuses.contains { ["failed", "timed_out"].contains($0.runs.first?.state ?? "") }
                    || executions.contains { ["failed", "timed_out"].contains($0.executions.first?.state ?? "") }
                let unreadable =
                    statuses.filter { $0.error != nil }.map { "the runs of " + $0.job }
                    + statuses.filter { $0.data?.error != nil }.map { "the data of " + $0.job }
                    + executions.filter { $0.error != nil }.map { "the executions of pipeline " + $0.pipeline }
                let anomalies = statuses.contains { !($0.data?.anomalies.isEmpty ?? true) }
                if !watch {
                    // On call must not read "all is well" from a view that could not be read.
                    if !unreadable.isEmpty { printError("\(unreadable.joined(separator: ", ")) could not be read (see above)") }
                    return anyFailed || !unreadable.isEmpty ? 1 : anomalies && detailedExitcode ? 2 : 0
                }
                try await Task.sleep(for: .seconds(10))
            }
        }
        if code != 0 { throw ExitCode(code) }
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
                lines.append(
                    "\(status.job): deployment \(deployment.id), artifact \(deployment.artifact.prefix(12)), \(iso.string(from: deployment.at)) by \(deployment.by)"
                )
            } else {
                lines.append("\(status.job): not deployed")
            }
            if let error = status.error { lines.append("  (runs unavailable: \(error))") }
            if status.runs.isEmpty, status.deployment != nil { lines.append("  no runs yet") }
            if !status.runs.isEmpty {
                var rows = [["RUN", "STATE", "STARTED", "DURATION", "COST", "ERROR"]]
                for run in status.runs {
                    rows.append([
                        run.id, "\(run.state) (\(run.engineState))", run.startedAt.map { iso.string(from: $0) } ?? "-",
                        run.durationSeconds.map(duration) ?? "-",
                        run.cost.map { $0.text + ($0.estimate ? "~" : "") } ?? "-", run.error ?? "",
                    ])
                }
                lines += alignedLines(rows, indent: "  ")
            }
            if let data = status.data { lines += dataLines(data) }
        }
        return lines.joined(separator: "\n")
    }

    /// A job's data: its newest run records as a table, then one `!` line per anomaly.
    static func dataLines(_ data: JobData) -> [String] {
        let iso = ISO8601DateFormatter()
        var lines = ["  data in \(data.location)" + (data.publishedRunId.map { ": published run \($0)" } ?? "")]
        if let error = data.error {
            lines.append("  (data unavailable: \(error))")
            return lines
        }
        if data.runs.isEmpty { lines.append("  no run records yet") }
        // AT: when the run published its tables (or, for a job that does not say, started).
        var rows = [["RUN", "STATUS", "AS_OF", "AT", "QUARANTINE", "ROWS"]]
        for record in data.runs {
            rows.append([
                record.runId + (record.runId == data.publishedRunId ? " *" : ""), record.status, record.asOf ?? "-",
                (record.publishedAt ?? record.startedAt).map { iso.string(from: $0) } ?? "-",
                record.quarantineRatio.map { String(format: "%.2f%%", $0 * 100) } ?? "-",
                record.tables.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
            ])
        }
        if !data.runs.isEmpty { lines += alignedLines(rows, indent: "    ") }
        lines += data.anomalies.map { "  ! \($0.message)" }
        return lines
    }
}
