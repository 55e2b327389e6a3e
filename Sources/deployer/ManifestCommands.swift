import ArgumentParser
import DeployKit
import Foundation

struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check deployer.yml against its schema (errors as FILE:LINE:COLUMN: path: message).",
        discussion: "Exit status 0 when the manifest is valid, 1 otherwise."
    )

    @OptionGroup var manifest: ManifestFlags
    @OptionGroup var target: TargetFlag

    func run() async throws {
        try await failing {
            let loaded = try manifest.load(target: target.target)
            if let name = target.target { _ = try loaded.target(name) }
            print("\(manifest.file): valid (project \(loaded.project), \(loaded.targets.count) target\(loaded.targets.count == 1 ? "" : "s"), \(loaded.jobs.count) job\(loaded.jobs.count == 1 ? "" : "s"))")
        }
    }
}

struct Package: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build job artifacts deterministically and print their SHA-256.",
        discussion: "Artifacts hold main.py, code.zip, config.yml and SHA256SUMS; the digest is the SHA-256 of SHA256SUMS. Uploaded ones live at s3://BUCKET/PREFIX/artifacts/JOB/DIGEST/ and are never overwritten."
    )

    @Argument(help: "Only this job (default: every job).")
    var job: String?

    @Option(help: "Where to write the artifacts (default: .deployer/build next to the manifest).")
    var out: String?

    @OptionGroup var manifest: ManifestFlags

    func run() async throws {
        try await failing {
            let loaded = try manifest.load()
            let jobs = try job.map { [try loaded.job($0)] } ?? loaded.jobs
            for job in jobs {
                let artifact = try Artifact.build(job, buildRoot: out ?? loaded.directory + "/.deployer/build")
                for file in artifact.files where file.name != "SHA256SUMS" {
                    print("\(file.sha256)  \(file.path)")
                }
                print("\(artifact.digest)  artifact \(job.name) (sha256 of SHA256SUMS)")
            }
        }
    }
}
