import AWSCore
import XCTest

@testable import DeployKit

final class PlanTests: XCTestCase {
    func testFieldLevelDiffIncludingRemovedArguments() {
        let live = JSONValue.object([
            "Command": .object(["ScriptLocation": .string("s3://b/artifacts/etl/aaa/main.py"), "Name": .string("glueetl")]),
            "NumberOfWorkers": .number(2),
            "DefaultArguments": .object(["--as_of": .string("2024-01-01"), "--old": .string("x")]),
            "CreatedOn": .string("ignored: not managed"),
        ])
        let desired = JSONValue.object([
            "Command": .object(["ScriptLocation": .string("s3://b/artifacts/etl/bbb/main.py"), "Name": .string("glueetl")]),
            "NumberOfWorkers": .number(4),
            "DefaultArguments": .object(["--as_of": .string("2024-01-01")]),
        ])
        XCTAssertEqual(
            Plan.diff(live: live, desired: desired),
            [
                FieldChange(field: "Command.ScriptLocation", old: "s3://b/artifacts/etl/aaa/main.py", new: "s3://b/artifacts/etl/bbb/main.py"),
                FieldChange(field: "DefaultArguments.--old", old: "x", new: nil),
                FieldChange(field: "NumberOfWorkers", old: "2", new: "4"),
            ])
        XCTAssertEqual(Plan.diff(live: desired, desired: desired), [])
    }

    func testRenderAndSummary() {
        let job = JobPlan(
            job: "etl", engineName: "p-dev-etl", artifact: "0123456789abcdef", uploadArtifact: true, action: .update,
            changes: [FieldChange(field: "NumberOfWorkers", old: "2", new: "4")], desired: .null, live: .null)
        let plan = Plan(project: "p", target: "dev", engine: "glue", jobs: [job], latestDeployment: nil, liveFingerprint: "f", rollbackOf: nil)
        XCTAssertEqual(
            plan.render(),
            """
            + artifact etl 0123456789ab  (upload)
            ~ update job p-dev-etl
                ~ NumberOfWorkers: 2 → 4

            Plan: 1 artifact to upload, 0 to create, 1 to update, 0 unchanged.
            """)
        XCTAssertTrue(plan.hasChanges)
    }
}

/// Driver logs on S3 are gzip'd; they are read through the system's gzip.
final class GunzipTests: XCTestCase {
    func testRoundTripThroughSystemGzip() throws {
        let text = String(repeating: "INFO driver line\n", count: 5_000) + "sales_etl: error: boom\n"
        let compressed = try Subprocess.run(["gzip", "-c"], input: Array(text.utf8))
        XCTAssertEqual(compressed.status, 0)
        XCTAssertLessThan(compressed.output.count, text.utf8.count / 10)
        XCTAssertEqual(try Gunzip.text(Array(compressed.output)), text)
        XCTAssertThrowsError(try Gunzip.text(Array("not gzip".utf8)))
    }
}
