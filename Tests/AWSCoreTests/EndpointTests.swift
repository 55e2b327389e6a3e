import XCTest

@testable import AWSCore

final class EndpointTests: XCTestCase {
    func testPrecedenceFlagThenServiceEnvThenGlobalEnv() throws {
        let environment = ["AWS_ENDPOINT_URL": "http://global:1", "AWS_ENDPOINT_URL_GLUE": "http://glue-only:2"]
        XCTAssertEqual(try EndpointResolver(region: "eu-west-1", environment: environment).resolve(.glue).host, "glue-only")
        XCTAssertEqual(try EndpointResolver(region: "eu-west-1", environment: environment).resolve(.sts).host, "global")
        XCTAssertEqual(try EndpointResolver(region: "eu-west-1", explicitURL: "https://flag:3", environment: environment).resolve(.glue).host, "flag")
        XCTAssertEqual(
            try EndpointResolver(region: "eu-west-1", environment: environment.merging(["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"]) { $1 }).resolve(.glue)
                .host,
            "glue.eu-west-1.amazonaws.com")
        let emr = try EndpointResolver(region: "eu-west-1", environment: ["AWS_ENDPOINT_URL_EMR_SERVERLESS": "http://127.0.0.1:5000/base/"]).resolve(
            .emrServerless)
        XCTAssertEqual(emr, Endpoint(scheme: "http", host: "127.0.0.1", port: 5000, basePath: "/base", signingRegion: "eu-west-1", isCustom: true))
        XCTAssertThrowsError(try EndpointResolver(region: "x", explicitURL: "ftp://x").resolve(.s3))
    }

    func testDefaultHostsAndSTSGlobalSignsUsEast1() throws {
        XCTAssertEqual(try EndpointResolver(region: "cn-north-1", environment: [:]).resolve(.logs).host, "logs.cn-north-1.amazonaws.com.cn")
        let global = try EndpointResolver(region: "aws-global", environment: [:]).resolve(.sts)
        XCTAssertEqual(global.host, "sts.amazonaws.com")
        XCTAssertEqual(global.signingRegion, "us-east-1")
        let pinned = try EndpointResolver(region: "eu-west-1", explicitURL: "https://sts.amazonaws.com", environment: [:]).resolve(.sts)
        XCTAssertEqual(pinned.signingRegion, "us-east-1")
        XCTAssertEqual(try EndpointResolver(region: "eu-west-1", environment: [:]).resolve(.sts).signingRegion, "eu-west-1")
    }

    func testS3AddressingStyles() throws {
        let aws = EndpointResolver(region: "us-east-1", environment: [:])
        let virtual = try aws.s3Location(bucket: "my-bucket", key: "a b/c+d")
        XCTAssertEqual(virtual.endpoint.host, "my-bucket.s3.us-east-1.amazonaws.com")
        XCTAssertEqual(virtual.path, "/a%20b/c%2Bd")
        let dotted = try aws.s3Location(bucket: "my.bucket", key: "k")
        XCTAssertEqual(dotted.endpoint.host, "s3.us-east-1.amazonaws.com", "dots break TLS wildcard certificates")
        XCTAssertEqual(dotted.path, "/my.bucket/k")
        let local = try EndpointResolver(region: "us-east-1", explicitURL: "http://127.0.0.1:8333", environment: [:]).s3Location(bucket: "b", key: "x//y")
        XCTAssertEqual(local.endpoint.host, "127.0.0.1")
        XCTAssertEqual(local.path, "/b/x//y")
        let forced = try EndpointResolver(region: "us-east-1", environment: [:], s3AddressingStyle: .path).s3Location(bucket: "bucket", key: nil)
        XCTAssertEqual(forced.path, "/bucket")
    }

    func testHostInference() {
        XCTAssertTrue(HostInference.infer("glue.eu-west-1.amazonaws.com") == ("glue", "eu-west-1"))
        XCTAssertTrue(HostInference.infer("bucket.s3.us-west-2.amazonaws.com") == ("s3", "us-west-2"))
        XCTAssertTrue(HostInference.infer("s3.amazonaws.com") == ("s3", "us-east-1"))
        XCTAssertTrue(HostInference.infer("sts.amazonaws.com") == ("sts", "us-east-1"))
        XCTAssertTrue(HostInference.infer("example.com") == (nil, nil))
    }

    /// Messages name what a request was about from the service's description, not from names
    /// the generic client knows.
    func testTheResourceARequestNamesComesFromItsServiceDescription() {
        let glue = HTTPRequest(method: "POST", host: "glue.us-east-1.amazonaws.com", body: .bytes(Array(#"{"JobName":"carsales-dev-sales_etl"}"#.utf8)))
        XCTAssertEqual(AWSClient.resource(of: glue, service: .glue), "glue job carsales-dev-sales_etl")
        let emr = HTTPRequest(method: "POST", host: "h", body: .bytes(Array(#"{"ClusterId":"j-1"}"#.utf8)))
        XCTAssertEqual(AWSClient.resource(of: emr, service: .emr), "emr cluster j-1")
        XCTAssertNil(AWSClient.resource(of: emr, service: .glue), "a member of another service names nothing")
        let run = HTTPRequest(method: "POST", host: "h", path: "/applications/00app/jobruns", body: .bytes(Array(#"{"name":"x"}"#.utf8)))
        XCTAssertEqual(AWSClient.resource(of: run, service: .emrServerless), "emr-serverless application 00app")
        XCTAssertNil(AWSClient.resource(of: HTTPRequest(method: "GET", host: "h", path: "/applications"), service: .emrServerless))
        let logs = HTTPRequest(method: "POST", host: "h", body: .bytes(Array(#"{"logGroupName":"/aws-glue/jobs/output"}"#.utf8)))
        XCTAssertEqual(AWSClient.resource(of: logs, service: .logs), "log group /aws-glue/jobs/output")
        XCTAssertNil(AWSClient.resource(of: logs, service: .s3))
    }
}
