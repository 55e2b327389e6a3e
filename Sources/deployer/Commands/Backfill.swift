import AWSCore
import ArgumentParser
import DeployKit
import Foundation

struct BackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Run a job or pipeline once per date of a past range (its --as_of), a few at a time, resumable, with the cost known first.",
        discussion: """
            Each date's run gets --as_of DATE (or --date-argument) and --run_id bf-JOB-YYYYMMDD, also its idempotency key; \
            the backfill is recorded in the \\
            target's store (deployments/TARGET/backfills/), so the same command again skips the dates that succeeded and \\
            follows the runs still going. Before starting it prints the estimate (the median cost of the job's recent \\
            successful runs × the dates left); --max-cost below it starts nothing, --plan prints it and stops. Ctrl-C or \\
            SIGTERM cancels every run it started that is still going (exit 3). At the end a table: date, run, state, \\
            duration, cost, rows written. Exit 0 when every date succeeded, 1 otherwise. A pipeline runs once per date \\
            with the date given to every step; its run id is bf-PIPELINE-YYYYMMDD. On Step Functions that is an execution \\
            of the deployed state machine with the date as its input, which the pipeline takes when its own arguments \\
            name the date argument (pipelines.NAME.arguments: {--as_of: ""}).
            """
    )

    @Argument(help: "The job, or a pipeline.")
    var job: String

    @Option(help: ArgumentHelp("The first date, YYYY-MM-DD.", valueName: "DATE"))
    var from: String

    @Option(help: ArgumentHelp("The last date, YYYY-MM-DD (included).", valueName: "DATE"))
    var to: String

    @Option(help: ArgumentHelp("day: every date; month: the last day of each month in the range.", valueName: "day|month"))
    var every = "day"

    @Option(help: "Runs going at once (1 to 16).")
    var concurrency = 1

    @Option(help: ArgumentHelp("Start nothing when the estimate is above this many USD.", valueName: "USD"))
    var maxCost: Double?

    @Option(help: ArgumentHelp("The job argument that receives each date.", valueName: "NAME"))
    var dateArgument = "--as_of"

    @Flag(help: "Print the dates and the estimate, start nothing.")
    var plan = false

    @OptionGroup var manifest: ManifestFlags
    @OptionGroup var target: TargetFlag
    @OptionGroup var aws: AWSFlags

    func validate() throws {
        guard Backfill.Every(rawValue: every) != nil else { throw ValidationError("--every '\(every.prefix(20))' is not day or month") }
        guard (1...16).contains(concurrency) else { throw ValidationError("--concurrency \(concurrency) is not between 1 and 16") }
        if let maxCost, !(maxCost >= 0 && maxCost.isFinite) { throw ValidationError("--max-cost must be a number of USD, 0 or more") }
        guard dateArgument.range(of: "^--[A-Za-z0-9_.-]{1,100}$", options: .regularExpression) != nil else {
            throw ValidationError("--date-argument '\(dateArgument.prefix(40))' is not a job argument such as --as_of")
        }
        do {
            _ = try backfill.dates()
        } catch {
            throw ValidationError("\(error)")
        }
    }

    var backfill: Backfill { Backfill(job: job, from: from, to: to, every: Backfill.Every(rawValue: every) ?? .day, argument: dateArgument) }

    func run() async throws {
        let code: Int32 = try await CommandContext.run(manifest: manifest, target: target.target, developer: target.developer, aws: aws) { command in
            let context = command.context
            if let pipeline = context.manifest.pipeline(job) { return try await backfillPipeline(pipeline, context: context) }
            let name = try context.manifest.job(job).name
            let backfill = self.backfill
            let runner = Runner(context: context)
            let dates = try backfill.dates()
            let record = try await backfill.load(context)
            let perRun = try await Backfill.costPerRun(runner, job: name)
            guard let left = try announce(what: name, context: context, dates: dates, record: record, perRun: perRun) else { return 0 }
            let progress = BackfillProgress(record: record, backfill: backfill, context: context, total: dates.count)
            let limit = concurrency
            let argument = backfill.argument
            do {
                try await Interrupts.run(first: "cancelling the backfill's runs that are going", second: "quitting at once; the runs go on") {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        var pending = left[...]
                        func next() -> String? { pending.popFirst() }
                        for _ in 0..<min(limit, left.count) {
                            guard let date = next() else { break }
                            group.addTask { try await Self.runDate(date, job: name, argument: argument, runner: runner, progress: progress) }
                        }
                        while try await group.next() != nil {
                            if let date = next() {
                                group.addTask { try await Self.runDate(date, job: name, argument: argument, runner: runner, progress: progress) }
                            }
                        }
                    }
                }
            } catch let interrupted as Interrupted {
                let cancelled = await progress.cancelGoing(runner: runner)
                printError(
                    "\(Interrupts.name(interrupted.signal)): backfill \(name) stopped\(cancelled.isEmpty ? "" : "; cancelled " + cancelled.joined(separator: ", ")); the same command again goes on from here"
                )
                return RunExit.interrupted
            }
            let final = await progress.record
            await Self.summary(dates, record: final, runner: runner, job: name)
            return dates.allSatisfy { final.runs[$0]?.state == RunState.succeeded.rawValue } ? 0 : 1
        }
        if code != 0 { throw ExitCode(code) }
    }

    /// The header, the estimate and the `--max-cost` check, then the dates with `--plan`; the
    /// dates left to run, nil when `--plan` stops here.
    func announce(what name: String, context: DeployContext, dates: [String], record: Backfill.Record, perRun: (usd: Double, basis: String)?) throws
        -> [String]?
    {
        let done = dates.filter { record.runs[$0]?.state == RunState.succeeded.rawValue }
        let left = dates.filter { !done.contains($0) }
        let estimate = perRun.map { $0.usd * Double(left.count) }
        print(
            "backfill \(name) on \(context.target.name): \(dates.count) date\(dates.count == 1 ? "" : "s") (\(backfill.from) to \(backfill.to), every \(backfill.every.rawValue)), \(done.count) done already, \(left.count) to run, \(concurrency) at a time"
        )
        if let perRun, let estimate {
            print(
                "estimate: \(RunCost(usd: estimate, estimate: true, basis: "").text) = \(left.count) × \(RunCost(usd: perRun.usd, estimate: true, basis: "").text), \(perRun.basis)"
            )
        } else {
            print("estimate: unknown (no successful run of \(name) with a known cost yet)")
        }
        if let maxCost {
            guard let estimate else {
                throw CommandFailure(
                    "--max-cost \(maxCost): no estimate to check it against (no successful run of \(name) with a cost yet); run one first, or drop --max-cost"
                )
            }
            if estimate > maxCost {
                throw CommandFailure(
                    "--max-cost \(maxCost): the estimate \(RunCost(usd: estimate, estimate: true, basis: "").text) is above it; nothing was started (narrow the range or raise --max-cost)"
                )
            }
        }
        if plan {
            for date in dates { print("  \(date)  \(done.contains(date) ? "done (\(record.runs[date]?.handle ?? ""))" : "to run")") }
            return nil
        }
        return left
    }

    /// One date: follows its run if the record has one still going, else starts it (the key
    /// finds a run a lost answer hid), and waits for the end.
    static func runDate(_ date: String, job: String, argument: String, runner: Runner, progress: BackfillProgress) async throws {
        var handle: RunHandle
        if let entry = await progress.record.runs[date], let known = RunHandle(entry.handle), !(RunState(rawValue: entry.state)?.isTerminal ?? true) {
            handle = known
            print("\(date): following \(handle)")
        } else {
            // The key is also the job's --run_id: each date's outputs and run record are its own.
            let key = progress.backfill.key(date)
            let started = try await runner.start(job: job, arguments: [argument: date, "--run_id": key], idempotencyKey: key)
            handle = started.handle
            // A key that found a finished run of an earlier attempt: run the date again.
            if started.reused, let info = try? await runner.describe(job: job, runId: handle.runId), info.state.isTerminal, info.state != .succeeded {
                handle = try await runner.start(
                    job: job, arguments: [argument: date, "--run_id": key + "-" + String(UUID().uuidString.prefix(4)).lowercased()], idempotencyKey: nil
                ).handle
            }
            print("\(date): started \(handle)")
        }
        try await progress.update(date, handle: handle, state: .running, usd: nil)
        let outcome = try await runner.wait(job: job, runId: handle.runId, timeout: nil) { _ in }
        guard case .finished(let info) = outcome else { return }
        try await progress.update(date, handle: handle, state: info.state, usd: info.cost?.usd)
        let count = await progress.finished
        print(
            "[\(count)/\(progress.total)] \(date): \(info.state.rawValue) \(handle)\(info.durationSeconds.map { " in " + Status.duration($0) } ?? "")\(info.cost.map { " " + $0.text } ?? "")\(info.error.map { ": \($0)" } ?? "")"
        )
    }

    /// The table at the end: per date its run, state, duration, cost and the rows it wrote.
    static func summary(_ dates: [String], record: Backfill.Record, runner: Runner, job: String) async {
        let history = (try? await runner.history(jobs: [job], state: nil, since: nil, limit: 200, data: true)) ?? []
        var rows = [["DATE", "RUN", "STATE", "DURATION", "COST", "ROWS"]]
        for date in dates {
            let entry = record.runs[date]
            let runId = entry.flatMap { RunHandle($0.handle)?.runId }
            let found = history.first { $0.run.id == runId }
            let written = found?.data.map { "\($0.tables.values.reduce(0, +)) in \($0.tables.count) tables" } ?? "-"
            rows.append([
                date, runId ?? "-", entry?.state ?? "not started", found?.run.durationSeconds.map(Status.duration) ?? "-",
                entry?.usd.map { RunCost(usd: $0, estimate: false, basis: "").text } ?? "-", written,
            ])
        }
        print("")
        for line in alignedLines(rows) { print(line) }
        let total = dates.compactMap { record.runs[$0]?.usd }.reduce(0, +)
        print("total cost: \(RunCost(usd: total, estimate: false, basis: "").text)")
    }
}

