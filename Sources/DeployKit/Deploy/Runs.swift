import AWSCore
import Foundation

/// A run anyone can re-attach to: `ENGINE:TARGET:JOB:RUN_ID`.
public struct RunHandle: Sendable, Equatable, CustomStringConvertible {
    /// The engine's name (`glue`, `emr-serverless`, …), as in the target.
    public var engine: String
    /// The target the run was started on.
    public var target: String
    /// The job's name in the manifest.
    public var job: String
    /// The engine's id of the run.
    public var runId: String

    /// `ENGINE:TARGET:JOB:RUN_ID`, the form `init?(_:)` reads back.
    public var description: String { "\(engine):\(target):\(job):\(runId)" }

    /// A handle from its four parts.
    public init(engine: String, target: String, job: String, runId: String) {
        self.engine = engine
        self.target = target
        self.job = job
        self.runId = runId
    }

    /// Reads `ENGINE:TARGET:JOB:RUN_ID`; `nil` unless there are four parts (the run id may
    /// itself contain `:`).
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 3).map(String.init)
        guard parts.count == 4 else { return nil }
        self.init(engine: parts[0], target: parts[1], job: parts[2], runId: parts[3])
    }
}

/// Starting, following, cancelling and listing runs.
public struct Runner: Sendable {
    /// The target, manifest, engine and store the runs are started and read through.
    public let context: DeployContext
    /// A runner for the target of `context`.
    public init(context: DeployContext) {
        self.context = context
    }

    /// The deployed definition of `job` (from the latest deployment record).
    public func deployed(_ job: String) async throws -> (name: String, definition: JSONValue, record: DeploymentRecord) {
        guard let record = try await context.liveRecord() else {
            throw DeployError("nothing is deployed on target \(context.target.name): run 'deployer apply -t \(context.target.name)' first")
        }
        guard let definition = record.definitions[job], let name = record.jobNames[job] else {
            throw DeployError("job \(job) is not in deployment \(record.id) of target \(context.target.name): add it to the manifest and apply")
        }
        return (name, definition.engineDefinition, record)
    }

    /// Starts a run of the deployed job with `arguments` and no idempotency key; returns its handle.
    public func start(job: String, arguments: [String: String]) async throws -> RunHandle {
        try await start(job: job, arguments: arguments, idempotencyKey: nil).handle
    }

    /// How long an idempotency key keeps finding its run.
    public static let idempotencyWindow: TimeInterval = 24 * 3600

    /// Starts a run of the deployed job, or, when a run carrying `idempotencyKey` started
    /// within the last 24 hours, returns that one (`reused`): a CI step retried after a lost
    /// answer or a re-run of the same workflow step does not start a second run.
    public func start(job: String, arguments: [String: String], idempotencyKey: String?, timeoutMinutes: Int? = nil) async throws -> (
        handle: RunHandle, reused: Bool
    ) {
        try await context.verifyAccount()
        try context.engine.checkArguments(arguments, source: "--arg")
        let deployed = try await deployed(job)
        if let idempotencyKey {
            guard Self.isValidIdempotencyKey(idempotencyKey) else {
                throw DeployError("--idempotency-key '\(Schema.short(idempotencyKey))' must be 1 to 64 letters, digits, '_', '-' or '.'")
            }
            if let existing = try await findRun(job: job, idempotencyKey: idempotencyKey) {
                return (handle(job: job, runId: existing.id), true)
            }
        }
        let metadata = RunMetadata(
            idempotencyKey: idempotencyKey, artifact: deployed.record.artifacts[job], deployment: deployed.record.id, arguments: arguments)
        // The client token makes a retried StartJobRun idempotent (EMR Serverless).
        let request = RunRequest(
            arguments: arguments, clientToken: idempotencyKey ?? UUID().uuidString.lowercased(), metadata: metadata, timeoutMinutes: timeoutMinutes)
        let runId = try await context.engine.start(name: deployed.name, definition: deployed.definition, request: request)
        return (handle(job: job, runId: runId), false)
    }

