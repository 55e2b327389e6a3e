import AWSCore
import Foundation
import XCTest

@testable import DeployKit

/// `pipelines:` in the manifest (every bad value at its line and column), the graph's layers
/// and cycles, and the Step Functions definition checked by the Amazon States Language rules.
final class PipelineTests: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "deployer-pipeline-\(UUID().uuidString)"
        for job in ["extract", "merge", "report", "audit"] {
            try FileManager.default.createDirectory(atPath: directory + "/jobs/\(job)", withIntermediateDirectories: true)
        }
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    let head = """
        project: shop
        targets:
          local: {engine: local, artifacts: {path: state}}
          dev: {engine: glue, region: us-east-1, artifacts: {bucket: shop-artifacts}, role_arn: 'arn:aws:iam::123456789012:role/g'}
          prod:
            engine: emr-serverless
            region: us-east-1
            artifacts: {bucket: shop-artifacts}
            emr_serverless: {application_id: 00abc, execution_role_arn: 'arn:aws:iam::123456789012:role/e'}
          onprem: {engine: emr, region: us-east-1, artifacts: {bucket: shop-artifacts}, emr: {cluster_id: j-ABC}}
        jobs:
          extract: {source: jobs/extract}
          merge: {source: jobs/merge, arguments: {--mode: full}}
          report: {source: jobs/report}
          audit: {source: jobs/audit}

        """

    func load(_ pipelines: String, target: String? = nil) throws -> Manifest {
        try (head + pipelines).write(toFile: directory + "/deployer.yml", atomically: true, encoding: .utf8)
        return try ManifestLoader(environment: [:]).load(file: directory + "/deployer.yml", target: target)
    }

    func problems(_ pipelines: String, target: String? = nil) -> String {
        do {
            _ = try load(pipelines, target: target)
            return "(loaded)"
        } catch {
            return "\(error)"
        }
    }

    let nightly = """
        pipelines:
          nightly:
            arguments: {--as_of: "2024-01-31"}
            steps:
              - job: extract
              - job: merge
                needs: [extract]
                arguments: {--source_format: cdc}
                retries: 2
                timeout_minutes: 30
              - job: report
                needs: [merge]
              - job: audit
                needs: [merge]
        """

    /// `steps[].engines.ENGINE.arguments`: a step's paths differ between targets; only the
    /// selected target's engine's are used (and interpolated), over the step's own.
    func testStepArgumentsPerEngineApplyToThatEngineOnly() throws {
        let text = """
            pipelines:
              nightly:
                steps:
                  - job: extract
                  - job: report
                    needs: [extract]
                    arguments: {--source_format: cdc, --source_path: local/merged}
                    engines:
                      glue: {arguments: {--source_path: "s3://${tf.data_bucket}/merged/"}}

            """
        let local = try load(text, target: "local")
        XCTAssertEqual(
            local.pipelines.first?.steps.last?.arguments, ["--source_format": "cdc", "--source_path": "local/merged"],
            "glue's ${tf.…} is not resolved for another engine")
        try (head + text).write(toFile: directory + "/deployer.yml", atomically: true, encoding: .utf8)
        try #"{"data_bucket": {"value": "lake"}}"#.write(toFile: directory + "/tf.json", atomically: true, encoding: .utf8)
        let dev = try ManifestLoader(environment: [:], terraformOutputs: directory + "/tf.json").load(file: directory + "/deployer.yml", target: "dev")
        XCTAssertEqual(dev.pipelines.first?.steps.last?.arguments, ["--source_format": "cdc", "--source_path": "s3://lake/merged/"])
        let bad = problems(text.replacingOccurrences(of: "glue: {arguments", with: "gluu: {arguments"), target: "dev")
        XCTAssertTrue(bad.contains("pipelines.nightly.steps[1].engines.gluu"), bad)
    }

    func testPipelineLoadsWithItsStepsArgumentsAndLayers() throws {
        let manifest = try load(nightly)
        let pipeline = try XCTUnwrap(manifest.pipeline("nightly"))
        XCTAssertEqual(pipeline.steps.map(\.name), ["extract", "merge", "report", "audit"])
        XCTAssertEqual(
            pipeline.steps[1],
            PipelineStep(name: "merge", job: "merge", needs: ["extract"], arguments: ["--source_format": "cdc"], retries: 2, timeoutMinutes: 30))
        XCTAssertEqual(try pipeline.layers().map { $0.map(\.name) }, [["extract"], ["merge"], ["report", "audit"]])
        XCTAssertEqual(pipeline.arguments(of: pipeline.steps[1], runId: "r1"), ["--as_of": "2024-01-31", "--source_format": "cdc", "--run_id": "r1"])
    }

    func testBadPipelinesAreNamedAtTheirLineAndColumn() {
        let file = directory + "/deployer.yml"
        let cases: [(String, String)] = [
            (
                "pipelines:\n  p:\n    steps:\n      - job: nope\n",
                "\(file):19:14: pipelines.p.steps[0].job: no job 'nope' in this manifest (jobs: audit, extract, merge, report)"
            ),
            (
                "pipelines:\n  p:\n    steps:\n      - job: extract\n      - job: extract\n",
                "pipelines.p.steps[1]: step 'extract' appears twice: give one of them another name:"
            ),
            (
                "pipelines:\n  p:\n    steps:\n      - job: extract\n        needs: [ghost]\n",
                "pipelines.p.steps[0].needs: needs 'ghost', which is no step of this pipeline (steps: extract)"
            ),
            ("pipelines:\n  p:\n    steps:\n      - job: extract\n        needs: [extract]\n", "step 'extract' needs itself"),
            (
                "pipelines:\n  p:\n    steps:\n      - {job: extract, needs: [report]}\n      - {job: merge, needs: [extract]}\n      - {job: report, needs: [merge]}\n",
                "pipelines.p.steps: steps extract → report → merge → extract need each other in a cycle: remove one of those needs"
            ),
            ("pipelines:\n  p:\n    steps: []\n", "pipelines.p.steps: a pipeline needs at least one step"),
            ("pipelines:\n  p:\n    steps:\n      - {job: extract, retries: 10}\n", "pipelines.p.steps[0].retries"),
            ("pipelines:\n  p:\n    steps:\n      - {job: extract, timeout_minutes: 0}\n", "pipelines.p.steps[0].timeout_minutes"),
            ("pipelines:\n  p:\n    steps:\n      - {job: extract, colour: blue}\n", "colour"),
            ("pipelines:\n  p:\n    schedule: {cron: \"0 3 * *\"}\n    steps:\n      - {job: extract}\n", "pipelines.p.schedule.cron"),
            (
                "pipelines:\n  p:\n    schedule: {cron: \"0 3 * * ? *\", timezone: Mars/Olympus}\n    steps:\n      - {job: extract}\n",
                "'Mars/Olympus' is not a time zone"
            ),
            ("pipelines:\n  extract:\n    steps:\n      - {job: merge}\n", "pipelines.extract: 'extract' is also a job"),
            ("pipelines:\n  9p:\n    steps:\n      - {job: merge}\n", "9p"),
        ]
        for (text, expected) in cases {
            let found = problems(text)
            XCTAssertTrue(found.contains(expected), "\(text)\n→ \(found)")
            XCTAssertFalse(found.contains("\n"), "one line: \(found)")
        }
    }

    func testEveryBuiltInEngineCanRunPipelines() throws {
        for target in ["local", "dev", "prod", "onprem"] {
            XCTAssertNoThrow(try load(nightly, target: target), target)
        }
    }

    /// The definition for Glue: layers in order, Parallel for the independent steps, .sync
    /// tasks with the run id, Retry and Catch; valid by the States Language rules.
    func testGlueStateMachineIsValidASL() throws {
        let manifest = try load(nightly, target: "dev")
        let pipeline = try XCTUnwrap(manifest.pipeline("nightly"))
        let plugin = try manifest.target("dev").plugin
        let definition = try StateMachine.definition(pipeline) { step in
            try XCTUnwrap(StateMachine.task(step, of: pipeline, plugin: plugin, name: "shop-dev-\(step.job)", engineDefinition: .object([:])))
        }
        XCTAssertEqual(try ASLRules.problems(definition), [])
        // The pipeline's own argument is a run input: its default beside the execution's input,
        // merged before the first step, which reads it by path.
        XCTAssertEqual(definition["StartAt"]?.stringValue, "Arguments")
        XCTAssertEqual(definition["States"]?["Arguments"]?["Parameters"]?["defaults"], .object(["as_of": .string("2024-01-31")]))
        XCTAssertEqual(definition["States"]?["Arguments"]?["Next"]?.stringValue, "Merge arguments")
        XCTAssertEqual(
            definition["States"]?["Merge arguments"]?["Parameters"]?["arguments.$"]?.stringValue, "States.JsonMerge($.defaults, $.given, false)")
        XCTAssertEqual(definition["States"]?["Merge arguments"]?["Next"]?.stringValue, "Run extract")
        XCTAssertEqual(StateMachine.inputs(ofDefinition: definition), ["as_of"])
        let merge = try XCTUnwrap(definition["States"]?["Run merge"])
        XCTAssertEqual(merge["Parameters"]?["Arguments"]?["--as_of.$"]?.stringValue, "$.arguments.as_of")
        XCTAssertNil(merge["Parameters"]?["Arguments"]?["--as_of"])
        XCTAssertEqual(merge["Resource"]?.stringValue, "arn:aws:states:::glue:startJobRun.sync")
        XCTAssertEqual(merge["Parameters"]?["JobName"]?.stringValue, "shop-dev-merge")
        XCTAssertEqual(merge["Parameters"]?["Arguments"]?["--run_id.$"]?.stringValue, "$$.Execution.Name")
        XCTAssertEqual(merge["Parameters"]?["Arguments"]?["--source_format"]?.stringValue, "cdc")
        XCTAssertEqual(merge["TimeoutSeconds"], .number(1800))
        XCTAssertEqual(merge["Next"]?.stringValue, "Layer 3")
        guard case .array(let retry)? = merge["Retry"] else { return XCTFail("Retry") }
        XCTAssertEqual(retry.count, 2, "transient errors, and the step's own retries")
        XCTAssertEqual(retry[1]["MaxAttempts"], .number(2))
        let layer = try XCTUnwrap(definition["States"]?["Layer 3"])
        XCTAssertEqual(layer["Type"]?.stringValue, "Parallel")
        XCTAssertEqual(layer["End"], .bool(true))
        // The execution's cause names the step, then the engine's cause (the run, for a .sync task).
        XCTAssertEqual(definition["States"]?["Failed merge"]?["CausePath"]?.stringValue, "States.Format('step merge (job merge) failed: {}', $.error.Cause)")
    }

    func testEMRServerlessStateMachineCarriesTheTemplateAndTheRunId() throws {
        let manifest = try load(nightly, target: "prod")
        let pipeline = try XCTUnwrap(manifest.pipeline("nightly"))
        let plugin = try manifest.target("prod").plugin
        let template: JSONValue = .object([
            "applicationId": .string("00abc"), "executionRoleArn": .string("arn:aws:iam::123456789012:role/e"),
            "jobDriver": .object([
                "sparkSubmit": .object([
                    "entryPoint": .string("s3://b/main.py"),
                    "entryPointArguments": .array([.string("--note"), .string("it's {x}")]),
                    "sparkSubmitParameters": .string("--py-files s3://b/code.zip"),
                ])
            ]),
        ])
        let definition = try StateMachine.definition(pipeline) { step in
            try XCTUnwrap(StateMachine.task(step, of: pipeline, plugin: plugin, name: "shop-prod-\(step.job)", engineDefinition: template))
        }
        XCTAssertEqual(try ASLRules.problems(definition), [])
        let parameters = try XCTUnwrap(definition["States"]?["Run extract"]?["Parameters"])
        XCTAssertEqual(parameters["ApplicationId"]?.stringValue, "00abc")
        XCTAssertEqual(
            parameters["JobDriver"]?["SparkSubmit"]?["EntryPointArguments.$"]?.stringValue,
            #"States.Array('--note', 'it\'s \{x\}', '--as_of', $.arguments.as_of, '--run_id', $$.Execution.Name)"#)
        XCTAssertNil(
            try StateMachine.definition(pipeline) { _ in StateMachine.Task(resource: "x", parameters: .null, transientErrors: []) }["States"]?["Run extract"]?[
                "Retry"],
            "no Retry without transient errors or retries")
    }

    /// Run inputs are the pipeline's own arguments JSONPath can name; a step that sets one itself
    /// keeps its literal; a pipeline without arguments starts at its first step, as before.
    func testRunInputsAreThePipelinesOwnArgumentsAndAStepsOwnValueWins() throws {
        let manifest = try load(
            """
            pipelines:
              nightly:
                arguments: {--as_of: "", --source-path: s3://b/x}
                steps:
                  - job: extract
                  - job: merge
                    needs: [extract]
                    arguments: {--as_of: "2020-01-31"}
              plain:
                steps:
                  - job: report
            """, target: "dev")
        let nightly = try XCTUnwrap(manifest.pipeline("nightly"))
        XCTAssertEqual(nightly.runInputs, ["as_of": ""], "source-path has a '-' JSONPath would need brackets for: it stays a literal")
        XCTAssertEqual(nightly.stepSetting("--as_of")?.name, "merge")
        let extract = nightly.stateMachineArguments(of: nightly.steps[0])
        XCTAssertEqual(extract.literals, ["--source-path": "s3://b/x"])
        XCTAssertEqual(extract.paths, ["--as_of": "$.arguments.as_of"])
        let merge = nightly.stateMachineArguments(of: nightly.steps[1])
        XCTAssertEqual(merge.literals["--as_of"], "2020-01-31")
        XCTAssertEqual(merge.paths, [:])
        let plugin = try manifest.target("dev").plugin
        let plain = try XCTUnwrap(manifest.pipeline("plain"))
        let definition = try StateMachine.definition(plain) { step in
            try XCTUnwrap(StateMachine.task(step, of: plain, plugin: plugin, name: "shop-dev-\(step.job)", engineDefinition: .object([:])))
        }
        XCTAssertEqual(try ASLRules.problems(definition), [])
        XCTAssertEqual(definition["StartAt"]?.stringValue, "Run report")
        XCTAssertNil(definition["States"]?["Arguments"])
        XCTAssertEqual(StateMachine.inputs(ofDefinition: definition), [])
    }

    /// A failed execution's cause (the Fail state's `step … failed: ` and the engine's run as
    /// JSON) is told with the run's id, state and message; other causes as they are.
    func testWhyTellsTheFailedRun() {
        let glue = #"step prep (job prep) failed: {"Id":"jr_1","JobName":"p","JobRunState":"FAILED","ErrorMessage":"boom","Arguments":{"--a":"b"}}"#
        XCTAssertEqual(
            PipelineExecutions.why(error: "deployer.StepFailed", cause: glue), "deployer.StepFailed: step prep (job prep) failed: run jr_1 FAILED: boom")
        let serverless = #"{"JobRunId":"00f1","State":"FAILED","StateDetails":"Job failed"}"#
        XCTAssertEqual(PipelineExecutions.why(error: "States.TaskFailed", cause: serverless), "States.TaskFailed: run 00f1 FAILED: Job failed")
        XCTAssertEqual(PipelineExecutions.why(error: "States.Timeout", cause: "step a (job a) failed: "), "States.Timeout: step a (job a) failed: ")
        XCTAssertEqual(PipelineExecutions.why(error: "X", cause: "see {not json"), "X: see {not json")
        XCTAssertEqual(PipelineExecutions.why(error: nil, cause: nil), "")
    }

    func testTheRulesCheckerRefusesBrokenDefinitions() throws {
        let broken: JSONValue = .object([
            "StartAt": .string("A"),
            "States": .object([
                "A": .object(["Type": .string("Task"), "Resource": .string("arn:x"), "Next": .string("Nowhere")]),
                "B": .object(["Type": .string("Pass"), "End": .bool(true)]),
                "D": .object(["Type": .string("Fail"), "Cause": .string("c"), "CausePath": .string("$.c")]),
                "C": .object(["Type": .string("Task"), "Resource": .string("arn:x"), "Retry": .array([.object(["MaxAttempts": .number(2)])])]),
            ]),
        ])
        let found = try ASLRules.problems(broken)
        XCTAssertTrue(found.contains("A: Next 'Nowhere' is no state"), "\(found)")
        XCTAssertTrue(found.contains("B: not reachable from StartAt"), "\(found)")
        XCTAssertTrue(found.contains("C: neither Next nor End"), "\(found)")
        XCTAssertTrue(found.contains("C: Retry[0] has no ErrorEquals"), "\(found)")
        XCTAssertTrue(found.contains("D: both Cause and CausePath"), "\(found)")
    }
}

