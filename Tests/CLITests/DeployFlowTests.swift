import AWSCore
import AWSTestSupport
import Foundation
import SigV4
import XCTest

/// The whole deploy flow through the real binary: Glue and EMR Serverless on moto (auth on)
/// with artifacts in SeaweedFS, one credential set for both, as on AWS.
final class DeployFlowTests: XCTestCase {
    struct Peers {
        let s3: String
        let moto: String
        let key: String
        let secret: String
        let account: String
    }

    var work: String!
    /// Unique per test: the peers may outlive one run, and job names are global in an account.
    let project = "it\(UInt32.random(in: 0...UInt32.max))"

    override func setUpWithError() throws {
        work = NSTemporaryDirectory() + "deployer-flow-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: CLI.repoRoot.appendingPathComponent("jobs/sales_etl").path, toPath: work + "/sales_etl")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: work)
    }

    func peers() throws -> Peers {
        let env = ProcessInfo.processInfo.environment
        guard let s3 = env["DEPLOYER_IT_S3_ENDPOINT"], let moto = env["DEPLOYER_IT_MOTO_ENDPOINT"], let key = env["DEPLOYER_IT_MOTO_ACCESS_KEY"],
            let secret = env["DEPLOYER_IT_MOTO_SECRET_KEY"], let account = env["DEPLOYER_IT_MOTO_ACCOUNT_ID"]
        else {
            throw XCTSkip("integration peers are not running: run Tests/run-swift.sh")
        }
        return Peers(s3: s3, moto: moto, key: key, secret: secret, account: account)
    }

    func environment(_ peers: Peers) -> [String: String] {
        [
            "AWS_ACCESS_KEY_ID": peers.key, "AWS_SECRET_ACCESS_KEY": peers.secret, "AWS_ENDPOINT_URL": peers.moto, "AWS_ENDPOINT_URL_S3": peers.s3,
            "USER": "flow-test", "DEPLOYER_PIPELINE_POLL_MS": "300",
        ]
    }

    func client(_ peers: Peers) throws -> AWSClient {
        let environment = environment(peers)
        return AWSClient(
            configuration: AWSConfiguration(region: "us-east-1", endpoints: EndpointResolver(region: "us-east-1", environment: environment)),
            transport: try AsyncHTTPTransport(), credentials: StaticCredentialProvider(Credentials(accessKeyId: peers.key, secretAccessKey: peers.secret)))
    }

    /// Target `dev` on Glue in `account` with artifacts in `bucket`, as the lines under a
    /// manifest's `targets:`; `extra` are more of its keys (`key: value`).
    func glueDev(bucket: String, account: String, _ extra: String...) -> String {
        let keys = [
            "engine: glue", "region: us-east-1", "artifacts: {bucket: \(bucket), prefix: deploy}", "role_arn: arn:aws:iam::\(account):role/glue-job",
        ]
        return (["  dev:"] + (keys + extra).map { "    " + $0 }).joined(separator: "\n")
    }

