import AWSCore
import Foundation
import SigV4

extension LocalEngine {
    /// Checks the bundle, then starts `spark-submit` detached (its own session) with the run's
    /// arguments and records pid, command and metadata in `runs/NAME/RUN_ID/run.json`; returns
    /// the run id (`local-TIMESTAMP-XXXXXX`). Throws when it did not start within 5 seconds.
    public func start(name: String, definition: JSONValue, request: RunRequest) async throws -> String {
        let arguments = request.arguments
        guard let entry = definition["entryPoint"]?.stringValue, let pyFiles = definition["pyFiles"]?.stringValue else {
            throw DeployError("job \(name) has no recorded definition: run deployer apply -t \(target.name)")
        }
        let runId = "local-" + AMZDate(Date()).timestamp + "-" + String(UUID().uuidString.lowercased().prefix(6))
        let directory = runDirectory(name, runId)
        let duckdb = definition["jobRuntime"]?.stringValue == JobRuntime.duckdb.rawValue
        let container = try container()
        if let container { try container.checkImage() }
        var command: [String] = []
        if !duckdb {
            // In an image, its own spark-submit (on the image's PATH) runs the job.
            command = [container == nil ? try sparkSubmit() : "spark-submit", "--master", definition["master"]?.stringValue ?? "local[*]"]
            command += (definition["sparkSubmitParameters"]?.stringValue ?? "").split(separator: " ").map(String.init)
        }
        var driverPath: String?
        if let digest = definition["dependencies"]?.stringValue {
            // The bundle's folder, from whichever of its files this run reads from disk.
            let files = [definition["archive"]?.stringValue].compactMap { $0 } + pyFiles.split(separator: ",").map(String.init)
            if let file = files.first(where: { $0.hasPrefix("/") && $0.contains("/" + digest + "/") }) {
                try Self.verifyBundle((file as NSString).deletingLastPathComponent, digest: digest, target: target.name)
            }
        }
        if let archive = definition["archive"]?.stringValue, let digest = definition["dependencies"]?.stringValue {
            driverPath = try unpackedArchive(archive, digest: digest)
            let urls = ArtifactURLs(
                entryPoint: entry, codeZip: pyFiles, config: "",
                dependencies: DependencyURLs(digest: digest, pureArchive: nil, nativeArchive: archive, wheels: []))
            if !duckdb { for setting in urls.archiveSettings(driverEnvironment: nil) { command += ["--conf", setting] } }
        }
        if let python = definition["python"]?.stringValue, !duckdb {
            command += ["--conf", "spark.pyspark.python=\(python)", "--conf", "spark.pyspark.driver.python=\(python)"]
        }
        // Only once everything the run needs is found and checked: a refused run leaves no folder.
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if duckdb {
            command = [definition["python"]?.stringValue ?? (container == nil ? python : "python3"), entry]
        } else {
            command += ["--py-files", pyFiles, entry]
        }
        let jobArguments = recordedArguments(definition) + Self.argumentList(arguments)
        command += jobArguments
        let log = directory + "/driver.log"
        let containerName = container.map { _ in LocalContainer.name(job: name, runId: runId) }
        // `times` gives the CPU time of the shell's children (spark-submit, the JVM, Python).
        // A shell records its own pid (after setsid it leads the run's process group: spark-submit,
        // the JVM and Python), then the exit code when spark-submit ends. setsid detaches it from
        // us so `run` without --wait returns while the job goes on. setsid forks when its caller
        // already leads a group, so the pid Process reports is not the run's: the shell's is.
        // In a container the job's CPU time is not the shell's children's: a shell inside writes it.
        let script =
            "echo $$ > \"$DEPLOYER_PID.tmp\" && mv \"$DEPLOYER_PID.tmp\" \"$DEPLOYER_PID\"; \"$@\" > \"$DEPLOYER_LOG\" 2>&1; code=$?; [ -n \"$DEPLOYER_CPU_INSIDE\" ] || times > \"$DEPLOYER_EXIT.cpu\"; echo $code > \"$DEPLOYER_EXIT.tmp\" && mv \"$DEPLOYER_EXIT.tmp\" \"$DEPLOYER_EXIT\""
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory)
        var env = environment
        // Local Spark binds to the host's address unless told otherwise: keep it on loopback.
        if env["SPARK_LOCAL_IP"] == nil { env["SPARK_LOCAL_IP"] = "127.0.0.1" }
        if let python = definition["python"]?.stringValue {
            env["PYSPARK_PYTHON"] = python
            env["PYSPARK_DRIVER_PYTHON"] = python
        }
        // The driver runs here: it reads the unpacked bundle (Spark puts --py-files on its path;
        // without Spark, the code and pure archives go on it too).
        let codePath = duckdb ? pyFiles.split(separator: ",").map(String.init) : []
        let searchPath = codePath + [driverPath].compactMap { $0 } + [env["PYTHONPATH"]].compactMap { $0 }.filter { !$0.isEmpty }
        if !searchPath.isEmpty { env["PYTHONPATH"] = searchPath.joined(separator: ":") }
        env["DEPLOYER_LOG"] = log
        env["DEPLOYER_EXIT"] = directory + "/exit_code"
        env["DEPLOYER_PID"] = directory + "/pid"
        if let container, let containerName {
            command = try containerCommand(
                container, name: containerName, command: command, directory: directory, arguments: jobArguments,
                pythonPath: codePath + [driverPath].compactMap { $0 }, environment: env)
            env["DEPLOYER_CPU_INSIDE"] = "1"
        }
        process.arguments = ["/bin/sh", "-c", script, "sh"] + command
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var pid: Int32?
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: directory + "/pid", encoding: .utf8),
                let value = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                pid = value
                break
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        guard let pid else { throw DeployError("the local run \(runId) did not start within 5 s: see \(log)") }
        let record = RunRecord(
            id: runId, job: name, pid: pid, startedAt: Date(), command: command, log: log, metadata: request.metadata, container: containerName)
        try JSONEncoder.pretty.encode(record).write(to: URL(fileURLWithPath: directory + "/run.json"))
        return runId
    }

    /// The arguments recorded in the definition.
    func recordedArguments(_ definition: JSONValue) -> [String] {
        guard case .array(let recorded)? = definition["arguments"] else { return [] }
        return recorded.compactMap(\.stringValue)
    }

    /// `command` inside the target's image: a shell there writes the job's CPU time into the run's
    /// folder; the manifest's folder, the target's store and every local path argument are
    /// mounted read-only, output paths (`--*output*`) and the run's folder writable; Spark's and
    /// Python's settings are set, AWS's passed by name.
    func containerCommand(
        _ container: LocalContainer, name: String, command: [String], directory: String, arguments: [String], pythonPath: [String],
        environment env: [String: String]
    ) throws -> [String] {
        var readOnly = [workingDirectory, root]
        var writable = [directory]
        var index = 0
        while index < arguments.count {
            let key = arguments[index]
            guard key.hasPrefix("--"), index + 1 < arguments.count, !arguments[index + 1].hasPrefix("--") else {
                index += 1
                continue
            }
            let value = arguments[index + 1]
            index += 2
            // Paths only: `--as_of 2021-05-31` or `--output_format parquet` mount nothing.
            let pathLike = value.contains("/") || key.hasSuffix("_path") || key.hasSuffix("_dir")
            guard pathLike, !value.contains("://"), !value.isEmpty else { continue }
            let path = value.hasPrefix("/") ? value : workingDirectory + "/" + value
            if key.contains("output") {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                writable.append(path)
            } else if FileManager.default.fileExists(atPath: path) {
                readOnly.append(path)
            }
        }
        // The host's interpreters and search path mean nothing inside: only what the run set.
        var values = ["SPARK_LOCAL_IP": env["SPARK_LOCAL_IP"] ?? "127.0.0.1"]
        if !pythonPath.isEmpty { values["PYTHONPATH"] = pythonPath.joined(separator: ":") }
        if let python = configuration?.python {
            values["PYSPARK_PYTHON"] = python
            values["PYSPARK_DRIVER_PYTHON"] = python
        }
        let passed = env.keys.filter { $0.hasPrefix("AWS_") }
        let inner = ["/bin/sh", "-c", "\"$@\"; code=$?; times > \"$0\"; exit $code", directory + "/exit_code.cpu"] + command
        return container.runCommand(
            name: name, command: inner, workingDirectory: workingDirectory, readOnly: readOnly, writable: writable, values: values, passed: passed)
    }
}
