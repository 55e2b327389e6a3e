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
public struct DependencyBundle: Sendable, Equatable, Codable {
    /// How native packages reach the engine.
    public enum Delivery: String, Sendable, Codable {
        /// Glue: the wheel files, installed by Glue's pip at job start.
        case wheels
        /// Spark everywhere else: one `site-packages.zip` for `spark.archives`.
        case archive
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
        if !pure.isEmpty {
            add(try StoredZip.write(try treeEntries(staging + "/pure"), to: staging + "/" + DependencyBundle.pureArchive), as: DependencyBundle.pureArchive)
        }
        if !native.isEmpty {
            switch delivery {
            case .archive:
                add(
                    try StoredZip.write(try treeEntries(staging + "/native"), to: staging + "/" + DependencyBundle.nativeArchive),
                    as: DependencyBundle.nativeArchive)
            case .wheels:
                try fileManager.createDirectory(atPath: staging + "/wheels", withIntermediateDirectories: true)
                for wheel in native.sorted(by: { $0.file < $1.file }) {
                    let source = SourceFile(path: staging + "/download/" + wheel.file, resolved: staging + "/download/" + wheel.file)
                    add(try StreamingFile.copy(from: source, to: staging + "/wheels/" + wheel.file, name: wheel.file), as: "wheels/" + wheel.file)
                }
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
            bundle, pure: pure.isEmpty ? nil : staging + "/" + DependencyBundle.pureArchive,
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

    // MARK: Download

    struct Wheel {
        var file: String
        var name: String
        var version: String
        var pythonTag: String
        var abiTag: String
        var platformTag: String
        var isPure: Bool { abiTag == "none" && platformTag == "any" }

        /// `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`
        init?(file: String) {
            guard file.hasSuffix(".whl") else { return nil }
            let parts = file.dropLast(4).split(separator: "-").map(String.init)
            guard parts.count == 5 || parts.count == 6 else { return nil }
            self.file = file
            name = parts[0]
            version = parts[1]
            pythonTag = parts[parts.count - 3]
            abiTag = parts[parts.count - 2]
            platformTag = parts[parts.count - 1]
        }
    }

    /// pip's arguments for `runtime`: binary wheels only, the target's interpreter, ABI and platforms.
    static func pipArguments(_ requirements: Requirements, runtime: PythonRuntime, destination: String, cache: String, offline: Bool) -> [String] {
        var arguments = [
            "-m", "pip", "download", "--disable-pip-version-check", "--no-input", "--progress-bar", "off",
            "--only-binary=:all:", "--implementation", "cp", "--python-version", runtime.python,
            "--abi", runtime.abiTag, "--abi", "abi3", "--abi", "none",
        ]
        for platform in runtime.platformTags { arguments += ["--platform", platform] }
        arguments += ["--find-links", cache, "-d", destination]
        for file in requirements.files.isEmpty ? [requirements.file] : requirements.files { arguments += ["-r", file] }
        if offline { arguments.append("--no-index") }
        return arguments
    }

    func download(_ requirements: Requirements, runtime: PythonRuntime, into destination: String, job: String) throws -> [Wheel] {
        let cache = wheelCache + "/" + runtime.key
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        func pip(offline: Bool) throws -> BoundedProcess.Result {
            // pip reports on stderr: merged into the captured output.
            try Subprocess.run(
                ["/bin/sh", "-c", "\"$@\" 2>&1", "sh", pipPython]
                    + Self.pipArguments(requirements, runtime: runtime, destination: destination, cache: cache, offline: offline),
                timeout: .seconds(900))
        }
        var result = try pip(offline: true)
        if result.status != 0 {
            // Not all in the cache yet: the index, then.
            for leftover in (try? FileManager.default.contentsOfDirectory(atPath: destination)) ?? [] {
                try? FileManager.default.removeItem(atPath: destination + "/" + leftover)
            }
            log("downloading wheels of \(job) for \(runtime)")
            result = try pip(offline: false)
        }
        guard result.status == 0 else { throw Self.pipFailure(result.text, requirements: requirements, runtime: runtime, python: pipPython) }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: destination)) ?? []).sorted()
        var wheels: [Wheel] = []
        for file in files {
            guard let wheel = Wheel(file: file) else {
                throw DeployError("pip fetched \(file), which is not a wheel, for \(requirements.file): only binary wheels are shipped")
            }
            wheels.append(wheel)
            if !FileManager.default.fileExists(atPath: cache + "/" + file) {
                try? FileManager.default.copyItem(atPath: destination + "/" + file, toPath: cache + "/" + file)
            }
        }
        return wheels
    }

