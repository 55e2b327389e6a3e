import Foundation

/// `deployer init job NAME`: a new job folder and its manifest entry, made so that `validate`,
/// the job's test and `run NAME -t local --wait` pass without edits. Nothing is overwritten:
/// an existing folder, file or manifest entry is refused, and a manifest that would not load
/// afterwards is left as it was (the folder is removed again).
public struct JobScaffold {
    /// The manifest's path.
    public let manifestFile: String
    /// The new job's name (also its Python package).
    public let name: String

    /// What was made: the files written and the manifest lines added.
    public struct Made: Sendable, Equatable {
        public var files: [String]
        public var entry: String
    }

    public init(manifestFile: String, name: String) {
        self.manifestFile = manifestFile
        self.name = name
    }

    /// A job name that is also a Python package name and fits every engine's job names.
    public static func checkName(_ name: String) throws {
        guard name.range(of: "^[a-z][a-z0-9_]{0,39}$", options: .regularExpression) != nil else {
            throw DeployError(
                "init job: '\(String(name.prefix(60)))' is not a job name: use 1 to 40 of a-z, 0-9 and _, starting with a letter (it is also the Python package)"
            )
        }
    }

    /// The manifest's folder, absolute: paths in the manifest are relative to it.
    var directory: String { URL(fileURLWithPath: manifestFile).standardizedFileURL.deletingLastPathComponent().path }

    /// Writes the template (`from == nil`) or a copy of the existing job `from` (its folder with
    /// its package renamed), then adds `jobs.NAME` to the manifest.
    public func make(from: Job?, manifestText: String, validate: (String) throws -> Void) throws -> Made {
        try Self.checkName(name)
        let fm = FileManager.default
        let folder = directory + "/jobs/" + name
        guard Self.entryLine(in: manifestText, job: name) == nil else {
            throw DeployError("init job: \(manifestFile) has a job '\(name)' already; choose another name")
        }
        guard !fm.fileExists(atPath: folder) else { throw DeployError("init job: \(folder) exists; choose another name or remove it") }
        let staging = directory + "/jobs/.\(name).init-\(UUID().uuidString.prefix(8))"
        defer { try? fm.removeItem(atPath: staging) }
        var files: [String] = []
        var entry: [String]
        if let from {
            let package = from.source + "/src/" + from.name
            guard fm.fileExists(atPath: from.source) else { throw DeployError("init job: \(from.source), the source of job \(from.name), does not exist") }
            try fm.copyItem(atPath: from.source, toPath: staging)
            try? fm.removeItem(atPath: staging + "/src/" + from.name + "/__pycache__")
            if fm.fileExists(atPath: package) { try fm.moveItem(atPath: staging + "/src/" + from.name, toPath: staging + "/src/" + name) }
            for relative in (fm.enumerator(atPath: staging)?.allObjects as? [String] ?? []).sorted() {
                let path = staging + "/" + relative
                guard ["py", "yml", "yaml", "sql", "txt", "md", "cfg", "toml"].contains((relative as NSString).pathExtension),
                    let text = try? String(contentsOfFile: path, encoding: .utf8)
                else { continue }
                try Self.renamed(text, from: from.name, to: name).write(toFile: path, atomically: true, encoding: .utf8)
                files.append("jobs/\(name)/\(relative)")
            }
            entry = ["source: jobs/\(name)"]
            let libraries = from.libraries.map { Self.relative($0, to: directory) }
            if !libraries.isEmpty { entry.append("libraries: [\(libraries.joined(separator: ", "))]") }
            if fm.fileExists(atPath: staging + "/requirements.txt") { entry.append("requirements: jobs/\(name)/requirements.txt") }
            if from.entryPoint != "main.py" { entry.append("entry_point: \(from.entryPoint)") }
            if !from.arguments.isEmpty {
                entry.append("arguments:")
                for (key, value) in from.arguments.sorted(by: { $0.key < $1.key }) {
                    entry.append("  \(key): \(Self.yamlScalar(Self.renamed(value, from: from.name, to: name)))")
                }
            }
        } else {
            guard fm.fileExists(atPath: directory + "/jobs/common/src/jobs_common") else {
                throw DeployError(
                    "init job: the template uses the shared library jobs/common (package jobs_common), which \(directory)/jobs/common lacks; use --from JOB to copy one of your jobs"
                )
            }
            for (template, text) in JobTemplate.files {
                let relative = template.replacingOccurrences(of: "__JOB__", with: name)
                let path = relative.hasPrefix("jobs/\(name)/") ? staging + "/" + relative.dropFirst("jobs/\(name)/".count) : directory + "/" + relative
                guard !fm.fileExists(atPath: path) else { throw DeployError("init job: \(path) exists; choose another name or remove it") }
                try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try (text.replacingOccurrences(of: "__JOB__", with: name) + "\n").write(toFile: path, atomically: true, encoding: .utf8)
                files.append(relative)
            }
            entry = [
                "source: jobs/\(name)", "libraries: [jobs/common]", "requirements: jobs/\(name)/requirements.txt", "arguments:",
                "  --input_path: jobs/sample_data", "  --output_path: .deployer/local/output/\(name)",
            ]
        }
        let updated = try Self.adding(job: name, lines: entry, to: manifestText)
        try fm.moveItem(atPath: staging, toPath: folder)
        do {
            try validate(updated)
            try updated.write(toFile: manifestFile, atomically: true, encoding: .utf8)
        } catch {
            // Leave nothing behind: the folder and any test file written outside it.
            try? fm.removeItem(atPath: folder)
            for file in files where !file.hasPrefix("jobs/\(name)/") { try? fm.removeItem(atPath: directory + "/" + file) }
            throw error
        }
        return Made(files: files, entry: "  \(name):\n" + entry.map { "    " + $0 }.joined(separator: "\n"))
    }

