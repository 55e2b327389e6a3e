import AWSCore
import Foundation
import SigV4

/// Keys of one target's state under its artifact prefix.
public struct Layout: Sendable {
    /// The target's artifact prefix; empty for a local folder.
    public let prefix: String
    /// The target's name.
    public let target: String

    func join(_ rest: String) -> String { prefix.isEmpty ? rest : "\(prefix)/\(rest)" }
    /// `locks/TARGET.json`: the deploy lock.
    public var lockKey: String { join("locks/\(target).json") }
    /// `deployments/TARGET/`: every deployment record of the target.
    public var deploymentsPrefix: String { join("deployments/\(target)/") }
    /// `deployments/TARGET/latest.json`: the newest deployment record.
    public var latestKey: String { join("deployments/\(target)/latest.json") }
    /// `deployments/TARGET/ID.json`: one deployment record.
    public func deploymentKey(_ id: String) -> String { join("deployments/\(target)/\(id).json") }
    /// `artifacts/JOB/DIGEST`: one artifact's files.
    public func artifactPrefix(job: String, digest: String) -> String { join("artifacts/\(job)/\(digest)") }
    /// Dependency bundles are shared by every job with the same lock and runtime.
    public func dependencyPrefix(digest: String) -> String { join("dependencies/\(digest)") }
}

/// What one apply (or rollback, or destroy) did: who, when, which artifacts, which definitions.
public struct DeploymentRecord: Codable, Sendable, Equatable {
    /// `TIMESTAMP-DIGITS`: sortable by time.
    public var id: String
    /// The manifest's project.
    public var project: String
    /// The target deployed.
    public var target: String
    /// The target's engine.
    public var engine: String
    /// When it was recorded.
    public var at: Date
    /// Who deployed: the caller's AWS identity (ARN), else the lock owner.
    public var by: String
    /// The commit deployed (`GITHUB_SHA`, or `git rev-parse HEAD` in the manifest's folder).
    public var gitCommit: String?
    /// job → artifact digest
    public var artifacts: [String: String]
    /// job → engine job name
    public var jobNames: [String: String]
    /// job → the job definition deployed
    public var definitions: [String: JSONValue]
    /// The deployment current before this one.
    public var previous: String?
    /// For a rollback: the deployment restored.
    public var rollbackOf: String?
    /// `true` for the record `destroy` writes: nothing is deployed any more.
    public var destroyed: Bool?
    /// The record when it describes what is deployed; nil for a destroy's record. The one
    /// lookup of "the live deployment" every reader of `latest.json` goes through.
    public var live: DeploymentRecord? { destroyed == true ? nil : self }
    /// Jobs deployed with `prevent_destroy: true`.
    public var protected: [String]? = nil
    /// The lease id of the lock the apply held while writing this record: a lock still there
    /// with this id belongs to a finished apply whose release failed.
    public var lock: String? = nil
    /// pipeline → its state machine as deployed (Step Functions engines).
    public var pipelines: [String: RecordedPipeline]? = nil
    /// The runtime image the deployment set on the engine (EMR Serverless `image:`).
    public var image: RecordedImage? = nil
    /// Whose development deployment of the target this is (`mode: development`).
    public var developer: String? = nil

    /// `20240131T020000Z-1a2b3c4d`: sortable time, then a few digits of what was deployed.
    static func newId(at date: Date, digest: String) -> String {
        AMZDate(date).timestamp + "-" + String(digest.prefix(8))
    }
}

/// Who is deploying: the CI run's URL in GitHub Actions, else user@host.
public enum Identity {
    /// `SERVER/REPOSITORY/actions/runs/RUN_ID` in GitHub Actions, else `USER@HOST`.
    public static func owner(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let server = environment["GITHUB_SERVER_URL"], let repository = environment["GITHUB_REPOSITORY"], let run = environment["GITHUB_RUN_ID"] {
            return "\(server)/\(repository)/actions/runs/\(run)"
        }
        let user = environment["USER"] ?? environment["LOGNAME"] ?? "unknown"
        return "\(user)@\(ProcessInfo.processInfo.hostName)"
    }

    /// `GITHUB_SHA` when set (a CI run), else `git rev-parse HEAD` in `directory`.
    public static func gitCommit(directory: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let sha = environment["GITHUB_SHA"], !sha.isEmpty { return sha }
        guard let result = try? Subprocess.run(["git", "-C", directory, "rev-parse", "HEAD"], timeout: .seconds(15)), result.status == 0, !result.text.isEmpty
        else { return nil }
        return result.text
    }
}

extension DeploymentRecord {
    /// Decodes the record stored at `url`. An answer that is not JSON at all (an HTML page from
    /// a proxy or a wrong endpoint) is called that, not a damaged record; a JSON document of
    /// the wrong shape names the field, never Swift's debug text.
    static func decode(_ bytes: [UInt8], url: String) throws -> DeploymentRecord {
        let first = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        guard first == UInt8(ascii: "{") else {
            let start = String(decoding: bytes.prefix(16), as: UTF8.self).unicodeScalars.filter { $0.properties.generalCategory != .control }
            throw DeployError(
                "the answer for \(url) is not JSON (\(bytes.count) bytes starting '\(String(String.UnicodeScalarView(start)))'): an endpoint or proxy that is not the object store answered; check AWS_ENDPOINT_URL_S3, the proxy settings and the bucket's region"
            )
        }
        do {
            return try JSONDecoder.iso.decode(DeploymentRecord.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw DeployError(
                "\(url) is not a deployment record (\(error.brief)): restore it from an earlier deployments/ record or remove it and run deployer apply")
        }
    }
}

extension DecodingError {
    /// `field a.b: missing` / `field a.b: not a String` / `not valid JSON`: no Swift internals.
    public var brief: String {
        func path(_ context: Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch self {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "field \(parent.isEmpty ? key.stringValue : parent + "." + key.stringValue): missing"
        case .typeMismatch(let type, let context): return "field \(path(context)): not a \(type)"
        case .valueNotFound(let type, let context): return "field \(path(context)): null where a \(type) belongs"
        case .dataCorrupted(let context): return context.codingPath.isEmpty ? "not valid JSON" : "field \(path(context)): not a valid value"
        @unknown default: return "not readable"
        }
    }
}

extension JSONValue {
    /// The dependency bundle digest a job definition names: Glue's `--deployer-dependencies`
    /// default argument, or the `dependencies` field the other engines record.
    var dependencyDigest: String? {
        self["DefaultArguments"]?["--deployer-dependencies"]?.stringValue ?? self["dependencies"]?.stringValue
    }
}
