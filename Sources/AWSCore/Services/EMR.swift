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
    public func describeCluster(id: String) async throws -> Cluster? {
        do {
            let output: DescribeClusterResponse = try await client.jsonCall(.emr, operation: "DescribeCluster", input: ClusterRequest(clusterId: id))
            return output.cluster
        } catch let error as AWSError where error.code == "InvalidRequestException" && error.message.lowercased().contains("not") {
            // EMR's model has no not-found code: an unknown id is InvalidRequestException
            // "Cluster id 'j-…' is not valid", so only its message tells.
            return nil
        }
    }

    /// Adds one step to the cluster (AddJobFlowSteps); returns its id.
    public func addStep(clusterId: String, step: JSONValue) async throws -> String {
        let output: JSONValue = try await client.jsonCall(
            .emr, operation: "AddJobFlowSteps", input: ["JobFlowId": .string(clusterId), "Steps": [step]] as JSONValue)
        guard let id = output["StepIds"]?.arrayValue?.first?.stringValue else {
            throw AWSError(service: "elasticmapreduce", operation: "AddJobFlowSteps", status: 200, code: "MalformedResponse", message: "no StepIds")
        }
        return id
    }

    /// One step (DescribeStep's `Step`).
    public func describeStep(clusterId: String, stepId: String) async throws -> Step {
        let output: DescribeStepResponse = try await client.jsonCall(.emr, operation: "DescribeStep", input: StepRequest(clusterId: clusterId, stepId: stepId))
        return output.step
    }

    /// The cluster's steps: the first page of ListSteps only.
    public func listSteps(clusterId: String) async throws -> [Step] {
        let output: ListStepsResponse = try await client.jsonCall(.emr, operation: "ListSteps", input: ClusterRequest(clusterId: clusterId))
        return output.steps ?? []
    }

    /// Asks EMR to cancel the step (CancelSteps); the answer's per-step results are not checked.
    public func cancelStep(clusterId: String, stepId: String) async throws {
        let _: AWSJSON.Empty = try await client.jsonCall(.emr, operation: "CancelSteps", input: CancelStepsRequest(clusterId: clusterId, stepIds: [stepId]))
    }
}

// MARK: Shapes (botocore's emr/2009-03-31 model)

extension EMRClient {
    /// A cluster, as DescribeCluster reports it.
    public struct Cluster: Decodable, Sendable, Equatable {
        /// `Id`.
        public var id: String?
        /// `Status`.
        public var status: Status?
        /// `ReleaseLabel`, e.g. `emr-7.5.0`.
        public var releaseLabel: String?
        enum CodingKeys: String, CodingKey {
            case id = "Id"
            case status = "Status"
            case releaseLabel = "ReleaseLabel"
        }
    }

    /// A step, as DescribeStep reports it and ListSteps summarises it.
    public struct Step: Decodable, Sendable, Equatable {
        /// `Id`.
        public var id: String?
        /// `Name`: deployer's names end in `[run metadata]`.
        public var name: String?
        /// `Status`.
        public var status: Status?
        /// `Config`: the jar and arguments it runs.
        public var config: StepConfig?
        enum CodingKeys: String, CodingKey {
            case id = "Id"
            case name = "Name"
            case status = "Status"
            case config = "Config"
        }
    }

    /// A step's `Config`.
    public struct StepConfig: Decodable, Sendable, Equatable {
        /// `Jar`: `command-runner.jar` for deployer's steps.
        public var jar: String?
        /// `Args`.
        public var args: [String]?
        enum CodingKeys: String, CodingKey {
            case jar = "Jar"
            case args = "Args"
        }
    }

    /// `Status` of a cluster or step.
    public struct Status: Decodable, Sendable, Equatable {
        /// `State`.
        public var state: String?
        /// `FailureDetails` (steps).
        public var failureDetails: FailureDetails?
        /// `Timeline`.
        public var timeline: Timeline?
        enum CodingKeys: String, CodingKey {
            case state = "State"
            case failureDetails = "FailureDetails"
            case timeline = "Timeline"
        }
    }

    /// `FailureDetails`.
    public struct FailureDetails: Decodable, Sendable, Equatable {
        /// `Reason`.
        public var reason: String?
        /// `Message`.
        public var message: String?
        enum CodingKeys: String, CodingKey {
            case reason = "Reason"
            case message = "Message"
        }
    }

    /// `Timeline`.
    public struct Timeline: Decodable, Sendable, Equatable {
        /// `CreationDateTime`.
        public var creationDateTime: Date?
        /// `StartDateTime`.
        public var startDateTime: Date?
        /// `EndDateTime`.
        public var endDateTime: Date?
        enum CodingKeys: String, CodingKey {
            case creationDateTime = "CreationDateTime"
            case startDateTime = "StartDateTime"
            case endDateTime = "EndDateTime"
        }
    }

    struct ClusterRequest: Encodable {
        var clusterId: String
        enum CodingKeys: String, CodingKey { case clusterId = "ClusterId" }
    }

    struct StepRequest: Encodable {
        var clusterId: String
        var stepId: String
        enum CodingKeys: String, CodingKey {
            case clusterId = "ClusterId"
            case stepId = "StepId"
        }
    }

    struct CancelStepsRequest: Encodable {
        var clusterId: String
        var stepIds: [String]
        enum CodingKeys: String, CodingKey {
            case clusterId = "ClusterId"
            case stepIds = "StepIds"
        }
    }

    struct DescribeClusterResponse: Decodable {
        var cluster: Cluster?
        enum CodingKeys: String, CodingKey { case cluster = "Cluster" }
    }

    struct DescribeStepResponse: Decodable {
        var step: Step
        enum CodingKeys: String, CodingKey { case step = "Step" }
    }

    struct ListStepsResponse: Decodable {
        var steps: [Step]?
        enum CodingKeys: String, CodingKey { case steps = "Steps" }
    }
}
