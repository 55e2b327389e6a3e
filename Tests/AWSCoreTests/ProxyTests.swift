import AWSTestSupport
import Foundation
import SigV4
import XCTest

@testable import AWSCore

/// HTTPS_PROXY / HTTP_PROXY / NO_PROXY: the rules, and a real CONNECT proxy on 127.0.0.1.
final class ProxyTests: XCTestCase {
    func testEnvironmentParsing() throws {
        let settings = try ProxySettings.fromEnvironment([
            "HTTPS_PROXY": "http://upper.example:1111", "https_proxy": "http://ci%40corp:p%3Ass@proxy.example:3128",
            "HTTP_PROXY": "plain.example:8080", "NO_PROXY": " .internal, 10.0.0.0/8 ,s3.example:9000,",
        ])
        XCTAssertEqual(
            settings.https, .init(host: "proxy.example", port: 3128, username: "ci@corp", password: "p:ss", variable: "https_proxy"),
            "lower-case wins, user and password percent-decoded")
        XCTAssertEqual(settings.http, .init(host: "plain.example", port: 8080, username: nil, password: nil, variable: "HTTP_PROXY"), "no scheme means http://")
        XCTAssertEqual(settings.noProxy, [".internal", "10.0.0.0/8", "s3.example:9000"])
        XCTAssertEqual(try ProxySettings.fromEnvironment([:]), ProxySettings())
        XCTAssertThrowsError(try ProxySettings.fromEnvironment(["HTTPS_PROXY": "https://tls-proxy.example:443"])) { error in
            XCTAssertTrue("\(error)".contains("HTTPS_PROXY: only http:// proxies"), "\(error)")
        }
    }

    func testWhichRequestsBypassTheProxy() {
        let proxy = ProxySettings.Proxy(host: "proxy", port: 3128, username: nil, password: nil, variable: "HTTPS_PROXY")
        let settings = ProxySettings(https: proxy, http: nil, noProxy: [".internal", "*.corp.example", "10.0.0.0/8", "s3.example:9000", "sts.amazonaws.com"])
        XCTAssertEqual(settings.proxy(scheme: "https", host: "glue.eu-west-1.amazonaws.com", port: 443), proxy)
        XCTAssertNil(settings.proxy(scheme: "http", host: "glue.eu-west-1.amazonaws.com", port: 80), "no HTTP_PROXY: http goes direct")
        for host in ["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"] {
            XCTAssertNil(settings.proxy(scheme: "https", host: host, port: 443), "\(host) is this machine")
        }
        XCTAssertNil(settings.proxy(scheme: "https", host: "db.internal", port: 443))
        XCTAssertNil(settings.proxy(scheme: "https", host: "internal", port: 443))
        XCTAssertNil(settings.proxy(scheme: "https", host: "a.b.corp.example", port: 443))
        XCTAssertNil(settings.proxy(scheme: "https", host: "10.20.30.40", port: 443))
        XCTAssertEqual(settings.proxy(scheme: "https", host: "11.0.0.1", port: 443), proxy)
        XCTAssertNil(settings.proxy(scheme: "https", host: "S3.Example", port: 9000))
        XCTAssertEqual(settings.proxy(scheme: "https", host: "s3.example", port: 443), proxy, "the entry names port 9000 only")
        XCTAssertNil(settings.proxy(scheme: "https", host: "sts.amazonaws.com", port: 443))
        XCTAssertEqual(settings.proxy(scheme: "https", host: "notsts.amazonaws.com.evil", port: 443), proxy)
        XCTAssertEqual(settings.proxy(scheme: "https", host: "xinternal", port: 443), proxy, ".internal is a domain, not a suffix of any name")
        XCTAssertNil(ProxySettings(https: proxy, noProxy: ["*"]).proxy(scheme: "https", host: "anything", port: 443))
        // Credential endpoints are link-local: never through a proxy, whatever NO_PROXY says.
        let plain = ProxySettings(https: proxy, http: proxy, noProxy: [])
        for host in ["169.254.169.254", "169.254.170.2", "fd00:ec2::254", "[fd00:ec2::254]"] {
            XCTAssertNil(plain.proxy(scheme: "http", host: host, port: 80), "\(host) is link-local")
        }
        XCTAssertEqual(plain.proxy(scheme: "http", host: "169.255.0.1", port: 80), proxy)
    }

    /// Starts connect_proxy.py; returns it and the log it writes.
    func startProxy(credentials: String?) throws -> (helper: LocalHelperProcess, log: String) {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Support/connect_proxy.py").path
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("proxy-\(UUID().uuidString).log").path
        FileManager.default.createFile(atPath: log, contents: nil)
        return (try LocalHelperProcess(script: script, arguments: [log] + (credentials.map { [$0] } ?? [])), log)
    }

    func testRequestsGoThroughAConnectProxyWithBasicAuthAndLoopbackStaysDirect() async throws {
        let server = try LocalHTTPServer { request in .init(status: 200, body: "hello from \(request.uri)") }
        defer { server.stop() }
        let proxy = try startProxy(credentials: "ci@corp:s3cret")
        defer {
            proxy.helper.stop()
            try? FileManager.default.removeItem(atPath: proxy.log)
        }
        let environment = ["HTTP_PROXY": "http://ci%40corp:s3cret@127.0.0.1:\(proxy.helper.port)"]
        let transport = try AsyncHTTPTransport(environment: environment)
        // A name only the proxy knows (it tunnels every target to 127.0.0.1): an answer proves the proxy carried it.
        let viaProxy = HTTPRequest(method: "GET", scheme: "http", host: "target.proxy-test.invalid", port: server.port, path: "/through")
        let answer = try await transport.send(viaProxy, timeout: .seconds(10))
        XCTAssertEqual(answer.status, 200)
        XCTAssertEqual(String(decoding: answer.body, as: UTF8.self), "hello from /through")
        let direct = HTTPRequest(method: "GET", scheme: "http", host: "127.0.0.1", port: server.port, path: "/direct")
        _ = try await transport.send(direct, timeout: .seconds(10))
        let log = try String(contentsOfFile: proxy.log, encoding: .utf8)
        XCTAssertEqual(log, "CONNECT target.proxy-test.invalid:\(server.port) auth=yes\n", "loopback requests never go to the proxy")
        XCTAssertEqual(server.requests.map(\.uri), ["/through", "/direct"])
        try await transport.shutdown()

        let wrongPassword = try AsyncHTTPTransport(environment: ["HTTP_PROXY": "http://ci%40corp:wrong@127.0.0.1:\(proxy.helper.port)"])
        do {
            _ = try await wrongPassword.send(viaProxy, timeout: .seconds(10))
            XCTFail("a refused proxy login must fail the request")
        } catch let error as TransportError {
            XCTAssertEqual(error.kind, .proxy)
            XCTAssertTrue("\(error)".contains("the proxy in HTTP_PROXY refused the login"), "\(error)")
            XCTAssertFalse("\(error)".contains("wrong"), "the proxy password is never printed: \(error)")
        }
        try await wrongPassword.shutdown()
    }
}
