import AWSCore
import Foundation

/// AWS Glue: a real job definition per job, runs via StartJobRun, logs in CloudWatch.
public struct GlueEngine: EngineDriver {
    let glue: GlueClient
    let logs: LogsClient
    let target: Target

    /// The engine for `target`, calling Glue and CloudWatch Logs through `client`.
    public init(client: AWSClient, target: Target) {
        glue = GlueClient(client: client)
        logs = LogsClient(client: client)
        self.target = target
    }

    /// Fields deployer manages; everything else on a live job is kept on update.
    static let managedFields = [
        "Role", "Command", "GlueVersion", "WorkerType", "NumberOfWorkers", "Timeout", "ExecutionProperty", "DefaultArguments", "Description", "MaxRetries",
    ]
    /// The Python of Glue's Python shell jobs (the model's pattern allows 2, 3 and 3.9; 3 is 3.6).
    public static let pythonShellVersion = "3.9"
    /// A Python shell job's DPUs: 1 (16 GB), not 0.0625 (1 GB), which is far below what the
    /// DuckDB runtime's default size guard (512 MiB of input, about 10 GB at its peak) needs.
    public static let pythonShellCapacity = 1.0
    /// Glue ignores GlueVersion for Python shell jobs; a fixed value keeps the plan stable.
    static let pythonShellGlueVersion = "3.0"

    /// Nothing to check: Glue needs no fixed infrastructure.
    public func preflight() async throws {}

    /// Glue 5.0 runs CPython 3.11, 4.0 runs 3.10; Glue workers are x86_64.
    public func pythonRuntime() async throws -> PythonRuntime? {
        // Glue needs no call to say it: the documented default for the target's Glue version.
        try PythonRuntime.offline(for: target)
    }

    /// The managed fields of the Glue job `name`; `nil` when there is no such job.
    public func liveDefinition(name: String, recorded: JSONValue?) async throws -> JSONValue? {
        guard let job = try await glue.getJob(name: name) else { return nil }
        var fields: [String: JSONValue] = [:]
        for key in Self.managedFields { if let value = job[key] { fields[key] = value } }
        // A Python shell job is sized by MaxCapacity (a Spark job's is derived from its workers).
        if job["Command"]?["Name"]?.stringValue == "pythonshell", let capacity = job["MaxCapacity"] {
            fields["MaxCapacity"] = capacity
        }
        return .object(fields)
    }

    /// The Glue job: role, `glueetl` command on the entry point, version, workers, timeout,
    /// concurrency, retries and default arguments (`--extra-py-files`, the wheels, the job's
    /// arguments and the artifact's digest); defaults Glue 5.0, 2 × G.1X, 60 minutes, 1 run.
    public func desiredDefinition(name: String, job: Job, artifact: ArtifactURLs, digest: String) -> JSONValue {
        let settings = target.settings.overlaid(with: job.engines[.glue])
        var arguments: [String: JSONValue] = [
            "--extra-py-files": .string(artifact.pyFiles),
            "--job-language": .string("python"),
            "--enable-continuous-cloudwatch-log": .string("true"),
            "--enable-metrics": .string("true"),
            "--deployer-artifact": .string(digest),
        ]
        if let dependencies = artifact.dependencies {
            arguments["--deployer-dependencies"] = .string(dependencies.digest)
            if !dependencies.wheels.isEmpty {
                // Installed by Glue's pip from the uploaded wheels only: no index at run time, and
                // their pure-Python dependencies come from deps.zip (the lock is complete).
                arguments["--additional-python-modules"] = .string(dependencies.wheels.joined(separator: ","))
                arguments["--python-modules-installer-option"] = .string("--no-index --no-deps")
            }
        }
        for (key, value) in job.arguments.merging(settings.arguments, uniquingKeysWith: { $1 }) {
            arguments[key.hasPrefix("--") ? key : "--" + key] = .string(value)
        }
        var definition: [String: JSONValue] = [
            "Role": .string(target.configuration(GlueConfiguration.self)?.roleArn ?? target.roleArn ?? ""),
            "Command": .object(["Name": .string("glueetl"), "ScriptLocation": .string(artifact.entryPoint), "PythonVersion": .string("3")]),
            "GlueVersion": .string(settings.version ?? "5.0"),
            "WorkerType": .string(settings.workerType ?? "G.1X"),
            "NumberOfWorkers": .number(Double(settings.numberOfWorkers ?? 2)),
            "Timeout": .number(Double(settings.timeoutMinutes ?? 60)),
            "ExecutionProperty": .object(["MaxConcurrentRuns": .number(Double(settings.maxConcurrentRuns ?? 1))]),
            "DefaultArguments": .object(arguments),
            "Description": .string("Managed by deployer: job \(job.name), target \(target.name). Changes made here are overwritten by the next apply."),
        ]
        if let retries = settings.retries { definition["MaxRetries"] = .number(Double(retries)) }
        if job.runtime(on: target) == .duckdb { pythonShell(&definition, arguments: arguments, job: job, artifact: artifact) }
        return .object(definition)
    }