    /// `text` with the word `old` (not inside a longer name) replaced by `new`.
    static func renamed(_ text: String, from old: String, to new: String) -> String {
        text.replacingOccurrences(
            of: "(?<![A-Za-z0-9_])\(NSRegularExpression.escapedPattern(for: old))(?![A-Za-z0-9_])", with: new, options: .regularExpression)
    }

    static func relative(_ path: String, to directory: String) -> String {
        let root = (directory as NSString).standardizingPath + "/"
        let standard = (path as NSString).standardizingPath
        return standard.hasPrefix(root) ? String(standard.dropFirst(root.count)) : standard
    }

    /// A value quoted for YAML when plain would change its meaning.
    static func yamlScalar(_ value: String) -> String {
        let plain = value.range(of: "^[A-Za-z0-9_./-][A-Za-z0-9_./:=-]*$", options: .regularExpression) != nil
        let ambiguous = ["true", "false", "yes", "no", "null", "on", "off", "~"].contains(value.lowercased()) || Double(value) != nil
        return plain && !ambiguous ? value : "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// The manifest's top-level `jobs:` line (a block, not a flow mapping), if any.
    static func jobsLine(_ lines: [String]) -> Int? {
        lines.firstIndex { $0.range(of: "^jobs:\\s*(#.*)?$", options: .regularExpression) != nil }
    }

    /// The line of `jobs.JOB` in the manifest text, if any.
    static func entryLine(in text: String, job: String) -> Int? {
        let lines = text.components(separatedBy: "\n")
        guard let start = jobsLine(lines) else { return nil }
        for index in (start + 1)..<lines.count {
            let line = lines[index]
            if let first = line.first, first != " ", first != "#" { break }
            if line.range(of: "^ {1,8}\(NSRegularExpression.escapedPattern(for: job)):(\\s|$)", options: .regularExpression) != nil { return index }
        }
        return nil
    }

    /// The manifest with `jobs.JOB` added after the last job (comments and layout kept).
    static func adding(job: String, lines entry: [String], to text: String) throws -> String {
        var lines = text.components(separatedBy: "\n")
        guard let start = jobsLine(lines) else {
            throw DeployError("init job: the manifest has no top-level 'jobs:' block to add the job to; add 'jobs:' and run it again")
        }
        let end = lines[(start + 1)...].firstIndex { line in line.first.map { $0 != " " && $0 != "#" } ?? false } ?? lines.count
        // The indentation of the jobs already there (two spaces when there are none).
        let firstJob = lines[(start + 1)..<end].first { $0.range(of: "^ +[A-Za-z0-9_]", options: .regularExpression) != nil }
        let indent = firstJob.map { String($0.prefix { $0 == " " }) } ?? "  "
        // Before the blank lines and comments that lead into the next top-level key.
        var insert = end
        while insert > start + 1, lines[insert - 1].trimmingCharacters(in: .whitespaces).isEmpty || lines[insert - 1].hasPrefix("#") { insert -= 1 }
        // Entry lines nest by two spaces; the file's own indentation is used for each level.
        let block =
            [""] + ["\(indent)\(job):"]
            + entry.map { line in
                let depth = line.prefix { $0 == " " }.count / 2
                return String(repeating: indent, count: depth + 2) + line.drop { $0 == " " }
            }
        lines.insert(contentsOf: block, at: insert)
        return lines.joined(separator: "\n")
    }
}
