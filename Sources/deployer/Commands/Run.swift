import AWSCore
import ArgumentParser
import DeployKit
import Foundation
import SigV4

enum OnTimeout: String, ExpressibleByArgument, CaseIterable {
    case cancel, detach
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Start a deployed job (or attach to a run) and print its run handle ENGINE:TARGET:JOB:RUN_ID.",
        discussion: """
            With --wait: exit 0 succeeded, 1 failed, 3 cancelled (also when Ctrl-C/SIGTERM cancelled it), 4 timed out, \
            130/143 detached by a signal. On failure the engine's error and the tail of the driver log are printed. \
            In CI (CI=true) a run started from the same workflow step gets the same idempotency key \
            (GITHUB_REPOSITORY, GITHUB_RUN_ID, GITHUB_JOB, GITHUB_ACTION, the job and the target; not the attempt), \
            so a re-run of the step returns the first run instead of starting a second one.
            """
    )

    @Argument(
        help:
            "The job or pipeline, as named in the manifest (not with --attach). A pipeline runs its steps in order and always waits; on AWS engines it is an execution of its deployed Step Functions state machine."
    )
    var job: String?

    @OptionGroup var manifest: ManifestFlags
    @OptionGroup var target: TargetFlag

    @Option(name: .customLong("arg"), help: ArgumentHelp("A job argument for this run, passed as --KEY VALUE; repeatable.", valueName: "KEY=VALUE"))
    var arguments: [String] = []

    @Flag(help: "Wait for the run to finish, printing each state change.")
    var wait = false

    @Option(help: ArgumentHelp("With --wait: stop waiting after this long (e.g. 90s, 30m, 1h).", valueName: "DURATION"))
    var timeout: String?

    @Option(help: "At the timeout: cancel the run, or detach and leave it running.")
    var onTimeout: OnTimeout = .cancel

    @Option(help: "On Ctrl-C or SIGTERM while waiting: cancel the run, detach, or ask (default: cancel in CI or without a terminal, else ask).")
    var onInterrupt: OnInterrupt?

    @Option(
        help: ArgumentHelp(
            "A run with this key started in the last 24 h is returned instead of starting another (default in CI: derived from the workflow step); for a pipeline on AWS, its execution's name.",
            valueName: "KEY"))
    var idempotencyKey: String?

    @Option(
        help: ArgumentHelp(
            "Follow this run (started elsewhere) instead of starting one; states:TARGET:PIPELINE:RUN_ID follows a pipeline's execution.", valueName: "HANDLE"))
    var attach: String?

    @Option(
        help: ArgumentHelp(
            "Bound the run's cost: converted at the target's prices into the engine's own time limit (Glue Timeout, EMR Serverless executionTimeoutMinutes).",
            valueName: "USD"))
    var maxCost: Double?

    @Flag(help: "Print the handle and final state as JSON.")
    var json = false

    @OptionGroup var aws: AWSFlags

    func validate() throws {
        for argument in arguments where !argument.contains("=") || argument.hasPrefix("=") {
            throw ValidationError("--arg '\(argument)' is not KEY=VALUE")
        }
        if let timeout, parseDuration(timeout) == nil {
            throw ValidationError("--timeout '\(timeout)' is not a duration such as 90s, 30m or 1h")
        }
        switch (job, attach) {
        case (nil, nil): throw ValidationError("give the JOB to start, or --attach HANDLE")
        case (.some, .some): throw ValidationError("give either JOB or --attach HANDLE, not both")
        default: break
        }
        if let attach, RunHandle(attach) == nil {
            throw ValidationError("--attach '\(attach.prefix(80))' is not a run handle ENGINE:TARGET:JOB:RUN_ID (as 'deployer run' prints it)")
        }
        if attach != nil, !arguments.isEmpty || idempotencyKey != nil || maxCost != nil {
            throw ValidationError("--arg, --idempotency-key and --max-cost start a run; --attach follows one")
        }
        if let maxCost, !(maxCost > 0 && maxCost.isFinite) {
            throw ValidationError("--max-cost must be a positive amount of USD, such as 5 or 2.50")
        }
    }

    struct Output: Encodable {
        var version = 1
        var handle: String
        var runId: String
        var reused: Bool
        var state: String?
        var engineState: String?
        var error: String?
        var durationSeconds: Double?
        var cost: RunCost?
        var timeoutMinutes: Int?
        var links: [String: String] = [:]
    }

    /// The CI default: one key per workflow step, the same on every attempt of it.
    static func ciKey(job: String, target: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard environment["CI"]?.lowercased() == "true", let run = environment["GITHUB_RUN_ID"], !run.isEmpty else { return nil }
        let parts = [environment["GITHUB_REPOSITORY"] ?? "", run, environment["GITHUB_JOB"] ?? "", environment["GITHUB_ACTION"] ?? "", job, target]
        return "ci-" + String(PayloadHash.hex(Array(parts.joined(separator: "\n").utf8)).prefix(32))
    }

    func run() async throws {
        let code: Int32 = try await CommandContext.run(manifest: manifest, target: target.target, developer: target.developer, aws: aws) { command in
            var values: [String: String] = [:]
            for argument in arguments {
                let parts = argument.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                values[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            }
            if let job, let pipeline = command.context.manifest.pipeline(job) {
                return try await runPipeline(pipeline, context: command.context, arguments: values)
            }
            if let attach, let handle = RunHandle(attach), handle.engine == Self.executionEngine {
                guard handle.target == command.context.target.name else {
                    throw CommandFailure(
                        "--attach \(attach) is an execution on target \(handle.target), not \(command.context.target.name): pass -t \(handle.target)")
                }
                guard let pipeline = command.context.manifest.pipeline(handle.job) else {
                    throw CommandFailure("--attach \(attach): the manifest has no pipeline \(handle.job)")
                }
                return try await runExecution(pipeline, context: command.context, arguments: [:], attachTo: handle.runId)
            }
            let runner = Runner(context: command.context)
            let handle: RunHandle
            var reused = false
            var timeoutMinutes: Int?
            if let attach, let parsed = RunHandle(attach) {
                try runner.check(parsed)
                handle = parsed
                // An unknown run is an error now, not after a wait.
                _ = try await runner.describe(job: handle.job, runId: handle.runId)
                if !json { print("attached \(handle)") }
            } else if let job {
                let key = idempotencyKey ?? Self.ciKey(job: job, target: command.context.target.name)
                var minutes: Int?
                if let maxCost {
                    let limit = try await runner.timeoutMinutes(job: job, maxCost: maxCost)
                    minutes = limit.minutes
                    printError("note: --max-cost \(String(format: "%.2f", maxCost)) USD: \(limit.explanation)")
                }
                timeoutMinutes = minutes
                let started = try await runner.start(job: job, arguments: values, idempotencyKey: key, timeoutMinutes: minutes)
                handle = started.handle
                reused = started.reused
                if !json { print(reused ? "found \(handle) (started earlier with idempotency key \(key ?? "")); not starting another" : "started \(handle)") }
            } else {
                throw CommandFailure("give the JOB to start, or --attach HANDLE")
            }
            var output = Output(handle: handle.description, runId: handle.runId, reused: reused)
            output.timeoutMinutes = timeoutMinutes
            guard wait else {
                if json { try printSnakeJSON(output) }
                return 0
            }
            let json = self.json
            let limit = timeout.flatMap(parseDuration)
            let policy = OnInterrupt.effective(onInterrupt)
            let followed = try await RunInterrupts.follow(handle, runner: runner, policy: policy) {
                try await runner.wait(job: handle.job, runId: handle.runId, timeout: limit) { info in
                    let line = "\(Self.clock())  \(info.engineState)\(info.error.map { ": \($0)" } ?? "")"
                    if json { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { print(line) }
                }
            }
            var code: Int32
            switch followed {
            case .detached(let signal):
                output.state = "detached"
                if json { try printSnakeJSON(output) }
                return RunExit.detached(signal: signal)
            case .cancelled(let info):
                output.state = info.state.rawValue
                output.engineState = info.engineState
                output.durationSeconds = info.durationSeconds
                let note =
                    info.state.isTerminal
                    ? "ended \(info.state.rawValue) (\(info.engineState))"
                    : "still \(info.engineState) after 2 minutes: the cancel request was sent; check 'deployer status \(handle.job) -t \(handle.target) --run \(handle.runId)'"
                printError("cancelled \(handle) on interrupt: the run \(note)")
                if json { try printSnakeJSON(output) }
                return RunExit.interrupted
            case .finished(let outcome):
                switch outcome {
                case .finished(let info):
                    output.state = info.state.rawValue
                    output.engineState = info.engineState
                    output.error = info.error
                    output.durationSeconds = info.durationSeconds
                    output.cost = info.cost
                    output.links = info.links
                    if !json {
                        if let cost = info.cost { print("cost: \(cost.text)\(cost.estimate ? " (estimate)" : "") = \(cost.basis)") }
                        for (name, link) in info.links.sorted(by: { $0.key < $1.key }) { print("\(name): \(link)") }
                    }
                    code = RunExit.status(info.state)
                    if info.state != .succeeded {
                        let tail = (try? await runner.logs(job: handle.job, runId: handle.runId, stderr: true)) ?? []
                        let lines = tail.filter { !$0.isEmpty }.suffix(30)
                        var report = "run \(handle) \(info.state.rawValue)\(info.error.map { ": \($0)" } ?? "")\n"
                        if !lines.isEmpty { report += "--- last \(lines.count) lines of the driver log ---\n" + lines.joined(separator: "\n") + "\n" }
                        FileHandle.standardError.write(Data(report.utf8))
                    }
                case .timedOut(let info):
                    code = RunExit.timedOut
                    output.state = "timed_out"
                    output.engineState = info.engineState
                    let note = await runner.settleTimeout(
                        job: handle.job, runId: handle.runId, handle: handle.description, target: handle.target,
                        cancel: onTimeout == .cancel, after: timeout ?? "?")
                    FileHandle.standardError.write(Data((note + "\n").utf8))
                }
            }
            if json { try printSnakeJSON(output) }
            return code
        }
        if code != 0 { throw ExitCode(code) }
    }

    static func clock() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: Date())
    }
}
