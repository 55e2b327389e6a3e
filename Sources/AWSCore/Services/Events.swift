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
    public func describeRule(name: String) async throws -> [String: Any]? {
        do {
            return try await client.jsonCall(.events, operation: "DescribeRule", input: ["Name": name])
        } catch let error as AWSError where error.isNotFound {
            return nil
        }
    }

    /// The rule's targets (the first page of ListTargetsByRule); empty when the rule does not exist.
    public func listTargets(rule: String) async throws -> [[String: Any]] {
        do {
            return try await client.jsonCall(.events, operation: "ListTargetsByRule", input: ["Rule": rule])["Targets"] as? [[String: Any]] ?? []
        } catch let error as AWSError where error.isNotFound {
            return []
        }
    }

    /// Creates or updates the rule `name`: enabled, matching `pattern` (JSON text).
    public func putRule(name: String, pattern: String, description: String) async throws {
        _ = try await client.jsonCall(.events, operation: "PutRule", input: ["Name": name, "EventPattern": pattern, "State": "ENABLED", "Description": description])
    }

    /// Adds or updates the rule's targets; throws with the first failed entry's code when any
    /// was refused.
    public func putTargets(rule: String, targets: [[String: Any]]) async throws {
        let output = try await client.jsonCall(.events, operation: "PutTargets", input: ["Rule": rule, "Targets": targets])
        if let failed = output["FailedEntryCount"] as? Int, failed > 0 {
            let entry = (output["FailedEntries"] as? [[String: Any]])?.first
            throw AWSError(service: "events", operation: "PutTargets", status: 200, code: entry?["ErrorCode"] as? String ?? "FailedEntry",
                           message: entry?["ErrorMessage"] as? String ?? "a target was not added")
        }
    }

    /// Removes the rule's targets, then the rule; a rule that is already gone is not an error.
    public func deleteRule(name: String) async throws {
        let targets = try await listTargets(rule: name).compactMap { $0["Id"] as? String }
        if !targets.isEmpty { _ = try await client.jsonCall(.events, operation: "RemoveTargets", input: ["Rule": name, "Ids": targets]) }
        do {
            _ = try await client.jsonCall(.events, operation: "DeleteRule", input: ["Name": name])
        } catch let error as AWSError where error.isNotFound {
            return
        }
    }

    /// Sends one event (tests and the runbook's "check the alert path").
    public func putEvent(source: String, detailType: String, detail: [String: Any]) async throws {
        let text = String(decoding: try JSONSerialization.data(withJSONObject: detail, options: [.sortedKeys]), as: UTF8.self)
        _ = try await client.jsonCall(.events, operation: "PutEvents", input: ["Entries": [["Source": source, "DetailType": detailType, "Detail": text]]])
    }
}
