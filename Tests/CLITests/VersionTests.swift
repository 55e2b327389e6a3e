import Foundation
import XCTest

/// `deployer --version`: the version and what it was built from (the commit, which the release
/// build writes in; a development build says it is one).
final class VersionTests: XCTestCase {
    func testVersionNamesTheBuild() throws {
        let result = try CLI.run(["--version"])
        XCTAssertEqual(result.status, 0, result.all)
        let line = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertNotNil(
            line.range(of: #"^[0-9]+\.[0-9]+\.[0-9]+ \((commit [0-9a-f]{12}(\+dirty)?|development build)\)$"#, options: .regularExpression), line)
    }
}
