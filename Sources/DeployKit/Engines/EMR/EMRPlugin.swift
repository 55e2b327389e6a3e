import AWSCore
import Foundation

/// What an EMR on EC2 target sets (`emr:`).
public struct EMRConfiguration: EngineConfiguration, Equatable, Decodable {
    /// `cluster_id`: the cluster steps are added to.
    public var clusterId: String
    /// `log_uri`: the cluster's log URI, where step logs are read.
    public var logURI: String?

    enum CodingKeys: String, CodingKey {
        case clusterId = "cluster_id"
        case logURI = "log_uri"
    }

    /// Settings for cluster `clusterId`.
    public init(clusterId: String, logURI: String? = nil) {
        self.clusterId = clusterId
        self.logURI = logURI
    }

    /// The EMR plug-in.
    public var plugin: any EnginePlugin { EMRPlugin() }
}

extension Pricing {
    /// `emr_cluster_hour`: USD per hour of the whole cluster; no default, as it depends on the
    /// cluster's instances. A step's cost is estimated as its duration × this.
    public var emrClusterHour: Double? {
        get { values["emr_cluster_hour"] }
        set { values["emr_cluster_hour"] = newValue }
    }
}

/// `engine: emr`: `spark-submit` steps on an existing cluster. No schedules and no run events
/// (EMR steps emit none deployer can match per job).
public struct EMRPlugin: EnginePlugin {
    /// An EMR plug-in.
    public init() {}
    /// `emr`.
    public var kind: EngineKind { .emr }

    /// `emr: {cluster_id, log_uri}`.
    public var targetFields: [String: Schema.Field] {
        [
            "emr": .init(
                .object([
                    "cluster_id": .init(.string(pattern: "^j-[A-Z0-9]+$", hint: "an EMR cluster id such as j-2AXXXXXXGAPLF"), required: true),
                    "log_uri": .init(.string()),
                ]))
        ]
    }

    /// Requires the `emr` section.
    public func configuration(from section: TargetSection) throws -> any EngineConfiguration {
        guard let configuration = try section.decode(EMRConfiguration.self, "emr") else {
            throw section.problem("emr", "engine emr needs a 'emr' section")
        }
        return configuration
    }

    /// An `EMRStepEngine` on the environment's AWS client.
    public func makeDriver(_ environment: EngineEnvironment) throws -> any EngineDriver {
        EMRStepEngine(client: try environment.awsClient(), target: environment.target)
    }

    /// EMR 7's CPython 3.9 on x86_64.
    public func defaultRuntime(for target: Target, environment: [String: String]) throws -> PythonRuntime {
        PythonRuntime(python: "3.9", arch: "x86_64")
    }

    /// `emr_cluster_hour`.
    /// Pipelines run as Step Functions state machines.
    public var orchestration: EngineOrchestration { .stepFunctions }

    /// `elasticmapreduce:addStep.sync`: the recorded step, its arguments then the step's, and
    /// the run id.
    public func pipelineTask(name: String, engineDefinition: JSONValue, arguments: [String: String], paths: [String: String]) -> StateMachine.Task? {
        let template = engineDefinition.engineDefinition
        guard let cluster = template["clusterId"]?.stringValue, let step = template["step"] else { return nil }
        var literals: [String] = []
        if case .array(let existing)? = step["HadoopJarStep"]?["Args"] { literals = existing.compactMap(\.stringValue) }
        literals += EMRStepEngine.argumentList(arguments.filter { $0.key != Pipeline.runIdArgument })
        let parameters: JSONValue = .object([
            "ClusterId": .string(cluster),
            "Step": .object([
                "Name": .string(name), "ActionOnFailure": .string("CONTINUE"),
                "HadoopJarStep": .object([
                    "Jar": .string("command-runner.jar"),
                    "Args.$": .string(StateMachine.arrayWithRunId(literals, paths: paths.filter { $0.key != Pipeline.runIdArgument })),
                ]),
            ]),
        ])
        return StateMachine.Task(
            resource: "arn:aws:states:::elasticmapreduce:addStep.sync", parameters: parameters,
            transientErrors: ["ElasticMapReduce.InternalServerErrorException", "ElasticMapReduce.ThrottlingException"])
    }

    public var prices: [String: String] { ["emr_cluster_hour": "the whole EMR cluster, per hour (no default)"] }

    /// An estimate: the step's hours at the whole cluster's hourly price (`emr_cluster_hour`).
    public func cost(_ usage: RunUsage, pricing: Pricing) -> RunCost? {
        guard let seconds = usage.executionSeconds, let hourly = pricing.emrClusterHour else { return nil }
        return RunCost(
            usd: seconds / 3600 * hourly, estimate: true,
            basis:
                "estimate: \(Pricing.format(seconds / 3600)) h of the step × $\(Pricing.format(hourly)) per cluster-hour (the whole cluster's price, not the step's share)"
        )
    }

    /// The cluster is running.
    public func preflightSummary(_ target: Target) -> String {
        "EMR cluster \(target.configuration(EMRConfiguration.self)?.clusterId ?? "?") is running"
    }
}
