import AWSCore
import Foundation

/// EMR Serverless: no job definitions in AWS; deployer records the StartJobRun template.
public struct EMRServerlessEngine: EngineDriver {
    let emr: EMRServerlessClient
    let s3: S3Client
    let target: Target

    /// The engine for `target`'s application, calling EMR Serverless and S3 through `client`.
    public init(client: AWSClient, target: Target) {
        emr = EMRServerlessClient(client: client)
        s3 = S3Client(client: client)
        self.target = target
    }

    /// The target's `emr_serverless:` settings.
    var configuration: EMRServerlessConfiguration? { target.configuration(EMRServerlessConfiguration.self) }
    var applicationId: String { configuration?.applicationId ?? "" }

    /// EMR 7 releases run CPython 3.9 (EMR 6: 3.7), on the application's architecture.
    public func pythonRuntime() async throws -> PythonRuntime? {
        let application = try await emr.getApplication(id: applicationId)
        let arch = application?.architecture.flatMap(PythonRuntime.normalizedArch) ?? "x86_64"
        let release = application?.releaseLabel ?? "emr-7"
        return PythonRuntime(python: release.hasPrefix("emr-6") ? "3.7" : "3.9", arch: arch)
    }

    /// Throws when the application does not exist or is terminated.
    public func preflight() async throws {
        guard let application = try await emr.getApplication(id: applicationId) else {
            throw DeployError(
                "EMR Serverless application \(applicationId) (targets.\(target.name).emr_serverless.application_id) does not exist in \(target.region ?? "the region")"
            )
        }
        if let state = application.state, ["TERMINATED"].contains(state) {
            throw DeployError("EMR Serverless application \(applicationId) is \(state): recreate it with terraform")
        }
    }

    /// The recorded definition: EMR Serverless holds none.
    public func liveDefinition(name: String, recorded: JSONValue?) async throws -> JSONValue? { recorded }

    /// The StartJobRun template: application, execution role, entry point, `--py-files`,
    /// archive settings, parameters and arguments, time limit, retries and log URI, with the
    /// artifact's and bundle's digests recorded beside it.
    public func desiredDefinition(name: String, job: Job, artifact: ArtifactURLs, digest: String) -> JSONValue {
        let settings = target.settings.overlaid(with: job.engines[.emrServerless])
        let arguments = Self.argumentList(job.arguments.merging(settings.arguments) { $1 })
        // With an image, the packages are in it: on both PYTHONPATHs, nothing to download.
        let inImage = configuration?.image != nil ? artifact.dependencies?.digest : nil
        var parameters = "--py-files \(inImage == nil ? artifact.pyFiles : artifact.codeZip)"
        if let inImage {
            let path = RuntimeImage.packagesPath(inImage)
            parameters += " --conf spark.executorEnv.PYTHONPATH=\(path) --conf spark.emr-serverless.driverEnv.PYTHONPATH=\(path)"
        } else {
            for setting in artifact.archiveSettings(driverEnvironment: "spark.emr-serverless.driverEnv") { parameters += " --conf " + setting }
        }
        if let extra = settings.sparkSubmitParameters { parameters += " " + extra }
        var definition: [String: JSONValue] = [
            "applicationId": .string(applicationId),
            "executionRoleArn": .string(configuration?.executionRoleArn ?? target.roleArn ?? ""),
            "name": .string(name),
            "jobDriver": .object([
                "sparkSubmit": .object([
                    "entryPoint": .string(artifact.entryPoint),
                    "entryPointArguments": .array(arguments.map(JSONValue.string)),
                    "sparkSubmitParameters": .string(parameters),
                ])
            ]),
            "artifact": .string(digest),
        ]
        if let inImage {
            definition["imageDependencies"] = .string(inImage)
        } else if let dependencies = artifact.dependencies {
            definition["dependencies"] = .string(dependencies.digest)
        }
        if let timeout = settings.timeoutMinutes { definition["executionTimeoutMinutes"] = .number(Double(timeout)) }
        // EMR Serverless counts attempts, the first included.
        if let retries = settings.retries { definition["retryPolicy"] = .object(["maxAttempts": .number(Double(retries + 1))]) }
        if let logURI = configuration?.logURI {
            definition["configurationOverrides"] = .object([
                "monitoringConfiguration": .object(["s3MonitoringConfiguration": .object(["logUri": .string(logURI)])])
            ])
        }
        return .object(definition)
    }

