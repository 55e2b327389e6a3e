import AWSCore
import DeployKit
import Foundation

/// `deployer backfill PIPELINE` on Step Functions targets: one execution of the deployed state
/// machine per date, the date its input (a run input of the pipeline, `as_of`), named
/// `bf-PIPELINE-YYYYMMDD` so a start whose answer was lost is found again by its name.
extension BackfillCommand {
    func backfillExecutions(_ pipeline: Pipeline, context: DeployContext) async throws -> Int32 {
        let backfill = self.backfill
        let input = Pipeline.bareName(backfill.argument)
        guard pipeline.runInputs[input] != nil else {
            throw CommandFailure(
                "backfill \(pipeline.name): on target \(context.target.name) the pipeline is a Step Functions state machine, which takes a date only as one of the pipeline's own arguments: add '\(backfill.argument): \"\"' under pipelines.\(pipeline.name).arguments (the value runs without a date get: a job that reads an empty date as today, as sales_etl does, keeps its default) and apply"
            )
        }
        if let step = pipeline.stepSetting(input) {
            throw CommandFailure(
                "backfill \(pipeline.name): step \(step.name) sets \(backfill.argument) itself, and its value wins over the execution's: remove it from the step (the pipeline's arguments give it)"
            )
        }
        let runner = Runner(context: context)
        let executions = PipelineExecutions(context: context)
        // Refused before anything is started: a state machine deployed without the input. Read
        // once: every date's start and stop uses it.
        let machine = try await executions.check(inputs: [input], pipeline: pipeline.name)
        let dates = try backfill.dates()
        let record = try await backfill.load(context)
        let perRun = try await Self.costPerRun(pipeline, runner: runner)
        guard let left = try announce(what: "pipeline \(pipeline.name)", context: context, dates: dates, record: record, perRun: perRun) else { return 0 }
        let progress = BackfillProgress(record: record, backfill: backfill, context: context, total: dates.count)
        let poll = Duration.milliseconds(Int64(try pollMilliseconds()))
        let limit = concurrency
        do {
            try await Interrupts.run(first: "stopping the backfill's executions that are going", second: "quitting at once; the executions go on") {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    var pending = left[...]
                    func add(_ date: String) {
                        group.addTask {
                            try await Self.runExecutionDate(
                                date, pipeline: pipeline, machine: machine, input: input, executions: executions, runner: runner, poll: poll,
                                progress: progress)
                        }
                    }
                    for _ in 0..<min(limit, left.count) { if let date = pending.popFirst() { add(date) } }
                    while try await group.next() != nil {
                        if let date = pending.popFirst() { add(date) }
                    }
                }
            }
        } catch let interrupted as Interrupted {
            let stopped = await Self.stopGoing(
                pipeline, machine: machine, executions: executions, progress: progress, signal: Interrupts.name(interrupted.signal))
            printError(
                "\(Interrupts.name(interrupted.signal)): backfill of pipeline \(pipeline.name) stopped\(stopped.isEmpty ? "" : "; stopped " + stopped.joined(separator: ", ")); the same command again goes on from here"
            )
            return RunExit.interrupted
        }
        let final = await progress.record
        Self.pipelineSummary(dates, record: final)
        return dates.allSatisfy { final.runs[$0]?.state == RunState.succeeded.rawValue } ? 0 : 1
    }

    /// One date: the execution the record shows going, else `bf-PIPELINE-YYYYMMDD` (with a
    /// suffix when an earlier attempt of the date did not succeed), recorded as going before it
    /// is started so a signal stops it, then started with the date as input (or found again by
    /// its name: StartExecution's answer may have been lost). The cost is the sum of its steps' runs.
    static func runExecutionDate(
        _ date: String, pipeline: Pipeline, machine: RecordedPipeline, input: String, executions: PipelineExecutions, runner: Runner, poll: Duration,
        progress: BackfillProgress
    ) async throws {
        let target = progress.context.target.name
        let key = progress.backfill.key(date)
        let entry = await progress.record.runs[date]
        func handle(_ runId: String) -> String {
            RunHandle(engine: Run.executionEngine, target: target, job: pipeline.name, runId: runId).description
        }
        func suffixed() -> String { key + "-" + String(UUID().uuidString.prefix(4)).lowercased() }
        func start(_ runId: String) async throws -> PipelineExecutions.Started {
            try await progress.update(date, handle: handle(runId), state: RunState.running.rawValue, usd: nil, seconds: nil)
            return try await executions.start(machine: machine, pipeline: pipeline.name, runId: runId, inputs: [input: date])
        }
        var runId: String
        if let entry, entry.state == RunState.running.rawValue, let known = RunHandle(entry.handle)?.runId {
            runId = known
        } else {
            runId = entry == nil ? key : suffixed()
        }
        var started = try await start(runId)
        var found = started.status
        // ExecutionAlreadyExists tells no status: read it then.
        if started.reused, found == nil { found = (try? await executions.describe(started.executionArn))?.status }
        if started.reused, let found, !["RUNNING", "SUCCEEDED"].contains(found) {
            // An earlier attempt (its record lost, or it ended unwatched) that did not succeed: run the date again.
            runId = suffixed()
            started = try await start(runId)
        }
        let arn = started.executionArn
        print("\(date): \(started.reused ? "following" : "started") execution \(runId) (--\(input) \(date))")
        let (final, steps) = try await executions.follow(arn, pipeline: pipeline, poll: poll) { line in print("\(date): \(line)") }
        var usd: Double?
        for step in steps where step.state == "started" {
            guard let stepHandle = step.handle.flatMap(RunHandle.init),
                let cost = try? await Uncancelled.run({ try await runner.describe(job: stepHandle.job, runId: stepHandle.runId).cost })
            else { continue }
            usd = (usd ?? 0) + cost.usd
        }
        let seconds = final.startDate.flatMap { start in final.stopDate.map { $0.timeIntervalSince(start) } }
        let state = PipelineExecutions.state(final.status)
        let cost = usd
        let ended = handle(runId)
        try await Uncancelled.run { try await progress.update(date, handle: ended, state: state, usd: cost, seconds: seconds) }
        let count = await progress.finished
        let why = PipelineExecutions.why(error: final.error, cause: final.cause)
        print(
            "[\(count)/\(progress.total)] \(date): \(state) execution \(runId)\(seconds.map { " in " + Status.duration($0) } ?? "")\(usd.map { " " + RunCost(usd: $0, estimate: false, basis: "").text } ?? "")\(why.isEmpty ? "" : ": " + why)"
        )
    }

    /// Stops every execution the record shows going and cancels its running steps' runs (a
    /// stopped execution must leave no job running); returns the run ids stopped.
    static func stopGoing(
        _ pipeline: Pipeline, machine: RecordedPipeline, executions: PipelineExecutions, progress: BackfillProgress, signal: String
    ) async -> [String] {
        var stopped: [String] = []
        for (date, entry) in await progress.record.runs.sorted(by: { $0.key < $1.key }) where entry.state == RunState.running.rawValue {
            guard let runId = RunHandle(entry.handle)?.runId else { continue }
            let done: Bool? = try? await Uncancelled.run {
                let arn = PipelineExecutions.executionArn(stateMachineArn: machine.arn, runId: runId)
                // Recorded but not started (the signal came first): nothing to stop.
                guard (try? await executions.describe(arn)) != nil else { return true }
                try await executions.stop(arn, cause: "\(signal) to deployer backfill")
                _ = try await executions.cancelRunningSteps(arn, pipeline: pipeline)
                return true
            }
            guard done == true else { continue }
            try? await Uncancelled.run { try await progress.update(date, handle: entry.handle, state: "cancelled", usd: nil, seconds: nil) }
            stopped.append(runId)
        }
        return stopped
    }
}
