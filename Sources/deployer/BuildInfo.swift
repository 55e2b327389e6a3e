/// What the binary was built from. The release build (.github/scripts/build-release.sh) writes
/// the commit here before compiling and puts the file back after; a development build says so.
enum BuildInfo {
    static let commit: String? = nil

    /// `0.1.0 (commit 0123456789ab)`, or `0.1.0 (development build)`.
    static func version(_ number: String) -> String {
        number + (commit.map { " (commit \($0))" } ?? " (development build)")
    }
}
