import Foundation

/// EventBridge Scheduler (REST-JSON): one schedule per scheduled job, in the default group.
public struct SchedulerClient: Sendable {
    /// The client every call goes through.
    public let client: AWSClient
    /// EventBridge Scheduler calls through `client` (its region, credentials and retries).
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

    /// Deletes the schedule; one that is already gone is not an error.
    public func deleteSchedule(name: String) async throws {
        do {
            _ = try await client.restJSONCall(.scheduler, operation: "DeleteSchedule", method: "DELETE", path: Self.path(name))
        } catch let error as AWSError where error.isNotFound {
            return
        }
    }
}
