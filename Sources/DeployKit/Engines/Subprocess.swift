import AWSCore
import Foundation

/// Runs a short helper command (git, terraform, python, gzip) found on PATH and captures its
/// standard output; standard error is discarded; a helper that hangs is stopped after
/// `timeout`. For the detached Spark run, see LocalEngine.
enum Subprocess {
    typealias Result = BoundedProcess.Result

    static func run(_ arguments: [String], input: [UInt8]? = nil, timeout: Duration = .seconds(120)) throws -> Result {
        do {
            return try BoundedProcess.run("/usr/bin/env", arguments, input: input, timeout: timeout, name: "'\(arguments.prefix(3).joined(separator: " "))'")
        } catch let error as BoundedProcess.TimedOut {
            throw DeployError("\(error)")
        }
    }

    /// The first executable `name` in the directories of `environment`'s `PATH`.
    static func onPath(_ name: String, _ environment: [String: String]) -> String? {
        for directory in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
