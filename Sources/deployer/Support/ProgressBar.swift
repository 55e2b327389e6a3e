import AWSCore
import ArgumentParser
import DeployKit
import Foundation

/// A progress bar for uploads, on a terminal only.
enum ProgressBar {
    static func callback() -> (@Sendable (String, UInt64, UInt64) -> Void)? {
        guard isatty(STDERR_FILENO) != 0 else { return nil }
        return { name, done, total in
            let width = 30
            let filled = total == 0 ? width : Int(Double(done) / Double(total) * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let line = "\r\(name) [\(bar)] \(done / 1_048_576)/\(total / 1_048_576) MiB" + (done >= total ? "\n" : "")
            FileHandle.standardError.write(Data(line.utf8))
        }
    }
}
