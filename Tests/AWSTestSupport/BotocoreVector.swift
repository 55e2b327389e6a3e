import Foundation
import SigV4

/// A file of requests botocore signed (`Tests/SigV4Tests/Vectors/make_botocore_vectors.py`):
/// replayed by the SigV4 tests and timed by `deployer-bench sign`.
public struct BotocoreVectorFile: Decodable, Sendable {
    public let seed: Int
    public let cases: [BotocoreVector]

    /// The file at `url`, decoded.
    public static func load(_ url: URL) throws -> BotocoreVectorFile {
        try JSONDecoder().decode(BotocoreVectorFile.self, from: Data(contentsOf: url))
    }
}

/// One request as botocore signed it, with what it wrote at each step.
public struct BotocoreVector: Decodable, Sendable {
    public let service: String
    public let region: String
    public let method: String
    public let path: String
    public let query: String
    public let headers: [[String]]
    public let bodyBase64: String
    public let accessKeyId: String
    public let secretAccessKey: String
    public let sessionToken: String?
    public let timestamp: String
    public let canonicalRequest: String
    public let stringToSign: String
    public let authorization: String

    enum CodingKeys: String, CodingKey {
        case service, region, method, path, query, headers, timestamp, authorization
        case bodyBase64 = "body_base64"
        case accessKeyId = "access_key_id"
        case secretAccessKey = "secret_access_key"
        case sessionToken = "session_token"
        case canonicalRequest = "canonical_request"
        case stringToSign = "string_to_sign"
    }

    /// The request target: path, then the query if there is one.
    public var target: String { query.isEmpty ? path : path + "?" + query }

    /// The request as the signer takes it.
    public var request: SigningRequest {
        RawHTTPRequest(method: method, target: target, headers: headers.map { HTTPHeader($0[0], $0[1]) }).signingRequest
    }

    /// A signer with this case's keys, region and service.
    public var signer: SigV4Signer {
        SigV4Signer(
            credentials: Credentials(accessKeyId: accessKeyId, secretAccessKey: secretAccessKey, sessionToken: sessionToken), region: region, service: service)
    }

    /// The body, or nil when `body_base64` is not base64.
    public var body: [UInt8]? { Data(base64Encoded: bodyBase64).map { Array($0) } }

    /// The signing time, or nil when `timestamp` is not an AMZ date.
    public var date: Date? { AMZDate.parse(timestamp) }
}
