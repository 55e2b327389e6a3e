import Foundation
import SigV4

/// What the client needs to know about one AWS service.
public struct ServiceInfo: Sendable, Equatable {
    /// Host prefix: `glue` in `glue.us-east-1.amazonaws.com`.
    public var endpointPrefix: String
    /// SigV4 service name in the credential scope.
    public var signingName: String
    /// How requests are encoded and errors decoded.
    public var wireProtocol: AWSProtocol
    /// Suffix of `AWS_ENDPOINT_URL_<ID>`: the SDK service id, upper-cased, spaces as `_`.
    public var environmentId: String
    /// JSON 1.1 `X-Amz-Target` prefix, e.g. `AWSGlue`.
    public var targetPrefix: String?
    /// The JSON protocol version in `Content-Type` (`application/x-amz-json-1.1`).
    public var jsonVersion: String
    /// How an error names what a request was about: request members (in order) whose value
    /// names the resource, each with the word put before it (`JobName` → `glue job NAME`).
    public var resourceMembers: [ResourceMember]
    /// For REST services: the path's first segment that names a resource, and its word
    /// (`/applications/ID/…` → `emr-serverless application ID`).
    public var resourcePath: ResourceMember?

    /// A request member (or path segment) that names a resource, and what to call it.
    public struct ResourceMember: Sendable, Equatable {
        /// The member's name (`JobName`), or the path segment before the id (`applications`).
        public var member: String
        /// What the resource is (`glue job`).
        public var kind: String
        /// `member` names a `kind`.
        public init(_ member: String, _ kind: String) {
            self.member = member
            self.kind = kind
        }
    }

    /// Describes a service; `targetPrefix` matters only to JSON 1.1 services.
    public init(
        endpointPrefix: String, signingName: String, wireProtocol: AWSProtocol, environmentId: String, targetPrefix: String? = nil, jsonVersion: String = "1.1",
        resourceMembers: [ResourceMember] = [], resourcePath: ResourceMember? = nil
    ) {
        self.endpointPrefix = endpointPrefix
        self.signingName = signingName
        self.wireProtocol = wireProtocol
        self.environmentId = environmentId
        self.targetPrefix = targetPrefix
        self.jsonVersion = jsonVersion
        self.resourceMembers = resourceMembers
        self.resourcePath = resourcePath
    }

    /// Amazon S3 (REST-XML).
    public static let s3 = ServiceInfo(endpointPrefix: "s3", signingName: "s3", wireProtocol: .restXML, environmentId: "S3")
    /// AWS STS (query protocol): the regional endpoint, or the global one for `aws-global`.
    public static let sts = ServiceInfo(endpointPrefix: "sts", signingName: "sts", wireProtocol: .query, environmentId: "STS")
    /// AWS Glue (JSON 1.1).
    public static let glue = ServiceInfo(
        endpointPrefix: "glue", signingName: "glue", wireProtocol: .json, environmentId: "GLUE", targetPrefix: "AWSGlue",
        resourceMembers: [.init("JobName", "glue job"), .init("Name", "glue job")])
    /// EMR Serverless (REST-JSON).
    public static let emrServerless = ServiceInfo(
        endpointPrefix: "emr-serverless", signingName: "emr-serverless", wireProtocol: .restJSON, environmentId: "EMR_SERVERLESS",
        resourcePath: .init("applications", "emr-serverless application"))
    /// EMR on EC2 (JSON 1.1), named `elasticmapreduce` in hosts and signatures.
    public static let emr = ServiceInfo(
        endpointPrefix: "elasticmapreduce", signingName: "elasticmapreduce", wireProtocol: .json, environmentId: "EMR", targetPrefix: "ElasticMapReduce",
        resourceMembers: [.init("JobFlowId", "emr cluster"), .init("ClusterId", "emr cluster")])
    /// IAM Identity Center's portal (GetRoleCredentials): `portal.sso.REGION.amazonaws.com`, unsigned.
    public static let sso = ServiceInfo(endpointPrefix: "portal.sso", signingName: "awsssoportal", wireProtocol: .restJSON, environmentId: "SSO")
    /// IAM Identity Center OIDC (CreateToken refreshes an sso-session login): `oidc.REGION.amazonaws.com`, unsigned.
    public static let ssoOIDC = ServiceInfo(endpointPrefix: "oidc", signingName: "sso-oauth", wireProtocol: .restJSON, environmentId: "SSO_OIDC")
    /// EventBridge Scheduler (REST-JSON).
    public static let scheduler = ServiceInfo(endpointPrefix: "scheduler", signingName: "scheduler", wireProtocol: .restJSON, environmentId: "SCHEDULER")
    /// Amazon EventBridge (JSON 1.1).
    public static let events = ServiceInfo(
        endpointPrefix: "events", signingName: "events", wireProtocol: .json, environmentId: "EVENTBRIDGE", targetPrefix: "AWSEvents")
    /// IAM: one global endpoint, signed for us-east-1.
    public static let iam = ServiceInfo(endpointPrefix: "iam", signingName: "iam", wireProtocol: .query, environmentId: "IAM")
    /// CloudWatch Logs (JSON 1.1).
    public static let logs = ServiceInfo(
        endpointPrefix: "logs", signingName: "logs", wireProtocol: .json, environmentId: "CLOUDWATCH_LOGS", targetPrefix: "Logs_20140328",
        resourceMembers: [.init("logGroupName", "log group")])
    /// Amazon ECR's API (JSON 1.1): `api.ecr.REGION.amazonaws.com`, signed as `ecr`.
    public static let ecr = ServiceInfo(
        endpointPrefix: "api.ecr", signingName: "ecr", wireProtocol: .json, environmentId: "ECR", targetPrefix: "AmazonEC2ContainerRegistry_V20150921")
}

