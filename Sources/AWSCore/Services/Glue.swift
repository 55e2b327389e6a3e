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

/// EMR Serverless (REST-JSON).
public struct EMRServerlessClient: Sendable {
    /// The client every call goes through.
    public let client: AWSClient
    /// EMR Serverless calls through `client` (its region, credentials and retries).
    public init(client: AWSClient) {
        self.client = client
    }

    static func segment(_ text: String) -> String { S3Path.encodeKey(text).replacingOccurrences(of: "/", with: "%2F") }

    /// The application (GetApplication's `application`), or `nil` when it does not exist.
    public func getApplication(id: String) async throws -> [String: Any]? {
        do {
            return try await client.restJSONCall(.emrServerless, operation: "GetApplication", method: "GET", path: "/applications/\(Self.segment(id))")["application"] as? [String: Any]
        } catch let error as AWSError where error.status == 404 {
            return nil
        }
    }

    /// Starts a run from a complete StartJobRun `input`; returns its `jobRunId`.
    public func startJobRun(applicationId: String, input: [String: Any]) async throws -> String {
        let output = try await client.restJSONCall(.emrServerless, operation: "StartJobRun", method: "POST", path: "/applications/\(Self.segment(applicationId))/jobruns", input: input)
        guard let id = output["jobRunId"] as? String else {
            throw AWSError(service: "emr-serverless", operation: "StartJobRun", status: 200, code: "MalformedResponse", message: "no jobRunId")
        }
        return id
    }

    /// One run (GetJobRun's `jobRun`); throws `MalformedResponse` when the answer has none.
    public func getJobRun(applicationId: String, runId: String) async throws -> [String: Any] {
        let output = try await client.restJSONCall(.emrServerless, operation: "GetJobRun", method: "GET", path: "/applications/\(Self.segment(applicationId))/jobruns/\(Self.segment(runId))")
        guard let run = output["jobRun"] as? [String: Any] else {
            throw AWSError(service: "emr-serverless", operation: "GetJobRun", status: 200, code: "MalformedResponse", message: "no jobRun")
        }
        return run
    }

    /// One page of the application's runs (ListJobRuns), at most `maxResults`.
    public func listJobRuns(applicationId: String, maxResults: Int) async throws -> [[String: Any]] {
        let output = try await client.restJSONCall(.emrServerless, operation: "ListJobRuns", method: "GET", path: "/applications/\(Self.segment(applicationId))/jobruns",
                                                   query: [.init("maxResults", String(maxResults))])
        return output["jobRuns"] as? [[String: Any]] ?? []
    }

    /// The Spark UI of a run (GetDashboardForJobRun): a URL valid for one hour.
    public func getDashboardForJobRun(applicationId: String, runId: String) async throws -> String? {
        let output = try await client.restJSONCall(.emrServerless, operation: "GetDashboardForJobRun", method: "GET",
                                                   path: "/applications/\(Self.segment(applicationId))/jobruns/\(Self.segment(runId))/dashboard")
        return output["url"] as? String
    }

    /// Asks EMR Serverless to cancel the run (CancelJobRun).
    public func cancelJobRun(applicationId: String, runId: String) async throws {
        _ = try await client.restJSONCall(.emrServerless, operation: "CancelJobRun", method: "DELETE", path: "/applications/\(Self.segment(applicationId))/jobruns/\(Self.segment(runId))")
    }
}

/// EMR on EC2 (JSON 1.1): steps on an existing cluster.
public struct EMRClient: Sendable {
    /// The client every call goes through.
    public let client: AWSClient
    /// EMR calls through `client` (its region, credentials and retries).
    public init(client: AWSClient) {
        self.client = client
    }

    /// The cluster (DescribeCluster's `Cluster`), or `nil` when EMR says there is no such cluster.
    public func describeCluster(id: String) async throws -> [String: Any]? {
        do {
            return try await client.jsonCall(.emr, operation: "DescribeCluster", input: ["ClusterId": id])["Cluster"] as? [String: Any]
        } catch let error as AWSError where error.code == "InvalidRequestException" && error.message.lowercased().contains("not") {
            return nil
        }
    }

    /// Adds one step to the cluster (AddJobFlowSteps); returns its id.
    public func addStep(clusterId: String, step: [String: Any]) async throws -> String {
        let output = try await client.jsonCall(.emr, operation: "AddJobFlowSteps", input: ["JobFlowId": clusterId, "Steps": [step]])
        guard let id = (output["StepIds"] as? [String])?.first else {
            throw AWSError(service: "elasticmapreduce", operation: "AddJobFlowSteps", status: 200, code: "MalformedResponse", message: "no StepIds")
        }
        return id
    }

    /// One step (DescribeStep's `Step`); throws `MalformedResponse` when the answer has none.
    public func describeStep(clusterId: String, stepId: String) async throws -> [String: Any] {
        let output = try await client.jsonCall(.emr, operation: "DescribeStep", input: ["ClusterId": clusterId, "StepId": stepId])
        guard let step = output["Step"] as? [String: Any] else {
            throw AWSError(service: "elasticmapreduce", operation: "DescribeStep", status: 200, code: "MalformedResponse", message: "no Step")
        }
        return step
    }

    /// The cluster's steps: the first page of ListSteps only.
    public func listSteps(clusterId: String) async throws -> [[String: Any]] {
        try await client.jsonCall(.emr, operation: "ListSteps", input: ["ClusterId": clusterId])["Steps"] as? [[String: Any]] ?? []
    }

    /// Asks EMR to cancel the step (CancelSteps); the answer's per-step results are not checked.
    public func cancelStep(clusterId: String, stepId: String) async throws {
        _ = try await client.jsonCall(.emr, operation: "CancelSteps", input: ["ClusterId": clusterId, "StepIds": [stepId]])
    }
}

/// CloudWatch Logs (JSON 1.1).
public struct LogsClient: Sendable {
    /// The client every call goes through.
    public let client: AWSClient
    /// CloudWatch Logs calls through `client` (its region, credentials and retries).
    public init(client: AWSClient) {
        self.client = client
    }

    /// One page of a stream's events.
    public struct Page: Sendable {
        /// The events' messages, oldest first.
        public var messages: [String]
        /// `nextForwardToken`, to ask for the next page with.
        public var nextToken: String?
    }

    /// One page of a stream's events from the start (or from `token`); `nil` when the stream does not exist.
    public func getLogEvents(group: String, stream: String, token: String?) async throws -> Page? {
        var input: [String: Any] = ["logGroupName": group, "logStreamName": stream, "startFromHead": true]
        if let token { input["nextToken"] = token }
        do {
            let output = try await client.jsonCall(.logs, operation: "GetLogEvents", input: input)
            let messages = (output["events"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
            return Page(messages: messages, nextToken: output["nextForwardToken"] as? String)
        } catch let error as AWSError where error.code == "ResourceNotFoundException" {
            return nil
        }
    }
}
