/// A raw HTTP/1.1 request as text: request line, `Name: value` header lines (folded
/// continuation lines kept as part of the value), a blank line, then the body.
///
/// Used by `deployer sign` and by the conformance tests, whose files use this form.
public struct RawHTTPRequest: Sendable, Equatable {
    /// The method from the request line.
    public var method: String
    /// The request target exactly as written (path and optional `?query`).
    public var target: String
    /// The HTTP version from the request line; `HTTP/1.1` when the line has none.
    public var version: String
    /// The headers in file order, names as written, values without their leading blanks.
    public var headers: [HTTPHeader]
    /// Everything after the blank line that ends the headers (empty when there is none).
    public var body: [UInt8]

    /// Why a raw request could not be read; the description says what form was expected.
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        /// The input is empty or its first line is blank.
        case missingRequestLine
        /// The request line (given) lacks a method or a target.
        case badRequestLine(String)
        /// A header line (its 1-based line number and text) has no `:`, or nothing before it.
        case badHeaderLine(Int, String)

        /// One line naming the bad input and the form expected.
        public var description: String {
            switch self {
            case .missingRequestLine:
                return "the request is empty: expected a request line such as 'GET /path HTTP/1.1'"
            case .badRequestLine(let line):
                return "bad request line '\(line)': expected 'METHOD TARGET HTTP/1.1'"
            case .badHeaderLine(let number, let line):
                return "line \(number): bad header '\(line)': expected 'Name: value'"
            }
        }
    }

    /// A request from its parts; nothing is checked.
    public init(method: String, target: String, version: String = "HTTP/1.1", headers: [HTTPHeader], body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
    }

    /// Parses `bytes`. Lines may end in LF or CRLF.
    public static func parse(_ bytes: [UInt8]) throws -> RawHTTPRequest {
        var lines: [String] = []
        var start = 0
        var index = 0
        var bodyStart: Int?
        while index < bytes.count {
            if bytes[index] == 0x0A {
                var end = index
                if end > start, bytes[end - 1] == 0x0D { end -= 1 }
                let line = String(decoding: bytes[start..<end], as: UTF8.self)
                start = index + 1
                if line.isEmpty, !lines.isEmpty {
                    bodyStart = start
                    break
                }
                lines.append(line)
            }
            index += 1
        }
        if bodyStart == nil, start < bytes.count {
            lines.append(String(decoding: bytes[start...], as: UTF8.self))
        }
        guard let requestLine = lines.first, !requestLine.isEmpty else { throw ParseError.missingRequestLine }
        guard let firstSpace = requestLine.firstIndex(of: " ") else { throw ParseError.badRequestLine(requestLine) }
        let method = String(requestLine[..<firstSpace])
        var rest = requestLine[requestLine.index(after: firstSpace)...]
        var version = "HTTP/1.1"
        if let lastSpace = rest.lastIndex(of: " "), rest[rest.index(after: lastSpace)...].hasPrefix("HTTP/") {
            version = String(rest[rest.index(after: lastSpace)...])
            rest = rest[..<lastSpace]
        }
        guard !method.isEmpty, !rest.isEmpty else { throw ParseError.badRequestLine(requestLine) }
        var headers: [HTTPHeader] = []
        for (offset, line) in lines.dropFirst().enumerated() {
            if let first = line.first, first == " " || first == "\t", !headers.isEmpty {
                headers[headers.count - 1].value += "\n" + line
                continue
            }
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                throw ParseError.badHeaderLine(offset + 2, line)
            }
            let name = String(line[..<colon])
            var value = line[line.index(after: colon)...]
            while value.first == " " || value.first == "\t" { value = value.dropFirst() }
            headers.append(HTTPHeader(name, String(value)))
        }
        let body = bodyStart.map { Array(bytes[$0...]) } ?? []
        return RawHTTPRequest(method: method, target: String(rest), version: version, headers: headers, body: body)
    }

    /// The request for signing: the target's path as the wire path, its query decoded.
    public var signingRequest: SigningRequest {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0])
        var query: [QueryItem] = []
        if parts.count == 2, !parts[1].isEmpty {
            for pair in parts[1].split(separator: "&", omittingEmptySubsequences: true) {
                let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = URIEncoding.decodeToString(keyValue[0])
                let value = keyValue.count > 1 ? URIEncoding.decodeToString(keyValue[1]) : ""
                query.append(QueryItem(name, value))
            }
        }
        return SigningRequest(method: method, path: path, query: query, headers: headers)
    }

    /// Renders a signed request back as raw HTTP: request line, headers, blank line, body.
    public static func render(_ request: SigningRequest, version: String = "HTTP/1.1", body: [UInt8] = []) -> [UInt8] {
        var text = "\(request.method) \(request.target) \(version)\n"
        for header in request.headers {
            text += "\(header.name):\(header.value)\n"
        }
        text += "\n"
        return Array(text.utf8) + body
    }
}
