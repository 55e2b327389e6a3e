import Foundation

/// AWS IAM (query protocol, version 2010-05-08): the policy simulator, for `deployer doctor`.
public struct IAMClient: Sendable {
    /// The client every call goes through.
    public let client: AWSClient
    static let version = "2010-05-08"

    /// IAM calls through `client` (its credentials and retries; IAM's endpoint is global).
    public init(client: AWSClient) {
        self.client = client
    }

    /// `allowed`, `explicitDeny` or `implicitDeny` for each action on `resource`, as the
    /// principal's policies decide (SimulatePrincipalPolicy; resource policies not included).
    public func simulate(principal: String, actions: [String], resource: String) async throws -> [String: String] {
        var parameters = [("PolicySourceArn", principal), ("ResourceArns.member.1", resource)]
        for (index, action) in actions.enumerated() { parameters.append(("ActionNames.member.\(index + 1)", action)) }
        let root = try await client.queryCall(.iam, operation: "SimulatePrincipalPolicy", version: Self.version, parameters: parameters)
        var decisions: [String: String] = [:]
        for result in root.first("SimulatePrincipalPolicyResult")?.first("EvaluationResults")?.children("member") ?? [] {
            if let action = result.string("EvalActionName"), let decision = result.string("EvalDecision") { decisions[action] = decision }
        }
        return decisions
    }
}
