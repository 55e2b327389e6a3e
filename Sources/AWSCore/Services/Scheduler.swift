import Foundation

/// EventBridge Scheduler (REST-JSON): one schedule per scheduled job, in the default group.
public struct SchedulerClient: Sendable {
    public let client: AWSClient
    public init(client: AWSClient) {
        self.client = client
    }

    static func path(_ name: String) -> String { "/schedules/" + EMRServerlessClient.segment(name) }

    /// The schedule (GetSchedule's answer), or nil when there is none.
    public func getSchedule(name: String) async throws -> [String: Any]? {
        do {
            return try await client.restJSONCall(.scheduler, operation: "GetSchedule", method: "GET", path: Self.path(name))
        } catch let error as AWSError where error.isNotFound {
            return nil
        }
    }

    /// CreateSchedule, or UpdateSchedule (which replaces every field) when `exists`.
    public func putSchedule(name: String, input: [String: Any], exists: Bool) async throws {
        var body = input
        body["ClientToken"] = UUID().uuidString.lowercased()
        do {
            _ = try await client.restJSONCall(.scheduler, operation: exists ? "UpdateSchedule" : "CreateSchedule", method: exists ? "PUT" : "POST",
                                              path: Self.path(name), input: body)
        } catch let error as AWSError where !exists && error.code == "ConflictException" {
            // A retried create meets its own schedule: make it what we want.
            _ = try await client.restJSONCall(.scheduler, operation: "UpdateSchedule", method: "PUT", path: Self.path(name), input: body)
        }
    }

    public func deleteSchedule(name: String) async throws {
        do {
            _ = try await client.restJSONCall(.scheduler, operation: "DeleteSchedule", method: "DELETE", path: Self.path(name))
        } catch let error as AWSError where error.isNotFound {
            return
        }
    }
}

/// Amazon EventBridge (JSON 1.1): a rule per job that sends its failed runs to SNS.
public struct EventsClient: Sendable {
    public let client: AWSClient
    public init(client: AWSClient) {
        self.client = client
    }

    public func describeRule(name: String) async throws -> [String: Any]? {
        do {
            return try await client.jsonCall(.events, operation: "DescribeRule", input: ["Name": name])
        } catch let error as AWSError where error.isNotFound {
            return nil
        }
    }

    public func listTargets(rule: String) async throws -> [[String: Any]] {
        do {
            return try await client.jsonCall(.events, operation: "ListTargetsByRule", input: ["Rule": rule])["Targets"] as? [[String: Any]] ?? []
        } catch let error as AWSError where error.isNotFound {
            return []
        }
    }

    public func putRule(name: String, pattern: String, description: String) async throws {
        _ = try await client.jsonCall(.events, operation: "PutRule", input: ["Name": name, "EventPattern": pattern, "State": "ENABLED", "Description": description])
    }

    public func putTargets(rule: String, targets: [[String: Any]]) async throws {
        let output = try await client.jsonCall(.events, operation: "PutTargets", input: ["Rule": rule, "Targets": targets])
        if let failed = output["FailedEntryCount"] as? Int, failed > 0 {
            let entry = (output["FailedEntries"] as? [[String: Any]])?.first
            throw AWSError(service: "events", operation: "PutTargets", status: 200, code: entry?["ErrorCode"] as? String ?? "FailedEntry",
                           message: entry?["ErrorMessage"] as? String ?? "a target was not added")
        }
    }

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
