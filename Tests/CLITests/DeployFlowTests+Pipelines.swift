import AWSCore
import AWSTestSupport
import Foundation
import XCTest

/// Pipelines on AWS engines: a Step Functions state machine deployed like a job (plan by state,
/// drift, update, destroy) and run as an execution (moto executes it: Tests/peers/moto_gaps.py 9).
extension DeployFlowTests {
    /// A Glue target with two jobs (`prep`, `load`) and pipeline `nightly` = prep → load.
    func gluePipelineManifest(_ peers: Peers, bucket: String, asOf: String = "2021-06-30", topic: String? = nil) throws -> String {
        let role = try XCTUnwrap(ProcessInfo.processInfo.environment["DEPLOYER_IT_MOTO_PIPELINE_ROLE_ARN"], "peers without a pipeline role: restart them")
        let path = work + "/deployer.yml"
        try """
        project: \(project)
        targets:
        \(glueDev(bucket: bucket, account: peers.account, "pipeline_role_arn: \(role)", "schedule_role_arn: arn:aws:iam::\(peers.account):role/scheduler"))
        jobs:
          prep:
            source: sales_etl
          load:
            source: sales_etl
        pipelines:
          nightly:
            arguments: {as_of: "\(asOf)"}
            \(topic.map { "schedule: {cron: \"0 3 * * ? *\", timezone: Europe/Berlin}\n    notify: {on: [failed, timeout], sns_topic: \"\($0)\"}" } ?? "")
            steps:
              - job: prep
              - job: load
                needs: [prep]
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func sfn(_ peers: Peers) throws -> StepFunctionsClient { StepFunctionsClient(client: try client(peers)) }

    /// Waits (bounded) for the first Glue run of job `name`.
    func firstGlueRun(_ name: String, _ peers: Peers, seconds: Double = 60) async throws -> GlueClient.JobRun? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let run = try await GlueClient(client: client(peers)).getJobRuns(name: name, maxResults: 10).first { return run }
            try await Task.sleep(for: .milliseconds(200))
        }
        return nil
    }

    func testGluePipelineIsAStateMachinePlannedByStateRunInOrderStoppedAndDestroyed() async throws {
        let peers = try peers()
        guard ProcessInfo.processInfo.environment["DEPLOYER_IT_MOTO_PIPELINE_ROLE_ARN"] != nil else { throw XCTSkip("peers without a pipeline role") }
        let bucket = "itest-pipe-\(UInt32.random(in: 0...UInt32.max))"
        let aws = try client(peers)
        try await S3Client(client: aws).createBucket(bucket: bucket)
        let inbox = try await alertInbox(aws, peers)
        _ = try gluePipelineManifest(peers, bucket: bucket, topic: inbox.topic)
        try await motoControl(peers, "/moto-api/config", #"{"stepfunctions": {"execute_state_machine": true}}"#)
        let machine = "\(project)-dev-nightly"
        let arn = "arn:aws:states:us-east-1:\(peers.account):stateMachine:\(machine)"

        let first = try deployer(["plan", "-t", "dev", "--detailed-exitcode"], peers)
        XCTAssertEqual(first.status, 2, first.all)
        XCTAssertTrue(first.stdout.contains("+ create pipeline nightly (state machine \(machine))"), first.stdout)
        XCTAssertTrue(first.stdout.contains("Pipelines: 1 to create, 0 to update, 0 unchanged."), first.stdout)
        let apply = try deployer(["apply", "-t", "dev", "--auto-approve"], peers)
        XCTAssertEqual(apply.status, 0, apply.all)
        XCTAssertTrue(apply.stderr.contains("creating state machine \(machine) (pipeline nightly)"), apply.stderr)
        let live = try await XCTUnwrapAsync(try await sfn(peers).describeStateMachine(arn: arn))
        XCTAssertTrue(live.definition.contains("arn:aws:states:::glue:startJobRun.sync") && live.definition.contains("\(project)-dev-load"), live.definition)
        // The schedule starts the state machine; the execution is named by the firing.
        let scheduled = try await XCTUnwrapAsync(try await SchedulerClient(client: aws).getSchedule(name: "deployer-\(machine)"))
        XCTAssertEqual(scheduled.target?.arn, "arn:aws:scheduler:::aws-sdk:sfn:startExecution")
        XCTAssertEqual(scheduled.state, "DISABLED", "dev: paused by default")
        let input = try XCTUnwrap(JSONSerialization.jsonObject(with: Data((scheduled.target?.input ?? "").utf8)) as? [String: String])
        XCTAssertEqual(input, ["StateMachineArn": arn, "Name": "<aws.scheduler.execution-id>", "Input": "{}"])
        let rule = try await XCTUnwrapAsync(try await EventsClient(client: aws).describeRule(name: "deployer-\(machine)-alerts"))
        XCTAssertTrue(
            (rule.eventPattern ?? "").contains("Step Functions Execution Status Change") && (rule.eventPattern ?? "").contains(arn), rule.eventPattern ?? "")
        let same = try deployer(["plan", "-t", "dev", "--detailed-exitcode"], peers)
        XCTAssertEqual(same.status, 0, same.all)
        XCTAssertTrue(same.stdout.contains("No changes. 2 jobs and 1 pipeline up to date on target dev."), same.stdout)
        let record = try deployer(["deployments", "-t", "dev", "--json"], peers)
        XCTAssertEqual(record.status, 0, record.all)

        // A changed pipeline argument: one field of one state, not the whole definition.
        _ = try gluePipelineManifest(peers, bucket: bucket, asOf: "2021-07-31", topic: inbox.topic)
        let changed = try deployer(["plan", "-t", "dev", "--detailed-exitcode"], peers)
        XCTAssertEqual(changed.status, 2, changed.all)
        XCTAssertTrue(changed.stdout.contains("~ update pipeline nightly (state machine \(machine))"), changed.stdout)
        // The pipeline's own argument is a run input: its default is one field of the Arguments state.
        XCTAssertTrue(changed.stdout.contains("~ definition.States.Arguments.Parameters.defaults.as_of: 2021-06-30 → 2021-07-31"), changed.stdout)
        XCTAssertTrue(
            changed.stdout.contains("Plan: 0 artifacts to upload, 0 to create, 0 to update, 2 unchanged. Pipelines: 0 to create, 1 to update, 0 unchanged."),
            changed.stdout)
        XCTAssertEqual(try deployer(["apply", "-t", "dev", "--auto-approve"], peers).status, 0)
        XCTAssertEqual(try deployer(["plan", "-t", "dev", "--detailed-exitcode"], peers).status, 0, "the state machine was updated")

        // Drift: the definition changed outside deployer shows per field, and apply restores it.
        let edited = try await XCTUnwrapAsync(try await sfn(peers).describeStateMachine(arn: arn))
        try await sfn(peers).updateStateMachine(
            arn: arn, definition: edited.definition.replacingOccurrences(of: "2021-07-31", with: "1999-01-01"), roleArn: edited.roleArn)
        let drift = try deployer(["plan", "-t", "dev", "--detailed-exitcode"], peers)
        XCTAssertEqual(drift.status, 2, drift.all)
        XCTAssertTrue(
            drift.stdout.contains(
                "~ drift: definition.States.Arguments.Parameters.defaults.as_of 2021-07-31 → 1999-01-01, changed outside deployer (apply sets 2021-07-31)"),
            drift.stdout)
        XCTAssertEqual(try deployer(["apply", "-t", "dev", "--auto-approve"], peers).status, 0)
        XCTAssertEqual(try deployer(["plan", "-t", "dev", "--detailed-exitcode"], peers).status, 0, "apply restored the definition")

        // A run: both steps in order, both given the execution's name as --run_id.
        let run = try deployer(["run", "nightly", "-t", "dev", "--idempotency-key", "night-1"], peers)
        XCTAssertEqual(run.status, 0, run.all)
        XCTAssertTrue(run.stdout.contains("started states:dev:nightly:night-1"), run.stdout)
        XCTAssertTrue(run.stdout.contains("prep: started glue:dev:prep:"), run.stdout)
        XCTAssertTrue(run.stdout.contains("load: succeeded"), run.stdout)
        XCTAssertTrue(run.stdout.contains("pipeline nightly run night-1: succeeded"), run.stdout)
        let order = ["prep: started", "prep: succeeded", "load: started", "load: succeeded"].map { run.stdout.range(of: $0)?.lowerBound }
        XCTAssertEqual(order.compactMap { $0 }.count, 4, run.stdout)
        XCTAssertEqual(order.compactMap { $0 }, order.compactMap { $0 }.sorted(), "the steps ran in order: \(run.stdout)")
        for job in ["prep", "load"] {
            let glueRun = try await XCTUnwrapAsync(try await firstGlueRun("\(project)-dev-\(job)", peers))
            XCTAssertEqual(glueRun.arguments?["--run_id"], "night-1", "\(job) got the execution's name as its run id")
            XCTAssertEqual(glueRun.arguments?["--as_of"], "2021-07-31")
        }
        // The same key again: the execution is found, nothing new starts.
        let again = try deployer(["run", "nightly", "-t", "dev", "--idempotency-key", "night-1"], peers)
        XCTAssertEqual(again.status, 0, again.all)
        XCTAssertTrue(again.stdout.contains("found states:dev:nightly:night-1 (an execution of this name exists); not starting another"), again.stdout)
        let runs = try await GlueClient(client: client(peers)).getJobRuns(name: "\(project)-dev-prep", maxResults: 10)
        XCTAssertEqual(runs.count, 1, "no second run of prep")
        // runs PIPELINE: the execution, each step's state and run, the cost with the transitions.
        let listed = try deployer(["runs", "nightly", "-t", "dev", "--json"], peers)
        XCTAssertEqual(listed.status, 0, listed.all)
        let executions = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any])?["executions"] as? [[String: Any]])
        let night = try XCTUnwrap(executions.first { $0["run_id"] as? String == "night-1" }, listed.stdout)
        XCTAssertEqual(night["state"] as? String, "succeeded")
        let steps = try XCTUnwrap(night["steps"] as? [[String: Any]])
        XCTAssertEqual(steps.map { $0["step"] as? String }, ["prep", "load"])
        XCTAssertEqual(steps.map { $0["state"] as? String }, ["succeeded", "succeeded"])
        XCTAssertTrue((steps.first?["handle"] as? String)?.hasPrefix("glue:dev:prep:") == true, listed.stdout)
        XCTAssertGreaterThanOrEqual(night["transitions"] as? Int ?? 0, 2, listed.stdout)
        XCTAssertTrue(((night["cost"] as? [String: Any])?["basis"] as? String)?.contains("transitions × $0.000025") == true, listed.stdout)
        // --attach follows an execution started elsewhere (by the schedule, say) to its end.
        let attached = try deployer(["run", "--attach", "states:dev:nightly:night-1", "-t", "dev"], peers)
        XCTAssertEqual(attached.status, 0, attached.all)
        XCTAssertTrue(
            attached.stdout.contains("attached states:dev:nightly:night-1") && attached.stdout.contains("pipeline nightly run night-1: succeeded"),
            attached.stdout)
        let elsewhere = try deployer(["run", "--attach", "states:prod:nightly:night-1", "-t", "dev"], peers)
        XCTAssertEqual(elsewhere.status, 1, elsewhere.all)
        XCTAssertTrue(elsewhere.stderr.contains("is an execution on target prod, not dev: pass -t prod"), elsewhere.stderr)
        let table = try deployer(["runs", "nightly", "-t", "dev"], peers)
        XCTAssertTrue(table.stdout.contains("nightly  night-1  succeeded"), table.stdout)

        // A failing first step: the second never starts, the execution fails naming the step.
        try await motoControl(
            peers, "/moto-api/state-manager/set-transition",
            #"{"model_name": "glue::job_run", "transition": {"progression": "manual", "times": 100000}}"#)
        let (failing, failingErr) = try backgroundDeployer(["run", "nightly", "-t", "dev", "--idempotency-key", "night-2"], peers)
        let held = try await waitForNewGlueRun("\(project)-dev-prep", besides: runs.compactMap(\.id), peers)
        try await GlueClient(client: client(peers)).stopJobRun(name: "\(project)-dev-prep", runId: try XCTUnwrap(held))
        XCTAssertTrue(finished(failing, within: 90))
        let failedOut = (try? String(contentsOfFile: failingErr + ".out", encoding: .utf8)) ?? ""
        XCTAssertEqual(failing.terminationStatus, 1, failedOut + ((try? String(contentsOfFile: failingErr, encoding: .utf8)) ?? ""))
        let heldRun = try XCTUnwrap(held)
        XCTAssertTrue(failedOut.contains("prep: failed: States.TaskFailed: run \(heldRun) STOPPED"), "\(heldRun): \(failedOut)")
        XCTAssertTrue(
            failedOut.contains("pipeline nightly run night-2: failed (deployer.StepFailed: step prep (job prep) failed: run \(heldRun) STOPPED"), failedOut)
        let loadRuns = try await GlueClient(client: client(peers)).getJobRuns(name: "\(project)-dev-load", maxResults: 10)
        XCTAssertEqual(loadRuns.count, 1, "load did not start after prep failed")
        // status: the pipeline's latest execution failed, so on call's view exits 1 and says why.
        let status = try deployer(["status", "nightly", "-t", "dev"], peers)
        XCTAssertEqual(status.status, 1, status.all)
        XCTAssertTrue(status.stdout.contains("pipeline nightly:") && status.stdout.contains("night-2  failed"), status.stdout)
        XCTAssertTrue(status.stdout.contains("prep failed") && status.stdout.contains("step prep (job prep) failed"), status.stdout)
        // The alert names the failed step. moto's EventBridge neither receives Step Functions'
        // events nor delivers to SNS: deployer's rule target is copied to an SQS queue and the
        // execution's own status change is put on the bus, with its real cause.
        let failedExecution = try await XCTUnwrapAsync(
            try await sfn(peers).describeExecution(arn: "arn:aws:states:us-east-1:\(peers.account):execution:\(machine):night-2"))
        XCTAssertEqual(failedExecution.status, "FAILED")
        try await sendAlerts(of: "deployer-\(machine)-alerts", to: inbox, aws)
        try await EventsClient(client: aws).putEvent(
            source: "aws.states", detailType: "Step Functions Execution Status Change",
            detail: [
                "stateMachineArn": .string(arn), "executionArn": .string(failedExecution.executionArn), "name": "night-2", "status": "FAILED",
                "cause": .string(failedExecution.cause ?? ""),
            ])
        let body = try await firstAlert(inbox, aws)
        // It names the failed step and its run (the cause carries the run Glue reported).
        XCTAssertTrue(body.contains("pipeline nightly execution night-2 ended FAILED: step prep (job prep) failed: "), body)
        XCTAssertTrue(body.contains(heldRun), "the alert names the step's run \(heldRun): \(body)")

        // SIGTERM during the first step: the execution is stopped and the step's run cancelled.
        let before = try await GlueClient(client: client(peers)).getJobRuns(name: "\(project)-dev-prep", maxResults: 10).compactMap(\.id)
        let (stopping, stoppingErr) = try backgroundDeployer(["run", "nightly", "-t", "dev", "--idempotency-key", "night-3"], peers)
        let running = try await XCTUnwrapAsync(try await waitForNewGlueRun("\(project)-dev-prep", besides: before, peers))
        // The step's run shows in the history before the signal, so deployer knows which run to cancel.
        let nightThree = "arn:aws:states:us-east-1:\(peers.account):execution:\(machine):night-3"
        let named = try await historyShows(running, in: nightThree, peers)
        XCTAssertTrue(named, "the history never named run \(running)")
        stopping.terminate()
        XCTAssertTrue(finished(stopping, within: 60))
        let stoppedErr = (try? String(contentsOfFile: stoppingErr, encoding: .utf8)) ?? ""
        XCTAssertEqual(stopping.terminationStatus, 3, stoppedErr)
        XCTAssertTrue(stoppedErr.contains("SIGTERM: stopped execution night-3 of pipeline nightly; cancelled glue:dev:prep:\(running)"), stoppedErr)
        // moto ends a stopped execution when its worker next looks (AWS at once): read until it did.
        var execution: StepFunctionsClient.Execution?
        for _ in 0..<50 {
            execution = try await sfn(peers).describeExecution(arn: "arn:aws:states:us-east-1:\(peers.account):execution:\(machine):night-3")
            if execution?.status != "RUNNING" { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        XCTAssertEqual(execution?.status, "ABORTED")
        let cancelled = try await GlueClient(client: client(peers)).getJobRun(name: "\(project)-dev-prep", runId: running)
        XCTAssertTrue(["STOPPING", "STOPPED"].contains(cancelled.jobRunState ?? ""), "the step's run was stopped: \(cancelled.jobRunState ?? "?")")
        try await motoControl(peers, "/moto-api/state-manager/unset-transition", #"{"model_name": "glue::job_run"}"#)

        // retry of the failed execution: redriven from the failed step, under the same run id.
        let loadBefore = try await GlueClient(client: client(peers)).getJobRuns(name: "\(project)-dev-load", maxResults: 20).count
        let redriven = try deployer(["retry", "states:dev:nightly:night-2", "-t", "dev", "--wait"], peers)
        XCTAssertEqual(redriven.status, 0, redriven.all)
        XCTAssertTrue(redriven.stdout.contains("redriven states:dev:nightly:night-2"), redriven.stdout)
        XCTAssertTrue(redriven.stdout.contains("pipeline nightly run night-2: succeeded"), redriven.stdout)
        let loadAfter = try await GlueClient(client: client(peers)).getJobRuns(name: "\(project)-dev-load", maxResults: 20)
        XCTAssertEqual(loadAfter.count, loadBefore + 1, "load ran once, after prep succeeded")
        XCTAssertTrue(loadAfter.contains { $0.arguments?["--run_id"] == "night-2" }, "with the execution's run id")
        let notAgain = try deployer(["retry", "states:dev:nightly:night-2", "-t", "dev"], peers)
        XCTAssertEqual(notAgain.status, 1, notAgain.all)
        XCTAssertTrue(notAgain.stderr.contains("cannot be redriven"), notAgain.stderr)

        // What the schedule's firing calls, made as the schedule says: the pipeline runs.
        let fired = try await sfn(peers).startExecution(stateMachineArn: arn, name: "fire-1", input: input["Input"] ?? "")
        var firing: StepFunctionsClient.Execution?
        for _ in 0..<100 {
            firing = try await sfn(peers).describeExecution(arn: fired)
            if firing?.status != "RUNNING" { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        XCTAssertEqual(firing?.status, "SUCCEEDED")

        // Destroy: the state machine goes with the jobs.
        let destroy = try deployer(["destroy", "-t", "dev", "--auto-approve"], peers)
        XCTAssertEqual(destroy.status, 0, destroy.all)
        XCTAssertTrue(destroy.stderr.contains("deleted state machine \(machine) (pipeline nightly)"), destroy.stderr)
        let gone = try await sfn(peers).describeStateMachine(arn: arn)
        XCTAssertNil(gone)
        let schedule = try await SchedulerClient(client: aws).getSchedule(name: "deployer-\(machine)")
        XCTAssertNil(schedule, "the pipeline's schedule went with it")
    }

    /// Pipeline values that cannot work are refused with one line naming them and the fix,
    /// before anything is written or started: a missing or malformed pipeline_role_arn, a bad
    /// transition price, schedule.arguments on Step Functions, an execution name Step Functions
    /// refuses (--idempotency-key, --attach, retry) and a bad DEPLOYER_PIPELINE_POLL_MS.
    func testPipelineValuesThatCannotWorkAreRefusedBeforeAnyWrite() async throws {
        let peers = try peers()
        guard ProcessInfo.processInfo.environment["DEPLOYER_IT_MOTO_PIPELINE_ROLE_ARN"] != nil else { throw XCTSkip("peers without a pipeline role") }
        let bucket = "itest-pipe-bad-\(UInt32.random(in: 0...UInt32.max))"
        try await S3Client(client: try client(peers)).createBucket(bucket: bucket)
        let path = try gluePipelineManifest(peers, bucket: bucket)
        let good = try String(contentsOfFile: path, encoding: .utf8)
        let machine = "arn:aws:states:us-east-1:\(peers.account):stateMachine:\(project)-dev-nightly"
        func refused(_ manifest: String, _ arguments: [String], _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
            try manifest.write(toFile: path, atomically: true, encoding: .utf8)
            let result = try deployer(arguments, peers)
            XCTAssertEqual(result.status, 1, result.all, file: file, line: line)
            XCTAssertTrue(result.stderr.contains(expected), "\(expected) in: \(result.stderr)", file: file, line: line)
        }
        let role = try XCTUnwrap(ProcessInfo.processInfo.environment["DEPLOYER_IT_MOTO_PIPELINE_ROLE_ARN"])
        try refused(
            good.replacingOccurrences(of: "    pipeline_role_arn: \(role)\n", with: ""), ["plan", "-t", "dev"],
            "targets.dev.pipeline_role_arn is needed for pipelines on engine glue")
        try refused(
            good.replacingOccurrences(of: "pipeline_role_arn: \(role)", with: "pipeline_role_arn: deployer-pipeline"), ["plan", "-t", "dev"],
            "deployer.yml:8:24: targets.dev.pipeline_role_arn: 'deployer-pipeline' is not valid (an IAM role ARN)")
        try refused(
            good.replacingOccurrences(of: "    pipeline_role_arn:", with: "    pricing: {step_functions_transition: -0.1}\n    pipeline_role_arn:"),
            ["plan", "-t", "dev"], "targets.dev.pricing.step_functions_transition: -0.1 is negative")
        try refused(
            good.replacingOccurrences(of: "    pipeline_role_arn:", with: "    pricing: {step_functions_transition: cheap}\n    pipeline_role_arn:"),
            ["plan", "-t", "dev"], "targets.dev.pricing.step_functions_transition: expected a number")
        try refused(
            good.replacingOccurrences(of: "    steps:", with: "    schedule: {cron: \"0 3 * * ? *\", arguments: {--as_of: \"2024-01-01\"}}\n    steps:"),
            ["plan", "-t", "dev"],
            "pipelines.nightly.schedule.arguments: a scheduled pipeline runs its deployed state machine with pipelines.nightly.arguments; move them there")
        let created = try await sfn(peers).describeStateMachine(arn: machine)
        XCTAssertNil(created, "nothing was created")

        try good.write(toFile: path, atomically: true, encoding: .utf8)
        let apply = try deployer(["apply", "-t", "dev", "--auto-approve"], peers)
        XCTAssertEqual(apply.status, 0, apply.all)
        try refused(
            good, ["run", "nightly", "-t", "dev", "--idempotency-key", "night 1"],
            "--idempotency-key 'night 1' cannot name a Step Functions execution: use 1 to 80 letters, digits, - and _")
        try refused(good, ["run", "nightly", "-t", "dev", "--idempotency-key", String(repeating: "n", count: 81)], "cannot name a Step Functions execution")
        try refused(good, ["run", "--attach", "states:dev:nightly:a.b", "-t", "dev"], "run id 'a.b' cannot name a Step Functions execution")
        try refused(good, ["retry", "states:dev:nightly:a.b", "-t", "dev"], "run id 'a.b' cannot name a Step Functions execution")
        var slow = environment(peers)
        slow["DEPLOYER_PIPELINE_POLL_MS"] = "fast"
        let polled = try CLI.run(["run", "nightly", "-t", "dev", "--idempotency-key", "never-started"], environment: slow, cwd: work)
        XCTAssertEqual(polled.status, 1, polled.all)
        XCTAssertTrue(polled.stderr.contains("DEPLOYER_PIPELINE_POLL_MS: 'fast' is not a whole number of milliseconds from 100 to 60000"), polled.stderr)
        let executions = try await sfn(peers).listExecutions(stateMachineArn: machine, maxResults: 100)
        XCTAssertEqual(executions.count, 0, "no execution was started: \(executions.map(\.name))")
        XCTAssertEqual(try deployer(["destroy", "-t", "dev", "--auto-approve"], peers).status, 0)
    }

    func testEMRServerlessPipelineRunsItsStepsInOrderWithOneRunId() async throws {
        let peers = try peers()
        guard let role = ProcessInfo.processInfo.environment["DEPLOYER_IT_MOTO_PIPELINE_ROLE_ARN"] else { throw XCTSkip("peers without a pipeline role") }
        let bucket = try await emrServerlessTarget("prod", peers)
        let application = try applicationId()
        try """
        project: \(project)
        targets:
          prod:
            engine: emr-serverless
            region: us-east-1
            artifacts: {bucket: \(bucket), prefix: deploy}
            pipeline_role_arn: \(role)
            emr_serverless:
              application_id: \(application)
              execution_role_arn: arn:aws:iam::\(peers.account):role/emr-job
        jobs:
          prep: {source: sales_etl}
          load: {source: sales_etl}
        pipelines:
          nightly:
            arguments: {as_of: "2024-02-29"}
            steps:
              - job: prep
              - job: load
                needs: [prep]
        """.write(toFile: work + "/deployer.yml", atomically: true, encoding: .utf8)
        try await motoControl(peers, "/moto-api/config", #"{"stepfunctions": {"execute_state_machine": true}}"#)
        let apply = try deployer(["apply", "-t", "prod", "--auto-approve"], peers)
        XCTAssertEqual(apply.status, 0, apply.all)
        XCTAssertTrue(apply.stderr.contains("creating state machine \(project)-prod-nightly (pipeline nightly)"), apply.stderr)
        let run = try deployer(["run", "nightly", "-t", "prod", "--idempotency-key", "es-night-1"], peers)
        XCTAssertEqual(run.status, 0, run.all)
        let order = [
            "prep: started emr-serverless:prod:prep:", "prep: succeeded", "load: started emr-serverless:prod:load:", "load: succeeded",
            "pipeline nightly run es-night-1: succeeded",
        ].map { run.stdout.range(of: $0)?.lowerBound }
        XCTAssertEqual(order.compactMap { $0 }.count, 5, run.stdout)
        XCTAssertEqual(order.compactMap { $0 }, order.compactMap { $0 }.sorted(), "in order: \(run.stdout)")
        // Both runs got the execution's name as --run_id, after the pipeline's arguments.
        let emr = EMRServerlessClient(client: try client(peers))
        let runs = try await emr.listJobRuns(applicationId: application, maxResults: 50)
        var seen: [String] = []
        for summary in runs {
            let detail = try await emr.getJobRun(applicationId: application, runId: summary.runId ?? "")
            guard detail.name?.hasPrefix("\(project)-prod-") == true else { continue }
            let arguments = detail.jobDriver?.sparkSubmit?.entryPointArguments ?? []
            XCTAssertEqual(Array(arguments.suffix(4)), ["--as_of", "2024-02-29", "--run_id", "es-night-1"], "\(detail.name ?? "?"): \(arguments)")
            seen.append(detail.name ?? "?")
        }
        XCTAssertEqual(seen.sorted(), ["\(project)-prod-load", "\(project)-prod-prep"])

        // A failing first step: load never starts, and the execution's cause (what the alert
        // carries) names the step and its run, with EMR Serverless' own message.
        try await motoControl(peers, "/moto-api/deployer/emr-serverless", #"{"runs": "manual"}"#)
        let known = runs.compactMap(\.runId)
        let (failing, failingErr) = try backgroundDeployer(["run", "nightly", "-t", "prod", "--idempotency-key", "es-night-2"], peers)
        let held = try await XCTUnwrapAsync(try await waitForNewServerlessRun(application, besides: known, peers))
        try await motoControl(
            peers, "/moto-api/deployer/emr-serverless/finish",
            #"{"applicationId": "\#(application)", "jobRunId": "\#(held)", "state": "FAILED", "stateDetails": "Job failed, exit code 1"}"#)
        XCTAssertTrue(finished(failing, within: 90))
        let failedOut = (try? String(contentsOfFile: failingErr + ".out", encoding: .utf8)) ?? ""
        XCTAssertEqual(failing.terminationStatus, 1, failedOut + ((try? String(contentsOfFile: failingErr, encoding: .utf8)) ?? ""))
        XCTAssertTrue(failedOut.contains("step prep (job prep) failed: run \(held) FAILED: Job failed, exit code 1"), failedOut)
        let cause = try await XCTUnwrapAsync(
            try await sfn(peers).describeExecution(arn: "arn:aws:states:us-east-1:\(peers.account):execution:\(project)-prod-nightly:es-night-2"))
        XCTAssertTrue(cause.cause?.hasPrefix("step prep (job prep) failed: ") == true && cause.cause?.contains(held) == true, cause.cause ?? "no cause")
        let afterFailure = try await emr.listJobRuns(applicationId: application, maxResults: 50)
        XCTAssertEqual(afterFailure.count, runs.count + 1, "load did not start after prep failed")

        // SIGTERM during the first step: the execution is stopped and the step's run cancelled.
        let (stopping, stoppingErr) = try backgroundDeployer(["run", "nightly", "-t", "prod", "--idempotency-key", "es-night-3"], peers)
        let running = try await XCTUnwrapAsync(try await waitForNewServerlessRun(application, besides: afterFailure.compactMap(\.runId), peers))
        let esNightThree = "arn:aws:states:us-east-1:\(peers.account):execution:\(project)-prod-nightly:es-night-3"
        let esNamed = try await historyShows(running, in: esNightThree, peers)
        XCTAssertTrue(esNamed, "the history never named run \(running)")
        stopping.terminate()
        XCTAssertTrue(finished(stopping, within: 60))
        let stoppedErr = (try? String(contentsOfFile: stoppingErr, encoding: .utf8)) ?? ""
        XCTAssertEqual(stopping.terminationStatus, 3, stoppedErr)
        XCTAssertTrue(
            stoppedErr.contains("SIGTERM: stopped execution es-night-3 of pipeline nightly; cancelled emr-serverless:prod:prep:\(running)"), stoppedErr)
        let cancelled = try await emr.getJobRun(applicationId: application, runId: running)
        XCTAssertTrue(["CANCELLING", "CANCELLED"].contains(cancelled.state ?? ""), "the step's run was cancelled: \(cancelled.state ?? "?")")

        // retry redrives the failed execution from prep; the steps run under its run id.
        try await motoControl(peers, "/moto-api/deployer/emr-serverless", #"{"runs": "default"}"#)
        let redriven = try deployer(["retry", "states:prod:nightly:es-night-2", "-t", "prod", "--wait"], peers)
        XCTAssertEqual(redriven.status, 0, redriven.all)
        XCTAssertTrue(redriven.stdout.contains("pipeline nightly run es-night-2: succeeded"), redriven.stdout)
        var redrivenRuns: [String] = []
        for summary in try await emr.listJobRuns(applicationId: application, maxResults: 50) {
            let detail = try await emr.getJobRun(applicationId: application, runId: summary.runId ?? "")
            if detail.jobDriver?.sparkSubmit?.entryPointArguments?.last == "es-night-2", detail.state == "SUCCESS" { redrivenRuns.append(detail.name ?? "?") }
        }
        XCTAssertEqual(redrivenRuns.sorted(), ["\(project)-prod-load", "\(project)-prod-prep"], "prep again, then load, with the run id es-night-2")
        // An EMR Serverless step names its job's artifact: a new artifact of a --select'ed job
        // updates the state machine too (it would run the old code otherwise).
        try "\n# version two\n".appendTo(work + "/sales_etl/main.py")
        let selected = try deployer(["apply", "-t", "prod", "--select", "prep", "--auto-approve"], peers)
        XCTAssertEqual(selected.status, 0, selected.all)
        XCTAssertTrue(selected.stdout.contains("~ update pipeline nightly"), selected.stdout)
        XCTAssertTrue(selected.stdout.contains("~ definition.States.Run prep.Parameters.JobDriver.SparkSubmit.EntryPoint: s3://"), selected.stdout)
        XCTAssertFalse(selected.stdout.contains("Run load.Parameters.JobDriver.SparkSubmit.EntryPoint"), "load keeps its deployed artifact: \(selected.stdout)")
        let again = try deployer(["plan", "-t", "prod", "--select", "prep", "--detailed-exitcode"], peers)
        XCTAssertEqual(again.status, 0, again.all)
    }

    /// Waits (bounded) for a Glue run of `name` other than `besides`; its id.
    func waitForNewServerlessRun(_ application: String, besides: [String], _ peers: Peers, seconds: Double = 60) async throws -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let runs = try await EMRServerlessClient(client: client(peers)).listJobRuns(applicationId: application, maxResults: 50)
            if let run = runs.first(where: { !besides.contains($0.runId ?? "") && $0.state == "RUNNING" }), let id = run.runId { return id }
            try await Task.sleep(for: .milliseconds(200))
        }
        return nil
    }

    /// Waits (bounded) until the execution's history names `runId` in a task's submitted answer, as deployer reads it on a signal.
    func historyShows(_ runId: String, in executionArn: String, _ peers: Peers, seconds: Double = 60) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let events = (try? await sfn(peers).history(executionArn: executionArn)) ?? []
            if events.contains(where: { $0.taskSubmittedEventDetails?.output?.contains(runId) == true }) { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    func waitForNewGlueRun(_ name: String, besides: [String], _ peers: Peers, seconds: Double = 60) async throws -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let runs = try await GlueClient(client: client(peers)).getJobRuns(name: name, maxResults: 20)
            if let id = runs.compactMap(\.id).first(where: { !besides.contains($0) }) { return id }
            try await Task.sleep(for: .milliseconds(200))
        }
        return nil
    }
}

/// `XCTUnwrap` of an async expression.
func XCTUnwrapAsync<T>(_ expression: @autoclosure () async throws -> T?, file: StaticString = #filePath, line: UInt = #line) async throws -> T {
    let value = try await expression()
    return try XCTUnwrap(value, file: file, line: line)
}
