import Foundation

/// Amazon EventBridge (JSON 1.1): a rule per job that sends its failed runs to SNS.
public struct EventsClient: Sendable {
    /// The client every call goes through.
    public let client: AWSClient
    /// EventBridge calls through `client` (its region, credentials and retries).
    public init(client: AWSClient) {
        self.client = client
    }

    /// The rule (DescribeRule's answer), or `nil` when there is none.
    public func describeRule(name: String) async throws -> Rule? {
        do {
            return try await client.jsonCall(.events, operation: "DescribeRule", input: NameRequest(name: name), output: Rule.self)
        } catch let error as AWSError where error.isNotFound {
            return nil
        }
    }

    /// The rule's targets (the first page of ListTargetsByRule); empty when the rule does not exist.
    public func listTargets(rule: String) async throws -> [Target] {
        do {
            let output: ListTargetsResponse = try await client.jsonCall(.events, operation: "ListTargetsByRule", input: RuleRequest(rule: rule))
            return output.targets ?? []
        } catch let error as AWSError where error.isNotFound {
            return []
        }
    }

    /// Creates or updates the rule `name`: enabled, matching `pattern` (JSON text).
    public func putRule(name: String, pattern: String, description: String) async throws {
        let _: AWSJSON.Empty = try await client.jsonCall(
            .events, operation: "PutRule",
            input: PutRuleRequest(name: name, eventPattern: pattern, state: "ENABLED", description: description))
    }

    /// Adds or updates the rule's targets; throws with the first failed entry's code when any
    /// was refused.
    public func putTargets(rule: String, targets: [Target]) async throws {
        let output: PutTargetsResponse = try await client.jsonCall(.events, operation: "PutTargets", input: PutTargetsRequest(rule: rule, targets: targets))
        if let failed = output.failedEntryCount, failed > 0 {
            let entry = output.failedEntries?.first
            throw AWSError(
                service: "events", operation: "PutTargets", status: 200, code: entry?.errorCode ?? "FailedEntry",
                message: entry?.errorMessage ?? "a target was not added")
        }
    }

    /// Removes the rule's targets, then the rule; a rule that is already gone is not an error.
    public func deleteRule(name: String) async throws {
        let targets = try await listTargets(rule: name).map(\.id)
        if !targets.isEmpty { try await removeTargets(rule: name, ids: targets) }
        do {
            let _: AWSJSON.Empty = try await client.jsonCall(.events, operation: "DeleteRule", input: NameRequest(name: name))
        } catch let error as AWSError where error.isNotFound {
            return
        }
    }

    /// Removes the targets `ids` from the rule (RemoveTargets).
    public func removeTargets(rule: String, ids: [String]) async throws {
        let _: AWSJSON.Empty = try await client.jsonCall(.events, operation: "RemoveTargets", input: RemoveTargetsRequest(rule: rule, ids: ids))
    }

    /// Sends one event (tests and the runbook's "check the alert path").
    public func putEvent(source: String, detailType: String, detail: JSONValue) async throws {
        let text = String(decoding: try detail.encoded(), as: UTF8.self)
        let entry: JSONValue = ["Source": .string(source), "DetailType": .string(detailType), "Detail": .string(text)]
        let _: AWSJSON.Empty = try await client.jsonCall(.events, operation: "PutEvents", input: ["Entries": [entry]] as JSONValue)
    }
}

// MARK: Shapes (botocore's events/2015-10-07 model)

extension EventsClient {
    /// A rule, as DescribeRule reports it.
    public struct Rule: Decodable, Sendable, Equatable {
        /// `Name`.
        public var name: String?
        /// `EventPattern`, as JSON text.
        public var eventPattern: String?
        /// `State`.
        public var state: String?
        enum CodingKeys: String, CodingKey {
            case name = "Name"
            case eventPattern = "EventPattern"
            case state = "State"
        }
    }

    /// One target of a rule.
    public struct Target: Codable, Sendable, Equatable {
        /// `Id`, unique within the rule.
        public var id: String
        /// `Arn`: where matched events go.
        public var arn: String
        /// `InputTransformer`: the message built from the event.
        public var inputTransformer: InputTransformer?
        enum CodingKeys: String, CodingKey {
            case id = "Id"
            case arn = "Arn"
            case inputTransformer = "InputTransformer"
        }

        /// A target from its parts.
        public init(id: String, arn: String, inputTransformer: InputTransformer?) {
            self.id = id
            self.arn = arn
            self.inputTransformer = inputTransformer
        }
    }

    /// `InputTransformer`.
    public struct InputTransformer: Codable, Sendable, Equatable {
        /// `InputPathsMap`: placeholder → JSON path into the event.
        public var inputPathsMap: [String: String]?
        /// `InputTemplate`.
        public var inputTemplate: String
        enum CodingKeys: String, CodingKey {
            case inputPathsMap = "InputPathsMap"
            case inputTemplate = "InputTemplate"
        }

        /// A transformer from its parts.
        public init(inputPathsMap: [String: String]?, inputTemplate: String) {
            self.inputPathsMap = inputPathsMap
            self.inputTemplate = inputTemplate
        }
    }

    struct NameRequest: Encodable {
        var name: String
        enum CodingKeys: String, CodingKey { case name = "Name" }
    }

    struct RuleRequest: Encodable {
        var rule: String
        enum CodingKeys: String, CodingKey { case rule = "Rule" }
    }

    struct PutRuleRequest: Encodable {
        var name: String
        var eventPattern: String
        var state: String
        var description: String
        enum CodingKeys: String, CodingKey {
            case name = "Name"
            case eventPattern = "EventPattern"
            case state = "State"
            case description = "Description"
        }
    }

    struct PutTargetsRequest: Encodable {
        var rule: String
        var targets: [Target]
        enum CodingKeys: String, CodingKey {
            case rule = "Rule"
            case targets = "Targets"
        }
    }

    struct RemoveTargetsRequest: Encodable {
        var rule: String
        var ids: [String]
        enum CodingKeys: String, CodingKey {
            case rule = "Rule"
            case ids = "Ids"
        }
    }

    struct ListTargetsResponse: Decodable {
        var targets: [Target]?
        enum CodingKeys: String, CodingKey { case targets = "Targets" }
    }

    struct PutTargetsResponse: Decodable {
        struct Failed: Decodable {
            var errorCode: String?
            var errorMessage: String?
            enum CodingKeys: String, CodingKey {
                case errorCode = "ErrorCode"
                case errorMessage = "ErrorMessage"
            }
        }
        var failedEntryCount: Int?
        var failedEntries: [Failed]?
        enum CodingKeys: String, CodingKey {
            case failedEntryCount = "FailedEntryCount"
            case failedEntries = "FailedEntries"
        }
    }
}
