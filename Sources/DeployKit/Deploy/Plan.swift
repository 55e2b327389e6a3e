import AWSCore
import Foundation
import SigV4

/// One field that differs between the live and the desired definition.
public struct FieldChange: Codable, Sendable, Equatable {
    /// The field's dotted path in the definition (`DefaultArguments.--key`).
    public var field: String
    /// Its value before; `nil` when absent.
    public var old: String?
    /// Its value after; `nil` when absent.
    public var new: String?
}

/// What apply does to one job's engine definition.
public enum Action: String, Codable, Sendable {
    /// The job is new on the engine, differs from the desired definition, or already matches it.
    case create, update, unchanged
    /// The job was removed from the manifest: apply deletes its definition.
    case delete
}

/// The plan for one job: its artifact, what happens to its definition, and why.
public struct JobPlan: Codable, Sendable, Equatable {
    /// The job's name in the manifest.
    public var job: String
    /// The job's name on the engine.
    public var engineName: String
    /// The artifact's digest.
    public var artifact: String
    /// The artifact is not in the store yet and will be uploaded.
    public var uploadArtifact: Bool
    /// What apply does to the definition.
    public var action: Action
    /// The fields an update changes, live → desired.
    public var changes: [FieldChange]
    /// The definition apply sets.
    public var desired: JSONValue
    /// What the engine (or the last deployment) holds now.
    public var live: JSONValue?
    /// Fields whose live value differs from what the last deployment set: changed outside
    /// deployer (old = recorded, new = live). Apply restores them.
    public var drift: [FieldChange]? = nil
    /// The job's dependency bundle digest (nil: the job has no `requirements:`).
    public var dependencies: String? = nil
    /// The bundle is not in the store yet and will be uploaded.
    public var uploadDependencies: Bool? = nil
}

/// What apply will do, with a fingerprint of the live state it was computed from.
public struct Plan: Codable, Sendable, Equatable {
    /// The manifest's project.
    public var project: String
    /// The target planned.
    public var target: String
    /// The target's engine.
    public var engine: String
    /// One entry per job planned (removed jobs included, as deletes).
    public var jobs: [JobPlan]
    /// The id of the deployment record current when planning; `nil` when there was none.
    public var latestDeployment: String?
    /// SHA-256 of the live state read: apply refuses a saved plan when this moved.
    public var liveFingerprint: String
    /// For rollback plans: the deployment whose artifacts and definitions are restored.
    public var rollbackOf: String?
    /// The live jobs already match the desired state but the last deployment record does not
    /// (an earlier apply stopped after changing jobs and before recording): apply records it.
    public var recordBehind: Bool?
    /// `--select`: only these jobs were planned; the others keep what the last deployment recorded.
    public var selected: [String]?
    /// The lock on the target when planning, if any (live state like the jobs).
    public var lock: LockState?
    /// One entry per pipeline's state machine (Step Functions engines; removed ones as deletes).
    public var pipelines: [PipelinePlan]? = nil
    /// The engine's runtime image (EMR Serverless `image:`), when it has one.
    public var image: ImagePlan? = nil

    /// A plan from its parts.
    public init(
        project: String, target: String, engine: String, jobs: [JobPlan], latestDeployment: String?, liveFingerprint: String,
        rollbackOf: String?, recordBehind: Bool? = nil, selected: [String]? = nil
    ) {
        self.project = project
        self.target = target
        self.engine = engine
        self.jobs = jobs
        self.latestDeployment = latestDeployment
        self.liveFingerprint = liveFingerprint
        self.rollbackOf = rollbackOf
        self.recordBehind = recordBehind
        self.selected = selected
    }

    /// Fields changed outside deployer, over all jobs.
    public var hasDrift: Bool { jobs.contains { !($0.drift ?? []).isEmpty } || (pipelines ?? []).contains { !($0.drift ?? []).isEmpty } }

    var pipelinesChange: Bool { (pipelines ?? []).contains { $0.action != .unchanged } }
    var imageChange: Bool { image.map { $0.action != .unchanged } ?? false }
    var jobsChange: Bool {
        jobs.contains { $0.action != .unchanged || $0.uploadArtifact || $0.uploadDependencies == true } || pipelinesChange || imageChange
    }
    /// Whether apply has anything to do: a job to create, update, delete or upload, a
    /// deployment record to catch up, or the lock of a finished apply to remove.
    public var hasChanges: Bool { jobsChange || recordBehind == true || lock?.finishedDeployment != nil }

