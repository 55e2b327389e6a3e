import AWSTestSupport
@testable import DeployKit
import Foundation
import XCTest

final class ArtifactTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    func job(source: String) -> Job {
        Job(name: "sales_etl", source: source, entryPoint: "main.py", config: source + "/config.yml", arguments: [:], engines: [:])
    }

    func copyJob() throws -> String {
        let copy = NSTemporaryDirectory() + "deployer-artifact-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: Self.root + "/jobs/sales_etl", toPath: copy)
        return copy
    }

    func testDeterministicAndContentAddressed() throws {
        let source = try copyJob()
        defer { try? FileManager.default.removeItem(atPath: source) }
        let first = try Artifact.build(job(source: source))
        // Timestamps and pycache must not matter.
        try FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: source + "/main.py")
        try FileManager.default.createDirectory(atPath: source + "/src/sales_etl/__pycache__", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: source + "/src/sales_etl/__pycache__/cli.cpython-311.pyc"))
        let second = try Artifact.build(job(source: source))
        XCTAssertEqual(first, second)
        XCTAssertEqual(first.files.map(\.name), Artifact.fileNames)
        try "\n# changed\n".appendTo(source + "/src/sales_etl/cli.py")
        let changed = try Artifact.build(job(source: source))
        XCTAssertNotEqual(changed.digest, first.digest)
        XCTAssertEqual(changed.file("main.py"), first.file("main.py"))
        XCTAssertNotEqual(changed.file("code.zip")?.sha256, first.file("code.zip")?.sha256)
    }

    /// `deployer package` and `jobs/build_artifact.py` are two builders of one format: same bytes.
    func testByteIdenticalToThePythonBuilder() throws {
        let output = NSTemporaryDirectory() + "deployer-pyartifact-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.root + "/jobs/build_artifact.py", Self.root + "/jobs/sales_etl", output]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let artifact = try Artifact.build(job(source: Self.root + "/jobs/sales_etl"))
        for file in artifact.files {
            let python = try XCTUnwrap(FileManager.default.contents(atPath: output + "/" + file.name), file.name)
            XCTAssertEqual(Array(python), file.bytes, "\(file.name) differs from build_artifact.py's")
        }
    }

    func testZipIsReadableByPython() throws {
        let artifact = try Artifact.build(job(source: Self.root + "/jobs/sales_etl"))
        let directory = NSTemporaryDirectory() + "deployer-zip-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try artifact.write(to: directory)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(len(z.namelist())); assert 'sales_etl/models/fact_sales.sql' in z.namelist(); assert 'sales_etl/config.yml' in z.namelist()", directory + "/code.zip"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
    }

    func testMissingPartsAreClearErrors() throws {
        let empty = NSTemporaryDirectory() + "deployer-empty-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        XCTAssertThrowsError(try Artifact.build(job(source: empty))) { XCTAssertTrue("\($0)".contains("main.py: missing")) }
        try Data("print(1)".utf8).write(to: URL(fileURLWithPath: empty + "/main.py"))
        try Data("a: 1".utf8).write(to: URL(fileURLWithPath: empty + "/config.yml"))
        XCTAssertThrowsError(try Artifact.build(job(source: empty))) { XCTAssertTrue("\($0)".contains("expected exactly one Python package")) }
    }
}
