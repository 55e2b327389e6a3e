import Foundation

/// CloudWatch Logs (JSON 1.1).
public struct LogsClient: Sendable {
    /// The client every call goes through.
    public let client: AWSClient
    /// CloudWatch Logs calls through `client` (its region, credentials and retries).
    public init(client: AWSClient) {
        self.client = client
    }

    /// One page of a stream's events.
    public struct Page: Sendable {
        /// The events' messages, oldest first.
        public var messages: [String]
        /// `nextForwardToken`, to ask for the next page with.
        public var nextToken: String?
    }

    /// One page of a stream's events from the start (or from `token`); `nil` when the stream does not exist.
    public func getLogEvents(group: String, stream: String, token: String?) async throws -> Page? {
        do {
            let output: GetLogEventsResponse = try await client.jsonCall(
                .logs, operation: "GetLogEvents",
                input: GetLogEventsRequest(logGroupName: group, logStreamName: stream, nextToken: token))
            return Page(messages: (output.events ?? []).compactMap(\.message), nextToken: output.nextForwardToken)
        } catch let error as AWSError where error.isNotFound {
            return nil
        }
    }

    // Shapes (botocore's logs/2014-03-28 model).

    struct GetLogEventsRequest: Encodable {
        var logGroupName: String
        var logStreamName: String
        var nextToken: String?
        var startFromHead = true
    }

    struct GetLogEventsResponse: Decodable {
        struct Event: Decodable {
            var message: String?
        }
        var events: [Event]?
        var nextForwardToken: String?
    }
}