    /// StartJobRun's `entryPointArguments` hold 1 to 10280 characters each with a non-space
    /// one (the model's EntryPointArgument, `.*\S.*`): an empty or blank value is refused by AWS
    /// (moto accepts it), so it is refused here, naming the key and never the value.
    public func checkArguments(_ arguments: [String: String], source: String) throws {
        for (key, value) in arguments.sorted(by: { $0.key < $1.key }) {
            if value.allSatisfy(\.isWhitespace) {
                throw DeployError(
                    "\(source) \(key): EMR Serverless refuses an empty or blank argument value (entryPointArguments need a non-space character): give a value or leave the argument out"
                )
            }
            if value.count > 10_280 || key.count > 10_280 {
                throw DeployError("\(source) \(key): EMR Serverless takes at most 10280 characters per argument")
            }
        }
    }

    /// Nothing to create: the template lives in the deployment record.
    public func apply(name: String, desired: JSONValue, live: JSONValue?) async throws {}
    /// Nothing to delete.
    public func delete(name: String) async throws {}

    /// StartJobRun with the template, the run's arguments appended, the client token, the
    /// metadata as tags and the run's time limit; returns the job run id.
    public func start(name: String, definition: JSONValue, request: RunRequest) async throws -> String {
        let arguments = request.arguments
        guard case .object(var fields) = definition else { throw DeployError("job \(name) has no recorded definition: run deployer apply") }
        let appId = fields["applicationId"]?.stringValue ?? applicationId
        fields.removeValue(forKey: "applicationId")
        for key in Self.recordOnlyKeys { fields.removeValue(forKey: key) }
        var argumentsFrom: Int?
        if !arguments.isEmpty, case .object(var driver)? = fields["jobDriver"], case .object(var submit)? = driver["sparkSubmit"] {
            var list: [JSONValue] = []
            if case .array(let existing)? = submit["entryPointArguments"] { list = existing }
            argumentsFrom = list.count
            list += Self.argumentList(arguments).map(JSONValue.string)
            submit["entryPointArguments"] = .array(list)
            driver["sparkSubmit"] = .object(submit)
            fields["jobDriver"] = .object(driver)
        }
        var input = fields
        input["clientToken"] = .string(request.clientToken)
        var tags = ["managed-by": "deployer"]
        for (key, value) in Self.tags(request.metadata, argumentsFrom: argumentsFrom) { tags[key] = value }
        input["tags"] = .strings(tags)
        if let minutes = request.timeoutMinutes { input["executionTimeoutMinutes"] = .number(Double(minutes)) }
        return try await emr.startJobRun(applicationId: appId, input: .object(input))
    }

    /// Keys of the recorded template that are deployer's, not StartJobRun's: removed from
    /// every request (a run's and a schedule's).
    static let recordOnlyKeys = ["artifact", "dependencies", "imageDependencies"]

    /// The tag that says where a run's own `--arg` pairs start in its `entryPointArguments`.
    static let argumentsFromTag = "deployer-arguments-from"

    /// Run metadata as EMR Serverless tags. A tag value may hold only `[A-Za-z0-9 /_.:=+@-]`, at
    /// most 256 characters (the model's TagValue), so the run's arguments are not copied into a
    /// tag (JSON is refused there): they travel in `entryPointArguments`, where the run keeps
    /// them, and the tag `deployer-arguments-from` names the index at which they begin.
    static func tags(_ metadata: RunMetadata, argumentsFrom: Int? = nil) -> [String: String] {
        var tags: [String: String] = [:]
        if let key = metadata.idempotencyKey { tags["deployer-run-key"] = key }
        if let artifact = metadata.artifact { tags["deployer-artifact"] = artifact }
        if let deployment = metadata.deployment { tags["deployer-deployment"] = deployment }
        if let argumentsFrom, !metadata.arguments.isEmpty { tags[argumentsFromTag] = String(argumentsFrom) }
        return tags
    }