    /// Whether `key` is 1 to 64 letters, digits, `_`, `-` or `.`.
    public static func isValidIdempotencyKey(_ key: String) -> Bool {
        key.range(of: "^[A-Za-z0-9_.-]{1,64}$", options: .regularExpression) != nil
    }

    /// A recent run of `job` that carries `idempotencyKey` (started within the window).
    public func findRun(job: String, idempotencyKey: String) async throws -> RunInfo? {
        let deployed = try await deployed(job)
        let since = context.now().addingTimeInterval(-Self.idempotencyWindow)
        let runs = try await context.engine.recentRuns(name: deployed.name, definition: deployed.definition, limit: 50)
        return runs.first { $0.metadata?.idempotencyKey == idempotencyKey && ($0.startedAt ?? .distantFuture) >= since }
    }

    func handle(job: String, runId: String) -> RunHandle {
        RunHandle(engine: context.target.engine.rawValue, target: context.target.name, job: job, runId: runId)
    }

    /// Checks that `handle` belongs to this target and engine and names a known job and a
    /// valid run id (a handle of another target or account is refused, not followed).
    public func check(_ handle: RunHandle) throws {
        guard handle.target == context.target.name, handle.engine == context.target.engine.rawValue else {
            throw DeployError(
                "run \(handle) belongs to target \(handle.target) (\(handle.engine)), not \(context.target.name) (\(context.target.engine.rawValue)): pass -t \(handle.target)"
            )
        }
        _ = try context.manifest.job(handle.job)
        guard Self.isValidRunId(handle.runId) else { throw DeployError("'\(Schema.short(handle.runId))' in \(handle) is not a run id") }
    }

    /// One row of `deployer runs`.
    public struct HistoryEntry: Codable, Sendable {
        /// The job's name in the manifest.
        public var job: String
        /// The run's handle, `ENGINE:TARGET:JOB:RUN_ID`.
        public var handle: String
        /// The run, priced at the target's prices.
        public var run: RunInfo
    }

    /// Runs of `jobs` across the target's engine, newest first: only `state` (if given), only
    /// those started after `since` (if given), at most `limit` per job.
    public func history(jobs: [String], state: RunState?, since: Date?, limit: Int) async throws -> [HistoryEntry] {
        guard let record = try await context.liveRecord() else {
            throw DeployError("nothing is deployed on target \(context.target.name): no runs to list")
        }
        var entries: [HistoryEntry] = []
        for job in jobs {
            guard let definition = record.definitions[job]?.engineDefinition, let name = record.jobNames[job] else { continue }
            let runs = try await context.engine.recentRuns(name: name, definition: definition, limit: max(limit, 50))
            for run in runs {
                if let state, run.state != state { continue }
                if let since, (run.startedAt ?? .distantPast) < since { continue }
                entries.append(HistoryEntry(job: job, handle: handle(job: job, runId: run.id).description, run: priced(run)))
            }
        }
        entries.sort { ($0.run.startedAt ?? .distantPast) > ($1.run.startedAt ?? .distantPast) }
        var perJob: [String: Int] = [:]
        return entries.filter { entry in
            perJob[entry.job, default: 0] += 1
            return perJob[entry.job, default: 0] <= limit
        }
    }

    /// What `retry` did: the new run, and the deployment whose artifact it used.
    public struct Retried: Sendable {
        /// The new run.
        public var handle: RunHandle
        /// The artifact the new run uses (the retried run's).
        public var artifact: String
        /// The deployment record whose definition the new run uses.
        public var deployment: String
        /// The newest deployment, when it is not the one retried.
        public var newerDeployment: String?
    }

