import Foundation
import XCTest

@testable import DeployKit

/// The data on-call sees: run records as the jobs write them, and each anomaly `status`
/// flags (and each it must not) against the median of the runs before.
final class DataChecksTests: XCTestCase {
    let now = ISO8601DateFormatter().date(from: "2026-12-05T12:00:00Z")!

    func record(_ id: String, hoursAgo: Double, rows: [String: Int], ratio: Double? = 0.001, status: String = "succeeded") -> DataRecord {
        DataRecord(
            runId: id, status: status, asOf: nil, startedAt: nil, publishedAt: now.addingTimeInterval(-hoursAgo * 3600), tables: rows, quarantineRatio: ratio,
            quarantineMaxRatio: 0.02)
    }

    func testRecordsAreReadAsTheJobsWriteThem() throws {
        let sales = #"""
            {"as_of": "2021-06-30", "ingest_ts": "2026-12-05T15:42:12.341808+00:00", "job": "sales_etl",
             "published_at": "2026-12-05T15:42:26.154254+00:00", "quarantine": {"max_ratio": 0.02, "ratio": 0.004444, "rows": 3},
             "run_id": "20261205T154203Z-29b2bc5d", "status": "succeeded",
             "tables": {"fact_sales": {"rows": 484, "path": "file:/x"}, "client_profile": {"rows": 21}}}
            """#
        let record = try DataRecord.parse(Array(sales.utf8), name: "a.json")
        XCTAssertEqual(record.runId, "20261205T154203Z-29b2bc5d")
        XCTAssertEqual(record.asOf, "2021-06-30")
        XCTAssertEqual(record.tables, ["fact_sales": 484, "client_profile": 21])
        XCTAssertEqual(record.quarantineRatio, 0.004444)
        XCTAssertEqual(record.quarantineMaxRatio, 0.02)
        XCTAssertEqual(record.publishedAt.map { ISO8601DateFormatter().string(from: $0) }, "2026-12-05T15:42:26Z")
        let merge =
            #"{"job": "cdc_merge", "run_id": "r1", "started_at": "2026-12-05T15:42:05.666839+00:00", "status": "succeeded", "tables": {"accounts": {"rows": 21}}}"#
        let merged = try DataRecord.parse(Array(merge.utf8), name: "b.json")
        XCTAssertEqual(merged.tables, ["accounts": 21])
        XCTAssertNil(merged.publishedAt)
        XCTAssertNotNil(merged.startedAt)
        for (bad, reason) in [("[1]", "not a JSON object"), ("{\"tables\": {}}", "no run_id"), ("{nope", "not a JSON object")] {
            XCTAssertThrowsError(try DataRecord.parse(Array(bad.utf8), name: "c.json")) { XCTAssertEqual("\($0)", "c.json: \(reason)") }
        }
        XCTAssertThrowsError(try DataRecord.parse([UInt8](repeating: 32, count: DataRecord.maxBytes + 1), name: "d.json")) {
            XCTAssertEqual("\($0)", "d.json: over 1024 KiB, not a run record")
        }
    }

    func testSteadyDataHasNoAnomaly() {
        let records = [
            record("r4", hoursAgo: 1, rows: ["fact": 1040, "dim": 20]), record("r3", hoursAgo: 25, rows: ["fact": 1000, "dim": 20]),
            record("r2", hoursAgo: 49, rows: ["fact": 980, "dim": 19]), record("r1", hoursAgo: 73, rows: ["fact": 1010, "dim": 20]),
        ]
        XCTAssertEqual(DataChecks().anomalies(records, schedule: nil, grace: 3600, now: now), [])
    }

    func testEmptyTableDropAndRiseAreFlaggedAgainstTheMedian() {
        let records = [
            record("r4", hoursAgo: 1, rows: ["fact": 400, "dim": 0, "summary": 3000]),
            record("r3", hoursAgo: 25, rows: ["fact": 1000, "dim": 20, "summary": 12]),
            record("r2", hoursAgo: 49, rows: ["fact": 980, "dim": 19, "summary": 12]),
            record("r1", hoursAgo: 73, rows: ["fact": 1020, "dim": 20, "summary": 12]),
            // A failed run's figures are no baseline, and the latest failed run is not judged.
            record("bad", hoursAgo: 30, rows: ["fact": 1], status: "failed"),
        ]
        let found = DataChecks().anomalies(records, schedule: nil, grace: 3600, now: now)
        XCTAssertEqual(found.map(\.kind), ["empty_table", "rows_changed", "rows_changed"])
        XCTAssertEqual(found[0].message, "dim: 0 rows in run r4")
        XCTAssertEqual(found[1].message, "fact: 400 rows in run r4, 60% below the median of the 3 runs before (1000; limit ±50%)")
        XCTAssertEqual(found[2].message, "summary: 3000 rows in run r4, 24900% above the median of the 3 runs before (12; limit ±50%)")
        var strict = DataChecks()
        strict.baselineRuns = 1
        strict.maxChangePercent = 70
        XCTAssertEqual(
            strict.anomalies(records, schedule: nil, grace: 3600, now: now).map(\.kind), ["empty_table", "rows_changed"], "r3 alone: fact -60% is within 70%")
    }

    func testQuarantineOverItsLimitOrDoubled() {
        let over = [record("r2", hoursAgo: 1, rows: ["fact": 10], ratio: 0.03), record("r1", hoursAgo: 25, rows: ["fact": 10], ratio: 0.001)]
        XCTAssertEqual(
            DataChecks().anomalies(over, schedule: nil, grace: 0, now: now).map(\.message), ["quarantine: 3% of input rows in run r2, over the job's limit 2%"])
        let doubled = [
            record("r3", hoursAgo: 1, rows: ["fact": 10], ratio: 0.01), record("r2", hoursAgo: 25, rows: ["fact": 10], ratio: 0.004),
            record("r1", hoursAgo: 49, rows: ["fact": 10], ratio: 0.005),
        ]
        XCTAssertEqual(DataChecks().anomalies(doubled, schedule: nil, grace: 0, now: now).map(\.kind), ["quarantine_doubled"])
        let noBaseline = [record("r3", hoursAgo: 1, rows: ["fact": 10], ratio: 0.01), record("r2", hoursAgo: 25, rows: ["fact": 10], ratio: 0)]
        XCTAssertEqual(DataChecks().anomalies(noBaseline, schedule: nil, grace: 0, now: now), [], "a median of 0 doubles to nothing")
    }

    func testStaleWhenTheScheduleFiredWithoutAPublish() throws {
        let daily = (cron: try Cron("0 3 * * ? *"), timeZone: try XCTUnwrap(TimeZone(identifier: "UTC")))
        // Published 03:20 yesterday; today's 03:00 firing is 9 hours ago, past the 1 h grace.
        let late = [record("r1", hoursAgo: 32 + 2.0 / 3, rows: ["fact": 10])]
        let found = DataChecks().anomalies(late, schedule: daily, grace: 3600, now: now)
        XCTAssertEqual(found.map(\.kind), ["stale"])
        XCTAssertEqual(found.first?.message, "stale: nothing published since 2026-12-04T03:20:00Z (33h ago), though the schedule fired at 2026-12-05T03:00:00Z")
        let fresh = [record("r1", hoursAgo: 8, rows: ["fact": 10])]
        XCTAssertEqual(DataChecks().anomalies(fresh, schedule: daily, grace: 3600, now: now), [])
        XCTAssertEqual(DataChecks().anomalies(late, schedule: daily, grace: 10 * 3600, now: now), [], "within the grace a run may still publish")
        var unscheduled = DataChecks()
        unscheduled.staleAfterHours = 24
        XCTAssertEqual(unscheduled.anomalies(late, schedule: nil, grace: 0, now: now).map(\.kind), ["stale"])
        XCTAssertEqual(DataChecks().anomalies(late, schedule: nil, grace: 0, now: now), [], "no schedule and no stale_after_hours: never stale")
    }
}
