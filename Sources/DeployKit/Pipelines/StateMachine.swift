import AWSCore
import Foundation

/// A pipeline as an Amazon States Language definition (a Standard state machine): the steps in
/// layers (`PipelineGraph`), a layer of one step a Task, of several a Parallel with a branch per
/// step; each Task the `.sync` integration of its engine, retried with backoff on throttles
/// and transient errors (and `retries` more times on a failed run), caught into a Fail state
/// that names the step. Every step gets `--run_id` = the execution's name.
public enum StateMachine {
    /// How a step's engine starts and waits for one run, from the plug-in.
    public struct Task: Sendable, Equatable {
        /// `arn:aws:states:::SERVICE:ACTION.sync`.
        public var resource: String
        /// The integration's Parameters.
        public var parameters: JSONValue
        /// Error names of the integration that are worth retrying (throttles, 5xx).
        public var transientErrors: [String]

        /// A task from its parts.
        public init(resource: String, parameters: JSONValue, transientErrors: [String]) {
            self.resource = resource
            self.parameters = parameters
            self.transientErrors = transientErrors
        }
    }

    /// The JSONPath of the execution's name: every step's `--run_id`.
    public static let runIdPath = "$$.Execution.Name"

    /// Where the steps find the run's arguments: the execution's input over the pipeline's
    /// defaults (`Pipeline.runInputs`), merged by the definition's first two states.
    public static let argumentsPath = "$.arguments"
    /// The Pass state holding the defaults (`Parameters.defaults`) beside the execution's input.
    public static let argumentsState = "Arguments"
    static let mergeState = "Merge arguments"

    /// The definition of `pipeline`; `task` gives each step's Task (nil: the engine cannot).
    public static func definition(_ pipeline: Pipeline, task: (PipelineStep) throws -> Task) throws -> JSONValue {
        let layers = try pipeline.layers()
        var states: [String: JSONValue] = [:]
        let names = layers.enumerated().map { index, layer in layer.count == 1 ? stateName(layer[0]) : "Layer \(index + 1)" }
        for (index, layer) in layers.enumerated() {
            let next = index + 1 < names.count ? names[index + 1] : nil
            if layer.count == 1 {
                let step = layer[0]
                states[stateName(step)] = try taskState(step, task: try task(step), next: next)
                states[failName(step)] = failState(step)
            } else {
                var branches: [JSONValue] = []
                for step in layer {
                    branches.append(
                        .object([
                            "StartAt": .string(stateName(step)),
                            "States": .object([stateName(step): try taskState(step, task: try task(step), next: nil), failName(step): failState(step)]),
                        ]))
                }
                var parallel: [String: JSONValue] = ["Type": .string("Parallel"), "Branches": .array(branches), "ResultPath": .null]
                if let next { parallel["Next"] = .string(next) } else { parallel["End"] = .bool(true) }
                states[names[index]] = .object(parallel)
            }
        }
        var start = names.first ?? "Done"
        let inputs = pipeline.runInputs
        if !inputs.isEmpty {
            // Defaults and the execution's input side by side, then one over the other: a run
            // that gives no value (a schedule's `{}`) runs with the manifest's.
            states[argumentsState] = .object([
                "Type": .string("Pass"), "Next": .string(mergeState),
                "Parameters": .object(["defaults": .object(inputs.mapValues(JSONValue.string)), "given.$": .string("$")]),
            ])
            states[mergeState] = .object([
                "Type": .string("Pass"), "Next": .string(start),
                "Parameters": .object(["arguments.$": .string("States.JsonMerge($.defaults, $.given, false)")]),
            ])
            start = argumentsState
        }
        return .object([
            "Comment": .string("deployer pipeline \(pipeline.name): \(pipeline.steps.map(\.name).joined(separator: ", "))"),
            "StartAt": .string(start),
            "States": .object(states),
        ])
    }

    /// The run inputs a deployed definition takes (its `Arguments` state's defaults).
    public static func inputs(ofDefinition definition: JSONValue) -> Set<String> {
        guard case .object(let defaults)? = definition["States"]?[argumentsState]?["Parameters"]?["defaults"] else { return [] }
        return Set(defaults.keys)
    }

