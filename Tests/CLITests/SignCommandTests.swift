import AWSTestSupport
import Foundation
import XCTest

final class SignCommandTests: XCTestCase {
    let keys = ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"]

    func testSignsAsTheSuiteExpectsAndExplains() throws {
        let request = "POST /?Param1=value1 HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\n\n"
        let result = try CLI.run(["sign", "--service", "service", "--region", "us-east-1", "--explain"], environment: keys, stdin: request)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(
            result.stdout.hasPrefix(
                "# canonical request\nPOST\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"), result.stdout)
        XCTAssertTrue(result.stdout.contains("# string to sign\nAWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"))
        // The aws4_testsuite's post-vanilla-query signature for this exact request.
        XCTAssertTrue(result.stdout.contains("Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"), result.stdout)
        XCTAssertFalse(result.all.contains("wJalrXUtnFEMI"))
    }

    func testInfersServiceAndRegionFromHostAndPresigns() throws {
        let request = "GET /my%20key.txt HTTP/1.1\nHost: examplebucket.s3.eu-west-1.amazonaws.com\n\n"
        var environment = keys
        environment["AWS_SESSION_TOKEN"] = "SESSIONTOKEN/with+chars"
        let result = try CLI.run(["sign", "--presign", "--expires", "600", "--date", "2013-05-24T00:00:00Z"], environment: environment, stdin: request)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("X-Amz-Credential=AKIDEXAMPLE%2F20130524%2Feu-west-1%2Fs3%2Faws4_request"), result.stdout)
        XCTAssertTrue(result.stdout.contains("X-Amz-Expires=600"))
        XCTAssertTrue(result.stdout.contains("# url\nhttps://examplebucket.s3.eu-west-1.amazonaws.com/my%20key.txt?"), result.stdout)
        XCTAssertTrue(result.stdout.contains("X-Amz-Security-Token=<redacted>"))
        XCTAssertFalse(result.all.contains("SESSIONTOKEN"), "session tokens are never printed")
        XCTAssertFalse(result.all.contains("wJalrXUtnFEMI"))
    }

    func testBadInputGivesOneLineErrors() throws {
        let missing = try CLI.run(["sign", "/no/such/request.txt"], environment: keys)
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr, "error: cannot read request file /no/such/request.txt: check the path\n")
        let noHost = try CLI.run(["sign", "--service", "s3"], environment: keys, stdin: "GET / HTTP/1.1\nAccept: */*\n\n")
        XCTAssertEqual(noHost.status, 1)
        XCTAssertTrue(noHost.stderr.hasPrefix("error: -: the request has no Host header"), noHost.stderr)
        let unknownHost = try CLI.run(["sign"], environment: keys, stdin: "GET / HTTP/1.1\nHost: example.com\n\n")
        XCTAssertEqual(unknownHost.stderr, "error: cannot infer the service from Host 'example.com': pass --service\n")
        let badDate = try CLI.run(
            ["sign", "--service", "s3", "--region", "us-east-1", "--date", "yesterday"], environment: keys, stdin: "GET / HTTP/1.1\nHost: h\n\n")
        XCTAssertTrue(badDate.stderr.contains("--date 'yesterday'"), badDate.stderr)
        let noCredentials = try CLI.run(["sign", "--service", "s3", "--region", "us-east-1"], stdin: "GET / HTTP/1.1\nHost: h\n\n")
        XCTAssertEqual(noCredentials.status, 1)
        XCTAssertTrue(noCredentials.stderr.contains("no AWS credentials found"), noCredentials.stderr)
        let badExpires = try CLI.run(["sign", "--expires", "0"], environment: keys, stdin: "")
        XCTAssertNotEqual(badExpires.status, 0)
        XCTAssertTrue(badExpires.stderr.contains("--expires"), badExpires.stderr)
    }

    /// Every case of aws-c-auth's suite through the CLI (header signing): the request as a user
    /// would pipe it, with `x-amz-content-sha256` added where the case signs the body. Cases that
    /// leave the session token out of the signature have no CLI equivalent and are counted apart.
    func testAWSCAuthSuiteThroughTheCLI() throws {
        let suite = CLI.repoRoot.deletingLastPathComponent().appendingPathComponent("shared/sigv4-aws-c-auth")
        guard FileManager.default.fileExists(atPath: suite.path) else {
            throw XCTSkip("../shared is absent: the aws-c-auth suite was NOT run through the CLI")
        }
        var checked = 0
        var omitted = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: suite.path).sorted() {
            let directory = suite.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("context.json").path) else { continue }
            let context = try AWSCAuthContext.load(directory)
            if context.omitSessionToken == true {
                omitted += 1
                continue
            }
            var request = try String(contentsOf: directory.appendingPathComponent("request.txt"), encoding: .utf8)
            if context.signBody, let blank = request.range(of: "\n\n") {
                request.insert(contentsOf: "\nX-Amz-Content-Sha256:x", at: blank.lowerBound)
            } else if context.signBody {
                request += "X-Amz-Content-Sha256:x\n"
            }
            var environment = ["AWS_ACCESS_KEY_ID": context.credentials.accessKeyId, "AWS_SECRET_ACCESS_KEY": context.credentials.secretAccessKey]
            if let token = context.credentials.token { environment["AWS_SESSION_TOKEN"] = token }
            var arguments = ["sign", "--service", context.service, "--region", context.region, "--date", context.timestamp]
            if !context.normalize { arguments.append("--no-normalize-path") }
            let result = try CLI.run(arguments, environment: environment, stdin: request)
            XCTAssertEqual(result.status, 0, "\(name): \(result.stderr)")
            let expected = try String(contentsOf: directory.appendingPathComponent("header-signature.txt"), encoding: .utf8).trimmingCharacters(
                in: .whitespacesAndNewlines)
            XCTAssertTrue(result.stdout.contains("Signature=\(expected)"), "\(name): \(result.stdout)")
            checked += 1
        }
        XCTAssertEqual(checked + omitted, 38)
        XCTAssertEqual(omitted, 1)
    }
}
