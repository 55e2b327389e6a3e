import AWSCore
import Foundation

/// Downloading the lock's wheels with pip for the target's runtime.
extension DependencyBuilder {
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
}
