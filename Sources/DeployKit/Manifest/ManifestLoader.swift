import Foundation
import Yams

/// Reads `deployer.yml`: YAML with positions → interpolation → schema → model.
public struct ManifestLoader: Sendable {
    /// `--var NAME=VALUE`, then `DEPLOYER_VAR_NAME` from the environment.
    public var variables: [String: String]
    /// Read for `${env.NAME}` and `DEPLOYER_VAR_NAME`.
    public var environment: [String: String]
    /// `--tf-outputs`: a `terraform output -json` file or a terraform directory.
    public var terraformOutputs: String?
    /// The engines `engine:` may name (tests add their own plug-ins).
    public var engines: EngineRegistry = .builtIn

    /// A loader with these variables, environment and terraform outputs.
    public init(variables: [String: String] = [:], environment: [String: String] = ProcessInfo.processInfo.environment, terraformOutputs: String? = nil) {
        self.variables = variables
        self.environment = environment
        self.terraformOutputs = terraformOutputs
    }

    /// Why a manifest could not be loaded.
    public enum LoadError: Error, CustomStringConvertible {
        /// The file cannot be used (missing, a folder, too large): the message says why.
        case unreadable(String)
        /// Problems found in it, each with its line and column.
        case issues([ManifestIssue])

        /// The message, or one line per issue.
        public var description: String {
            switch self {
            case .unreadable(let message): return message
            case .issues(let issues): return issues.map(\.description).joined(separator: "\n")
            }
        }
    }

