import AWSCore
import Yams

/// One problem found in `deployer.yml`, with where it is.
public struct ManifestIssue: Error, CustomStringConvertible, Sendable, Equatable {
    /// The manifest's path.
    public var file: String
    /// The line, from 1.
    public var line: Int
    /// The column, from 1.
    public var column: Int
    /// The dotted path of the field (`targets.dev.region`).
    public var path: String
    /// What is wrong and what to do.
    public var message: String

    /// `FILE:LINE:COLUMN: PATH: MESSAGE`.
    public var description: String { "\(file):\(line):\(column): \(path): \(message)" }
}

/// The shape a YAML node must have. Small on purpose: enough to give precise errors
/// (file:line:column, the key path, the allowed values) for the manifest. Engine plug-ins
/// describe their target section with it.
public indirect enum Schema: Sendable {
    /// A string, one of `allowed` or matching `pattern` (`hint` says what is expected).
    case string(allowed: [String]? = nil, pattern: String? = nil, hint: String? = nil)
    /// A whole number in the range.
    case integer(ClosedRange<Int>)
    /// A finite number of 0 or more.
    case number
    /// `true` or `false`.
    case boolean
    /// A list of one shape.
    case list(Schema)
    /// Free-form keys (matching `keyPattern` when given), every value of one shape.
    case map(Schema, keyPattern: String? = nil, keyHint: String? = nil)
    /// Fixed keys.
    case object([String: Field])

    /// One key of an object: its shape, whether it must be there, and what it is for.
    public struct Field: Sendable {
        let schema: Schema
        let required: Bool
        let help: String
        /// A key of shape `schema`; `help` ends the message when a required key is missing.
        public init(_ schema: Schema, required: Bool = false, _ help: String = "") {
            self.schema = schema
            self.required = required
            self.help = help
        }
    }

    func validate(_ node: Node, path: String, file: String, into issues: inout [ManifestIssue]) {
        func issue(_ message: String) {
            let mark = node.mark
            issues.append(ManifestIssue(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, path: path.isEmpty ? "(root)" : path, message: message))
        }
        switch self {
        case .string(let allowed, let pattern, let hint):
            guard case .scalar(let scalar) = node else { return issue("expected a string, found \(kind(node))") }
            // Unresolved references (targets not in use) are checked once they are resolved.
            if scalar.string.contains("${") { return }
            if let allowed, !allowed.contains(scalar.string) {
                issue("'\(Self.short(scalar.string))' is not allowed (allowed: \(allowed.joined(separator: ", ")))")
            } else if let pattern, scalar.string.range(of: pattern, options: .regularExpression) == nil {
                issue("'\(Self.short(scalar.string))' is not valid\(hint.map { " (\($0))" } ?? "")")
            }
        case .integer(let range):
            guard case .scalar(let scalar) = node, let value = Int(scalar.string) else { return issue("expected a whole number, found \(describe(node))") }
            if !range.contains(value) { issue("\(value) is out of range (allowed: \(range.lowerBound)...\(range.upperBound))") }
        case .number:
            guard case .scalar(let scalar) = node, let value = Double(scalar.string), value.isFinite else {
                return issue("expected a number, found \(describe(node))")
            }
            if value < 0 { issue("\(Self.short(scalar.string)) is negative: give a number of 0 or more") }
        case .boolean:
            guard case .scalar(let scalar) = node, ["true", "false"].contains(scalar.string.lowercased()) else {
                return issue("expected true or false, found \(describe(node))")
            }
        case .list(let element):
            guard case .sequence(let sequence) = node else { return issue("expected a list, found \(kind(node))") }
            for (index, item) in sequence.enumerated() {
                element.validate(item, path: "\(path)[\(index)]", file: file, into: &issues)
            }
        case .map(let value, let keyPattern, let keyHint):
            guard case .mapping(let mapping) = node else { return issue("expected a mapping, found \(kind(node))") }
            for (key, item) in mapping {
                let name = key.string ?? "?"
                if let keyPattern, name.range(of: keyPattern, options: .regularExpression) == nil {
                    let mark = key.mark
                    issues.append(
                        ManifestIssue(
                            file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, path: join(path, Self.short(name)),
                            message: "'\(Self.short(name))' is not a valid name\(keyHint.map { " (\($0))" } ?? "")"))
                    continue
                }
                value.validate(item, path: join(path, name), file: file, into: &issues)
            }
        case .object(let fields):
            guard case .mapping(let mapping) = node else { return issue("expected a mapping, found \(kind(node))") }
            var seen: Set<String> = []
            for (key, item) in mapping {
                let name = key.string ?? "?"
                seen.insert(name)
                guard let field = fields[name] else {
                    let mark = key.mark
                    issues.append(
                        ManifestIssue(
                            file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, path: join(path, name),
                            message: "unknown key (allowed: \(fields.keys.sorted().joined(separator: ", ")))"))
                    continue
                }
                field.schema.validate(item, path: join(path, name), file: file, into: &issues)
            }
            for (name, field) in fields.sorted(by: { $0.key < $1.key }) where field.required && !seen.contains(name) {
                issue("missing required key '\(name)'\(field.help.isEmpty ? "" : ": \(field.help)")")
            }
        }
    }

    private func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// A value as quoted in a message: one line, at most `limit` characters (a 5 MB value is
    /// not echoed back).
    static func short(_ text: String, _ limit: Int = 60) -> String {
        Redaction.scrub(text, limit: limit)
    }

    private func kind(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): return "'\(Self.short(scalar.string))'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    private func describe(_ node: Node) -> String { kind(node) }
}
