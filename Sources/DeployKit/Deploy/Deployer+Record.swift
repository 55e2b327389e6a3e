import AWSCore
import Foundation
import SigV4

/// The deployment record every apply, rollback and destroy writes last.
extension Deployer {
    func writeRecord(
        plan: Plan, by: String, options: ApplyOptions, rollbackOf: String?, destroyed: Bool?, lockId: String?,
        progress: ApplyProgress? = nil
    ) async throws -> DeploymentRecord {
        let now = Date()
        var artifacts: [String: String] = [:]
        var names: [String: String] = [:]
        var definitions: [String: JSONValue] = [:]
        var pipelines: [String: RecordedPipeline] = [:]
        if destroyed != true {
            // With --select the other jobs (and the pipelines) keep what the last deployment recorded.
            if plan.selected != nil, let latest = try await context.liveRecord() {
                artifacts = latest.artifacts
                names = latest.jobNames
                definitions = latest.definitions
                pipelines = latest.pipelines ?? [:]
            }
            for pipeline in plan.pipelines ?? [] {
                if pipeline.action == .delete {
                    pipelines.removeValue(forKey: pipeline.pipeline)
                } else {
                    pipelines[pipeline.pipeline] = RecordedPipeline(
                        stateMachine: pipeline.stateMachine, arn: pipeline.arn, definition: pipeline.desired,
                        protected: manifest.pipeline(pipeline.pipeline)?.preventDestroy == true ? true : nil)
                }
            }
            for job in plan.jobs {
                if job.action == .delete {
                    artifacts.removeValue(forKey: job.job)
                    names.removeValue(forKey: job.job)
                    definitions.removeValue(forKey: job.job)
                    continue
                }
                artifacts[job.job] = job.artifact
                names[job.job] = job.engineName
                definitions[job.job] = job.desired
            }
        }
        let protected = manifest.jobs.filter { $0.preventDestroy && names[$0.name] != nil }.map(\.name).sorted()
        let digest = artifacts.values.sorted().joined()
        let record = DeploymentRecord(
            id: DeploymentRecord.newId(at: now, digest: PayloadHashHex.of(digest + plan.liveFingerprint)), project: manifest.project,
            target: target.name, engine: target.engine.rawValue, at: now, by: by,
            gitCommit: Identity.gitCommit(directory: manifest.directory, environment: context.environment),
            artifacts: artifacts, jobNames: names, definitions: definitions, previous: plan.latestDeployment,
            rollbackOf: rollbackOf, destroyed: destroyed, protected: protected.isEmpty ? nil : protected, lock: lockId,
            pipelines: pipelines.isEmpty ? nil : pipelines,
            image: destroyed == true || plan.image?.action == .delete ? nil : plan.image?.desired.map { RecordedImage(uri: $0, tag: plan.image?.tag) },
            developer: target.developer)
        let bytes = Array(try JSONEncoder.pretty.encode(record))
        let key = context.layout.deploymentKey(record.id)
        do {
            try await context.store.put(key, bytes: bytes, contentType: "application/json", condition: .ifAbsent)
        } catch is PreconditionFailed {
            // A retried write meets its own first attempt, whose answer was lost: same bytes, done.
            guard let (existing, _) = try await context.store.get(key), existing == bytes else {
                throw DeployError("\(context.store.url(key)) already holds another deployment record: run 'deployer apply -t \(target.name)' again")
            }
        }
        // Said if latest.json is then refused: the record file itself is there.
        progress?.recordFile = context.store.url(key)
        try await context.store.put(context.layout.latestKey, bytes: bytes, contentType: "application/json", condition: .always)
        context.log("recorded deployment \(record.id)")
        return record
    }
}
