import Foundation
import XCTest

@testable import DeployKit

final class ManifestTests: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "deployer-manifest-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func write(_ text: String, name: String = "deployer.yml") throws -> String {
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let valid = """
        project: shop
        default_target: local
        targets:
          local:
            engine: local
            artifacts: {path: state}
          dev:
            engine: glue
            region: ${tf.region}
            account_ids: ["${var.account}"]
            artifacts: {bucket: "${tf.bucket}", prefix: deploy}
            role_arn: arn:aws:iam::123456789012:role/glue
            glue: {worker_type: G.2X, number_of_workers: 4}
        jobs:
          etl:
            source: jobs/etl
            arguments: {--as_of: "${env.AS_OF}"}
            engines:
              glue: {number_of_workers: 8, arguments: {--bucket: "${tf.bucket}"}}
        """

    func issues(_ text: String, target: String? = nil, variables: [String: String] = [:], environment: [String: String] = [:]) throws -> [ManifestIssue] {
        let file = try write(text)
        do {
            _ = try ManifestLoader(variables: variables, environment: environment).load(file: file, target: target)
            return []
        } catch ManifestLoader.LoadError.issues(let issues) {
            return issues
        }
    }

    func testLocalTargetNeedsNoCloudValues() throws {
        let file = try write(Self.valid)
        let manifest = try ManifestLoader(environment: ["AS_OF": "2024-01-31"]).load(file: file)
        XCTAssertEqual(manifest.project, "shop")
        let local = try manifest.target(nil)
        XCTAssertEqual(local.engine, .local)
        XCTAssertEqual(local.artifacts, .local(path: directory + "/state"))
        let job = try manifest.job("etl")
        XCTAssertEqual(job.source, directory + "/jobs/etl")
        XCTAssertEqual(job.config, directory + "/jobs/etl/config.yml")
        XCTAssertEqual(job.arguments, ["--as_of": "2024-01-31"])
        XCTAssertEqual(manifest.engineJobName(job, target: local), "shop-local-etl")
    }

    func testSelectedTargetIsInterpolatedFromTerraformVarsAndEnv() throws {
        let outputs = try write(
            #"{"region": {"value": "eu-west-1", "type": "string"}, "bucket": {"value": "shop-artifacts", "type": "string", "sensitive": false}}"#,
            name: "tf.json")
        let file = try write(Self.valid)
        let manifest = try ManifestLoader(variables: ["account": "123456789012"], environment: ["AS_OF": "2024-01-31"], terraformOutputs: outputs).load(
            file: file, target: "dev")
        let dev = try manifest.target("dev")
        XCTAssertEqual(dev.region, "eu-west-1")
        XCTAssertEqual(dev.accountIds, ["123456789012"])
        XCTAssertEqual(dev.artifacts, .s3(bucket: "shop-artifacts", prefix: "deploy"))
        XCTAssertEqual(dev.settings.workerType, "G.2X")
        let job = try manifest.job("etl")
        XCTAssertEqual(dev.settings.overlaid(with: job.engines[.glue]).numberOfWorkers, 8)
        XCTAssertEqual(job.engines[.glue]?.arguments, ["--bucket": "shop-artifacts"])
    }

    /// A boolean output is `true`/`false` (it was "1"); a number keeps its shortest form; a
    /// control character (NUL, newline) in an output is refused, as the same in YAML is.
    func testTerraformOutputsKeepBooleansAndRefuseControlCharacters() throws {
        var outputs = TerraformOutputs(
            source: try write(
                #"""
                {"on": {"value": true, "type": "bool"}, "off": {"value": false, "type": "bool"}, "workers": {"value": 10, "type": "number"},
                 "ratio": {"value": 0.25, "type": "number"}, "nul": {"value": "a\u0000b", "type": "string"}, "newline": {"value": "a\nb", "type": "string"},
                 "list": {"value": ["a"], "type": ["list", "string"]}}
                """#, name: "tf-kinds.json"), directory: directory)
        XCTAssertEqual(try outputs.value("on"), "true")
        XCTAssertEqual(try outputs.value("off"), "false")
        XCTAssertEqual(try outputs.value("workers"), "10")
        XCTAssertEqual(try outputs.value("ratio"), "0.25")
        for (name, expected) in [("nul", "U+0000"), ("newline", "U+000A"), ("list", "not a string, number or boolean")] {
            XCTAssertThrowsError(try outputs.value(name), name) { error in
                XCTAssertTrue("\(error)".contains("terraform output '\(name)'") && "\(error)".contains(expected), "\(error)")
            }
        }
    }

    func testErrorsCarryFileLineColumnPathAndAllowedValues() throws {
        let found = try issues(
            """
            project: shop
            targets:
              local:
                engine: lokal
                artifacts: {path: state}
                colour: blue
            jobs:
              etl:
                entry_point: main.py
            """)
        let text = found.map(\.description)
        XCTAssertTrue(
            text.contains {
                $0.hasSuffix("deployer.yml:4:13: targets.local.engine: 'lokal' is not allowed (allowed: glue, emr-serverless, emr, local, spark)")
            }, "\(text)")
        XCTAssertTrue(text.contains { $0.contains("deployer.yml:6:5: targets.local.colour: unknown key (allowed: account_ids, artifacts,") }, "\(text)")
        XCTAssertTrue(text.contains { $0.contains("jobs.etl: missing required key 'source'") }, "\(text)")
    }

    func testUnsetVariableAndBadNumbersAreReported() throws {
        let text = Self.valid.replacingOccurrences(of: "number_of_workers: 4", with: "number_of_workers: lots")
        let found = try issues(text, target: "dev", environment: ["AS_OF": "x"]).map(\.description)
        XCTAssertTrue(
            found.contains { $0.contains("targets.dev.account_ids[0]: variable 'account' is not set: pass --var account=VALUE or set DEPLOYER_VAR_account") },
            "\(found)")
        XCTAssertTrue(found.contains { $0.contains("targets.dev.region: ${tf.…} needs terraform outputs") }, "\(found)")
        XCTAssertTrue(found.contains { $0.contains("targets.dev.glue.number_of_workers: expected a whole number, found 'lots'") }, "\(found)")
    }

    func testYAMLSyntaxErrorHasPosition() throws {
        let found = try issues("project: shop\ntargets: [unclosed\n")
        XCTAssertEqual(found.count, 1)
        XCTAssertEqual(found.first?.path, "(yaml)")
        XCTAssertGreaterThan(found.first?.line ?? 0, 1)
    }

    func testEscapedDollarAndUnknownNamespace() throws {
        let loader = ManifestLoader(variables: ["x": "1"], environment: [:])
        var outputs = TerraformOutputs(source: nil, directory: "/")
        XCTAssertEqual(try loader.expand("a$${b}-${var.x}", terraform: &outputs), "a${b}-1")
        XCTAssertThrowsError(try loader.expand("${aws.region}", terraform: &outputs))
        XCTAssertThrowsError(try loader.expand("${var.x", terraform: &outputs))
    }

    /// The schema and the decoder read numbers and booleans the same way: quoted or not, any
    /// case of true/false; what the schema refuses never reaches the decoder.
    func testQuotedNumbersAndBooleansDecodeAsTheSchemaChecksThem() throws {
        let file = try write(
            """
            project: shop
            targets:
              dev:
                engine: glue
                region: eu-west-1
                artifacts: {bucket: my-bucket}
                role_arn: arn:aws:iam::123456789012:role/glue
                pause_schedules: "FALSE"
                pricing: {glue_dpu_hour: "0.5", emr_cluster_hour: 2}
                glue: {number_of_workers: "10", version: 5.0, retries: 2, arguments: {x: 1, y: true}}
            jobs:
              etl:
                source: jobs/etl
                prevent_destroy: "True"
                engines: {emr-serverless: {timeout_minutes: "30"}}
            """)
        let manifest = try ManifestLoader(environment: [:]).load(file: file, target: "dev")
        let target = try manifest.target("dev")
        XCTAssertEqual(target.settings, EngineSettings(version: "5.0", numberOfWorkers: 10, arguments: ["x": "1", "y": "true"], retries: 2))
        XCTAssertFalse(target.pauseSchedules)
        XCTAssertEqual(target.pricing.glueDPUHour, 0.5)
        XCTAssertEqual(target.pricing.emrClusterHour, 2)
        XCTAssertEqual(target.pricing.glueFlexDPUHour, 0.29, "the plug-in's default where not given")
        let job = try manifest.job("etl")
        XCTAssertTrue(job.preventDestroy)
        XCTAssertEqual(job.engines[.emrServerless]?.timeoutMinutes, 30)
        XCTAssertEqual(
            try issues(try String(contentsOfFile: file).replacingOccurrences(of: "\"10\"", with: "ten"), target: "dev").map(\.description),
            ["\(file):10:31: targets.dev.glue.number_of_workers: expected a whole number, found 'ten'"])
        // Each engine takes its own settings: Glue has no spark-submit parameters, EMR Serverless
        // no worker types, and a glue: section on an EMR Serverless target is nobody's.
        for (jobBlock, problem) in [
            ("engines: {glue: {spark_submit_parameters: \"--conf a=b\"}}", "jobs.etl.engines.glue.spark_submit_parameters: unknown key"),
            ("engines: {emr-serverless: {worker_type: G.1X}}", "jobs.etl.engines.emr-serverless.worker_type: unknown key"),
        ] {
            try """
            project: shop
            targets:
              dev: {engine: glue, region: eu-west-1, artifacts: {bucket: my-bucket}, role_arn: "arn:aws:iam::123456789012:role/glue"}
            jobs:
              etl:
                source: jobs/etl
                \(jobBlock)
            """.write(toFile: file, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try ManifestLoader(environment: [:]).load(file: file, target: "dev")) { XCTAssertTrue("\($0)".contains(problem), "\($0)") }
        }
        try """
        project: shop
        targets:
          prod:
            engine: emr-serverless
            region: eu-west-1
            artifacts: {bucket: my-bucket}
            emr_serverless: {application_id: 00abc, execution_role_arn: "arn:aws:iam::123456789012:role/e", timeout_minutes: 45, retries: 1}
        jobs:
          etl: {source: jobs/etl}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let serverless = try ManifestLoader(environment: [:]).load(file: file, target: "prod").target("prod")
        XCTAssertEqual(serverless.settings, EngineSettings(timeoutMinutes: 45, retries: 1), "job settings in the engine's own section")
        try String(contentsOfFile: file, encoding: .utf8).replacingOccurrences(
            of: "  emr_serverless:", with: "  glue: {timeout_minutes: 45}\n    emr_serverless:"
        )
        .write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ManifestLoader(environment: [:]).load(file: file, target: "prod")) {
            XCTAssertTrue(
                "\($0)".contains(
                    "targets.prod.glue: a section of engine glue, and this target's engine is emr-serverless: its job settings go under emr_serverless (arguments, retries, spark_submit_parameters, timeout_minutes)"
                ), "\($0)")
        }
    }

    /// With several bad jobs, the first one in the file is reported, every time (not the first
    /// a dictionary happens to yield).
    func testTheFirstBadJobInFileOrderIsReported() throws {
        let jobs = (0..<12).map { "  job\(String(format: "%02d", 11 - $0)):\n    source: ../outside\($0)\n" }.joined()
        let text = "project: shop\ntargets:\n  local:\n    engine: local\n    artifacts: {path: state}\njobs:\n" + jobs
        for _ in 0..<3 {
            let found = try issues(text)
            XCTAssertEqual(found.first?.path, "jobs.job11.source", "\(found)")
            XCTAssertEqual(found.first?.line, 8)
        }
    }

    /// doctor's probe sits beside the locks but can never be one: target names have no '.'.
    func testDoctorProbeIsNeverALock() {
        let layout = Layout(prefix: "p", target: "prod")
        XCTAssertEqual(Doctor.probeKey(layout, target: "prod"), "p/locks/prod.doctor-probe.json")
        for name in ["prod", "doctor-prod", "prod-doctor-probe"] {
            XCTAssertNotEqual(Doctor.probeKey(layout, target: "prod"), Layout(prefix: "p", target: name).lockKey)
        }
        XCTAssertNil("prod.doctor-probe".range(of: "^[a-z][a-z0-9_-]{0,31}$", options: .regularExpression), "not a valid target name")
    }

    /// The schema (what is checked, with positions) and the Codable documents (what is read)
    /// name the same keys: a key added to one and not the other fails here, not in a user's run.
    func testSchemaAndDocumentsNameTheSameKeys() throws {
        func keys(_ schema: Schema?) -> Set<String> {
            guard case .object(let fields)? = schema else { return [] }
            return Set(fields.keys)
        }
        func field(_ schema: Schema?, _ key: String) -> Schema? {
            switch schema {
            case .object(let fields)?: return fields[key]?.schema
            case .map(let value, _, _)?: return key == "*" ? value : nil
            default: return nil
            }
        }
        func names<K: CaseIterable & CodingKey>(_ type: K.Type) -> Set<String> { Set(K.allCases.map(\.stringValue)) }
        let registry = EngineRegistry.builtIn
        let manifest = Schema.manifest(registry)
        // terraform_outputs is read before interpolation, from the node itself.
        XCTAssertEqual(keys(manifest).subtracting(["terraform_outputs"]), names(ManifestDocument.CodingKeys.self))
        let target = field(field(manifest, "targets"), "*")
        let engineKeys = Set(registry.plugins.flatMap { Array($0.targetFields.keys) + [$0.settingsSection] })
        XCTAssertEqual(keys(target).subtracting(engineKeys), names(TargetDocument.CodingKeys.self))
        XCTAssertEqual(keys(field(target, "artifacts")), names(TargetDocument.Artifacts.CodingKeys.self))
        XCTAssertEqual(keys(field(target, "runtime")), names(TargetDocument.Runtime.CodingKeys.self))
        // Each engine's job settings: in its own section, under engines.<engine>, all readable.
        XCTAssertEqual(Set(registry.plugins.flatMap(\.settingKeys)), names(SettingsDocument.CodingKeys.self))
        XCTAssertEqual(
            keys(field(target, "glue")), ["arguments", "version", "worker_type", "number_of_workers", "timeout_minutes", "max_concurrent_runs", "retries"])
        for plugin in registry.plugins {
            XCTAssertTrue(plugin.settingKeys.isSubset(of: keys(field(target, plugin.settingsSection))), "\(plugin.kind)")
        }
        let job = field(field(manifest, "jobs"), "*")
        XCTAssertEqual(keys(job), names(JobDocument.CodingKeys.self))
        XCTAssertEqual(keys(field(job, "schedule")), names(JobDocument.Schedule.CodingKeys.self))
        XCTAssertEqual(keys(field(job, "notify")), names(JobDocument.Notify.CodingKeys.self))
        XCTAssertEqual(keys(field(job, "engines")), Set(registry.names))
        for plugin in registry.plugins { XCTAssertEqual(keys(field(field(job, "engines"), plugin.kind.rawValue)), plugin.settingKeys, "\(plugin.kind)") }
    }

    func testMissingManifestIsOneLine() {
        XCTAssertThrowsError(try ManifestLoader().load(file: directory + "/nope.yml")) { error in
            XCTAssertTrue("\(error)".contains("cannot read"))
            XCTAssertFalse("\(error)".contains("\n"))
        }
    }

    func testRepositoryManifestIsValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let manifest = try ManifestLoader(environment: [:]).load(file: root.appendingPathComponent("deployer.yml").path)
        XCTAssertEqual(manifest.jobs.map(\.name), ["cdc_merge", "sales_etl"])
        XCTAssertEqual(Set(manifest.targets.keys), ["local", "dev", "prod"])
    }

    /// `requirements:` is checked at validate time: an unpinned line is named in both files;
    /// `libraries:` and `runtime:` load; engine spark needs its master.
    func testRequirementsLibrariesRuntimeAndSparkEngine() throws {
        try FileManager.default.createDirectory(atPath: directory + "/jobs/etl", withIntermediateDirectories: true)
        try "PyYAML==6.0.2\npandas>=2\n".write(toFile: directory + "/jobs/etl/requirements.txt", atomically: true, encoding: .utf8)
        let text = """
            project: shop
            targets:
              cluster:
                engine: spark
                artifacts: {path: state}
                spark: {master: "spark://127.0.0.1:7077", python: /opt/venv/bin/python, deploy_mode: client}
                runtime: {python: "3.9", arch: arm64}
            jobs:
              etl:
                source: jobs/etl
                libraries: [jobs/common]
                requirements: jobs/etl/requirements.txt
            """
        let file = try write(text)
        XCTAssertThrowsError(try ManifestLoader(environment: [:]).load(file: file)) { error in
            XCTAssertEqual(
                "\(error)",
                "\(file):12:19: jobs.etl.requirements: \(directory!)/jobs/etl/requirements.txt:2: 'pandas>=2' is not pinned: write NAME==VERSION (e.g. PyYAML==6.0.2), so every build ships the same code"
            )
        }
        try "PyYAML==6.0.2\n".write(toFile: directory + "/jobs/etl/requirements.txt", atomically: true, encoding: .utf8)
        let manifest = try ManifestLoader(environment: [:]).load(file: file)
        let target = try manifest.target("cluster")
        XCTAssertEqual(target.engine, .spark)
        XCTAssertEqual(
            target.configuration(SparkSubmitConfiguration.self),
            SparkSubmitConfiguration(kind: .spark, master: "spark://127.0.0.1:7077", python: "/opt/venv/bin/python"))
        XCTAssertEqual(try PythonRuntime.offline(for: target), PythonRuntime(python: "3.9", arch: "aarch64"))
        let job = try manifest.job("etl")
        XCTAssertEqual(job.libraries, [directory + "/jobs/common"])
        XCTAssertEqual(job.requirements, directory + "/jobs/etl/requirements.txt")

        let noMaster = try write(
            text.replacingOccurrences(of: "    spark: {master: \"spark://127.0.0.1:7077\", python: /opt/venv/bin/python, deploy_mode: client}\n", with: ""),
            name: "nomaster.yml")
        XCTAssertThrowsError(try ManifestLoader(environment: [:]).load(file: noMaster)) {
            XCTAssertTrue("\($0)".contains("engine spark needs spark.master"), "\($0)")
        }
        let outside = try write(text.replacingOccurrences(of: "libraries: [jobs/common]", with: "libraries: [/etc]"), name: "outside.yml")
        XCTAssertThrowsError(try ManifestLoader(environment: [:]).load(file: outside)) {
            XCTAssertTrue("\($0)".contains("jobs.etl.libraries[0]: '/etc' is absolute"), "\($0)")
        }
        let badMaster = try write(text.replacingOccurrences(of: "spark://127.0.0.1:7077", with: "http://x"), name: "badmaster.yml")
        XCTAssertThrowsError(try ManifestLoader(environment: [:]).load(file: badMaster)) {
            XCTAssertTrue("\($0)".contains("spark.master: 'http://x' is not valid"), "\($0)")
        }
    }
}
