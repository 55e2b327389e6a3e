import AWSCore
import Crypto
import Foundation
import SigV4

/// A job's third-party Python packages, built for one engine runtime from the job's pinned
/// `requirements.txt`, and content-addressed like the artifact: the same lock for the same
/// runtime gives the same bytes and digest, so nothing is uploaded twice.
///
/// - Pure-Python wheels become `deps.zip`, importable from `--py-files` / Glue `--extra-py-files`.
/// - Wheels with native code cannot be imported from a zip: for Glue they travel as the wheels
///   themselves (`wheels/*.whl`, installed with `--additional-python-modules` and pip's
///   `--no-index`), elsewhere as `site-packages.zip`, which Spark unpacks beside each executor
///   (`spark.archives=…#deps`) and which goes on the driver's and executors' `PYTHONPATH`.
/// - Glue's Python shell gets every wheel as the wheel file (`allWheels`), no `deps.zip`.
public struct DependencyBundle: Sendable, Equatable, Codable {
    /// How native packages reach the engine.
    public enum Delivery: String, Sendable, Codable {
        /// Glue: the wheel files, installed by Glue's pip at job start.
        case wheels
        /// Spark everywhere else: one `site-packages.zip` for `spark.archives`.
        case archive
        /// Glue's Python shell: every wheel, the pure ones too, as the wheel files. It installs
        /// the `.whl` files of `--extra-py-files` with pip and documents no `.zip` there.
        case allWheels
    }

    /// One file of the bundle.
    public struct File: Sendable, Equatable, Codable {
        /// Its path in the bundle (`deps.zip`, `wheels/NAME.whl`, `SHA256SUMS`).
        public var name: String
        /// Its size in bytes.
        public var size: UInt64
        /// Its SHA-256, hex.
        public var sha256: String
    }

    /// The SHA-256 of the bundle's `SHA256SUMS`: names the bundle and its store prefix.
    public var digest: String
    /// The Python version and architecture it was built for.
    public var runtime: PythonRuntime
    /// How its native packages reach the engine.
    public var delivery: Delivery
    /// `name==version` of every wheel in the bundle, sorted.
    public var packages: [String]
    /// Top-level modules the bundle provides (what the test import loads).
    public var modules: [String]
    /// Upload order; `SHA256SUMS` last, so its presence marks a complete upload.
    public var files: [File]
    /// Where the files are on this machine.
    public var directory: String

    /// The pure-Python packages' archive.
    public static let pureArchive = "deps.zip"
    /// The native packages' archive (delivery `archive`).
    public static let nativeArchive = "site-packages.zip"
    /// The folder name `spark.archives` unpacks `site-packages.zip` into (`#deps`).
    public static let archiveAlias = "deps"

    /// Whether the bundle has a `deps.zip`.
    public var hasPure: Bool { files.contains { $0.name == Self.pureArchive } }
    /// Whether the bundle has a `site-packages.zip`.
    public var hasNativeArchive: Bool { files.contains { $0.name == Self.nativeArchive } }
    /// The names of its wheel files (`wheels/…`), in upload order.
    public var wheelFiles: [String] { files.map(\.name).filter { $0.hasPrefix("wheels/") } }

}

/// Builds dependency bundles: `pip download` for the target's platform and Python ABI (never
/// the build machine's), a check that every wheel pip chose is pinned in the lock, the
/// deterministic archives, then a test import in a clean interpreter of the target's version.
public struct DependencyBuilder: Sendable {
    /// Where built bundles are kept (`.deployer/build/dependencies`), by cache key.
    public var buildRoot: String
    /// Wheels already downloaded, per runtime (`.deployer/cache/wheels`): a rebuild reads them
    /// without the network.
    public var wheelCache: String
    /// The environment pip and the test import read (`DEPLOYER_PIP_PYTHON`, interpreters).
    public var environment: [String: String]
    /// Progress lines.
    public var log: @Sendable (String) -> Void

    /// A builder keeping bundles in `buildRoot` and wheels in `wheelCache`; logs nothing by default.
    public init(
        buildRoot: String, wheelCache: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.buildRoot = buildRoot
        self.wheelCache = wheelCache
        self.environment = environment
        self.log = log
    }

    /// The builder for a manifest's jobs: bundles under `BUILD/dependencies` (default build root
    /// `.deployer/build` beside the manifest), wheels cached in `.deployer/cache/wheels` there.
    public init(
        manifest: Manifest, buildRoot: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.init(
            buildRoot: (buildRoot ?? manifest.directory + "/.deployer/build") + "/dependencies",
            wheelCache: manifest.directory + "/.deployer/cache/wheels", environment: environment, log: log)
    }

    /// The bundle of every job with `requirements:`, by job name, for `runtime` (jobs without a
    /// lock have none). On `target`, a job running on DuckDB adds its `duckdb.requirements`.
    public func bundles(_ jobs: [Job], runtime: PythonRuntime, delivery: DependencyBundle.Delivery, target: Target? = nil) throws -> [String:
        DependencyBundle]
    {
        var bundles: [String: DependencyBundle] = [:]
        for job in jobs {
            let files = target.map(job.requirementFiles(on:)) ?? [job.requirements].compactMap { $0 }
            guard !files.isEmpty else { continue }
            bundles[job.name] = try bundle(try Requirements.load(files: files), runtime: runtime, delivery: delivery, job: job.name)
        }
        return bundles
    }

    /// The format's version: part of the cache key, so a changed builder never reuses old bundles.
    static let formatVersion = "deployer-dependencies-1"