/// How S3 buckets are addressed.
public enum S3AddressingStyle: String, Sendable, CaseIterable {
    /// Virtual-hosted where the bucket name and endpoint allow it, else path style.
    case auto
    /// Always `bucket.host`, whatever the bucket's name.
    case virtual
    /// Always `host/bucket`.
    case path
}

/// A resolved endpoint: where to connect and which region to sign for.
public struct Endpoint: Sendable, Equatable {
    /// `https`, or what an override says (`http` or `https`).
    public var scheme: String
    /// The host to connect to (for virtual-hosted S3, with the bucket in front).
    public var host: String
    /// The port from an override; `nil` for the scheme's default.
    public var port: Int?
    /// A path prefix from an endpoint override (`https://proxy/aws` → `/aws`).
    public var basePath: String
    /// The region to sign for: the client's, except at global endpoints (IAM, global STS),
    /// which take `us-east-1` (`cn-north-1` for IAM in China).
    public var signingRegion: String
    /// True when the URL came from an override rather than AWS's naming rules.
    public var isCustom: Bool
}

/// An endpoint override that is not an http(s) URL.
public struct EndpointError: Error, CustomStringConvertible, Sendable {
    /// Names the setting and its value, and shows the form expected.
    public let description: String
}

/// Resolves service endpoints the way the SDKs do: an explicit `--endpoint-url` first, then
/// `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`, then AWS's naming rules.
public struct EndpointResolver: Sendable {
    /// The region endpoints are built for.
    public var region: String
    /// `--endpoint-url`: overrides every service's endpoint, even when the environment says to ignore overrides.
    public var explicitURL: String?
    /// Where `AWS_ENDPOINT_URL_<ID>`, `AWS_ENDPOINT_URL` and `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` are read.
    public var environment: [String: String]
    /// Virtual-hosted or path-style S3 addressing.
    public var s3AddressingStyle: S3AddressingStyle

    /// A resolver for `region`, reading overrides from the process environment unless given another.
    public init(
        region: String, explicitURL: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
        s3AddressingStyle: S3AddressingStyle = .auto
    ) {
        self.region = region
        self.explicitURL = explicitURL
        self.environment = environment
        self.s3AddressingStyle = s3AddressingStyle
    }