    /// Starts a new run with the same artifact and arguments as `handle`'s run, even when a
    /// newer deployment exists (its deployment record gives the definition used).
    public func retry(_ handle: RunHandle, timeoutMinutes: Int? = nil) async throws -> Retried {
        try check(handle)
        let latest = try await deployed(handle.job)
        let original = try await context.engine.describe(name: latest.name, definition: latest.definition, runId: handle.runId)
        guard let metadata = original.metadata, let deploymentId = metadata.deployment else {
            throw DeployError(
                "run \(handle) carries no deployment (started outside deployer, or before runs recorded it): start a new one with 'deployer run \(handle.job) -t \(handle.target)'"
            )
        }
        let record = deploymentId == latest.record.id ? latest.record : try await context.record(deploymentId)
        guard let definition = record.definitions[handle.job]?.engineDefinition, let name = record.jobNames[handle.job],
            let artifact = record.artifacts[handle.job]
        else {
            throw DeployError("deployment \(deploymentId) has no job \(handle.job): it cannot be retried")
        }
        let request = RunRequest(
            arguments: metadata.arguments,
            metadata: RunMetadata(idempotencyKey: nil, artifact: artifact, deployment: record.id, arguments: metadata.arguments),
            timeoutMinutes: timeoutMinutes)
        let runId = try await context.engine.start(name: name, definition: definition, request: request)
        return Retried(
            handle: self.handle(job: handle.job, runId: runId), artifact: artifact, deployment: record.id,
            newerDeployment: latest.record.id == record.id ? nil : latest.record.id)
    }

    /// Cancels the run and waits (at most `timeout`) until the engine reports it ended.
    public func cancelAndWait(
        job: String, runId: String, timeout: Duration = .seconds(120), poll: Duration = .seconds(2),
        sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) async throws -> RunInfo {
        let deployed = try await deployed(job)
        try await context.engine.cancel(name: deployed.name, definition: deployed.definition, runId: runId)
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let info = try await context.engine.describe(name: deployed.name, definition: deployed.definition, runId: runId)
            if info.state.isTerminal || clock.now >= deadline { return info }
            try await sleep(poll)
        }
    }

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

    /// The run's log as it stands now (stderr or stdout); throws when the run is unknown.
    public func logs(job: String, runId: String, stderr: Bool) async throws -> [String] {
        var reader = try await logReader(job: job, runId: runId, stderr: stderr)
        return try await reader.next()
    }

    /// A reader of one run's log that returns only new lines on each call; the job's
    /// deployment is read once, not on every poll.
    public func logReader(job: String, runId: String, stderr: Bool) async throws -> LogReader {
        let runId = try await resolve(job: job, runId: runId)
        let deployed = try await deployed(job)
        // An unknown run is an error, not an empty log.
        do {
            _ = try await context.engine.describe(name: deployed.name, definition: deployed.definition, runId: runId)
        } catch let error as AWSError where error.isNotFound || error.code == "ValidationException" || error.code == "InvalidRequestException" {
            throw DeployError(
                "job \(job) has no run \(runId) on target \(context.target.name) (\(error.code)): 'deployer status \(job) -t \(context.target.name)' lists its runs"
            )
        }
        return LogReader(engine: context.engine, name: deployed.name, definition: deployed.definition, runId: runId, stderr: stderr)
    }

    /// How `wait` ended.
    public enum WaitOutcome: Sendable, Equatable {
        /// The run ended (succeeded, failed, cancelled or timed out on the engine); priced.
        case finished(RunInfo)
        /// The wait's `timeout` passed first; the run goes on.
        case timedOut(RunInfo)
    }

    /// Polls until the run ends or `timeout` passes: capped exponential backoff with jitter,
    /// unknown states treated as still running, every state change reported.
    public func wait(
        job: String, runId: String, timeout: Duration?, initialDelay: Duration = .seconds(2), maxDelay: Duration = .seconds(30),
        sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        onChange: @Sendable (RunInfo) -> Void
    ) async throws -> WaitOutcome {
        let deployed = try await deployed(job)
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now + $0 }
        var delay = initialDelay
        var lastState: String?
        var transientFailures = 0
        while true {
            let info: RunInfo
            do {
                info = try await context.engine.describe(name: deployed.name, definition: deployed.definition, runId: runId)
                transientFailures = 0
            } catch {
                // Polling survives a few failed reads (network blips); the run goes on regardless.
                transientFailures += 1
                if transientFailures >= 5 { throw error }
                try await sleep(delay)
                continue
            }
            if info.engineState != lastState {
                onChange(info)
                lastState = info.engineState
            }
            if info.state.isTerminal { return .finished(priced(info)) }
            if let deadline, clock.now >= deadline { return .timedOut(info) }
            var pause = delay * Double.random(in: 0.8...1.2)
            if let deadline { pause = min(pause, max(.milliseconds(10), deadline - clock.now)) }
            try await sleep(pause)
            delay = min(delay * 1.5, maxDelay)
        }
    }

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

        enum CodingKeys: String, CodingKey { case job, deployment, runs, error }

        /// `deployment` and `error` are written as null when absent: alerting scripts rely on the keys.
        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(job, forKey: .job)
            try container.encode(deployment, forKey: .deployment)
            try container.encode(runs, forKey: .runs)
            try container.encode(error, forKey: .error)
        }
    }

    /// Per job: the latest deployment and the most recent runs (newest first).
    public func status(jobs: [String], limit: Int) async throws -> [JobStatus] {
        let record = try await context.latestRecord()
        var result: [JobStatus] = []
        for job in jobs {
            var status = JobStatus(job: job, deployment: nil, runs: [], error: nil)
            if let record, record.destroyed != true, let definition = record.definitions[job]?.engineDefinition, let name = record.jobNames[job] {
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
            result.append(status)
        }
        return result
    }
}

