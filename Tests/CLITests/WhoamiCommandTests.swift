import Foundation
import XCTest

/// `deployer whoami` against moto_server with authentication on (started by Tests/run-swift.sh).
final class WhoamiCommandTests: XCTestCase {
    func peers() throws -> (endpoint: String, key: String, secret: String, account: String) {
        let env = ProcessInfo.processInfo.environment
        guard let endpoint = env["DEPLOYER_IT_MOTO_ENDPOINT"], let key = env["DEPLOYER_IT_MOTO_ACCESS_KEY"],
              let secret = env["DEPLOYER_IT_MOTO_SECRET_KEY"], let account = env["DEPLOYER_IT_MOTO_ACCOUNT_ID"] else {
            throw XCTSkip("moto_server is not running: run Tests/run-swift.sh")
        }
        return (endpoint, key, secret, account)
    }

    func testWhoamiTextJSONAndDebugRedaction() throws {
        let peers = try peers()
        let environment = ["AWS_ACCESS_KEY_ID": peers.key, "AWS_SECRET_ACCESS_KEY": peers.secret, "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": peers.endpoint]
        let text = try CLI.run(["whoami"], environment: environment)
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("account:     \(peers.account)\n"), text.stdout)
        XCTAssertTrue(text.stdout.contains("region:      eu-west-1\n"))
        XCTAssertTrue(text.stdout.contains("credentials: environment\n"))
        let json = try CLI.run(["whoami", "--json"], environment: environment)
        XCTAssertEqual(json.status, 0, json.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: String])
        XCTAssertEqual(object["account"], peers.account)
        XCTAssertEqual(object["credentialSource"], "environment")
        XCTAssertTrue(object["arn"]?.hasSuffix(":user/deployer-ci") ?? false)
        let debug = try CLI.run(["whoami", "--debug"], environment: environment)
        XCTAssertEqual(debug.status, 0)
        XCTAssertTrue(debug.stderr.contains("> [attempt 1] POST \(peers.endpoint)/"), debug.stderr)
        XCTAssertTrue(debug.stderr.contains("Signature=<redacted>"))
        XCTAssertTrue(debug.stderr.contains("< 200 "))
        XCTAssertFalse(debug.all.contains(peers.secret))
        XCTAssertFalse(debug.stderr.range(of: "Signature=[0-9a-f]{64}", options: .regularExpression) != nil, "no real signature in debug output")
    }

    func testWhoamiRejectedCredentialsExitNonZeroWithoutLeaking() throws {
        let peers = try peers()
        let result = try CLI.run(["whoami", "--max-attempts", "1"], environment: [
            "AWS_ACCESS_KEY_ID": peers.key, "AWS_SECRET_ACCESS_KEY": "definitely-wrong-secret", "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": peers.endpoint,
        ])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.hasPrefix("error: sts GetCallerIdentity failed: HTTP 403 SignatureDoesNotMatch"), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "one line")
        XCTAssertFalse(result.all.contains("definitely-wrong-secret"))
    }

    func testWhoamiWithoutCredentialsSaysWhatToDo() throws {
        let result = try CLI.run(["whoami", "--region", "us-east-1"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("no AWS credentials found"), result.stderr)
    }
}
