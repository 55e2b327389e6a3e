import AWSCore
import Foundation

extension EMRServerlessPlugin {
    /// Imports application `identifier` and its latest run's job settings.
    public func importManifest(_ identifier: String, client: AWSClient) async throws -> String {
        let emr = EMRServerlessClient(client: client)
        guard let application = try await emr.getApplication(id: identifier) else {
            throw DeployError("no EMR Serverless application '\(identifier.prefix(64))' in \(client.configuration.region)")
        }
        var latest: EMRServerlessClient.JobRun?
        if let newest = try await emr.listJobRuns(applicationId: identifier, maxResults: 1).first, let id = newest.runId {
            latest = try await emr.getJobRun(applicationId: identifier, runId: id)
        }
        return Self.manifest(application: application, latestRun: latest, region: client.configuration.region)
    }

    /// The YAML for an EMR Serverless application and its latest run's job settings.
    static func manifest(application: EMRServerlessClient.Application, latestRun: EMRServerlessClient.JobRun?, region: String) -> String {
        let id = application.applicationId
        var lines = [
            "# deployer import emr-serverless \(id) (\(region)): the target's settings, and the job as its latest run ran it.",
            "targets:",
            "  TARGET:",
            "    engine: emr-serverless",
            "    region: \(region)",
            "    emr_serverless:",
            "      application_id: \(Importer.quote(id))",
        ]
        if let role = latestRun?.executionRole { lines.append("      execution_role_arn: \(Importer.quote(role))") }
        if let logURI = latestRun?.configurationOverrides?.monitoringConfiguration?.s3MonitoringConfiguration?.logUri {
            lines.append("      log_uri: \(Importer.quote(logURI))")
        }
        guard let run = latestRun else {
            lines.append("# the application has no runs yet: add the job under 'jobs:' by hand")
            return lines.joined(separator: "\n")
        }
        let name = run.name ?? "job"
        let key = Importer.manifestKey(name)
        lines += ["jobs:", "  \(key):", "    name: \(Importer.quote(name))", "    source: \(Importer.quote("jobs/" + key))"]
        let submit = run.jobDriver?.sparkSubmit
        let arguments = submit?.entryPointArguments ?? []
        var pairs: [(String, String)] = []
        var index = 0
        while index + 1 < arguments.count, arguments[index].hasPrefix("--") {
            pairs.append((arguments[index], arguments[index + 1]))
            index += 2
        }
        if !pairs.isEmpty {
            lines.append("    arguments:")
            for (argument, value) in pairs { lines.append("      \(Importer.quote(argument)): \(Importer.quote(value))") }
        }
        var settings: [String] = []
        if let parameters = submit?.sparkSubmitParameters {
            let kept = parameters.split(separator: " ").map(String.init)
            var rest: [String] = []
            var skip = false
            for word in kept {
                if skip {
                    skip = false
                    continue
                }
                if word == "--py-files" {
                    skip = true
                    continue
                }
                rest.append(word)
            }
            if !rest.isEmpty { settings.append("spark_submit_parameters: \(Importer.quote(rest.joined(separator: " ")))") }
        }
        if let timeout = run.executionTimeoutMinutes { settings.append("timeout_minutes: \(timeout)") }
        if let attempts = run.retryPolicy?.maxAttempts, attempts > 1 { settings.append("retries: \(attempts - 1)") }
        if !settings.isEmpty {
            lines += ["    engines:", "      emr-serverless:"] + settings.map { "        " + $0 }
        }
        return lines.joined(separator: "\n")
    }
}
