import AWSCore
import Yams

/// One problem found in `deployer.yml`, with where it is.
public struct ManifestIssue: Error, CustomStringConvertible, Sendable, Equatable {
    /// The manifest's path.
    public var file: String
    /// The line, from 1.
    public var line: Int
    /// The column, from 1.
    public var column: Int
    /// The dotted path of the field (`targets.dev.region`).
    public var path: String
    /// What is wrong and what to do.
    public var message: String

    /// `FILE:LINE:COLUMN: PATH: MESSAGE`.
    public var description: String { "\(file):\(line):\(column): \(path): \(message)" }
}

/// The shape a YAML node must have. Small on purpose: enough to give precise errors
/// (file:line:column, the key path, the allowed values) for the manifest. Engine plug-ins
/// describe their target section with it.
public indirect enum Schema: Sendable {
    /// A string, one of `allowed` or matching `pattern` (`hint` says what is expected).
    case string(allowed: [String]? = nil, pattern: String? = nil, hint: String? = nil)
    /// A whole number in the range.
    case integer(ClosedRange<Int>)
    /// A finite number of 0 or more.
    case number
    /// `true` or `false`.
    case boolean
    /// A list of one shape.
    case list(Schema)
    /// Free-form keys (matching `keyPattern` when given), every value of one shape.
    case map(Schema, keyPattern: String? = nil, keyHint: String? = nil)
    /// Fixed keys.
    case object([String: Field])

    /// One key of an object: its shape, whether it must be there, and what it is for.
    public struct Field: Sendable {
        let schema: Schema
        let required: Bool
        let help: String
        /// A key of shape `schema`; `help` ends the message when a required key is missing.
        public init(_ schema: Schema, required: Bool = false, _ help: String = "") {
            self.schema = schema
            self.required = required
            self.help = help
        }
    }

    func validate(_ node: Node, path: String, file: String, into issues: inout [ManifestIssue]) {
        func issue(_ message: String) {
            let mark = node.mark
            issues.append(ManifestIssue(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, path: path.isEmpty ? "(root)" : path, message: message))
        }
        switch self {
        case .string(let allowed, let pattern, let hint):
            guard case .scalar(let scalar) = node else { return issue("expected a string, found \(kind(node))") }
            // Unresolved references (targets not in use) are checked once they are resolved.
            if scalar.string.contains("${") { return }
            if let allowed, !allowed.contains(scalar.string) {
                issue("'\(Self.short(scalar.string))' is not allowed (allowed: \(allowed.joined(separator: ", ")))")
            } else if let pattern, scalar.string.range(of: pattern, options: .regularExpression) == nil {
                issue("'\(Self.short(scalar.string))' is not valid\(hint.map { " (\($0))" } ?? "")")
            }
        case .integer(let range):
            guard case .scalar(let scalar) = node, let value = Int(scalar.string) else { return issue("expected a whole number, found \(describe(node))") }
            if !range.contains(value) { issue("\(value) is out of range (allowed: \(range.lowerBound)...\(range.upperBound))") }
        case .number:
            guard case .scalar(let scalar) = node, let value = Double(scalar.string), value.isFinite else {
                return issue("expected a number, found \(describe(node))")
            }
            if value < 0 { issue("\(Self.short(scalar.string)) is negative: give a number of 0 or more") }
        case .boolean:
            guard case .scalar(let scalar) = node, ["true", "false"].contains(scalar.string.lowercased()) else {
                return issue("expected true or false, found \(describe(node))")
            }
        case .list(let element):
            guard case .sequence(let sequence) = node else { return issue("expected a list, found \(kind(node))") }
            for (index, item) in sequence.enumerated() {
                element.validate(item, path: "\(path)[\(index)]", file: file, into: &issues)
            }
        case .map(let value, let keyPattern, let keyHint):
            guard case .mapping(let mapping) = node else { return issue("expected a mapping, found \(kind(node))") }
            for (key, item) in mapping {
                let name = key.string ?? "?"
                if let keyPattern, name.range(of: keyPattern, options: .regularExpression) == nil {
                    let mark = key.mark
                    issues.append(
                        ManifestIssue(
                            file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, path: join(path, Self.short(name)),
                            message: "'\(Self.short(name))' is not a valid name\(keyHint.map { " (\($0))" } ?? "")"))
                    continue
                }
                value.validate(item, path: join(path, name), file: file, into: &issues)
            }
        case .object(let fields):
            guard case .mapping(let mapping) = node else { return issue("expected a mapping, found \(kind(node))") }
            var seen: Set<String> = []
            for (key, item) in mapping {
                let name = key.string ?? "?"
                seen.insert(name)
                guard let field = fields[name] else {
                    let mark = key.mark
                    issues.append(
                        ManifestIssue(
                            file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, path: join(path, name),
                            message: "unknown key (allowed: \(fields.keys.sorted().joined(separator: ", ")))"))
                    continue
                }
                field.schema.validate(item, path: join(path, name), file: file, into: &issues)
            }
            for (name, field) in fields.sorted(by: { $0.key < $1.key }) where field.required && !seen.contains(name) {
                issue("missing required key '\(name)'\(field.help.isEmpty ? "" : ": \(field.help)")")
            }
        }
    }

    private func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// A value as quoted in a message: one line, at most `limit` characters (a 5 MB value is
    /// not echoed back).
    static func short(_ text: String, _ limit: Int = 60) -> String {
        Redaction.scrub(text, limit: limit)
    }

    private func kind(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): return "'\(Self.short(scalar.string))'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    private func describe(_ node: Node) -> String { kind(node) }
}

