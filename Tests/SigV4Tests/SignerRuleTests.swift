import Foundation
import SigV4
import XCTest

/// The individual SigV4 rules, each on a request built to exercise it.
final class SignerRuleTests: XCTestCase {
    let credentials = Credentials(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    let may2013 = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z

    func testQueryEncodingRules() {
        XCTAssertEqual(URIEncoding.encodeComponent("a b+c*d~e/f=g"), "a%20b%2Bc%2Ad~e%2Ff%3Dg")
        XCTAssertEqual(URIEncoding.encodeComponent("é"), "%C3%A9")
        XCTAssertEqual(URIEncoding.encodePath("/a b/ሴ"), "/a%20b/%E1%88%B4")
        XCTAssertEqual(URIEncoding.decodeToString("a%20b+c%2"), "a b+c%2", "'+' stays, a malformed escape is kept")
    }

    func testQuerySortedByEncodedKeyThenValueAndEmptyValues() {
        let request = SigningRequest(
            method: "GET", path: "/", query: [QueryItem("b", "2"), QueryItem("a", "z"), QueryItem("a", "y"), QueryItem("c", ""), QueryItem("B", "x")],
            headers: [HTTPHeader("Host", "example.amazonaws.com")])
        let canonical = CanonicalRequest(request: request, payloadHash: PayloadHash.empty, uriRules: .standard)
        XCTAssertEqual(canonical.text.split(separator: "\n", omittingEmptySubsequences: false)[2], "B=x&a=y&a=z&b=2&c=")
    }

    /// Past a couple of dozen entries the canonicaliser sorts with the library sort instead of
    /// insertion sort: both paths must give the same order, ties kept stable for headers.
    func testManyQueryParametersAndHeadersSortLikeFewOnes() {
        var generator = SystemRandomNumberGenerator()
        let keys = (0..<40).map { String(format: "k%02d", $0) }
        var query = keys.flatMap { [QueryItem($0, "v2"), QueryItem($0, "v1")] } + [QueryItem("a b", "c/d")]
        query.shuffle(using: &generator)
        let expectedQuery = (["a%20b=c%2Fd"] + keys.flatMap { ["\($0)=v1", "\($0)=v2"] }).joined(separator: "&")
        var headers = (0..<30).map { HTTPHeader(String(format: "X-H%02d", $0), "  value \($0) ") }
        headers.shuffle(using: &generator)
        headers.insert(HTTPHeader("Host", "h"), at: 0)
        headers.append(HTTPHeader("x-h07", "second"))
        let request = SigningRequest(method: "GET", path: "/", query: query, headers: headers)
        let canonical = CanonicalRequest(request: request, payloadHash: PayloadHash.empty, uriRules: .standard)
        let lines = canonical.text.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(String(lines[2]), expectedQuery)
        let names = ["host"] + (0..<30).map { String(format: "x-h%02d", $0) }
        XCTAssertEqual(canonical.signedHeaders, names.joined(separator: ";"))
        XCTAssertTrue(canonical.text.contains("x-h07:value 7,second\nx-h08:value 8\n"), canonical.text)
        XCTAssertEqual(lines.count, 3 + 31 + 3)
    }

    func testHeaderCanonicalisation() {
        let request = SigningRequest(
            method: "GET", path: "/",
            headers: [
                HTTPHeader("Host", "h"), HTTPHeader("X-B", "  two   words\t here "), HTTPHeader("x-a", "1"), HTTPHeader("X-A", "2"),
                HTTPHeader("User-Agent", "u"), HTTPHeader("Expect", "100-continue"), HTTPHeader("Connection", "keep-alive"),
                HTTPHeader("Transfer-Encoding", "chunked"), HTTPHeader("X-Amzn-Trace-Id", "t"), HTTPHeader("Authorization", "old"),
            ])
        let canonical = CanonicalRequest(request: request, payloadHash: PayloadHash.empty, uriRules: .standard)
        XCTAssertEqual(canonical.signedHeaders, "host;x-a;x-b")
        XCTAssertTrue(canonical.text.contains("x-a:1,2\nx-b:two words here\n"), canonical.text)
    }

    func testPathRules() {
        let path = "/a/./b/../c//d%20e/"
        let standard = CanonicalRequest(
            request: SigningRequest(method: "GET", path: path, headers: [HTTPHeader("Host", "h")]), payloadHash: "x", uriRules: .standard)
        XCTAssertEqual(standard.text.split(separator: "\n")[1], "/a/c/d%2520e/", "normalised, then encoded a second time")
        let s3 = CanonicalRequest(request: SigningRequest(method: "GET", path: path, headers: [HTTPHeader("Host", "h")]), payloadHash: "x", uriRules: .s3)
        XCTAssertEqual(s3.text.split(separator: "\n")[1], "/a/./b/../c//d%20e/", "S3 keeps the path and encodes once")
        let slashInKey = CanonicalRequest(
            request: SigningRequest(method: "GET", path: "/b/a%2Fb", headers: [HTTPHeader("Host", "h")]), payloadHash: "x", uriRules: .s3)
        XCTAssertEqual(slashInKey.text.split(separator: "\n")[1], "/b/a%2Fb")
        XCTAssertEqual(CanonicalRequest.normalizePath(""), "/")
        XCTAssertEqual(CanonicalRequest.normalizePath("/.."), "/")
    }

    /// AWS's documented S3 GET Object example (header signing with a Range header).
    func testS3GetObjectDocumentedExample() {
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "s3")
        let request = SigningRequest(
            method: "GET", path: "/test.txt", headers: [HTTPHeader("Host", "examplebucket.s3.amazonaws.com"), HTTPHeader("Range", "bytes=0-9")])
        let result = signer.sign(request, payload: .empty, at: may2013)
        XCTAssertEqual(result.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        XCTAssertEqual(result.canonicalRequest.signedHeaders, "host;range;x-amz-content-sha256;x-amz-date")
    }

    /// AWS's documented S3 presigned URL example.
    func testS3PresignDocumentedExample() {
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "s3")
        let request = SigningRequest(method: "GET", path: "/test.txt", headers: [HTTPHeader("Host", "examplebucket.s3.amazonaws.com")])
        let result = signer.presign(request, expires: 86_400, payload: .unsigned, at: may2013)
        XCTAssertEqual(result.signature, "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
        XCTAssertEqual(result.request.query.last, QueryItem("X-Amz-Signature", result.signature))
    }

    /// AWS's published S3 chunked upload example: 66560 bytes of 'a' in 64 KiB chunks.
    func testChunkedUploadDocumentedExample() {
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "s3")
        let payloadLength = 66_560
        let chunkSize = 65_536
        let contentLength = ChunkSigner.encodedLength(payloadLength: payloadLength, chunkSize: chunkSize)
        XCTAssertEqual(contentLength, 66_824)
        let request = SigningRequest(
            method: "PUT", path: "/examplebucket/chunkObject.txt",
            headers: [
                HTTPHeader("Host", "s3.amazonaws.com"), HTTPHeader("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                HTTPHeader("Content-Encoding", "aws-chunked"), HTTPHeader("x-amz-decoded-content-length", String(payloadLength)),
                HTTPHeader("Content-Length", String(contentLength)),
            ])
        let seed = signer.sign(request, payload: .streaming, at: may2013)
        XCTAssertEqual(seed.signature, "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
        XCTAssertEqual(
            seed.canonicalRequest.signedHeaders,
            "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class")
        var chunks = signer.chunkSigner(seed: seed)
        let first = chunks.frame(chunk: [UInt8](repeating: UInt8(ascii: "a"), count: chunkSize))
        XCTAssertEqual(chunks.previousSignature, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648")
        let second = chunks.frame(chunk: [UInt8](repeating: UInt8(ascii: "a"), count: payloadLength - chunkSize))
        XCTAssertEqual(chunks.previousSignature, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497")
        let last = chunks.frame(chunk: [])
        XCTAssertEqual(chunks.previousSignature, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9")
        XCTAssertEqual(first.count + second.count + last.count, contentLength)
        XCTAssertEqual(String(decoding: last, as: UTF8.self), "0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n")
    }

    func testSessionTokenSignedAndResigningReplacesOldHeaders() {
        let signer = SigV4Signer(
            credentials: Credentials(accessKeyId: "AKID", secretAccessKey: "secret", sessionToken: "tok"), region: "eu-west-1", service: "glue")
        let request = SigningRequest(method: "POST", path: "/", headers: [HTTPHeader("Host", "glue.eu-west-1.amazonaws.com")])
        let once = signer.sign(request, payload: .bytes(Array("{}".utf8)), at: may2013)
        XCTAssertEqual(once.canonicalRequest.signedHeaders, "host;x-amz-date;x-amz-security-token")
        let twice = signer.sign(once.request, payload: .bytes(Array("{}".utf8)), at: may2013.addingTimeInterval(60))
        XCTAssertEqual(twice.request.headers.filter { $0.name == "Authorization" }.count, 1)
        XCTAssertEqual(twice.request.header("X-Amz-Date"), "20130524T000100Z")
        XCTAssertNotEqual(once.signature, twice.signature)
        // Stale signing headers in any letter case are dropped before signing.
        let stale = SigningRequest(
            method: "POST", path: "/",
            headers: request.headers + [
                HTTPHeader("AUTHORIZATION", "stale"), HTTPHeader("x-amz-DATE", "20000101T000000Z"), HTTPHeader("X-Amz-Security-Token", "old"),
                HTTPHeader("Connection", "keep-alive"),
            ])
        let cleaned = signer.sign(stale, payload: .bytes(Array("{}".utf8)), at: may2013)
        XCTAssertEqual(cleaned.signature, once.signature)
        XCTAssertEqual(cleaned.request.headers.filter { $0.name.lowercased() == "authorization" }.count, 1)
        XCTAssertEqual(cleaned.request.headers.filter { $0.name.lowercased() == "x-amz-date" }.map(\.value), ["20130524T000000Z"])
        XCTAssertEqual(cleaned.request.headers.filter { $0.name.lowercased() == "x-amz-security-token" }.map(\.value), ["tok"])
    }

    func testSigningKeyCachedPerScope() {
        let cache = SigningKeyCache()
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "s3", cache: cache)
        let request = SigningRequest(method: "GET", path: "/", headers: [HTTPHeader("Host", "h")])
        _ = signer.sign(request, payload: .empty, at: may2013)
        _ = signer.sign(request, payload: .empty, at: may2013.addingTimeInterval(3_600))
        XCTAssertEqual(cache.count, 1, "same day, region, service and secret: one key")
        _ = signer.sign(request, payload: .empty, at: may2013.addingTimeInterval(86_400))
        XCTAssertEqual(cache.count, 2, "a new day derives a new key")
    }

    func testCredentialsDescriptionRedactsSecrets() {
        let text = "\(Credentials(accessKeyId: "AKID", secretAccessKey: "SECRETVALUE", sessionToken: "TOKENVALUE"))"
        XCTAssertFalse(text.contains("SECRETVALUE"))
        XCTAssertFalse(text.contains("TOKENVALUE"))
        XCTAssertTrue(text.contains("AKID"))
    }

    func testAMZDateRoundTrip() throws {
        for seconds in [0, 951_782_400, 1_369_353_600, 4_102_444_799] as [TimeInterval] {
            let date = AMZDate(Date(timeIntervalSince1970: seconds))
            XCTAssertEqual(AMZDate.parse(date.timestamp), Date(timeIntervalSince1970: seconds), date.timestamp)
        }
        XCTAssertEqual(AMZDate(Date(timeIntervalSince1970: 951_782_400)).timestamp, "20000229T000000Z")
        XCTAssertNil(AMZDate.parse("2013-05-24"))
    }

    func testRawRequestParseErrors() {
        XCTAssertThrowsError(try RawHTTPRequest.parse([])) { error in
            XCTAssertEqual(error as? RawHTTPRequest.ParseError, .missingRequestLine)
        }
        XCTAssertThrowsError(try RawHTTPRequest.parse(Array("GET / HTTP/1.1\nno colon here\n\n".utf8)))
    }
}
