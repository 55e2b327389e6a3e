import Foundation
import Yams

/// The validated document turned into the model (targets, jobs, pipelines).
extension ManifestLoader {

    /// Tags a target may set: AWS allows 50 per resource, and deployer adds `managed-by`.
    static let maximumTags = 49

    /// Glue's default quota of jobs per account; more in one manifest is a mistake or an attack.
    static let maximumJobs = 1000

    /// Why `path` may not be packaged, or nil: it must be relative, without `..`, and (after
    /// following symbolic links) inside `directory`, the repository holding the manifest.
    static func confinementProblem(_ path: String, directory: String) -> String? {
        if path.hasPrefix("/") || path.hasPrefix("~") {
            return "'\(Schema.short(path))' is absolute: give a path relative to the manifest's folder (nothing outside the repository is packaged)"
        }
        if path.split(separator: "/").contains("..") {
            return "'\(Schema.short(path))' leaves the repository with '..': give a path inside the manifest's folder"
        }
        let root = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
        let resolved = URL(fileURLWithPath: directory).appendingPathComponent(path).resolvingSymlinksInPath().path
        if resolved != root && !resolved.hasPrefix(root + "/") {
            return "'\(Schema.short(path))' is a symbolic link out of the repository (to \(Schema.short(resolved))): nothing outside the repository is packaged"
        }
        return nil
    }

