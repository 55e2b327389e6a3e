import CYaml
import Foundation

/// Bounds on a manifest before it is composed into a tree: any pull request can change
/// `deployer.yml`, and CI runs `validate` and `plan` on it. Checked on libyaml's event stream,
/// in time and memory linear in the file: no anchors or aliases (a "billion laughs" alias
/// bomb expands exponentially when walked), a bounded number of nodes and nesting depth.
enum YAMLLimits {
    static let maximumBytes = 1 << 20
    static let maximumNodes = 200_000
    static let maximumDepth = 64

    /// A control character YAML does not allow (NUL and the other C0 codes but tab, line feed
    /// and carriage return), at its own line and column: libyaml's reader reported it at 1:1.
    static func controlCharacter(_ text: String, file: String) -> ManifestIssue? {
        var line = 1
        var column = 1
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                line += 1
                column = 1
                continue
            }
            if scalar.value < 0x20, scalar != "\t", scalar != "\r" {
                return ManifestIssue(
                    file: file, line: line, column: column, path: "(yaml)",
                    message: "control character U+\(String(format: "%04X", scalar.value)) is not allowed in YAML: remove it")
            }
            if scalar.value == 0x7F {
                return ManifestIssue(
                    file: file, line: line, column: column, path: "(yaml)", message: "control character U+007F is not allowed in YAML: remove it")
            }
            column += 1
        }
        return nil
    }

    /// The first problem found, or nil.
    static func check(_ text: String, file: String) -> ManifestIssue? {
        if text.utf8.count > maximumBytes {
            return ManifestIssue(
                file: file, line: 1, column: 1, path: "(file)",
                message: "the manifest is \(text.utf8.count) bytes; at most \(maximumBytes) are read: split it or remove what is unused")
        }
        if let issue = controlCharacter(text, file: file) { return issue }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { buffer -> ManifestIssue? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var nodes = 0
            var depth = 0
            while true {
                var event = yaml_event_t()
                // Syntax errors are reported by the composer with their position; libyaml's own
                // nesting limit is ours to word (its text names a C function).
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    let problem = parser.problem.map { String(cString: $0) } ?? ""
                    guard problem.contains("max depth") || problem.contains("nest") else { return nil }
                    return ManifestIssue(
                        file: file, line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1, path: "(yaml)",
                        message: "the manifest nests deeper than \(maximumDepth) levels")
                }
                defer { yaml_event_delete(&event) }
                let mark = event.start_mark
                func issue(_ message: String) -> ManifestIssue {
                    ManifestIssue(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1, path: "(yaml)", message: message)
                }
                var anchored = false
                var tagged = false
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return nil
                case YAML_ALIAS_EVENT:
                    return issue("YAML aliases (*name) are not allowed in the manifest: write the value out")
                case YAML_SCALAR_EVENT:
                    nodes += 1
                    anchored = event.data.scalar.anchor != nil
                    tagged = event.data.scalar.tag != nil && event.data.scalar.plain_implicit == 0 && event.data.scalar.quoted_implicit == 0
                case YAML_SEQUENCE_START_EVENT:
                    nodes += 1
                    depth += 1
                    anchored = event.data.sequence_start.anchor != nil
                    tagged = event.data.sequence_start.tag != nil
                case YAML_MAPPING_START_EVENT:
                    nodes += 1
                    depth += 1
                    anchored = event.data.mapping_start.anchor != nil
                    tagged = event.data.mapping_start.tag != nil
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    depth -= 1
                default:
                    break
                }
                if anchored { return issue("YAML anchors (&name) are not allowed in the manifest: write the value out") }
                // A tag (`!python/object:os.system ls`, `!!binary`) would be silently dropped:
                // refused, so what the file says is what deployer reads.
                if tagged { return issue("YAML tags (!tag) are not allowed in the manifest: remove the tag or quote the value") }
                if nodes > maximumNodes { return issue("the manifest has more than \(maximumNodes) values: split it") }
                if depth > maximumDepth { return issue("the manifest nests deeper than \(maximumDepth) levels") }
            }
        }
    }
}
