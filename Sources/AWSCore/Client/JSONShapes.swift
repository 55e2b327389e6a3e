import Foundation
import SigV4

/// Typed requests and answers of the JSON protocols (JSON 1.1 and REST-JSON), as SotoCore's
/// Codable shapes: a service client sends an `Encodable` request and gets a `Decodable`
/// answer; timestamps are epoch seconds (AWS) or ISO 8601 (some emulators).
public enum AWSJSON {
    /// An answer with nothing deployer reads.
    public struct Empty: Codable, Sendable {
        /// Nothing.
        public init() {}
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            if let seconds = try? container.decode(Double.self) { return Date(timeIntervalSince1970: seconds) }
            let text = try container.decode(String.self)
            if let date = CredentialDates.parse(text) ?? CredentialDates.parse(text + "Z") { return date }
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a timestamp")
        }
        return decoder
    }

    /// `body` as `T`; a `MalformedResponse` naming the field (never its value) when it is not.
    public static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8], service: ServiceInfo, operation: String, status: Int = 200) throws -> T {
        let data = body.isEmpty ? Data("{}".utf8) : Data(body)
        do {
            return try decoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw AWSError(service: service.signingName, operation: operation, status: status, code: "MalformedResponse", message: describe(error))
        } catch {
            throw AWSError(service: service.signingName, operation: operation, status: status, code: "MalformedResponse", message: "the answer is not JSON")
        }
    }

    /// Where a decoding error is and what was expected, without the data.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "the answer" : keys.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return context.codingPath.isEmpty ? "the answer has no \(key.stringValue)" : "\(path(context)) has no \(key.stringValue)"
        case .typeMismatch(let type, let context): return "\(path(context)) is not a \(type)"
        case .valueNotFound(let type, let context): return "\(path(context)) is null, expected a \(type)"
        case .dataCorrupted(let context): return context.codingPath.isEmpty ? "the answer is not JSON" : "\(path(context)) is not valid"
        @unknown default: return "the answer does not have the expected shape"
        }
    }
}

extension AWSClient {
    /// JSON 1.1 with typed shapes: `input` encoded, the answer decoded as `Output`.
    public func jsonCall<Input: Encodable, Output: Decodable>(_ service: ServiceInfo, operation: String, input: Input, output: Output.Type = Output.self)
        async throws -> Output
    {
        let response = try await sendJSON(service, operation: operation, body: Array(try AWSJSON.encoder().encode(input)))
        return try AWSJSON.decode(Output.self, from: response.body, service: service, operation: operation, status: response.status)
    }

    /// REST-JSON with typed shapes: `input` (if any) as the body, the answer decoded as `Output`.
    public func restJSONCall<Output: Decodable>(
        _ service: ServiceInfo, operation: String, method: String, path: String, query: [QueryItem] = [],
        body input: (any Encodable)? = nil, output: Output.Type = Output.self
    ) async throws -> Output {
        let body = try input.map { Array(try AWSJSON.encoder().encode($0)) }
        let response = try await sendRESTJSON(service, operation: operation, method: method, path: path, query: query, body: body)
        return try AWSJSON.decode(Output.self, from: response.body, service: service, operation: operation, status: response.status)
    }
}
