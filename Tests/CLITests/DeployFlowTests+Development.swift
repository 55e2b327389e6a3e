import AWSCore
import DeployKit
import Foundation
import XCTest

/// `mode: development` on moto and SeaweedFS: two engineers deploy the same manifest to one
/// account without any name, lock, record or output colliding; schedules stay paused; each
/// destroy removes only its own; `deployments --stale` finds the older, `--clean` removes it.
extension DeployFlowTests {
    func developmentManifest(bucket: String, peers: Peers) throws {
        try """
        project: \(project)
        default_target: dev
        targets:
        \(glueDev(bucket: bucket, account: peers.account, "mode: development", "schedule_role_arn: arn:aws:iam::\(peers.account):role/scheduler", "pause_schedules: false"))
        jobs:
          sales_etl:
            source: sales_etl
            arguments: {--as_of: "2021-06-30", --output_path: "s3://lake/curated"}
            schedule: {cron: "0 3 * * ? *", paused: false}
        """.write(toFile: work + "/deployer.yml", atomically: true, encoding: .utf8)
    }

    func testTwoEngineersDeployOneDevelopmentTargetWithoutCollidingAndStaleOnesAreCleaned() async throws {
        let peers = try peers()
        let aws = try client(peers)
        let bucket = "itest-devmode-\(UInt32.random(in: 0...UInt32.max))"
        try await S3Client(client: aws).createBucket(bucket: bucket)
        try developmentManifest(bucket: bucket, peers: peers)
        let glue = GlueClient(client: aws)

        // Without --as the name is the caller's (the IAM user deployer-ci).
        let plan = try deployer(["plan", "-t", "dev"], peers)
        XCTAssertEqual(plan.status, 0, plan.all)
        XCTAssertTrue(plan.stdout.contains("+ create job \(project)-dev-deployer-ci-sales_etl"), plan.stdout)

        let alice = try deployer(["apply", "-t", "dev", "--as", "alice", "--auto-approve"], peers)
        XCTAssertEqual(alice.status, 0, alice.all)
        XCTAssertTrue(alice.stderr.contains("locked dev-alice (lock "), alice.stderr)
        try await Task.sleep(for: .seconds(4))
        let bob = try deployer(["apply", "-t", "dev", "--as", "bob", "--auto-approve"], peers)
        XCTAssertEqual(bob.status, 0, bob.all)

        // Jobs, schedules, records and locks of their own.
        let aliceJob = try await glue.getJob(name: "\(project)-dev-alice-sales_etl")
        let bobJob = try await glue.getJob(name: "\(project)-dev-bob-sales_etl")
        XCTAssertEqual(aliceJob?["DefaultArguments"]?["--output_path"]?.stringValue, "s3://lake/curated/_dev/alice", "outputs are the engineer's own")
        XCTAssertEqual(bobJob?["DefaultArguments"]?["--output_path"]?.stringValue, "s3://lake/curated/_dev/bob")
        let schedule = try await SchedulerClient(client: aws).getSchedule(name: "deployer-\(project)-dev-alice-sales_etl")
        XCTAssertEqual(schedule?.state, "DISABLED", "development schedules are always paused, whatever the manifest says")
        let keys = try await S3Client(client: aws).listObjects(bucket: bucket, prefix: "deploy/deployments/").map(\.key)
        XCTAssertTrue(keys.contains("deploy/deployments/dev-alice/latest.json") && keys.contains("deploy/deployments/dev-bob/latest.json"), "\(keys)")
        XCTAssertFalse(keys.contains { $0.hasPrefix("deploy/deployments/dev/") }, "\(keys)")
        let aliceRuns = try deployer(["deployments", "-t", "dev", "--as", "alice"], peers)
        XCTAssertEqual(aliceRuns.stdout.split(separator: "\n").count, 1, aliceRuns.stdout)

        // --stale sees every engineer's deployment, and only the older one is stale.
        let stale = try deployer(["deployments", "-t", "dev", "--stale", "3s"], peers)
        XCTAssertEqual(stale.status, 0, stale.all)
        XCTAssertTrue(stale.stdout.contains("alice"), stale.stdout)
        XCTAssertFalse(stale.stdout.contains("bob"), stale.stdout)
        // --json names the resolved target (here the manifest's default_target, -t left out).
        let staleJSON = try deployer(["deployments", "--stale", "3s", "--json"], peers)
        XCTAssertEqual(staleJSON.status, 0, staleJSON.all)
        let staleDocument = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(staleJSON.stdout.utf8)) as? [String: Any], staleJSON.stdout)
        XCTAssertEqual(staleDocument["target"] as? String, "dev", staleJSON.stdout)
        XCTAssertEqual((staleDocument["stale"] as? [[String: Any]])?.compactMap { $0["developer"] as? String }, ["alice"], staleJSON.stdout)

        // Bob's destroy removes only his.
        let destroyed = try deployer(["destroy", "-t", "dev", "--as", "bob", "--auto-approve"], peers)
        XCTAssertEqual(destroyed.status, 0, destroyed.all)
        let bobGone = try await glue.getJob(name: "\(project)-dev-bob-sales_etl")
        let aliceStays = try await glue.getJob(name: "\(project)-dev-alice-sales_etl")
        XCTAssertNil(bobGone)
        XCTAssertNotNil(aliceStays)

        // --clean removes the stale one (alice's), each under its own lock.
        let cleaned = try deployer(["deployments", "-t", "dev", "--stale", "3s", "--clean", "--auto-approve"], peers)
        XCTAssertEqual(cleaned.status, 0, cleaned.all)
        XCTAssertTrue(cleaned.stdout.contains("destroyed alice's deployment"), cleaned.stdout)
        let aliceGone = try await glue.getJob(name: "\(project)-dev-alice-sales_etl")
        XCTAssertNil(aliceGone)
        let none = try deployer(["deployments", "-t", "dev", "--stale", "1s"], peers)
        XCTAssertTrue(none.stdout.contains("No development deployment untouched for longer than 1s."), none.stdout)
    }

    func testDevelopmentModeBadInputIsOneLineEach() async throws {
        let peers = try peers()
        try developmentManifest(bucket: "itest-devmode-bad", peers: peers)
        let badName = try deployer(["plan", "-t", "dev", "--as", "Alice Smith!"], peers)
        XCTAssertNotEqual(badName.status, 0)
        XCTAssertTrue(badName.stderr.contains("--as 'Alice Smith!': a developer's name is 1 to 20 lower-case letters, digits and '-'"), badName.stderr)
        let badAge = try deployer(["deployments", "-t", "dev", "--stale", "soon"], peers)
        XCTAssertNotEqual(badAge.status, 0)
        XCTAssertTrue(badAge.stderr.contains("--stale 'soon' is not an age such as 7d, 12h or 30m"), badAge.stderr)
        let cleanAlone = try deployer(["deployments", "-t", "dev", "--clean"], peers)
        XCTAssertTrue(cleanAlone.stderr.contains("--clean needs --stale AGE"), cleanAlone.stderr)
        try String(contentsOfFile: work + "/deployer.yml", encoding: .utf8).replacingOccurrences(of: "mode: development", with: "mode: personal")
            .write(toFile: work + "/deployer.yml", atomically: true, encoding: .utf8)
        let badMode = try deployer(["validate", "-t", "dev"], peers)
        XCTAssertNotEqual(badMode.status, 0)
        XCTAssertTrue(badMode.stderr.contains("targets.dev.mode"), badMode.stderr)
        try String(contentsOfFile: work + "/deployer.yml", encoding: .utf8).replacingOccurrences(of: "mode: personal", with: "mode: production")
            .write(toFile: work + "/deployer.yml", atomically: true, encoding: .utf8)
        let notDevelopment = try deployer(["plan", "-t", "dev", "--as", "alice"], peers)
        XCTAssertTrue(notDevelopment.stderr.contains("--as alice: target dev is not in development mode"), notDevelopment.stderr)
    }
}
