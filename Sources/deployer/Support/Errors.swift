import AWSCore
import ArgumentParser
import DeployKit
import Foundation

/// Prints a one-line error and exits non-zero; secrets never reach these messages.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) {
        self.description = description
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data(("error: " + text + "\n").utf8))
}

/// A line on stderr that is not an error (a chosen detach, a note after a signal).
func printNote(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
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
