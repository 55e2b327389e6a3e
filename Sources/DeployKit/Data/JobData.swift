import AWSCore
import Foundation

/// A job's data as on-call sees it: its newest run records, the published run and what looks
/// wrong, read from the job's output folder (S3 or local) with read access only.
public struct JobData: Codable, Sendable {
    /// `OUTPUT/_runs/`, where the records were read.
    public var location: String
    /// The run `_manifest.json` says is published, when there is one.
    public var publishedRunId: String?
    /// The newest run records, newest first.
    public var runs: [DataRecord]
    /// What looks wrong with the newest successful run and the publish times.
    public var anomalies: [DataAnomaly]
    /// Why the records could not be read, if they could not.
    public var error: String?

    enum CodingKeys: String, CodingKey { case location, publishedRunId, runs, anomalies, error }

    /// Every key, absent values as null: scripts that page on the data rely on the keys.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(location, forKey: .location)
        try container.encode(publishedRunId, forKey: .publishedRunId)
        try container.encode(runs, forKey: .runs)
        try container.encode(anomalies, forKey: .anomalies)
        try container.encode(error, forKey: .error)
    }
}

extension Runner {
    /// The output folder of `job` on this target: its `data_checks.output_argument` (default
    /// `--output_path`) among the job's arguments for the target's engine; relative paths are
    /// the manifest folder's, as the local engine runs them. `nil` when the job names none.
    public func dataLocation(_ job: Job) -> String? {
        let target = context.target
        let arguments = job.arguments.merging(target.settings.overlaid(with: job.engines[target.engine]).arguments) { $1 }
        let key = job.dataChecks.outputArgument
        guard let value = arguments[key] ?? arguments[String(key.drop { $0 == "-" })], !value.isEmpty else { return nil }
        if value.hasPrefix("s3://") || value.hasPrefix("/") { return value }
        return context.manifest.directory + "/" + value
    }

    /// The newest `limit` run records of `job`, newest first, and the folder they are under;
    /// `nil` when the job has no output folder or its checks are off.
    public func records(job: Job, limit: Int) async throws -> (folder: DataFolder, records: [DataRecord])? {
        guard job.dataChecks.enabled, let location = dataLocation(job) else { return nil }
        let folder = try DataFolder(location.hasSuffix("/") ? location : location + "/", client: context.client)
        var records: [DataRecord] = []
        for key in try await folder.newest(prefix: "_runs/", suffix: ".json", limit: limit) {
            guard let bytes = try await folder.read(key) else { continue }
            records.append(try DataRecord.parse(bytes, name: folder.location + key))
        }
        return (folder, records.sorted { DataChecks.time($0) > DataChecks.time($1) })
    }

    /// The newest `limit` run records of `job`, the published run and the anomalies; `nil`
    /// when the job has no output folder or its checks are off. Never throws: what could not
    /// be read is said in `error`, so status can show it and exit 1.
    public func data(job: Job, limit: Int) async -> JobData? {
        guard job.dataChecks.enabled, let location = dataLocation(job) else { return nil }
        var result = JobData(
            location: (location.hasSuffix("/") ? location : location + "/") + "_runs/", publishedRunId: nil, runs: [], anomalies: [], error: nil)
        do {
            guard let (folder, records) = try await records(job: job, limit: max(limit, job.dataChecks.baselineRuns + 1)) else { return nil }
            if let manifest = try await folder.read("_manifest.json") {
                result.publishedRunId = (try? DataRecord.parse(manifest, name: folder.location + "_manifest.json"))?.runId
            }
            let schedule = try? job.schedule?.firing()
            // A run may take its time limit before it publishes; an hour when the job sets none.
            let grace = Double(context.target.settings.overlaid(with: job.engines[context.target.engine]).timeoutMinutes ?? 60) * 60
            result.anomalies = job.dataChecks.anomalies(records, schedule: schedule, grace: grace, now: context.now())
            result.runs = Array(records.prefix(limit))
        } catch {
            result.error = "\(error)"
        }
        return result
    }
}

/// A job's output folder, read only: `s3://bucket/prefix/` or a local folder.
public struct DataFolder: Sendable {
    let s3: S3Client?
    let bucket: String
    let prefix: String
    /// The folder as given (ending in `/`), for messages.
    public let location: String

    init(_ folder: String, client: AWSClient?) throws {
        location = folder
        if folder.hasPrefix("s3://") {
            let rest = folder.dropFirst(5)
            guard let slash = rest.firstIndex(of: "/"), slash != rest.startIndex else { throw DeployError("\(folder): not s3://BUCKET/PREFIX/") }
            guard let client else { throw DeployError("\(folder): S3 needs AWS credentials") }
            s3 = S3Client(client: client)
            bucket = String(rest[..<slash])
            prefix = String(rest[rest.index(after: slash)...])
        } else {
            s3 = nil
            bucket = ""
            prefix = folder
        }
    }

    /// The `limit` newest keys (by modification time) under `prefix` ending in `suffix`,
    /// relative to the folder.
    func newest(prefix sub: String, suffix: String, limit: Int) async throws -> [String] {
        var found: [(key: String, modified: String)] = []
        if let s3 {
            for object in try await s3.listObjects(bucket: bucket, prefix: prefix + sub) where object.key.hasSuffix(suffix) {
                found.append((String(object.key.dropFirst(prefix.count)), object.lastModified ?? ""))
            }
        } else {
            let directory = prefix + sub
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
            for name in names where name.hasSuffix(suffix) {
                let attributes = try? FileManager.default.attributesOfItem(atPath: directory + name)
                guard attributes?[.type] as? FileAttributeType == .typeRegular, let modified = attributes?[.modificationDate] as? Date else { continue }
                found.append((sub + name, ISO8601DateFormatter().string(from: modified)))
            }
        }
        return found.sorted { ($0.modified, $0.key) > ($1.modified, $1.key) }.prefix(limit).map(\.key)
    }

    /// The object's bytes (at most `DataRecord.maxBytes` + 1 are read), `nil` when absent.
    func read(_ key: String) async throws -> [UInt8]? {
        if let s3 {
            guard let info = try await s3.headObject(bucket: bucket, key: prefix + key) else { return nil }
            guard info.size > 0 else { return [] }
            // Never more than a record's limit and one byte (parse then says it is too big).
            return try await s3.getObjectRange(bucket: bucket, key: prefix + key, first: 0, last: min(info.size, UInt64(DataRecord.maxBytes) + 1) - 1)
        }
        let path = prefix + key
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard attributes?[.type] as? FileAttributeType == .typeRegular, let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return Array(try handle.read(upToCount: DataRecord.maxBytes + 1) ?? Data())
    }
}
