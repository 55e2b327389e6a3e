import Foundation

/// Every engineer's development deployment of one target (`mode: development`), found from the
/// store: each keeps its records under `deployments/TARGET-DEVELOPER/`.
public struct DevelopmentDeployments: Sendable {
    /// A context of the target (any developer's: the store and prefix are shared).
    public let context: DeployContext

    /// The deployments of the target's developers.
    public init(context: DeployContext) {
        self.context = context
    }

    /// The latest record of every developer's deployment that is not destroyed, oldest first.
    public func all() async throws -> [DeploymentRecord] {
        let name = context.target.name
        let folder = Layout(prefix: context.layout.prefix, target: "").join("deployments/")
        var records: [DeploymentRecord] = []
        for key in try await context.store.list(folder + name + "-") where key.hasSuffix("/latest.json") {
            guard let (bytes, _) = try await context.store.get(key) else { continue }
            let record = try DeploymentRecord.decode(bytes, url: context.store.url(key))
            // Another target whose name starts the same, or another project: not ours.
            guard record.project == context.manifest.project, record.target == name, let developer = record.developer,
                key == folder + "\(name)-\(developer)/latest.json", record.live != nil
            else { continue }
            records.append(record)
        }
        return records.sorted { $0.at < $1.at }
    }

    /// Those last deployed more than `seconds` ago.
    public func stale(olderThan seconds: TimeInterval) async throws -> [DeploymentRecord] {
        let now = context.now()
        return try await all().filter { now.timeIntervalSince($0.at) > seconds }
    }
}
