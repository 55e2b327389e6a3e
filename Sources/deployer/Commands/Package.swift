import ArgumentParser
import DeployKit
import Foundation

struct Package: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "package",
        abstract: "Build job artifacts and dependency bundles deterministically and print their SHA-256.",
        discussion:
            "Artifacts hold main.py, code.zip, the same code as a wheel (deployer_job_code-0-py3-none-any.whl, for Glue's Python shell), config.yml and SHA256SUMS; the digest is the SHA-256 of SHA256SUMS. Uploaded ones live at s3://BUCKET/PREFIX/artifacts/JOB/DIGEST/ and are never overwritten. A job with requirements also gets a dependency bundle built for the target's Python runtime (-t; default the default target): wheels for that platform and ABI only, deps.zip, site-packages.zip or the wheels (Glue; every package as a wheel for a Python shell job), test-imported when that Python is on this machine; stored at PREFIX/dependencies/DIGEST/."
    )

    @Argument(help: "Only this job (default: every job).")
    var job: String?

    @Option(help: "Where to write the artifacts (default: .deployer/build next to the manifest).")
    var out: String?

    @OptionGroup var manifest: ManifestFlags
    @OptionGroup var target: TargetFlag

    func run() async throws {
        try await failing {
            let loaded = try manifest.load(target: target.target)
            let jobs = try job.map { [try loaded.job($0)] } ?? loaded.jobs
            let chosen = try loaded.target(target.target)
            let root = out ?? loaded.directory + "/.deployer/build"
            if jobs.contains(where: { !$0.requirementFiles(on: chosen).isEmpty }) {
                let bundles = try await DependencyBuilder(manifest: loaded, buildRoot: root, log: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
                    .bundles(jobs, on: chosen) { try PythonRuntime.offline(for: chosen) }
                for job in jobs {
                    guard let bundle = bundles[job.name] else { continue }
                    for file in bundle.files where file.name != "SHA256SUMS" {
                        print("\(file.sha256)  \(bundle.directory)/\(file.name)")
                    }
                    print(
                        "\(bundle.digest)  dependencies \(job.name) for \(bundle.runtime) on \(chosen.engine.rawValue): \(bundle.packages.joined(separator: ", "))"
                    )
                }
            }
            for job in jobs {
                let artifact = try Artifact.build(job, buildRoot: root)
                for file in artifact.files where file.name != "SHA256SUMS" {
                    print("\(file.sha256)  \(file.path)")
                }
                print("\(artifact.digest)  artifact \(job.name) (sha256 of SHA256SUMS)")
            }
        }
    }
}
