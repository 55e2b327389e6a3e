import Foundation
import SigV4

/// Spark through `spark-submit` on this machine (engines `local`, with `local[*]`, and `spark`,
/// with any cluster's master URL in client mode): the same artifact run as a detached
/// process, its pid, log and exit code recorded under the target's folder, so run, status
/// and logs behave as on AWS.
public struct LocalEngine: EngineDriver {
    let target: Target
    let root: String
    /// Where relative paths in job arguments resolve: the manifest's folder.
    let workingDirectory: String
    let environment: [String: String]

    /// The engine for `target`, keeping run folders under `root/runs`, starting runs in
    /// `workingDirectory` with `environment`.
    public init(target: Target, root: String, workingDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.target = target
        self.root = root
        self.workingDirectory = workingDirectory
        self.environment = environment
    }

    struct RunRecord: Codable {
        var id: String
        var job: String
        var pid: Int32
        var startedAt: Date
        var command: [String]
        var log: String
        var metadata: RunMetadata?
        /// The container's name when the target runs in an image.
        var container: String?
    }

    /// The target's `image:` with the tool that runs it; nil when runs happen on this machine.
    func container() throws -> LocalContainer? {
        guard let image = configuration?.image else { return nil }
        return try LocalContainer(image: image, environment: environment)
    }

    /// The target's `local:` / `spark:` settings.
    var configuration: SparkSubmitConfiguration? { target.configuration(SparkSubmitConfiguration.self) }

    func runDirectory(_ name: String, _ runId: String) -> String { "\(root)/runs/\(name)/\(runId)" }

    /// A file of a run's folder, read only if it (and the folder) is a regular file or folder:
    /// a symbolic link planted there is not followed (it could lead to /etc/shadow).
    func runFile(_ name: String, _ runId: String, _ file: String) throws -> Data? {
        let directory = runDirectory(name, runId)
        for path in [root + "/runs", root + "/runs/" + name, directory, directory + "/" + file] {
            var info = stat()
            guard lstat(path, &info) == 0 else { return nil }
            if (info.st_mode & S_IFMT) == S_IFLNK {
                throw DeployError("\(path) is a symbolic link: deployer does not follow links in run folders; remove it")
            }
        }
        let descriptor = open(directory + "/" + file, O_RDONLY | O_NOFOLLOW)
        guard descriptor >= 0 else { return nil }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        // Driver logs can be large: the last 64 MiB are what anyone reads.
        let size = handle.seekToEndOfFile()
        handle.seek(toFileOffset: size > 64 << 20 ? size - (64 << 20) : 0)
        return handle.readDataToEndOfFile()
    }

    /// Throws when no `spark-submit` can be found, or, for an image, no container tool or image.
    public func preflight() async throws {
        if let container = try container() { return try container.checkImage() }
        _ = try sparkSubmit()
    }

    /// `local.spark_submit`, `$SPARK_SUBMIT`, `spark-submit` on PATH, or pyspark's own.
    func sparkSubmit() throws -> String {
        if let configured = configuration?.sparkSubmit ?? environment["SPARK_SUBMIT"], !configured.isEmpty { return configured }
        for directory in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/spark-submit"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        let python = environment["DEPLOYER_JOBS_PYTHON"] ?? "python3"
        if let result = try? Subprocess.run(
            [python, "-c", "import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), 'bin', 'spark-submit'))"], timeout: .seconds(60)),
            result.status == 0, FileManager.default.fileExists(atPath: result.text)
        {
            return result.text
        }
        throw DeployError(
            "spark-submit not found: run 'bash Tests/setup.sh' (installs pyspark), put spark-submit on PATH, or set targets.\(target.name).\(target.engine == .spark ? "spark" : "local").spark_submit"
        )
    }

    /// The interpreter jobs run with: `python:` of the target, `$PYSPARK_PYTHON`, or python3.
    var python: String { configuration?.python ?? environment["PYSPARK_PYTHON"] ?? "python3" }

    /// The local interpreter's own version and architecture.
    public func pythonRuntime() async throws -> PythonRuntime? {
        if let container = try container() { return try container.pythonRuntime() }
        return try PythonRuntime.probe(python)
    }

    /// The recorded definition: nothing is held outside the deployment record.
    public func liveDefinition(name: String, recorded: JSONValue?) async throws -> JSONValue? { recorded }

