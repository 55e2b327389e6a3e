import AWSCore
import Foundation

/// Builds a `RuntimeImage` with podman or docker and pushes it with a registry login kept in a
/// private file that lives only as long as the push.
struct ImageBuilder: Sendable {
    /// podman or docker.
    let tool: ContainerTool
    /// Where build contexts are kept (`.deployer/build/images/TAG`).
    let buildRoot: String
    /// Python for unpacking the bundles' zips (`DEPLOYER_PIP_PYTHON`, else python3).
    let python: String
    /// Progress lines.
    let log: @Sendable (String) -> Void

    /// The folder auth files live in while a push runs (one per process, mode 0700).
    static var authRoot: String { NSTemporaryDirectory() + "deployer-registry-auth-\(getuid())" }

    /// Builds `image` as `reference` (`HOST/NAME:TAG`): the bundles unpacked into the build
    /// context, then `build`. A failure is one line with the tool's last line.
    func build(_ image: RuntimeImage, as reference: String) throws {
        let context = buildRoot + "/" + image.tag
        let staging = context + ".partial-\(getpid())"
        try? FileManager.default.removeItem(atPath: staging)
        if !FileManager.default.fileExists(atPath: context + "/Dockerfile") {
            try FileManager.default.createDirectory(atPath: staging + "/deps", withIntermediateDirectories: true)
            for bundle in image.bundles {
                let archives = [DependencyBundle.pureArchive, DependencyBundle.nativeArchive].map { bundle.directory + "/" + $0 }
                    .filter { FileManager.default.fileExists(atPath: $0) }
                let into = staging + "/deps/" + bundle.digest
                try FileManager.default.createDirectory(atPath: into, withIntermediateDirectories: true)
                guard !archives.isEmpty else { continue }
                let script = "import sys, zipfile\nfor path in sys.argv[2:]:\n    zipfile.ZipFile(path).extractall(sys.argv[1])\n"
                let result = try Subprocess.run(["/bin/sh", "-c", "\"$@\" 2>&1", "sh", python, "-I", "-c", script, into] + archives, timeout: .seconds(600))
                guard result.status == 0 else {
                    throw DeployError("cannot unpack dependency bundle \(bundle.digest.prefix(12)) for the image: \(Self.lastLine(result.text))")
                }
            }
            try Data(image.dockerfile.utf8).write(to: URL(fileURLWithPath: staging + "/Dockerfile"))
            try? FileManager.default.removeItem(atPath: context)
            try FileManager.default.moveItem(atPath: staging, toPath: context)
        }
        log("building image \(reference) on \(image.base) with \(tool.name)")
        let result = try Subprocess.run(
            ["/bin/sh", "-c", "\"$@\" 2>&1", "sh", tool.path, "build", "--file", context + "/Dockerfile", "--tag", reference, context], timeout: .seconds(3600))
        guard result.status == 0 else {
            let last = Self.lastLine(result.text)
            if last.contains(image.base) {
                throw DeployError(
                    "the image's base \(image.base) could not be read by \(tool.name): \(last) (emr_serverless.image.base; pull or log in to its registry)")
            }
            throw DeployError("\(tool.name) build of \(reference) failed (exit \(result.status)): \(last)")
        }
    }

    /// Pushes `reference` with `login` written to a 0600 auth file in a 0700 folder of this
    /// process, removed when the push ends. Files of processes that died (kill -9) are removed
    /// first: a login is never left behind for longer than one crash.
    func push(_ reference: String, registry: Registry) throws {
        Self.sweepAuthFiles()
        let root = Self.authRoot
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let folder = root + "/\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/config.json"
        let auth = Data("\(registry.login.user):\(registry.login.password)".utf8).base64EncodedString()
        let document: JSONValue = ["auths": .object([registry.host: .object(["auth": .string(auth)])])]
        guard FileManager.default.createFile(atPath: file, contents: Data(try document.encoded()), attributes: [.posixPermissions: 0o600]) else {
            throw DeployError("cannot write the registry login file in \(folder)")
        }
        var command = [tool.path]
        if tool.isPodman {
            command += ["push", "--authfile", file]
            if registry.plainHTTP { command.append("--tls-verify=false") }
        } else {
            command += ["--config", folder, "push"]
        }
        command.append(reference)
        log("pushing \(reference)")
        let result = try Subprocess.run(["/bin/sh", "-c", "\"$@\" 2>&1", "sh"] + command, timeout: .seconds(3600))
        guard result.status == 0 else {
            let last = Self.lastLine(result.text)
            let lowered = last.lowercased()
            // A token the registry does not take is not a missing grant; a denial is.
            if ["unauthorized", "401", "authentication required"].contains(where: lowered.contains) {
                throw DeployError(
                    "registry \(registry.host) refused the login ECR's GetAuthorizationToken gave for the push of \(reference): \(last) (another account or region signed it, or it expired)"
                )
            }
            if ["denied", "403"].contains(where: lowered.contains) {
                throw DeployError(
                    "registry \(registry.host) refused the push of \(reference): \(last) (the deploying principal needs ecr:InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload, PutImage and BatchCheckLayerAvailability on the repository)"
                )
            }
            throw DeployError("\(tool.name) push of \(reference) failed (exit \(result.status)): \(last)")
        }
    }

    /// Removes the auth folders of processes that no longer run.
    static func sweepAuthFiles() {
        let root = authRoot
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            guard let pid = Int32(entry.split(separator: "-").first ?? ""), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { try? FileManager.default.removeItem(atPath: root + "/" + entry) }
        }
    }

    /// The last non-empty line of a tool's output, scrubbed and shortened.
    static func lastLine(_ text: String) -> String {
        Redaction.scrub(text.split(separator: "\n").last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map(String.init) ?? "", limit: 300)
    }
}
