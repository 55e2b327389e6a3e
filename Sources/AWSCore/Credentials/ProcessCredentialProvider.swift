import Foundation

/// `credential_process`: runs the command and reads the JSON it prints
/// (`Version: 1`, `AccessKeyId`, `SecretAccessKey`, optional `SessionToken`, `Expiration`).
public struct ProcessCredentialProvider: CredentialProvider {
    let command: String
    let profile: String
    /// The AWS CLI waits forever; deployer does not (a prompt nobody answers in CI, say).
    let timeout: Duration

    /// Runs `command` with `/bin/sh -c` for `profile`, and stops it after `timeout`.
    public init(command: String, profile: String, timeout: Duration = .seconds(60)) {
        self.command = command
        self.profile = profile
        self.timeout = timeout
    }

    /// The credentials the command printed; never `nil` (the profile asked for it). Throws when
    /// it cannot start, times out, exits non-zero, or prints anything but a `Version: 1` object
    /// with both keys (and an ISO 8601 `Expiration`, if any).
    public func resolve() async throws -> ResolvedCredentials? {
        let result: BoundedProcess.Result
        do {
            result = try BoundedProcess.run("/bin/sh", ["-c", command], timeout: timeout, name: "profile \(profile): credential_process")
        } catch let error as BoundedProcess.TimedOut {
            throw CredentialError("\(error): make it finish, or give it what it waits for")
        } catch {
            throw CredentialError("profile \(profile): credential_process could not start: \(error)")
        }
        guard result.status == 0 else {
            throw CredentialError("profile \(profile): credential_process exited with status \(result.status)")
        }
        let data = result.output
        guard let object = try? JSONValue.decode(Array(data)), object.objectValue != nil else {
            throw CredentialError("profile \(profile): credential_process did not print a JSON object")
        }
        guard object["Version"]?.numberValue == 1 else {
            throw CredentialError("profile \(profile): credential_process output needs \"Version\": 1")
        }
        guard let accessKey = object["AccessKeyId"]?.stringValue, let secret = object["SecretAccessKey"]?.stringValue else {
            throw CredentialError("profile \(profile): credential_process output lacks AccessKeyId or SecretAccessKey")
        }
        var expiration: Date?
        if let text = object["Expiration"]?.stringValue {
            guard let parsed = CredentialDates.parse(text) else {
                throw CredentialError("profile \(profile): credential_process Expiration '\(text)' is not ISO 8601")
            }
            expiration = parsed
        }
        return ResolvedCredentials(
            credentials: .init(accessKeyId: accessKey, secretAccessKey: secret, sessionToken: object["SessionToken"]?.stringValue, expiration: expiration),
            source: "credential_process (profile \(profile))")
    }
}