    /// The interpreter that runs pip (`DEPLOYER_PIP_PYTHON`, default `python3`).
    var pipPython: String { environment["DEPLOYER_PIP_PYTHON"] ?? "python3" }

    /// The bundle of `requirements` for `runtime`: from the build cache when this lock was built
    /// for this runtime before, else built (and test-imported) now.
    public func bundle(_ requirements: Requirements, runtime: PythonRuntime, delivery: DependencyBundle.Delivery, job: String) throws -> DependencyBundle {
        let key = PayloadHash.hex(Array("\(Self.formatVersion)\n\(runtime.key)\n\(delivery.rawValue)\n".utf8) + requirements.bytes)
        let directory = buildRoot + "/" + key
        if let cached = try? JSONDecoder().decode(DependencyBundle.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/bundle.json"))),
            cached.files.allSatisfy({ FileManager.default.fileExists(atPath: directory + "/" + $0.name) })
        {
            var found = cached
            found.directory = directory
            return found
        }
        let fileManager = FileManager.default
        try fileManager.createDirectory(atPath: buildRoot, withIntermediateDirectories: true)
        let staging = buildRoot + "/.staging-\(UUID().uuidString)"
        defer { try? fileManager.removeItem(atPath: staging) }
        try fileManager.createDirectory(atPath: staging + "/download", withIntermediateDirectories: true)
        let wheels = try download(requirements, runtime: runtime, into: staging + "/download", job: job)
        var pure: [Wheel] = []
        var native: [Wheel] = []
        for wheel in wheels {
            guard let pin = requirements.pin(for: wheel.name) else {
                throw DeployError(
                    "\(requirements.file): \(wheel.name)==\(wheel.version) is needed (a dependency of a pinned package) but not pinned: add the line '\(wheel.name)==\(wheel.version)' so every build ships the same code"
                )
            }
            guard pin.version == wheel.version else {
                throw DeployError(
                    "\(requirements.file):\(pin.line): pip chose \(wheel.name) \(wheel.version) for \(runtime), not the pinned \(pin.version): check the pin")
            }
            guard runtime.accepts(python: wheel.pythonTag, abi: wheel.abiTag, platform: wheel.platformTag) else {
                throw DeployError(
                    "\(wheel.file) does not load on \(runtime) (tags \(wheel.pythonTag)-\(wheel.abiTag)-\(wheel.platformTag)): pin a version with a wheel for it"
                )
            }
            if wheel.isPure { pure.append(wheel) } else { native.append(wheel) }
        }
        try extract(pure, into: staging + "/pure")
        try extract(native, into: staging + "/native")
        var files: [DependencyBundle.File] = []
        func add(_ written: Artifact.File, as name: String) {
            files.append(DependencyBundle.File(name: name, size: written.size, sha256: written.sha256))
        }
        if !pure.isEmpty && delivery != .allWheels {
            add(try StoredZip.write(try treeEntries(staging + "/pure"), to: staging + "/" + DependencyBundle.pureArchive), as: DependencyBundle.pureArchive)
        }
        if delivery == .archive, !native.isEmpty {
            add(
                try StoredZip.write(try treeEntries(staging + "/native"), to: staging + "/" + DependencyBundle.nativeArchive),
                as: DependencyBundle.nativeArchive)
        }
        let asWheels = delivery == .allWheels ? pure + native : delivery == .wheels ? native : []
        if !asWheels.isEmpty {
            try fileManager.createDirectory(atPath: staging + "/wheels", withIntermediateDirectories: true)
            for wheel in asWheels.sorted(by: { $0.file < $1.file }) {
                let source = SourceFile(path: staging + "/download/" + wheel.file, resolved: staging + "/download/" + wheel.file)
                add(try StreamingFile.copy(from: source, to: staging + "/wheels/" + wheel.file, name: wheel.file), as: "wheels/" + wheel.file)
            }
        }
        files.sort { $0.name < $1.name }
        let sums = SHA256Sums.render(files.map { ($0.name, $0.sha256) })
        try Data(sums).write(to: URL(fileURLWithPath: staging + "/SHA256SUMS"))
        let digest = PayloadHash.hex(sums)
        files.append(DependencyBundle.File(name: "SHA256SUMS", size: UInt64(sums.count), sha256: digest))
        let modules = Set(topLevelModules(staging + "/pure") + topLevelModules(staging + "/native")).sorted()
        var bundle = DependencyBundle(
            digest: digest, runtime: runtime, delivery: delivery,
            packages: wheels.map { "\($0.name)==\($0.version)" }.sorted(), modules: modules, files: files, directory: directory)
        // The test import needs the unpacked native packages; they are not part of the bundle.
        try testImport(
            bundle, pure: pure.isEmpty ? nil : staging + (delivery == .allWheels ? "/pure" : "/" + DependencyBundle.pureArchive),
            native: native.isEmpty ? nil : staging + "/native", job: job, requirements: requirements)
        try? fileManager.removeItem(atPath: staging + "/download")
        try? fileManager.removeItem(atPath: staging + "/pure")
        try? fileManager.removeItem(atPath: staging + "/native")
        try JSONEncoder.sorted.encode(bundle).write(to: URL(fileURLWithPath: staging + "/bundle.json"))
        try ContentAddressedFolder.place(staging, at: directory, marker: "bundle.json", what: "the built bundle")
        bundle.directory = directory
        log("built dependencies of \(job) for \(runtime): \(bundle.packages.joined(separator: ", ")) → \(digest.prefix(12))")
        return bundle
    }
}
