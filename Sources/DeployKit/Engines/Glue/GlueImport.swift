import AWSCore
import Foundation

extension GluePlugin {
    /// Arguments deployer sets on every Glue job itself; not copied into the manifest.
    static let managedArguments: Set<String> = [
        "--extra-py-files", "--job-language", "--enable-continuous-cloudwatch-log", "--enable-metrics", "--deployer-artifact",
    ]

    /// Imports the Glue job named `identifier` (GetJob).
    public func importManifest(_ identifier: String, client: AWSClient) async throws -> String {
        guard let job = try await GlueClient(client: client).getJob(name: identifier) else {
            throw DeployError("no Glue job '\(identifier.prefix(255))' in \(client.configuration.region): 'aws glue get-jobs' lists them")
        }
        return Self.manifest(job: job, region: client.configuration.region)
    }

    /// The YAML for a Glue job as GetJob returns it.
    static func manifest(job: JSONValue, region: String) -> String {
        let name = job["Name"]?.stringValue ?? "job"
        let key = Importer.manifestKey(name)
        var lines = [
            "# deployer import glue \(name) (\(region)): paste under 'jobs:' in deployer.yml, and put the job's code in",
            "# the repository at jobs/\(key) (main.py, config.yml, src/<package>/). The first apply points the job at the",
            "# artifact built from it; the settings below stay as they are.",
            "jobs:",
            "  \(key):",
            "    name: \(Importer.quote(name))",
            "    source: \(Importer.quote("jobs/" + key))",
        ]
        let arguments = (job["DefaultArguments"]?.objectValue ?? [:]).compactMapValues(\.stringValue).filter { !managedArguments.contains($0.key) }
        if !arguments.isEmpty {
            lines.append("    arguments:")
            for (argument, value) in arguments.sorted(by: { $0.key < $1.key }) { lines.append("      \(Importer.quote(argument)): \(Importer.quote(value))") }
        }
        var glue: [String] = []
        if let version = job["GlueVersion"]?.stringValue { glue.append("version: \(Importer.quote(version))") }
        if let workerType = job["WorkerType"]?.stringValue { glue.append("worker_type: \(workerType)") }
        if let workers = job["NumberOfWorkers"]?.intValue { glue.append("number_of_workers: \(workers)") }
        if let timeout = job["Timeout"]?.intValue { glue.append("timeout_minutes: \(timeout)") }
        if let concurrency = job["ExecutionProperty"]?["MaxConcurrentRuns"]?.intValue {
            glue.append("max_concurrent_runs: \(concurrency)")
        }
        if let retries = job["MaxRetries"]?.intValue, retries > 0 { glue.append("retries: \(retries)") }
        if !glue.isEmpty {
            lines.append("    engines:")
            lines.append("      glue:")
            lines += glue.map { "        " + $0 }
        }
        if let role = job["Role"]?.stringValue { lines.append("# the target needs this job role: role_arn: \(Importer.quote(role))") }
        return lines.joined(separator: "\n")
    }
}