extension Schema {
    static let jobEngineSettings: Schema = .object([
        "arguments": .init(.map(.string()), "extra job arguments for this engine"),
        "version": .init(.string(allowed: ["4.0", "5.0"])),
        "worker_type": .init(.string(allowed: ["G.025X", "G.1X", "G.2X", "G.4X", "G.8X", "Z.2X"])),
        "number_of_workers": .init(.integer(2...1000)),
        "timeout_minutes": .init(.integer(1...10080)),
        "max_concurrent_runs": .init(.integer(1...1000)),
        "spark_submit_parameters": .init(.string()),
        "retries": .init(
            .integer(0...9), "times a failed run is retried by the engine (Glue MaxRetries; EMR Serverless retryPolicy.maxAttempts = retries + 1)"),
    ])

    /// `targets.NAME`: the keys every target has, and each registered engine's own.
    static func targetSchema(_ engines: EngineRegistry) -> Schema {
        var fields: [String: Field] = [
            "engine": .init(.string(allowed: engines.names), required: true, "where jobs run"),
            "region": .init(.string(pattern: "^[a-z]{2}(-[a-z]+)+-[0-9]$|^local$", hint: "an AWS region such as eu-west-1")),
            "account_ids": .init(.list(.string(pattern: "^[0-9]{12}$", hint: "a 12-digit AWS account id"))),
            "artifacts": .init(
                .object([
                    "bucket": .init(.string(pattern: "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", hint: "an S3 bucket name")),
                    "prefix": .init(.string()),
                    "path": .init(.string()),
                ]), required: true, "where artifacts and deployment records live"),
            "role_arn": .init(.string(pattern: "^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", hint: "an IAM role ARN")),
            // AWS's tag rules (Glue TagsMap: key 1–128, value 0–256, no `aws:` prefix).
            "tags": .init(
                .map(
                    .string(pattern: "^[\\p{L}\\p{Z}\\p{N}_.:/=+@-]{0,256}$", hint: "letters, digits, spaces and _ . : / = + @ -, at most 256"),
                    keyPattern: "^(?![aA][wW][sS]:)[\\p{L}\\p{Z}\\p{N}_.:/=+@-]{1,128}$",
                    keyHint: "letters, digits, spaces and _ . : / = + @ -, 1 to 128, not starting with aws:"),
                "tags on the engine's resources (at most 49: deployer adds managed-by)"),
            "schedule_role_arn": .init(
                .string(pattern: "^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", hint: "an IAM role ARN"),
                "the role EventBridge Scheduler assumes to start scheduled runs (terraform output)"),
            "pipeline_role_arn": .init(
                .string(pattern: "^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", hint: "an IAM role ARN"),
                "the role the pipelines' Step Functions state machines run as (terraform output)"),
            "pause_schedules": .init(.boolean, "create schedules paused unless a job says otherwise (default: true, except on a target named prod)"),
            "pricing": .init(
                .object(
                    engines.plugins.reduce(into: [
                        "step_functions_transition": Field(
                            .number, "USD per unit, at least 0: a pipeline execution's state transition on Step Functions (default 0.000025)")
                    ]) { fields, plugin in
                        for (key, help) in plugin.prices { fields[key] = Field(.number, "USD per unit, at least 0: \(help)") }
                    }),
                "prices for run costs (default: us-east-1 list prices; see docs/deployer.md)"),
            "glue": .init(jobEngineSettings, "the target's engine settings, which jobs override under engines.<engine>"),
            "job_runtime": .init(
                .string(allowed: JobRuntime.allCases.map(\.rawValue)),
                "spark or duckdb: the runtime of this target's jobs that have a duckdb: block (default: duckdb on local, spark elsewhere)"),
            "runtime": .init(
                .object([
                    "python": .init(.string(pattern: "^3\\.[0-9]{1,2}$", hint: "a CPython version such as 3.11")),
                    "arch": .init(.string(allowed: ["x86_64", "arm64", "aarch64"])),
                ]), "the engine's Python for dependency bundles (default: Glue 5.0 3.11, EMR 7 3.9, x86_64 or the application's; local: its interpreter)"),
        ]
        for plugin in engines.plugins {
            fields.merge(plugin.targetFields) { first, _ in first }
        }
        return .object(fields)
    }

