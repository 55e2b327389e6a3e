import AWSCore
import ArgumentParser
import DeployKit
import Foundation

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