/// The Amazon States Language rules a definition must keep (the suite's own checker, as no
/// validator is at hand here): StartAt and every Next name a state of the same scope, every
/// state is reachable, Task/Pass/Parallel end with Next or End (not both), Fail/Succeed have
/// neither (and Cause or CausePath, not both), Retry and Catch entries have ErrorEquals (Catch also Next), Parallel branches are
/// valid machines themselves.
enum ASLRules {
    static func problems(_ machine: JSONValue, scope: String = "") throws -> [String] {
        guard case .object(let states)? = machine["States"], let start = machine["StartAt"]?.stringValue else { return ["\(scope)no StartAt or States"] }
        var found: [String] = []
        if states[start] == nil { found.append("\(scope)StartAt '\(start)' is no state") }
        var reachable: Set<String> = [start]
        var queue = [start]
        while let name = queue.popLast() {
            guard let state = states[name] else { continue }
            var targets: [String] = []
            if let next = state["Next"]?.stringValue { targets.append(next) }
            if case .array(let catches)? = state["Catch"] { targets += catches.compactMap { $0["Next"]?.stringValue } }
            for target in targets where reachable.insert(target).inserted { queue.append(target) }
        }
        for (name, state) in states.sorted(by: { $0.key < $1.key }) {
            let type = state["Type"]?.stringValue ?? ""
            if !reachable.contains(name) { found.append("\(scope)\(name): not reachable from StartAt") }
            let next = state["Next"]?.stringValue
            let end = state["End"] == .bool(true)
            if let next, states[next] == nil { found.append("\(scope)\(name): Next '\(next)' is no state") }
            switch type {
            case "Task", "Pass", "Parallel", "Map", "Wait":
                if next == nil && !end { found.append("\(scope)\(name): neither Next nor End") }
                if next != nil && end { found.append("\(scope)\(name): both Next and End") }
            case "Fail", "Succeed":
                if next != nil || state["End"] != nil { found.append("\(scope)\(name): a terminal state with Next or End") }
                for field in ["Cause", "Error"] where state[field] != nil && state[field + "Path"] != nil {
                    found.append("\(scope)\(name): both \(field) and \(field)Path")
                }
            case "Choice":
                break
            default:
                found.append("\(scope)\(name): unknown Type '\(type)'")
            }
            if type == "Task", state["Resource"]?.stringValue == nil { found.append("\(scope)\(name): a Task without Resource") }
            for field in ["Retry", "Catch"] {
                guard case .array(let entries)? = state[field] else { continue }
                for (index, entry) in entries.enumerated() {
                    guard case .array(let errors)? = entry["ErrorEquals"], !errors.isEmpty else {
                        found.append("\(scope)\(name): \(field)[\(index)] has no ErrorEquals")
                        continue
                    }
                    if field == "Catch", let target = entry["Next"]?.stringValue, states[target] == nil {
                        found.append("\(scope)\(name): Catch[\(index)] Next '\(target)' is no state")
                    }
                }
            }
            if type == "Parallel" {
                guard case .array(let branches)? = state["Branches"], !branches.isEmpty else {
                    found.append("\(scope)\(name): a Parallel without Branches")
                    continue
                }
                for (index, branch) in branches.enumerated() { found += try problems(branch, scope: "\(scope)\(name).Branches[\(index)].") }
            }
        }
        return found
    }
}
