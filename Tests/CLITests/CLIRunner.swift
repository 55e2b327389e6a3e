import Foundation
import XCTest

/// Runs the built `deployer` binary as a user would and captures what it prints.
struct CLIResult {
    let status: Int32
    let stdout: String
    let stderr: String
    var all: String { stdout + stderr }
}

enum CLI {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["DEPLOYER_BIN"] { return path }
        return repoRoot.appendingPathComponent(".build/debug/deployer").path
    }

    /// Runs with a clean environment: only what the test passes, plus PATH and HOME.
    static func run(_ arguments: [String], environment: [String: String] = [:], stdin: String? = nil, cwd: String? = nil) throws -> CLIResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": "/nonexistent-home", "AWS_EC2_METADATA_DISABLED": "true"]
        env.merge(environment) { $1 }
        process.environment = env
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLIResult(
            status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self), stderr: String(decoding: stderrData, as: UTF8.self))
    }
}
