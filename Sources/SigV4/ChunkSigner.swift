import Crypto
import Foundation

/// Signs the chunks of an `aws-chunked` body (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`).
///
/// Each chunk's signature covers its data and the previous signature, starting from the
/// seed signature of the request headers; a final empty chunk closes the chain.
public struct ChunkSigner: Sendable {
    /// The algorithm name that opens each chunk's string to sign.
    public static let algorithm = "AWS4-HMAC-SHA256-PAYLOAD"
    let key: SigningKey
    let date: AMZDate
    /// The signature of the last chunk signed (the seed before any).
    public private(set) var previousSignature: String

    init(key: SigningKey, date: AMZDate, seedSignature: String) {
        self.key = key
        self.date = date
        self.previousSignature = seedSignature
    }

    /// The string to sign for one chunk.
    public func stringToSign(chunkHash: String) -> String {
        Self.algorithm + "\n" + date.timestamp + "\n" + key.scope.string + "\n" + previousSignature + "\n"
            + PayloadHash.empty + "\n" + chunkHash
    }

    /// Signs the next chunk (pass an empty buffer for the final chunk) and advances the chain.
    public mutating func sign<D: DataProtocol>(chunk: D) -> String {
        advance(chunkHash: PayloadHash.hex(chunk))
    }

    /// The framing that goes before a chunk's data: `hex-size;chunk-signature=SIG\r\n`
    /// (the data and a trailing `\r\n` follow). Signs the chunk and advances the chain.
    public mutating func header(for chunk: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bufferPointer: chunk)
        let signature = advance(chunkHash: Hex.string(hasher.finalize()))
        return Array((String(chunk.count, radix: 16) + ";chunk-signature=" + signature + "\r\n").utf8)
    }

    /// Bytes of the framing header for a chunk of `chunkLength` bytes.
    public static func headerLength(chunkLength: Int) -> Int {
        String(chunkLength, radix: 16).utf8.count + ";chunk-signature=".utf8.count + 64 + 2
    }

    /// The framed bytes for one chunk: `hex-size;chunk-signature=SIG\r\n DATA \r\n`.
    public mutating func frame(chunk: [UInt8]) -> [UInt8] {
        var out = chunk.withUnsafeBytes { header(for: $0) }
        out.reserveCapacity(out.count + chunk.count + 2)
        out.append(contentsOf: chunk)
        out.append(contentsOf: [0x0D, 0x0A])
        return out
    }

    private mutating func advance(chunkHash: String) -> String {
        let signature = key.signature(of: Array(stringToSign(chunkHash: chunkHash).utf8))
        previousSignature = signature
        return signature
    }

    /// The `Content-Length` of an `aws-chunked` body carrying `length` bytes in chunks of `chunkSize`.
    public static func encodedLength(payloadLength length: Int, chunkSize: Int) -> Int {
        precondition(chunkSize > 0)
        func framed(_ size: Int) -> Int {
            headerLength(chunkLength: size) + size + 2
        }
        let full = length / chunkSize
        let rest = length % chunkSize
        return full * framed(chunkSize) + (rest > 0 ? framed(rest) : 0) + framed(0)
    }
}
