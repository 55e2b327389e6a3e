import Foundation

/// Decompresses gzip via the system's `gzip -dc` (present on every Linux host deployer
/// targets), keeping zlib out of the static binary.
enum Gunzip {
    static func text(_ bytes: [UInt8]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let writer = Thread {
            input.fileHandleForWriting.write(Data(bytes))
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw DeployError("a driver log is not valid gzip") }
        return String(decoding: data, as: UTF8.self)
    }
}
