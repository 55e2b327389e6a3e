import AWSCore
import Foundation
import XCTest

/// `status` reading a job's run records from S3 (SeaweedFS, strict SigV4): the output folder is
/// the job's `--output_path` for the target's engine.
extension DeployFlowTests {
    func testStatusReadsTheJobsRunRecordsFromS3() async throws {
        let peers = try peers()
        let bucket = "itest-lake-\(UInt32.random(in: 0...UInt32.max))"
        let s3 = S3Client(client: try client(peers))
        try await s3.createBucket(bucket: bucket)
        try """
        project: \(project)
        targets:
        \(glueDev(bucket: bucket, account: peers.account))
        jobs:
          etl:
            source: sales_etl
            arguments: {--output_path: local/out}
            engines:
              glue:
                arguments: {--output_path: "s3://\(bucket)/curated/etl/"}
        """.write(toFile: work + "/deployer.yml", atomically: true, encoding: .utf8)
        let sizes = [("r1", 1000), ("r2", 980), ("r3", 1020), ("r4", 390)]
        for (index, (run, rows)) in sizes.enumerated() {
            let published = ISO8601DateFormatter().string(from: Date().addingTimeInterval(Double(index - 4) * 86400))
            let record = """
                {"job": "etl", "run_id": "\(run)", "status": "succeeded", "published_at": "\(published)",
                 "quarantine": {"max_ratio": 0.02, "ratio": 0.001}, "tables": {"fact_sales": {"rows": \(rows)}}}
                """
            _ = try await s3.putObject(bucket: bucket, key: "curated/etl/_runs/\(run).json", body: .bytes(Array(record.utf8)))
            // LastModified has whole seconds: the records must list in the order they were written.
            try await Task.sleep(for: .milliseconds(1100))
        }
        _ = try await s3.putObject(bucket: bucket, key: "curated/etl/_manifest.json", body: .bytes(Array(#"{"run_id": "r4"}"#.utf8)))
        let status = try deployer(["status", "-t", "dev", "--detailed-exitcode"], peers)
        XCTAssertEqual(status.status, 2, status.all)
        XCTAssertTrue(status.stdout.contains("data in s3://\(bucket)/curated/etl/_runs/: published run r4"), status.stdout)
        XCTAssertTrue(status.stdout.contains("  ! fact_sales: 390 rows in run r4, 61% below the median of the 3 runs before (1000; limit ±50%)"), status.stdout)
        let json = try deployer(["status", "-t", "dev", "--json"], peers)
        let jobs = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["jobs"] as? [[String: Any]])
        let runs = try XCTUnwrap((jobs.first?["data"] as? [String: Any])?["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.map { $0["run_id"] as? String }, ["r4", "r3", "r2", "r1"])
    }
}

extension DeployFlowTests {
    /// `backfill` on a Glue target: one run per date with its --as_of and --run_id, the cost
    /// estimated from those runs; a rerun starts nothing; --max-cost below the estimate is refused
    /// before anything starts.
    func testBackfillOnGlue() async throws {
        let peers = try peers()
        guard ProcessInfo.processInfo.environment["DEPLOYER_IT_MOTO_PIPELINE_ROLE_ARN"] != nil else { throw XCTSkip("peers without a pipeline role") }
        let bucket = "itest-backfill-\(UInt32.random(in: 0...UInt32.max))"
        try await S3Client(client: try client(peers)).createBucket(bucket: bucket)
        _ = try gluePipelineManifest(peers, bucket: bucket)
        let apply = try deployer(["apply", "-t", "dev", "--auto-approve"], peers)
        XCTAssertEqual(apply.status, 0, apply.all)
        let fill = try deployer(["backfill", "prep", "-t", "dev", "--from", "2024-03-01", "--to", "2024-03-03", "--concurrency", "2"], peers)
        XCTAssertEqual(fill.status, 0, fill.all)
        XCTAssertTrue(fill.stdout.contains("estimate: unknown (no successful run of prep with a known cost yet)"), fill.stdout)
        let runs = try await GlueClient(client: client(peers)).getJobRuns(name: "\(project)-dev-prep", maxResults: 20)
        XCTAssertEqual(
            runs.compactMap { $0.arguments?["--as_of"] }.sorted(), ["2024-03-01", "2024-03-02", "2024-03-03"], "one run per date with its --as_of")
        XCTAssertEqual(runs.compactMap { $0.arguments?["--run_id"] }.sorted(), ["bf-prep-20240301", "bf-prep-20240302", "bf-prep-20240303"])
        let again = try deployer(["backfill", "prep", "-t", "dev", "--from", "2024-03-01", "--to", "2024-03-03"], peers)
        XCTAssertEqual(again.status, 0, again.all)
        XCTAssertTrue(again.stdout.contains("3 done already, 0 to run"), again.stdout)
        XCTAssertTrue(again.stdout.contains("estimate: $0.00 = 0 × $0.0") && again.stdout.contains("the median of its last 3 successful runs"), again.stdout)
        let capped = try deployer(["backfill", "prep", "-t", "dev", "--from", "2024-04-01", "--to", "2024-04-30", "--max-cost", "0.05"], peers)
        XCTAssertEqual(capped.status, 1, capped.all)
        XCTAssertTrue(capped.stdout.contains("estimate: $0.") && capped.stdout.contains("= 30 × $0.0"), capped.stdout)
        XCTAssertTrue(capped.stderr.contains("is above it; nothing was started (narrow the range or raise --max-cost)"), capped.all)
        let after = try await GlueClient(client: client(peers)).getJobRuns(name: "\(project)-dev-prep", maxResults: 50)
        XCTAssertEqual(after.count, 3, "nothing started")
    }
}