    /// The job on its DuckDB runtime: a Python shell job (Python 3.9, MaxCapacity instead of
    /// workers). Python shell installs no S3-hosted modules with --additional-python-modules and
    /// pip-installs the `.whl` files of --extra-py-files (it documents no `.zip` there), so the
    /// code's wheel and every package's wheel go there; no Spark options.
    func pythonShell(_ definition: inout [String: JSONValue], arguments: [String: JSONValue], job: Job, artifact: ArtifactURLs) {
        var arguments = arguments
        for key in ["--additional-python-modules", "--python-modules-installer-option", "--enable-continuous-cloudwatch-log", "--enable-metrics"] {
            arguments[key] = nil
        }
        arguments["--extra-py-files"] = .string(([artifact.codeWheel] + (artifact.dependencies?.wheels ?? [])).joined(separator: ","))
        for (key, value) in job.runtimeArguments(on: target) { arguments[key] = .string(value) }
        definition["Command"] = .object([
            "Name": .string("pythonshell"), "ScriptLocation": .string(artifact.entryPoint), "PythonVersion": .string(Self.pythonShellVersion),
        ])
        definition["GlueVersion"] = .string(Self.pythonShellGlueVersion)
        definition["MaxCapacity"] = .number(Self.pythonShellCapacity)
        definition["WorkerType"] = nil
        definition["NumberOfWorkers"] = nil
        definition["DefaultArguments"] = .object(arguments)
    }

    /// CreateJob with the target's tags (and `managed-by: deployer`) when there is no live job;
    /// else UpdateJob on the whole live job with the managed fields overlaid.
    public func apply(name: String, desired: JSONValue, live: JSONValue?) async throws {
        guard case .object(let fields) = desired else { return }
        if live == nil {
            var create = fields
            create["Name"] = .string(name)
            create["Tags"] = .object(target.tags.merging(["managed-by": "deployer"]) { $1 }.mapValues(JSONValue.string))
            do {
                try await glue.createJob(.object(create))
                return
            } catch let error as AWSError where error.isAlreadyExists {
                // Our retried CreateJob met the job its lost first answer created (or a job of
                // that name appeared since the plan): converge it by updating it below.
            }
        }
        // UpdateJob resets every omitted field, so start from the whole live job and overlay ours.
        var update = (try await glue.getJob(name: name))?.objectValue ?? [:]
        for key in ["Name", "CreatedOn", "LastModifiedOn", "AllocatedCapacity", "MaxCapacity"] { update.removeValue(forKey: key) }
        // Glue refuses workers on a Python shell job (and a job switched between runtimes keeps them otherwise).
        if fields["MaxCapacity"] != nil { for key in ["WorkerType", "NumberOfWorkers"] { update.removeValue(forKey: key) } }
        update.merge(fields) { $1 }
        try await glue.updateJob(name: name, update: .object(update))
    }

    /// DeleteJob.
    public func delete(name: String) async throws {
        try await glue.deleteJob(name: name)
    }

    static func state(_ raw: String) -> RunState {
        switch raw {
        case "STARTING", "WAITING": return .pending
        case "RUNNING", "STOPPING": return .running
        case "SUCCEEDED": return .succeeded
        case "FAILED", "ERROR", "EXPIRED": return .failed
        case "STOPPED": return .cancelled
        case "TIMEOUT": return .timedOut
        default: return .unknown
        }
    }

