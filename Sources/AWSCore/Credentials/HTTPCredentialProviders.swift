import Foundation
import SigV4

/// A credential endpoint over HTTP on the machine or container: where it is and how it answers.
public protocol HTTPCredentialEndpoint: Sendable {
    /// The credentials, or `nil` when the endpoint is not configured in `environment`; `nil`
    /// `transport` means a private one with short timeouts.
    static func resolve(environment: [String: String], transport: (any HTTPTransport)?) async throws -> ResolvedCredentials?
}

/// Credentials from the HTTP endpoint `Endpoint`, configured by the environment's variables.
public struct HTTPCredentialProvider<Endpoint: HTTPCredentialEndpoint>: CredentialProvider {
    let environment: [String: String]
    let transport: (any HTTPTransport)?

    /// Reads the variables from `environment`; a `nil` `transport` means a private one with
    /// short timeouts.
    public init(environment: [String: String], transport: (any HTTPTransport)?) {
        self.environment = environment
        self.transport = transport
    }

    public func resolve() async throws -> ResolvedCredentials? { try await Endpoint.resolve(environment: environment, transport: transport) }
}

/// ECS, EKS Pod Identity and container credentials.
public typealias ContainerCredentialProvider = HTTPCredentialProvider<ContainerCredentialEndpoint>
/// EC2 instance metadata credentials (IMDSv2).
public typealias IMDSCredentialProvider = HTTPCredentialProvider<IMDSCredentialEndpoint>

/// ECS / EKS Pod Identity / container credentials: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`
/// (on 169.254.170.2) or `AWS_CONTAINER_CREDENTIALS_FULL_URI` (loopback, the ECS/EKS link-local
/// hosts, or HTTPS), with an optional authorization token from a file or the environment.
public enum ContainerCredentialEndpoint: HTTPCredentialEndpoint {
    /// `nil` when neither URI variable is set. Throws when the URI is not a URL or its host is
    /// not allowed, the token file cannot be read, or the endpoint fails (three tries) or
    /// answers with anything but credentials.
    public static func resolve(environment: [String: String], transport: (any HTTPTransport)?) async throws -> ResolvedCredentials? {
        let url: String
        if let relative = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"], !relative.isEmpty {
            url = "http://169.254.170.2" + relative
        } else if let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"], !full.isEmpty {
            url = full
        } else {
            return nil
        }
        guard let components = URLComponents(string: url), let host = components.host, let scheme = components.scheme else {
            throw CredentialError("container credentials URI \(url) is not a URL")
        }
        let allowedHosts: Set<String> = ["169.254.170.2", "169.254.170.23", "fd00:ec2::23", "[fd00:ec2::23]", "localhost", "::1", "[::1]"]
        guard scheme == "https" || allowedHosts.contains(host) || host.hasPrefix("127.") else {
            throw CredentialError("AWS_CONTAINER_CREDENTIALS_FULL_URI host \(host) must be loopback, an ECS/EKS link-local address, or use https")
        }
        var headers: [HTTPHeader] = [HTTPHeader("Accept", "application/json")]
        if let tokenFile = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"], !tokenFile.isEmpty {
            guard let token = try? String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) else {
                throw CredentialError("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(tokenFile) cannot be read")
            }
            headers.append(HTTPHeader("Authorization", token))
        } else if let token = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"], !token.isEmpty {
            headers.append(HTTPHeader("Authorization", token))
        }
        let request = HTTPRequest(
            method: "GET", scheme: scheme, host: host, port: components.port,
            path: components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath,
            query: (components.percentEncodedQueryItems ?? []).map { QueryItem($0.name, $0.value ?? "") }, headers: headers)
        let response = try await HTTPCredentialFetch.send(request, transport: transport, attempts: 3)
        guard response.status == 200 else {
            throw CredentialError("container credentials endpoint answered HTTP \(response.status)")
        }
        return ResolvedCredentials(credentials: try HTTPCredentialFetch.decode(response.body, what: "container credentials"), source: "container credentials")
    }
}

