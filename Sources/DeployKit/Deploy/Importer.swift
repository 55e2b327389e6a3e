import AWSCore
import Foundation

/// `deployer import`: the manifest YAML for a job that exists in the engine, so it can be put
/// under deployer (each engine plug-in writes its own, with these helpers). The settings it carries (workers, version, timeout, concurrency, retries,
/// arguments, role) round-trip: the next plan changes none of them. What deployer itself sets
/// (the script and code.zip of the artifact built from the repository, its own default
/// arguments, the description) changes on the first apply, by design.
public enum Importer {
    /// A key for `jobs:` from an engine name (`Sales ETL v2` → `Sales_ETL_v2`).
    static func manifestKey(_ name: String) -> String {
        var key = String(name.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "_" }.prefix(64))
        if key.first.map({ !$0.isLetter }) ?? true { key = "job_" + key.prefix(59) }
        return key
    }

    /// YAML's double-quoted scalar (JSON's string syntax is valid YAML).
    static func quote(_ text: String) -> String {
        String(decoding: (try? JSONValue.string(text).encoded()) ?? Array("\"\"".utf8), as: UTF8.self)
    }
}
