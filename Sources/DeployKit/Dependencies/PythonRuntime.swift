import Foundation

/// The Python a job runs on in an engine: CPython `major.minor` on a CPU architecture. Wheels
/// are chosen for this runtime, never for the machine running deployer.
public struct PythonRuntime: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// `3.11`
    public var python: String
    /// `x86_64` or `aarch64` (the manifest also takes `arm64`).
    public var arch: String

    /// A runtime; `arch` is normalised where it is a known spelling.
    public init(python: String, arch: String) {
        self.python = python
        self.arch = Self.normalizedArch(arch) ?? arch
    }

    /// `x86_64` / `amd64` / `X86_64` → `x86_64`; `arm64` / `aarch64` / `ARM64` → `aarch64`; else nil.
    public static func normalizedArch(_ text: String) -> String? {
        switch text.lowercased() {
        case "x86_64", "amd64", "x86-64": return "x86_64"
        case "arm64", "aarch64": return "aarch64"
        default: return nil
        }
    }

    /// `cp311`
    public var abiTag: String { "cp" + python.replacingOccurrences(of: ".", with: "") }
    /// `cp311-x86_64`: names caches and bundle folders.
    public var key: String { "\(abiTag)-\(arch)" }
    /// `CPython 3.11 x86_64`.
    public var description: String { "CPython \(python) \(arch)" }

    /// Linux platform tags a wheel may carry to load on the engines' images (Amazon Linux 2023,
    /// glibc 2.34): pip does not widen `manylinux_2_X` tags by itself, so each is named.
    public var platformTags: [String] {
        ["manylinux_2_34", "manylinux_2_28", "manylinux_2_17", "manylinux2014"].map { "\($0)_\(arch)" }
    }

    /// Whether a wheel's tags (`py3-none-any`, `cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64`,
    /// `cp38-abi3-manylinux…`) load on this runtime.
    public func accepts(python pythonTags: String, abi abiTags: String, platform platformTagList: String) -> Bool {
        let minor = Int(python.split(separator: ".").last ?? "") ?? 0
        let platforms = platformTagList.split(separator: ".").map(String.init)
        let platformOK =
            platforms.contains("any")
            || platforms.contains { tag in
                guard tag.hasSuffix("_" + arch) else { return false }
                if tag.hasPrefix("manylinux1_") || tag.hasPrefix("manylinux2010_") || tag.hasPrefix("manylinux2014_") { return true }
                // manylinux_2_X: X at most 34 (the engines' glibc).
                let parts = tag.split(separator: "_")
                return parts.count >= 3 && parts[0] == "manylinux" && parts[1] == "2" && (Int(parts[2]) ?? 99) <= 34
            }
        let abis = abiTags.split(separator: ".").map(String.init)
        let pythons = pythonTags.split(separator: ".").map(String.init)
        let pythonOK = pythons.contains { tag in
            if tag == "py3" || tag == "py2.py3" || tag == abiTag { return true }
            // cp38-abi3 loads on any later CPython 3.
            if tag.hasPrefix("cp3"), abis.contains("abi3"), let built = Int(tag.dropFirst(3)), built <= minor { return true }
            if tag.hasPrefix("py3"), let built = Int(tag.dropFirst(3)), built <= minor { return true }
            return false
        }
        let abiOK = abis.contains { $0 == "none" || $0 == "abi3" || $0 == abiTag }
        return platformOK && pythonOK && abiOK
    }

    /// The machine's own architecture (`uname -m`), normalised.
    public static var machineArch: String {
        var name = utsname()
        uname(&name)
        let machine = withUnsafeBytes(of: &name.machine) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return normalizedArch(machine) ?? machine
    }

    /// An interpreter of this runtime on this machine, if there is one (and the machine has the
    /// same architecture): `pythonX.Y` on PATH, then pyenv's versions. Checked by running it.
    public func interpreter(environment: [String: String]) -> String? {
        guard arch == Self.machineArch else { return nil }
        var candidates: [String] = []
        for directory in (environment["PATH"] ?? "").split(separator: ":") where !directory.contains("/.pyenv/shims") {
            candidates.append("\(directory)/python\(python)")
        }
        let pyenv = environment["PYENV_ROOT"] ?? (environment["HOME"].map { $0 + "/.pyenv" } ?? "/root/.pyenv")
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: pyenv + "/versions")) ?? [])
            .filter { $0 == python || $0.hasPrefix(python + ".") }.sorted(by: >)
        candidates += versions.map { "\(pyenv)/versions/\($0)/bin/python\(python)" }
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            if let result = try? Subprocess.run([candidate, "-I", "-S", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], timeout: .seconds(30)),
                result.status == 0, result.text == python
            {
                return candidate
            }
        }
        return nil
    }

    /// The version and architecture of the interpreter at `python` (`3.11 x86_64`).
    public static func probe(_ python: String) throws -> PythonRuntime {
        try probe(python, via: [], describedAs: python)
    }

    /// The same, with `python` started by `prefix` (a container's `run … IMAGE`), named
    /// `description` in the error.
    static func probe(_ python: String, via prefix: [String], describedAs description: String) throws -> PythonRuntime {
        let script = "import sys, platform; print('%d.%d' % sys.version_info[:2], platform.machine())"
        // The first run of an image may have to set up its storage: a container gets longer.
        let result = try Subprocess.run((prefix.isEmpty ? [python] : prefix) + ["-I", "-S", "-c", script], timeout: .seconds(prefix.isEmpty ? 30 : 120))
        let words = result.text.split(separator: "\n").last?.split(separator: " ") ?? []
        guard result.status == 0, words.count == 2 else {
            throw DeployError("\(description) did not run as a Python interpreter (exit \(result.status)): set the target's python to an interpreter path")
        }
        return PythonRuntime(python: String(words[0]), arch: String(words[1]))
    }
}

extension PythonRuntime {
    /// The runtime of `target` without asking AWS (what `deployer package` builds for): the
    /// target's `runtime:`, else the engine plug-in's default (Glue 5.0 3.11, 4.0 3.10; EMR 7
    /// 3.9; x86_64; local and spark: the interpreter's own). `plan` also reads the EMR
    /// Serverless application's architecture.
    public static func offline(for target: Target, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PythonRuntime {
        if let python = target.runtimePython, let arch = target.runtimeArch { return PythonRuntime(python: python, arch: arch) }
        let engine = try target.plugin.defaultRuntime(for: target, environment: environment)
        return PythonRuntime(python: target.runtimePython ?? engine.python, arch: target.runtimeArch ?? engine.arch)
    }
}
