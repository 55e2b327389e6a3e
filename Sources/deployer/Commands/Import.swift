import AWSCore
import ArgumentParser
import DeployKit
import Foundation

enum ImportEngine: String, ExpressibleByArgument, CaseIterable {
    case glue
    case emrServerless = "emr-serverless"
}

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the manifest YAML for a Glue job or an EMR Serverless application that exists, to bring it under deployer.",
        discussion: "The settings it prints (workers, version, timeout, concurrency, retries, arguments, role) round-trip: the next plan changes none of them. The first apply points the job at the artifact built from the repository."
    )

    @Argument(help: "glue or emr-serverless.")
    var engine: ImportEngine

    @Argument(help: "The Glue job's name, or the EMR Serverless application id.")
    var identifier: String

    @OptionGroup var aws: AWSFlags

    func run() async throws {
        let session: AWSSession
        do {
            session = try AWSSession(flags: aws)
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        let text: String? = try await failing {
            defer { Task { await session.shutdown() } }
            switch engine {
            case .glue:
                guard let job = try await GlueClient(client: session.client).getJob(name: identifier) else {
                    throw CommandFailure("no Glue job '\(identifier.prefix(255))' in \(session.region): 'aws glue get-jobs' lists them")
                }
                return Importer.glue(job, region: session.region)
            case .emrServerless:
                let emr = EMRServerlessClient(client: session.client)
                guard let application = try await emr.getApplication(id: identifier) else {
                    throw CommandFailure("no EMR Serverless application '\(identifier.prefix(64))' in \(session.region)")
                }
                var latest: [String: Any]?
                if let newest = try await emr.listJobRuns(applicationId: identifier, maxResults: 1).first, let id = newest["id"] as? String {
                    latest = try await emr.getJobRun(applicationId: identifier, runId: id)
                }
                return Importer.emrServerless(application: application, latestRun: latest, region: session.region)
            }
        }
        if let text { print(text) }
    }
}
