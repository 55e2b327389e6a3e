import AWSCore
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
        if let found = Subprocess.onPath("spark-submit", environment) { return found }
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

    /// Nothing to create: the definition lives in the deployment record.
    public func apply(name: String, desired: JSONValue, live: JSONValue?) async throws {}
    /// Nothing to delete.
    public func delete(name: String) async throws {}

}
