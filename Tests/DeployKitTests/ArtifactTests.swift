import AWSTestSupport
import Foundation
import XCTest

@testable import DeployKit

final class ArtifactTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    let buildRoot = NSTemporaryDirectory() + "deployer-artifact-build-\(UUID().uuidString)"

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: buildRoot)
    }

    func job(source: String) -> Job {
        Job(name: "sales_etl", source: source, entryPoint: "main.py", config: source + "/config.yml", arguments: [:], engines: [:], repository: source)
    }

    func build(_ job: Job) throws -> Artifact {
        try Artifact.build(job, buildRoot: buildRoot)
    }

    func copyJob() throws -> String {
        let copy = NSTemporaryDirectory() + "deployer-artifact-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: Self.root + "/jobs/sales_etl", toPath: copy)
        return copy
    }

    func testDeterministicAndContentAddressed() throws {
        let source = try copyJob()
        defer { try? FileManager.default.removeItem(atPath: source) }
        let first = try build(job(source: source))
        // Timestamps and pycache must not matter.
        try FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: source + "/main.py")
        try FileManager.default.createDirectory(atPath: source + "/src/sales_etl/__pycache__", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: source + "/src/sales_etl/__pycache__/cli.cpython-311.pyc"))
        let second = try build(job(source: source))
        XCTAssertEqual(first, second)
        XCTAssertEqual(first.files.map(\.name), Artifact.fileNames)
        try "\n# changed\n".appendTo(source + "/src/sales_etl/cli.py")
        let changed = try build(job(source: source))
        XCTAssertNotEqual(changed.digest, first.digest)
        XCTAssertEqual(changed.file("main.py")?.sha256, first.file("main.py")?.sha256)
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
        let artifact = try build(job(source: Self.root + "/jobs/sales_etl"))
        for file in artifact.files {
            let python = try XCTUnwrap(FileManager.default.contents(atPath: output + "/" + file.name), file.name)
            let ours = try XCTUnwrap(FileManager.default.contents(atPath: file.path))
            XCTAssertEqual(python, ours, "\(file.name) differs from build_artifact.py's")
            XCTAssertEqual(PayloadHashHex.of(bytes: Array(ours)), file.sha256)
        }
    }

    /// With a shared library (`libraries: [jobs/common]` / `--library jobs/common`) the two
    /// builders still agree byte for byte, and the library's package sits beside the job's.
    func testLibrariesAreByteIdenticalToThePythonBuilderAndClashesAreRefused() throws {
        let output = NSTemporaryDirectory() + "deployer-pyartifact-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.root + "/jobs/build_artifact.py", "--library", Self.root + "/jobs/common", Self.root + "/jobs/sales_etl", output]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        var withLibrary = job(source: Self.root + "/jobs/sales_etl")
        withLibrary.repository = Self.root
        withLibrary.libraries = [Self.root + "/jobs/common"]
        let artifact = try build(withLibrary)
        for file in artifact.files {
            let python = try XCTUnwrap(FileManager.default.contents(atPath: output + "/" + file.name), file.name)
            XCTAssertEqual(python, try XCTUnwrap(FileManager.default.contents(atPath: file.path)), "\(file.name) differs from build_artifact.py --library's")
        }
        let names = Process()
        names.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        names.arguments = [
            "python3", "-c",
            "import sys, zipfile; n = zipfile.ZipFile(sys.argv[1]).namelist(); assert 'jobs_common/__init__.py' in n and 'jobs_common/cli.py' in n and 'sales_etl/config.yml' in n, n",
            artifact.directory + "/code.zip",
        ]
        try names.run()
        names.waitUntilExit()
        XCTAssertEqual(names.terminationStatus, 0)
        // The job's own package again as a library: ambiguous, refused.
        var clash = withLibrary
        clash.libraries = [Self.root + "/jobs/sales_etl"]
        XCTAssertThrowsError(try build(clash)) { XCTAssertTrue("\($0)".contains("package sales_etl is in both"), "\($0)") }
        var empty = withLibrary
        empty.libraries = [Self.root + "/jobs/sample_data"]
        XCTAssertThrowsError(try build(empty)) { XCTAssertTrue("\($0)".contains("a library needs at least one Python package"), "\($0)") }
    }

    /// Two builds of one digest race (two applies in one checkout): whichever lands second keeps
    /// the complete folder; an incomplete leftover (no marker) is replaced.
    func testContentAddressedPlacementToleratesARaceAndReplacesLeftovers() throws {
        let base = buildRoot + "/place"
        let fileManager = FileManager.default
        func staged(_ text: String) throws -> String {
            let path = base + "/staging-\(UUID().uuidString)"
            try fileManager.createDirectory(atPath: path, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path + "/SHA256SUMS"))
            return path
        }
        let final = base + "/digest"
        let first = try staged("first")
        try ContentAddressedFolder.place(first, at: final, marker: "SHA256SUMS", what: "test")
        let second = try staged("second")
        try ContentAddressedFolder.place(second, at: final, marker: "SHA256SUMS", what: "test")
        XCTAssertEqual(try String(contentsOfFile: final + "/SHA256SUMS", encoding: .utf8), "first", "the folder in place is kept")
        XCTAssertFalse(fileManager.fileExists(atPath: second), "the losing staging folder is removed")
        let leftover = base + "/other"
        try fileManager.createDirectory(atPath: leftover, withIntermediateDirectories: true)
        try Data("half".utf8).write(to: URL(fileURLWithPath: leftover + "/main.py"))
        try ContentAddressedFolder.place(try staged("whole"), at: leftover, marker: "SHA256SUMS", what: "test")
        XCTAssertEqual(try String(contentsOfFile: leftover + "/SHA256SUMS", encoding: .utf8), "whole")
        XCTAssertFalse(fileManager.fileExists(atPath: leftover + "/main.py"), "the incomplete leftover is gone")
    }

    func testZipIsReadableByPython() throws {
        let artifact = try build(job(source: Self.root + "/jobs/sales_etl"))
        let directory = artifact.directory
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(len(z.namelist())); assert 'sales_etl/models/fact_sales.sql' in z.namelist(); assert 'sales_etl/config.yml' in z.namelist()",
            directory + "/code.zip",
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
    }

    /// The code's wheel (what a Glue Python shell job gets) is `code.zip`'s entries plus a true
    /// RECORD: every hash and size checked by Python, then pip installs it and the package imports.
    func testCodeWheelHasATrueRecordAndInstallsWithPip() throws {
        let artifact = try build(job(source: Self.root + "/jobs/sales_etl"))
        let wheel = artifact.directory + "/" + Artifact.codeWheel
        let target = NSTemporaryDirectory() + "wheel-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: target) }
        let script = """
            import base64, csv, hashlib, io, subprocess, sys, zipfile
            wheel, target = sys.argv[1], sys.argv[2]
            z = zipfile.ZipFile(wheel)
            code = set(zipfile.ZipFile(sys.argv[3]).namelist())
            info = 'deployer_job_code-0.dist-info/'
            assert set(z.namelist()) - code == {info + 'METADATA', info + 'WHEEL', info + 'RECORD'}, z.namelist()
            rows = list(csv.reader(io.StringIO(z.read(info + 'RECORD').decode())))
            assert sorted(r[0] for r in rows) == sorted(z.namelist()), rows
            for name, digest, size in rows:
                if name == info + 'RECORD':
                    assert digest == size == '', (name, digest, size)
                    continue
                data = z.read(name)
                assert digest == 'sha256=' + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode(), name
                assert int(size) == len(data), name
            subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', '--no-index', '--no-deps', '--target', target, wheel], check=True)
            check = 'import sys, os; sys.path.insert(0, sys.argv[1]); import sales_etl; assert os.path.isfile(os.path.join(os.path.dirname(sales_etl.__file__), "config.yml"))'
            subprocess.run([sys.executable, '-I', '-c', check, target], check=True)
            print('ok', len(rows))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, wheel, target, artifact.directory + "/code.zip"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, output)
        XCTAssertTrue(output.split(separator: "\n").last?.hasPrefix("ok ") == true, output)
        XCTAssertEqual(Artifact.recordField("a,b\"c"), "\"a,b\"\"c\"")
        XCTAssertEqual(Artifact.recordField("sales_etl/models/fact_sales.sql"), "sales_etl/models/fact_sales.sql")
    }

    /// A link to a file outside the repository (here /etc/passwd) is refused, never packaged;
    /// a link inside it is followed; a FIFO (which would block a reader) is refused.
    func testLinksOutOfTheRepositoryAndSpecialFilesAreRefused() throws {
        let source = try copyJob()
        defer { try? FileManager.default.removeItem(atPath: source) }
        let package = source + "/src/sales_etl"
        try FileManager.default.createSymbolicLink(atPath: package + "/passwd.txt", withDestinationPath: "/etc/passwd")
        XCTAssertThrowsError(try build(job(source: source))) { error in
            XCTAssertTrue("\(error)".contains("passwd.txt leads outside the repository"), "\(error)")
        }
        try FileManager.default.removeItem(atPath: package + "/passwd.txt")
        try FileManager.default.createSymbolicLink(atPath: package + "/inside.sql", withDestinationPath: package + "/models/fact_sales.sql")
        let linked = try build(job(source: source))
        XCTAssertNotNil(linked.file("code.zip"))
        try FileManager.default.removeItem(atPath: package + "/inside.sql")
        XCTAssertEqual(mkfifo(package + "/pipe", 0o644), 0)
        XCTAssertThrowsError(try build(job(source: source))) { error in
            XCTAssertTrue("\(error)".contains("not a regular file"), "\(error)")
        }
        try FileManager.default.removeItem(atPath: package + "/pipe")
        var outside = job(source: source)
        outside.config = "/etc/hostname"
        XCTAssertThrowsError(try build(outside)) { XCTAssertTrue("\($0)".contains("leads outside the repository"), "\($0)") }
    }

    func testMissingPartsAreClearErrors() throws {
        let empty = NSTemporaryDirectory() + "deployer-empty-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        XCTAssertThrowsError(try build(job(source: empty))) { XCTAssertTrue("\($0)".contains("main.py: missing")) }
        try Data("print(1)".utf8).write(to: URL(fileURLWithPath: empty + "/main.py"))
        try Data("a: 1".utf8).write(to: URL(fileURLWithPath: empty + "/config.yml"))
        XCTAssertThrowsError(try build(job(source: empty))) { XCTAssertTrue("\($0)".contains("expected exactly one Python package")) }
    }
}
