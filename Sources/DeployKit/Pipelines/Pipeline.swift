import Foundation

/// `pipelines.NAME`: jobs of the manifest run as one unit, each step after the steps it needs.
public struct Pipeline: Sendable, Equatable {
    /// The pipeline's key under `pipelines`.
    public var name: String
    /// `arguments`: passed to every step (a step's own arguments win).
    public var arguments: [String: String]
    /// `steps`, in file order.
    public var steps: [PipelineStep]
    /// `schedule:`: when the whole pipeline starts on its own.
    public var schedule: JobSchedule?
    /// `notify:`: where failed runs of the pipeline are reported.
    public var notify: JobNotify?
    /// `prevent_destroy: true`.
    public var preventDestroy: Bool

    /// A pipeline from its parts.
    public init(
        name: String, arguments: [String: String] = [:], steps: [PipelineStep], schedule: JobSchedule? = nil, notify: JobNotify? = nil,
        preventDestroy: Bool = false
    ) {
        self.name = name
        self.arguments = arguments
        self.steps = steps
        self.schedule = schedule
        self.notify = notify
        self.preventDestroy = preventDestroy
    }

    /// The argument every step of one pipeline run receives, so one run's outputs share an id.
    public static let runIdArgument = "--run_id"

    /// The arguments step `step` runs with: the pipeline's, the step's over them, and the run id.
    public func arguments(of step: PipelineStep, runId: String) -> [String: String] {
        var merged = arguments.merging(step.arguments) { $1 }
        merged[Self.runIdArgument] = runId
        return merged
    }

    /// The pipeline's own arguments an execution on Step Functions may give (a run's `--arg`, a
    /// backfill's date), by name without `--`, with the manifest's value as the default: those
    /// whose names JSONPath can carry (`as_of`, not `source-path`).
    public var runInputs: [String: String] {
        var inputs: [String: String] = [:]
        for (key, value) in arguments {
            let name = Self.bareName(key)
            if name.range(of: "^[A-Za-z_][A-Za-z0-9_]{0,63}$", options: .regularExpression) != nil { inputs[name] = value }
        }
        return inputs
    }

    /// `--as_of` → `as_of`.
    public static func bareName(_ argument: String) -> String { argument.hasPrefix("--") ? String(argument.dropFirst(2)) : argument }

    /// Step `step`'s arguments on Step Functions: the literals (its own, and the pipeline's that
    /// are no run input) and, for each run input the step does not set itself, the JSONPath of
    /// its value in the state's input (`$.arguments.NAME`, made by the definition's first states).
    public func stateMachineArguments(of step: PipelineStep) -> (literals: [String: String], paths: [String: String]) {
        let inputs = runInputs
        let own = Set(step.arguments.keys.map(Self.bareName))
        var literals = step.arguments
        var paths: [String: String] = [:]
        for (key, value) in arguments where !own.contains(Self.bareName(key)) {
            if inputs[Self.bareName(key)] != nil {
                paths["--" + Self.bareName(key)] = StateMachine.argumentsPath + "." + Self.bareName(key)
            } else {
                literals[key] = value
            }
        }
        return (literals, paths)
    }

    /// The step that sets argument `name` itself (its value wins over a run's), if any.
    public func stepSetting(_ name: String) -> PipelineStep? {
        steps.first { step in step.arguments.keys.contains { Self.bareName($0) == Self.bareName(name) } }
    }

    /// The steps in layers: each layer's steps need only steps of earlier layers, so a layer's
    /// steps may run at the same time. Throws `PipelineGraph.Cycle` when the steps need each
    /// other in a circle.
    public func layers() throws -> [[PipelineStep]] {
        try PipelineGraph.layers(steps)
    }
}

/// One step of a pipeline: a job of the manifest.
public struct PipelineStep: Sendable, Equatable {
    /// The step's name (`name:`, default the job's name); `needs` name steps.
    public var name: String
    /// The job it runs.
    public var job: String
    /// Steps that must succeed before this one starts.
    public var needs: [String]
    /// Arguments for this step only.
    public var arguments: [String: String]
    /// How many times a failed run of the step is started again (default 0).
    public var retries: Int
    /// The step's time limit in minutes, if any.
    public var timeoutMinutes: Int?

    /// A step from its parts.
    public init(name: String, job: String, needs: [String] = [], arguments: [String: String] = [:], retries: Int = 0, timeoutMinutes: Int? = nil) {
        self.name = name
        self.job = job
        self.needs = needs
        self.arguments = arguments
        self.retries = retries
        self.timeoutMinutes = timeoutMinutes
    }
}

/// Order and cycles of a pipeline's steps.
public enum PipelineGraph {
    /// Steps that need each other in a circle, named in order (`a → b → a`).
    public struct Cycle: Error, CustomStringConvertible, Sendable, Equatable {
        /// The steps of the circle, the first repeated at the end.
        public let path: [String]
        /// `steps a → b → a need each other in a cycle`.
        public var description: String { "steps \(path.joined(separator: " → ")) need each other in a cycle: remove one of those needs" }
    }

    /// Kahn's layering, in file order within a layer; unknown needs are ignored (the loader
    /// reports them).
    static func layers(_ steps: [PipelineStep]) throws -> [[PipelineStep]] {
        if let cycle = cycle(steps) { throw cycle }
        let known = Set(steps.map(\.name))
        var done: Set<String> = []
        var left = steps
        var result: [[PipelineStep]] = []
        while !left.isEmpty {
            let ready = left.filter { step in step.needs.allSatisfy { done.contains($0) || !known.contains($0) } }
            guard !ready.isEmpty else { break }
            result.append(ready)
            done.formUnion(ready.map(\.name))
            left.removeAll { step in ready.contains { $0.name == step.name } }
        }
        return result
    }

    /// The first cycle found by depth-first search in file order, or nil.
    public static func cycle(_ steps: [PipelineStep]) -> Cycle? {
        let byName = Dictionary(steps.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var state: [String: Int] = [:]  // 1: on the path, 2: finished
        var path: [String] = []
        func visit(_ name: String) -> Cycle? {
            if state[name] == 2 { return nil }
            if state[name] == 1, let start = path.firstIndex(of: name) { return Cycle(path: Array(path[start...]) + [name]) }
            guard let step = byName[name] else { return nil }
            state[name] = 1
            path.append(name)
            for need in step.needs {
                if let found = visit(need) { return found }
            }
            path.removeLast()
            state[name] = 2
            return nil
        }
        for step in steps {
            if let found = visit(step.name) { return found }
        }
        return nil
    }
}
