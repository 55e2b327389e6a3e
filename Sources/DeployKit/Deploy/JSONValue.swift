import Foundation

/// A JSON value that is Codable, Equatable and Sendable: job definitions, records and plans.
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

    /// From `JSONSerialization` output.
    public init(any value: Any?) {
        switch value {
        case let string as String: self = .string(string)
        case let bool as Bool where type(of: value as Any) == Bool.self: self = .bool(bool)
        case let number as NSNumber:
            // JSONSerialization gives booleans as NSNumber of type 'c'.
            if String(cString: number.objCType) == "c" { self = .bool(number.boolValue) } else { self = .number(number.doubleValue) }
        case let dictionary as [String: Any]: self = .object(dictionary.mapValues { JSONValue(any: $0) })
        case let array as [Any]: self = .array(array.map { JSONValue(any: $0) })
        default: self = .null
        }
    }

    /// For `JSONSerialization` input.
    public var any: Any {
        switch self {
        case .string(let value): return value
        case .number(let value): return value == value.rounded() && abs(value) < 1e15 ? Int(value) as Any : value as Any
        case .bool(let value): return value
        case .object(let value): return value.mapValues(\.any)
        case .array(let value): return value.map(\.any)
        case .null: return NSNull()
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

    var scalarText: String {
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

extension JSONValue {
    /// The dependency bundle digest a job definition names: Glue's `--deployer-dependencies`
    /// default argument, or the `dependencies` field the other engines record.
    var dependencyDigest: String? {
        self["DefaultArguments"]?["--deployer-dependencies"]?.stringValue ?? self["dependencies"]?.stringValue
    }
}
