import Foundation
import PackagePlugin

/// Carries jobs/templates/job/ (the job `deployer init job` writes) into DeployKit as
/// `JobTemplate.files`, generated on every build in which a template file changed.
@main
struct EmbedJobTemplate: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        let template = context.package.directoryURL.appending(path: "jobs/templates/job")
        let output = context.pluginWorkDirectoryURL.appending(path: "JobTemplate.swift")
        var inputs: [URL] = []
        if let walker = FileManager.default.enumerator(at: template, includingPropertiesForKeys: [.isRegularFileKey]) {
            for case let url as URL in walker where !url.pathComponents.contains("__pycache__") {
                if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { inputs.append(url) }
            }
        }
        return [
            .buildCommand(
                displayName: "Embedding the job template (\(inputs.count) files)",
                executable: try context.tool(named: "embed-job-template").url,
                arguments: [template.path, output.path],
                inputFiles: inputs,
                outputFiles: [output])
        ]
    }
}
