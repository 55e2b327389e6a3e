import Foundation
import XCTest

@testable import DeployKit

/// Every name and tag deployer makes fits the limits of the AWS model that receives it, at the
/// longest the manifest allows. The limits are botocore's: Scheduler `Name` 1–64
/// `[0-9a-zA-Z-_.]+`, EventBridge rule `Name` 1–64 `[\.\-_A-Za-z0-9]+`, Glue job `Name` 1–255,
/// EMR step `Name` ≤ 256, Glue tags ≤ 50 with keys 1–128 and values ≤ 256.
final class ModelLimitsTests: XCTestCase {
    func matches(_ text: String, _ pattern: String) -> Bool {
        text.range(of: "^(?:\(pattern))$", options: .regularExpression) != nil
    }

    func testScheduleAndRuleNamesFitAtEveryLength() {
        let longest = String(repeating: "p", count: 40) + "-" + String(repeating: "t", count: 32) + "-" + String(repeating: "J", count: 64)
        for length in [1, 54, 55, 56, 57, 64, 138, 255] {
            let name = String((longest + String(repeating: "x", count: 255)).prefix(length))
            let schedule = Automation.resourceName(name)
            let rule = Automation.alertRuleName(name)
            XCTAssertTrue((1...64).contains(schedule.count) && matches(schedule, "[0-9a-zA-Z-_.]+"), "\(length): \(schedule)")
            XCTAssertTrue((1...64).contains(rule.count) && matches(rule, "[\\.\\-_A-Za-z0-9]+"), "\(length): \(rule) (\(rule.count))")
            XCTAssertNotEqual(schedule, rule)
        }
        // Up to 55 characters the names read as the job's; beyond, a hash keeps them distinct.
        let exact = String(repeating: "a", count: 55)
        XCTAssertEqual(Automation.resourceName(exact), "deployer-" + exact)
        XCTAssertNotEqual(Automation.resourceName(exact + "b"), Automation.resourceName(exact + "c"))
        XCTAssertEqual(Automation.alertRuleName("carsales-dev-sales_etl"), "deployer-carsales-dev-sales_etl-alerts", "short names keep their rule")
    }

    func testKeyedStepNamesFitAndAreFoundAgain() {
        let key = String(repeating: "k", count: 64)
        for length in [10, 189, 190, 255] {
            let name = String(repeating: "n", count: length)
            let step = EMRStepEngine.stepName(name, key: key)
            XCTAssertLessThanOrEqual(step.count, 256, "\(length)")
            XCTAssertTrue(step.hasPrefix(EMRStepEngine.keyedPrefix(name)))
            XCTAssertTrue(step.hasSuffix("[\(key)]"))
        }
        XCTAssertEqual(EMRStepEngine.stepName("carsales-onprem-sales_etl", key: "k1"), "carsales-onprem-sales_etl [k1]")
    }

    func testEngineJobNameFitsGlue() throws {
        let directory = NSTemporaryDirectory() + "deployer-limits-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/jobs/etl", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let project = "p" + String(repeating: "r", count: 39)
        let target = "t" + String(repeating: "g", count: 31)
        let job = "J" + String(repeating: "b", count: 63)
        let text = "project: \(project)\ntargets:\n  \(target): {engine: local, artifacts: {path: state}}\njobs:\n  \(job): {source: jobs/etl}\n"
        try text.write(toFile: directory + "/deployer.yml", atomically: true, encoding: .utf8)
        let manifest = try ManifestLoader(environment: [:]).load(file: directory + "/deployer.yml")
        let name = manifest.engineJobName(try manifest.job(job), target: try manifest.target(target))
        XCTAssertEqual(name.count, 138)
        XCTAssertLessThanOrEqual(name.count, 255)
        XCTAssertLessThanOrEqual(Automation.resourceName(name).count, 64)
    }

    func testTargetTagsAreCheckedAtAWSLimits() throws {
        let directory = NSTemporaryDirectory() + "deployer-limits-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/jobs/etl", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func load(_ tags: String) -> String {
            let text =
                "project: shop\ntargets:\n  dev: {engine: glue, region: us-east-1, artifacts: {bucket: shop-artifacts}, role_arn: 'arn:aws:iam::123456789012:role/g', tags: \(tags)}\njobs:\n  etl: {source: jobs/etl}\n"
            do {
                try text.write(toFile: directory + "/deployer.yml", atomically: true, encoding: .utf8)
                _ = try ManifestLoader(environment: [:]).load(file: directory + "/deployer.yml", target: "dev")
                return "(loaded)"
            } catch {
                return "\(error)"
            }
        }
        func map(_ count: Int) -> String { "{" + (0..<count).map { "k\($0): v" }.joined(separator: ", ") + "}" }
        XCTAssertEqual(load(map(49)), "(loaded)")
        XCTAssertTrue(load(map(50)).contains("50 tags; at most 49"), load(map(50)))
        XCTAssertEqual(load("{\(String(repeating: "k", count: 128)): \(String(repeating: "v", count: 256))}"), "(loaded)")
        XCTAssertTrue(load("{\(String(repeating: "k", count: 129)): v}").contains("1 to 128"), load("{\(String(repeating: "k", count: 129)): v}"))
        XCTAssertTrue(load("{k: \(String(repeating: "v", count: 257))}").contains("at most 256"))
        XCTAssertTrue(load("{'aws:owner': v}").contains("not starting with aws:"), load("{'aws:owner': v}"))
        XCTAssertTrue(load("{k: 'a;b'}").contains("targets.dev.tags.k"), load("{k: 'a;b'}"))
        XCTAssertTrue(load("{managed-by: me}").contains("managed-by is deployer's own tag"), load("{managed-by: me}"))
        XCTAssertEqual(load("{team: data, 'cost center': 'Ä 1'}"), "(loaded)")
    }
}