    /// What `start` runs: master (default `local[*]`), entry point, `--py-files`, arguments,
    /// spark-submit parameters (default: UI off, WARN logging), bundle archive, interpreter
    /// and digests.
    public func desiredDefinition(name: String, job: Job, artifact: ArtifactURLs, digest: String) -> JSONValue {
        let settings = target.settings.overlaid(with: job.engines[.local])
        var definition: [String: JSONValue] = [
            "master": .string(configuration?.master ?? "local[*]"),
            "entryPoint": .string(artifact.entryPoint),
            "pyFiles": .string(artifact.pyFiles),
            "arguments": .array(
                Self.argumentList(job.arguments.merging(settings.arguments) { $1 }.merging(job.runtimeArguments(on: target)) { $1 }).map(JSONValue.string)),
            // WARN keeps the driver log to the job's own report; the UI would only hold a port.
            "sparkSubmitParameters": .string(settings.sparkSubmitParameters ?? "--conf spark.ui.enabled=false --conf spark.log.level=WARN"),
            "artifact": .string(digest),
        ]
        if let dependencies = artifact.dependencies {
            definition["dependencies"] = .string(dependencies.digest)
            if let archive = dependencies.nativeArchive { definition["archive"] = .string(archive) }
        }
        if let python = configuration?.python { definition["python"] = .string(python) }
        // DuckDB: the job's Python runs the entry point itself; no spark-submit, no JVM.
        if job.runtime(on: target) == .duckdb {
            definition["jobRuntime"] = .string(JobRuntime.duckdb.rawValue)
            definition["sparkSubmitParameters"] = nil
            definition["master"] = nil
        }
        return .object(definition)
    }

    /// Checks a stored bundle's files against its SHA256SUMS (whose hash is the digest) before
    /// a run uses them: a damaged bundle is named, not half-imported.
    static func verifyBundle(_ directory: String, digest: String, target: String = "TARGET") throws {
        let fix = "delete \(directory) and run 'deployer apply -t \(target)' to store it again"
        guard let sums = FileManager.default.contents(atPath: directory + "/SHA256SUMS") else {
            throw DeployError("dependency bundle \(directory) is missing: \(fix)")
        }
        guard PayloadHash.hex(Array(sums)) == digest else {
            throw DeployError("dependency bundle \(directory): SHA256SUMS does not hash to the digest \(digest.prefix(12)): \(fix)")
        }
        guard let entries = SHA256Sums.entries(Array(sums)) else {
            throw DeployError("dependency bundle \(directory): SHA256SUMS has a line that is not 'HASH  NAME': \(fix)")
        }
        for (name, expected) in entries {
            let actual = try? StreamingFile.sha256(directory + "/" + name)
            guard actual == expected else {
                throw DeployError("dependency bundle \(directory)/\(name) does not match its SHA256SUMS (digest mismatch): \(fix)")
            }
        }
    }

    /// `site-packages.zip` unpacked once per digest for the driver, which runs here (executors
    /// unpack their own copy from `spark.archives`).
    func unpackedArchive(_ archive: String, digest: String) throws -> String {
        let directory = "\(root)/unpacked/\(digest)"
        if FileManager.default.fileExists(atPath: directory + "/.complete") { return directory }
        let staging = directory + ".staging-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: staging) }
        let result = try Subprocess.run(
            [python, "-I", "-S", "-c", "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])", archive, staging], timeout: .seconds(300))
        guard result.status == 0 else { throw DeployError("cannot unpack \(archive) with \(python): redeploy with 'deployer apply -t \(target.name)'") }
        FileManager.default.createFile(atPath: staging + "/.complete", contents: Data())
        try ContentAddressedFolder.place(staging, at: directory, marker: ".complete", what: "the unpacked bundle")
        return directory
    }

    /// Nothing to create: the definition lives in the deployment record.
    public func apply(name: String, desired: JSONValue, live: JSONValue?) async throws {}
    /// Nothing to delete.
    public func delete(name: String) async throws {}

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
        command += recordedArguments(definition) + Self.argumentList(arguments)
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
                container, name: containerName, command: command, directory: directory, arguments: recordedArguments(definition) + Self.argumentList(arguments),
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

