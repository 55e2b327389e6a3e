import AWSCore
import Foundation
import SigV4

/// Plan: live state read in parallel and compared with the desired state.
extension Deployer {
    /// Reads live state (O(jobs) requests, in parallel) and compares it with the desired state.
    /// `select`: only these jobs (`--select`); the others keep what the last deployment recorded.
    /// `verifyStored`: also read back every artifact and bundle file already in the store and
    /// check it against its SHA256SUMS (`plan --verify-stored`; downloads them).
    public func plan(select: [String]? = nil, verifyStored: Bool = false) async throws -> (plan: Plan, artifacts: [String: Artifact]) {
        let planned = try await plan(desired: .manifest, select: select, verifyStored: verifyStored)
        return (planned.plan, planned.artifacts)
    }

    func plan(desired: Desired, buildRoot: String? = nil, select: [String]? = nil, verifyStored: Bool = false) async throws
        -> (plan: Plan, artifacts: [String: Artifact], bundles: [String: DependencyBundle], image: RuntimeImage?)
    {
        try await context.engine.preflight()
        let automation = self.automation
        let latest = try await context.latestRecord()
        var artifacts: [String: Artifact] = [:]
        var bundles: [String: DependencyBundle] = [:]
        var inputs: [(job: String, name: String, digest: String, definition: JSONValue)] = []
        var removed: [(job: String, name: String, digest: String, definition: JSONValue)] = []
        let selection = select.flatMap { $0.isEmpty ? nil : $0 }
        switch desired {
        case .manifest:
            let jobs = try selectedJobs(selection)
            // Jobs the last deployment made that the manifest no longer has are deleted, unless protected.
            if selection == nil, let latest = latest?.live {
                for (job, name) in latest.jobNames.sorted(by: { $0.key < $1.key }) where !manifest.jobs.contains(where: { $0.name == job }) {
                    if latest.protected?.contains(job) == true {
                        throw DeployError(
                            "job \(job) (\(name)) was removed from the manifest but deployment \(latest.id) protects it (prevent_destroy: true): put it back, or set prevent_destroy: false and apply before removing it"
                        )
                    }
                    removed.append((job, name, latest.artifacts[job] ?? "", latest.definitions[job] ?? .null))
                }
            }
            // Built, checked and test-imported before anything is uploaded.
            bundles = try await context.dependencyBundles(jobs, buildRoot: buildRoot)
            for job in jobs {
                let engine = context.engine
                try engine.checkArguments(job.arguments, source: "jobs.\(job.name).arguments")
                try engine.checkArguments(
                    target.settings.overlaid(with: job.engines[target.engine]).arguments, source: "jobs.\(job.name).engines.\(target.engine.rawValue).arguments"
                )
                try engine.checkArguments(job.schedule?.arguments ?? [:], source: "jobs.\(job.name).schedule.arguments")
                let artifact = try Artifact.build(job, buildRoot: buildRoot)
                artifacts[job.name] = artifact
                let name = manifest.engineJobName(job, target: target)
                let urls = context.artifactURLs(job: job.name, digest: artifact.digest, bundle: bundles[job.name])
                let engineDefinition = context.engine.desiredDefinition(name: name, job: job, artifact: urls, digest: artifact.digest)
                let definition =
                    Automation.merged(engineDefinition, automation.desired(job: job, name: name, engineDefinition: engineDefinition)) ?? engineDefinition
                inputs.append((job.name, name, artifact.digest, definition))
            }
        case .record(let record):
            for (job, definition) in record.definitions.sorted(by: { $0.key < $1.key }) {
                guard let digest = record.artifacts[job], let name = record.jobNames[job] else { continue }
                inputs.append((job, name, digest, definition))
            }
        }
        let context = self.context
        let planned = try await withThrowingTaskGroup(of: JobPlan.self) { group in
            for input in inputs {
                group.addTask {
                    let sums = context.layout.artifactPrefix(job: input.job, digest: input.digest) + "/SHA256SUMS"
                    async let present = context.store.head(sums)
                    let dependencies = input.definition.dependencyDigest
                    async let dependenciesPresent =
                        dependencies == nil ? nil : context.store.head(context.layout.dependencyPrefix(digest: dependencies ?? "") + "/SHA256SUMS")
                    let recorded = latest?.jobNames[input.job] == input.name ? latest?.definitions[input.job] : nil
                    async let live = context.engine.liveDefinition(name: input.name, recorded: recorded?.engineDefinition)
                    async let liveAutomation = automation.live(name: input.name, recorded: recorded)
                    // In request order, so the first refusal is the one reported.
                    let uploaded = try await present != nil
                    let dependenciesUploaded = try await dependenciesPresent != nil
                    let engineLive = try await live
                    let liveDefinition = engineLive == nil ? nil : Automation.merged(engineLive, try await liveAutomation)
                    let action: Action
                    let changes = Plan.diff(live: liveDefinition, desired: input.definition)
                    if liveDefinition == nil { action = .create } else { action = changes.isEmpty ? .unchanged : .update }
                    // Drift: what the live job holds that the last deployment did not set, over the
                    // fields deployer sets (AWS's own defaults elsewhere are not drift).
                    var drift: [FieldChange]?
                    if let liveDefinition, let recorded = latest?.definitions[input.job], latest?.jobNames[input.job] == input.name {
                        let fields = Plan.diff(live: liveDefinition, desired: recorded).map { FieldChange(field: $0.field, old: $0.new, new: $0.old) }
                        drift = fields.isEmpty ? nil : fields
                    }
                    return JobPlan(
                        job: input.job, engineName: input.name, artifact: input.digest, uploadArtifact: !uploaded, action: action,
                        changes: changes, desired: input.definition, live: liveDefinition, drift: drift,
                        dependencies: dependencies, uploadDependencies: dependencies == nil ? nil : !dependenciesUploaded)
                }
            }
            var result: [JobPlan] = []
            for try await plan in group { result.append(plan) }
            return result.sorted { $0.job < $1.job }
        }
        // A bundle already in the store must be the one built here: a damaged copy would be
        // used as it is (content-addressed keys are never rewritten), so it stops the plan.
        var verified: Set<String> = []
        for job in planned where job.uploadDependencies == false {
            guard let bundle = bundles[job.job], bundle.digest == job.dependencies, verified.insert(bundle.digest).inserted else { continue }
            try await verifyStoredBundle(bundle)
        }
        if verifyStored {
            var checked: Set<String> = []
            var files = 0
            var bytes: UInt64 = 0
            for job in planned {
                if !job.uploadArtifact, checked.insert("artifact/" + job.artifact).inserted {
                    let read = try await verifyContents(
                        prefix: context.layout.artifactPrefix(job: job.job, digest: job.artifact), digest: job.artifact,
                        what: "artifact \(job.job) \(job.artifact.prefix(12))")
                    files += read.files
                    bytes += read.bytes
                }
                if job.uploadDependencies == false, let digest = job.dependencies, checked.insert("dependencies/" + digest).inserted {
                    let read = try await verifyContents(
                        prefix: context.layout.dependencyPrefix(digest: digest), digest: digest,
                        what: "dependency bundle \(digest.prefix(12))")
                    files += read.files
                    bytes += read.bytes
                }
            }
            context.log("verified \(files) stored file(s), \(bytes) bytes, against their SHA256SUMS")
        }
        var deletions: [JobPlan] = []
        for gone in removed {
            let live = try await context.engine.liveDefinition(name: gone.name, recorded: gone.definition.engineDefinition)
            deletions.append(
                JobPlan(
                    job: gone.job, engineName: gone.name, artifact: gone.digest, uploadArtifact: false, action: .delete, changes: [],
                    desired: gone.definition, live: live))
        }
        let jobs = planned + deletions
        if case .record(let record) = desired, let missing = jobs.first(where: \.uploadArtifact) {
            throw DeployError(
                "deployment \(record.id) used artifact \(missing.artifact) of \(missing.job), which is no longer in \(context.store.location): it cannot be restored"
            )
        }
        if case .record(let record) = desired, let missing = jobs.first(where: { $0.uploadDependencies == true }) {
            throw DeployError(
                "deployment \(record.id) used dependency bundle \(missing.dependencies ?? "?") of \(missing.job), which is no longer in \(context.store.location): it cannot be restored"
            )
        }
        var rollbackOf: String?
        if case .record(let record) = desired { rollbackOf = record.id }
        let pipelines = try await planPipelines(desired: desired, jobs: jobs, latest: latest, selected: selection != nil)
        let image = try await planImage(desired: desired, latest: latest, bundles: bundles, selected: selection != nil)
        // The image deployer set is part of the record: one that differs makes the record behind.
        let recordedImage = image.flatMap { $0.plan.action == .delete ? nil : $0.plan.desired }
        let imageRecorded = latest?.live?.image?.uri == recordedImage
        var fingerprint = Plan.fingerprint(jobs, pipelines: pipelines, latest: latest?.id)
        if let image {
            // Added only with an image, so plans saved without one still match.
            fingerprint = PayloadHash.hex(Array((fingerprint + (image.plan.live ?? "-") + (image.plan.desired ?? image.plan.build ?? "-")).utf8))
        }
        // Planned from what exists, not only from the record: when the jobs already match but the
        // record does not, an earlier apply stopped before recording, and this one records.
        let plan = Plan(
            project: manifest.project, target: target.name, engine: target.engine.rawValue, jobs: jobs, latestDeployment: latest?.id,
            liveFingerprint: fingerprint, rollbackOf: rollbackOf,
            recordBehind: Plan.record(latest, matches: jobs, pipelines: pipelines, selected: selection != nil) && imageRecorded
                || jobs.contains(where: { $0.action != .unchanged || $0.uploadArtifact || $0.uploadDependencies == true })
                || pipelines.contains(where: { $0.action != .unchanged }) || (image.map { $0.plan.action != .unchanged } ?? false) ? nil : true,
            selected: selection)
        var withLock = plan
        withLock.pipelines = pipelines.isEmpty ? nil : pipelines
        withLock.image = image?.plan
        withLock.lock = try await lockState(latest: latest)
        return (withLock, artifacts, bundles, image?.image)
    }
}
