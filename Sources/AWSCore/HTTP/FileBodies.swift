import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SigV4

/// Reads a file range front to back, `chunkSize` bytes per call, opening the file lazily.
/// Bytes go straight from the file into the buffer that is sent (one copy, no staging `Data`).
final class FileRangeReader {
    struct ReadError: Error, CustomStringConvertible {
        let description: String
    }

    let path: String
    private var position: UInt64
    private(set) var remaining: UInt64
    let chunkSize: Int
    private var handle: FileHandle?

    init(path: String, offset: UInt64, length: UInt64, chunkSize: Int) {
        self.path = path
        self.position = offset
        self.remaining = length
        self.chunkSize = chunkSize
    }

    deinit {
        try? handle?.close()
    }

    /// How many bytes the next read returns (0 once the range is read).
    var nextLength: Int { Int(Swift.min(UInt64(chunkSize), remaining)) }

    /// Appends the next `nextLength` bytes to `buffer`.
    func read(into buffer: inout ByteBuffer) throws {
        let want = nextLength
        guard want > 0 else {
            try? handle?.close()
            handle = nil
            return
        }
        if handle == nil {
            guard let opened = FileHandle(forReadingAtPath: path) else { throw ReadError(description: "cannot open \(path) for reading") }
            handle = opened
        }
        guard let descriptor = handle?.fileDescriptor else { throw ReadError(description: "cannot read \(path)") }
        var done = 0
        while done < want {
            var failure: Int32 = 0
            let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: want - done) { target -> Int in
                let result = pread(descriptor, target.baseAddress, want - done, off_t(position + UInt64(done)))
                if result < 0 { failure = errno }
                return Swift.max(result, 0)
            }
            if failure == EINTR { continue }
            if failure != 0 { throw ReadError(description: "cannot read \(path): \(String(cString: strerror(failure)))") }
            guard count > 0 else { throw ReadError(description: "\(path) ended \(remaining - UInt64(done)) bytes early (changed while uploading?)") }
            done += count
        }
        position += UInt64(want)
        remaining -= UInt64(want)
    }
}

/// A file range as a request body, read on demand so memory stays flat however large the file.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let path: String
    let offset: UInt64
    let length: UInt64
    let chunkSize: Int

    func makeAsyncIterator() -> Iterator {
        Iterator(reader: FileRangeReader(path: path, offset: offset, length: length, chunkSize: chunkSize))
    }

    final class Iterator: AsyncIteratorProtocol {
        let reader: FileRangeReader
        init(reader: FileRangeReader) {
            self.reader = reader
        }

        func next() async throws -> ByteBuffer? {
            let length = reader.nextLength
            if length == 0 { return nil }
            var buffer = ByteBufferAllocator().buffer(capacity: length)
            try reader.read(into: &buffer)
            return buffer
        }
    }
}

/// An `aws-chunked` body read from a file: each chunk framed with its signature, chained from
/// the seed signature, then the final empty chunk. One read of the file, memory flat.
struct SignedFileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let path: String
    let offset: UInt64
    let length: UInt64
    let chunkSize: Int
    let signer: ChunkSigner

    func makeAsyncIterator() -> Iterator {
        Iterator(reader: FileRangeReader(path: path, offset: offset, length: length, chunkSize: chunkSize), signer: signer)
    }

    final class Iterator: AsyncIteratorProtocol {
        let reader: FileRangeReader
        var signer: ChunkSigner
        var finished = false

        init(reader: FileRangeReader, signer: ChunkSigner) {
            self.reader = reader
            self.signer = signer
        }

        func next() async throws -> ByteBuffer? {
            if finished { return nil }
            let length = reader.nextLength
            // The empty read is the final, zero-length chunk that closes the signature chain.
            if length == 0 { finished = true }
            // The data is read into place after room for its header, which needs the data's hash.
            let headerLength = ChunkSigner.headerLength(chunkLength: length)
            var buffer = ByteBufferAllocator().buffer(capacity: headerLength + length + 2)
            buffer.writeRepeatingByte(0, count: headerLength)
            try reader.read(into: &buffer)
            let header = buffer.withUnsafeReadableBytes { bytes in
                signer.header(for: UnsafeRawBufferPointer(rebasing: bytes[headerLength...]))
            }
            guard header.count == headerLength else {
                throw FileRangeReader.ReadError(description: "chunk header of \(header.count) bytes, expected \(headerLength)")
            }
            buffer.setBytes(header, at: buffer.readerIndex)
            buffer.writeBytes([0x0D, 0x0A])
            return buffer
        }
    }
}
