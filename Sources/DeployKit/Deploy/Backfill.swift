import Foundation

/// `deployer backfill JOB|PIPELINE --from DATE --to DATE`: one run of the job (or pipeline) per date (its `--as_of`),
/// recorded at `deployments/TARGET/backfills/ID.json` in the target's store, so running the
/// same backfill again skips the dates that succeeded and follows the runs still going.
public struct Backfill: Sendable {
    /// A run every day, or one per month (on the month's last day, as `as_of` means "data up to").
    public enum Every: String, Sendable, CaseIterable {
        case day, month
    }

    /// The job, the range and the step.
    public let job: String
    public let from: String
    public let to: String
    public let every: Every
    /// The job argument that receives each date (`--as_of`).
    public let argument: String

    /// The most dates one backfill runs.
    public static let maxDates = 1000

    public init(job: String, from: String, to: String, every: Every, argument: String = "--as_of") {
        self.job = job
        self.from = from
        self.to = to
        self.every = every
        self.argument = argument
    }

    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        return calendar
    }()

    static let format: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter
    }()

    /// `text` as a calendar date, or a one-line error naming the flag.
    public static func date(_ text: String, flag: String) throws -> Date {
        guard text.range(of: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", options: .regularExpression) != nil, let date = format.date(from: text),
            format.string(from: date) == text
        else { throw DeployError("\(flag) '\(Schema.short(text, 40))' is not a date: use YYYY-MM-DD, e.g. 2024-01-31") }
        return date
    }

    /// The dates of the backfill, oldest first: every day from `from` to `to`, or the last day of
    /// every month whose last day falls in the range.
    public func dates() throws -> [String] {
        let start = try Self.date(from, flag: "--from")
        let end = try Self.date(to, flag: "--to")
        guard start <= end else { throw DeployError("--from \(from) is after --to \(to): give the earlier date first") }
        var result: [String] = []
        var day = start
        while day <= end {
            let next = Self.calendar.date(byAdding: .day, value: 1, to: day) ?? end.addingTimeInterval(86400)
            let monthEnds = Self.calendar.component(.month, from: next) != Self.calendar.component(.month, from: day)
            if every == .day || monthEnds { result.append(Self.format.string(from: day)) }
            guard result.count <= Self.maxDates else {
                throw DeployError("--from \(from) --to \(to): more than \(Self.maxDates) dates; split the backfill into smaller ranges")
            }
            day = next
        }
        guard !result.isEmpty else {
            throw DeployError("--from \(from) --to \(to) --every month: no month ends in that range; use --every day or a wider range")
        }
        return result
    }

    /// The backfill's id: the job, the range and the step.
    public var id: String { "\(job)-\(from.replacingOccurrences(of: "-", with: ""))-\(to.replacingOccurrences(of: "-", with: ""))-\(every.rawValue)" }

    /// The idempotency key of the run for `date` (at most 64 characters).
    public func key(_ date: String) -> String { "bf-\(String(job.prefix(36)))-\(date.replacingOccurrences(of: "-", with: ""))" }

    /// Where the backfill's record is kept.
    public func recordKey(_ layout: Layout) -> String { layout.join("deployments/\(layout.target)/backfills/\(id).json") }

    /// The backfill's progress: per date its run, state and cost.
    public struct Record: Codable, Sendable, Equatable {
        public struct Entry: Codable, Sendable, Equatable {
            /// `ENGINE:TARGET:JOB:RUN_ID` (`pipeline:TARGET:PIPELINE:RUN_ID` for a pipeline run here,
            /// `states:TARGET:PIPELINE:RUN_ID` for an execution on Step Functions).
            public var handle: String
            /// The run's state (`RunState`'s raw value).
            public var state: String
            public var usd: Double?
            /// How long it took (pipelines; a job's run says so itself).
            public var seconds: Double?

            public init(handle: String, state: String, usd: Double?, seconds: Double? = nil) {
                self.handle = handle
                self.state = state
                self.usd = usd
                self.seconds = seconds
            }
        }
        public var job: String
        public var from: String
        public var to: String
        public var every: String
        public var runs: [String: Entry]
    }

    /// The record left by an earlier run of the same backfill, or a new one.
    public func load(_ context: DeployContext) async throws -> Record {
        guard let (bytes, _) = try await context.store.get(recordKey(context.layout)) else {
            return Record(job: job, from: from, to: to, every: every.rawValue, runs: [:])
        }
        do {
            return try JSONDecoder().decode(Record.self, from: Data(bytes))
        } catch {
            throw DeployError(
                "\(context.store.url(recordKey(context.layout))) is not a backfill record (\(error)); remove it to start the backfill afresh")
        }
    }

    /// Writes the record (the last writer wins: one backfill of an id runs at a time).
    public func save(_ record: Record, _ context: DeployContext) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try await context.store.put(recordKey(context.layout), bytes: Array(try encoder.encode(record)), contentType: "application/json", condition: .always)
    }

    /// The cost of one run from the job's recent successful runs (their median), and what it
    /// rests on; nil when none has a known cost.
    public static func costPerRun(_ runner: Runner, job: String) async throws -> (usd: Double, basis: String)? {
        let runs = try await runner.history(jobs: [job], state: .succeeded, since: nil, limit: 20)
        let costs = runs.compactMap(\.run.cost?.usd)
        guard let median = DataChecks.median(costs) else { return nil }
        return (median, "the median of its last \(costs.count) successful run\(costs.count == 1 ? "" : "s")")
    }
}
