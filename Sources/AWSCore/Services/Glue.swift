import Foundation

/// AWS Glue (JSON 1.1): the job-definition and job-run operations deployer uses.
public struct GlueClient: Sendable {
    /// The client every call goes through.
    public let client: AWSClient
    /// Glue calls through `client` (its region, credentials and retries).
    public init(client: AWSClient) {
        self.client = client
    }

    /// The job, or `nil` when it does not exist.
    public func getJob(name: String) async throws -> [String: Any]? {
        do {
            return try await client.jsonCall(.glue, operation: "GetJob", input: ["JobName": name])["Job"] as? [String: Any]
        } catch let error as AWSError where error.code == "EntityNotFoundException" {
            return nil
        }
    }

    /// Creates a job from a complete CreateJob input (`Name`, `Role`, `Command`…).
    public func createJob(_ definition: [String: Any]) async throws {
        _ = try await client.jsonCall(.glue, operation: "CreateJob", input: definition)
    }

    /// `UpdateJob` replaces the whole definition: omitted fields reset to defaults, so callers
    /// send the full merged `JobUpdate`.
    public func updateJob(name: String, update: [String: Any]) async throws {
        _ = try await client.jsonCall(.glue, operation: "UpdateJob", input: ["JobName": name, "JobUpdate": update])
    }

    /// Deletes the job definition (DeleteJob).
    public func deleteJob(name: String) async throws {
        _ = try await client.jsonCall(.glue, operation: "DeleteJob", input: ["JobName": name])
    }

    /// Starts a run; `timeoutMinutes` overrides the job's `Timeout` for this run.
    public func startJobRun(name: String, arguments: [String: String], timeoutMinutes: Int? = nil) async throws -> String {
        var input: [String: Any] = ["JobName": name, "Arguments": arguments]
        if let timeoutMinutes { input["Timeout"] = timeoutMinutes }
        let output = try await client.jsonCall(.glue, operation: "StartJobRun", input: input)
        guard let id = output["JobRunId"] as? String else {
            throw AWSError(service: "glue", operation: "StartJobRun", status: 200, code: "MalformedResponse", message: "no JobRunId")
        }
        return id
    }

    /// One run (GetJobRun's `JobRun`, without predecessors); throws `MalformedResponse` when
    /// the answer has none.
    public func getJobRun(name: String, runId: String) async throws -> [String: Any] {
        let output = try await client.jsonCall(.glue, operation: "GetJobRun", input: ["JobName": name, "RunId": runId, "PredecessorsIncluded": false])
        guard let run = output["JobRun"] as? [String: Any] else {
            throw AWSError(service: "glue", operation: "GetJobRun", status: 200, code: "MalformedResponse", message: "no JobRun")
        }
        return run
    }

    /// One page of the job's runs (GetJobRuns), at most `maxResults`.
    public func getJobRuns(name: String, maxResults: Int) async throws -> [[String: Any]] {
        let output = try await client.jsonCall(.glue, operation: "GetJobRuns", input: ["JobName": name, "MaxResults": maxResults])
        return output["JobRuns"] as? [[String: Any]] ?? []
    }

    /// Asks Glue to stop the run (BatchStopJobRun); the answer's per-run errors are not checked.
    public func stopJobRun(name: String, runId: String) async throws {
        _ = try await client.jsonCall(.glue, operation: "BatchStopJobRun", input: ["JobName": name, "JobRunIds": [runId]])
    }
}