    /// pip's failure as one line: which package, which runtime, what to do.
    static func pipFailure(_ output: String, requirements: Requirements, runtime: PythonRuntime, python: String) -> DeployError {
        let lines = output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        if output.contains("No module named pip") {
            return DeployError("\(python) has no pip: install it (python3 -m ensurepip) or set DEPLOYER_PIP_PYTHON to an interpreter with pip")
        }
        let markers = ["No matching distribution found for ", "satisfies the requirement "]
        if let (line, marker) = markers.lazy.compactMap({ marker in lines.first { $0.contains(marker) }.map { ($0, marker) } }).first {
            let package = line.components(separatedBy: marker).last?.components(separatedBy: " ").first ?? "?"
            let known = requirements.pin(for: String(package.split(separator: "=").first ?? ""))
            return DeployError(
                "\(requirements.file)\(known.map { ":\($0.line)" } ?? ""): \(Redaction.scrub(package, limit: 80)) has no wheel for \(runtime) (manylinux, \(runtime.abiTag)) on the index: pin a version that publishes one, build and host a wheel, or drop the requirement (pip: \(Redaction.scrub(line, limit: 160)))"
            )
        }
        if let line = lines.first(where: { $0.contains("DO NOT MATCH THE HASHES") || $0.contains("Hashes are required") }) {
            return DeployError(
                "\(requirements.file): \(Redaction.scrub(line, limit: 160)): fix the --hash lines (pip: every package needs a matching hash once one line has one)"
            )
        }
        let last = lines.last(where: { $0.hasPrefix("ERROR") }) ?? lines.last ?? "no output"
        return DeployError("pip download for \(requirements.file) (\(runtime)) failed: \(Redaction.scrub(last, limit: 200))")
    }

    // MARK: Unpacking

    /// Unpacks wheels (Python's zipfile drops absolute and `..` member names) into `directory`;
    /// a wheel's `*.data/purelib` and `platlib` join the top level, its scripts and headers are dropped.
    func extract(_ wheels: [Wheel], into directory: String) throws {
        guard !wheels.isEmpty else { return }
        let script = """
            import os, shutil, sys, zipfile
            out = sys.argv[1]
            for wheel in sys.argv[2:]:
                with zipfile.ZipFile(wheel) as archive:
                    archive.extractall(out)
            for entry in sorted(os.listdir(out)):
                if entry.endswith('.data') and os.path.isdir(os.path.join(out, entry)):
                    data = os.path.join(out, entry)
                    for kind in ('purelib', 'platlib'):
                        tree = os.path.join(data, kind)
                        if os.path.isdir(tree):
                            shutil.copytree(tree, out, dirs_exist_ok=True)
                    shutil.rmtree(data)
            """
        let paths = wheels.map { (directory as NSString).deletingLastPathComponent + "/download/" + $0.file }
        let result = try Subprocess.run(["/bin/sh", "-c", "\"$@\" 2>&1", "sh", pipPython, "-I", "-c", script, directory] + paths, timeout: .seconds(600))
        guard result.status == 0 else {
            throw DeployError(
                "cannot unpack \(wheels.map(\.file).joined(separator: ", ")): \(Redaction.scrub(result.text.split(separator: "\n").last.map(String.init) ?? "", limit: 200))"
            )
        }
    }

