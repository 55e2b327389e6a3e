import Foundation

/// What `run --wait` exits with, whatever prints it: 0 succeeded, 1 failed, 3 cancelled (or
/// interrupted and cancelled), 4 timed out, 128 + N detached on signal N.
public enum RunExit {
    /// A cancelled run, or one interrupted and cancelled.
    public static let interrupted: Int32 = 3
    /// A run that timed out (on the engine or in the wait).
    public static let timedOut: Int32 = 4

    /// The exit status for a run that ended in `state`: 0 succeeded, 3 cancelled, 4 timed out,
    /// 1 otherwise.
    public static func status(_ state: RunState) -> Int32 {
        switch state {
        case .succeeded: return 0
        case .cancelled: return interrupted
        case .timedOut: return timedOut
        default: return 1
        }
    }

    /// 128 + `signal`, for a wait left on a signal while the run goes on.
    public static func detached(signal: Int32) -> Int32 { 128 + signal }
}
