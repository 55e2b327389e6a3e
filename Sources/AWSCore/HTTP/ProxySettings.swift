import Foundation

/// Outbound proxies from the environment, as the AWS CLI and SDKs read them: `HTTPS_PROXY` for
/// https URLs, `HTTP_PROXY` for http ones (lower-case names win when both are set), and
/// `NO_PROXY` for hosts reached directly. Loopback hosts are always reached directly (as Go's
/// `ProxyFromEnvironment` does): a proxy cannot reach this machine's own 127.0.0.1.
public struct ProxySettings: Sendable, Equatable {
    /// One proxy: plain HTTP to the proxy, then `CONNECT` tunnels to the target.
    public struct Proxy: Sendable, Equatable {
        /// The proxy's host.
        public var host: String
        /// The proxy's port (80 when the URL has none).
        public var port: Int
        /// The user for the proxy's basic authentication, decoded from the URL.
        public var username: String?
        /// The password for it, decoded from the URL.
        public var password: String?
        /// Which variable it came from (for messages; the URL may hold a password).
        public var variable: String

        /// Where and as whom to connect (the variable's name aside).
        var identity: [String] { [host, String(port), username ?? "", password ?? ""] }
    }

    /// The proxy for https URLs (`HTTPS_PROXY`).
    public var https: Proxy?
    /// The proxy for http URLs (`HTTP_PROXY`).
    public var http: Proxy?
    /// `NO_PROXY` entries: `*`, host names (a leading `.` or `*.` for a whole domain), IPv4
    /// addresses or CIDR blocks, each optionally with `:port`.
    public var noProxy: [String]

    /// Settings as given; `fromEnvironment` reads them from the variables.
    public init(https: Proxy? = nil, http: Proxy? = nil, noProxy: [String] = []) {
        self.https = https
        self.http = http
        self.noProxy = noProxy
    }

    /// Reads `https_proxy`, `http_proxy` and `no_proxy` (lower-case names first, then
    /// upper-case; empty values ignored). Throws `TransportError` when a proxy is not an
    /// `http://` URL (a bare `host:port` counts as one).
    public static func fromEnvironment(_ environment: [String: String]) throws -> ProxySettings {
        func value(_ name: String) -> (String, String)? {
            for variable in [name.lowercased(), name.uppercased()] {
                if let text = environment[variable]?.trimmingCharacters(in: .whitespaces), !text.isEmpty { return (variable, text) }
            }
            return nil
        }
        let noProxy = (value("no_proxy")?.1 ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        return ProxySettings(https: try value("https_proxy").map(parse), http: try value("http_proxy").map(parse), noProxy: noProxy)
    }

    static func parse(_ setting: (variable: String, url: String)) throws -> Proxy {
        // `host:port` without a scheme is common in the wild and means http://.
        let text = setting.url.contains("://") ? setting.url : "http://" + setting.url
        guard let components = URLComponents(string: text), let host = components.host, !host.isEmpty else {
            throw TransportError(.connect, "\(setting.variable) is not a proxy URL: use http://host:port")
        }
        guard components.scheme?.lowercased() == "http" else {
            throw TransportError(.connect, "\(setting.variable): only http:// proxies are supported (the tunnel to AWS is still TLS): use http://host:port")
        }
        return Proxy(
            host: host, port: components.port ?? 80,
            username: components.percentEncodedUser.map { $0.removingPercentEncoding ?? $0 },
            password: components.percentEncodedPassword.map { $0.removingPercentEncoding ?? $0 },
            variable: setting.variable)
    }

    /// The proxy for a request to `scheme://host:port`, or nil to connect directly.
    public func proxy(scheme: String, host: String, port: Int) -> Proxy? {
        guard let proxy = scheme.lowercased() == "https" ? https : http else { return nil }
        return bypasses(host: host, port: port) ? nil : proxy
    }

    func bypasses(host rawHost: String, port: Int) -> Bool {
        let host = rawHost.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if host == "localhost" || host.hasSuffix(".localhost") || host == "::1" || Self.ipv4(host).map({ $0 >> 24 == 127 }) == true { return true }
        // Link-local (169.254.0.0/16: EC2 instance metadata, the ECS/EKS credential endpoints;
        // IMDS over IPv6): no proxy can reach them, so credential lookups never go through one.
        if Self.ipv4(host).map({ $0 >> 16 == 0xA9FE }) == true || host == "fd00:ec2::254" { return true }
        for entry in noProxy {
            if entry == "*" { return true }
            var pattern = entry
            if let colon = pattern.lastIndex(of: ":"), !pattern.contains("]"), pattern.filter({ $0 == ":" }).count == 1 {
                guard Int(pattern[pattern.index(after: colon)...]) == port else { continue }
                pattern = String(pattern[..<colon])
            }
            if pattern.hasPrefix("*.") { pattern.removeFirst() }
            if let slash = pattern.firstIndex(of: "/"), let network = Self.ipv4(String(pattern[..<slash])),
                let bits = Int(pattern[pattern.index(after: slash)...]), (0...32).contains(bits), let address = Self.ipv4(host)
            {
                let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - bits)
                if address & mask == network & mask { return true }
                continue
            }
            if pattern.hasPrefix(".") {
                if host.hasSuffix(pattern) || host == pattern.dropFirst() { return true }
            } else if host == pattern || host.hasSuffix("." + pattern) {
                return true
            }
        }
        return false
    }

    static func ipv4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard let octet = UInt8(part) else { return nil }
            value = value << 8 | UInt32(octet)
        }
        return value
    }
}
