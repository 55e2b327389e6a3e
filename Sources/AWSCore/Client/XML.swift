/// The XML of AWS answers, in one namespace (Foundation has its own `XMLElement` on other
/// platforms).
public enum XML {}

extension XML {
    /// A minimal XML reader for AWS responses (S3, STS, query-protocol errors): elements,
    /// attributes, text, the five predefined entities and numeric character references.
    /// AWS answers are small, well-formed documents without DTDs, so this is all they need,
    /// and it keeps the binary free of libxml2.
    public struct Element: Sendable, Equatable {
        /// The element name as written, namespace prefix included (see `localName`).
        public var name: String
        /// Attributes by name, entities decoded.
        public var attributes: [String: String]
        /// Child elements in document order.
        public var children: [Element]
        /// The element's own text (CDATA included), entities decoded, whitespace kept; the text
        /// inside its children is not part of it.
        public var text: String

        /// The first child named `name` (namespace prefixes ignored).
        public func child(_ name: String) -> Element? {
            children.first { $0.localName == name }
        }

        /// Every child named `name` (namespace prefixes ignored), in document order.
        public func children(_ name: String) -> [Element] {
            children.filter { $0.localName == name }
        }

        /// The text of the first child named `name`.
        public func string(_ name: String) -> String? {
            child(name)?.text
        }

        /// Depth-first search for the first descendant named `name`.
        public func first(_ name: String) -> Element? {
            if localName == name { return self }
            for child in children {
                if let found = child.first(name) { return found }
            }
            return nil
        }

        /// The name without its namespace prefix.
        public var localName: String {
            if let colon = name.lastIndex(of: ":") { return String(name[name.index(after: colon)...]) }
            return name
        }
    }
}

extension XML {
    /// Why a document could not be read: an unclosed or mismatched tag, an unknown entity….
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        /// What was wrong, and where when the parser can tell.
        public let description: String
    }
}

/// Reads AWS's XML answers into `Element`s and escapes text for XML requests.
extension XML {
    /// The root element of `bytes`; a declaration, comments and a DOCTYPE before it are
    /// skipped. Throws `XML.ParseError` when the document is malformed.
    public static func parse(_ bytes: [UInt8]) throws -> Element {
        var parser = Parser(bytes: bytes)
        return try parser.document()
    }

    /// The root element of `text` (its UTF-8 bytes); throws `XML.ParseError` when malformed.
    public static func parse(_ text: String) throws -> Element {
        try parse(Array(text.utf8))
    }

    /// Escapes text for element content or attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }

    struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        mutating func document() throws -> Element {
            while true {
                skipWhitespace()
                if starts(with: "<?") {
                    try skip(past: "?>")
                } else if starts(with: "<!--") {
                    try skip(past: "-->")
                } else if starts(with: "<!") {
                    try skip(past: ">")
                } else {
                    break
                }
            }
            guard index < bytes.count, bytes[index] == UInt8(ascii: "<") else {
                throw XML.ParseError(description: "not an XML document")
            }
            return try element()
        }

