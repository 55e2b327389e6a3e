import AWSCore
import AWSTestSupport
import Foundation
import SigV4
import XCTest

@testable import DeployKit

/// Dependency bundles: the lock's rules, wheel tags against runtimes, and the fields each
/// engine's submission carries (Glue CreateJob/StartJobRun and EMR Serverless StartJobRun as
/// their API models document them: botocore's glue and emr-serverless JSON models).
final class DependencyTests: XCTestCase {
    func testPinnedLinesWithExtrasMarkersAndHashesAreAccepted() {
        let text = """
            # a comment
            PyYAML==6.0.2  # inline
            requests[socks]==2.32.3 ; python_version >= "3.8"
            six==1.16.0 \\
                --hash=sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254

            """
        let (items, problems) = Requirements.parse(text, file: "req.txt")
        XCTAssertEqual(problems, [])
        XCTAssertEqual(items.map { "\($0.name)==\($0.version)@\($0.line)" }, ["PyYAML==6.0.2@2", "requests==2.32.3@3", "six==1.16.0@4"])
        XCTAssertEqual(items[0].key, "pyyaml")
        XCTAssertEqual(Requirement.normalized("Typing_Extensions"), "typing-extensions")
    }

    func testUnpinnedAndForeignLinesAreRefusedNamingTheLine() {
        let text =
            "PyYAML>=6\nnumpy\npandas==2.*\n-r other.txt\n--index-url https://user:secret@example.com/simple\npyspark==3.5.1\nsix==1.16.0\nSix==1.16.0\nx==1 --hash=md5:abc\n"
        let (items, problems) = Requirements.parse(text, file: "jobs/x/requirements.txt")
        XCTAssertEqual(items.map(\.name), ["six", "x"])
        XCTAssertEqual(problems.count, 9 - 2 + 1, problems.joined(separator: "\n"))
        XCTAssertTrue(problems[0].hasPrefix("jobs/x/requirements.txt:1: 'PyYAML>=6' is not pinned: write NAME==VERSION"), problems[0])
        XCTAssertTrue(problems[1].hasPrefix("jobs/x/requirements.txt:2: 'numpy' is not pinned"), problems[1])
        XCTAssertTrue(problems[2].hasPrefix("jobs/x/requirements.txt:3: 'pandas==2.*' is not pinned"), problems[2])
        XCTAssertTrue(problems[3].contains(":4: '-r' is not allowed"), problems[3])
        XCTAssertTrue(problems[4].contains(":5: '--index-url' is not allowed"), problems[4])
        XCTAssertFalse(problems.joined().contains("secret"), "a URL with credentials is not echoed")
        XCTAssertTrue(problems[5].contains(":6: pyspark is provided by the engine"), problems[5])
        XCTAssertTrue(problems[6].contains(":8: Six is listed twice (first on line 7)"), problems[6])
        XCTAssertTrue(problems[7].contains(":9: '--hash=md5:abc' is not a hash"), problems[7])
    }

    func testRequirementsFileProblemsAreOneLineErrors() throws {
        let directory = NSTemporaryDirectory() + "deployer-req-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        XCTAssertThrowsError(try Requirements.load(directory + "/missing.txt")) { XCTAssertTrue("\($0)".contains("missing.txt: missing")) }
        try Data(repeating: 0x61, count: (1 << 20) + 1).write(to: URL(fileURLWithPath: directory + "/big.txt"))
        XCTAssertThrowsError(try Requirements.load(directory + "/big.txt")) { XCTAssertTrue("\($0)".contains("at most 1 MiB")) }
        try Data([0xff, 0xfe, 0x00]).write(to: URL(fileURLWithPath: directory + "/binary.txt"))
        XCTAssertThrowsError(try Requirements.load(directory + "/binary.txt")) { XCTAssertTrue("\($0)".contains("not UTF-8")) }
    }

