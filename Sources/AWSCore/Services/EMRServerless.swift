import Foundation

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
    public func getApplication(id: String) async throws -> Application? {
        do {
            let output: GetApplicationResponse = try await client.restJSONCall(
                .emrServerless, operation: "GetApplication", method: "GET", path: "/applications/\(Self.segment(id))")
            return output.application
        } catch let error as AWSError where error.status == 404 {
            return nil
        }
    }

    /// Sets the application's image (UpdateApplication's `imageConfiguration`); `nil` removes it,
    /// so the application runs its release's own image again. The application must be CREATED
    /// or STOPPED.
    public func setImage(applicationId: String, imageUri: String?) async throws {
        struct ImageInput: Encodable { var imageUri: String? }
        struct Input: Encodable {
            var clientToken: String
            var imageConfiguration: ImageInput
        }
        let _: AWSJSON.Empty = try await client.restJSONCall(
            .emrServerless, operation: "UpdateApplication", method: "PATCH", path: "/applications/\(Self.segment(applicationId))",
            body: Input(clientToken: UUID().uuidString.lowercased(), imageConfiguration: ImageInput(imageUri: imageUri)))
    }

    /// Asks the application to stop (StopApplication): it goes STOPPING, then STOPPED.
    public func stopApplication(id: String) async throws {
        let _: AWSJSON.Empty = try await client.restJSONCall(
            .emrServerless, operation: "StopApplication", method: "POST", path: "/applications/\(Self.segment(id))/stop")
    }

    /// Starts a run from a complete StartJobRun `input`; returns its `jobRunId`.
    public func startJobRun(applicationId: String, input: JSONValue) async throws -> String {
        let output: JSONValue = try await client.restJSONCall(
            .emrServerless, operation: "StartJobRun", method: "POST", path: "/applications/\(Self.segment(applicationId))/jobruns", body: input)
        guard let id = output["jobRunId"]?.stringValue else {
            throw AWSError(service: "emr-serverless", operation: "StartJobRun", status: 200, code: "MalformedResponse", message: "no jobRunId")
        }
        return id
    }

    /// One run (GetJobRun's `jobRun`).
    public func getJobRun(applicationId: String, runId: String) async throws -> JobRun {
        let output: GetJobRunResponse = try await client.restJSONCall(
            .emrServerless, operation: "GetJobRun", method: "GET",
            path: "/applications/\(Self.segment(applicationId))/jobruns/\(Self.segment(runId))")
        return output.jobRun
    }

    /// One page of the application's runs (ListJobRuns' summaries), at most `maxResults`, only
    /// those in `states` when given.
    public func listJobRuns(applicationId: String, maxResults: Int, states: [String] = []) async throws -> [JobRun] {
        let output: ListJobRunsResponse = try await client.restJSONCall(
            .emrServerless, operation: "ListJobRuns", method: "GET",
            path: "/applications/\(Self.segment(applicationId))/jobruns",
            query: [.init("maxResults", String(maxResults))] + states.map { .init("states", $0) })
        return output.jobRuns ?? []
    }

    /// The Spark UI of a run (GetDashboardForJobRun): a URL valid for one hour.
    public func getDashboardForJobRun(applicationId: String, runId: String) async throws -> String? {
        let output: DashboardResponse = try await client.restJSONCall(
            .emrServerless, operation: "GetDashboardForJobRun", method: "GET",
            path: "/applications/\(Self.segment(applicationId))/jobruns/\(Self.segment(runId))/dashboard")
        return output.url
    }

    /// Asks EMR Serverless to cancel the run (CancelJobRun).
    public func cancelJobRun(applicationId: String, runId: String) async throws {
        let _: AWSJSON.Empty = try await client.restJSONCall(
            .emrServerless, operation: "CancelJobRun", method: "DELETE",
            path: "/applications/\(Self.segment(applicationId))/jobruns/\(Self.segment(runId))")
    }
}

// MARK: Shapes (botocore's emr-serverless/2021-07-13 model)

extension EMRServerlessClient {
    /// An application, as GetApplication reports it.
    public struct Application: Decodable, Sendable, Equatable {
        /// `applicationId`.
        public var applicationId: String
        /// `state`: CREATING, CREATED, STARTING, STARTED, STOPPING, STOPPED, TERMINATED.
        public var state: String?
        /// `architecture`: X86_64 or ARM64.
        public var architecture: String?
        /// `releaseLabel`, e.g. `emr-7.5.0`.
        public var releaseLabel: String?
        /// `maximumCapacity`: the most the application may use at once.
        public var maximumCapacity: Capacity?
        /// `imageConfiguration`: the custom image its runs start in, if any.
        public var imageConfiguration: ImageConfiguration?
    }

