import AWSTestSupport
import Foundation
import SigV4
import XCTest

/// Every case of aws-c-auth's `aws-signing-test-suite/v4`, header and query signing.
final class AWSCAuthSuiteTests: XCTestCase {
    func suiteDirectory() throws -> URL {
        guard let shared = SharedPaths.shared else {
            throw XCTSkip("../shared is absent: the aws-c-auth suite was NOT run (own vectors still are)")
        }
        return shared.appendingPathComponent("sigv4-aws-c-auth")
    }

    func testEveryCase() throws {
        let directory = try suiteDirectory()
        let cases = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).appendingPathComponent("context.json").path) }
            .sorted()
        XCTAssertEqual(cases.count, 38, "the suite should hold 38 cases")
        var checked = 0
        for name in cases {
            try check(case: directory.appendingPathComponent(name), name: name)
            checked += 1
        }
        XCTAssertEqual(checked, 38)
    }

    func read(_ url: URL, _ file: String) throws -> String {
        try String(contentsOf: url.appendingPathComponent(file), encoding: .utf8)
    }

    func check(case url: URL, name: String) throws {
        let context = try AWSCAuthContext.load(url)
        let raw = try RawHTTPRequest.parse(Array(Data(contentsOf: url.appendingPathComponent("request.txt"))))
        let credentials = context.signingCredentials
        let instant = try XCTUnwrap(ISO8601DateFormatter().date(from: context.timestamp))
        let rules = CanonicalRequest.URIRules(doubleEncode: true, normalize: context.normalize)
        let omit = context.omitSessionToken ?? false

        // Header signing.
        let headerSigner = SigV4Signer(
            credentials: credentials, region: context.region, service: context.service,
            options: .init(uriRules: rules, addContentSHA256Header: context.signBody, omitSessionTokenFromSignature: omit))
        let headerResult = headerSigner.sign(raw.signingRequest, payload: context.signBody ? .bytes(raw.body) : .empty, at: instant)
        XCTAssertEqual(headerResult.canonicalRequest.text, try read(url, "header-canonical-request.txt"), "\(name): header canonical request")
        XCTAssertEqual(headerResult.stringToSign, try read(url, "header-string-to-sign.txt"), "\(name): header string to sign")
        XCTAssertEqual(headerResult.signature, try read(url, "header-signature.txt"), "\(name): header signature")
        let expectedSigned = try RawHTTPRequest.parse(Array(Data(contentsOf: url.appendingPathComponent("header-signed-request.txt"))))
        XCTAssertEqual(sortedHeaders(headerResult.request.headers), sortedHeaders(expectedSigned.headers), "\(name): header-signed request headers")

        // Query signing (presigned URL).
        let querySigner = SigV4Signer(
            credentials: credentials, region: context.region, service: context.service,
            options: .init(uriRules: rules, omitSessionTokenFromSignature: omit))
        let queryResult = querySigner.presign(
            raw.signingRequest, expires: context.expirationInSeconds,
            payload: context.signBody ? .bytes(raw.body) : .empty, at: instant)
        XCTAssertEqual(queryResult.canonicalRequest.text, try read(url, "query-canonical-request.txt"), "\(name): query canonical request")
        XCTAssertEqual(queryResult.stringToSign, try read(url, "query-string-to-sign.txt"), "\(name): query string to sign")
        XCTAssertEqual(queryResult.signature, try read(url, "query-signature.txt"), "\(name): query signature")
        let expectedPresigned = try RawHTTPRequest.parse(Array(Data(contentsOf: url.appendingPathComponent("query-signed-request.txt"))))
        XCTAssertEqual(queryResult.request.query, expectedPresigned.signingRequest.query, "\(name): presigned query parameters")

        // The unnormalised cases are exactly what the S3 rule must give.
        if !context.normalize {
            let s3 = SigV4Signer(
                credentials: credentials, region: context.region, service: context.service,
                options: .init(uriRules: .s3, addContentSHA256Header: context.signBody, omitSessionTokenFromSignature: omit))
            let s3Result = s3.sign(raw.signingRequest, payload: context.signBody ? .bytes(raw.body) : .empty, at: instant)
            XCTAssertEqual(s3Result.signature, try read(url, "header-signature.txt"), "\(name): S3 rule signature")
        }
    }

    func sortedHeaders(_ headers: [HTTPHeader]) -> [String] {
        headers.map { "\($0.name.lowercased()):\($0.value)" }.sorted()
    }
}