    func testJoinedLocksRefuseAPackagePinnedInTwoNamingBothPlaces() throws {
        let directory = NSTemporaryDirectory() + "deployer-locks-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "PyYAML==6.0.2\n".write(toFile: directory + "/job.txt", atomically: true, encoding: .utf8)
        try "duckdb==1.2.2\n# the same package, spelled differently\nsix==1.16.0\n".write(toFile: directory + "/duckdb.txt", atomically: true, encoding: .utf8)
        try "numpy==2.0.2\nSix==1.17.0\n".write(toFile: directory + "/extra.txt", atomically: true, encoding: .utf8)
        let joined = try Requirements.load(files: [directory + "/job.txt", directory + "/duckdb.txt"])
        XCTAssertEqual(joined.items.map(\.name), ["PyYAML", "duckdb", "six"])
        XCTAssertThrowsError(try Requirements.load(files: [directory + "/job.txt", directory + "/duckdb.txt", directory + "/extra.txt"])) {
            XCTAssertEqual("\($0)", "\(directory)/extra.txt:2: Six is pinned again (first in \(directory)/duckdb.txt line 3): keep one pin")
        }
    }

    func testWheelTagsAgainstRuntimes() {
        let glue = PythonRuntime(python: "3.11", arch: "x86_64")
        let emrArm = PythonRuntime(python: "3.9", arch: "arm64")
        XCTAssertEqual(emrArm.arch, "aarch64")
        XCTAssertEqual(emrArm.key, "cp39-aarch64")
        XCTAssertTrue(glue.accepts(python: "py3", abi: "none", platform: "any"))
        XCTAssertTrue(glue.accepts(python: "cp311", abi: "cp311", platform: "manylinux_2_17_x86_64.manylinux2014_x86_64"))
        XCTAssertFalse(glue.accepts(python: "cp39", abi: "cp39", platform: "manylinux_2_17_x86_64.manylinux2014_x86_64"), "another ABI")
        XCTAssertFalse(glue.accepts(python: "cp311", abi: "cp311", platform: "manylinux_2_17_aarch64.manylinux2014_aarch64"), "another CPU")
        XCTAssertFalse(glue.accepts(python: "cp311", abi: "cp311", platform: "manylinux_2_39_x86_64"), "a newer glibc than the engines'")
        XCTAssertFalse(glue.accepts(python: "cp311", abi: "cp311", platform: "macosx_11_0_arm64"))
        XCTAssertTrue(glue.accepts(python: "cp38", abi: "abi3", platform: "manylinux2014_x86_64"), "abi3 loads on later versions")
        XCTAssertFalse(emrArm.accepts(python: "cp310", abi: "abi3", platform: "manylinux2014_aarch64"), "but not on earlier ones")
        XCTAssertTrue(emrArm.accepts(python: "cp39", abi: "cp39", platform: "manylinux_2_28_aarch64"))
        XCTAssertEqual(glue.platformTags, ["manylinux_2_34_x86_64", "manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"])
    }

    func testPipIsAskedForTheTargetsPlatformNeverTheMachines() throws {
        let requirements = Requirements(file: "/r.txt", items: [], bytes: [])
        let arguments = DependencyBuilder.pipArguments(
            requirements, runtime: PythonRuntime(python: "3.9", arch: "arm64"), destination: "/d", cache: "/c", offline: true)
        let text = arguments.joined(separator: " ")
        XCTAssertTrue(text.contains("--only-binary=:all: --implementation cp --python-version 3.9 --abi cp39 --abi abi3 --abi none"), text)
        XCTAssertTrue(
            text.contains(
                "--platform manylinux_2_34_aarch64 --platform manylinux_2_28_aarch64 --platform manylinux_2_17_aarch64 --platform manylinux2014_aarch64"), text)
        XCTAssertTrue(text.hasSuffix("--find-links /c -d /d -r /r.txt --no-index"), text)
    }

    func testPipFailuresBecomeOneLineNamingPackageAndRuntime() {
        let requirements = Requirements(file: "jobs/x/requirements.txt", items: [Requirement(name: "numpy", version: "1.19.0", line: 3)], bytes: [])
        let output = """
            ERROR: Could not find a version that satisfies the requirement numpy==1.19.0 (from versions: 1.21.0, 1.22.0)
            ERROR: No matching distribution found for numpy==1.19.0
            """
        let error = DependencyBuilder.pipFailure(output, requirements: requirements, runtime: PythonRuntime(python: "3.9", arch: "arm64"), python: "python3")
        XCTAssertFalse(error.description.contains("\n"))
        XCTAssertTrue(error.description.hasPrefix("jobs/x/requirements.txt:3: numpy==1.19.0 has no wheel for CPython 3.9 aarch64"), error.description)
        XCTAssertTrue(error.description.contains("pin a version that publishes one"), error.description)
        let noPip = DependencyBuilder.pipFailure(
            "/usr/bin/python3: No module named pip", requirements: requirements, runtime: PythonRuntime(python: "3.9", arch: "x86_64"),
            python: "/usr/bin/python3")
        XCTAssertTrue(noPip.description.contains("DEPLOYER_PIP_PYTHON"), noPip.description)
    }