    func manifest(target: String, body: String) throws -> String {
        let path = work + "/deployer.yml"
        try """
        project: \(project)
        targets:
        \(body)
        jobs:
          sales_etl:
            source: sales_etl
            arguments:
              --as_of: "2021-06-30"
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A bucket for artifacts and an EMR Serverless application, as terraform would make them.
    func emrServerlessTarget(_ name: String, _ peers: Peers) async throws -> String {
        let client = try client(peers)
        let bucket = "itest-\(name)-\(UInt32.random(in: 0...UInt32.max))"
        try await S3Client(client: client).createBucket(bucket: bucket)
        let created: JSONValue = try await client.restJSONCall(
            .emrServerless, operation: "CreateApplication", method: "POST", path: "/applications",
            body: [
                "name": .string("itest-\(name)"), "releaseLabel": "emr-7.1.0", "type": "SPARK", "clientToken": .string(UUID().uuidString),
                "maximumCapacity": ["cpu": "8 vCPU", "memory": "32 GB", "disk": "200 GB"],
            ] as JSONValue)
        let application = try XCTUnwrap(created["applicationId"]?.stringValue)
        _ = try manifest(
            target: name,
            body: """
                  \(name):
                    engine: emr-serverless
                    region: us-east-1
                    artifacts: {bucket: \(bucket), prefix: deploy}
                    emr_serverless:
                      application_id: \(application)
                      execution_role_arn: arn:aws:iam::\(peers.account):role/emr-job
                """)
        return bucket
    }

    func deployer(_ arguments: [String], _ peers: Peers) throws -> CLIResult {
        try CLI.run(arguments, environment: environment(peers), cwd: work)
    }

    /// Moves Glue runs one state per poll, so `run --wait` sees them progress.
    func manualGlueProgression(_ peers: Peers) async throws {
        try await motoControl(
            peers, "/moto-api/state-manager/set-transition",
            #"{"model_name": "glue::job_run", "transition": {"progression": "manual", "times": 1}}"#)
    }

    /// A wrong access key or secret is a credential problem, named as one: not "may not
    /// s3:GetObject … terraform/modules/github_oidc", and no secret in the output.
    func testWrongKeysAreNamedAsCredentialsNotAsMissingGrants() async throws {
        let peers = try peers()
        let bucket = "itest-keys-\(UInt32.random(in: 0...UInt32.max))"
        try await S3Client(client: client(peers)).createBucket(bucket: bucket)
        _ = try manifest(target: "dev", body: glueDev(bucket: bucket, account: peers.account))
        let wrongSecret = "wrongSECRETwrongSECRETwrongSECRET0123456"
        for (key, secret, advice) in [
            ("AKIAWRONGWRONGWRONG1", peers.secret, "access key id is not known"), (peers.key, wrongSecret, "signature does not match"),
        ] {
            var environment = environment(peers)
            environment["AWS_ACCESS_KEY_ID"] = key
            environment["AWS_SECRET_ACCESS_KEY"] = secret
            let plan = try CLI.run(["plan", "-t", "dev"], environment: environment, cwd: work)
            XCTAssertEqual(plan.status, 1, plan.all)
            XCTAssertTrue(plan.stderr.contains("error: credentials refused by "), plan.all)
            XCTAssertTrue(plan.stderr.contains(advice), plan.all)
            XCTAssertFalse(plan.all.contains("terraform/modules") || plan.all.contains("may not "), plan.all)
            XCTAssertFalse(plan.all.contains(secret), "no secret in the output")
        }
    }

    func testGlueFlowPlanApplyNoChangesUpdatePlanStalePlanRunStatusAndAccountGuard() async throws {
        let peers = try peers()
        let bucket = "itest-glue-\(UInt32.random(in: 0...UInt32.max))"
        try await S3Client(client: client(peers)).createBucket(bucket: bucket)
        let target = glueDev(bucket: bucket, account: peers.account, #"account_ids: ["\#(peers.account)"]"#)
        _ = try manifest(target: "dev", body: target)

        XCTAssertEqual(try deployer(["validate", "-t", "dev"], peers).status, 0)
        // doctor: everything a deploy needs is checked; SeaweedFS stores objects unencrypted,
        // which doctor reports (and fails on), with the fix.
        let doctor = try deployer(["doctor", "-t", "dev"], peers)
        XCTAssertEqual(doctor.status, 1, doctor.all)
        for line in [
            "✓ credentials: arn:aws:iam::\(peers.account):user/deployer-ci", "✓ account: account \(peers.account) is in targets.dev.account_ids",
            "✓ region: us-east-1", "✓ artifact store: s3://\(bucket)/deploy/artifacts/",
            "✓ lock: s3://\(bucket)/deploy/locks/dev.json can be written and removed",
            "✗ encryption: a new object was stored unencrypted — fix:", "✓ engine: Glue answers",
            "✓ job sales_etl: \(project)-dev-sales_etl does not exist yet",
        ] {
            XCTAssertTrue(doctor.stdout.contains(line), "\(line)\n\(doctor.stdout)")
        }
        XCTAssertFalse(doctor.stdout.contains("✗ pass role"), doctor.stdout)
        let probes = try await S3Client(client: client(peers)).listObjects(bucket: bucket, prefix: "deploy/locks/").map(\.key)
        XCTAssertEqual(probes, [], "doctor leaves nothing behind")
        let firstPlan = try deployer(["plan", "-t", "dev", "--detailed-exitcode"], peers)
        XCTAssertEqual(firstPlan.status, 2, firstPlan.all)
        XCTAssertTrue(firstPlan.stdout.contains("+ create job \(project)-dev-sales_etl"), firstPlan.stdout)
        XCTAssertTrue(firstPlan.stdout.contains("(upload)"))

        let apply = try deployer(["apply", "-t", "dev", "--auto-approve"], peers)
        XCTAssertEqual(apply.status, 0, apply.all)
        XCTAssertTrue(apply.stdout.contains("Applied: deployment"), apply.stdout)
        XCTAssertTrue(apply.stderr.contains("uploaded s3://\(bucket)/deploy/artifacts/sales_etl/"), apply.stderr)
        let keys = try await S3Client(client: client(peers)).listObjects(bucket: bucket, prefix: "deploy/").map(\.key)
        // main.py, code.zip, the code as a wheel (Glue Python shell), config.yml, SHA256SUMS.
        XCTAssertEqual(keys.filter { $0.hasPrefix("deploy/artifacts/") }.count, 5)
        XCTAssertTrue(keys.contains("deploy/deployments/dev/latest.json"))
        XCTAssertFalse(keys.contains("deploy/locks/dev.json"), "the lock is released")

        let noChanges = try deployer(["plan", "-t", "dev", "--detailed-exitcode"], peers)
        XCTAssertEqual(noChanges.status, 0, noChanges.all)
        XCTAssertTrue(noChanges.stdout.contains("No changes."))
        let idle = try deployer(["apply", "-t", "dev", "--auto-approve"], peers)
        XCTAssertEqual(idle.status, 0)
        XCTAssertFalse(idle.stderr.contains("locked"), "no changes: not even the lock is written")

        // Drift: the job changed in moto directly (moto has no UpdateJob, but takes a repeated
        // CreateJob as a replacement): plan shows it as changed outside deployer, exit 2.
        let glue = GlueClient(client: try client(peers))
        let fetched = try await glue.getJob(name: "\(project)-dev-sales_etl")
        var console = try XCTUnwrap(fetched?.objectValue)
        for key in ["CreatedOn", "LastModifiedOn", "AllocatedCapacity", "MaxCapacity"] { console.removeValue(forKey: key) }
        console["NumberOfWorkers"] = 5
        try await glue.createJob(.object(console))
        let drift = try deployer(["plan", "-t", "dev", "--detailed-exitcode"], peers)
        XCTAssertEqual(drift.status, 2, drift.all)
        XCTAssertTrue(drift.stdout.contains("~ drift: NumberOfWorkers 2 → 5, changed outside deployer (apply sets 2)"), drift.stdout)
        console["NumberOfWorkers"] = 2
        try await glue.createJob(.object(console))
        XCTAssertEqual(try deployer(["plan", "-t", "dev", "--detailed-exitcode"], peers).status, 0, "back as deployed: no drift")

        try "\n# a change\n".appendTo(work + "/sales_etl/src/sales_etl/cli.py")
        let update = try deployer(["plan", "-t", "dev", "--detailed-exitcode", "--out", work + "/plan.json"], peers)
        XCTAssertEqual(update.status, 2, update.all)
        XCTAssertTrue(update.stdout.contains("~ update job \(project)-dev-sales_etl"), update.stdout)
        XCTAssertTrue(update.stdout.contains("~ Command.ScriptLocation: s3://\(bucket)/deploy/artifacts/sales_etl/"), update.stdout)
        XCTAssertTrue(update.stdout.contains("~ DefaultArguments.--extra-py-files:"))
        // The sources move again: the saved plan no longer describes what would be applied.
        try "\n# another change\n".appendTo(work + "/sales_etl/src/sales_etl/cli.py")
        let stale = try deployer(["apply", "-t", "dev", "--plan", work + "/plan.json"], peers)
        XCTAssertEqual(stale.status, 1)
        XCTAssertTrue(stale.stderr.contains("changed since the plan was saved"), stale.stderr)

        try await manualGlueProgression(peers)
        let run = try deployer(["run", "sales_etl", "-t", "dev", "--wait", "--timeout", "2m", "--arg", "as_of=2021-07-31"], peers)
        XCTAssertEqual(run.status, 0, run.all)
        XCTAssertTrue(run.stdout.contains("started glue:dev:sales_etl:"), run.stdout)
        XCTAssertTrue(run.stdout.contains("SUCCEEDED"), run.stdout)
        XCTAssertTrue(run.stdout.contains("RUNNING"), "the state manager made the run pass through RUNNING: \(run.stdout)")

        let status = try deployer(["status", "-t", "dev", "--json"], peers)
        XCTAssertEqual(status.status, 0, status.all)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let job = try XCTUnwrap((object["jobs"] as? [[String: Any]])?.first)
        XCTAssertEqual(job["job"] as? String, "sales_etl")
        XCTAssertNotNil((job["deployment"] as? [String: Any])?["artifact"])
        XCTAssertEqual(((job["runs"] as? [[String: Any]])?.first)?["state"] as? String, "succeeded")

        _ = try manifest(target: "dev", body: target.replacingOccurrences(of: peers.account, with: "111122223333"))
        let guarded = try deployer(["plan", "-t", "dev"], peers)
        XCTAssertEqual(guarded.status, 1)
        XCTAssertTrue(guarded.stderr.contains("refusing to touch account \(peers.account)"), guarded.stderr)
    }

    func testEMRServerlessFlowWithRollback() async throws {
        let peers = try peers()
        _ = try await emrServerlessTarget("prod", peers)
        let first = try deployer(["apply", "-t", "prod", "--auto-approve"], peers)
        XCTAssertEqual(first.status, 0, first.all)
        let run = try deployer(["run", "sales_etl", "-t", "prod", "--wait", "--json"], peers)
        XCTAssertEqual(run.status, 0, run.all)
        let output = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        XCTAssertTrue((output["handle"] as? String)?.hasPrefix("emr-serverless:prod:sales_etl:") ?? false)
        XCTAssertEqual(output["state"] as? String, "succeeded")

        try "\n# version two\n".appendTo(work + "/sales_etl/main.py")
        let second = try deployer(["apply", "-t", "prod", "--auto-approve"], peers)
        XCTAssertEqual(second.status, 0, second.all)
        XCTAssertTrue(second.stdout.contains("~ update job \(project)-prod-sales_etl"), second.stdout)

        let history = try deployer(["deployments", "-t", "prod", "--json"], peers)
        let historyObject = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(historyObject["version"] as? Int, 1)
        let records = try XCTUnwrap(historyObject["deployments"] as? [[String: Any]])
        XCTAssertEqual(records.count, 2)
        let oldest = try XCTUnwrap(records.last)
        // `by` is who AWS says deployed (STS GetCallerIdentity), not a spoofable $USER@host.
        XCTAssertEqual(oldest["by"] as? String, "arn:aws:iam::\(peers.account):user/deployer-ci", "\(oldest)")
        let oldId = try XCTUnwrap(oldest["id"] as? String)
        let oldArtifact = try XCTUnwrap((oldest["artifacts"] as? [String: String])?["sales_etl"])

        let rollback = try deployer(["rollback", "-t", "prod", "--to", oldId, "--auto-approve"], peers)
        XCTAssertEqual(rollback.status, 0, rollback.all)
        XCTAssertTrue(rollback.stdout.contains("Rolled back"), rollback.stdout)
        let status = try deployer(["status", "sales_etl", "-t", "prod", "--json"], peers)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let deployment = try XCTUnwrap(((object["jobs"] as? [[String: Any]])?.first)?["deployment"] as? [String: Any])
        XCTAssertEqual(deployment["artifact"] as? String, oldArtifact, "the job points at the first deployment's artifact again")
        let list = try deployer(["deployments", "-t", "prod"], peers)
        XCTAssertTrue(list.stdout.contains("(rollback to \(oldId))"), list.stdout)
        // After the rollback the manifest (version two) differs from what is deployed.
        let plan = try deployer(["plan", "-t", "prod", "--detailed-exitcode"], peers)
        XCTAssertEqual(plan.status, 2, plan.all)
    }

    /// EMR on EC2: steps on moto never finish, which is what the timeout paths need.
    func testEMRStepsRunStatusAndTimeouts() async throws {
        let peers = try peers()
        let client = try client(peers)
        let bucket = "itest-emr-\(UInt32.random(in: 0...UInt32.max))"
        try await S3Client(client: client).createBucket(bucket: bucket)
        let cluster: JSONValue = try await client.jsonCall(
            .emr, operation: "RunJobFlow",
            input: [
                "Name": "itest", "ReleaseLabel": "emr-7.1.0", "ServiceRole": "EMR_DefaultRole", "JobFlowRole": "EMR_EC2_DefaultRole",
                "Instances": ["InstanceCount": 1, "MasterInstanceType": "m5.xlarge", "KeepJobFlowAliveWhenNoSteps": true],
            ] as JSONValue)
        let clusterId = try XCTUnwrap(cluster["JobFlowId"]?.stringValue)
        _ = try manifest(
            target: "onprem",
            body: """
                  onprem:
                    engine: emr
                    region: us-east-1
                    artifacts: {bucket: \(bucket), prefix: deploy}
                    emr:
                      cluster_id: \(clusterId)
                """)
        XCTAssertEqual(try deployer(["apply", "-t", "onprem", "--auto-approve"], peers).status, 0)
        let started = try deployer(["run", "sales_etl", "-t", "onprem", "--json"], peers)
        XCTAssertEqual(started.status, 0, started.all)
        let handle = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(started.stdout.utf8)) as? [String: Any])?["handle"] as? String)
        XCTAssertTrue(handle.hasPrefix("emr:onprem:sales_etl:s-"), handle)
        let stepId = String(handle.split(separator: ":").last ?? "")
        let one = try deployer(["status", "sales_etl", "-t", "onprem", "--run", stepId], peers)
        XCTAssertEqual(one.status, 0, one.all)
        XCTAssertTrue(one.stdout.contains("state:    pending") || one.stdout.contains("state:    running"), one.stdout)
        let detached = try deployer(["run", "sales_etl", "-t", "onprem", "--wait", "--timeout", "3s", "--on-timeout", "detach"], peers)
        XCTAssertEqual(detached.status, 4, detached.all)
        XCTAssertTrue(detached.stderr.contains("goes on; follow it with 'deployer run --attach emr:onprem:sales_etl:s-"), detached.stderr)
        let cancelled = try deployer(["run", "sales_etl", "-t", "onprem", "--wait", "--timeout", "3s"], peers)
        XCTAssertEqual(cancelled.status, 4, cancelled.all)
        // CancelSteps (patched into moto, Tests/peers/moto_gaps.py) cancels the step for real.
        XCTAssertTrue(cancelled.stderr.contains("timed out after 3s: cancelled emr:onprem:sales_etl:s-"), cancelled.stderr)
        let cancelledId = String(
            cancelled.stderr.components(separatedBy: "cancelled emr:onprem:sales_etl:").last?.prefix { !$0.isWhitespace && $0 != ";" && $0 != ")" } ?? "")
        // CANCEL_PENDING (shown as running) comes first, as on AWS; then CANCELLED.
        var afterCancel = try deployer(["status", "sales_etl", "-t", "onprem", "--run", cancelledId], peers)
        for _ in 0..<10 where !afterCancel.stdout.contains("state:    cancelled") {
            usleep(300_000)
            afterCancel = try deployer(["status", "sales_etl", "-t", "onprem", "--run", cancelledId], peers)
        }
        XCTAssertTrue(afterCancel.stdout.contains("state:    cancelled"), afterCancel.all)
        let steps = try await EMRClient(client: client).listSteps(clusterId: clusterId)
        XCTAssertEqual(steps.count, 3)
        let args = try XCTUnwrap(steps.first?.config?.args)
        XCTAssertEqual(Array(args.prefix(4)), ["spark-submit", "--deploy-mode", "cluster", "--py-files"])
    }

    func testConcurrentAppliesLeaveOneDeploymentAndNoLock() async throws {
        let peers = try peers()
        let client = try client(peers)
        let bucket = try await emrServerlessTarget("race", peers)
        let env = environment(peers)
        let cwd: String = work
        let results = try await withThrowingTaskGroup(of: CLIResult.self) { group in
            for _ in 0..<3 {
                group.addTask { try CLI.run(["apply", "-t", "race", "--auto-approve"], environment: env, cwd: cwd) }
            }
            var all: [CLIResult] = []
            for try await result in group { all.append(result) }
            return all
        }
        let succeeded = results.filter { $0.status == 0 }
        XCTAssertGreaterThanOrEqual(succeeded.count, 1, results.map(\.all).joined(separator: "\n---\n"))
        for failed in results where failed.status != 0 {
            XCTAssertTrue(failed.stderr.contains("is locked by") || failed.stderr.contains("changed while acquiring the lock"), failed.stderr)
        }
        let keys = try await S3Client(client: client).listObjects(bucket: bucket, prefix: "deploy/").map(\.key)
        XCTAssertEqual(keys.filter { $0.hasPrefix("deploy/deployments/race/") && !$0.hasSuffix("latest.json") }.count, 1, "\(keys)")
        XCTAssertFalse(keys.contains("deploy/locks/race.json"), "every apply released or never took the lock")
        let uploads = try await S3Client(client: client).listMultipartUploads(bucket: bucket, prefix: "deploy/")
        XCTAssertTrue(uploads.isEmpty)
    }

    /// Import round trip: a Glue job made outside deployer, imported, pasted into a manifest:
    /// the next plan keeps every setting the YAML carries and changes only what deployer sets.
    func testImportGlueJobKeepsItsSettings() async throws {
        let peers = try peers()
        let bucket = "itest-import-\(UInt32.random(in: 0...UInt32.max))"
        try await S3Client(client: client(peers)).createBucket(bucket: bucket)
        let name = "legacy \(project) nightly"
        try await GlueClient(client: client(peers)).createJob([
            "Name": .string(name), "Role": .string("arn:aws:iam::\(peers.account):role/glue-job"), "GlueVersion": "4.0", "WorkerType": "G.2X",
            "NumberOfWorkers": 4,
            "Timeout": 30, "MaxRetries": 1, "ExecutionProperty": ["MaxConcurrentRuns": 2],
            "Command": ["Name": "glueetl", "ScriptLocation": "s3://somewhere/legacy.py", "PythonVersion": "3"],
            "DefaultArguments": ["--as_of": "2021-06-30", "--TempDir": "s3://tmp/legacy/", "--job-language": "python"],
        ])
        let imported = try deployer(["import", "glue", name, "--region", "us-east-1"], peers)
        XCTAssertEqual(imported.status, 0, imported.all)
        // A caller without glue:GetJob gets who, what and where (it got a raw 403 before).
        let env = ProcessInfo.processInfo.environment
        if let deniedKey = env["DEPLOYER_IT_MOTO_DENIED_ACCESS_KEY"], let deniedSecret = env["DEPLOYER_IT_MOTO_DENIED_SECRET_KEY"] {
            var denied = environment(peers)
            denied["AWS_ACCESS_KEY_ID"] = deniedKey
            denied["AWS_SECRET_ACCESS_KEY"] = deniedSecret
            let refused = try CLI.run(["import", "glue", name, "--region", "us-east-1"], environment: denied, cwd: work)
            XCTAssertEqual(refused.status, 1, refused.all)
            XCTAssertTrue(refused.stderr.hasPrefix("error: access denied: "), refused.all)
            XCTAssertTrue(refused.stderr.contains(" may not glue:GetJob"), refused.all)
            XCTAssertFalse(refused.all.contains(deniedSecret))
        }
        let yaml = imported.stdout
        for line in [
            "jobs:", "    name: \"\(name)\"", "    source: \"jobs/legacy_\(project)_nightly\"", "      \"--as_of\": \"2021-06-30\"",
            "      \"--TempDir\": \"s3://tmp/legacy/\"", "        version: \"4.0\"", "        worker_type: G.2X", "        number_of_workers: 4",
            "        timeout_minutes: 30", "        max_concurrent_runs: 2", "        retries: 1", "role_arn: \"arn:aws:iam::\(peers.account):role/glue-job\"",
        ] {
            XCTAssertTrue(yaml.contains(line), "\(line)\n\(yaml)")
        }
        XCTAssertFalse(yaml.contains("--job-language"), "deployer's own arguments are not copied")
        // Paste it: the job's code goes where the YAML says.
        try FileManager.default.createDirectory(atPath: work + "/jobs", withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: work + "/sales_etl", toPath: work + "/jobs/legacy_\(project)_nightly")
        let jobsSection = yaml.split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n")
        try """
        project: \(project)
        targets:
        \(glueDev(bucket: bucket, account: peers.account))
        \(jobsSection)
        """.write(toFile: work + "/deployer.yml", atomically: true, encoding: .utf8)
        let plan = try deployer(["plan", "-t", "dev", "--json"], peers)
        XCTAssertEqual(plan.status, 0, plan.all)
        let planObject = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(planObject["version"] as? Int, 1)
        XCTAssertEqual(planObject["has_changes"] as? Bool, true)
        let object = try XCTUnwrap(planObject["plan"] as? [String: Any])
        let job = try XCTUnwrap((object["jobs"] as? [[String: Any]])?.first)
        XCTAssertEqual(job["action"] as? String, "update", "the job exists under its own name")
        let fields = Set(((job["changes"] as? [[String: Any]]) ?? []).compactMap { $0["field"] as? String })
        let deployersOwn: Set<String> = [
            "Command.ScriptLocation", "Description", "DefaultArguments.--extra-py-files", "DefaultArguments.--deployer-artifact",
            "DefaultArguments.--enable-continuous-cloudwatch-log", "DefaultArguments.--enable-metrics",
        ]
        XCTAssertTrue(fields.isSubset(of: deployersOwn), "only what deployer itself sets changes: \(fields.subtracting(deployersOwn))")
        let bad = try deployer(["import", "glue", "no-such-job-\(project)", "--region", "us-east-1"], peers)
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("no Glue job"), bad.stderr)
    }

    /// Schedules and alerts on Glue against moto (auth on): apply creates the schedule and the
    /// rule with the documented shapes; unpausing shows in plan and changes only the schedule;
    /// rollback restores the paused schedule; an SQS queue subscribed to the topic receives the
    /// alert for a FAILED Glue state-change event; destroy removes what apply created.
    func testGlueScheduleAndAlertsThroughEventBridge() async throws {
        let peers = try peers()
        let aws = try client(peers)
        let bucket = "itest-sched-\(UInt32.random(in: 0...UInt32.max))"
        try await S3Client(client: aws).createBucket(bucket: bucket)
        let inbox = try await alertInbox(aws, peers)
        let topic = inbox.topic
        _ = try await aws.queryCall(
            Self.sns, operation: "Subscribe", version: "2010-03-31", parameters: [("TopicArn", topic), ("Protocol", "sqs"), ("Endpoint", inbox.queueArn)])
        func manifest(paused: Bool) throws {
            _ = try self.manifest(
                target: "dev", body: glueDev(bucket: bucket, account: peers.account, "schedule_role_arn: arn:aws:iam::\(peers.account):role/scheduler"))
            try """

                schedule: {cron: "0 3 * * ? *", timezone: Europe/Berlin, arguments: {as_of: "2021-06-30"}\(paused ? "" : ", paused: false")}
                notify: {on: [failed, timeout], sns_topic: "\(topic)"}
            """.appendTo(work + "/deployer.yml")
        }
        try manifest(paused: true)
        let apply = try deployer(["apply", "-t", "dev", "--auto-approve"], peers)
        XCTAssertEqual(apply.status, 0, apply.all)
        let name = "\(project)-dev-sales_etl"
        let scheduler = SchedulerClient(client: aws)
        let createdSchedule = try await scheduler.getSchedule(name: "deployer-\(name)")
        let created = try XCTUnwrap(createdSchedule)
        XCTAssertEqual(created.scheduleExpression, "cron(0 3 * * ? *)")
        XCTAssertEqual(created.scheduleExpressionTimezone, "Europe/Berlin")
        XCTAssertEqual(created.state, "DISABLED", "dev: paused by default")
        let target = try XCTUnwrap(created.target)
        XCTAssertEqual(target.arn, "arn:aws:scheduler:::aws-sdk:glue:startJobRun")
        XCTAssertEqual(target.roleArn, "arn:aws:iam::\(peers.account):role/scheduler")
        let input = try XCTUnwrap(JSONSerialization.jsonObject(with: Data((target.input ?? "").utf8)) as? [String: Any])
        XCTAssertEqual(input["JobName"] as? String, name)
        XCTAssertEqual(input["Arguments"] as? [String: String], ["--as_of": "2021-06-30"])
        let events = EventsClient(client: aws)
        let described = try await events.describeRule(name: "deployer-\(name)-alerts")
        let rule = try XCTUnwrap(described)
        let pattern = try XCTUnwrap(JSONSerialization.jsonObject(with: Data((rule.eventPattern ?? "").utf8)) as? [String: Any])
        XCTAssertEqual(pattern["source"] as? [String], ["aws.glue"])
        XCTAssertEqual((pattern["detail"] as? [String: Any])?["state"] as? [String], ["FAILED", "TIMEOUT"])
        let ruleTargets = try await events.listTargets(rule: "deployer-\(name)-alerts")
        XCTAssertEqual(ruleTargets.first?.arn, topic)
        XCTAssertEqual(try deployer(["plan", "-t", "dev", "--detailed-exitcode"], peers).status, 0, "a fresh schedule shows no drift")
        let first = try XCTUnwrap(try deployer(["deployments", "-t", "dev"], peers).stdout.split(separator: " ").first.map(String.init))

        // Unpause: a schedule-only change (moto has no Glue UpdateJob: the job is not touched).
        try manifest(paused: false)
        let unpause = try deployer(["plan", "-t", "dev", "--detailed-exitcode"], peers)
        XCTAssertEqual(unpause.status, 2, unpause.all)
        XCTAssertTrue(unpause.stdout.contains("~ Schedule.State: DISABLED → ENABLED"), unpause.stdout)
        let unpaused = try deployer(["apply", "-t", "dev", "--auto-approve"], peers)
        XCTAssertEqual(unpaused.status, 0, unpaused.all)
        XCTAssertFalse(unpaused.stderr.contains("updating job"), unpaused.stderr)
        let enabled = try await scheduler.getSchedule(name: "deployer-\(name)")
        XCTAssertEqual(enabled?.state, "ENABLED")
        let rollback = try deployer(["rollback", "-t", "dev", "--to", first, "--auto-approve"], peers)
        XCTAssertEqual(rollback.status, 0, rollback.all)
        let restored = try await scheduler.getSchedule(name: "deployer-\(name)")
        XCTAssertEqual(restored?.state, "DISABLED", "rollback restores the paused schedule")

        // The alert path (see DeployFlowTests+Alerts.swift), in place of the SNS target checked above.
        let deployersTarget = try await sendAlerts(of: "deployer-\(name)-alerts", to: inbox, aws)
        XCTAssertNotNil(deployersTarget.inputTransformer, "deployer's target carries the message template")
        try await events.putEvent(
            source: "aws.glue", detailType: "Glue Job State Change",
            detail: ["jobName": .string(name), "jobRunId": "jr_999", "state": "SUCCEEDED", "message": "fine"])
        try await events.putEvent(
            source: "aws.glue", detailType: "Glue Job State Change",
            detail: ["jobName": .string(name), "jobRunId": "jr_123", "state": "FAILED", "message": "Out of memory"])
        let body = try await firstAlert(inbox, aws)
        XCTAssertTrue(body.contains("Glue job \(name) run jr_123 ended FAILED: Out of memory"), body)
        XCTAssertFalse(body.contains("jr_999"), "a run that succeeded raises no alert: \(body)")

        let destroy = try deployer(["destroy", "-t", "dev", "--auto-approve"], peers)
        XCTAssertEqual(destroy.status, 0, destroy.all)
        let schedule = try await scheduler.getSchedule(name: "deployer-\(name)")
        XCTAssertNil(schedule)
        let gone = try await events.describeRule(name: "deployer-\(name)-alerts")
        XCTAssertNil(gone)
    }
}