    func build(_ root: Node, file: String, directory: String, selectedTarget: String? = nil) throws -> Manifest {
        func issue(_ path: [String], _ message: String) -> ManifestIssue {
            let mark = root.node(at: path)?.mark
            return ManifestIssue(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, path: path.joined(separator: "."), message: message)
        }
        if let count = root.node(at: ["jobs"])?.mapping?.count, count > Self.maximumJobs {
            throw LoadError.issues([
                issue(["jobs"], "\(count) jobs; at most \(Self.maximumJobs) per manifest (Glue's default quota per account): split the project")
            ])
        }
        let document: ManifestDocument
        do {
            document = try YAMLDecoder().decode(ManifestDocument.self, from: root)
        } catch let error as DecodingError {
            throw LoadError.issues([Self.issue(from: error, root: root, file: file)])
        }
        let project = document.project
        var targets: [String: Target] = [:]
        // In file order, so the first bad entry in the file is the one reported.
        func keys(_ path: String) -> [String] { root.node(at: [path])?.mapping?.compactMap { $0.key.string } ?? [] }
        for name in keys("targets") {
            let path = ["targets", name]
            guard let target = document.targets?[name], let plugin = engines.plugin(target.engine), let node = root.node(at: path) else { continue }
            let location: ArtifactLocation
            if let bucket = target.artifacts.bucket {
                var prefix = target.artifacts.prefix ?? project
                while prefix.hasSuffix("/") { prefix.removeLast() }
                while prefix.hasPrefix("/") { prefix.removeFirst() }
                location = .s3(bucket: bucket, prefix: prefix)
            } else if let path = target.artifacts.path {
                location = .local(path: Self.resolve(path, in: directory))
            } else {
                throw LoadError.issues([issue(path, "give either bucket (with prefix) or path").at(["targets", name, "artifacts"])])
            }
            // Glue allows 50 tags on a job, and deployer adds managed-by.
            if let tags = target.tags, tags.count > Self.maximumTags {
                throw LoadError.issues([issue(path + ["tags"], "\(tags.count) tags; at most \(Self.maximumTags) (AWS allows 50 and deployer adds managed-by)")])
            }
            if target.tags?["managed-by"] != nil {
                throw LoadError.issues([issue(path + ["tags", "managed-by"], "managed-by is deployer's own tag: use another key")])
            }
            if !plugin.runsLocally, case .local = location {
                throw LoadError.issues([
                    issue(path, "engine \(plugin.kind) needs artifacts.bucket: AWS cannot read a local path").at(["targets", name, "artifacts"])
                ])
            }
            let section = TargetSection(name: name, node: node, file: file)
            try refuseOtherEngines(section, plugin: plugin)
            var made = Target(
                name: name, engine: try plugin.configuration(from: section), region: target.region,
                accountIds: target.accountIds ?? [], artifacts: location, roleArn: target.roleArn, tags: target.tags ?? [:],
                settings: try section.decode(SettingsDocument.self, plugin.settingsSection)?.settings ?? EngineSettings(),
                runtimePython: target.runtime?.python,
                runtimeArch: target.runtime?.arch.flatMap(PythonRuntime.normalizedArch), scheduleRoleArn: target.scheduleRoleArn,
                pauseSchedules: manifestBool(target.pauseSchedules) ?? (name != "prod"),
                pricing: Pricing(values: (target.pricing ?? [:]).compactMapValues(Double.init)))
            made.pipelineRoleArn = target.pipelineRoleArn
            made.development = target.mode == "development"
            if let wanted = target.jobRuntime {
                made.jobRuntime = JobRuntime(rawValue: wanted)
                if made.jobRuntime == .duckdb, !plugin.runsDuckDB {
                    let able = engines.plugins.filter(\.runsDuckDB).map(\.kind.rawValue)
                    throw LoadError.issues([
                        issue(
                            path + ["job_runtime"],
                            "engine \(plugin.kind) runs Spark only: duckdb runs on \(able.joined(separator: ", ")); remove the key or use spark")
                    ])
                }
            }
            targets[name] = made
        }
        let selected = selectedTarget.flatMap { targets[$0] }
        var jobs: [Job] = []
        for name in keys("jobs") {
            guard let job = document.jobs[name] else { continue }
            let here = ["jobs", name]
            var problems: [ManifestIssue] = []
            for (field, value) in [("source", job.source), ("config", job.config), ("requirements", job.requirements)] {
                if let value, let problem = Self.confinementProblem(value, directory: directory) { problems.append(issue(here + [field], problem)) }
            }
            if let entry = job.entryPoint, let problem = Self.confinementProblem(entry, directory: Self.resolve(job.source, in: directory)) {
                problems.append(issue(here + ["entry_point"], problem))
            }
            for (index, library) in (job.libraries ?? []).enumerated() {
                if let problem = Self.confinementProblem(library, directory: directory) {
                    let mark = root.node(at: here + ["libraries"])?.sequence?[index].mark
                    problems.append(
                        ManifestIssue(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, path: "jobs.\(name).libraries[\(index)]", message: problem))
                }
            }
            var requirementsPath: String?
            if let requirements = job.requirements, problems.isEmpty {
                let path = Self.resolve(requirements, in: directory)
                requirementsPath = path
                // Pinned or refused at validate time, each bad line named.
                if FileManager.default.fileExists(atPath: path) {
                    do { _ = try Requirements.load(path) } catch let error as DeployError {
                        problems += error.description.split(separator: "\n").map { issue(here + ["requirements"], String($0)) }
                    }
                } else {
                    problems.append(
                        issue(
                            here + ["requirements"],
                            "'\(Schema.short(requirements))' does not exist: create it with pinned NAME==VERSION lines, or remove the key"))
                }
            }
            var duckdb: DuckDBSupport?
            if let block = job.duckdb {
                duckdb = DuckDBSupport()
                if let extra = block.requirements {
                    if let problem = Self.confinementProblem(extra, directory: directory) {
                        problems.append(issue(here + ["duckdb", "requirements"], problem))
                    } else {
                        let path = Self.resolve(extra, in: directory)
                        duckdb?.requirements = path
                        if !FileManager.default.fileExists(atPath: path) {
                            problems.append(
                                issue(
                                    here + ["duckdb", "requirements"],
                                    "'\(Schema.short(extra))' does not exist: create it with pinned NAME==VERSION lines, or remove the key"))
                        } else {
                            do { _ = try Requirements.load(path) } catch let error as DeployError {
                                problems += error.description.split(separator: "\n").map { issue(here + ["duckdb", "requirements"], String($0)) }
                            }
                        }
                    }
                }
            }
            let jobRuntime = job.jobRuntime.flatMap(JobRuntime.init(rawValue:))
            if jobRuntime == .duckdb {
                if duckdb == nil {
                    problems.append(
                        issue(here + ["job_runtime"], "duckdb needs a duckdb: block (the job's code must have a DuckDB runtime); add one or use spark"))
                } else if let selected, !selected.plugin.runsDuckDB {
                    problems.append(
                        issue(
                            here + ["job_runtime"],
                            "engine \(selected.engine) (target \(selected.name)) runs Spark only: run duckdb jobs on \(engines.plugins.filter(\.runsDuckDB).map(\.kind.rawValue).joined(separator: ", "))"
                        ))
                }
            }
            if !problems.isEmpty { throw LoadError.issues(problems) }
            var schedule: JobSchedule?
            if let wanted = job.schedule {
                do {
                    let cron = try Cron(wanted.cron)
                    if cron.awsOnly, selected?.plugin.scheduling == .local {
                        problems.append(
                            issue(
                                here + ["schedule", "cron"],
                                "L, W and # are evaluated by AWS only; the local engine's 'schedule run-due' cannot: use plain fields"))
                    }
                } catch {
                    problems.append(issue(here + ["schedule", "cron"], "\(error)"))
                }
                let timezone = wanted.timezone ?? "UTC"
                if TimeZone(identifier: timezone) == nil {
                    problems.append(
                        issue(here + ["schedule", "timezone"], "'\(Schema.short(timezone))' is not a time zone: use an IANA name such as Europe/Berlin or UTC"))
                }
                if let selected {
                    if selected.plugin.scheduling == .unsupported {
                        let able = engines.plugins.filter { $0.scheduling != .unsupported }.map(\.kind.rawValue)
                        problems.append(
                            issue(
                                here + ["schedule"],
                                "engine \(selected.engine) (target \(selected.name)) cannot take a schedule: schedule on \(able.joined(separator: ", "))"))
                    } else if selected.plugin.scheduling == .eventBridge, selected.scheduleRoleArn == nil {
                        problems.append(
                            issue(
                                here + ["schedule"],
                                "target \(selected.name) needs schedule_role_arn (the role EventBridge Scheduler assumes; a terraform output) for schedules"))
                    }
                }
                schedule = JobSchedule(cron: wanted.cron, timezone: timezone, arguments: wanted.arguments ?? [:], paused: manifestBool(wanted.paused))
            }
            var notify: JobNotify?
            if let wanted = job.notify {
                if let selected, !selected.plugin.reportsRunEvents {
                    let able = engines.plugins.filter(\.reportsRunEvents).map(\.kind.rawValue)
                    problems.append(
                        issue(
                            here + ["notify"],
                            "engine \(selected.engine) (target \(selected.name)) has no run state-change events: notify works on \(able.joined(separator: ", "))"
                        ))
                }
                let on = wanted.on ?? []
                notify = JobNotify(on: on.isEmpty ? ["failed", "timeout"] : Array(Set(on)).sorted(), snsTopic: wanted.snsTopic)
            }
            if !problems.isEmpty { throw LoadError.issues(problems) }
            let source = Self.resolve(job.source, in: directory)
            var overrides: [EngineKind: EngineSettings] = [:]
            for (engine, settings) in job.engines ?? [:] { overrides[EngineKind(rawValue: engine)] = settings.settings }
            var made = Job(
                name: name, source: source, entryPoint: job.entryPoint ?? "main.py",
                config: job.config.map { Self.resolve($0, in: directory) } ?? source + "/config.yml",
                arguments: job.arguments ?? [:], engines: overrides, repository: directory, preventDestroy: manifestBool(job.preventDestroy) ?? false,
                schedule: schedule, notify: notify, engineName: job.name, requirements: requirementsPath,
                libraries: (job.libraries ?? []).map { Self.resolve($0, in: directory) }, dataChecks: job.dataChecks?.checks ?? DataChecks())
            made.duckdb = duckdb
            made.jobRuntime = jobRuntime
            jobs.append(made)
        }
        if let defaultTarget = document.defaultTarget, targets[defaultTarget] == nil {
            throw LoadError.issues([issue(["default_target"], "'\(defaultTarget)' is not a target (allowed: \(targets.keys.sorted().joined(separator: ", ")))")]
            )
        }
        let pipelines = try buildPipelines(document, root: root, file: file, jobs: jobs, selected: selected)
        return Manifest(
            project: project, defaultTarget: document.defaultTarget, targets: targets, jobs: jobs.sorted { $0.name < $1.name }, pipelines: pipelines,
            directory: directory, file: file)
    }

    /// A decoding failure the schema let through, at its field's line and column.
    static func issue(from error: DecodingError, root: Node, file: String) -> ManifestIssue {
        let context: DecodingError.Context
        var message = "cannot be read"
        switch error {
        case .typeMismatch(let type, let found):
            context = found
            message = "expected \(type == Bool.self ? "true or false" : type == Int.self ? "a whole number" : "\(type)")"
        case .valueNotFound(_, let found):
            context = found
            message = "has no value"
        case .keyNotFound(let key, let found):
            context = found
            message = "missing required key '\(key.stringValue)'"
        case .dataCorrupted(let found): context = found
        @unknown default: return ManifestIssue(file: file, line: 1, column: 1, path: "(root)", message: "cannot be read")
        }
        let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        let mark = root.node(at: context.codingPath.compactMap { $0.intValue == nil ? $0.stringValue : nil })?.mark
        return ManifestIssue(
            file: file, line: mark?.line ?? 1, column: mark?.column ?? 1,
            path: path.isEmpty ? "(root)" : path.joined(separator: ".").replacingOccurrences(of: ".[", with: "["),
            message: message)
    }
}