        mutating func element() throws -> Element {
            index += 1  // <
            let name = readName()
            guard !name.isEmpty else { throw XML.ParseError(description: "empty element name at byte \(index)") }
            var attributes: [String: String] = [:]
            while true {
                skipWhitespace()
                guard index < bytes.count else { throw XML.ParseError(description: "unterminated <\(name)>") }
                if bytes[index] == UInt8(ascii: "/") {
                    guard index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: ">") else {
                        throw XML.ParseError(description: "bad empty element <\(name)/>")
                    }
                    index += 2
                    return Element(name: name, attributes: attributes, children: [], text: "")
                }
                if bytes[index] == UInt8(ascii: ">") {
                    index += 1
                    break
                }
                let attribute = readName()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else {
                    throw XML.ParseError(description: "attribute \(attribute) of <\(name)> has no value")
                }
                index += 1
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") else {
                    throw XML.ParseError(description: "attribute \(attribute) of <\(name)> is not quoted")
                }
                let quote = bytes[index]
                index += 1
                let start = index
                while index < bytes.count, bytes[index] != quote { index += 1 }
                guard index < bytes.count else { throw XML.ParseError(description: "unterminated attribute \(attribute)") }
                attributes[attribute] = try decodeEntities(bytes[start..<index])
                index += 1
            }
            var children: [Element] = []
            var text: [UInt8] = []
            while true {
                guard index < bytes.count else { throw XML.ParseError(description: "<\(name)> is not closed") }
                if bytes[index] == UInt8(ascii: "<") {
                    if starts(with: "</") {
                        index += 2
                        let closing = readName()
                        guard closing == name else {
                            throw XML.ParseError(description: "</\(closing)> closes <\(name)>")
                        }
                        skipWhitespace()
                        guard index < bytes.count, bytes[index] == UInt8(ascii: ">") else {
                            throw XML.ParseError(description: "bad closing tag </\(closing)")
                        }
                        index += 1
                        return Element(
                            name: name, attributes: attributes, children: children,
                            text: try decodeEntities(text[...]))
                    } else if starts(with: "<!--") {
                        try skip(past: "-->")
                    } else if starts(with: "<![CDATA[") {
                        index += 9
                        let start = index
                        try skip(past: "]]>")
                        // CDATA is literal: re-escape '&' so the entity pass leaves it as is.
                        for byte in bytes[start..<(index - 3)] {
                            if byte == UInt8(ascii: "&") { text.append(contentsOf: Array("&amp;".utf8)) } else { text.append(byte) }
                        }
                    } else {
                        children.append(try element())
                    }
                } else {
                    text.append(bytes[index])
                    index += 1
                }
            }
        }

        func decodeEntities(_ slice: ArraySlice<UInt8>) throws -> String {
            guard slice.contains(UInt8(ascii: "&")) else { return String(decoding: slice, as: UTF8.self) }
            var out: [UInt8] = []
            out.reserveCapacity(slice.count)
            var position = slice.startIndex
            while position < slice.endIndex {
                let byte = slice[position]
                guard byte == UInt8(ascii: "&") else {
                    out.append(byte)
                    position += 1
                    continue
                }
                guard let semicolon = slice[position...].firstIndex(of: UInt8(ascii: ";")) else {
                    throw XML.ParseError(description: "unterminated entity")
                }
                let entity = String(decoding: slice[(position + 1)..<semicolon], as: UTF8.self)
                switch entity {
                case "amp": out.append(UInt8(ascii: "&"))
                case "lt": out.append(UInt8(ascii: "<"))
                case "gt": out.append(UInt8(ascii: ">"))
                case "quot": out.append(UInt8(ascii: "\""))
                case "apos": out.append(UInt8(ascii: "'"))
                default:
                    let scalarValue: UInt32?
                    if entity.hasPrefix("#x") {
                        scalarValue = UInt32(entity.dropFirst(2), radix: 16)
                    } else if entity.hasPrefix("#") {
                        scalarValue = UInt32(entity.dropFirst())
                    } else {
                        scalarValue = nil
                    }
                    guard let scalarValue, let scalar = Unicode.Scalar(scalarValue) else {
                        throw XML.ParseError(description: "unknown entity &\(entity);")
                    }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                }
                position = semicolon + 1
            }
            return String(decoding: out, as: UTF8.self)
        }

        mutating func readName() -> String {
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == UInt8(ascii: ">")
                    || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "=")
                {
                    break
                }
                index += 1
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        func starts(with prefix: String) -> Bool {
            let utf8 = Array(prefix.utf8)
            guard index + utf8.count <= bytes.count else { return false }
            return Array(bytes[index..<(index + utf8.count)]) == utf8
        }

        mutating func skip(past terminator: String) throws {
            let utf8 = Array(terminator.utf8)
            while index + utf8.count <= bytes.count {
                if Array(bytes[index..<(index + utf8.count)]) == utf8 {
                    index += utf8.count
                    return
                }
                index += 1
            }
            throw XML.ParseError(description: "missing \(terminator)")
        }
    }
}
