import AWSCore
import Foundation

/// What apply does to one pipeline's Step Functions state machine.
public struct PipelinePlan: Codable, Sendable, Equatable {
    /// The pipeline's name in the manifest.
    public var pipeline: String
    /// The state machine's name (`PROJECT-TARGET-PIPELINE`, as job names are made).
    public var stateMachine: String
    /// Its ARN.
    public var arn: String
    /// What apply does to it.
    public var action: Action
    /// The fields an update changes, live → desired, by state
    /// (`definition.States.Run sales_etl.Parameters.Arguments.--as_of`).
    public var changes: [FieldChange]
    /// What apply sets: `{"definition": ASL, "roleArn": ARN}`.
    public var desired: JSONValue
    /// What the state machine holds now (same shape); nil when it does not exist.
    public var live: JSONValue?
    /// Fields whose live value differs from what the last deployment set (old = recorded, new = live).
    public var drift: [FieldChange]? = nil
}

/// A pipeline's state machine as a deployment record keeps it.
public struct RecordedPipeline: Codable, Sendable, Equatable {
    /// The state machine's name.
    public var stateMachine: String
    /// Its ARN.
    public var arn: String
    /// `{"definition": ASL, "roleArn": ARN}` as deployed.
    public var definition: JSONValue
    /// Deployed with `prevent_destroy: true`.
    public var protected: Bool?
}

/// One target's state machines on Step Functions: their names, ARNs and live definitions.
struct StateMachines: Sendable {
    let client: StepFunctionsClient
    let region: String
    let account: String

    /// `arn:PARTITION:states:REGION:ACCOUNT:stateMachine:NAME`.
    func arn(_ name: String) -> String {
        let partition = region.hasPrefix("cn-") ? "aws-cn" : region.hasPrefix("us-gov-") ? "aws-us-gov" : "aws"
        return "arn:\(partition):states:\(region):\(account):stateMachine:\(name)"
    }

    /// The live definition and role (`{"definition", "roleArn"}`), nil when there is none.
    func live(arn: String) async throws -> JSONValue? {
        guard let found = try await client.describeStateMachine(arn: arn) else { return nil }
        guard let parsed = try? JSONDecoder().decode(JSONValue.self, from: Data(found.definition.utf8)) else {
            // A definition that is not JSON (edited by hand) differs from ours in every field.
            return .object(["definition": .string(found.definition), "roleArn": .string(found.roleArn)])
        }
        return .object(["definition": parsed, "roleArn": .string(found.roleArn)])
    }

    /// Creates or updates the state machine to `desired`.
    func apply(name: String, arn: String, desired: JSONValue, exists: Bool, tags: [String: String]) async throws {
        let definition = String(decoding: try JSONEncoder.sorted.encode(desired["definition"] ?? .null), as: UTF8.self)
        let role = desired["roleArn"]?.stringValue ?? ""
        if exists {
            try await client.updateStateMachine(arn: arn, definition: definition, roleArn: role)
        } else {
            try await client.createStateMachine(name: name, definition: definition, roleArn: role, tags: tags, arn: arn)
        }
    }
}
