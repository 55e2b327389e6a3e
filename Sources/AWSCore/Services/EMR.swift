import Foundation

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
