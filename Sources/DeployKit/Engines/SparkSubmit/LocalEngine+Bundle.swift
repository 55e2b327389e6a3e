import Foundation
import SigV4

extension LocalEngine {
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
}
