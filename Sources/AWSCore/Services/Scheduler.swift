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
    public func getSchedule(name: String) async throws -> Schedule? {
        do {
            return try await client.restJSONCall(.scheduler, operation: "GetSchedule", method: "GET", path: Self.path(name), output: Schedule.self)
        } catch let error as AWSError where error.isNotFound {
            return nil
        }
    }

    /// CreateSchedule, or UpdateSchedule (which replaces every field) when `exists`.
    public func putSchedule(name: String, schedule: Schedule, description: String, exists: Bool) async throws {
        let body = PutScheduleRequest(schedule: schedule, description: description, clientToken: UUID().uuidString.lowercased())
        do {
            let _: AWSJSON.Empty = try await client.restJSONCall(
                .scheduler, operation: exists ? "UpdateSchedule" : "CreateSchedule", method: exists ? "PUT" : "POST",
                path: Self.path(name), body: body)
        } catch let error as AWSError where !exists && error.isAlreadyExists {
            // A retried create meets its own schedule: make it what we want.
            let _: AWSJSON.Empty = try await client.restJSONCall(.scheduler, operation: "UpdateSchedule", method: "PUT", path: Self.path(name), body: body)
        }
    }

    /// Deletes the schedule; one that is already gone is not an error.
    public func deleteSchedule(name: String) async throws {
        do {
            let _: AWSJSON.Empty = try await client.restJSONCall(.scheduler, operation: "DeleteSchedule", method: "DELETE", path: Self.path(name))
        } catch let error as AWSError where error.isNotFound {
            return
        }
    }
}

// MARK: Shapes (botocore's scheduler/2021-06-30 model)

extension SchedulerClient {
    /// A schedule: when it fires and what it calls (GetSchedule's answer; what put sends).
    public struct Schedule: Codable, Sendable, Equatable {
        /// `ScheduleExpression`: `cron(…)`, `rate(…)` or `at(…)`.
        public var scheduleExpression: String
        /// `ScheduleExpressionTimezone`.
        public var scheduleExpressionTimezone: String?
        /// `State`: ENABLED or DISABLED.
        public var state: String?
        /// `Target`.
        public var target: Target?

        enum CodingKeys: String, CodingKey {
            case scheduleExpression = "ScheduleExpression"
            case scheduleExpressionTimezone = "ScheduleExpressionTimezone"
            case state = "State"
            case target = "Target"
        }

        /// A schedule from its parts.
        public init(scheduleExpression: String, scheduleExpressionTimezone: String?, state: String?, target: Target?) {
            self.scheduleExpression = scheduleExpression
            self.scheduleExpressionTimezone = scheduleExpressionTimezone
            self.state = state
            self.target = target
        }
    }

    /// What a schedule calls: a universal target (`arn:aws:scheduler:::aws-sdk:SERVICE:ACTION`).
    public struct Target: Codable, Sendable, Equatable {
        /// `Arn`.
        public var arn: String
        /// `RoleArn`: the role the scheduler assumes.
        public var roleArn: String
        /// `Input`: the action's request, as JSON text.
        public var input: String?

        enum CodingKeys: String, CodingKey {
            case arn = "Arn"
            case roleArn = "RoleArn"
            case input = "Input"
        }

        /// A target from its parts.
        public init(arn: String, roleArn: String, input: String?) {
            self.arn = arn
            self.roleArn = roleArn
            self.input = input
        }
    }

    struct PutScheduleRequest: Encodable {
        var schedule: Schedule
        var description: String
        var clientToken: String

        enum CodingKeys: String, CodingKey {
            case expression = "ScheduleExpression"
            case timezone = "ScheduleExpressionTimezone"
            case state = "State"
            case target = "Target"
            case window = "FlexibleTimeWindow"
            case description = "Description"
            case clientToken = "ClientToken"
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(schedule.scheduleExpression, forKey: .expression)
            try container.encode(schedule.scheduleExpressionTimezone ?? "UTC", forKey: .timezone)
            try container.encode(schedule.state ?? "DISABLED", forKey: .state)
            try container.encodeIfPresent(schedule.target, forKey: .target)
            try container.encode(["Mode": "OFF"], forKey: .window)
            try container.encode(description, forKey: .description)
            try container.encode(clientToken, forKey: .clientToken)
        }
    }
}
