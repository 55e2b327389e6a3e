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