    /// Loads the manifest. Only `target` (default: `default_target`, else `local`) is
    /// interpolated: other targets' references are checked for syntax but not resolved, so a
    /// laptop using the local target needs no terraform outputs or cloud variables.
    public func load(file: String, target: String? = nil) throws -> Manifest {
        let text = try Self.readText(file)
        let directory = URL(fileURLWithPath: file).standardizedFileURL.deletingLastPathComponent().path
        if let issue = YAMLLimits.check(text, file: file) { throw LoadError.issues([issue]) }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw LoadError.issues([ManifestIssue(file: file, line: 1, column: 1, path: "(root)", message: "the file is empty")])
            }
            root = node
        } catch let error as YamlError {
            throw LoadError.issues([Self.issue(from: error, file: file)])
        }
        var issues: [ManifestIssue] = []
        var terraform = TerraformOutputs(
            source: terraformOutputs ?? Self.scalar(root, "terraform_outputs").map { Self.resolve($0, in: directory) }, directory: directory)
        let selected = target ?? Self.scalar(root, "default_target") ?? "local"
        let selectedEngine = root.mapping?[Node("targets")]?.mapping?[Node(selected)]?.mapping?[Node("engine")]?.string
        let interpolated = interpolate(
            root, path: "", file: file, terraform: &terraform, issues: &issues, selectedTarget: selected, selectedEngine: selectedEngine)
        Schema.manifest(engines).validate(interpolated, path: "", file: file, into: &issues)
        if !issues.isEmpty { throw LoadError.issues(issues) }
        return try build(interpolated, file: file, directory: directory, selectedTarget: selected)
    }

    /// The manifest's text: bounded in size before it is read, and UTF-8.
    static func readText(_ file: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
            throw LoadError.unreadable("cannot read \(file): it does not exist; create it (see docs/deployer.md) or pass -f PATH")
        }
        guard !isDirectory.boolValue else { throw LoadError.unreadable("\(file) is a folder: pass -f with the manifest file") }
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.intValue ?? 0
        guard size <= YAMLLimits.maximumBytes else {
            throw LoadError.unreadable("\(file) is \(size) bytes; a manifest may have at most \(YAMLLimits.maximumBytes): is -f the right file?")
        }
        guard let handle = FileHandle(forReadingAtPath: file) else { throw LoadError.unreadable("cannot read \(file): permission denied") }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: YAMLLimits.maximumBytes + 1)) ?? Data()
        guard data.count <= YAMLLimits.maximumBytes else { throw LoadError.unreadable("\(file) is larger than \(YAMLLimits.maximumBytes) bytes") }
        guard let text = String(data: data, encoding: .utf8) else {
            throw LoadError.unreadable("\(file) is not UTF-8 text: save it as UTF-8")
        }
        return text
    }

    static func issue(from error: YamlError, file: String) -> ManifestIssue {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
            return ManifestIssue(file: file, line: mark.line, column: mark.column, path: "(yaml)", message: problem)
        case .composer(_, let problem, let mark, _):
            return ManifestIssue(file: file, line: mark.line, column: mark.column, path: "(yaml)", message: problem)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = duplicates.sorted().map { "'\(Schema.short($0))'" }.joined(separator: ", ")
            return ManifestIssue(
                file: file, line: context.mark.line, column: context.mark.column, path: "(yaml)",
                message: "duplicate key \(names) in one mapping: keep one")
        default:
            return ManifestIssue(file: file, line: 1, column: 1, path: "(yaml)", message: Schema.short("\(error)", 200))
        }
    }

    static func scalar(_ node: Node, _ key: String) -> String? {
        node.mapping?[Node(key)]?.string
    }

    static func resolve(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: directory).appendingPathComponent(path).standardizedFileURL.path
    }

    // MARK: Interpolation

    func interpolate(
        _ node: Node, path: String, file: String, terraform: inout TerraformOutputs, issues: inout [ManifestIssue], selectedTarget: String,
        selectedEngine: String?
    ) -> Node {
        switch node {
        case .scalar(var scalar):
            guard scalar.string.contains("${") else { return node }
            let inOtherTarget = Self.notInUse(path, target: selectedTarget, engine: selectedEngine)
            do {
                if inOtherTarget {
                    try checkSyntax(scalar.string)
                    return node
                }
                scalar.string = try expand(scalar.string, terraform: &terraform)
            } catch let error as DeployError {
                issues.append(
                    ManifestIssue(
                        file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1, path: path.isEmpty ? "(root)" : path, message: error.description
                    ))
            } catch {
                issues.append(ManifestIssue(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1, path: path, message: "\(error)"))
            }
            return .scalar(scalar)
        case .mapping(let mapping):
            // Rebuilt in one pass: assigning by key is linear per key, quadratic over a mapping.
            var pairs: [(Node, Node)] = []
            pairs.reserveCapacity(mapping.count)
            for (key, value) in mapping {
                let child = path.isEmpty ? (key.string ?? "?") : "\(path).\(key.string ?? "?")"
                pairs.append(
                    (
                        key,
                        interpolate(
                            value, path: child, file: file, terraform: &terraform, issues: &issues, selectedTarget: selectedTarget,
                            selectedEngine: selectedEngine)
                    ))
            }
            return .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark, mapping.anchor))
        case .sequence(var sequence):
            for index in sequence.indices {
                sequence[index] = interpolate(
                    sequence[index], path: "\(path)[\(index)]", file: file, terraform: &terraform, issues: &issues, selectedTarget: selectedTarget,
                    selectedEngine: selectedEngine)
            }
            return .sequence(sequence)
        case .alias:
            return node
        }
    }

    /// Settings of other targets, and job overrides for other engines, are not resolved.
    static func notInUse(_ path: String, target: String, engine: String?) -> Bool {
        let parts = path.split(separator: ".").map(String.init)
        if parts.count >= 2, parts[0] == "targets" { return parts[1] != target }
        if parts.count >= 4, parts[0] == "jobs", parts[2] == "engines" { return parts[3] != engine }
        // pipelines.NAME.steps[i].engines.ENGINE...: only the engine in use is resolved.
        if parts.count >= 5, parts[0] == "pipelines", parts[3] == "engines" { return parts[4] != engine }
        return false
    }

    /// Checks references without resolving them (targets not in use).
    func checkSyntax(_ text: String) throws {
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { throw DeployError("unterminated '${' in '\(text)'") }
            let parts = rest[start.upperBound..<end].split(separator: ".", maxSplits: 1)
            guard parts.count == 2, ["var", "env", "tf"].contains(String(parts[0])) else {
                throw DeployError("'${\(rest[start.upperBound..<end])}' is not ${var.NAME}, ${env.NAME} or ${tf.OUTPUT}")
            }
            rest = rest[rest.index(after: end)...]
        }
    }

    /// Replaces `${var.NAME}`, `${env.NAME}` and `${tf.OUTPUT}`; `$${` escapes a literal `${`.
    func expand(_ text: String, terraform: inout TerraformOutputs) throws -> String {
        var output = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            if start.lowerBound > rest.startIndex, rest[rest.index(before: start.lowerBound)] == "$" {
                output += rest[..<rest.index(before: start.lowerBound)] + "${"
                rest = rest[start.upperBound...]
                continue
            }
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw DeployError("unterminated '${' in '\(text)'")
            }
            output += rest[..<start.lowerBound]
            let reference = String(rest[start.upperBound..<end])
            output += try value(of: reference, terraform: &terraform)
            rest = rest[rest.index(after: end)...]
        }
        return output + rest
    }

    func value(of reference: String, terraform: inout TerraformOutputs) throws -> String {
        let parts = reference.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[1].isEmpty else {
            throw DeployError("'${\(reference)}' is not ${var.NAME}, ${env.NAME} or ${tf.OUTPUT}")
        }
        // `${var.${var.a}}`: a reference inside a reference is never expanded; say so rather
        // than suggest `--var ${var.a=VALUE`.
        if parts[1].contains("$") || parts[1].contains("{") {
            throw DeployError("'${\(reference)}}' nests a reference in a reference, which is not expanded: give the name itself, e.g. ${var.NAME}")
        }
        switch parts[0] {
        case "var":
            if let value = variables[parts[1]] ?? environment["DEPLOYER_VAR_\(parts[1])"] { return value }
            throw DeployError("variable '\(parts[1])' is not set: pass --var \(parts[1])=VALUE or set DEPLOYER_VAR_\(parts[1])")
        case "env":
            if let value = environment[parts[1]] { return value }
            throw DeployError("environment variable \(parts[1]) is not set")
        case "tf":
            return try terraform.value(parts[1])
        default:
            throw DeployError("'${\(reference)}': unknown namespace '\(parts[0])' (allowed: var, env, tf)")
        }
    }

    // MARK: Model

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
            var made = Target(
                name: name, engine: try plugin.configuration(from: TargetSection(name: name, node: node, file: file)), region: target.region,
                accountIds: target.accountIds ?? [], artifacts: location, roleArn: target.roleArn, tags: target.tags ?? [:],
                settings: target.glue?.settings ?? EngineSettings(), runtimePython: target.runtime?.python,
                runtimeArch: target.runtime?.arch.flatMap(PythonRuntime.normalizedArch), scheduleRoleArn: target.scheduleRoleArn,
                pauseSchedules: manifestBool(target.pauseSchedules) ?? (name != "prod"),
                pricing: Pricing(values: (target.pricing ?? [:]).compactMapValues(Double.init)))
            made.pipelineRoleArn = target.pipelineRoleArn
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
            jobs.append(
                Job(
                    name: name, source: source, entryPoint: job.entryPoint ?? "main.py",
                    config: job.config.map { Self.resolve($0, in: directory) } ?? source + "/config.yml",
                    arguments: job.arguments ?? [:], engines: overrides, repository: directory, preventDestroy: manifestBool(job.preventDestroy) ?? false,
                    schedule: schedule, notify: notify, engineName: job.name, requirements: requirementsPath,
                    libraries: (job.libraries ?? []).map { Self.resolve($0, in: directory) }, dataChecks: job.dataChecks?.checks ?? DataChecks()))
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

