import Foundation

/// The bundles of a target's jobs, each for the Python and delivery its runtime has there.
extension DependencyBuilder {
    /// The bundle of every job with a lock on `target`, by job name. A job whose runtime runs
    /// another Python on this engine (Glue's Python shell: CPython 3.9, every package as a wheel)
    /// gets its bundle for that Python and delivery; every other job for `targetRuntime`'s
    /// Python (asked only when such a job has a lock) and the engine's delivery.
    public func bundles(_ jobs: [Job], on target: Target, targetRuntime: () async throws -> PythonRuntime) async throws -> [String: DependencyBundle] {
        let plugin = target.plugin
        let own = jobs.filter { plugin.jobPython(for: $0.runtime(on: target), target: target) == nil && !$0.requirementFiles(on: target).isEmpty }
        var bundles = own.isEmpty ? [:] : try self.bundles(own, runtime: try await targetRuntime(), delivery: plugin.dependencyDelivery, target: target)
        for job in jobs {
            let runtime = job.runtime(on: target)
            guard let python = plugin.jobPython(for: runtime, target: target) else { continue }
            bundles.merge(try self.bundles([job], runtime: python, delivery: plugin.jobDelivery(for: runtime), target: target)) { $1 }
        }
        return bundles
    }
}
