import Foundation

/// Runs a short helper command (git, terraform, python, gzip) found on PATH and captures its
/// standard output; standard error is discarded. For the detached Spark run, see LocalEngine.
enum Subprocess {
    struct Result {
        let status: Int32
        let output: Data
        var text: String { String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    static func run(_ arguments: [String], input: [UInt8]? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let stdin = input.map { _ in Pipe() }
        process.standardInput = stdin ?? FileHandle.nullDevice
        try process.run()
        if let input, let stdin {
            // Written from another thread so a large input cannot deadlock against the output pipe.
            let writer = Thread {
                stdin.fileHandleForWriting.write(Data(input))
                try? stdin.fileHandleForWriting.close()
            }
            writer.start()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: data)
    }
}
