/// Writes bytes into memory the caller sized in advance (an upper bound computed from the
/// inputs), so building a canonical request checks no capacity and grows no array per byte.
struct ByteWriter {
    private let base: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private(set) var count = 0

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        // An empty buffer gets a dummy pointer; `capacity` 0 makes every write trap, never corrupt.
        self.base = buffer.baseAddress ?? UnsafeMutablePointer(bitPattern: 1).unsafelyUnwrapped
        self.capacity = buffer.count
    }

    /// A writer over `buffer` that resumes at `count` (earlier bytes are kept).
    init(_ buffer: UnsafeMutableBufferPointer<UInt8>, count: Int) {
        self.init(buffer)
        precondition(count <= capacity)
        self.count = count
    }

    @inline(__always)
    mutating func put(_ byte: UInt8) {
        precondition(count < capacity, "ByteWriter: size bound too small")
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        precondition(count + bytes.count <= capacity, "ByteWriter: size bound too small")
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    @inline(__always)
    mutating func put(_ string: String) {
        withUTF8(string) { put($0) }
    }

    /// The bytes written from `start` on (valid until the buffer is released).
    func written(from start: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + start, count: count - start)
    }

    /// Percent-encodes per SigV4 (`/` kept only with `keepSlash`).
    @inline(__always)
    mutating func putEncoded(_ byte: UInt8, keepSlash: Bool) {
        URIEncoding.encode(byte, keepSlash: keepSlash) { put($0) }
    }

    mutating func putEncoded(_ string: String, keepSlash: Bool) {
        withUTF8(string) { bytes in
            for byte in bytes { putEncoded(byte, keepSlash: keepSlash) }
        }
    }

    /// Lower-case hex of `bytes`.
    mutating func putHex(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes {
            put(Hex.lowerDigit(byte >> 4))
            put(Hex.lowerDigit(byte & 0x0F))
        }
    }
}

/// Byte-slice order by `memcmp`, then length: the order SigV4 sorts names and values in.
@inline(__always)
func lexicographicallyPrecedes(_ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>) -> Bool {
    let shared = min(left.count, right.count)
    if shared > 0, let l = left.baseAddress, let r = right.baseAddress {
        let order = memcmpBytes(l, r, shared)
        if order != 0 { return order < 0 }
    }
    return left.count < right.count
}

@inline(__always)
func bytesEqual(_ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>) -> Bool {
    guard left.count == right.count else { return false }
    guard left.count > 0, let l = left.baseAddress, let r = right.baseAddress else { return true }
    return memcmpBytes(l, r, left.count) == 0
}

@inline(__always)
private func memcmpBytes(_ left: UnsafePointer<UInt8>, _ right: UnsafePointer<UInt8>, _ count: Int) -> Int {
    // A plain loop: SigV4 names and values are short, and this keeps the target free of libc.
    var index = 0
    while index < count {
        let a = left[index]
        let b = right[index]
        if a != b { return a < b ? -1 : 1 }
        index += 1
    }
    return 0
}

/// Calls `body` with the UTF-8 bytes of `string`, borrowing native storage (no copy, no
/// retain); a bridged string is made contiguous first.
@inline(__always)
func withUTF8<R>(_ string: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    if let result = string.utf8.withContiguousStorageIfAvailable(body) { return result }
    var copy = string
    return copy.withUTF8(body)
}
