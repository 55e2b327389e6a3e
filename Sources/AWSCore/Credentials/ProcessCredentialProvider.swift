import Foundation

/// `credential_process`: runs the command and reads the JSON it prints
/// (`Version: 1`, `AccessKeyId`, `SecretAccessKey`, optional `SessionToken`, `Expiration`).
public struct ProcessCredentialProvider: CredentialProvider {
    let command: String
    let profile: String

    public init(command: String, profile: String) {
        self.command = command
        self.profile = profile
    }

    public func resolve() async throws -> ResolvedCredentials? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw CredentialError("profile \(profile): credential_process could not start: \(error)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        _ = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CredentialError("profile \(profile): credential_process exited with status \(process.terminationStatus)")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw CredentialError("profile \(profile): credential_process did not print a JSON object")
        }
        guard (object["Version"] as? Int) == 1 else {
            throw CredentialError("profile \(profile): credential_process output needs \"Version\": 1")
        }
        guard let accessKey = object["AccessKeyId"] as? String, let secret = object["SecretAccessKey"] as? String else {
            throw CredentialError("profile \(profile): credential_process output lacks AccessKeyId or SecretAccessKey")
        }
        var expiration: Date?
        if let text = object["Expiration"] as? String {
            guard let parsed = CredentialDates.parse(text) else {
                throw CredentialError("profile \(profile): credential_process Expiration '\(text)' is not ISO 8601")
            }
            expiration = parsed
        }
        return ResolvedCredentials(
            credentials: .init(accessKeyId: accessKey, secretAccessKey: secret, sessionToken: object["SessionToken"] as? String, expiration: expiration),
            source: "credential_process (profile \(profile))")
    }
}
