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
        var input: [String: Any] = ["logGroupName": group, "logStreamName": stream, "startFromHead": true]
        if let token { input["nextToken"] = token }
        do {
            let output = try await client.jsonCall(.logs, operation: "GetLogEvents", input: input)
            let messages = (output["events"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
            return Page(messages: messages, nextToken: output["nextForwardToken"] as? String)
        } catch let error as AWSError where error.code == "ResourceNotFoundException" {
            return nil
        }
    }
}