    /// A JobRun as the Glue model documents it: state, times, the run's own arguments (deployer's
    /// metadata), what it was billed for (`DPUSeconds` when Glue reports it, else `ExecutionTime` ×
    /// capacity), and where to look at it.
    func info(_ run: GlueClient.JobRun, name: String) -> RunInfo {
        let raw = run.jobRunState ?? "UNKNOWN"
        let id = run.id ?? "?"
        let capacity = run.numberOfWorkers.flatMap { count in GlueCapacity.dpu(workerType: run.workerType).map { $0 * count } } ?? run.maxCapacity
        var usage: RunUsage?
        if run.dpuSeconds != nil || run.executionTime != nil {
            usage = RunUsage(dpuSeconds: run.dpuSeconds, executionSeconds: run.executionTime, capacityDPU: capacity, executionClass: run.executionClass)
        }
        let encodedName = name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? name
        let links = [
            "console": consoleURL(region: target.region, "gluestudio/home?region={region}#/job/\(encodedName)/run/\(id)"),
            "logs": consoleURL(
                region: target.region, "cloudwatch/home?region={region}#logsV2:log-groups/log-group/$252Faws-glue$252Fjobs$252Foutput/log-events/\(id)"),
        ]
        var info = RunInfo(
            id: id, state: Self.state(raw), engineState: raw, startedAt: run.startedOn, endedAt: run.completedOn, error: run.errorMessage,
            metadata: RunMetadata.from(arguments: run.arguments ?? [:]), usage: usage, links: links)
        info.timeLimitMinutes = run.timeout
        return info
    }

    /// GetJobRun.
    public func describe(name: String, definition: JSONValue, runId: String) async throws -> RunInfo {
        info(try await glue.getJobRun(name: name, runId: runId), name: name)
    }

    /// The job's capacity (workers × DPUs per worker, or a Python shell job's MaxCapacity) at the
    /// standard price: the run's `Timeout`.
    public func timeoutMinutes(forMaxCost maxCost: Double, pricing: Pricing, definition: JSONValue) async throws -> (minutes: Int, explanation: String) {
        let capacity: Double
        if let workers = definition["NumberOfWorkers"]?.numberValue, let dpu = GlueCapacity.dpu(workerType: definition["WorkerType"]?.stringValue) {
            capacity = workers * dpu
        } else if let shell = definition["MaxCapacity"]?.numberValue {
            capacity = shell
        } else {
            throw DeployError("--max-cost needs the job's worker type and number of workers in its deployed definition: apply first")
        }
        let hourly = capacity * pricing.glueDPUHour
        let minutes = Pricing.minutes(maxCost: maxCost, hourly: hourly)
        guard minutes >= 1 else {
            throw DeployError(
                "--max-cost \(Pricing.format(maxCost)) buys less than one minute of \(Pricing.format(capacity)) DPUs at $\(Pricing.format(pricing.glueDPUHour))/DPU-hour ($\(Pricing.format(hourly))/h)"
            )
        }
        return (
            minutes,
            "\(Pricing.format(capacity)) DPUs × $\(Pricing.format(pricing.glueDPUHour))/DPU-hour = $\(Pricing.format(hourly))/h → Timeout \(minutes) min"
        )
    }

    /// The job's latest runs, at most `limit`; none when the job does not exist.
    public func recentRuns(name: String, definition: JSONValue, limit: Int) async throws -> [RunInfo] {
        do {
            return try await glue.getJobRuns(name: name, maxResults: limit).map { info($0, name: name) }
        } catch let error as AWSError where error.isNotFound {
            return []
        }
    }

    /// StopJobRun.
    public func cancel(name: String, definition: JSONValue, runId: String) async throws {
        try await glue.stopJobRun(name: name, runId: runId)
    }

    /// The run's whole driver log (`/aws-glue/jobs/output`, or `/aws-glue/jobs/error`; a Python
    /// shell job's under `/aws-glue/python-jobs/`).
    public func logs(name: String, definition: JSONValue, runId: String, stderr: Bool) async throws -> [String] {
        try await logs(name: name, definition: definition, runId: runId, stderr: stderr, after: LogCursor()).lines
    }

    /// CloudWatch pages from the cursor's forward token on (at most 100 pages a call).
    public func logs(name: String, definition: JSONValue, runId: String, stderr: Bool, after cursor: LogCursor) async throws -> (
        lines: [String], cursor: LogCursor
    ) {
        let shell = definition["Command"]?["Name"]?.stringValue == "pythonshell"
        let group = (shell ? "/aws-glue/python-jobs/" : "/aws-glue/jobs/") + (stderr ? "error" : "output")
        var lines: [String] = []
        var token = cursor.token
        var pages = 0
        while pages < 100 {
            // No stream yet: the run has not written anything.
            guard let page = try await logs.getLogEvents(group: group, stream: runId, token: token) else { break }
            lines += page.messages
            pages += 1
            // At the end CloudWatch answers no events and the same forward token again.
            let reachedEnd = page.messages.isEmpty || page.nextToken == nil || page.nextToken == token
            token = page.nextToken ?? token
            if reachedEnd { break }
        }
        return (lines, LogCursor(lines: cursor.lines + lines.count, token: token))
    }
}