    func testWheelFileNamesParse() throws {
        let native = try XCTUnwrap(DependencyBuilder.Wheel(file: "PyYAML-6.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"))
        XCTAssertEqual([native.name, native.version, native.pythonTag, native.abiTag], ["PyYAML", "6.0.2", "cp311", "cp311"])
        XCTAssertFalse(native.isPure)
        let pure = try XCTUnwrap(DependencyBuilder.Wheel(file: "six-1.16.0-py2.py3-none-any.whl"))
        XCTAssertTrue(pure.isPure)
        let built = try XCTUnwrap(DependencyBuilder.Wheel(file: "pkg-1.0-1build-py3-none-any.whl"))
        XCTAssertEqual(built.version, "1.0")
        XCTAssertNil(DependencyBuilder.Wheel(file: "pkg-1.0.tar.gz"))
    }

    // MARK: What the engines are sent

    let target = Target(
        name: "dev", engine: GlueConfiguration(roleArn: "arn:aws:iam::123456789012:role/glue-job"), region: "eu-west-1", accountIds: [],
        artifacts: .s3(bucket: "b", prefix: "p"),
        roleArn: "arn:aws:iam::123456789012:role/glue-job", tags: [:],
        settings: EngineSettings(version: "5.0"))
    let job = Job(name: "sales_etl", source: "/src", entryPoint: "main.py", config: "/src/config.yml", arguments: [:], engines: [:])
    let urls = ArtifactURLs(
        entryPoint: "s3://b/p/artifacts/sales_etl/d2/main.py", codeZip: "s3://b/p/artifacts/sales_etl/d2/code.zip",
        config: "s3://b/p/artifacts/sales_etl/d2/config.yml",
        dependencies: DependencyURLs(
            digest: "dd", pureArchive: "s3://b/p/dependencies/dd/deps.zip", nativeArchive: "s3://b/p/dependencies/dd/site-packages.zip",
            wheels: ["s3://b/p/dependencies/dd/wheels/PyYAML-6.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"]))

    func json(_ object: Any) -> HTTPResponse {
        HTTPResponse(
            status: 200, headers: [HTTPHeader("Content-Type", "application/x-amz-json-1.1")],
            body: Array((try? JSONSerialization.data(withJSONObject: object)) ?? Data()))
    }

