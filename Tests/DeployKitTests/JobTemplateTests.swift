import Foundation
import XCTest

@testable import DeployKit

/// The template `deployer init job` writes is exactly jobs/templates/job/ (linted and tested as
/// the repository's own Python): the EmbedJobTemplate build plug-in generates JobTemplate.swift from it.
final class JobTemplateTests: XCTestCase {
    func testTheEmbeddedTemplateIsTheTemplateFolder() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("jobs/templates/job").path
        var onDisk: [String: String] = [:]
        for relative in (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []) where !relative.contains("__pycache__") {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            onDisk[relative] = try String(contentsOfFile: root + "/" + relative, encoding: .utf8)
        }
        XCTAssertGreaterThan(onDisk.count, 5, "the template folder \(root)")
        let embedded = Dictionary(uniqueKeysWithValues: JobTemplate.files.map { ($0.path, $0.text + "\n") })
        XCTAssertEqual(Set(embedded.keys), Set(onDisk.keys), "the embedded template lacks or adds a file: see Plugins/EmbedJobTemplate")
        for (path, text) in onDisk { XCTAssertEqual(embedded[path], text, "\(path) differs from its embedded copy") }
    }

    func testJobNamesArePythonPackages() {
        for good in ["demo", "sales_2", "a"] { XCTAssertNoThrow(try JobScaffold.checkName(good), good) }
        for bad in ["Demo", "2x", "my-job", "", String(repeating: "a", count: 41), "a.b"] {
            XCTAssertThrowsError(try JobScaffold.checkName(bad), bad)
        }
    }
}