    /// The closing line: `No changes. …`, or what will be uploaded, created, updated, deleted
    /// and left unchanged.
    public var summary: String {
        let creates = jobs.filter { $0.action == .create }.count
        let updates = jobs.filter { $0.action == .update }.count
        let unchanged = jobs.filter { $0.action == .unchanged }.count
        let deletes = jobs.filter { $0.action == .delete }.count
        let uploads = jobs.filter(\.uploadArtifact).count + Set(jobs.filter { $0.uploadDependencies == true }.compactMap(\.dependencies)).count
        let machines = pipelines ?? []
        if !hasChanges {
            let pipelineCount = machines.isEmpty ? "" : " and \(machines.count) pipeline\(machines.count == 1 ? "" : "s")"
            return "No changes. \(jobs.count) job\(jobs.count == 1 ? "" : "s")\(pipelineCount) up to date on target \(target)."
        }
        if !jobsChange, recordBehind != true { return "Plan: the jobs are up to date; the lock left by a finished apply will be removed." }
        if !jobsChange { return "Plan: the jobs are up to date; the deployment record is behind and will be written." }
        let drifted = jobs.filter { !($0.drift ?? []).isEmpty }.count
        var pipelinePart = ""
        if pipelinesChange {
            let count = { (action: Action) in machines.filter { $0.action == action }.count }
            let driftedMachines = machines.filter { !($0.drift ?? []).isEmpty }.count
            pipelinePart =
                " Pipelines: \(count(.create)) to create, \(count(.update)) to update\(driftedMachines > 0 ? " (\(driftedMachines) drifted)" : ""), "
                + "\(count(.delete) > 0 ? "\(count(.delete)) to delete, " : "")\(count(.unchanged)) unchanged."
        }
        var imagePart = ""
        if let image, image.action != .unchanged {
            imagePart =
                image.action == .delete
                ? " Image: back to the engine's own." : " Image: \(image.build != nil ? "1 to build and push, " : "")1 to set on \(image.application)."
        }
        return
            "Plan: \(uploads) artifact\(uploads == 1 ? "" : "s") to upload, \(creates) to create, \(updates) to update\(drifted > 0 ? " (\(drifted) drifted)" : ""), "
            + "\(deletes > 0 ? "\(deletes) to delete, " : "")\(unchanged) unchanged." + pipelinePart + imagePart
    }

    /// Terraform-style text.
    public func render() -> String {
        var lines: [String] = []
        for job in jobs {
            let short = String(job.artifact.prefix(12))
            if job.action == .delete {
                lines.append("- delete job \(job.engineName)  (removed from the manifest)")
                continue
            }
            if job.uploadArtifact { lines.append("+ artifact \(job.job) \(short)  (upload)") } else { lines.append("= artifact \(job.job) \(short)") }
            if let dependencies = job.dependencies {
                let bundle = String(dependencies.prefix(12))
                lines.append(job.uploadDependencies == true ? "+ dependencies \(job.job) \(bundle)  (upload)" : "= dependencies \(job.job) \(bundle)")
            } else if let inImage = job.desired["imageDependencies"]?.stringValue {
                lines.append("= dependencies \(job.job) \(inImage.prefix(12))  (in the image)")
            }
            switch job.action {
            case .create:
                lines.append("+ create job \(job.engineName)")
            case .update:
                lines.append("~ update job \(job.engineName)")
                lines += Self.changeLines(job.changes, drift: job.drift)
            case .unchanged:
                lines.append("= job \(job.engineName)")
            case .delete:
                break
            }
        }
        for pipeline in pipelines ?? [] {
            let label = "pipeline \(pipeline.pipeline) (state machine \(pipeline.stateMachine))"
            switch pipeline.action {
            case .create: lines.append("+ create \(label)")
            case .delete: lines.append("- delete \(label)  (removed from the manifest)")
            case .unchanged: lines.append("= \(label)")
            case .update:
                lines.append("~ update \(label)")
                lines += Self.changeLines(pipeline.changes, drift: pipeline.drift)
            }
        }
        if let image {
            if let build = image.build { lines.append("+ image \(build)  (build on \(image.base ?? "?"), push)") }
            let now = image.live ?? "the engine's own image"
            switch image.action {
            case .unchanged: lines.append("= image of \(image.application): \(image.desired ?? now)")
            case .delete: lines.append("- image of \(image.application): \(now) → the engine's own image  (image: removed from the target)")
            case .create, .update:
                lines.append("~ image of \(image.application): \(now) → \(image.desired ?? "the digest the push gives \(image.tag ?? "")")")
            }
        }
        if recordBehind == true {
            lines.append("~ deployment record: behind the live jobs (an earlier apply stopped before recording)")
        }
        if let lock {
            if let finished = lock.finishedDeployment {
                lines.append("- lock \(lock.id) of \(lock.owner): its apply recorded deployment \(finished) but did not release it; apply removes it")
            } else {
                let until = lock.expiresAt.map { ", expires \(ISO8601DateFormatter().string(from: $0))" } ?? ""
                lines.append("! lock \(lock.id) held by \(lock.owner)\(until): apply waits for it, or takes it over once expired")
            }
        }
        lines.append("")
        lines.append(summary)
        return lines.joined(separator: "\n")
    }

