import AWSCore
import Foundation
import Yams

/// Terraform outputs, read once when the first `${tf.…}` is met.
struct TerraformOutputs {
    let source: String?
    let directory: String
    var loaded: [String: JSONValue]?

    init(source: String?, directory: String) {
        self.source = source
        self.directory = directory
    }

    /// The output's value as text: a string as it is, a number in its shortest form, a boolean
    /// as `true`/`false` (as Terraform prints it). A value with a control character is refused,
    /// as the same in YAML is: it would flow into job arguments and names unseen.
    mutating func value(_ name: String) throws -> String {
        if loaded == nil { loaded = try load() }
        guard let entry = loaded?[name] else {
            throw DeployError(
                "terraform output '\(name)' does not exist in \(source ?? "?") (outputs: \((loaded ?? [:]).keys.sorted().joined(separator: ", ")))")
        }
        let text: String
        switch entry["value"] ?? entry {
        case .string(let string): text = string
        case .bool(let bool): text = bool ? "true" : "false"
        case .number(let number):
            text = number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        default:
            throw DeployError(
                "terraform output '\(name)' in \(source ?? "?") is not a string, number or boolean: give deployer one of those (a list or map needs its own output)"
            )
        }
        if let bad = text.unicodeScalars.first(where: { $0.properties.generalCategory == .control }) {
            throw DeployError(
                "terraform output '\(name)' in \(source ?? "?") holds a control character (U+\(String(format: "%04X", bad.value))): fix the output's value in terraform"
            )
        }
        return text
    }

    func load() throws -> [String: JSONValue] {
        guard let source else {
            throw DeployError("${tf.…} needs terraform outputs: pass --tf-outputs FILE|DIR or set terraform_outputs in the manifest")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
            throw DeployError("terraform outputs \(source) does not exist: run 'terraform output -json > FILE' or point at the terraform directory")
        }
        let data: Data
        if isDirectory.boolValue {
            let result = try Subprocess.run(["terraform", "-chdir=\(source)", "output", "-json"])
            guard result.status == 0 else {
                throw DeployError("'terraform -chdir=\(source) output -json' failed (exit \(result.status)): run terraform init/apply there first")
            }
            data = result.output
        } else {
            // Bounded, and a refusal named as one (Foundation's text for it is not a message).
            let limit = 16 << 20
            guard let handle = FileHandle(forReadingAtPath: source) else {
                throw DeployError("cannot read terraform outputs \(source): permission denied or not a file; pass the file 'terraform output -json' wrote")
            }
            defer { try? handle.close() }
            guard let read = try? handle.read(upToCount: limit + 1) else {
                throw DeployError("cannot read terraform outputs \(source): pass the file 'terraform output -json' wrote")
            }
            guard read.count <= limit else { throw DeployError("terraform outputs \(source) is larger than \(limit) bytes: is --tf-outputs the right file?") }
            data = read
        }
        guard let object = try? JSONDecoder().decode([String: JSONValue].self, from: data) else {
            throw DeployError("terraform outputs \(source) are not the JSON of 'terraform output -json'")
        }
        return object
    }
}