    /// The metadata of a run from its tags, and its own arguments from `entryPointArguments`
    /// after the index the tags name (`--key value` pairs, the leading dashes dropped).
    static func metadata(tags: [String: String], entryPointArguments: [String]? = nil) -> RunMetadata? {
        guard tags["deployer-run-key"] != nil || tags["deployer-artifact"] != nil || tags["deployer-deployment"] != nil else { return nil }
        var arguments: [String: String] = [:]
        if let from = tags[argumentsFromTag].flatMap({ Int($0) }), let list = entryPointArguments, from >= 0, from <= list.count {
            var index = from
            while index + 1 < list.count {
                let key = list[index].hasPrefix("--") ? String(list[index].dropFirst(2)) : list[index]
                arguments[key] = list[index + 1]
                index += 2
            }
        }
        return RunMetadata(
            idempotencyKey: tags["deployer-run-key"], artifact: tags["deployer-artifact"], deployment: tags["deployer-deployment"], arguments: arguments)
    }

    static func state(_ raw: String) -> RunState {
        switch raw {
        case "SUBMITTED", "PENDING", "SCHEDULED", "QUEUED": return .pending
        case "RUNNING", "CANCELLING": return .running
        case "SUCCESS": return .succeeded
        case "FAILED": return .failed
        case "CANCELLED": return .cancelled
        default: return .unknown
        }
    }

    /// A JobRun as the EMR Serverless model documents it, with `billedResourceUtilization`
    /// (vCPU-hours, memory and storage GB-hours) as the run's usage.
    func info(_ run: EMRServerlessClient.JobRun) -> RunInfo {
        let raw = run.state ?? "UNKNOWN"
        let id = run.runId ?? "?"
        var usage: RunUsage?
        if let billed = run.billedResourceUtilization {
            usage = RunUsage(vcpuHours: billed.vCPUHour, memoryGBHours: billed.memoryGBHour, storageGBHours: billed.storageGBHour)
        }
        let app = run.applicationId ?? applicationId
        var links = ["console": consoleURL(region: target.region, "emr/home?region={region}#/serverless-applications/\(app)")]
        if let logURI = configuration?.logURI {
            links["logs"] = (logURI.hasSuffix("/") ? logURI : logURI + "/") + "applications/\(app)/jobs/\(id)/"
        }
        var info = RunInfo(
            id: id, state: Self.state(raw), engineState: raw,
            startedAt: run.createdAt, endedAt: Self.state(raw).isTerminal ? run.updatedAt : nil,
            error: run.stateDetails.flatMap { $0.isEmpty ? nil : $0 },
            metadata: Self.metadata(tags: run.tags ?? [:], entryPointArguments: run.jobDriver?.sparkSubmit?.entryPointArguments),
            usage: usage, links: links)
        info.timeLimitMinutes = run.executionTimeoutMinutes
        return info
    }

    /// GetJobRun.
    public func describe(name: String, definition: JSONValue, runId: String) async throws -> RunInfo {
        info(try await emr.getJobRun(applicationId: definition["applicationId"]?.stringValue ?? applicationId, runId: runId))
    }

    /// The Spark UI (GetDashboardForJobRun: a URL valid for an hour).
    public func detailLinks(name: String, definition: JSONValue, runId: String) async -> [String: String] {
        guard let url = try? await emr.getDashboardForJobRun(applicationId: definition["applicationId"]?.stringValue ?? applicationId, runId: runId) else {
            return [:]
        }
        return ["spark_ui": url]
    }