    /// The endpoint for `service`. `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` skips the
    /// environment's overrides. Throws `EndpointError` when the override in use is not an
    /// http(s) URL with a host.
    public func resolve(_ service: ServiceInfo) throws -> Endpoint {
        let ignoreConfigured = environment["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]?.lowercased() == "true"
        if let explicitURL, !explicitURL.isEmpty {
            return try parse(explicitURL, source: "--endpoint-url", service: service)
        }
        if !ignoreConfigured {
            let specific = "AWS_ENDPOINT_URL_\(service.environmentId)"
            if let url = environment[specific], !url.isEmpty { return try parse(url, source: specific, service: service) }
            if let url = environment["AWS_ENDPOINT_URL"], !url.isEmpty { return try parse(url, source: "AWS_ENDPOINT_URL", service: service) }
        }
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        if service.endpointPrefix == "iam" {
            return Endpoint(
                scheme: "https", host: region.hasPrefix("cn-") ? "iam.cn-north-1.amazonaws.com.cn" : "iam.amazonaws.com", port: nil, basePath: "",
                signingRegion: region.hasPrefix("cn-") ? "cn-north-1" : "us-east-1", isCustom: false)
        }
        if service.endpointPrefix == "sts", region == "aws-global" {
            return Endpoint(scheme: "https", host: "sts.amazonaws.com", port: nil, basePath: "", signingRegion: "us-east-1", isCustom: false)
        }
        return Endpoint(scheme: "https", host: "\(service.endpointPrefix).\(region).\(suffix)", port: nil, basePath: "", signingRegion: region, isCustom: false)
    }

    func parse(_ text: String, source: String, service: ServiceInfo) throws -> Endpoint {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            throw EndpointError(description: "\(source)=\(text) is not an http(s) URL: use e.g. https://host:port")
        }
        var basePath = components.percentEncodedPath
        while basePath.hasSuffix("/") { basePath.removeLast() }
        // The global STS endpoint only accepts signatures scoped to us-east-1.
        let signingRegion = host == "sts.amazonaws.com" ? "us-east-1" : region
        return Endpoint(scheme: scheme, host: host, port: components.port, basePath: basePath, signingRegion: signingRegion, isCustom: true)
    }

    /// Where an S3 request for `bucket`/`key` goes: host and wire path.
    public func s3Location(bucket: String, key: String?) throws -> (endpoint: Endpoint, path: String) {
        var endpoint = try resolve(.s3)
        let encodedKey = key.map { "/" + S3Path.encodeKey($0) }
        if useVirtualHost(bucket: bucket, endpoint: endpoint) {
            endpoint.host = "\(bucket).\(endpoint.host)"
            return (endpoint, endpoint.basePath + (encodedKey ?? "/"))
        }
        return (endpoint, endpoint.basePath + "/" + S3Path.encodeKey(bucket) + (encodedKey ?? ""))
    }

    func useVirtualHost(bucket: String, endpoint: Endpoint) -> Bool {
        switch s3AddressingStyle {
        case .path: return false
        case .virtual: return true
        case .auto:
            if endpoint.isCustom && (Self.isIPAddress(endpoint.host) || endpoint.host == "localhost") { return false }
            return Self.isVirtualHostable(bucket, https: endpoint.scheme == "https")
        }
    }

    /// DNS-compatible names only; with TLS a dot would break the wildcard certificate.
    static func isVirtualHostable(_ bucket: String, https: Bool) -> Bool {
        guard (3...63).contains(bucket.count), !isIPAddress(bucket) else { return false }
        if https && bucket.contains(".") { return false }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-.")
        guard bucket.allSatisfy({ allowed.contains($0) }), let first = bucket.first, let last = bucket.last,
            first.isLetter || first.isNumber, last.isLetter || last.isNumber, !bucket.contains("..")
        else { return false }
        return true
    }

    static func isIPAddress(_ host: String) -> Bool {
        if host.hasPrefix("[") || host.contains(":") { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }
}

/// S3 key encoding: every byte but RFC 3986 unreserved characters and `/` is escaped,
/// so the wire path is exactly the canonical URI S3 computes.
public enum S3Path {
    /// `key` percent-encoded for the wire path, `/` kept.
    public static func encodeKey(_ key: String) -> String {
        URIEncoding.encodePath(key)
    }
}
