import AWSCore
import Crypto
import Foundation
import SigV4

/// An image registry's HTTP API (the OCI distribution API ECR serves), with the login ECR's
/// GetAuthorizationToken gives: only what deciding whether to push needs, a manifest's digest.
struct Registry: Sendable {
    /// Where the registry answers (the login's endpoint).
    let endpoint: URL
    /// The login; its password goes only into the `Authorization` header.
    let login: ECRClient.Login
    /// Sends the requests (the AWS client's transport: same proxy and TLS settings).
    let transport: any HTTPTransport
    /// Waits between attempts.
    let sleep: @Sendable (Duration) async throws -> Void
    /// How many attempts and how long between them: the AWS client's policy (`--max-attempts`).
    var retry = RetryPolicy()

    /// `host[:port]`, as image references name the registry.
    var host: String {
        let name = endpoint.host ?? ""
        return endpoint.port.map { "\(name):\($0)" } ?? name
    }

    /// Whether the registry is spoken to without TLS (a stand-in on this machine).
    var plainHTTP: Bool { endpoint.scheme == "http" }

    /// The manifest types asked for: an image's or an index's, OCI's and Docker's.
    static let manifestTypes = [
        "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json",
    ]

    /// The digest of `repository`'s manifest `reference` (a tag or a digest), or nil when the
    /// registry has no such manifest. Throws one line for a refused login, a missing repository,
    /// or a registry that keeps failing.
    func digest(repository: String, reference: String) async throws -> String? {
        var request = HTTPRequest(
            method: "GET", scheme: endpoint.scheme ?? "https", host: endpoint.host ?? "", port: endpoint.port,
            path: "/v2/\(repository)/manifests/\(reference)")
        request.headers = [
            HTTPHeader("Accept", Self.manifestTypes.joined(separator: ", ")),
            HTTPHeader("Authorization", "Basic " + Data("\(login.user):\(login.password)".utf8).base64EncodedString()),
            HTTPHeader("User-Agent", "deployer"),
        ]
        var attempt = 0
        while true {
            attempt += 1
            let response: HTTPResponse
            do {
                response = try await transport.send(request, timeout: .seconds(30))
            } catch let error as TransportError {
                guard attempt < retry.maxAttempts else {
                    throw DeployError("registry \(host) did not answer (\(error.kind.rawValue)) after \(attempt) attempts: try again")
                }
                try await sleep(retry.delay(afterAttempt: attempt))
                continue
            }
            switch response.status {
            case 200:
                if let digest = response.header("Docker-Content-Digest"), Self.isDigest(digest) { return digest }
                return "sha256:" + SHA256.hash(data: response.body).map { String(format: "%02x", $0) }.joined()
            case 404:
                let code = Self.errorCode(response.body)
                if code == "NAME_UNKNOWN" {
                    throw DeployError(
                        "registry \(host) has no repository \(repository): create it first (terraform module ecr_repository), or fix emr_serverless.image.repository"
                    )
                }
                return nil
            case 401:
                // Not a missing grant: the registry did not take the token at all.
                throw DeployError(
                    "registry \(host) refused the login ECR's GetAuthorizationToken gave (HTTP 401\(Self.errorCode(response.body).map { " \($0)" } ?? "")) reading \(repository): the token is not one this registry takes (another account or region signed it, or it expired)"
                )
            case 403:
                throw DeployError(
                    "registry \(host) refused the login ECR's GetAuthorizationToken gave (HTTP 403\(Self.errorCode(response.body).map { " \($0)" } ?? "")) reading \(repository): the deploying principal needs ecr:BatchGetImage on it"
                )
            case 429, 500...599:
                guard attempt < retry.maxAttempts else {
                    throw DeployError("registry \(host) answered HTTP \(response.status) \(attempt) times reading \(repository): try again")
                }
                try await sleep(retry.delay(afterAttempt: attempt))
            default:
                throw DeployError(
                    "registry \(host) answered HTTP \(response.status)\(Self.errorCode(response.body).map { " \($0)" } ?? "") reading \(repository):\(reference)"
                )
            }
        }
    }

    /// `sha256:` and 64 hex digits.
    static func isDigest(_ text: String) -> Bool {
        text.hasPrefix("sha256:") && text.count == 71 && text.dropFirst(7).allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// The first error code of a distribution API error body (`{"errors":[{"code":…}]}`).
    static func errorCode(_ body: [UInt8]) -> String? {
        guard let document = try? JSONValue.decode(body), case .array(let errors)? = document["errors"] else { return nil }
        return errors.first?["code"]?.stringValue
    }
}
