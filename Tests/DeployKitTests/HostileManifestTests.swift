import Foundation
import XCTest

@testable import DeployKit

/// Any pull request can change `deployer.yml`, and CI validates and plans it: bad or hostile
/// manifests get one-line errors naming the place, in bounded time and memory, and nothing
/// outside the repository is ever packaged.
final class HostileManifestTests: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "deployer-hostile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/jobs/etl", withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func load(_ text: String) throws -> Manifest {
        let path = directory + "/deployer.yml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try ManifestLoader(environment: [:]).load(file: path)
    }

    func message(_ text: String) -> String {
        do {
            _ = try load(text)
            return "(loaded)"
        } catch {
            return "\(error)"
        }
    }

    let head = "project: shop\ntargets:\n  local:\n    engine: local\n    artifacts: {path: state}\n"

    /// "Billion laughs": nine levels of ten aliases. Before, validate grew to 4.6 GB and hung.
    func testAliasBombIsRefusedAtOnce() {
        var text = "project: shop\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let started = Date()
        let error = message(text)
        XCTAssertTrue(error.contains("anchors (&name) are not allowed"), error)
        XCTAssertTrue(error.contains("deployer.yml:2:"), error)
        XCTAssertLessThan(Date().timeIntervalSince(started), 2)
        XCTAssertTrue(message(head + "jobs:\n  etl: {source: jobs/etl}\nx: *nothing\n").contains("aliases"))
    }

    /// Tags were silently dropped (`!python/object:os.system ls` read as a string); a NUL was
    /// reported at 1:1; libyaml's nesting limit leaked the name of a C function.
    func testTagsNULAndDeepNestingAreRefusedWhereTheyStand() {
        for tagged in ["x: !python/object:os.system ls\n", "x: !!binary aGVsbG8=\n", "x: !custom [a]\n", "x: !custom {a: b}\n"] {
            let error = message(head + "jobs:\n  etl: {source: jobs/etl}\n" + tagged)
            XCTAssertTrue(error.contains("deployer.yml:8:4: (yaml): YAML tags (!tag) are not allowed"), error)
        }
        XCTAssertEqual(message(head + "jobs:\n  etl: {source: jobs/etl, arguments: {--note: \"!not a tag\"}}\n"), "(loaded)")
        let nul = message(head + "jobs:\n  etl: {source: jobs/etl}\n  # a\u{0}b\n")
        XCTAssertTrue(nul.contains("deployer.yml:8:6: (yaml): control character U+0000"), nul)
        let deep = message("project: shop\nx: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n")
        XCTAssertTrue(deep.contains("nests deeper than 64 levels"), deep)
        XCTAssertFalse(deep.contains("yaml_"), deep)
    }

    /// A nested reference is named as one (it suggested `--var ${var.a=VALUE`).
    func testNestedReferencesAreRefusedAsSuch() {
        let error = message(head + "jobs:\n  etl: {source: jobs/etl, arguments: {--x: \"${var.${var.a}}\"}}\n")
        XCTAssertTrue(error.contains("nests a reference in a reference"), error)
        XCTAssertFalse(error.contains("--var ${"), error)
    }

    func testOversizedFilesValuesAndCountsAreBounded() throws {
        let value = String(repeating: "v", count: 5_000_000)
        let big = message(head + "jobs:\n  etl: {source: jobs/etl}\nproject2: \(value)\n")
        XCTAssertTrue(big.contains("at most 1048576"), String(big.prefix(300)))
        XCTAssertLessThan(big.count, 400, "a large value is not echoed back")
        let long = message("project: \(String(repeating: "a", count: 100_000))\ntargets: {}\njobs: {}\n")
        XCTAssertLessThan(long.count, 400, String(long.prefix(400)))
        var many = head + "jobs:\n"
        for index in 0..<1_200 { many += "  j\(index): {source: jobs/etl}\n" }
        let started = Date()
        let tooMany = message(many)
        XCTAssertTrue(tooMany.contains("at most 1000"), tooMany)
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }

    func testDuplicateKeyNamesTheKeyWithoutDumpingTheFile() {
        let error = message(head + "jobs:\n  etl: {source: jobs/etl}\n  etl: {source: jobs/etl}\n")
        XCTAssertTrue(error.contains("duplicate key 'etl'"), error)
        XCTAssertFalse(error.contains("engine: local"), "the file is not dumped: \(error)")
        XCTAssertEqual(error.split(separator: "\n").count, 1, error)
    }

    func testNonUTF8ManifestIsNotReportedAsMissing() throws {
        let path = directory + "/deployer.yml"
        try Data([0x70, 0x72, 0x6F, 0xFF, 0xFE, 0x0A]).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ManifestLoader(environment: [:]).load(file: path)) { XCTAssertTrue("\($0)".contains("not UTF-8"), "\($0)") }
        XCTAssertThrowsError(try ManifestLoader(environment: [:]).load(file: directory + "/missing.yml")) {
            XCTAssertTrue("\($0)".contains("does not exist"), "\($0)")
        }
    }

    /// `config: /etc/shadow`, `source: /etc`, `../../etc`, and a link out passed validation
    /// and were packaged and uploaded.
    func testPathsOutsideTheRepositoryAreRefused() throws {
        for (field, value, expected) in [
            ("config", "/etc/shadow", "is absolute"), ("source", "/etc", "is absolute"), ("source", "../../etc", "leaves the repository"),
            ("config", "jobs/../../x.yml", "leaves the repository"),
        ] {
            let extra = field == "source" ? "{source: \(value)}" : "{source: jobs/etl, config: \(value)}"
            let error = message(head + "jobs:\n  etl: \(extra)\n")
            XCTAssertTrue(error.contains("jobs.etl.\(field)") && error.contains(expected), "\(field)=\(value): \(error)")
        }
        try FileManager.default.createSymbolicLink(atPath: directory + "/jobs/out", withDestinationPath: "/etc")
        let linked = message(head + "jobs:\n  etl: {source: jobs/out}\n")
        XCTAssertTrue(linked.contains("symbolic link out of the repository"), linked)
        let entry = message(head + "jobs:\n  etl: {source: jobs/etl, entry_point: ../../../etc/passwd}\n")
        XCTAssertTrue(entry.contains("jobs.etl.entry_point"), entry)
        XCTAssertEqual(try load(head + "jobs:\n  etl: {source: jobs/etl}\n").jobs.first?.repository, URL(fileURLWithPath: directory).standardizedFileURL.path)
    }

    func testJobAndTargetNamesFollowTheRules() {
        let job = message(head + "jobs:\n  ../../x y: {source: jobs/etl}\n")
        XCTAssertTrue(job.contains("is not a valid name"), job)
        let target = message("project: shop\ntargets:\n  Dev Env: {engine: local, artifacts: {path: s}}\njobs:\n  etl: {source: jobs/etl}\n")
        XCTAssertTrue(target.contains("is not a valid name"), target)
        XCTAssertEqual(message(head + "jobs:\n  sales_etl-2: {source: jobs/etl}\n"), "(loaded)")
        let engineName = message(head + "jobs:\n  etl: {source: jobs/etl, name: \"../x\"}\n")
        XCTAssertTrue(engineName.contains("jobs.etl.name") && engineName.contains("is not valid"), engineName)
        let protect = message(head + "jobs:\n  etl: {source: jobs/etl, prevent_destroy: maybe}\n")
        XCTAssertTrue(protect.contains("jobs.etl.prevent_destroy") && protect.contains("expected true or false"), protect)
        let pause = message(
            head.replacingOccurrences(of: "engine: local\n", with: "engine: local\n    pause_schedules: sometimes\n") + "jobs:\n  etl: {source: jobs/etl}\n")
        XCTAssertTrue(pause.contains("targets.local.pause_schedules") && pause.contains("expected true or false"), pause)
    }

    /// A malformed `pricing:` block is one line naming the key; a good one reaches the target.
    func testPricingIsValidated() throws {
        let negative = message(
            "project: shop\ntargets:\n  local:\n    engine: local\n    artifacts: {path: state}\n    pricing: {glue_dpu_hour: -1}\njobs:\n  etl: {source: jobs/etl}\n"
        )
        XCTAssertTrue(negative.contains("targets.local.pricing.glue_dpu_hour") && negative.contains("negative"), negative)
        let words = message(
            "project: shop\ntargets:\n  local:\n    engine: local\n    artifacts: {path: state}\n    pricing: {emr_cluster_hour: lots}\njobs:\n  etl: {source: jobs/etl}\n"
        )
        XCTAssertTrue(words.contains("pricing.emr_cluster_hour") && words.contains("expected a number"), words)
        let unknown = message(
            "project: shop\ntargets:\n  local:\n    engine: local\n    artifacts: {path: state}\n    pricing: {dpu: 1}\njobs:\n  etl: {source: jobs/etl}\n")
        XCTAssertTrue(unknown.contains("pricing.dpu") && unknown.contains("unknown key"), unknown)
        let manifest = try load(
            "project: shop\ntargets:\n  local:\n    engine: local\n    artifacts: {path: state}\n    pricing: {glue_dpu_hour: 0.5, emr_cluster_hour: 2}\njobs:\n  etl: {source: jobs/etl}\n"
        )
        XCTAssertEqual(manifest.targets["local"]?.pricing.glueDPUHour, 0.5)
        XCTAssertEqual(manifest.targets["local"]?.pricing.emrClusterHour, 2)
        XCTAssertEqual(manifest.targets["local"]?.pricing.glueFlexDPUHour, 0.29, "defaults where not given")
    }

    /// Schedules: a bad cron, an unknown time zone, a schedule on an engine that cannot take one,
    /// notify without state-change events: one line each, naming the key.
    func testScheduleAndNotifyAreValidated() throws {
        let job = "jobs:\n  etl:\n    source: jobs/etl\n"
        let cron = message(head + job + "    schedule: {cron: \"0 3 * *\"}\n")
        XCTAssertTrue(cron.contains("jobs.etl.schedule.cron") && cron.contains("has 4 fields"), cron)
        let both = message(head + job + "    schedule: {cron: \"0 3 * * MON *\"}\n")
        XCTAssertTrue(both.contains("exactly one of day-of-month and day-of-week must be '?'"), both)
        let range = message(head + job + "    schedule: {cron: \"0 25 * * ? *\"}\n")
        XCTAssertTrue(range.contains("'25' is not a valid hours"), range)
        let zone = message(head + job + "    schedule: {cron: \"0 3 * * ? *\", timezone: Mars/Olympus}\n")
        XCTAssertTrue(zone.contains("jobs.etl.schedule.timezone") && zone.contains("not a time zone"), zone)
        let emr =
            "project: shop\ndefault_target: onprem\ntargets:\n  onprem:\n    engine: emr\n    region: us-east-1\n    artifacts: {bucket: bkt, prefix: p}\n    emr: {cluster_id: j-ABC}\n"
        let onEMR = message(emr + job + "    schedule: {cron: \"0 3 * * ? *\"}\n")
        XCTAssertTrue(onEMR.contains("engine emr (target onprem) cannot take a schedule"), onEMR)
        let glue =
            "project: shop\ndefault_target: dev\ntargets:\n  dev:\n    engine: glue\n    region: us-east-1\n    artifacts: {bucket: bkt, prefix: p}\n    role_arn: arn:aws:iam::123456789012:role/g\n"
        let noRole = message(glue + job + "    schedule: {cron: \"0 3 * * ? *\"}\n")
        XCTAssertTrue(noRole.contains("needs schedule_role_arn"), noRole)
        let local = message(head + job + "    notify: {sns_topic: \"arn:aws:sns:us-east-1:123456789012:alerts\"}\n")
        XCTAssertTrue(local.contains("jobs.etl.notify") && local.contains("no run state-change events"), local)
        let parsed = try Cron("0 3 ? * MON-FRI *")
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let monday = try XCTUnwrap(utc.date(from: DateComponents(year: 2026, month: 11, day: 30, hour: 3, minute: 0)))
        XCTAssertTrue(parsed.matches(monday, in: TimeZone(identifier: "UTC")!))
        XCTAssertFalse(parsed.matches(monday.addingTimeInterval(5 * 86_400), in: TimeZone(identifier: "UTC")!), "Saturday")
        XCTAssertEqual(
            parsed.fireTimes(after: monday.addingTimeInterval(-60), through: monday.addingTimeInterval(7 * 86_400 - 60), in: TimeZone(identifier: "UTC")!)
                .count, 5)
        let berlin = try Cron("0 3 * * ? *")
        XCTAssertFalse(berlin.matches(monday, in: TimeZone(identifier: "Europe/Berlin")!), "03:00 UTC is 04:00 in Berlin in winter")
        XCTAssertTrue(berlin.matches(monday.addingTimeInterval(-3600), in: TimeZone(identifier: "Europe/Berlin")!))
    }
}