    /// Glue: `--extra-py-files` takes deps.zip after code.zip; the native wheels go to
    /// `--additional-python-modules` with pip told to use no index (no internet at run time);
    /// a run started later names the same files (Glue job parameters, AWS Glue docs).
    func testGlueCreateJobAndStartJobRunCarryTheBundle() async throws {
        let transport = ScriptedTransport { request in
            switch request.header("X-Amz-Target") {
            case "AWSGlue.CreateJob": return self.json(["Name": "p-dev-sales_etl"])
            case "AWSGlue.StartJobRun": return self.json(["JobRunId": "jr_1"])
            default: return HTTPResponse(status: 400, text: #"{"__type":"InvalidInputException","message":"unexpected"}"#)
            }
        }
        let engine = GlueEngine(client: Fixtures.client(transport, region: "eu-west-1"), target: target)
        XCTAssertEqual(target.plugin.dependencyDelivery, .wheels)
        let runtime = try await engine.pythonRuntime()
        XCTAssertEqual(runtime, PythonRuntime(python: "3.11", arch: "x86_64"))
        let desired = engine.desiredDefinition(name: "p-dev-sales_etl", job: job, artifact: urls, digest: "d2")
        try await engine.apply(name: "p-dev-sales_etl", desired: desired, live: nil)
        _ = try await engine.start(name: "p-dev-sales_etl", definition: desired, request: RunRequest(clientToken: "t"))
        let create = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(transport.requests[0].bodyText.utf8)) as? [String: Any])
        let arguments = try XCTUnwrap(create["DefaultArguments"] as? [String: String])
        XCTAssertEqual(arguments["--extra-py-files"], "s3://b/p/artifacts/sales_etl/d2/code.zip,s3://b/p/dependencies/dd/deps.zip")
        XCTAssertEqual(
            arguments["--additional-python-modules"], "s3://b/p/dependencies/dd/wheels/PyYAML-6.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
        XCTAssertEqual(arguments["--python-modules-installer-option"], "--no-index --no-deps")
        XCTAssertEqual(arguments["--deployer-dependencies"], "dd")
        let start = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(transport.requests[1].bodyText.utf8)) as? [String: Any])
        let runArguments = try XCTUnwrap(start["Arguments"] as? [String: String])
        XCTAssertEqual(runArguments["--extra-py-files"], arguments["--extra-py-files"])
        XCTAssertEqual(runArguments["--additional-python-modules"], arguments["--additional-python-modules"])
        XCTAssertEqual(runArguments["--python-modules-installer-option"], "--no-index --no-deps")
        XCTAssertEqual(desired.dependencyDigest, "dd")
    }

    /// EMR Serverless: deps.zip on --py-files, site-packages.zip unpacked as `deps` beside the
    /// driver and every executor and put on their PYTHONPATH; the runtime follows the
    /// application's architecture (GetApplication `architecture`).
    func testEMRServerlessStartJobRunCarriesTheArchiveAndTheApplicationsArchitecture() async throws {
        let transport = ScriptedTransport { request in
            if request.method == "GET", request.path == "/applications/00fabc123" {
                return self.json(["application": ["applicationId": "00fabc123", "architecture": "ARM64", "releaseLabel": "emr-7.2.0", "state": "CREATED"]])
            }
            if request.method == "POST", request.path == "/applications/00fabc123/jobruns" {
                return self.json([
                    "applicationId": "00fabc123", "jobRunId": "00run1",
                    "arn": "arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00fabc123/jobruns/00run1",
                ])
            }
            return HTTPResponse(status: 404, headers: [HTTPHeader("x-amzn-ErrorType", "ResourceNotFoundException")], text: #"{"message":"nope"}"#)
        }
        var emrTarget = target
        emrTarget.engineConfiguration = EMRServerlessConfiguration(
            applicationId: "00fabc123", executionRoleArn: "arn:aws:iam::123456789012:role/emr-job", logURI: nil)
        let engine = EMRServerlessEngine(client: Fixtures.client(transport, region: "eu-west-1"), target: emrTarget)
        let runtime = try await engine.pythonRuntime()
        XCTAssertEqual(runtime, PythonRuntime(python: "3.9", arch: "aarch64"))
        let definition = engine.desiredDefinition(name: "p-prod-sales_etl", job: job, artifact: urls, digest: "d2")
        XCTAssertEqual(definition.dependencyDigest, "dd")
        _ = try await engine.start(name: "p-prod-sales_etl", definition: definition, request: RunRequest(clientToken: "t"))
        let body = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(transport.requests[1].bodyText.utf8)) as? [String: Any])
        let submit = try XCTUnwrap(((body["jobDriver"] as? [String: Any])?["sparkSubmit"]) as? [String: Any])
        XCTAssertEqual(
            submit["sparkSubmitParameters"] as? String,
            "--py-files s3://b/p/artifacts/sales_etl/d2/code.zip,s3://b/p/dependencies/dd/deps.zip"
                + " --conf spark.archives=s3://b/p/dependencies/dd/site-packages.zip#deps --conf spark.executorEnv.PYTHONPATH=./deps"
                + " --conf spark.emr-serverless.driverEnv.PYTHONPATH=./deps")
        XCTAssertNil(body["dependencies"], "deployer's own fields are not sent")
        XCTAssertNil(body["artifact"])
    }

    func testEMRStepAndLocalDefinitionsCarryTheArchive() throws {
        var emrTarget = target
        emrTarget.engineConfiguration = EMRConfiguration(clusterId: "j-ABC123", logURI: nil)
        let transport = ScriptedTransport { _ in HTTPResponse(status: 500, text: "") }
        let step = EMRStepEngine(client: Fixtures.client(transport), target: emrTarget).desiredDefinition(name: "n", job: job, artifact: urls, digest: "d2")
        let args = step["step"]?["HadoopJarStep"]?["Args"]
        guard case .array(let list)? = args else { return XCTFail("no step args") }
        XCTAssertEqual(
            Array(list.compactMap(\.stringValue).prefix(11)),
            [
                "spark-submit", "--deploy-mode", "cluster", "--py-files", "s3://b/p/artifacts/sales_etl/d2/code.zip,s3://b/p/dependencies/dd/deps.zip",
                "--conf", "spark.archives=s3://b/p/dependencies/dd/site-packages.zip#deps", "--conf", "spark.executorEnv.PYTHONPATH=./deps",
                "--conf", "spark.yarn.appMasterEnv.PYTHONPATH=./deps",
            ])
        var sparkTarget = target
        sparkTarget.engineConfiguration = SparkSubmitConfiguration(kind: .spark, master: "spark://127.0.0.1:7077", python: "/venv/bin/python")
        sparkTarget.artifacts = .local(path: "/state")
        let local = LocalEngine(target: sparkTarget, root: "/state", workingDirectory: "/", environment: [:])
        let definition = local.desiredDefinition(name: "n", job: job, artifact: urls, digest: "d2")
        XCTAssertEqual(definition["master"]?.stringValue, "spark://127.0.0.1:7077")
        XCTAssertEqual(definition["pyFiles"]?.stringValue, "s3://b/p/artifacts/sales_etl/d2/code.zip,s3://b/p/dependencies/dd/deps.zip")
        XCTAssertEqual(definition["archive"]?.stringValue, "s3://b/p/dependencies/dd/site-packages.zip")
        XCTAssertEqual(definition["python"]?.stringValue, "/venv/bin/python")
        XCTAssertEqual(definition.dependencyDigest, "dd")
    }

    func testOfflineRuntimeDefaultsAndOverrides() throws {
        XCTAssertEqual(try PythonRuntime.offline(for: target), PythonRuntime(python: "3.11", arch: "x86_64"))
        var glue4 = target
        glue4.settings.version = "4.0"
        XCTAssertEqual(try PythonRuntime.offline(for: glue4).python, "3.10")
        var emr = target
        emr.engineConfiguration = EMRServerlessConfiguration(
            applicationId: "00fabc123", executionRoleArn: "arn:aws:iam::123456789012:role/emr-job", logURI: nil)
        XCTAssertEqual(try PythonRuntime.offline(for: emr), PythonRuntime(python: "3.9", arch: "x86_64"))
        emr.runtimeArch = "aarch64"
        XCTAssertEqual(try PythonRuntime.offline(for: emr), PythonRuntime(python: "3.9", arch: "aarch64"))
        XCTAssertEqual(GluePlugin().dependencyDelivery, .wheels)
        XCTAssertEqual(SparkSubmitPlugin.spark.dependencyDelivery, .archive)
        XCTAssertEqual(EMRServerlessPlugin().dependencyDelivery, .archive)
    }

    /// The local engine refuses a stored bundle whose bytes do not match its SHA256SUMS.
    func testADamagedStoredBundleIsNamedBeforeARunUsesIt() throws {
        let directory = NSTemporaryDirectory() + "deployer-bundle-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let content = Array("zip bytes".utf8)
        try Data(content).write(to: URL(fileURLWithPath: directory + "/deps.zip"))
        let sums = Array("\(PayloadHash.hex(content))  deps.zip\n".utf8)
        try Data(sums).write(to: URL(fileURLWithPath: directory + "/SHA256SUMS"))
        let digest = PayloadHash.hex(sums)
        XCTAssertNoThrow(try LocalEngine.verifyBundle(directory, digest: digest))
        try Data("other bytes".utf8).write(to: URL(fileURLWithPath: directory + "/deps.zip"))
        XCTAssertThrowsError(try LocalEngine.verifyBundle(directory, digest: digest)) { error in
            XCTAssertTrue("\(error)".contains("deps.zip does not match its SHA256SUMS (digest mismatch)"), "\(error)")
            XCTAssertTrue("\(error)".contains("deployer apply"), "\(error)")
        }
        XCTAssertThrowsError(try LocalEngine.verifyBundle(directory, digest: String(repeating: "0", count: 64))) { error in
            XCTAssertTrue("\(error)".contains("does not hash to the digest"), "\(error)")
        }
    }
}
