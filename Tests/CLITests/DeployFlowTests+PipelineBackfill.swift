import AWSCore
import AWSTestSupport
import Foundation
import XCTest

/// A pipeline on Step Functions takes its own arguments per execution (run inputs): `run
/// PIPELINE --arg`, and `backfill PIPELINE` with one execution per date, the date its input.
/// moto executes the state machines (Tests/peers/moto_gaps.py 9).
extension DeployFlowTests {
    func testGluePipelineBackfillGivesEachExecutionItsDateAndSIGTERMStopsIt() async throws {
        let peers = try peers()
        guard ProcessInfo.processInfo.environment["DEPLOYER_IT_MOTO_PIPELINE_ROLE_ARN"] != nil else { throw XCTSkip("peers without a pipeline role") }
        let bucket = "itest-pipebf-\(UInt32.random(in: 0...UInt32.max))"
        try await S3Client(client: try client(peers)).createBucket(bucket: bucket)
        _ = try gluePipelineManifest(peers, bucket: bucket)
        try await motoControl(peers, "/moto-api/config", #"{"stepfunctions": {"execute_state_machine": true}}"#)
        let apply = try deployer(["apply", "-t", "dev", "--auto-approve"], peers)
        XCTAssertEqual(apply.status, 0, apply.all)
        let glue = GlueClient(client: try client(peers))
        func argumentsOfRuns(_ job: String) async throws -> [String: String] {
            let runs = try await glue.getJobRuns(name: "\(project)-dev-\(job)", maxResults: 50)
            var asOf: [String: String] = [:]
            for run in runs { if let id = run.arguments?["--run_id"] { asOf[id] = run.arguments?["--as_of"] ?? "-" } }
            return asOf
        }

        // run --arg gives the execution its own value of the pipeline's argument.
        let given = try deployer(["run", "nightly", "-t", "dev", "--idempotency-key", "given-1", "--arg", "as_of=2021-08-31"], peers)
        XCTAssertEqual(given.status, 0, given.all)
        let withArgument = try await argumentsOfRuns("load")
        XCTAssertEqual(withArgument["given-1"], "2021-08-31", "\(withArgument)")
        let unknown = try deployer(["run", "nightly", "-t", "dev", "--arg", "region=eu"], peers)
        XCTAssertEqual(unknown.status, 1, unknown.all)
        XCTAssertTrue(
            unknown.stderr.contains(
                "--arg region: pipeline nightly on target dev runs its deployed state machine, which takes only the pipeline's own arguments (as_of)"),
            unknown.stderr)
        let otherDate = try deployer(["backfill", "nightly", "-t", "dev", "--from", "2021-01-01", "--to", "2021-01-02", "--date-argument=--day"], peers)
        XCTAssertEqual(otherDate.status, 1, otherDate.all)
        XCTAssertTrue(
            otherDate.stderr.contains("takes a date only as one of the pipeline's own arguments: add '--day: \"\"' under pipelines.nightly.arguments"),
            otherDate.stderr)

        // Three month ends, two at a time: one execution each, both steps given its date.
        let backfill = ["backfill", "nightly", "-t", "dev", "--from", "2021-01-15", "--to", "2021-03-31", "--every", "month", "--concurrency", "2"]
        let first = try deployer(backfill, peers)
        XCTAssertEqual(first.status, 0, first.all)
        XCTAssertTrue(first.stdout.contains("3 dates (2021-01-15 to 2021-03-31, every month), 0 done already, 3 to run, 2 at a time"), first.stdout)
        XCTAssertTrue(first.stdout.contains("2021-02-28: started execution bf-nightly-20210228 (--as_of 2021-02-28)"), first.stdout)
        XCTAssertTrue(first.stdout.contains("2021-03-31: succeeded execution bf-nightly-20210331"), first.stdout)
        for job in ["prep", "load"] {
            let asOf = try await argumentsOfRuns(job)
            for date in ["2021-01-31", "2021-02-28", "2021-03-31"] {
                XCTAssertEqual(asOf["bf-nightly-" + date.replacingOccurrences(of: "-", with: "")], date, "\(job): \(asOf)")
            }
        }
        let machine = "arn:aws:states:us-east-1:\(peers.account):execution:\(project)-dev-nightly:"
        let execution = try await XCTUnwrapAsync(try await sfn(peers).describeExecution(arn: machine + "bf-nightly-20210131"))
        XCTAssertEqual(execution.status, "SUCCEEDED")
        // The same backfill again: every date is done, nothing starts.
        let prepRuns = try await glue.getJobRuns(name: "\(project)-dev-prep", maxResults: 50).count
        let again = try deployer(backfill, peers)
        XCTAssertEqual(again.status, 0, again.all)
        XCTAssertTrue(again.stdout.contains("3 done already, 0 to run"), again.stdout)
        let prepRunsAfter = try await glue.getJobRuns(name: "\(project)-dev-prep", maxResults: 50).count
        XCTAssertEqual(prepRunsAfter, prepRuns)

        // SIGTERM while a date's first step runs: its execution is stopped and the step's run
        // cancelled (exit 3); the same command again runs the date anew, under a suffixed name.
        try await motoControl(
            peers, "/moto-api/state-manager/set-transition",
            #"{"model_name": "glue::job_run", "transition": {"progression": "manual", "times": 100000}}"#)
        let before = try await glue.getJobRuns(name: "\(project)-dev-prep", maxResults: 50).compactMap(\.id)
        let held = ["backfill", "nightly", "-t", "dev", "--from", "2021-04-30", "--to", "2021-04-30"]
        let (stopping, stoppingErr) = try backgroundDeployer(held, peers)
        let running = try await XCTUnwrapAsync(try await waitForNewGlueRun("\(project)-dev-prep", besides: before, peers))
        let named = try await historyShows(running, in: machine + "bf-nightly-20210430", peers)
        XCTAssertTrue(named, "the history never named run \(running)")
        stopping.terminate()
        XCTAssertTrue(finished(stopping, within: 60))
        let stoppedErr = (try? String(contentsOfFile: stoppingErr, encoding: .utf8)) ?? ""
        XCTAssertEqual(stopping.terminationStatus, 3, stoppedErr)
        XCTAssertTrue(stoppedErr.contains("SIGTERM: backfill of pipeline nightly stopped; stopped bf-nightly-20210430"), stoppedErr)
        let cancelled = try await glue.getJobRun(name: "\(project)-dev-prep", runId: running)
        XCTAssertTrue(["STOPPING", "STOPPED"].contains(cancelled.jobRunState ?? ""), "the step's run was stopped: \(cancelled.jobRunState ?? "?")")
        try await motoControl(peers, "/moto-api/state-manager/unset-transition", #"{"model_name": "glue::job_run"}"#)
        let resumed = try deployer(held, peers)
        XCTAssertEqual(resumed.status, 0, resumed.all)
        let rerun = try XCTUnwrap(
            resumed.stdout.range(of: "bf-nightly-20210430-[0-9a-f]{4}", options: .regularExpression).map { String(resumed.stdout[$0]) }, resumed.stdout)
        XCTAssertTrue(resumed.stdout.contains("2021-04-30: succeeded execution \(rerun)"), resumed.stdout)
        let loadAsOf = try await argumentsOfRuns("load")
        XCTAssertEqual(loadAsOf[rerun], "2021-04-30", "\(loadAsOf)")
        XCTAssertNil(loadAsOf["bf-nightly-20210430"], "the stopped execution's second step never started")

        // A run input the deployed state machine does not take yet (added, not applied), and one a
        // step sets itself: each refused in one line, nothing started.
        let stateMachine = "arn:aws:states:us-east-1:\(peers.account):stateMachine:\(project)-dev-nightly"
        let executions = try await sfn(peers).listExecutions(stateMachineArn: stateMachine, maxResults: 100).count
        let manifestPath = work + "/deployer.yml"
        let applied = try String(contentsOfFile: manifestPath, encoding: .utf8)
        try applied.replacingOccurrences(of: "arguments: {as_of: \"2021-06-30\"}", with: "arguments: {as_of: \"2021-06-30\", day: \"\"}")
            .write(toFile: manifestPath, atomically: true, encoding: .utf8)
        let notDeployed = try deployer(["run", "nightly", "-t", "dev", "--arg", "day=2021-05-01"], peers)
        XCTAssertEqual(notDeployed.status, 1, notDeployed.all)
        XCTAssertTrue(
            notDeployed.stderr.contains(
                "pipeline nightly on target dev: its deployed state machine takes no 'day' (it takes as_of): give the pipeline '--day' under pipelines.nightly.arguments and apply"
            ),
            notDeployed.stderr)
        let notDeployedBackfill = try deployer(
            ["backfill", "nightly", "-t", "dev", "--from", "2021-05-01", "--to", "2021-05-01", "--date-argument=--day"], peers)
        XCTAssertEqual(notDeployedBackfill.status, 1, notDeployedBackfill.all)
        XCTAssertTrue(notDeployedBackfill.stderr.contains("its deployed state machine takes no 'day'"), notDeployedBackfill.stderr)
        try applied.replacingOccurrences(of: "needs: [prep]", with: "needs: [prep]\n        arguments: {as_of: \"2020-01-31\"}")
            .write(toFile: manifestPath, atomically: true, encoding: .utf8)
        let stepSets = try deployer(["run", "nightly", "-t", "dev", "--arg", "as_of=2021-05-31"], peers)
        XCTAssertEqual(stepSets.status, 1, stepSets.all)
        XCTAssertTrue(
            stepSets.stderr.contains("--arg as_of: step load of pipeline nightly sets --as_of itself, and its value wins over a run's: remove it there"),
            stepSets.stderr)
        let stepSetsBackfill = try deployer(["backfill", "nightly", "-t", "dev", "--from", "2021-05-31", "--to", "2021-05-31"], peers)
        XCTAssertEqual(stepSetsBackfill.status, 1, stepSetsBackfill.all)
        XCTAssertTrue(
            stepSetsBackfill.stderr.contains("backfill nightly: step load sets --as_of itself, and its value wins over the execution's"),
            stepSetsBackfill.stderr)
        let after = try await sfn(peers).listExecutions(stateMachineArn: stateMachine, maxResults: 100).count
        XCTAssertEqual(after, executions, "nothing was started")
    }
}
