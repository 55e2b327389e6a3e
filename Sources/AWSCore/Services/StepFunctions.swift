import Foundation

extension ServiceInfo {
    /// AWS Step Functions (JSON 1.0), named `states` in hosts and signatures.
    public static let stepFunctions = ServiceInfo(
        endpointPrefix: "states", signingName: "states", wireProtocol: .json, environmentId: "SFN",
        targetPrefix: "AWSStepFunctions", jsonVersion: "1.0")
}

/// AWS Step Functions: the state-machine and execution operations pipelines use.
public struct StepFunctionsClient: Sendable {
    /// The client every call goes through.
    public let client: AWSClient
    /// Step Functions calls through `client` (its region, credentials and retries).
    public init(client: AWSClient) {
        self.client = client
    }

    /// The state machine (DescribeStateMachine), or nil when there is none or it is being deleted.
    public func describeStateMachine(arn: String) async throws -> StateMachine? {
        do {
            let found: StateMachine = try await client.jsonCall(.stepFunctions, operation: "DescribeStateMachine", input: ["stateMachineArn": arn])
            return found.status == "DELETING" ? nil : found
        } catch let error as AWSError where error.code == "StateMachineDoesNotExist" || error.isNotFound {
            return nil
        }
    }

    /// CreateStateMachine (Standard). AWS answers a second create with the same name,
    /// definition and role with the first one's ARN, so a retried create whose answer was lost
    /// converges; one that meets another definition updates it instead.
    public func createStateMachine(name: String, definition: String, roleArn: String, tags: [String: String], arn: String) async throws {
        let request = CreateRequest(
            name: name, definition: definition, roleArn: roleArn, type: "STANDARD",
            tags: tags.sorted { $0.key < $1.key }.map { Tag(key: $0.key, value: $0.value) })
        do {
            let _: AWSJSON.Empty = try await client.jsonCall(.stepFunctions, operation: "CreateStateMachine", input: request)
        } catch let error as AWSError where error.code == "StateMachineAlreadyExists" {
            try await updateStateMachine(arn: arn, definition: definition, roleArn: roleArn)
        }
    }

    /// UpdateStateMachine: the definition and role (idempotent).
    public func updateStateMachine(arn: String, definition: String, roleArn: String) async throws {
        let _: AWSJSON.Empty = try await client.jsonCall(
            .stepFunctions, operation: "UpdateStateMachine",
            input: UpdateRequest(stateMachineArn: arn, definition: definition, roleArn: roleArn))
    }

    /// DeleteStateMachine; one that is already gone is not an error.
    public func deleteStateMachine(arn: String) async throws {
        do {
            let _: AWSJSON.Empty = try await client.jsonCall(.stepFunctions, operation: "DeleteStateMachine", input: ["stateMachineArn": arn])
        } catch let error as AWSError where error.code == "StateMachineDoesNotExist" || error.isNotFound {
            return
        }
    }

    /// StartExecution named `name`. The name is the idempotency key: AWS answers a repeated
    /// start of a running execution (same name and input) with that execution; a finished one
    /// of the same name is `ExecutionAlreadyExists`, which `startOrFind` turns into it.
    public func startExecution(stateMachineArn: String, name: String, input: String) async throws -> String {
        let output: StartExecutionResponse = try await client.jsonCall(
            .stepFunctions, operation: "StartExecution",
            input: StartExecutionRequest(stateMachineArn: stateMachineArn, name: name, input: input))
        return output.executionArn
    }

    /// DescribeExecution, or nil when there is no such execution.
    public func describeExecution(arn: String) async throws -> Execution? {
        do {
            return try await client.jsonCall(.stepFunctions, operation: "DescribeExecution", input: ["executionArn": arn])
        } catch let error as AWSError where error.code == "ExecutionDoesNotExist" || error.isNotFound {
            return nil
        }
    }

    /// StopExecution: Step Functions stops the running step's job (the `.sync` integrations
    /// cancel their run) and ends the execution ABORTED.
    public func stopExecution(arn: String, cause: String) async throws {
        let _: AWSJSON.Empty = try await client.jsonCall(
            .stepFunctions, operation: "StopExecution",
            input: ["executionArn": arn, "error": "deployer.Cancelled", "cause": String(cause.prefix(32768))])
    }

    /// RedriveExecution: a failed execution goes on from its failed step.
    public func redriveExecution(arn: String, clientToken: String) async throws {
        let _: AWSJSON.Empty = try await client.jsonCall(
            .stepFunctions, operation: "RedriveExecution",
            input: ["executionArn": arn, "clientToken": String(clientToken.prefix(64))])
    }

