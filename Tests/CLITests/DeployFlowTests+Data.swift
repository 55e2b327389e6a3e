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
          dev:
            engine: glue
            region: us-east-1
            artifacts: {bucket: \(bucket), prefix: deploy}
            role_arn: arn:aws:iam::\(peers.account):role/glue-job
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