/// Reads a run's log incrementally (see `Runner.logReader`).
public struct LogReader: Sendable {
    let engine: any EngineDriver
    /// The job's name on the engine.
    public let name: String
    /// The job's deployed engine definition.
    public let definition: JSONValue
    /// The run being read.
    public let runId: String
    /// Whether it reads stderr rather than stdout.
    public let stderr: Bool
    /// Where the next read resumes.
    public private(set) var cursor = LogCursor()

    /// The lines written since the last call (all of them on the first).
    public mutating func next() async throws -> [String] {
        let (lines, cursor) = try await engine.logs(name: name, definition: definition, runId: runId, stderr: stderr, after: cursor)
        self.cursor = cursor
        return lines
    }

    /// The run's current state (to know when following can stop).
    public func describe() async throws -> RunInfo {
        try await engine.describe(name: name, definition: definition, runId: runId)
    }
}

/// What `run --wait` exits with, whatever prints it: 0 succeeded, 1 failed, 3 cancelled (or
/// interrupted and cancelled), 4 timed out, 128 + N detached on signal N.
public enum RunExit {
    /// A cancelled run, or one interrupted and cancelled.
    public static let interrupted: Int32 = 3
    /// A run that timed out (on the engine or in the wait).
    public static let timedOut: Int32 = 4

    /// The exit status for a run that ended in `state`: 0 succeeded, 3 cancelled, 4 timed out,
    /// 1 otherwise.
    public static func status(_ state: RunState) -> Int32 {
        switch state {
        case .succeeded: return 0
        case .cancelled: return interrupted
        case .timedOut: return timedOut
        default: return 1
        }
    }

    /// 128 + `signal`, for a wait left on a signal while the run goes on.
    public static func detached(signal: Int32) -> Int32 { 128 + signal }
}

extension Runner {
    /// The `--on-timeout` policy once a wait ran out: cancel the run (a failed cancel is
    /// reported, not fatal: the exit status says "timed out" either way) or leave it running.
    /// Returns the line to tell the user.
    public func settleTimeout(job: String, runId: String, handle: String, target: String, cancel: Bool, after limit: String) async -> String {
        guard cancel else {
            return "timed out after \(limit): \(handle) goes on; follow it with 'deployer run --attach \(handle) -t \(target) --wait'"
        }
        do {
            // A cancel is asynchronous on every AWS engine: say "cancelled" only once it is.
            let info = try await cancelAndWait(job: job, runId: runId, timeout: .seconds(60))
            if info.state == .cancelled { return "timed out after \(limit): cancelled \(handle)" }
            return
                "timed out after \(limit): asked to cancel \(handle); it is \(info.state.rawValue) (\(info.engineState)) now: check it with 'deployer status \(job) -t \(target) --run \(runId)'"
        } catch {
            return "timed out after \(limit): could not cancel \(handle): \(error)"
        }
    }
}