    /// The newest executions of the state machine (ListExecutions, one page).
    public func listExecutions(stateMachineArn: String, maxResults: Int) async throws -> [Execution] {
        let output: ListExecutionsResponse = try await client.jsonCall(
            .stepFunctions, operation: "ListExecutions",
            input: ListExecutionsRequest(stateMachineArn: stateMachineArn, maxResults: max(1, min(maxResults, 1000))))
        return output.executions
    }

    /// Every event of the execution, oldest first (GetExecutionHistory, all pages, at most `limit`).
    public func history(executionArn: String, limit: Int = 10_000) async throws -> [HistoryEvent] {
        var events: [HistoryEvent] = []
        var token: String?
        repeat {
            let page: HistoryResponse = try await client.jsonCall(
                .stepFunctions, operation: "GetExecutionHistory",
                input: HistoryRequest(executionArn: executionArn, maxResults: 1000, nextToken: token))
            events += page.events
            token = page.nextToken.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil && events.count < limit
        return events
    }
}

// MARK: Shapes (botocore's stepfunctions/2016-11-23 model)

extension StepFunctionsClient {
    /// DescribeStateMachine's answer.
    public struct StateMachine: Decodable, Sendable, Equatable {
        /// `stateMachineArn`.
        public var stateMachineArn: String
        /// `name`.
        public var name: String?
        /// `definition`: the Amazon States Language text.
        public var definition: String
        /// `roleArn`.
        public var roleArn: String
        /// `status`: ACTIVE or DELETING.
        public var status: String?
        /// `type`: STANDARD or EXPRESS.
        public var type: String?
    }

    /// One execution (DescribeExecution, or an entry of ListExecutions).
    public struct Execution: Decodable, Sendable, Equatable {
        /// `executionArn`.
        public var executionArn: String
        /// `name`: deployer's pipeline run id.
        public var name: String?
        /// RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE.
        public var status: String
        /// `startDate`.
        public var startDate: Date?
        /// `stopDate`.
        public var stopDate: Date?
        /// `error` of a failed execution.
        public var error: String?
        /// `cause` of a failed execution.
        public var cause: String?
    }

    /// One event of an execution's history (the members pipelines read).
    public struct HistoryEvent: Decodable, Sendable, Equatable {
        /// `id`.
        public var id: Int
        /// `type`: `TaskStateEntered`, `TaskSucceeded`, `TaskFailed`, `ExecutionAborted`, …
        public var type: String
        /// `timestamp`.
        public var timestamp: Date?
        /// `stateEnteredEventDetails` / `stateExitedEventDetails`: the state's name.
        public var stateEnteredEventDetails: StateDetails?
        /// The state left.
        public var stateExitedEventDetails: StateDetails?
        /// `taskSubmittedEventDetails`: the run the task started (the engine's answer as JSON text).
        public var taskSubmittedEventDetails: TaskSubmitted?
        /// `taskFailedEventDetails`.
        public var taskFailedEventDetails: Failure?
        /// `executionFailedEventDetails`.
        public var executionFailedEventDetails: Failure?
        /// `previousEventId`.
        public var previousEventId: Int?

        /// A state's name.
        public struct StateDetails: Decodable, Sendable, Equatable {
            /// `name`.
            public var name: String
        }

        /// The task's engine answer.
        public struct TaskSubmitted: Decodable, Sendable, Equatable {
            /// `resourceType`, e.g. `glue`.
            public var resourceType: String?
            /// `output`: the start call's answer as JSON text.
            public var output: String?
        }

        /// `error` and `cause`.
        public struct Failure: Decodable, Sendable, Equatable {
            /// `error`.
            public var error: String?
            /// `cause`.
            public var cause: String?
        }
    }

    struct Tag: Encodable {
        var key: String
        var value: String
    }

    struct CreateRequest: Encodable {
        var name: String
        var definition: String
        var roleArn: String
        var type: String
        var tags: [Tag]
    }

    struct UpdateRequest: Encodable {
        var stateMachineArn: String
        var definition: String
        var roleArn: String
    }

    struct StartExecutionRequest: Encodable {
        var stateMachineArn: String
        var name: String
        var input: String
    }

    struct StartExecutionResponse: Decodable {
        var executionArn: String
    }

    struct ListExecutionsRequest: Encodable {
        var stateMachineArn: String
        var maxResults: Int
    }

    struct ListExecutionsResponse: Decodable {
        var executions: [Execution]
    }

    struct HistoryRequest: Encodable {
        var executionArn: String
        var maxResults: Int
        var nextToken: String?
    }

    struct HistoryResponse: Decodable {
        var events: [HistoryEvent]
        var nextToken: String?
    }
}