    /// `jobs.NAME`, with an `engines.<engine>` override block per registered engine.
    static func jobSchema(_ engines: EngineRegistry) -> Schema {
        .object([
            "source": .init(.string(), required: true, "the job's directory (main.py, config.yml, src/<package>/)"),
            "entry_point": .init(.string()),
            "config": .init(.string()),
            "arguments": .init(.map(.string())),
            "name": .init(
                .string(pattern: "^[A-Za-z0-9][A-Za-z0-9 _.-]{0,254}$", hint: "letters, digits, spaces, '_', '.' and '-', at most 255"),
                "the job's name in the engine, for a job brought in with 'deployer import' (default PROJECT-TARGET-JOB)"),
            "schedule": .init(
                .object([
                    "cron": .init(.string(), required: true, "EventBridge cron: minutes hours day-of-month month day-of-week year, e.g. \"0 3 * * ? *\""),
                    "timezone": .init(.string(), "IANA time zone, e.g. Europe/Berlin (default UTC)"),
                    "arguments": .init(.map(.string()), "job arguments of the scheduled runs"),
                    "paused": .init(.boolean, "default: the target's pause_schedules"),
                ]), "when the engine starts the job on its own (EventBridge Scheduler; local: 'deployer schedule run-due')"),
            "notify": .init(
                .object([
                    "on": .init(.list(.string(allowed: ["failed", "timeout", "stopped"])), "run outcomes to report (default: failed, timeout)"),
                    "sns_topic": .init(
                        .string(pattern: "^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", hint: "an SNS topic ARN"), required: true),
                ]), "report failed runs to an SNS topic (an EventBridge rule on the engine's state-change events)"),
            "requirements": .init(
                .string(), "the job's pinned requirements.txt (NAME==VERSION lines): shipped as a dependency bundle built for each target's runtime"),
            "duckdb": .init(
                .object([
                    "requirements": .init(.string(), "the DuckDB runtime's pinned lock (duckdb, pyarrow…), added to requirements when the job runs on DuckDB")
                ]), "the job's code can also run on DuckDB (its --runtime duckdb): on local by default, elsewhere with job_runtime: duckdb"),
            "job_runtime": .init(
                .string(allowed: JobRuntime.allCases.map(\.rawValue)),
                "spark or duckdb on every target, over the target's job_runtime (duckdb needs a duckdb: block)"),
            "libraries": .init(.list(.string()), "shared library folders (each with src/<package>/) packaged into code.zip beside the job's package"),
            "prevent_destroy": .init(.boolean, "true: destroy, and removing the job from the manifest, refuse to delete it"),
            "engines": .init(.object(Dictionary(uniqueKeysWithValues: engines.names.map { ($0, Field(jobEngineSettings)) }))),
            "data_checks": .init(
                .object([
                    "enabled": .init(.boolean, "false: status reads no run records of the job (default true)"),
                    "output_argument": .init(
                        .string(pattern: "^--[A-Za-z0-9_.-]{1,100}$", hint: "a job argument such as --output_path"),
                        "the argument naming the job's output folder, where it writes _runs/RUN_ID.json (default --output_path)"),
                    "baseline_runs": .init(.integer(1...50), "successful runs before the latest whose median is the baseline (default 7)"),
                    "max_change_percent": .init(
                        .integer(1...100_000), "a table's rows further than this from the baseline, in percent, is an anomaly (default 50)"),
                    "stale_after_hours": .init(
                        .integer(1...8760), "without a schedule: no publish for this long is an anomaly (with one: a firing with no publish after it)"),
                ]), "what status reads of the job's data and when it flags it (status --detailed-exitcode exits 2)"),
        ])
    }

