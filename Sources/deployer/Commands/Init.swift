import ArgumentParser
import DeployKit
import Foundation

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Start something new in this repository from a template.",
        subcommands: [InitJob.self]
    )
}

struct InitJob: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job",
        abstract: "Create jobs/NAME and its entry in deployer.yml, ready for validate, its test and a local run.",
        discussion: """
            --from empty (the default): an entry point, config.yml, one SQL model (models/invoices_per_month.sql over \\
            jobs/sample_data), extract / transform / load modules that write the run record deployer status reads, pinned \\
            requirements, and jobs/tests/test_NAME.py with exact rows on a tiny frame. --from JOB: a copy of that job's folder, \\
            its package and the word JOB renamed to NAME, with its libraries, requirements and arguments (not its engine \\
            overrides, schedule or tests). Nothing existing is overwritten; exit 1 and nothing changed when the name, folder \\
            or manifest entry is taken.
            """
    )

    @Argument(help: "The job's name: 1 to 40 of a-z, 0-9 and _, starting with a letter (also its Python package).")
    var name: String

    @Option(help: ArgumentHelp("'empty' (the template) or the name of a job of the manifest to copy.", valueName: "empty|JOB"))
    var from = "empty"

    @OptionGroup var manifest: ManifestFlags

    func validate() throws {
        do { try JobScaffold.checkName(name) } catch { throw ValidationError("\(error)") }
    }

    func run() async throws {
        try await failing {
            let loaded = try manifest.load()
            var source: Job?
            if from != "empty" {
                guard let job = loaded.jobs.first(where: { $0.name == from }) else {
                    throw CommandFailure(
                        "--from '\(from.prefix(60))' is neither 'empty' nor a job of \(manifest.file) (jobs: \(loaded.jobs.map(\.name).joined(separator: ", ")))"
                    )
                }
                source = job
            }
            let text = try String(contentsOfFile: manifest.file, encoding: .utf8)
            let scaffold = JobScaffold(manifestFile: manifest.file, name: name)
            let made = try scaffold.make(from: source, manifestText: text) { updated in
                // The manifest as it would be: it must load, or nothing is written.
                let probe = manifest.file + ".init-\(UUID().uuidString.prefix(8)).yml"
                try updated.write(toFile: probe, atomically: true, encoding: .utf8)
                defer { try? FileManager.default.removeItem(atPath: probe) }
                var probing = manifest
                probing.file = probe
                do { _ = try probing.load() } catch { throw CommandFailure("\(error)".replacingOccurrences(of: probe, with: manifest.file)) }
            }
            print("created job \(name): \(made.files.count) files")
            for file in made.files { print("  + \(file)") }
            print("added to \(manifest.file):\n\(made.entry)")
            print("next: deployer validate && deployer apply -t local --auto-approve && deployer run \(name) -t local --wait")
        }
    }
}
