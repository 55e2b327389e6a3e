import Foundation
import SigV4
import XCTest

/// Every case of the older aws4_testsuite (botocore's copy): .req → .creq / .sts / .authz.
final class AWS4TestSuiteTests: XCTestCase {
    static let token =
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

    func testEveryCase() throws {
        guard let shared = SharedPaths.shared else {
            throw XCTSkip("../shared is absent: the aws4_testsuite was NOT run (own vectors still are)")
        }
        let root = shared.appendingPathComponent("sigv4-testsuite")
        var cases: [URL] = []
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
            if url.pathExtension == "req" { cases.append(url) }
        }
        XCTAssertEqual(cases.count, 34, "the suite should hold 34 cases")
        for requestURL in cases.sorted(by: { $0.path < $1.path }) {
            try check(requestURL)
        }
    }

    func check(_ requestURL: URL) throws {
        let base = requestURL.deletingPathExtension()
        let name = base.lastPathComponent
        func read(_ ext: String) throws -> String {
            try String(contentsOf: base.appendingPathExtension(ext), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var raw = try RawHTTPRequest.parse(Array(Data(contentsOf: requestURL)))
        let creq = try read("creq")
        var token: String?
        var omit = false
        if let line = creq.split(separator: "\n").first(where: { $0.hasPrefix("x-amz-security-token:") }) {
            token = String(line.dropFirst("x-amz-security-token:".count))
        } else if requestURL.path.contains("post-sts-token") {
            token = Self.token
            omit = name == "post-sts-header-after"
        }
        // The .req already carries X-Amz-Date (and, for "before", the token): the signer adds its own.
        let dateHeader = try XCTUnwrap(raw.headers.first { $0.name.lowercased() == "x-amz-date" }?.value)
        raw.headers.removeAll { ["x-amz-date", "x-amz-security-token"].contains($0.name.lowercased()) }
        let instant = try XCTUnwrap(AMZDate.parse(dateHeader))
        let signer = SigV4Signer(
            credentials: Credentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: token),
            region: "us-east-1", service: "service",
            options: .init(uriRules: .standard, omitSessionTokenFromSignature: omit))
        let result = signer.sign(raw.signingRequest, payload: .bytes(raw.body), at: instant)
        XCTAssertEqual(result.canonicalRequest.text, creq, "\(name): canonical request")
        XCTAssertEqual(result.stringToSign, try read("sts"), "\(name): string to sign")
        let authorization = result.request.header("Authorization")
        XCTAssertEqual(authorization, try read("authz"), "\(name): Authorization")
    }
}