/// EC2 instance metadata, IMDSv2 only: a session token first (PUT), then the role and its credentials.
public enum IMDSCredentialEndpoint: HTTPCredentialEndpoint {
    /// `nil` when IMDS is disabled (`AWS_EC2_METADATA_DISABLED=true`) or gives no token within
    /// a second (not on EC2). Throws when `AWS_EC2_METADATA_SERVICE_ENDPOINT` is not a URL,
    /// the instance has no role, or its credentials cannot be fetched or read.
    public static func resolve(environment: [String: String], transport: (any HTTPTransport)?) async throws -> ResolvedCredentials? {
        if environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true" { return nil }
        let base = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://169.254.169.254"
        guard let components = URLComponents(string: base), let host = components.host, let scheme = components.scheme else {
            throw CredentialError("AWS_EC2_METADATA_SERVICE_ENDPOINT \(base) is not a URL")
        }
        func request(_ method: String, _ path: String, _ headers: [HTTPHeader]) -> HTTPRequest {
            HTTPRequest(method: method, scheme: scheme, host: host, port: components.port, path: path, headers: headers)
        }
        // Not on EC2 is the common case: fail fast (one attempt, short timeout) and say "not configured".
        let tokenResponse: HTTPResponse
        do {
            tokenResponse = try await HTTPCredentialFetch.send(
                request("PUT", "/latest/api/token", [HTTPHeader("X-aws-ec2-metadata-token-ttl-seconds", "21600")]),
                transport: transport, attempts: 1, timeout: .seconds(1))
        } catch {
            return nil
        }
        guard tokenResponse.status == 200 else { return nil }
        let token = tokenResponse.bodyText.trimmingCharacters(in: .whitespacesAndNewlines)
        let tokenHeader = [HTTPHeader("X-aws-ec2-metadata-token", token)]
        let roleResponse = try await HTTPCredentialFetch.send(
            request("GET", "/latest/meta-data/iam/security-credentials/", tokenHeader), transport: transport, attempts: 2)
        guard roleResponse.status == 200, let role = roleResponse.bodyText.split(separator: "\n").first.map(String.init), !role.isEmpty else {
            throw CredentialError("this EC2 instance has no instance profile role (IMDS answered HTTP \(roleResponse.status))")
        }
        let credentialResponse = try await HTTPCredentialFetch.send(
            request("GET", "/latest/meta-data/iam/security-credentials/" + URIEncoding.encodeComponent(role), tokenHeader),
            transport: transport, attempts: 2)
        guard credentialResponse.status == 200 else {
            throw CredentialError("IMDS credentials for role \(role) answered HTTP \(credentialResponse.status)")
        }
        return ResolvedCredentials(
            credentials: try HTTPCredentialFetch.decode(credentialResponse.body, what: "IMDS credentials"), source: "EC2 instance metadata (role \(role))")
    }
}

enum HTTPCredentialFetch {
    /// A private transport for credential endpoints when none is injected: they are plain
    /// HTTP on link-local or loopback addresses, so short timeouts and no shared pool.
    static func send(_ request: HTTPRequest, transport: (any HTTPTransport)?, attempts: Int, timeout: Duration = .seconds(2)) async throws -> HTTPResponse {
        let sender = try transport ?? AsyncHTTPTransport(connectTimeout: .seconds(1))
        var lastError: Error?
        for attempt in 1...max(1, attempts) {
            do {
                return try await sender.send(request, timeout: timeout)
            } catch {
                lastError = error
                if attempt < attempts { try await Task.sleep(for: .milliseconds(100 * attempt)) }
            }
        }
        throw CredentialError("\(request.scheme)://\(request.hostHeader)\(request.path): \(lastError.map { "\($0)" } ?? "no answer")")
    }

    static func decode(_ body: [UInt8], what: String) throws -> Credentials {
        guard let object = try? JSONValue.decode(body), object.objectValue != nil else {
            throw CredentialError("\(what): the answer is not JSON")
        }
        if let code = object["Code"]?.stringValue, code != "Success" {
            throw CredentialError("\(what): Code \(code): \(object["Message"]?.stringValue ?? "")")
        }
        guard let accessKey = object["AccessKeyId"]?.stringValue, let secret = object["SecretAccessKey"]?.stringValue else {
            throw CredentialError("\(what): the answer lacks AccessKeyId or SecretAccessKey")
        }
        return Credentials(
            accessKeyId: accessKey, secretAccessKey: secret, sessionToken: object["Token"]?.stringValue,
            expiration: object["Expiration"]?.stringValue.flatMap(CredentialDates.parse))
    }
}
