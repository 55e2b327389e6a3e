import Foundation
import SigV4

/// Where `--debug` lines go. Every line is redacted before it is written: the signature in
/// `Authorization`, session tokens and presigned-URL signatures never appear.
public struct DebugLog: Sendable {
    let write: @Sendable (String) -> Void

    /// A log that hands each line, already redacted, to `write`.
    public init(write: @escaping @Sendable (String) -> Void) {
        self.write = write
    }

    /// Lines to standard error.
    public static let standardError = DebugLog { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Logs one attempt: request line, headers (secrets redacted) and body size.
    public func request(_ request: HTTPRequest, attempt: Int) {
        write("> [attempt \(attempt)] \(request.method) \(Redaction.url(request.url))")
        for header in request.headers {
            write("> \(header.name): \(Redaction.headerValue(name: header.name, value: header.value))")
        }
        write("> (body: \(request.body.length) bytes)")
    }

    /// Logs an answer: status, time taken, headers (secrets redacted) and body size.
    public func response(_ response: HTTPResponse, elapsed: Duration) {
        write("< \(response.status) after \(elapsed.formatted(.units(allowed: [.milliseconds])))")
        for header in response.headers {
            write("< \(header.name): \(Redaction.headerValue(name: header.name, value: header.value))")
        }
        write("< (body: \(response.body.count) bytes)")
    }

    /// Logs a free-form line (a retry, a skew correction), marked with `*`.
    public func note(_ text: String) {
        write("* \(text)")
    }
}

/// Removes secrets from anything printed.
public enum Redaction {
    static let secretHeaders: Set<String> = ["x-amz-security-token", "x-aws-ec2-metadata-token", "x-amz-sso_bearer_token", "cookie", "set-cookie"]

    /// `value` as it may be printed: the signature of `Authorization` hidden, session and
    /// metadata tokens, the SSO bearer token and cookies replaced whole.
    public static func headerValue(name: String, value: String) -> String {
        let lowered = name.lowercased()
        if lowered == "authorization" { return authorization(value) }
        if secretHeaders.contains(lowered) { return "<redacted>" }
        return value
    }

    /// Keeps the algorithm, credential scope and signed headers; hides the signature.
    public static func authorization(_ value: String) -> String {
        guard let range = value.range(of: "Signature=") else { return "<redacted>" }
        return value[..<range.upperBound] + "<redacted>"
    }

    /// Makes text from a library error safe to print on one line: control characters become
    /// `?`, anything after `Signature=` or `Credential=` is cut, and it is kept short.
    public static func scrub(_ text: String, limit: Int = 300) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            if result.unicodeScalars.count >= limit {
                result += "…"
                break
            }
            result.unicodeScalars.append(scalar.value < 0x20 || scalar.value == 0x7F ? "?" : scalar)
        }
        for marker in ["Signature=", "Credential=", "X-Amz-Security-Token", "Authorization"] {
            if let range = result.range(of: marker, options: .caseInsensitive) { result = result[..<range.lowerBound] + "<redacted>" }
        }
        return result
    }

    /// Hides `X-Amz-Signature`, `X-Amz-Security-Token` and `X-Amz-Credential`-free secrets in a URL.
    public static func url(_ text: String) -> String {
        guard let question = text.firstIndex(of: "?") else { return text }
        let base = text[..<question]
        let query = text[text.index(after: question)...].split(separator: "&").map { pair -> String in
            let name = pair.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            let lowered = name.lowercased()
            if lowered == "x-amz-signature" || lowered == "x-amz-security-token" || lowered == "signature" { return "\(name)=<redacted>" }
            return String(pair)
        }
        return base + "?" + query.joined(separator: "&")
    }
}