    /// `pipelines.NAME`: steps that name jobs, with what each needs.
    static func pipelineSchema(_ engines: EngineRegistry) -> Schema {
        guard case .object(let job) = jobSchema(engines), let schedule = job["schedule"], let notify = job["notify"] else { return .object([:]) }
        let stepName = Schema.string(pattern: "^[A-Za-z][A-Za-z0-9_-]{0,63}$", hint: "letters, digits, '_' and '-', starting with a letter, at most 64")
        return .object([
            "steps": .init(
                .list(
                    .object([
                        "job": .init(stepName, required: true, "the job of this manifest that the step runs"),
                        "name": .init(stepName, "the step's name, for needs (default: the job's name)"),
                        "needs": .init(.list(stepName), "steps that must succeed before this one starts"),
                        "arguments": .init(.map(.string()), "arguments for this step only (over the pipeline's)"),
                        "retries": .init(.integer(0...9), "times a failed run of the step is started again"),
                        "timeout_minutes": .init(.integer(1...10080), "the step's time limit"),
                        "engines": .init(
                            .object(
                                Dictionary(
                                    uniqueKeysWithValues: engines.names.map { engine in
                                        (
                                            engine,
                                            Field(
                                                .object(["arguments": .init(.map(.string()), "arguments for this step on \(engine) targets (over the step's)")])
                                            )
                                        )
                                    })), "per engine: arguments for this step on that engine's targets (paths differ between a laptop and S3)"),
                    ])), required: true, "the jobs the pipeline runs, each after the steps it needs"),
            "arguments": .init(.map(.string()), "arguments every step receives (a step's own win); every step also gets --run_id, the pipeline run's id"),
            "schedule": schedule,
            "notify": notify,
            "prevent_destroy": .init(.boolean, "true: destroy refuses to delete the pipeline"),
        ])
    }

    /// The whole `deployer.yml`, for the engines of `engines`.
    static func manifest(_ engines: EngineRegistry) -> Schema {
        .object([
            "project": .init(
                .string(pattern: "^[a-z][a-z0-9-]{0,39}$", hint: "lower-case letters, digits and '-', starting with a letter, at most 40"), required: true,
                "the project name prefixes every job name"),
            "default_target": .init(.string()),
            "terraform_outputs": .init(.string()),
            "targets": .init(
                .map(
                    targetSchema(engines), keyPattern: "^[a-z][a-z0-9_-]{0,31}$",
                    keyHint: "lower-case letters, digits, '_' and '-', starting with a letter, at most 32")),
            "jobs": .init(
                .map(
                    jobSchema(engines), keyPattern: "^[A-Za-z][A-Za-z0-9_-]{0,63}$", keyHint: "letters, digits, '_' and '-', starting with a letter, at most 64"
                ), required: true),
            "pipelines": .init(
                .map(
                    pipelineSchema(engines), keyPattern: "^[A-Za-z][A-Za-z0-9_-]{0,63}$",
                    keyHint: "letters, digits, '_' and '-', starting with a letter, at most 64"),
                "jobs run as one unit: each step after the steps it needs ('deployer run PIPELINE')"),
        ])
    }
}
