import AWSCore
import Foundation

/// What one run of a job wrote, from its own run record `OUTPUT/_runs/RUN_ID.json` (the
/// `sales_etl` and `cdc_merge` jobs write it; see jobs/README.md): the rows of each table and
/// the share of input rows quarantined. The figures on-call reads to tell "succeeded and wrote
/// garbage" from a good night.
public struct DataRecord: Codable, Sendable, Equatable {
    /// The job's run id (its `--run_id`, or the start time when none was given).
    public var runId: String
    /// `succeeded`, or what the job wrote (a record of a failed run may say `failed`).
    public var status: String
    /// The business date of the run (`as_of`), when the job has one.
    public var asOf: String?
    /// When the job started (its `ingest_ts`), if it says.
    public var startedAt: Date?
    /// When its tables were published, if they were.
    public var publishedAt: Date?
    /// Rows per table written.
    public var tables: [String: Int]
    /// Quarantined input rows ÷ input rows, and the job's limit for it.
    public var quarantineRatio: Double?
    public var quarantineMaxRatio: Double?

    enum CodingKeys: String, CodingKey { case runId, status, asOf, startedAt, publishedAt, tables, quarantineRatio, quarantineMaxRatio }

    /// Every key, absent values as null.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(runId, forKey: .runId)
        try container.encode(status, forKey: .status)
        try container.encode(asOf, forKey: .asOf)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(publishedAt, forKey: .publishedAt)
        try container.encode(tables, forKey: .tables)
        try container.encode(quarantineRatio, forKey: .quarantineRatio)
        try container.encode(quarantineMaxRatio, forKey: .quarantineMaxRatio)
    }

    /// The largest run record read (a record is a few KiB; anything far bigger is not one).
    public static let maxBytes = 1 << 20

    /// Reads a run record; throws a one-line reason when `bytes` is not one.
    public static func parse(_ bytes: [UInt8], name: String) throws -> DataRecord {
        guard bytes.count <= maxBytes else { throw DeployError("\(name): over \(maxBytes / 1024) KiB, not a run record") }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)), case .object(let object) = value else {
            throw DeployError("\(name): not a JSON object")
        }
        guard let runId = object["run_id"]?.stringValue, !runId.isEmpty else { throw DeployError("\(name): no run_id") }
        var tables: [String: Int] = [:]
        if case .object(let listed)? = object["tables"] {
            for (table, info) in listed {
                if case .number(let rows)? = info["rows"], rows >= 0, rows < 1e15 { tables[table] = Int(rows) }
            }
        }
        let quarantine = object["quarantine"]
        return DataRecord(
            runId: runId, status: object["status"]?.stringValue ?? "succeeded", asOf: object["as_of"]?.stringValue,
            startedAt: (object["ingest_ts"]?.stringValue ?? object["started_at"]?.stringValue).flatMap(Self.date),
            publishedAt: (object["published_at"]?.stringValue ?? object["ended_at"]?.stringValue).flatMap(Self.date),
            tables: tables, quarantineRatio: quarantine?["ratio"]?.numberValue, quarantineMaxRatio: quarantine?["max_ratio"]?.numberValue)
    }

    /// ISO 8601 with or without fractional seconds (Python's `isoformat()` writes microseconds).
    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        // Microseconds: ISO8601DateFormatter takes at most milliseconds.
        let trimmed = text.replacingOccurrences(of: #"(\.\d{3})\d+"#, with: "$1", options: .regularExpression)
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: trimmed)
    }
}
