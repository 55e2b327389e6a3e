import Foundation
import SigV4

/// Keys of one target's state under its artifact prefix.
public struct Layout: Sendable {
    public let prefix: String
    public let target: String

    func join(_ rest: String) -> String { prefix.isEmpty ? rest : "\(prefix)/\(rest)" }
    public var lockKey: String { join("locks/\(target).json") }
    public var deploymentsPrefix: String { join("deployments/\(target)/") }
    public var latestKey: String { join("deployments/\(target)/latest.json") }
    public func deploymentKey(_ id: String) -> String { join("deployments/\(target)/\(id).json") }
    public func artifactPrefix(job: String, digest: String) -> String { join("artifacts/\(job)/\(digest)") }
    /// Dependency bundles are shared by every job with the same lock and runtime.
    public func dependencyPrefix(digest: String) -> String { join("dependencies/\(digest)") }
}

/// What one apply (or rollback, or destroy) did: who, when, which artifacts, which definitions.
public struct DeploymentRecord: Codable, Sendable, Equatable {
    public var id: String
    public var project: String
    public var target: String
    public var engine: String
    public var at: Date
    public var by: String
    public var gitCommit: String?
    /// job → artifact digest
    public var artifacts: [String: String]
    /// job → engine job name
    public var jobNames: [String: String]
    /// job → the job definition deployed
    public var definitions: [String: JSONValue]
    public var previous: String?
    public var rollbackOf: String?
    public var destroyed: Bool?
    /// Jobs deployed with `prevent_destroy: true`.
    public var protected: [String]? = nil

    /// `20240131T020000Z-1a2b3c4d`: sortable time, then a few digits of what was deployed.
    static func newId(at date: Date, digest: String) -> String {
        AMZDate(date).timestamp + "-" + String(digest.prefix(8))
    }
}

/// Who is deploying: the CI run's URL in GitHub Actions, else user@host.
public enum Identity {
    public static func owner(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let server = environment["GITHUB_SERVER_URL"], let repository = environment["GITHUB_REPOSITORY"], let run = environment["GITHUB_RUN_ID"] {
            return "\(server)/\(repository)/actions/runs/\(run)"
        }
        let user = environment["USER"] ?? environment["LOGNAME"] ?? "unknown"
        return "\(user)@\(ProcessInfo.processInfo.hostName)"
    }

    /// `git rev-parse HEAD` in `directory`, or `GITHUB_SHA`.
    public static func gitCommit(directory: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let sha = environment["GITHUB_SHA"], !sha.isEmpty { return sha }
        guard let result = try? Subprocess.run(["git", "-C", directory, "rev-parse", "HEAD"], timeout: .seconds(15)), result.status == 0, !result.text.isEmpty else { return nil }
        return result.text
    }
}