/// The backfill's record as the runs go, written to the store at each change.
actor BackfillProgress {
    private(set) var record: Backfill.Record
    let backfill: Backfill
    let context: DeployContext
    let total: Int
    private(set) var finished = 0

    init(record: Backfill.Record, backfill: Backfill, context: DeployContext, total: Int) {
        self.record = record
        self.backfill = backfill
        self.context = context
        self.total = total
        finished = record.runs.values.filter { $0.state == RunState.succeeded.rawValue }.count
    }

    func update(_ date: String, handle: RunHandle, state: RunState, usd: Double?) async throws {
        try await update(date, handle: handle.description, state: state.rawValue, usd: usd, seconds: nil)
    }

    /// Any run's entry (a pipeline's handle and state are its own).
    func update(_ date: String, handle: String, state: String, usd: Double?, seconds: Double?) async throws {
        record.runs[date] = .init(handle: handle, state: state, usd: usd, seconds: seconds)
        if RunState(rawValue: state)?.isTerminal ?? (state != RunState.running.rawValue) { finished += 1 }
        try await backfill.save(record, context)
    }

    /// Cancels every run the record shows going; returns their handles.
    func cancelGoing(runner: Runner) async -> [String] {
        var cancelled: [String] = []
        for (date, entry) in record.runs.sorted(by: { $0.key < $1.key }) where entry.state == RunState.running.rawValue {
            guard let handle = RunHandle(entry.handle) else { continue }
            let info = try? await Uncancelled.run { try await runner.cancelAndWait(job: handle.job, runId: handle.runId, timeout: .seconds(30)) }
            record.runs[date]?.state = info?.state.rawValue ?? RunState.cancelled.rawValue
            cancelled.append(handle.description)
        }
        try? await Uncancelled.run { [record, backfill, context] in try await backfill.save(record, context) }
        return cancelled
    }
}
