import ArgumentParser
import DeployKit
import Foundation

struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check deployer.yml against its schema (errors as FILE:LINE:COLUMN: path: message).",
        discussion: "Exit status 0 when the manifest is valid, 1 otherwise."
    )

    @OptionGroup var manifest: ManifestFlags
    @OptionGroup var target: TargetFlag

    func run() async throws {
        try await failing {
            let loaded = try manifest.load(target: target.target)
            if let name = target.target { _ = try loaded.target(name) }
            print(
                "\(manifest.file): valid (project \(loaded.project), \(loaded.targets.count) target\(loaded.targets.count == 1 ? "" : "s"), \(loaded.jobs.count) job\(loaded.jobs.count == 1 ? "" : "s")\(loaded.pipelines.isEmpty ? "" : ", \(loaded.pipelines.count) pipeline\(loaded.pipelines.count == 1 ? "" : "s")"))"
            )
        }
    }
}
