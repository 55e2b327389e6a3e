import Foundation
import Yams

/// Reads `deployer.yml`: YAML with positions → interpolation → schema → model.
public struct ManifestLoader: Sendable {
    /// `--var NAME=VALUE`, then `DEPLOYER_VAR_NAME` from the environment.
    public var variables: [String: String]
    /// Read for `${env.NAME}` and `DEPLOYER_VAR_NAME`.
    public var environment: [String: String]
    /// `--tf-outputs`: a `terraform output -json` file or a terraform directory.
    public var terraformOutputs: String?
    /// The engines `engine:` may name (tests add their own plug-ins).
    public var engines: EngineRegistry = .builtIn

    /// A loader with these variables, environment and terraform outputs.
    public init(variables: [String: String] = [:], environment: [String: String] = ProcessInfo.processInfo.environment, terraformOutputs: String? = nil) {
        self.variables = variables
        self.environment = environment
        self.terraformOutputs = terraformOutputs
    }

    /// Why a manifest could not be loaded.
    public enum LoadError: Error, CustomStringConvertible {
        /// The file cannot be used (missing, a folder, too large): the message says why.
        case unreadable(String)
        /// Problems found in it, each with its line and column.
        case issues([ManifestIssue])

        /// The message, or one line per issue.
        public var description: String {
            switch self {
            case .unreadable(let message): return message
            case .issues(let issues): return issues.map(\.description).joined(separator: "\n")
            }
        }
    }

    /// Loads the manifest. Only `target` (default: `default_target`, else `local`) is
    /// interpolated: other targets' references are checked for syntax but not resolved, so a
    /// laptop using the local target needs no terraform outputs or cloud variables.
    public func load(file: String, target: String? = nil) throws -> Manifest {
        let text = try Self.readText(file)
        let directory = URL(fileURLWithPath: file).standardizedFileURL.deletingLastPathComponent().path
        if let issue = YAMLLimits.check(text, file: file) { throw LoadError.issues([issue]) }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw LoadError.issues([ManifestIssue(file: file, line: 1, column: 1, path: "(root)", message: "the file is empty")])
            }
            root = node
        } catch let error as YamlError {
            throw LoadError.issues([Self.issue(from: error, file: file)])
        }
        var issues: [ManifestIssue] = []
        var terraform = TerraformOutputs(
            source: terraformOutputs ?? Self.scalar(root, "terraform_outputs").map { Self.resolve($0, in: directory) }, directory: directory)
        let selected = target ?? Self.scalar(root, "default_target") ?? "local"
        let selectedEngine = root.mapping?[Node("targets")]?.mapping?[Node(selected)]?.mapping?[Node("engine")]?.string
        let interpolated = interpolate(
            root, path: "", file: file, terraform: &terraform, issues: &issues, selectedTarget: selected, selectedEngine: selectedEngine)
        Schema.manifest(engines).validate(interpolated, path: "", file: file, into: &issues)
        if !issues.isEmpty { throw LoadError.issues(issues) }
        return try build(interpolated, file: file, directory: directory, selectedTarget: selected)
    }

    /// The manifest's text: bounded in size before it is read, and UTF-8.
    static func readText(_ file: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
            throw LoadError.unreadable("cannot read \(file): it does not exist; create it (see docs/deployer.md) or pass -f PATH")
        }
        guard !isDirectory.boolValue else { throw LoadError.unreadable("\(file) is a folder: pass -f with the manifest file") }
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.intValue ?? 0
        guard size <= YAMLLimits.maximumBytes else {
            throw LoadError.unreadable("\(file) is \(size) bytes; a manifest may have at most \(YAMLLimits.maximumBytes): is -f the right file?")
        }
        guard let handle = FileHandle(forReadingAtPath: file) else { throw LoadError.unreadable("cannot read \(file): permission denied") }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: YAMLLimits.maximumBytes + 1)) ?? Data()
        guard data.count <= YAMLLimits.maximumBytes else { throw LoadError.unreadable("\(file) is larger than \(YAMLLimits.maximumBytes) bytes") }
        guard let text = String(data: data, encoding: .utf8) else {
            throw LoadError.unreadable("\(file) is not UTF-8 text: save it as UTF-8")
        }
        return text
    }

    static func issue(from error: YamlError, file: String) -> ManifestIssue {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
            return ManifestIssue(file: file, line: mark.line, column: mark.column, path: "(yaml)", message: problem)
        case .composer(_, let problem, let mark, _):
            return ManifestIssue(file: file, line: mark.line, column: mark.column, path: "(yaml)", message: problem)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = duplicates.sorted().map { "'\(Schema.short($0))'" }.joined(separator: ", ")
            return ManifestIssue(
                file: file, line: context.mark.line, column: context.mark.column, path: "(yaml)",
                message: "duplicate key \(names) in one mapping: keep one")
        default:
            return ManifestIssue(file: file, line: 1, column: 1, path: "(yaml)", message: Schema.short("\(error)", 200))
        }
    }

    static func scalar(_ node: Node, _ key: String) -> String? {
        node.mapping?[Node(key)]?.string
    }

    static func resolve(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: directory).appendingPathComponent(path).standardizedFileURL.path
    }
}

extension ManifestIssue {
    /// The same message at another field.
    func at(_ path: [String]) -> ManifestIssue {
        var moved = self
        moved.path = path.joined(separator: ".")
        return moved
    }
}
