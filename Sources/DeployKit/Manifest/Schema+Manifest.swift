import AWSCore
import Yams

/// The manifest's keys: every target's and job's, and each engine plug-in's own.
extension Schema {
    /// Every engine setting a plug-in may take (`EnginePlugin.settingKeys` picks its own): in the
    /// target's section of the engine (`glue:`, `emr_serverless:`, …) for every job, and per job
    /// under `engines.<engine>`.
    static let engineSettingFields: [String: Field] = [
        "arguments": .init(.map(.string()), "extra job arguments for this engine"),
        "version": .init(.string(allowed: ["4.0", "5.0"])),
        "worker_type": .init(.string(allowed: ["G.025X", "G.1X", "G.2X", "G.4X", "G.8X", "Z.2X"])),
        "number_of_workers": .init(.integer(2...1000)),
        "timeout_minutes": .init(.integer(1...10080)),
        "max_concurrent_runs": .init(.integer(1...1000)),
        "spark_submit_parameters": .init(.string()),
        "retries": .init(
            .integer(0...9), "times a failed run is retried by the engine (Glue MaxRetries; EMR Serverless retryPolicy.maxAttempts = retries + 1)"),
    ]

    /// The settings `plugin` takes.
    static func engineSettings(_ plugin: any EnginePlugin) -> [String: Field] {
        engineSettingFields.filter { plugin.settingKeys.contains($0.key) }
    }

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
            "mode": .init(
                .string(allowed: ["production", "development"]),
                "development: each engineer's own deployment of the target (names, records, locks, schedules and outputs carry their name; schedules always paused)"
            ),
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
            // The engine's job settings live in its own section, beside its configuration.
            let settings = engineSettings(plugin)
            if let section = fields[plugin.settingsSection], case .object(let own) = section.schema {
                fields[plugin.settingsSection] = Field(.object(own.merging(settings) { first, _ in first }), required: section.required, section.help)
            } else {
                fields[plugin.settingsSection] = Field(
                    .object(settings), "engine \(plugin.kind)'s job settings, which jobs override under engines.\(plugin.kind)")
            }
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
            "engines": .init(.object(Dictionary(uniqueKeysWithValues: engines.plugins.map { ($0.kind.rawValue, Field(.object(engineSettings($0)))) }))),
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
