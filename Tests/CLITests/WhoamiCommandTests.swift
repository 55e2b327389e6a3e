import AWSTestSupport
import Foundation
import XCTest

/// `deployer whoami` against moto_server with authentication on (started by Tests/run-swift.sh).
final class WhoamiCommandTests: XCTestCase {
    func peers() throws -> (endpoint: String, key: String, secret: String, account: String) {
        let env = ProcessInfo.processInfo.environment
        guard let endpoint = env["DEPLOYER_IT_MOTO_ENDPOINT"], let key = env["DEPLOYER_IT_MOTO_ACCESS_KEY"],
            let secret = env["DEPLOYER_IT_MOTO_SECRET_KEY"], let account = env["DEPLOYER_IT_MOTO_ACCOUNT_ID"]
        else {
            throw XCTSkip("moto_server is not running: run Tests/run-swift.sh")
        }
        return (endpoint, key, secret, account)
    }

    func testWhoamiTextJSONAndDebugRedaction() throws {
        let peers = try peers()
        let environment = [
            "AWS_ACCESS_KEY_ID": peers.key, "AWS_SECRET_ACCESS_KEY": peers.secret, "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": peers.endpoint,
        ]
        let text = try CLI.run(["whoami"], environment: environment)
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("account:     \(peers.account)\n"), text.stdout)
        XCTAssertTrue(text.stdout.contains("region:      eu-west-1\n"))
        XCTAssertTrue(text.stdout.contains("credentials: environment\n"))
        let json = try CLI.run(["whoami", "--json"], environment: environment)
        XCTAssertEqual(json.status, 0, json.stderr)
        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(parsed["version"] as? Int, 1)
        let object = parsed.compactMapValues { $0 as? String }
        XCTAssertEqual(object["account"], peers.account)
        XCTAssertEqual(object["credential_source"], "environment")
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
        let result = try CLI.run(
            ["whoami", "--max-attempts", "1"],
            environment: [
                "AWS_ACCESS_KEY_ID": peers.key, "AWS_SECRET_ACCESS_KEY": "definitely-wrong-secret", "AWS_REGION": "us-east-1",
                "AWS_ENDPOINT_URL": peers.endpoint,
            ])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.hasPrefix("error: sts GetCallerIdentity failed: HTTP 403 SignatureDoesNotMatch"), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "one line")
        XCTAssertFalse(result.all.contains("definitely-wrong-secret"))
    }

    /// An IAM Identity Center profile end to end: the cached login is exchanged at a stand-in
    /// portal (sso_portal.py) for moto's keys, and moto, checking signatures, says who we are.
    func testWhoamiWithAnIdentityCenterProfile() throws {
        let peers = try peers()
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("deployer-sso-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        try FileManager.default.createDirectory(at: home.appendingPathComponent(".aws/sso/cache"), withIntermediateDirectories: true)
        try """
        [profile oncall]
        sso_session = corp
        sso_account_id = \(peers.account)
        sso_role_name = DataOnCall
        region = eu-west-1

        [sso-session corp]
        sso_start_url = https://example.awsapps.com/start
        sso_region = eu-central-1
        """.write(to: home.appendingPathComponent(".aws/config"), atomically: true, encoding: .utf8)
        // The file name is the SHA-1 of the session name, as the AWS CLI writes it (hashlib's digest).
        try #"{"startUrl":"https://example.awsapps.com/start","region":"eu-central-1","accessToken":"login-token-123","expiresAt":"2099-01-01T00:00:00Z"}"#
            .write(to: home.appendingPathComponent(".aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json"), atomically: true, encoding: .utf8)
        let log = home.appendingPathComponent("portal.log").path
        let portal = try LocalHelperProcess(
            script: CLI.repoRoot.appendingPathComponent("Tests/CLITests/sso_portal.py").path,
            arguments: ["login-token-123", peers.key, peers.secret, log])
        defer { portal.stop() }
        let port = portal.port

        let result = try CLI.run(
            ["whoami", "--profile", "oncall"],
            environment: [
                "HOME": home.path, "AWS_ENDPOINT_URL_SSO": "http://127.0.0.1:\(port)", "AWS_ENDPOINT_URL_STS": peers.endpoint,
            ])
        XCTAssertEqual(result.status, 0, result.all)
        XCTAssertTrue(result.stdout.contains("account:     \(peers.account)\n"), result.stdout)
        XCTAssertTrue(result.stdout.contains("region:      eu-west-1\n"), "the profile's region")
        XCTAssertTrue(result.stdout.contains("credentials: profile oncall (IAM Identity Center, role DataOnCall)\n"), result.stdout)
        XCTAssertEqual(try String(contentsOfFile: log, encoding: .utf8), "\(peers.account) DataOnCall\n")
        XCTAssertFalse(result.all.contains("login-token-123"))
        XCTAssertFalse(result.all.contains(peers.secret))

        let missing = try CLI.run(["whoami", "--profile", "nobody"], environment: ["HOME": home.path])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("profile 'nobody' is not in"), missing.stderr)
    }

    func testWhoamiWithoutCredentialsSaysWhatToDo() throws {
        let result = try CLI.run(["whoami", "--region", "us-east-1"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("no AWS credentials found"), result.stderr)
    }
}