    /// Step `step`'s Task on `plugin` for its job `name` (recorded as `engineDefinition`): the
    /// step's arguments as written, the pipeline's run inputs by their path.
    public static func task(_ step: PipelineStep, of pipeline: Pipeline, plugin: any EnginePlugin, name: String, engineDefinition: JSONValue) -> Task? {
        let arguments = pipeline.stateMachineArguments(of: step)
        return plugin.pipelineTask(name: name, engineDefinition: engineDefinition, arguments: arguments.literals, paths: arguments.paths)
    }

    static func stateName(_ step: PipelineStep) -> String { "Run \(step.name)" }
    /// The step a Task state runs (`Run NAME` → `NAME`), nil for other states.
    static func stepName(ofState state: String) -> String? { state.hasPrefix("Run ") ? String(state.dropFirst(4)) : nil }
    static func failName(_ step: PipelineStep) -> String { "Failed \(step.name)" }

    static func taskState(_ step: PipelineStep, task: Task, next: String?) throws -> JSONValue {
        var retry: [JSONValue] = []
        if !task.transientErrors.isEmpty {
            retry.append(
                .object([
                    "ErrorEquals": .array(task.transientErrors.map(JSONValue.string)), "IntervalSeconds": .number(10),
                    "MaxAttempts": .number(5), "BackoffRate": .number(2),
                ]))
        }
        if step.retries > 0 {
            retry.append(
                .object([
                    "ErrorEquals": .array([.string("States.TaskFailed")]), "IntervalSeconds": .number(60),
                    "MaxAttempts": .number(Double(step.retries)), "BackoffRate": .number(2),
                ]))
        }
        var state: [String: JSONValue] = [
            "Type": .string("Task"),
            "Resource": .string(task.resource),
            "Parameters": task.parameters,
            "ResultPath": .null,
            "Catch": .array([.object(["ErrorEquals": .array([.string("States.ALL")]), "ResultPath": .string("$.error"), "Next": .string(failName(step))])]),
        ]
        if !retry.isEmpty { state["Retry"] = .array(retry) }
        if let minutes = step.timeoutMinutes { state["TimeoutSeconds"] = .number(Double(minutes * 60)) }
        if let next { state["Next"] = .string(next) } else { state["End"] = .bool(true) }
        return .object(state)
    }

    /// Ends the execution FAILED naming the step and, after `failed: `, the engine's cause (the
    /// Catch's `$.error.Cause`: for a `.sync` run the run as JSON, with its id and state), so
    /// the alert built from the execution's status change names the step and its run.
    static func failState(_ step: PipelineStep) -> JSONValue {
        let format = "States.Format('\(intrinsicLiteral(failedPrefix(step))){}', $.error.Cause)"
        return .object(["Type": .string("Fail"), "Error": .string("deployer.StepFailed"), "CausePath": .string(format)])
    }

    /// The start of a failed execution's cause: `step NAME (job JOB) failed: `.
    public static func failedPrefix(_ step: PipelineStep) -> String { "step \(step.name) (job \(step.job)) failed: " }

    /// `text` as the body of an intrinsic function's string literal: `'`, `{`, `}` and `\` escaped.
    static func intrinsicLiteral(_ text: String) -> String {
        var result = ""
        for character in text {
            if "'{}\\".contains(character) { result.append("\\") }
            result.append(character)
        }
        return result
    }

    /// `States.Array('a', 'b', '--as_of', $.arguments.as_of, '--run_id', $$.Execution.Name)`: a
    /// list of literal strings, then each argument of `paths` (name, then the value at its
    /// JSONPath, in name order), ending with the run id; literals quoted for the intrinsic (`'`,
    /// `{`, `}` and `\` escaped).
    public static func arrayWithRunId(_ literals: [String], paths: [String: String] = [:]) -> String {
        var items = literals.map { "'\(intrinsicLiteral($0))'" }
        for (name, path) in paths.sorted(by: { $0.key < $1.key }) { items += ["'\(intrinsicLiteral(name))'", path] }
        return "States.Array(\((items + ["'\(Pipeline.runIdArgument)'", runIdPath]).joined(separator: ", ")))"
    }
}
