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

    /// The first problem found, or nil.
    static func check(_ text: String, file: String) -> ManifestIssue? {
        if text.utf8.count > maximumBytes {
            return ManifestIssue(file: file, line: 1, column: 1, path: "(file)",
                                 message: "the manifest is \(text.utf8.count) bytes; at most \(maximumBytes) are read: split it or remove what is unused")
        }
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
                // Syntax errors are reported by the composer with their position.
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                let mark = event.start_mark
                func issue(_ message: String) -> ManifestIssue {
                    ManifestIssue(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1, path: "(yaml)", message: message)
                }
                var anchored = false
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return nil
                case YAML_ALIAS_EVENT:
                    return issue("YAML aliases (*name) are not allowed in the manifest: write the value out")
                case YAML_SCALAR_EVENT:
                    nodes += 1
                    anchored = event.data.scalar.anchor != nil
                case YAML_SEQUENCE_START_EVENT:
                    nodes += 1
                    depth += 1
                    anchored = event.data.sequence_start.anchor != nil
                case YAML_MAPPING_START_EVENT:
                    nodes += 1
                    depth += 1
                    anchored = event.data.mapping_start.anchor != nil
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    depth -= 1
                default:
                    break
                }
                if anchored { return issue("YAML anchors (&name) are not allowed in the manifest: write the value out") }
                if nodes > maximumNodes { return issue("the manifest has more than \(maximumNodes) values: split it") }
                if depth > maximumDepth { return issue("the manifest nests deeper than \(maximumDepth) levels") }
            }
        }
    }
}