    /// The application's maximum capacity at the target's prices bounds what a run can cost
    /// per hour: its `executionTimeoutMinutes`.
    public func timeoutMinutes(forMaxCost maxCost: Double, pricing: Pricing, definition: JSONValue) async throws -> (minutes: Int, explanation: String) {
        let app = definition["applicationId"]?.stringValue ?? applicationId
        guard let application = try await emr.getApplication(id: app), let capacity = application.maximumCapacity,
            let cpu = capacity.cpu.flatMap(Self.quantity), let memory = capacity.memory.flatMap(Self.quantity)
        else {
            throw DeployError(
                "--max-cost needs a maximum capacity on EMR Serverless application \(app) (its cost per hour is unbounded without one): set maximum_capacity in terraform"
            )
        }
        let disk = capacity.disk.flatMap(Self.quantity) ?? 0
        let hourly = cpu * pricing.emrServerlessVCPUHour + memory * pricing.emrServerlessMemoryGBHour + disk * pricing.emrServerlessStorageGBHour
        let minutes = Pricing.minutes(maxCost: maxCost, hourly: hourly)
        guard minutes >= 1 else {
            throw DeployError(
                "--max-cost \(Pricing.format(maxCost)) buys less than one minute of application \(app) at full capacity ($\(Pricing.format(hourly))/h)")
        }
        return (
            minutes,
            "at most \(Pricing.format(cpu)) vCPU, \(Pricing.format(memory)) GB, \(Pricing.format(disk)) GB disk = $\(Pricing.format(hourly))/h → executionTimeoutMinutes \(minutes)"
        )
    }

    /// `400 vCPU`, `3000 GB`, `2 TB` → the number in vCPU or GB.
    static func quantity(_ text: String) -> Double? {
        let parts = text.split(separator: " ")
        guard let number = parts.first.flatMap({ Double($0) }) else { return nil }
        let unit = parts.count > 1 ? parts[1].uppercased() : ""
        return unit == "TB" ? number * 1024 : number
    }

    /// The application's 50 latest job runs named `name`, at most `limit`. ListJobRuns' summaries
    /// carry no tags, driver or billed usage (the model's JobRunSummary), so each run kept is read
    /// whole with GetJobRun; a run gone between the two calls is left out.
    public func recentRuns(name: String, definition: JSONValue, limit: Int) async throws -> [RunInfo] {
        let app = definition["applicationId"]?.stringValue ?? applicationId
        let runs = try await emr.listJobRuns(applicationId: app, maxResults: 50)
        var result: [RunInfo] = []
        for summary in runs.filter({ $0.name == name }).prefix(limit) {
            guard let id = summary.runId else { continue }
            do {
                result.append(info(try await emr.getJobRun(applicationId: app, runId: id)))
            } catch let error as AWSError where error.isNotFound {
                continue
            }
        }
        return result
    }

    /// CancelJobRun.
    public func cancel(name: String, definition: JSONValue, runId: String) async throws {
        try await emr.cancelJobRun(applicationId: definition["applicationId"]?.stringValue ?? applicationId, runId: runId)
    }

    /// The driver's stdout or stderr under the template's log URI (gzip'd or plain); throws
    /// when the target has no `emr_serverless.log_uri`.
    public func logs(name: String, definition: JSONValue, runId: String, stderr: Bool) async throws -> [String] {
        guard let logURI = definition["configurationOverrides"]?["monitoringConfiguration"]?["s3MonitoringConfiguration"]?["logUri"]?.stringValue else {
            throw DeployError("target \(target.name) has no emr_serverless.log_uri: driver logs are only in the EMR Studio console")
        }
        let base = logURI.hasSuffix("/") ? logURI : logURI + "/"
        let appId = definition["applicationId"]?.stringValue ?? applicationId
        let uri = "\(base)applications/\(appId)/jobs/\(runId)/SPARK_DRIVER/\(stderr ? "stderr" : "stdout")"
        return try await s3LogLines(s3, uri: uri) ?? []
    }
}
