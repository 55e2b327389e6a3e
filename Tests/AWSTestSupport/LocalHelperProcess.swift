import Foundation

/// A small Python stand-in server the tests start on 127.0.0.1 (a proxy, an SSO portal): it
/// prints `port N` once listening and exits when its stdin closes, so it cannot outlive the
/// test even when the test dies.
public final class LocalHelperProcess {
    public let port: Int
    private let process: Process
    private let input: Pipe

    /// Starts `python3 script arguments…` and waits for its `port N` line.
    public init(script: String, arguments: [String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script] + arguments
        let output = Pipe()
        input = Pipe()
        process.standardOutput = output
        process.standardInput = input
        // Not the test's stderr: a helper holding it would keep `swift test` waiting.
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "port ", with: "")) else {
            process.terminate()
            throw HelperError(description: "\(script) did not start: '\(line)'")
        }
        self.port = port
    }

    public func stop() {
        try? input.fileHandleForWriting.close()
        process.terminate()
    }

    deinit { stop() }

    public struct HelperError: Error, CustomStringConvertible {
        public let description: String
    }
}