    /// One line per changed field; a field changed outside deployer says so and what apply sets.
    static func changeLines(_ changes: [FieldChange], drift: [FieldChange]?) -> [String] {
        let drifted = Dictionary((drift ?? []).map { ($0.field, $0) }, uniquingKeysWith: { first, _ in first })
        return changes.map { change in
            if let drift = drifted[change.field] {
                return
                    "    ~ drift: \(change.field) \(drift.old ?? "(none)") → \(drift.new ?? "(none)"), changed outside deployer (apply sets \(change.new ?? "(none)"))"
            }
            return "    ~ \(change.field): \(change.old ?? "(none)") → \(change.new ?? "(none)")"
        }
    }

    /// Field-level differences: every leaf of the desired definition, and for maps of
    /// arguments every key on either side (a removed argument is a change too).
    static func diff(live: JSONValue?, desired: JSONValue) -> [FieldChange] {
        guard let live else { return [] }
        let old = live.flattened()
        let new = desired.flattened()
        var fields = Set(new.keys)
        for key in old.keys where key.hasPrefix("DefaultArguments.") || key.hasPrefix("jobDriver") || key.hasPrefix("arguments") || key.hasPrefix("step") {
            fields.insert(key)
        }
        return fields.sorted().compactMap { field in
            old[field] == new[field] ? nil : FieldChange(field: field, old: old[field], new: new[field])
        }
    }

    /// Whether `record` already describes exactly these jobs (same artifacts, names and definitions).
    static func record(_ record: DeploymentRecord?, matches jobs: [JobPlan], pipelines: [PipelinePlan] = [], selected: Bool = false) -> Bool {
        guard let record = record?.live else { return jobs.isEmpty && pipelines.isEmpty }
        // Every pipeline is planned, with --select too.
        let recorded = record.pipelines ?? [:]
        let planned = pipelines.filter { $0.action != .delete }
        guard Set(recorded.keys) == Set(planned.map(\.pipeline)),
            planned.allSatisfy({ recorded[$0.pipeline]?.definition == $0.desired && recorded[$0.pipeline]?.arn == $0.arn })
        else { return false }
        if !selected, Set(record.artifacts.keys) != Set(jobs.map(\.job)) { return false }
        return jobs.allSatisfy { job in
            record.artifacts[job.job] == job.artifact && record.jobNames[job.job] == job.engineName && record.definitions[job.job] == job.desired
        }
    }

    static func fingerprint(_ jobs: [JobPlan], pipelines: [PipelinePlan] = [], latest: String?) -> String {
        struct State: Encodable {
            let job: String
            let live: JSONValue?
            let artifactPresent: Bool
            let dependenciesPresent: Bool?
        }
        let states = jobs.map { State(job: $0.job, live: $0.live, artifactPresent: !$0.uploadArtifact, dependenciesPresent: $0.uploadDependencies.map { !$0 }) }
        let data = (try? JSONEncoder.sorted.encode(states)) ?? Data()
        // Pipelines add to the bytes only when there are some, so plans saved before them still match.
        let machines = pipelines.isEmpty ? Data() : ((try? JSONEncoder.sorted.encode(pipelines.map { [$0.pipeline: $0.live ?? .null] })) ?? Data())
        return PayloadHash.hex(Array(data) + Array(machines) + Array((latest ?? "-").utf8))
    }
}
