import AWSCore
import ArgumentParser
import DeployKit
import Foundation

/// Flags of every command that reads `deployer.yml`.
struct ManifestFlags: ParsableArguments {
    @Option(name: [.short, .long], help: "The manifest.")
    var file = "deployer.yml"

    @Option(name: .customLong("var"), help: ArgumentHelp("A ${var.NAME} value, NAME=VALUE; repeatable (also DEPLOYER_VAR_NAME).", valueName: "NAME=VALUE"))
    var variables: [String] = []

    @Option(help: ArgumentHelp("A 'terraform output -json' file or a terraform directory, for ${tf.OUTPUT}.", valueName: "PATH"))
    var tfOutputs: String?

    func validate() throws {
        for variable in variables where !variable.contains("=") || variable.hasPrefix("=") {
            throw ValidationError("--var '\(variable)' is not NAME=VALUE")
        }
    }

    func load(target: String? = nil) throws -> Manifest {
        var values: [String: String] = [:]
        for variable in variables {
            let parts = variable.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            values[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return try ManifestLoader(variables: values, terraformOutputs: tfOutputs).load(file: file, target: target)
    }
}

struct TargetFlag: ParsableArguments {
    @Option(name: [.short, .long], help: "The target (default: the manifest's default_target, else local).")
    var target: String?
}

/// Manifest + target + AWS session, built once per command.
struct CommandContext {
    let context: DeployContext
    let session: AWSSession?

    init(manifest flags: ManifestFlags, target: String?, aws: AWSFlags) throws {
        let manifest = try flags.load(target: target)
        var session: AWSSession?
        let chosen = try manifest.target(target)
        context = try DeployContext.make(manifest: manifest, targetName: target, makeClient: { region in
            var awsFlags = aws
            if awsFlags.region == nil { awsFlags.region = chosen.region ?? region }
            let made = try AWSSession(flags: awsFlags)
            session = made
            return made.client
        }, log: { line in FileHandle.standardError.write(Data((line + "\n").utf8)) })
        self.session = session
    }

    func shutdown() async {
        await session?.shutdown()
    }

    /// Runs a manifest command's body with its context, then shuts the AWS session down (awaited,
    /// whether the body succeeded or failed); errors become one `error:` line as in `failing`.
    static func run<T>(manifest: ManifestFlags, target: String?, aws: AWSFlags, _ body: (CommandContext) async throws -> T) async throws -> T {
        try await failing {
            let command = try CommandContext(manifest: manifest, target: target, aws: aws)
            do {
                let result = try await body(command)
                await command.shutdown()
                return result
            } catch {
                // AccessDenied names who, what, where, and which Terraform module grants it.
                if let denied = AccessAdvice.accessDenied(in: error) {
                    let principal = try? await command.context.callerIdentity()
                    await command.shutdown()
                    var text = AccessAdvice.explain(denied, principal: principal, target: command.context.target.name)
                    if let failure = error as? DeployFailure { text += " (\(failure.summary))" }
                    throw CommandFailure(text)
                }
                await command.shutdown()
                throw error
            }
        }
    }
}

/// Runs a command body, turning every error into one `error:` line and exit 1.
func failing<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch let interrupted as Interrupted {
        printError("\(interrupted)")
        throw ExitCode(128 + interrupted.signal)
    } catch let issues as ManifestLoader.LoadError {
        FileHandle.standardError.write(Data((issues.description + "\n").utf8))
        throw ExitCode(1)
    } catch {
        printError("\(error)")
        throw ExitCode(1)
    }
}

/// Asks on the terminal unless --auto-approve; refuses when there is no terminal to ask.
func confirm(_ question: String, autoApprove: Bool) throws {
    if autoApprove { return }
    guard isatty(STDIN_FILENO) != 0 else {
        throw CommandFailure("\(question) needs confirmation and there is no terminal: pass --auto-approve")
    }
    FileHandle.standardError.write(Data("\(question) Type 'yes' to continue: ".utf8))
    guard readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else {
        throw CommandFailure("not confirmed: nothing was changed")
    }
}

/// `30s`, `10m`, `1h30m`, `2h`, or plain seconds.
func parseDuration(_ text: String) -> Duration? {
    if let seconds = Int(text), seconds > 0 { return .seconds(seconds) }
    var total = 0
    var number = ""
    for character in text {
        if character.isNumber {
            number.append(character)
            continue
        }
        guard let value = Int(number) else { return nil }
        switch character {
        case "s": total += value
        case "m": total += value * 60
        case "h": total += value * 3600
        case "d": total += value * 86_400
        default: return nil
        }
        number = ""
    }
    guard number.isEmpty, total > 0 else { return nil }
    return .seconds(total)
}

var snakeEncoder: JSONEncoder {
    let encoder = JSONEncoder.pretty
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return encoder
}

func printSnakeJSON<T: Encodable>(_ value: T) throws {
    print(String(decoding: try snakeEncoder.encode(value), as: UTF8.self))
}
