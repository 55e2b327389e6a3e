import Foundation

/// `jobs.NAME.data_checks`: where a job's run records are and when its data looks wrong.
public struct DataChecks: Sendable, Equatable {
    /// `false`: status reads no run records for the job.
    public var enabled = true
    /// The job argument naming its output folder (`OUTPUT/_runs/RUN_ID.json`).
    public var outputArgument = "--output_path"
    /// Successful runs before the latest whose median is the baseline.
    public var baselineRuns = 7
    /// A table's rows more than this far (in percent) above or below the baseline's median.
    public var maxChangePercent = 50.0
    /// Without a schedule: the data is stale when nothing was published for this long.
    public var staleAfterHours: Double? = nil

    public init() {}
}

/// Something wrong with a job's data, as `status` reports it.
public struct DataAnomaly: Codable, Sendable, Equatable {
    /// `empty_table`, `rows_changed`, `quarantine_over_limit`, `quarantine_doubled`, `stale`.
    public var kind: String
    /// The table concerned, when one is.
    public var table: String?
    /// One line for people.
    public var message: String

    enum CodingKeys: String, CodingKey { case kind, table, message }

    /// Every key, `table` as null when none.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(table, forKey: .table)
        try container.encode(message, forKey: .message)
    }
}

extension DataChecks {
    /// What is wrong with the newest successful run in `records` (against the median of the
    /// `baselineRuns` successful runs before it) and with how long ago data was published:
    /// `schedule` fired after the last publish and more than `grace` ago, or, without a
    /// schedule, nothing for `staleAfterHours`.
    public func anomalies(
        _ records: [DataRecord], schedule: (cron: Cron, timeZone: TimeZone)?, grace: TimeInterval, now: Date
    ) -> [DataAnomaly] {
        let succeeded = records.filter { $0.status == "succeeded" }.sorted { Self.time($0) > Self.time($1) }
        guard let latest = succeeded.first else { return [] }
        var found: [DataAnomaly] = []
        let baseline = Array(succeeded.dropFirst().prefix(baselineRuns))
        for (table, rows) in latest.tables.sorted(by: { $0.key < $1.key }) {
            if rows == 0 {
                found.append(DataAnomaly(kind: "empty_table", table: table, message: "\(table): 0 rows in run \(latest.runId)"))
                continue
            }
            let past = baseline.compactMap { $0.tables[table] }
            guard let median = Self.median(past.map(Double.init)), median > 0 else { continue }
            let change = (Double(rows) - median) / median * 100
            if abs(change) > maxChangePercent {
                found.append(
                    DataAnomaly(
                        kind: "rows_changed", table: table,
                        message:
                            "\(table): \(rows) rows in run \(latest.runId), \(Self.percent(abs(change))) \(change < 0 ? "below" : "above") the median of the \(past.count) runs before (\(Self.number(median)); limit ±\(Self.percent(maxChangePercent)))"
                    ))
            }
        }
        if let ratio = latest.quarantineRatio {
            if let limit = latest.quarantineMaxRatio, ratio > limit {
                found.append(
                    DataAnomaly(
                        kind: "quarantine_over_limit", table: nil,
                        message:
                            "quarantine: \(Self.percent(ratio * 100)) of input rows in run \(latest.runId), over the job's limit \(Self.percent(limit * 100))"))
            } else if let median = Self.median(baseline.compactMap(\.quarantineRatio)), median > 0, ratio >= 2 * median {
                found.append(
                    DataAnomaly(
                        kind: "quarantine_doubled", table: nil,
                        message:
                            "quarantine: \(Self.percent(ratio * 100)) of input rows in run \(latest.runId), at least twice the median of the runs before (\(Self.percent(median * 100)))"
                    ))
            }
        }
        let last = latest.publishedAt ?? latest.startedAt
        if let last {
            let since = now.timeIntervalSince(last)
            if let schedule, let missed = schedule.cron.fireTimes(after: last, through: now.addingTimeInterval(-grace), in: schedule.timeZone).first {
                found.append(
                    DataAnomaly(
                        kind: "stale", table: nil,
                        message:
                            "stale: nothing published since \(Self.iso(last)) (\(Self.hours(since)) ago), though the schedule fired at \(Self.iso(missed))"))
            } else if schedule == nil, let hours = staleAfterHours, since > hours * 3600 {
                found.append(
                    DataAnomaly(
                        kind: "stale", table: nil,
                        message: "stale: nothing published since \(Self.iso(last)) (\(Self.hours(since)) ago; stale_after_hours \(Self.number(hours)))"))
            }
        }
        return found
    }

    static func time(_ record: DataRecord) -> Date { record.publishedAt ?? record.startedAt ?? .distantPast }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    static func number(_ value: Double) -> String {
        value.rounded() == value ? String(Int(value)) : String(format: "%.1f", value)
    }

    static func percent(_ value: Double) -> String {
        value >= 10 || value.rounded() == value ? "\(Int(value.rounded()))%" : String(format: "%.2f%%", value)
    }

    static func hours(_ seconds: TimeInterval) -> String {
        seconds >= 5400 ? "\(Int((seconds / 3600).rounded()))h" : "\(Int((seconds / 60).rounded()))m"
    }

    static func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
}
