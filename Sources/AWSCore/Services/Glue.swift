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
    public func getJob(name: String) async throws -> JSONValue? {
        do {
            let output: JSONValue = try await client.jsonCall(.glue, operation: "GetJob", input: ["JobName": JSONValue.string(name)] as JSONValue)
            return output["Job"].flatMap { $0.objectValue == nil ? nil : $0 }
        } catch let error as AWSError where error.isNotFound {
            return nil
        }
    }

    /// Creates a job from a complete CreateJob input (`Name`, `Role`, `Command`…).
    public func createJob(_ definition: JSONValue) async throws {
        let _: AWSJSON.Empty = try await client.jsonCall(.glue, operation: "CreateJob", input: definition)
    }

    /// `UpdateJob` replaces the whole definition: omitted fields reset to defaults, so callers
    /// send the full merged `JobUpdate`.
    public func updateJob(name: String, update: JSONValue) async throws {
        let _: AWSJSON.Empty = try await client.jsonCall(.glue, operation: "UpdateJob", input: ["JobName": .string(name), "JobUpdate": update] as JSONValue)
    }

    /// Deletes the job definition (DeleteJob).
    public func deleteJob(name: String) async throws {
        let _: AWSJSON.Empty = try await client.jsonCall(.glue, operation: "DeleteJob", input: ["JobName": .string(name)] as JSONValue)
    }

    /// Starts a run; `timeoutMinutes` overrides the job's `Timeout` for this run.
    public func startJobRun(name: String, arguments: [String: String], timeoutMinutes: Int? = nil) async throws -> String {
        let output: StartJobRunResponse = try await client.jsonCall(
            .glue, operation: "StartJobRun",
            input: StartJobRunRequest(jobName: name, arguments: arguments, timeout: timeoutMinutes))
        return output.jobRunId
    }

    /// One run (GetJobRun's `JobRun`, without predecessors).
    public func getJobRun(name: String, runId: String) async throws -> JobRun {
        let output: GetJobRunResponse = try await client.jsonCall(.glue, operation: "GetJobRun", input: GetJobRunRequest(jobName: name, runId: runId))
        return output.jobRun
    }

    /// One page of the job's runs (GetJobRuns), at most `maxResults`.
    public func getJobRuns(name: String, maxResults: Int) async throws -> [JobRun] {
        try await getJobRunsPage(name: name, maxResults: maxResults, nextToken: nil).runs
    }

    /// One page of GetJobRuns (at most `maxResults`, 1 to 200) and the token of the next, if any.
    public func getJobRunsPage(name: String, maxResults: Int, nextToken: String?) async throws -> (runs: [JobRun], nextToken: String?) {
        let output: GetJobRunsResponse = try await client.jsonCall(
            .glue, operation: "GetJobRuns", input: GetJobRunsRequest(jobName: name, maxResults: maxResults, nextToken: nextToken))
        return (output.jobRuns ?? [], output.nextToken)
    }

    /// Asks Glue to stop the run (BatchStopJobRun); the answer's per-run errors are not checked.
    public func stopJobRun(name: String, runId: String) async throws {
        let _: AWSJSON.Empty = try await client.jsonCall(.glue, operation: "BatchStopJobRun", input: BatchStopJobRunRequest(jobName: name, jobRunIds: [runId]))
    }
}

// MARK: Shapes (botocore's glue/2017-03-31 model)

extension GlueClient {
    /// One run of a job, as GetJobRun and GetJobRuns report it.
    public struct JobRun: Decodable, Sendable, Equatable {
        /// `Id` (the model marks it optional; a page with one run without it still reads).
        public var id: String?
        /// `JobRunState`: STARTING, RUNNING, STOPPING, STOPPED, SUCCEEDED, FAILED, TIMEOUT, ERROR, WAITING, EXPIRED.
        public var jobRunState: String?
        /// `StartedOn`.
        public var startedOn: Date?
        /// `CompletedOn`.
        public var completedOn: Date?
        /// `ExecutionTime`: seconds the run used resources.
        public var executionTime: Double?
        /// `ErrorMessage`.
        public var errorMessage: String?
        /// `Arguments` the run was started with.
        public var arguments: [String: String]?
        /// `DPUSeconds`: billed DPU-seconds (Flex and auto-scaled runs).
        public var dpuSeconds: Double?
        /// `MaxCapacity`: DPUs, when no worker type is set.
        public var maxCapacity: Double?
        /// `WorkerType`.
        public var workerType: String?
        /// `NumberOfWorkers`.
        public var numberOfWorkers: Double?
        /// `ExecutionClass`: STANDARD or FLEX.
        public var executionClass: String?
        /// `Timeout`: the run's time limit in minutes.
        public var timeout: Int?

        enum CodingKeys: String, CodingKey {
            case id = "Id"
            case jobRunState = "JobRunState"
            case startedOn = "StartedOn"
            case completedOn = "CompletedOn"
            case executionTime = "ExecutionTime"
            case errorMessage = "ErrorMessage"
            case arguments = "Arguments"
            case dpuSeconds = "DPUSeconds"
            case maxCapacity = "MaxCapacity"
            case workerType = "WorkerType"
            case numberOfWorkers = "NumberOfWorkers"
            case executionClass = "ExecutionClass"
            case timeout = "Timeout"
        }

        /// A run from its id and state (scripted answers build the rest field by field).
        public init(id: String?, jobRunState: String?) {
            self.id = id
            self.jobRunState = jobRunState
        }
    }

    struct StartJobRunRequest: Encodable {
        var jobName: String
        var arguments: [String: String]
        var timeout: Int?
        enum CodingKeys: String, CodingKey {
            case jobName = "JobName"
            case arguments = "Arguments"
            case timeout = "Timeout"
        }
    }

    struct StartJobRunResponse: Decodable {
        var jobRunId: String
        enum CodingKeys: String, CodingKey { case jobRunId = "JobRunId" }
    }

    struct GetJobRunRequest: Encodable {
        var jobName: String
        var runId: String
        var predecessorsIncluded = false
        enum CodingKeys: String, CodingKey {
            case jobName = "JobName"
            case runId = "RunId"
            case predecessorsIncluded = "PredecessorsIncluded"
        }
    }

    struct GetJobRunResponse: Decodable {
        var jobRun: JobRun
        enum CodingKeys: String, CodingKey { case jobRun = "JobRun" }
    }

    struct GetJobRunsRequest: Encodable {
        var jobName: String
        var maxResults: Int
        var nextToken: String? = nil
        enum CodingKeys: String, CodingKey {
            case jobName = "JobName"
            case maxResults = "MaxResults"
            case nextToken = "NextToken"
        }
    }

    struct GetJobRunsResponse: Decodable {
        var jobRuns: [JobRun]?
        var nextToken: String?
        enum CodingKeys: String, CodingKey {
            case jobRuns = "JobRuns"
            case nextToken = "NextToken"
        }
    }

    struct BatchStopJobRunRequest: Encodable {
        var jobName: String
        var jobRunIds: [String]
        enum CodingKeys: String, CodingKey {
            case jobName = "JobName"
            case jobRunIds = "JobRunIds"
        }
    }
}
