import AWSCore
import DeployKit
import Foundation

/// `deployer backfill PIPELINE`: one run of the pipeline per date, every step given the date;
/// on targets whose engine runs pipelines on this machine, deployer runs the steps itself
/// (on Step Functions: `Backfill+Execution`).
extension BackfillCommand {
    func backfillPipeline(_ pipeline: Pipeline, context: DeployContext) async throws -> Int32 {
        if context.target.plugin.orchestration == .stepFunctions { return try await backfillExecutions(pipeline, context: context) }
        let backfill = self.backfill
        let runner = Runner(context: context)
        let dates = try backfill.dates()
        let record = try await backfill.load(context)
        let perRun = try await Self.costPerRun(pipeline, runner: runner)
        guard let left = try announce(what: "pipeline \(pipeline.name)", context: context, dates: dates, record: record, perRun: perRun) else { return 0 }
        let progress = BackfillProgress(record: record, backfill: backfill, context: context, total: dates.count)
        let limit = concurrency
        let argument = backfill.argument
        let pipelines = PipelineRunner(runner: runner)
        do {
            try await Interrupts.run(first: "cancelling the running steps of the backfill's pipeline runs", second: "quitting at once; steps may go on") {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    var pending = left[...]
                    func add(_ date: String) {
                        group.addTask {
                            try await Self.runPipelineDate(date, pipeline: pipeline, argument: argument, pipelines: pipelines, progress: progress)
                        }
                    }
                    for _ in 0..<min(limit, left.count) { if let date = pending.popFirst() { add(date) } }
                    while try await group.next() != nil {
                        // A cancelled pipeline run returns (its steps cancelled): start no other date.
                        try Task.checkCancellation()
                        if let date = pending.popFirst() { add(date) }
                    }
                    try Task.checkCancellation()
                }
            }
        } catch let interrupted as Interrupted {
            let cancelled = await progress.record.runs.filter { $0.value.state == "cancelled" || $0.value.state == RunState.running.rawValue }.keys.sorted()
            printError(
                "\(Interrupts.name(interrupted.signal)): backfill of pipeline \(pipeline.name) stopped\(cancelled.isEmpty ? "" : "; cancelled the runs of " + cancelled.joined(separator: ", ")); the same command again goes on from here"
            )
            return RunExit.interrupted
        }
        let final = await progress.record
        Self.pipelineSummary(dates, record: final)
        return dates.allSatisfy { final.runs[$0]?.state == RunState.succeeded.rawValue } ? 0 : 1
    }

    /// The table at the end of a pipeline's backfill: per date its run, state, duration and cost.
    static func pipelineSummary(_ dates: [String], record: Backfill.Record) {
        var rows = [["DATE", "RUN", "STATE", "DURATION", "COST"]]
        for date in dates {
            let entry = record.runs[date]
            rows.append([
                date, entry.map { String($0.handle.split(separator: ":").last ?? "") } ?? "-", entry?.state ?? "not started",
                entry?.seconds.map(Status.duration) ?? "-", entry?.usd.map { RunCost(usd: $0, estimate: false, basis: "").text } ?? "-",
            ])
        }
        print("")
        for line in alignedLines(rows) { print(line) }
        print("total cost: \(RunCost(usd: dates.compactMap { record.runs[$0]?.usd }.reduce(0, +), estimate: false, basis: "").text)")
    }

    /// One pipeline run for `date`: the date is every step's `argument`, the run id
    /// `bf-PIPELINE-YYYYMMDD` (with a suffix when an earlier attempt of the date did not succeed,
    /// so its outputs stay apart); the cost is the sum of its steps' runs.
    static func runPipelineDate(_ date: String, pipeline: Pipeline, argument: String, pipelines: PipelineRunner, progress: BackfillProgress) async throws {
        var chosen = pipeline
        chosen.arguments[argument] = date
        chosen.steps = pipeline.steps.map { step in
            var step = step
            if step.arguments[argument] != nil { step.arguments[argument] = date }
            return step
        }
        let key = progress.backfill.key(date)
        let runId = await progress.record.runs[date] == nil ? key : key + "-" + String(UUID().uuidString.prefix(4)).lowercased()
        let handle = "pipeline:\(progress.context.target.name):\(pipeline.name):\(runId)"
        try await progress.update(date, handle: handle, state: RunState.running.rawValue, usd: nil, seconds: nil)
        print("\(date): started pipeline \(pipeline.name) run \(runId)")
        let result = try await pipelines.run(chosen, runId: runId) { line in print("\(date): \(line)") }
        var usd: Double?
        for step in result.steps {
            guard let stepHandle = step.handle.flatMap(RunHandle.init),
                let cost = try? await Uncancelled.run({ try await pipelines.runner.describe(job: stepHandle.job, runId: stepHandle.runId).cost })
            else { continue }
            usd = (usd ?? 0) + cost.usd
        }
        let seconds = result.endedAt.map { $0.timeIntervalSince(result.startedAt) }
        let cost = usd
        try await Uncancelled.run { try await progress.update(date, handle: handle, state: result.state, usd: cost, seconds: seconds) }
        let count = await progress.finished
        print(
            "[\(count)/\(progress.total)] \(date): \(result.state) pipeline \(pipeline.name) run \(runId)\(seconds.map { " in " + Status.duration($0) } ?? "")\(usd.map { " " + RunCost(usd: $0, estimate: false, basis: "").text } ?? "")"
        )
    }

    /// The sum of the steps' jobs' median costs, when each has one.
    static func costPerRun(_ pipeline: Pipeline, runner: Runner) async throws -> (usd: Double, basis: String)? {
        var total = 0.0
        for job in Set(pipeline.steps.map(\.job)) {
            guard let perRun = try await Backfill.costPerRun(runner, job: job) else { return nil }
            total += perRun.usd * Double(pipeline.steps.filter { $0.job == job }.count)
        }
        return (total, "the sum of its steps' jobs' median costs of their recent successful runs")
    }
}
