import Foundation

/// `~/.aws/credentials` and `~/.aws/config`, parsed. In the config file profiles are
/// `[profile NAME]` (and `[default]`); in the credentials file they are `[NAME]`.
public struct SharedConfig: Sendable, Equatable {
    /// profile name → key → value, credentials file and config file kept apart.
    public var credentialsFile: [String: [String: String]]
    /// The config file's profiles (`[profile NAME]`, `[default]`): profile name → key → value.
    public var configFile: [String: [String: String]]
    /// `[sso-session NAME]` sections of the config file: name → key → value.
    public var ssoSessions: [String: [String: String]]
    /// Files that are there but could not be used (a folder, unreadable, not text, no
    /// `[section]`), each named with what to do: said when no credentials are found.
    public var problems: [String] = []

    /// Contents already parsed; `load` reads them from the files.
    public init(credentialsFile: [String: [String: String]] = [:], configFile: [String: [String: String]] = [:], ssoSessions: [String: [String: String]] = [:])
    {
        self.credentialsFile = credentialsFile
        self.configFile = configFile
        self.ssoSessions = ssoSessions
    }

    /// Loads the files named by `AWS_SHARED_CREDENTIALS_FILE` / `AWS_CONFIG_FILE` or the defaults under `home`.
    public static func load(environment: [String: String], home: String) -> SharedConfig {
        let credentialsPath = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(home)/.aws/credentials"
        let configPath = environment["AWS_CONFIG_FILE"] ?? "\(home)/.aws/config"
        var problems: [String] = []
        let credentialsText = read(expand(credentialsPath, home: home), problems: &problems) ?? ""
        let configText = read(expand(configPath, home: home), problems: &problems) ?? ""
        var loaded = SharedConfig(
            credentialsFile: parseINI(credentialsText, configStyle: false), configFile: parseINI(configText, configStyle: true),
            ssoSessions: parseINI(configText, configStyle: true, sectionPrefix: "sso-session "))
        loaded.problems = problems
        return loaded
    }

    /// The file's text; `nil` when it is absent (not a problem) or unusable (a problem noted).
    static func read(_ path: String, problems: inout [String]) -> String? {
        var isDirectory: ObjCBool = false
        guard path != "/dev/null", FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        if isDirectory.boolValue {
            problems.append("\(path) is a folder, not a file: remove it or point AWS_SHARED_CREDENTIALS_FILE/AWS_CONFIG_FILE at the file")
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            problems.append("\(path) cannot be read (permissions?): make it readable by this user")
            return nil
        }
        guard let text = String(data: data, encoding: .utf8), !text.unicodeScalars.contains(where: { $0.value == 0 }) else {
            problems.append("\(path) is not a text file: restore it (aws configure writes it)")
            return nil
        }
        let meaningful = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty && !$0.hasPrefix("#") && !$0.hasPrefix(";")
        }
        if let first = meaningful.first, !first.hasPrefix("[") {
            problems.append("\(path) does not start with a [profile] section, so nothing in it is read: fix its first line")
        }
        return text
    }

    static func expand(_ path: String, home: String) -> String {
        path.hasPrefix("~/") ? home + path.dropFirst(1) : path
    }

    /// INI as the AWS CLI reads it: `#`/`;` comments, `key = value`, indented lines belong
    /// to a nested block (e.g. `s3 =`) and are skipped, section names trimmed. With a
    /// `sectionPrefix` (e.g. `sso-session `) only those sections are read, named without it.
    static func parseINI(_ text: String, configStyle: Bool, sectionPrefix: String? = nil) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        var nested = false
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let line = rawLine.replacingOccurrences(of: "\r", with: "")
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            if trimmed.hasPrefix("[") && trimmed.hasSuffix("]") {
                var name = String(trimmed.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                if let sectionPrefix {
                    guard name.hasPrefix(sectionPrefix) else {
                        current = nil
                        continue
                    }
                    name = String(name.dropFirst(sectionPrefix.count)).trimmingCharacters(in: .whitespaces)
                } else if configStyle {
                    if name.hasPrefix("profile ") {
                        name = String(name.dropFirst("profile ".count)).trimmingCharacters(in: .whitespaces)
                    } else if name != "default" {
                        // `[sso-session x]`, `[services x]`: not profiles.
                        current = nil
                        continue
                    }
                }
                current = name
                sections[name, default: [:]] = sections[name] ?? [:]
                nested = false
                continue
            }
            guard let section = current else { continue }
            if line.first == " " || line.first == "\t" {
                if nested { continue }
            }
            guard let equals = trimmed.firstIndex(of: "=") else { continue }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            // Inline comments need whitespace before them, as in the CLI.
            if let range = value.range(of: " #") ?? value.range(of: " ;") { value = String(value[..<range.lowerBound]).trimmingCharacters(in: .whitespaces) }
            nested = value.isEmpty
            if !nested { sections[section, default: [:]][key] = value }
        }
        return sections
    }

    /// A key of a profile: the credentials file wins over the config file.
    public func value(_ key: String, profile: String) -> String? {
        credentialsFile[profile]?[key] ?? configFile[profile]?[key]
    }

    /// Whether either file has a section for `profile`.
    public func hasProfile(_ profile: String) -> Bool {
        credentialsFile[profile] != nil || configFile[profile] != nil
    }
}
