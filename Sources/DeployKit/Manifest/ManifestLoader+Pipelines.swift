import Foundation
import Yams

/// `pipelines:`: steps that name jobs of this manifest, checked as a graph (every job and need
/// known, no step twice, no cycle), each problem at its own line and column.
extension ManifestLoader {
    func buildPipelines(_ document: ManifestDocument, root: Node, file: String, jobs: [Job], selected: Target?) throws -> [Pipeline] {
        let names = root.node(at: ["pipelines"])?.mapping?.compactMap { $0.key.string } ?? []
        var pipelines: [Pipeline] = []
        for name in names {
            guard let wanted = document.pipelines?[name] else { continue }
            let here = ["pipelines", name]
            var problems: [ManifestIssue] = []
            /// `path` is `pipelines.NAME.steps[.FIELD]` when `index` names a step: the index
            /// goes after `steps`, and the mark is the step's field (else the step itself).
            func issue(_ path: [String], index: Int? = nil, _ message: String) {
                var node = root.node(at: path)
                var dotted = path.joined(separator: ".")
                if let index {
                    let field = Array(path.dropFirst(3))
                    let item = root.node(at: Array(path.prefix(3)))?.sequence?[index]
                    node = item.flatMap { $0.node(at: field) } ?? item
                    dotted = path.prefix(3).joined(separator: ".") + "[\(index)]" + field.map { "." + $0 }.joined()
                }
                problems.append(ManifestIssue(file: file, line: node?.mark?.line ?? 1, column: node?.mark?.column ?? 1, path: dotted, message: message))
            }
            if wanted.steps.isEmpty { issue(here + ["steps"], "a pipeline needs at least one step") }
            var steps: [PipelineStep] = []
            var seen: Set<String> = []
            let jobNames = jobs.map(\.name).sorted()
            for (index, step) in wanted.steps.enumerated() {
                let stepName = step.name ?? step.job
                if !jobNames.contains(step.job) {
                    issue(
                        here + ["steps", "job"], index: index, "no job '\(Schema.short(step.job))' in this manifest (jobs: \(jobNames.joined(separator: ", ")))"
                    )
                }
                if !seen.insert(stepName).inserted {
                    issue(here + ["steps"], index: index, "step '\(stepName)' appears twice: give one of them another name:")
                }
                // The selected target's engine's arguments over the step's own.
                let engineArguments = selected.flatMap { step.engines?[$0.engine.rawValue]?.arguments } ?? [:]
                let arguments = (step.arguments ?? [:]).merging(engineArguments) { $1 }
                steps.append(
                    PipelineStep(
                        name: stepName, job: step.job, needs: step.needs ?? [], arguments: arguments,
                        retries: step.retries.flatMap(Int.init) ?? 0, timeoutMinutes: step.timeoutMinutes.flatMap(Int.init)))
            }
            for (index, step) in steps.enumerated() {
                for need in step.needs where need == step.name || !seen.contains(need) {
                    issue(
                        here + ["steps", "needs"], index: index,
                        need == step.name
                            ? "step '\(need)' needs itself"
                            : "needs '\(Schema.short(need))', which is no step of this pipeline (steps: \(steps.map(\.name).joined(separator: ", ")))")
                }
            }
            if problems.isEmpty, let cycle = PipelineGraph.cycle(steps) {
                issue(here + ["steps"], cycle.description)
            }
            var schedule: JobSchedule?
            if let wantedSchedule = wanted.schedule {
                do {
                    _ = try Cron(wantedSchedule.cron)
                } catch {
                    issue(here + ["schedule", "cron"], "\(error)")
                }
                let timezone = wantedSchedule.timezone ?? "UTC"
                if TimeZone(identifier: timezone) == nil {
                    issue(here + ["schedule", "timezone"], "'\(Schema.short(timezone))' is not a time zone: use an IANA name such as Europe/Berlin or UTC")
                }
                schedule = JobSchedule(
                    cron: wantedSchedule.cron, timezone: timezone, arguments: wantedSchedule.arguments ?? [:], paused: manifestBool(wantedSchedule.paused))
            }
            if let selected, selected.plugin.orchestration == .unsupported {
                let able = engines.plugins.filter { $0.orchestration != .unsupported }.map(\.kind.rawValue)
                issue(here, "engine \(selected.engine) (target \(selected.name)) cannot run pipelines: pipelines run on \(able.joined(separator: ", "))")
            }
            if !problems.isEmpty { throw LoadError.issues(problems) }
            let notify = wanted.notify.map { notify in
                JobNotify(on: (notify.on ?? []).isEmpty ? ["failed", "timeout"] : Array(Set(notify.on ?? [])).sorted(), snsTopic: notify.snsTopic)
            }
            pipelines.append(
                Pipeline(
                    name: name, arguments: wanted.arguments ?? [:], steps: steps, schedule: schedule, notify: notify,
                    preventDestroy: manifestBool(wanted.preventDestroy) ?? false))
        }
        if let clash = pipelines.first(where: { pipeline in jobs.contains { $0.name == pipeline.name } }) {
            let node = root.node(at: ["pipelines", clash.name])
            throw LoadError.issues([
                ManifestIssue(
                    file: file, line: node?.mark?.line ?? 1, column: node?.mark?.column ?? 1, path: "pipelines.\(clash.name)",
                    message: "'\(clash.name)' is also a job: 'deployer run \(clash.name)' must name one thing; rename the pipeline")
            ])
        }
        return pipelines
    }
}
