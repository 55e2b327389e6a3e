import Foundation

/// The container tool deployer drives: `$DEPLOYER_CONTAINER_TOOL`, else podman or docker on
/// `PATH` (the two take the same `build`, `push`, `run`, `stop` and `image inspect`).
struct ContainerTool: Sendable {
    /// The tool's path.
    let path: String

    /// The tool for `environment`; throws naming both tools, what needs one (`purpose`) and the
    /// way around it (`otherwise`) when neither is found.
    init(environment: [String: String], purpose: String, otherwise: String) throws {
        if let configured = environment["DEPLOYER_CONTAINER_TOOL"], !configured.isEmpty {
            let path = configured.contains("/") ? configured : Subprocess.onPath(configured, environment)
            guard let path, FileManager.default.isExecutableFile(atPath: path) else {
                throw DeployError("DEPLOYER_CONTAINER_TOOL=\(configured) is not an executable: install podman or docker, or unset it")
            }
            self.path = path
            return
        }
        guard let found = Subprocess.onPath("podman", environment) ?? Subprocess.onPath("docker", environment) else {
            throw DeployError("\(purpose): neither podman nor docker is on PATH: install one (or set DEPLOYER_CONTAINER_TOOL), or \(otherwise)")
        }
        path = found
    }

    /// `podman` or `docker` (the file's name).
    var name: String { (path as NSString).lastPathComponent }
    /// Whether it is podman, whose registry settings are flags (docker reads its daemon's).
    var isPodman: Bool { name.hasPrefix("podman") }
}
