import Foundation
import XCTest

@testable import DeployKit

/// `mode: development`: who the developer is, and what their deployment is called and writes.
final class DevelopmentModeTests: XCTestCase {
    func testTheDeveloperIsTheUserOrTheRoleSessionMadeIntoAName() {
        XCTAssertEqual(Manifest.developerName(fromARN: "arn:aws:iam::123456789012:user/alice"), "alice")
        XCTAssertEqual(Manifest.developerName(fromARN: "arn:aws:iam::123456789012:user/team/Bob.Smith"), "bob-smith")
        XCTAssertEqual(Manifest.developerName(fromARN: "arn:aws:sts::123456789012:assumed-role/deployer-dev/carol@example.com"), "carol-example-com")
        XCTAssertEqual(Manifest.developerName(from: "a-very-long-engineer-name-indeed"), "a-very-long-engineer")
        XCTAssertEqual(Manifest.developerName(from: "--x--"), "x")
        XCTAssertNil(Manifest.developerName(from: "!!!"))
    }

    func manifest(development: Bool) -> Manifest {
        var target = Target(
            name: "dev", engine: GlueConfiguration(roleArn: "arn:aws:iam::123456789012:role/r"), region: "us-east-1", artifacts: .s3(bucket: "b", prefix: "p"))
        target.development = development
        target.settings.arguments = ["--temp_output_dir": "s3://tmp/work"]
        var job = Job(
            name: "etl", source: "/s", entryPoint: "main.py", config: "/s/config.yml",
            arguments: ["--output_path": "s3://lake/curated/", "--as_of": "2024-01-31", "--output_format": "parquet"], engines: [:])
        job.schedule = JobSchedule(cron: "0 3 * * ? *", timezone: "UTC", arguments: ["--output_path": "s3://lake/nightly"], paused: false)
        return Manifest(project: "p", defaultTarget: nil, targets: ["dev": target], jobs: [job], directory: "/", file: "deployer.yml")
    }

    func testADevelopersDeploymentHasItsOwnNamesOutputsAndPausedSchedules() throws {
        let mine = try manifest(development: true).developing("dev", as: "alice")
        let target = try mine.target("dev")
        XCTAssertEqual(target.deploymentName, "dev-alice")
        XCTAssertEqual(mine.engineJobName(mine.jobs[0], target: target), "p-dev-alice-etl")
        XCTAssertEqual(
            mine.jobs[0].arguments, ["--output_path": "s3://lake/curated/_dev/alice", "--as_of": "2024-01-31", "--output_format": "parquet"],
            "only output locations move; other arguments and values without a path stay")
        XCTAssertEqual(mine.jobs[0].schedule?.arguments["--output_path"], "s3://lake/nightly/_dev/alice")
        XCTAssertEqual(target.settings.arguments["--temp_output_dir"], "s3://tmp/work/_dev/alice")
        XCTAssertTrue(target.schedulePaused(false), "a schedule that says paused: false stays paused in development")
        let production = try manifest(development: false).target("dev")
        XCTAssertEqual(production.deploymentName, "dev")
        XCTAssertFalse(production.schedulePaused(false))
    }

    func testAProductionTargetOrABadNameIsRefused() {
        XCTAssertThrowsError(try manifest(development: false).developing("dev", as: "alice")) { error in
            XCTAssertEqual("\(error)", "--as alice: target dev is not in development mode (targets.dev.mode: development)")
        }
        XCTAssertThrowsError(try manifest(development: true).developing("dev", as: "Alice!")) { error in
            XCTAssertTrue("\(error)".contains("a developer's name is 1 to 20 lower-case letters"), "\(error)")
        }
    }
}
