import Foundation
import XCTest

@testable import DeployKit

/// A `local` target's `image:`: which tool runs it and the exact `run` line (mounts, names-only
/// secrets). Running real containers is `Tests/container`'s part.
final class LocalContainerTests: XCTestCase {
    var scratch = ""

    override func setUpWithError() throws {
        scratch = NSTemporaryDirectory() + "local-container-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch + "/bin-both", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: scratch + "/bin-docker", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: scratch + "/bin-none", withIntermediateDirectories: true)
        for tool in ["bin-both/podman", "bin-both/docker", "bin-docker/docker"] {
            FileManager.default.createFile(atPath: "\(scratch)/\(tool)", contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755])
        }
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: scratch)
    }

    func testPodmanIsPreferredThenDockerThenTheOverride() throws {
        XCTAssertEqual(try LocalContainer(image: "i", environment: ["PATH": scratch + "/bin-both"]).tool, scratch + "/bin-both/podman")
        XCTAssertEqual(try LocalContainer(image: "i", environment: ["PATH": scratch + "/bin-docker"]).tool, scratch + "/bin-docker/docker")
        let chosen = try LocalContainer(image: "i", environment: ["PATH": scratch + "/bin-both", "DEPLOYER_CONTAINER_TOOL": "docker"])
        XCTAssertEqual(chosen.tool, scratch + "/bin-both/docker")
    }

    func testNoToolAndABadOverrideAreOneLineEach() {
        XCTAssertThrowsError(try LocalContainer(image: "localhost/jobs:1", environment: ["PATH": scratch + "/bin-none"])) { error in
            XCTAssertEqual(
                "\(error)",
                "image localhost/jobs:1: neither podman nor docker is on PATH: install one (or set DEPLOYER_CONTAINER_TOOL), or remove the target's local.image"
            )
        }
        XCTAssertThrowsError(try LocalContainer(image: "i", environment: ["PATH": scratch + "/bin-both", "DEPLOYER_CONTAINER_TOOL": "/nowhere/podman"])) {
            error in
            XCTAssertEqual("\(error)", "DEPLOYER_CONTAINER_TOOL=/nowhere/podman is not an executable: install podman or docker, or unset it")
        }
    }

    func testRunLineMountsPathsByModePassesSecretsByNameAndKeepsNonPathsOut() throws {
        let project = scratch + "/project"
        try FileManager.default.createDirectory(atPath: project + "/jobs/sample_data", withIntermediateDirectories: true)
        let target = Target(
            name: "local", engine: SparkSubmitConfiguration(kind: .local, image: "localhost/jobs:1"), artifacts: .local(path: project + "/.deployer/local"))
        let engine = LocalEngine(
            target: target, root: project + "/.deployer/local", workingDirectory: project, environment: ["PATH": scratch + "/bin-both"])
        let container = try XCTUnwrap(try engine.container())
        let run = project + "/.deployer/local/runs/job/r1"
        let line = try engine.containerCommand(
            container, name: "deployer-job-r1", command: ["spark-submit", "--py-files", "code.zip", "main.py"], directory: run,
            arguments: [
                "--source_path", "jobs/sample_data", "--output_path", ".deployer/local/output/job", "--as_of", "2021-05-31", "--output_format", "parquet",
                "--dry_run",
            ],
            pythonPath: [project + "/.deployer/local/unpacked/d1"],
            environment: ["AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI", "AWS_REGION": "eu-west-1", "PYSPARK_PYTHON": "/host/python", "SPARK_HOME": "/host/spark"])
        let text = line.joined(separator: " ")
        XCTAssertEqual(Array(line.prefix(5)), [scratch + "/bin-both/podman", "run", "--rm", "--init", "--name"])
        XCTAssertFalse(text.contains("wJalrXUtnFEMI"), "a secret's value on the command line")
        XCTAssertTrue(text.contains("--env AWS_REGION --env AWS_SECRET_ACCESS_KEY"), text)
        XCTAssertFalse(text.contains("/host/"), "the host's interpreter or Spark inside the image: \(text)")
        XCTAssertTrue(text.contains("--env PYTHONPATH=\(project)/.deployer/local/unpacked/d1"), text)
        let volumes = stride(from: 0, to: line.count, by: 1).filter { line[$0] == "--volume" }.map { line[$0 + 1] }
        XCTAssertEqual(
            volumes,
            [
                "\(project):\(project):ro",
                "\(project)/.deployer/local:\(project)/.deployer/local:ro",
                "\(project)/jobs/sample_data:\(project)/jobs/sample_data:ro",
                "\(project)/.deployer/local/output/job:\(project)/.deployer/local/output/job:rw",
                "\(run):\(run):rw",
            ])
        XCTAssertTrue(FileManager.default.fileExists(atPath: project + "/.deployer/local/output/job"), "the output folder is made before it is mounted")
        XCTAssertFalse(FileManager.default.fileExists(atPath: project + "/parquet"))
        XCTAssertEqual(
            Array(line.suffix(10)),
            [
                "--entrypoint", "/bin/sh", "localhost/jobs:1", "-c", "\"$@\"; code=$?; times > \"$0\"; exit $code", run + "/exit_code.cpu",
                "spark-submit", "--py-files", "code.zip", "main.py",
            ])
    }

    func testImageReferencesAreCheckedByTheManifestSchema() throws {
        let pattern = try NSRegularExpression(pattern: SparkSubmitPlugin.imagePattern)
        func matches(_ text: String) -> Bool { pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil }
        for good in [
            "deployer-jobs", "localhost/deployer-jobs:1", "localhost:5000/team/jobs:2026.12",
            "docker.io/library/python:3.11-slim@sha256:" + String(repeating: "a", count: 64),
        ] {
            XCTAssertTrue(matches(good), good)
        }
        for bad in ["Deployer-Jobs", "jobs:", "jobs latest", "-jobs", "jobs@sha256:abc", "jobs;rm -rf /"] { XCTAssertFalse(matches(bad), bad) }
    }
}
