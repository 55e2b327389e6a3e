import Foundation

/// A `local` target's `image:`: runs happen inside that image (the repository's `Dockerfile`
/// builds one), started by podman or docker, whichever is found. The artifact, the data and the
/// manifest's folder are mounted read-only at their own paths, so every recorded path means the
/// same inside; output folders and the run's folder are mounted writable.
struct LocalContainer {
    /// The container tool: `$DEPLOYER_CONTAINER_TOOL`, else podman or docker on `PATH`.
    let tool: String
    /// The image reference (`name[:tag][@sha256:…]`).
    let image: String

    /// The tool and image for `image`; throws naming both tools when neither is on `PATH`.
    init(image: String, environment: [String: String]) throws {
        self.image = image
        tool = try ContainerTool(environment: environment, purpose: "image \(image)", otherwise: "remove the target's local.image").path
    }

    var toolName: String { (tool as NSString).lastPathComponent }

    /// Throws when the image is not in the tool's local store: deployer never pulls or builds
    /// behind the user's back.
    func checkImage() throws {
        let result = try Subprocess.run([tool, "image", "inspect", "--format", "{{.Id}}", image], timeout: .seconds(60))
        guard result.status == 0 else {
            throw DeployError(
                "image \(image) is not in \(toolName)'s local images (\(toolName) image inspect exited \(result.status)): build it with '\(toolName) build -t \(image) .' in the repository, or pull it"
            )
        }
    }

    /// The image's own Python: the dependency bundle is built for it, not for this machine's.
    func pythonRuntime() throws -> PythonRuntime {
        try checkImage()
        return try PythonRuntime.probe(
            "python3", via: [tool, "run", "--rm", "--network", "none", "--entrypoint", "python3", image], describedAs: "python3 in image \(image)")
    }

    /// The container's name for a run: stop and inspect address it by this.
    static func name(job: String, runId: String) -> String { (job.hasPrefix("deployer-") ? "" : "deployer-") + "\(job)-\(runId)" }

    /// The `run` command line that runs `command` (its first element the program inside the
    /// image) in a container named `name`, as the caller's user, with the host's network (the job
    /// reaches what a native run reaches), `workingDirectory` as its folder, `readOnly` and
    /// `writable` folders mounted at their own paths, `values` set and `passed` copied from the
    /// tool's environment by name (their values never appear on a command line).
    func runCommand(
        name: String, command: [String], workingDirectory: String, readOnly: [String], writable: [String], values: [String: String], passed: [String]
    ) -> [String] {
        // --init: a small init as PID 1 passes `stop`'s SIGTERM on (a shell or Python as PID 1 ignores it).
        var line = [tool, "run", "--rm", "--init", "--name", name, "--network", "host", "--user", "\(getuid()):\(getgid())", "--workdir", workingDirectory]
        // A caller's uid has no home in the image: Spark and pip want a writable one.
        line += ["--env", "HOME=/tmp"]
        for (key, value) in values.sorted(by: { $0.key < $1.key }) { line += ["--env", "\(key)=\(value)"] }
        for key in passed.sorted() { line += ["--env", key] }
        for (path, mode) in Self.mounts(readOnly: readOnly, writable: writable) { line += ["--volume", "\(path):\(path):\(mode)"] }
        line += ["--entrypoint", command.first ?? "run-job", image]
        line += command.dropFirst()
        return line
    }

    /// Each folder once, a writable one winning over the same folder read-only; parents before
    /// children so a writable output inside a read-only store is mounted over it.
    static func mounts(readOnly: [String], writable: [String]) -> [(String, String)] {
        var mode: [String: String] = [:]
        for path in readOnly { mode[normalized(path)] = mode[normalized(path)] ?? "ro" }
        for path in writable { mode[normalized(path)] = "rw" }
        return mode.keys.sorted { ($0.split(separator: "/").count, $0) < ($1.split(separator: "/").count, $1) }.map { ($0, mode[$0] ?? "ro") }
    }

    static func normalized(_ path: String) -> String {
        let standard = (path as NSString).standardizingPath
        return standard.count > 1 && standard.hasSuffix("/") ? String(standard.dropLast()) : standard
    }

    /// Stops the run's container (SIGTERM, then SIGKILL after 10 s); `--rm` removes it. A
    /// container already gone is not an error.
    func stop(name: String) {
        _ = try? Subprocess.run([tool, "stop", "--time", "10", name], timeout: .seconds(60))
    }

    /// Whether a container of that name still exists (running or not yet removed).
    func exists(name: String) -> Bool {
        guard let result = try? Subprocess.run([tool, "container", "inspect", "--format", "{{.State.Status}}", name], timeout: .seconds(30)) else {
            return false
        }
        return result.status == 0
    }
}