    /// `imageConfiguration`: the image an application's runs start in.
    public struct ImageConfiguration: Decodable, Sendable, Equatable {
        /// `imageUri`: `ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY` with `:TAG` or `@sha256:…`.
        public var imageUri: String
        /// `resolvedImageDigest`: the digest AWS resolved it to (once the application started).
        public var resolvedImageDigest: String?
    }

    /// `maximumCapacity`: quantities as AWS writes them (`400 vCPU`, `3000 GB`).
    public struct Capacity: Decodable, Sendable, Equatable {
        /// `cpu`.
        public var cpu: String?
        /// `memory`.
        public var memory: String?
        /// `disk`.
        public var disk: String?
    }

    /// A run, as GetJobRun reports it, or its summary in ListJobRuns (which says `id`).
    public struct JobRun: Decodable, Sendable, Equatable {
        /// `jobRunId` (GetJobRun).
        public var jobRunId: String?
        /// `id` (ListJobRuns).
        public var id: String?
        /// `applicationId`.
        public var applicationId: String?
        /// `name`: deployer names runs after the job.
        public var name: String?
        /// `state`: SUBMITTED, PENDING, SCHEDULED, RUNNING, SUCCESS, FAILED, CANCELLING, CANCELLED.
        public var state: String?
        /// `stateDetails`: why it failed.
        public var stateDetails: String?
        /// `createdAt`.
        public var createdAt: Date?
        /// `updatedAt`: the end, once the state is terminal.
        public var updatedAt: Date?
        /// `tags`: deployer's run metadata.
        public var tags: [String: String]?
        /// `billedResourceUtilization`.
        public var billedResourceUtilization: BilledResources?
        /// `executionRole`.
        public var executionRole: String?
        /// `jobDriver`.
        public var jobDriver: JobDriver?
        /// `configurationOverrides`.
        public var configurationOverrides: ConfigurationOverrides?
        /// `executionTimeoutMinutes`.
        public var executionTimeoutMinutes: Int?
        /// `retryPolicy`.
        public var retryPolicy: RetryPolicy?

        /// The run's id, whichever the answer gave.
        public var runId: String? { jobRunId ?? id }
    }

    /// `billedResourceUtilization`: what the run is billed for.
    public struct BilledResources: Decodable, Sendable, Equatable {
        /// `vCPUHour`.
        public var vCPUHour: Double?
        /// `memoryGBHour`.
        public var memoryGBHour: Double?
        /// `storageGBHour`.
        public var storageGBHour: Double?
    }

    /// `jobDriver`.
    public struct JobDriver: Decodable, Sendable, Equatable {
        /// `sparkSubmit`.
        public var sparkSubmit: SparkSubmit?
    }

    /// `jobDriver.sparkSubmit`.
    public struct SparkSubmit: Decodable, Sendable, Equatable {
        /// `entryPoint`.
        public var entryPoint: String?
        /// `entryPointArguments`.
        public var entryPointArguments: [String]?
        /// `sparkSubmitParameters`.
        public var sparkSubmitParameters: String?
    }

    /// `configurationOverrides`: only where logs go is read.
    public struct ConfigurationOverrides: Decodable, Sendable, Equatable {
        /// `monitoringConfiguration`.
        public var monitoringConfiguration: MonitoringConfiguration?
    }

    /// `monitoringConfiguration`.
    public struct MonitoringConfiguration: Decodable, Sendable, Equatable {
        /// `s3MonitoringConfiguration`.
        public var s3MonitoringConfiguration: S3MonitoringConfiguration?
    }

    /// `s3MonitoringConfiguration`.
    public struct S3MonitoringConfiguration: Decodable, Sendable, Equatable {
        /// `logUri`.
        public var logUri: String?
    }

    /// `retryPolicy`.
    public struct RetryPolicy: Decodable, Sendable, Equatable {
        /// `maxAttempts`.
        public var maxAttempts: Int?
    }

    struct GetApplicationResponse: Decodable {
        var application: Application
    }

    struct GetJobRunResponse: Decodable {
        var jobRun: JobRun
    }

    struct ListJobRunsResponse: Decodable {
        var jobRuns: [JobRun]?
    }

    struct DashboardResponse: Decodable {
        var url: String?
    }
}
