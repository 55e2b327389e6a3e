import AWSCore
import Foundation
import XCTest

/// Alerts on moto: an SNS topic for the manifest's `notify`, and an SQS queue that receives what
/// deployer's alert rule sends. moto 5.2's EventBridge delivers to SQS but not to SNS targets
/// (send_to_targets raises NotImplementedError), so a test copies deployer's own target (same
/// rule, same InputTransformer) to the queue in place of the SNS one.
extension DeployFlowTests {
    struct AlertInbox {
        let topic: String
        let queueURL: String
        let queueArn: String
    }

    static let sns = ServiceInfo(endpointPrefix: "sns", signingName: "sns", wireProtocol: .query, environmentId: "SNS")
    static let sqs = ServiceInfo(endpointPrefix: "sqs", signingName: "sqs", wireProtocol: .query, environmentId: "SQS")

    /// Topic and queue `alerts-PROJECT`.
    func alertInbox(_ aws: AWSClient, _ peers: Peers) async throws -> AlertInbox {
        let name = "alerts-\(project)"
        let topic = try await aws.queryCall(Self.sns, operation: "CreateTopic", version: "2010-03-31", parameters: [("Name", name)])
        let queue = try await aws.queryCall(Self.sqs, operation: "CreateQueue", version: "2012-11-05", parameters: [("QueueName", name)])
        return AlertInbox(
            topic: try XCTUnwrap(topic.first("CreateTopicResult")?.string("TopicArn")),
            queueURL: try XCTUnwrap(queue.first("CreateQueueResult")?.string("QueueUrl")),
            queueArn: "arn:aws:sqs:us-east-1:\(peers.account):\(name)")
    }

    /// Replaces the SNS target of alert rule `rule` by a copy sending to the inbox's queue; returns
    /// deployer's target as it was.
    @discardableResult
    func sendAlerts(of rule: String, to inbox: AlertInbox, _ aws: AWSClient) async throws -> EventsClient.Target {
        let events = EventsClient(client: aws)
        let deployers = try await XCTUnwrapAsync(try await events.listTargets(rule: rule).first)
        var copy = deployers
        copy.id = "test-sqs"
        copy.arn = inbox.queueArn
        try await events.removeTargets(rule: rule, ids: ["sns"])
        try await events.putTargets(rule: rule, targets: [copy])
        return deployers
    }

    /// The body of the first message the queue gets within about 20 seconds, else "".
    func firstAlert(_ inbox: AlertInbox, _ aws: AWSClient) async throws -> String {
        for _ in 0..<20 {
            let received = try await aws.queryCall(
                Self.sqs, operation: "ReceiveMessage", version: "2012-11-05", parameters: [("QueueUrl", inbox.queueURL), ("WaitTimeSeconds", "1")])
            if let body = received.first("ReceiveMessageResult")?.first("Message")?.string("Body"), !body.isEmpty { return body }
        }
        return ""
    }
}