    /// Every regular file under `root` as zip entries (sorted, `__pycache__` and `.pyc` left out).
    func treeEntries(_ root: String) throws -> [(name: String, source: SourceFile)] {
        var entries: [(name: String, source: SourceFile)] = []
        guard let walker = FileManager.default.enumerator(atPath: root) else { throw DeployError("\(root): cannot be read") }
        while let relative = walker.nextObject() as? String {
            if relative.split(separator: "/").contains("__pycache__") || relative.hasSuffix(".pyc") { continue }
            let full = root + "/" + relative
            var info = stat()
            guard lstat(full, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            entries.append((relative, SourceFile(path: full, resolved: full)))
        }
        return entries.sorted { $0.name.unicodeScalars.lexicographicallyPrecedes($1.name.unicodeScalars) }
    }

    /// Importable top-level names under `root`: packages, modules, extension modules.
    func topLevelModules(_ root: String) -> [String] {
        var names: [String] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            if entry.hasSuffix(".dist-info") || entry.hasSuffix(".data") || entry == "__pycache__" || entry.hasPrefix("_") && entry.hasSuffix(".pth") {
                continue
            }
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: root + "/" + entry, isDirectory: &isDirectory)
            if isDirectory.boolValue {
                if FileManager.default.fileExists(atPath: root + "/" + entry + "/__init__.py"),
                    entry.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil
                {
                    names.append(entry)
                }
            } else if entry.hasSuffix(".py") || entry.hasSuffix(".so") {
                let name = String(entry.prefix { $0 != "." })
                if name.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil { names.append(name) }
            }
        }
        return names
    }

    // MARK: Test import

    /// Imports every top-level module of the bundle in a clean interpreter of the runtime's
    /// version (`python -I -S`: no site-packages, no PYTHONPATH, only the bundle on the path).
    /// Without such an interpreter on this machine, the wheels' tags were already checked
    /// against the runtime; that is said in the log.
    func testImport(_ bundle: DependencyBundle, pure: String?, native: String?, job: String, requirements: Requirements) throws {
        guard !bundle.modules.isEmpty else { return }
        guard let python = bundle.runtime.interpreter(environment: environment) else {
            log("no \(bundle.runtime) interpreter on this machine: the wheels' tags were checked against it instead of importing them")
            return
        }
        let paths = [pure, native].compactMap { $0 }
        let script = """
            import importlib, sys
            count = int(sys.argv[1])
            sys.path[:0] = sys.argv[2:2 + count]
            names = sys.argv[2 + count:]
            failed, optional = [], []
            for name in names:
                try:
                    importlib.import_module(name)
                except ModuleNotFoundError as error:
                    # A module that needs a package nobody asked for (duckdb's ADBC driver without
                    # adbc_driver_manager) is an optional part: said, not fatal. A pinned package's
                    # missing dependency never gets here (pip fetched it, and it must be pinned).
                    missing = (error.name or '').split('.')[0]
                    if missing and missing not in names:
                        optional.append('%s (needs %s)' % (name, missing))
                    else:
                        failed.append('%s (%s: %s)' % (name, type(error).__name__, str(error).splitlines()[0] if str(error) else ''))
                except BaseException as error:
                    failed.append('%s (%s: %s)' % (name, type(error).__name__, str(error).splitlines()[0] if str(error) else ''))
            if failed:
                print('; '.join(failed))
                sys.exit(1)
            if optional:
                print('optional: ' + '; '.join(optional))
            """
        let result = try Subprocess.run(
            ["/bin/sh", "-c", "\"$@\" 2>&1", "sh", python, "-I", "-S", "-c", script, String(paths.count)] + paths + bundle.modules, timeout: .seconds(300))
        if result.status == 0, let line = result.text.split(separator: "\n").last(where: { $0.hasPrefix("optional: ") }) {
            log(
                "\(job): not imported, optional parts of the bundle that need packages it does not pin: \(Redaction.scrub(String(line.dropFirst(10)), limit: 300))"
            )
        }
        guard result.status == 0 else {
            throw DeployError(
                "the dependencies of \(job) (\(requirements.file)) do not import on \(bundle.runtime) (\(python) -I -S): \(Redaction.scrub(result.text.split(separator: "\n").last.map(String.init) ?? "", limit: 300)); nothing was uploaded: pin versions that support it"
            )
        }
        log("test import of \(bundle.modules.joined(separator: ", ")) on \(python): ok")
    }
}