    /// The run from its folder: its exit code if written (0 succeeded, else failed or
    /// cancelled), running while its process group lives, else cancelled or lost.
    public func describe(name: String, definition: JSONValue, runId: String) async throws -> RunInfo {
        let directory = runDirectory(name, runId)
        guard let data = try runFile(name, runId, "run.json"), let record = try? JSONDecoder.iso.decode(RunRecord.self, from: data) else {
            throw DeployError("no local run \(runId) of job \(name) under \(root)/runs: 'deployer status \(name) -t \(target.name)' lists its runs")
        }
        let exitPath = directory + "/exit_code"
        if let exitData = try runFile(name, runId, "exit_code"),
            let code = Int(String(decoding: exitData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        {
            let ended = (try? FileManager.default.attributesOfItem(atPath: exitPath)[.modificationDate] as? Date) ?? Date()
            let usage = (try? runFile(name, runId, "exit_code.cpu")).flatMap { $0 }.flatMap(Self.childrenCPUSeconds).map { RunUsage(cpuSeconds: $0) }
            let links = ["logs": record.log]
            if code == 0 {
                return RunInfo(
                    id: runId, state: .succeeded, engineState: "EXITED 0", startedAt: record.startedAt, endedAt: ended, error: nil, metadata: record.metadata,
                    usage: usage, links: links)
            }
            let cancelled = FileManager.default.fileExists(atPath: directory + "/cancelled")
            let error =
                cancelled
                ? "cancelled"
                : (lastErrorLine(record.log) ?? "\((record.command.first as NSString?)?.lastPathComponent ?? "the run") exited with status \(code)")
            return RunInfo(
                id: runId, state: cancelled ? .cancelled : .failed, engineState: "EXITED \(code)", startedAt: record.startedAt, endedAt: ended, error: error,
                metadata: record.metadata, usage: usage, links: links)
        }
        // Any process of the run's group alive (the shell, spark-submit, the JVM) means running;
        // so does the run's container, which outlives a killed `run` client.
        if kill(-record.pid, 0) == 0 || errno == EPERM || (record.container.map { (try? container())??.exists(name: $0) ?? false } ?? false) {
            return RunInfo(
                id: runId, state: .running, engineState: "RUNNING pid \(record.pid)", startedAt: record.startedAt, endedAt: nil, error: nil,
                metadata: record.metadata)
        }
        // The wrapper may be writing the exit code right now: look once more before calling it lost.
        try await Task.sleep(for: .milliseconds(200))
        if FileManager.default.fileExists(atPath: exitPath) { return try await describe(name: name, definition: definition, runId: runId) }
        // Cancelling signals the whole group, the recording shell included.
        if FileManager.default.fileExists(atPath: directory + "/cancelled") {
            return RunInfo(
                id: runId, state: .cancelled, engineState: "CANCELLED", startedAt: record.startedAt, endedAt: Date(), error: "cancelled",
                metadata: record.metadata)
        }
        return RunInfo(
            id: runId, state: .failed, engineState: "LOST", startedAt: record.startedAt, endedAt: nil,
            error: "the run's process \(record.pid) ended without an exit code (killed?)", metadata: record.metadata)
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

    /// The children's user + system seconds from the output of the shell builtin `times`
    /// (second line: `0m12.340s 0m1.020s`).
    static func childrenCPUSeconds(_ data: Data) -> Double? {
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        guard lines.count >= 2 else { return nil }
        var total = 0.0
        for field in lines[1].split(separator: " ") {
            let parts = field.dropLast().split(separator: "m")
            guard field.hasSuffix("s"), parts.count == 2, let minutes = Double(parts[0]), let seconds = Double(parts[1]) else { return nil }
            total += minutes * 60 + seconds
        }
        return total
    }

    /// The job's one-line error (`sales_etl: error: …`) or the last line mentioning an error.
    func lastErrorLine(_ log: String) -> String? {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n").map(String.init)
        return lines.last { $0.contains(": error: ") } ?? lines.last { $0.contains("Error") || $0.contains("ERROR") }
    }

    /// The job's newest run folders that hold a `run.json`, at most `limit`.
    public func recentRuns(name: String, definition: JSONValue, limit: Int) async throws -> [RunInfo] {
        let directory = "\(root)/runs/\(name)"
        let ids = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted(by: >).prefix(limit)
        var runs: [RunInfo] = []
        // A folder without run.json is not a run (a start that failed before recording one).
        // A planted link still fails loudly (runFile throws).
        for id in ids {
            guard try runFile(name, id, "run.json") != nil else { continue }
            runs.append(try await describe(name: name, definition: definition, runId: id))
        }
        return runs
    }

    /// Marks the run cancelled and sends SIGTERM to its process group.
    public func cancel(name: String, definition: JSONValue, runId: String) async throws {
        let directory = runDirectory(name, runId)
        guard let data = try runFile(name, runId, "run.json"), let record = try? JSONDecoder.iso.decode(RunRecord.self, from: data) else {
            throw DeployError("no local run \(runId) of job \(name)")
        }
        FileManager.default.createFile(atPath: directory + "/cancelled", contents: Data())
        // The container first: signalling its `run` client alone would leave it running.
        if let name = record.container, let container = try container() { container.stop(name: name) }
        // setsid made the wrapper a process-group leader: signal the whole group (spark-submit and the JVM).
        kill(-record.pid, SIGTERM)
    }

    /// The run's `driver.log` (stdout and stderr together; its last 64 MiB); throws when there
    /// is no such run.
    public func logs(name: String, definition: JSONValue, runId: String, stderr: Bool) async throws -> [String] {
        // spark-submit's stdout and stderr share one file locally.
        guard try runFile(name, runId, "run.json") != nil else {
            throw DeployError("no local run \(runId) of job \(name) under \(root)/runs: 'deployer status \(name) -t \(target.name)' lists its runs")
        }
        guard let data = try runFile(name, runId, "driver.log") else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }
}
