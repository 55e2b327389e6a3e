/// Guesses service and region from an AWS host name (`glue.eu-west-1.amazonaws.com`,
/// `bucket.s3.us-east-1.amazonaws.com`, `s3.amazonaws.com`, `sts.amazonaws.com`).
public enum HostInference {
    /// The service and region `hostHeader` names (a port is ignored), or two `nil`s when it is
    /// not an AWS host. A host without a region (`s3.amazonaws.com`, `sts.amazonaws.com`) is
    /// taken as `us-east-1`; `s3-REGION` hosts give their region.
    public static func infer(_ hostHeader: String) -> (service: String?, region: String?) {
        let host = hostHeader.split(separator: ":").first.map(String.init)?.lowercased() ?? hostHeader.lowercased()
        var labels = host.split(separator: ".").map(String.init)
        if labels.suffix(2) == ["amazonaws", "com"] {
            labels.removeLast(2)
        } else if labels.suffix(3) == ["amazonaws", "com", "cn"] {
            labels.removeLast(3)
        } else {
            return (nil, nil)
        }
        if let s3 = labels.lastIndex(where: { $0 == "s3" || $0.hasPrefix("s3-") }) {
            let rest = labels[(s3 + 1)...]
            let dashed = labels[s3].hasPrefix("s3-") ? String(labels[s3].dropFirst(3)) : nil
            return ("s3", rest.first ?? dashed ?? "us-east-1")
        }
        guard let service = labels.first else { return (nil, nil) }
        if labels.count == 1 { return (service, "us-east-1") }
        return (service, labels[1])
    }
}
