import AWSCore
import Foundation

/// `deployer import`: the manifest YAML for a job that exists in the engine, so it can be put
/// under deployer. The settings it carries (workers, version, timeout, concurrency, retries,
/// arguments, role) round-trip: the next plan changes none of them. What deployer itself sets
/// (the script and code.zip of the artifact built from the repository, its own default
/// arguments, the description) changes on the first apply, by design.
public enum Importer {
    /// Arguments deployer sets on every Glue job itself; not copied into the manifest.
    static let managedArguments: Set<String> = ["--extra-py-files", "--job-language", "--enable-continuous-cloudwatch-log", "--enable-metrics", "--deployer-artifact"]

    /// A key for `jobs:` from an engine name (`Sales ETL v2` → `Sales_ETL_v2`).
    static func manifestKey(_ name: String) -> String {
        var key = String(name.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "_" }.prefix(64))
        if key.first.map({ !$0.isLetter }) ?? true { key = "job_" + key.prefix(59) }
        return key
    }

    /// YAML's double-quoted scalar (JSON's string syntax is valid YAML).
    static func quote(_ text: String) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8), as: UTF8.self)
            .dropFirst().dropLast().description
    }

    /// The YAML for a Glue job as GetJob returns it.
    public static func glue(_ job: [String: Any], region: String) -> String {
        let name = job["Name"] as? String ?? "job"
        let key = manifestKey(name)
        var lines = [
            "# deployer import glue \(name) (\(region)): paste under 'jobs:' in deployer.yml, and put the job's code in",
            "# the repository at jobs/\(key) (main.py, config.yml, src/<package>/). The first apply points the job at the",
            "# artifact built from it; the settings below stay as they are.",
            "jobs:",
            "  \(key):",
            "    name: \(quote(name))",
            "    source: \(quote("jobs/" + key))",
        ]
        let arguments = (job["DefaultArguments"] as? [String: String] ?? [:]).filter { !managedArguments.contains($0.key) }
        if !arguments.isEmpty {
            lines.append("    arguments:")
            for (argument, value) in arguments.sorted(by: { $0.key < $1.key }) { lines.append("      \(quote(argument)): \(quote(value))") }
        }
        var glue: [String] = []
        if let version = job["GlueVersion"] as? String { glue.append("version: \(quote(version))") }
        if let workerType = job["WorkerType"] as? String { glue.append("worker_type: \(workerType)") }
        if let workers = (job["NumberOfWorkers"] as? NSNumber)?.intValue { glue.append("number_of_workers: \(workers)") }
        if let timeout = (job["Timeout"] as? NSNumber)?.intValue { glue.append("timeout_minutes: \(timeout)") }
        if let concurrency = ((job["ExecutionProperty"] as? [String: Any])?["MaxConcurrentRuns"] as? NSNumber)?.intValue { glue.append("max_concurrent_runs: \(concurrency)") }
        if let retries = (job["MaxRetries"] as? NSNumber)?.intValue, retries > 0 { glue.append("retries: \(retries)") }
        if !glue.isEmpty {
            lines.append("    engines:")
            lines.append("      glue:")
            lines += glue.map { "        " + $0 }
        }
        if let role = job["Role"] as? String { lines.append("# the target needs this job role: role_arn: \(quote(role))") }
        return lines.joined(separator: "\n")
    }

    /// The YAML for an EMR Serverless application and its latest run's job settings.
    public static func emrServerless(application: [String: Any], latestRun: [String: Any]?, region: String) -> String {
        let id = application["applicationId"] as? String ?? "?"
        var lines = [
            "# deployer import emr-serverless \(id) (\(region)): the target's settings, and the job as its latest run ran it.",
            "targets:",
            "  TARGET:",
            "    engine: emr-serverless",
            "    region: \(region)",
            "    emr_serverless:",
            "      application_id: \(quote(id))",
        ]
        if let role = latestRun?["executionRole"] as? String { lines.append("      execution_role_arn: \(quote(role))") }
        if let logURI = ((((latestRun?["configurationOverrides"] as? [String: Any])?["monitoringConfiguration"] as? [String: Any])?["s3MonitoringConfiguration"]) as? [String: Any])?["logUri"] as? String {
            lines.append("      log_uri: \(quote(logURI))")
        }
        guard let run = latestRun else {
            lines.append("# the application has no runs yet: add the job under 'jobs:' by hand")
            return lines.joined(separator: "\n")
        }
        let name = run["name"] as? String ?? "job"
        let key = manifestKey(name)
        lines += ["jobs:", "  \(key):", "    name: \(quote(name))", "    source: \(quote("jobs/" + key))"]
        let submit = (run["jobDriver"] as? [String: Any])?["sparkSubmit"] as? [String: Any]
        let arguments = submit?["entryPointArguments"] as? [String] ?? []
        var pairs: [(String, String)] = []
        var index = 0
        while index + 1 < arguments.count, arguments[index].hasPrefix("--") {
            pairs.append((arguments[index], arguments[index + 1]))
            index += 2
        }
        if !pairs.isEmpty {
            lines.append("    arguments:")
            for (argument, value) in pairs { lines.append("      \(quote(argument)): \(quote(value))") }
        }
        var settings: [String] = []
        if let parameters = submit?["sparkSubmitParameters"] as? String {
            let kept = parameters.split(separator: " ").map(String.init)
            var rest: [String] = []
            var skip = false
            for word in kept {
                if skip { skip = false; continue }
                if word == "--py-files" { skip = true; continue }
                rest.append(word)
            }
            if !rest.isEmpty { settings.append("spark_submit_parameters: \(quote(rest.joined(separator: " ")))") }
        }
        if let timeout = (run["executionTimeoutMinutes"] as? NSNumber)?.intValue { settings.append("timeout_minutes: \(timeout)") }
        if let attempts = ((run["retryPolicy"] as? [String: Any])?["maxAttempts"] as? NSNumber)?.intValue, attempts > 1 { settings.append("retries: \(attempts - 1)") }
        if !settings.isEmpty {
            lines += ["    engines:", "      emr-serverless:"] + settings.map { "        " + $0 }
        }
        return lines.joined(separator: "\n")
    }
}
