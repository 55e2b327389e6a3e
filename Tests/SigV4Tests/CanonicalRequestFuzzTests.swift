import Foundation
import XCTest

@testable import SigV4

/// The canonical request is written with unchecked pointer arithmetic into buffers sized from
/// the input; this compares it, on thousands of random and awkward requests, with a plain
/// String-based reading of the same rules, so a wrong size bound or a slipped index shows up.
final class CanonicalRequestFuzzTests: XCTestCase {
    /// xorshift64*: reproducible from the seed printed with any failure.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 2_685_821_657_736_338_717
        }
        mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
        mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }
    }

    static let alphabet: [String] = [
        "a", "Z", "0", "-", "_", ".", "~", " ", "\t", "/", "%", "%2F", "%41", "%zz", "+", "=", "&", ";", ":", ",",
        "*", "'", "(", "é", "ß", "日", "😀", "\r\n", "..", "//", "A", "b",
    ]

    func text(_ random: inout Random, maxLength: Int) -> String {
        (0..<random.int(0...maxLength)).map { _ in random.pick(Self.alphabet) }.joined()
    }

    func testOptimisedCanonicalRequestMatchesAPlainReadingOfTheRules() {
        let seed = UInt64(ProcessInfo.processInfo.environment["SIGV4_FUZZ_SEED"] ?? "") ?? 0x5EED_0F_C0FFEE
        var random = Random(state: seed)
        let names = [
            "Host", "host", "X-Amz-Meta-A", "x-amz-meta-a", "Content-Type", "User-Agent", "Expect", "Connection", "X-Amzn-Trace-Id",
            "Transfer-Encoding", "authorization", "X-Amz-Date", "x-custom", "X-Custom", "a", "Zed",
        ]
        for iteration in 0..<4_000 {
            let path = "/" + (0..<random.int(0...6)).map { _ in text(&random, maxLength: 4) }.joined(separator: "/")
            let queryCount = random.int(0...(iteration % 10 == 0 ? 40 : 5))
            let query = (0..<queryCount).map { _ in QueryItem(text(&random, maxLength: 5), text(&random, maxLength: 5)) }
            let headerCount = random.int(0...(iteration % 10 == 0 ? 40 : 6))
            let headers = [HTTPHeader("Host", "h.example")] + (0..<headerCount).map { _ in HTTPHeader(random.pick(names), text(&random, maxLength: 6)) }
            let rules = random.int(0...1) == 0 ? CanonicalRequest.URIRules.s3 : .standard
            let request = SigningRequest(
                method: random.pick(["GET", "PUT", "POST"]), path: random.int(0...20) == 0 ? "" : path, query: query, headers: headers)
            let optimised = CanonicalRequest(request: request, payloadHash: PayloadHash.empty, uriRules: rules)
            let expected = Reference.canonicalRequest(request, payloadHash: PayloadHash.empty, rules: rules)
            if optimised.text != expected.text || optimised.signedHeaders != expected.signedHeaders {
                XCTFail("seed \(seed), iteration \(iteration): \(request)\n--- got\n\(optimised.text)\n--- expected\n\(expected.text)")
                return
            }
            if iteration % 7 == 0 {
                XCTAssertEqual(CanonicalRequest.signedHeaderNames(headers), expected.signedHeaders, "seed \(seed), iteration \(iteration)")
            }
        }
    }

    /// The rules read literally, with Strings and arrays, no attention to speed.
    enum Reference {
        static let unsignable: Set<String> = ["authorization", "user-agent", "expect", "connection", "transfer-encoding", "x-amzn-trace-id"]

        static func encode(_ bytes: [UInt8], keepSlash: Bool) -> String {
            bytes.map { byte -> String in
                let scalar = Character(Unicode.Scalar(byte))
                if (scalar.isASCII && (scalar.isLetter || scalar.isNumber)) || "-._~".contains(scalar) || (keepSlash && scalar == "/") {
                    return String(scalar)
                }
                return String(format: "%%%02X", byte)
            }.joined()
        }

        static func decode(_ text: Substring) -> [UInt8] {
            let bytes = Array(text.utf8)
            var out: [UInt8] = []
            var index = 0
            while index < bytes.count {
                if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                    let value = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
                {
                    out.append(value)
                    index += 3
                } else {
                    out.append(bytes[index])
                    index += 1
                }
            }
            return out
        }

        static func uri(_ path: String, rules: CanonicalRequest.URIRules) -> String {
            if !rules.normalize {
                let source = path.isEmpty ? "/" : path
                return source.split(separator: "/", omittingEmptySubsequences: false).map { encode(decode($0), keepSlash: false) }.joined(separator: "/")
            }
            var stack: [Substring] = []
            for segment in path.split(separator: "/") {
                if segment == "." { continue }
                if segment == ".." {
                    _ = stack.popLast()
                    continue
                }
                stack.append(segment)
            }
            var normalized = "/" + stack.joined(separator: "/")
            if path.hasSuffix("/"), !stack.isEmpty { normalized += "/" }
            return encode(Array(normalized.utf8), keepSlash: true)
        }

        static func canonicalRequest(_ request: SigningRequest, payloadHash: String, rules: CanonicalRequest.URIRules) -> (text: String, signedHeaders: String)
        {
            let query = request.query.map { (encode(Array($0.name.utf8), keepSlash: false), encode(Array($0.value.utf8), keepSlash: false)) }
                .sorted {
                    $0.0 == $1.0 ? Array($0.1.utf8).lexicographicallyPrecedes(Array($1.1.utf8)) : Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8))
                }
                .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
            var grouped: [String: [String]] = [:]
            var order: [String] = []
            for header in request.headers {
                let name = String(header.name.unicodeScalars.map { $0.isASCII ? Character($0).lowercased() : String($0) }.joined())
                if unsignable.contains(name) { continue }
                let words = header.value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
                if grouped[name] == nil { order.append(name) }
                grouped[name, default: []].append(words.joined(separator: " "))
            }
            let names = order.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            let lines = names.map { "\($0):\(grouped[$0, default: []].joined(separator: ","))\n" }.joined()
            let signed = names.joined(separator: ";")
            return ([request.method, uri(request.path, rules: rules), query, lines, signed, payloadHash].joined(separator: "\n"), signed)
        }
    }
}
