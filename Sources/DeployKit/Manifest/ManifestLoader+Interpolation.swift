import Foundation
import Yams

/// `${var.…}`, `${env.…}` and `${tf.…}` in the selected target's values.
extension ManifestLoader {

    func interpolate(
        _ node: Node, path: String, file: String, terraform: inout TerraformOutputs, issues: inout [ManifestIssue], selectedTarget: String,
        selectedEngine: String?
    ) -> Node {
        switch node {
        case .scalar(var scalar):
            guard scalar.string.contains("${") else { return node }
            let inOtherTarget = Self.notInUse(path, target: selectedTarget, engine: selectedEngine)
            do {
                if inOtherTarget {
                    try checkSyntax(scalar.string)
                    return node
                }
                scalar.string = try expand(scalar.string, terraform: &terraform)
            } catch let error as DeployError {
                issues.append(
                    ManifestIssue(
                        file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1, path: path.isEmpty ? "(root)" : path, message: error.description
                    ))
            } catch {
                issues.append(ManifestIssue(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1, path: path, message: "\(error)"))
            }
            return .scalar(scalar)
        case .mapping(let mapping):
            // Rebuilt in one pass: assigning by key is linear per key, quadratic over a mapping.
            var pairs: [(Node, Node)] = []
            pairs.reserveCapacity(mapping.count)
            for (key, value) in mapping {
                let child = path.isEmpty ? (key.string ?? "?") : "\(path).\(key.string ?? "?")"
                pairs.append(
                    (
                        key,
                        interpolate(
                            value, path: child, file: file, terraform: &terraform, issues: &issues, selectedTarget: selectedTarget,
                            selectedEngine: selectedEngine)
                    ))
            }
            return .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark, mapping.anchor))
        case .sequence(var sequence):
            for index in sequence.indices {
                sequence[index] = interpolate(
                    sequence[index], path: "\(path)[\(index)]", file: file, terraform: &terraform, issues: &issues, selectedTarget: selectedTarget,
                    selectedEngine: selectedEngine)
            }
            return .sequence(sequence)
        case .alias:
            return node
        }
    }

    /// Settings of other targets, and job overrides for other engines, are not resolved.
    static func notInUse(_ path: String, target: String, engine: String?) -> Bool {
        let parts = path.split(separator: ".").map(String.init)
        if parts.count >= 2, parts[0] == "targets" { return parts[1] != target }
        if parts.count >= 4, parts[0] == "jobs", parts[2] == "engines" { return parts[3] != engine }
        // pipelines.NAME.steps[i].engines.ENGINE...: only the engine in use is resolved.
        if parts.count >= 5, parts[0] == "pipelines", parts[3] == "engines" { return parts[4] != engine }
        return false
    }

    /// Checks references without resolving them (targets not in use).
    func checkSyntax(_ text: String) throws {
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { throw DeployError("unterminated '${' in '\(text)'") }
            let parts = rest[start.upperBound..<end].split(separator: ".", maxSplits: 1)
            guard parts.count == 2, ["var", "env", "tf"].contains(String(parts[0])) else {
                throw DeployError("'${\(rest[start.upperBound..<end])}' is not ${var.NAME}, ${env.NAME} or ${tf.OUTPUT}")
            }
            rest = rest[rest.index(after: end)...]
        }
    }

    /// Replaces `${var.NAME}`, `${env.NAME}` and `${tf.OUTPUT}`; `$${` escapes a literal `${`.
    func expand(_ text: String, terraform: inout TerraformOutputs) throws -> String {
        var output = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            if start.lowerBound > rest.startIndex, rest[rest.index(before: start.lowerBound)] == "$" {
                output += rest[..<rest.index(before: start.lowerBound)] + "${"
                rest = rest[start.upperBound...]
                continue
            }
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw DeployError("unterminated '${' in '\(text)'")
            }
            output += rest[..<start.lowerBound]
            let reference = String(rest[start.upperBound..<end])
            output += try value(of: reference, terraform: &terraform)
            rest = rest[rest.index(after: end)...]
        }
        return output + rest
    }

    func value(of reference: String, terraform: inout TerraformOutputs) throws -> String {
        let parts = reference.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[1].isEmpty else {
            throw DeployError("'${\(reference)}' is not ${var.NAME}, ${env.NAME} or ${tf.OUTPUT}")
        }
        // `${var.${var.a}}`: a reference inside a reference is never expanded; say so rather
        // than suggest `--var ${var.a=VALUE`.
        if parts[1].contains("$") || parts[1].contains("{") {
            throw DeployError("'${\(reference)}}' nests a reference in a reference, which is not expanded: give the name itself, e.g. ${var.NAME}")
        }
        switch parts[0] {
        case "var":
            if let value = variables[parts[1]] ?? environment["DEPLOYER_VAR_\(parts[1])"] { return value }
            throw DeployError("variable '\(parts[1])' is not set: pass --var \(parts[1])=VALUE or set DEPLOYER_VAR_\(parts[1])")
        case "env":
            if let value = environment[parts[1]] { return value }
            throw DeployError("environment variable \(parts[1]) is not set")
        case "tf":
            return try terraform.value(parts[1])
        default:
            throw DeployError("'${\(reference)}': unknown namespace '\(parts[0])' (allowed: var, env, tf)")
        }
    }
}
