import Foundation

/// Runs a helper program (`credential_process`, git, terraform, python) with a time limit:
/// a helper that never exits must not hang `deployer`. Standard output is captured (bounded),
/// standard error discarded.
public enum BoundedProcess {
    /// How a helper ended and what it printed.
    public struct Result: Sendable {
        /// The exit status.
        public let status: Int32
        /// Standard output, byte for byte.
        public let output: Data
        /// Standard output as UTF-8 text, surrounding whitespace trimmed.
        public var text: String { String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// The helper was stopped: it ran past its time limit, or printed more than `maximumOutput`.
    public struct TimedOut: Error, CustomStringConvertible {
        /// The helper's name as given to `run` (with a note when it printed too much).
        public let command: String
        /// The time limit in whole seconds.
        public let seconds: Int
        /// Says what was stopped and after how long.
        public var description: String { "\(command) did not finish within \(seconds) s and was stopped" }
    }

    /// Most a helper may print before it is stopped: answers here are small.
    public static let maximumOutput = 16 << 20

    /// Runs `executable` with `arguments`, `input` on its standard input (else nothing) and
    /// `environment` (else ours); `name` is what messages call it. Returns the exit status and
    /// output whatever the status. Throws `TimedOut` when it outlives `timeout` (at least 1 s),
    /// prints more than `maximumOutput`, or does not exit within 5 s of closing its output;
    /// rethrows the error when it cannot be started.
    public static func run(
        _ executable: String, _ arguments: [String], input: [UInt8]? = nil, environment: [String: String]? = nil,
        timeout: Duration, name: String
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let stdin = input.map { _ in Pipe() }
        process.standardInput = stdin ?? FileHandle.nullDevice
        try process.run()
        if let input, let stdin {
            // Written from another thread so a large input cannot deadlock against the output pipe.
            Thread {
                stdin.fileHandleForWriting.write(Data(input))
                try? stdin.fileHandleForWriting.close()
            }.start()
        }
        final class Collected: @unchecked Sendable {
            let lock = NSLock()
            var data = Data()
            var overflow = false
        }
        let collected = Collected()
        let finished = DispatchSemaphore(value: 0)
        let reader = output.fileHandleForReading
        Thread {
            while true {
                let piece = reader.availableData
                if piece.isEmpty { break }
                let full: Bool = collected.lock.withLock {
                    collected.data.append(piece)
                    if collected.data.count > maximumOutput { collected.overflow = true }
                    return collected.overflow
                }
                if full { break }
            }
            finished.signal()
        }.start()
        let seconds = Int(timeout.components.seconds)
        if finished.wait(timeout: .now() + .seconds(max(1, seconds))) == .timedOut || collected.lock.withLock({ collected.overflow }) {
            let overflow = collected.lock.withLock { collected.overflow }
            process.terminate()
            usleep(200_000)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            if overflow { throw TimedOut(command: name + " (printed more than \(maximumOutput >> 20) MiB)", seconds: seconds) }
            throw TimedOut(command: name, seconds: seconds)
        }
        // Output is closed; the process itself gets a moment to exit.
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            throw TimedOut(command: name, seconds: seconds)
        }
        return Result(status: process.terminationStatus, output: collected.lock.withLock { collected.data })
    }
}
