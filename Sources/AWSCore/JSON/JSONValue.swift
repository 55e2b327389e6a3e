import Foundation

/// The one free-form JSON document type (as soto-core has one): request and answer documents
/// of JSON services (Glue job definitions, EMR steps, EMR Serverless runs), and deployer's job
/// definitions, records and plans. Codable, Equatable and Sendable.
public enum JSONValue: Sendable, Equatable, Codable {
    /// A JSON string.
    case string(String)
    /// A JSON number (written without a fraction when it is whole).
    case number(Double)
    /// `true` or `false`.
    case bool(Bool)
    /// A JSON object.
    case object([String: JSONValue])
    /// A JSON array.
    case array([JSONValue])
    /// `null`.
    case null

    /// Decodes whichever JSON value is there.
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Encodes the value; whole numbers below 1e15 as integers.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .number(let value):
            if value == value.rounded(), abs(value) < 1e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .bool(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }

    /// The member `key` of an object; `nil` for a missing key or a value that is not an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    /// The string, if this is one.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The number, if this is one.
    public var numberValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The number as a whole number, if this is one (truncated).
    public var intValue: Int? { numberValue.flatMap { $0.isFinite && abs($0) < 9e15 ? Int($0) : nil } }

    /// The members, if this is an object.
    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// An array of strings.
    public static func strings(_ values: [String]) -> JSONValue { .array(values.map(JSONValue.string)) }

    /// An object of strings.
    public static func strings(_ values: [String: String]) -> JSONValue { .object(values.mapValues(JSONValue.string)) }

    /// The document as bytes: sorted keys, whole numbers as integers.
    public func encoded() throws -> [UInt8] { Array(try JSONEncoder.sorted.encode(self)) }

    /// A document from bytes; throws when they are not JSON.
    public static func decode(_ bytes: [UInt8]) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: Data(bytes)) }

    /// `a.b.c` → leaf text, for field-level diffs.
    public func flattened(prefix: String = "") -> [String: String] {
        switch self {
        case .object(let object):
            var result: [String: String] = [:]
            for (key, value) in object {
                result.merge(value.flattened(prefix: prefix.isEmpty ? key : "\(prefix).\(key)")) { $1 }
            }
            return result
        case .array(let array):
            if array.allSatisfy({ if case .object = $0 { return false } else { return true } }) {
                return [prefix: "[" + array.map { $0.scalarText }.joined(separator: ", ") + "]"]
            }
            var result: [String: String] = [:]
            for (index, value) in array.enumerated() { result.merge(value.flattened(prefix: "\(prefix)[\(index)]")) { $1 } }
            return result
        default:
            return [prefix: scalarText]
        }
    }

    /// A leaf as text (`true`, `3`, `null`); objects and arrays as sorted JSON.
    public var scalarText: String {
        switch self {
        case .string(let value): return value
        case .number(let value): return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .bool(let value): return value ? "true" : "false"
        case .null: return "null"
        case .object, .array: return (try? String(decoding: JSONEncoder.sorted.encode(self), as: UTF8.self)) ?? "?"
        }
    }
}

extension JSONEncoder {
    /// Sorted keys, no escaped slashes: stable bytes for records, plans and fingerprints.
    public static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// The same, indented: files people read (records, saved plans, `--json`).
    public static var pretty: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}

extension JSONDecoder {
    /// ISO 8601 dates, matching the encoders above.
    public static var iso: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    /// A string.
    public init(stringLiteral value: String) { self = .string(value) }
    /// A whole number.
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    /// A number.
    public init(floatLiteral value: Double) { self = .number(value) }
    /// `true` or `false`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An array.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// An object (a later duplicate key wins).
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(Dictionary(elements) { $1 }) }
}