extension ManifestIssue {
    /// The same message at another field.
    func at(_ path: [String]) -> ManifestIssue {
        var moved = self
        moved.path = path.joined(separator: ".")
        return moved
    }
}

/// Terraform outputs, read once when the first `${tf.…}` is met.
struct TerraformOutputs {
    let source: String?
    let directory: String
    var loaded: [String: JSONValue]?

    init(source: String?, directory: String) {
        self.source = source
        self.directory = directory
    }

    /// The output's value as text: a string as it is, a number in its shortest form, a boolean
    /// as `true`/`false` (as Terraform prints it). A value with a control character is refused,
    /// as the same in YAML is: it would flow into job arguments and names unseen.
    mutating func value(_ name: String) throws -> String {
        if loaded == nil { loaded = try load() }
        guard let entry = loaded?[name] else {
            throw DeployError(
                "terraform output '\(name)' does not exist in \(source ?? "?") (outputs: \((loaded ?? [:]).keys.sorted().joined(separator: ", ")))")
        }
        let text: String
        switch entry["value"] ?? entry {
        case .string(let string): text = string
        case .bool(let bool): text = bool ? "true" : "false"
        case .number(let number):
            text = number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        default:
            throw DeployError(
                "terraform output '\(name)' in \(source ?? "?") is not a string, number or boolean: give deployer one of those (a list or map needs its own output)"
            )
        }
        if let bad = text.unicodeScalars.first(where: { $0.properties.generalCategory == .control }) {
            throw DeployError(
                "terraform output '\(name)' in \(source ?? "?") holds a control character (U+\(String(format: "%04X", bad.value))): fix the output's value in terraform"
            )
        }
        return text
    }

    func load() throws -> [String: JSONValue] {
        guard let source else {
            throw DeployError("${tf.…} needs terraform outputs: pass --tf-outputs FILE|DIR or set terraform_outputs in the manifest")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
            throw DeployError("terraform outputs \(source) does not exist: run 'terraform output -json > FILE' or point at the terraform directory")
        }
        let data: Data
        if isDirectory.boolValue {
            let result = try Subprocess.run(["terraform", "-chdir=\(source)", "output", "-json"])
            guard result.status == 0 else {
                throw DeployError("'terraform -chdir=\(source) output -json' failed (exit \(result.status)): run terraform init/apply there first")
            }
            data = result.output
        } else {
            // Bounded, and a refusal named as one (Foundation's text for it is not a message).
            let limit = 16 << 20
            guard let handle = FileHandle(forReadingAtPath: source) else {
                throw DeployError("cannot read terraform outputs \(source): permission denied or not a file; pass the file 'terraform output -json' wrote")
            }
            defer { try? handle.close() }
            guard let read = try? handle.read(upToCount: limit + 1) else {
                throw DeployError("cannot read terraform outputs \(source): pass the file 'terraform output -json' wrote")
            }
            guard read.count <= limit else { throw DeployError("terraform outputs \(source) is larger than \(limit) bytes: is --tf-outputs the right file?") }
            data = read
        }
        guard let object = try? JSONDecoder().decode([String: JSONValue].self, from: data) else {
            throw DeployError("terraform outputs \(source) are not the JSON of 'terraform output -json'")
        }
        return object
    }
}
