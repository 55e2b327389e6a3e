/// The canonical headers and SignedHeaders.
extension CanonicalRequest {
    /// The `;`-joined SignedHeaders list for `headers` (presigning puts it in the query).
    static func signedHeaderNames(_ headers: [HTTPHeader]) -> String {
        var headerBytes = 0
        for header in headers { headerBytes += header.name.utf8.count + header.value.utf8.count }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2 * headerBytes + 3 * headers.count + 1) { buffer in
            var out = ByteWriter(buffer)
            let range = writeCanonicalHeaders(headers, excluding: [], scratchSize: headerBytes, to: &out)
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self)
        }
    }

    static func isUnsignable(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        switch name.count {
        case 6, 10, 13, 15, 17:
            return unsignableNames.contains { bytesEqual(UnsafeBufferPointer(start: $0.utf8Start, count: $0.utf8CodeUnitCount), name) }
        default:
            return false
        }
    }

    /// `unsignableHeaders` as static bytes (no allocation per lookup).
    static let unsignableNames: [StaticString] = [
        "authorization", "user-agent", "expect", "connection", "transfer-encoding", "x-amzn-trace-id",
    ]

    /// Writes the canonical header lines, the blank line and SignedHeaders; returns where
    /// SignedHeaders sits in the output. Names lower-cased, values trimmed with inner
    /// whitespace runs collapsed, repeated names joined with `,` in order, sorted by name.
    static func writeCanonicalHeaders(_ headers: [HTTPHeader], excluding: Set<String>, scratchSize: Int, to out: inout ByteWriter) -> Range<Int> {
        let count = headers.count
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(scratchSize, 1)) { scratchBuffer in
            withUnsafeTemporaryAllocation(of: Slot.self, capacity: max(count, 1)) { slots in
                var scratch = ByteWriter(scratchBuffer)
                var filled = 0
                for (order, header) in headers.enumerated() {
                    let nameStart = scratch.count
                    withUTF8(header.name) { bytes in
                        for byte in bytes { scratch.put(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte) }
                    }
                    let lowered = scratch.written(from: nameStart)
                    if isUnsignable(lowered) || (!excluding.isEmpty && excluding.contains(String(decoding: lowered, as: UTF8.self))) {
                        scratch = ByteWriter(scratchBuffer, count: nameStart)
                        continue
                    }
                    let valueStart = scratch.count
                    withUTF8(header.value) { bytes in
                        var pendingSpace = false
                        for byte in bytes {
                            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                                pendingSpace = scratch.count > valueStart
                            } else {
                                if pendingSpace {
                                    scratch.put(0x20)
                                    pendingSpace = false
                                }
                                scratch.put(byte)
                            }
                        }
                    }
                    (slots.baseAddress.unsafelyUnwrapped + filled).initialize(
                        to: Slot(name: nameStart..<valueStart, value: valueStart..<scratch.count, order: order))
                    filled += 1
                }
                let bytes = UnsafeBufferPointer(rebasing: scratchBuffer[0..<scratch.count])
                let used = UnsafeMutableBufferPointer(rebasing: slots[0..<filled])
                sortSlots(used) { left, right in
                    let leftName = UnsafeBufferPointer(rebasing: bytes[left.name])
                    let rightName = UnsafeBufferPointer(rebasing: bytes[right.name])
                    if bytesEqual(leftName, rightName) { return left.order < right.order }
                    return lexicographicallyPrecedes(leftName, rightName)
                }
                var index = 0
                while index < filled {
                    let name = UnsafeBufferPointer(rebasing: bytes[used[index].name])
                    out.put(name)
                    out.put(UInt8(ascii: ":"))
                    out.put(UnsafeBufferPointer(rebasing: bytes[used[index].value]))
                    index += 1
                    // Repeated header: values joined with ',' in the order given.
                    while index < filled, bytesEqual(UnsafeBufferPointer(rebasing: bytes[used[index].name]), name) {
                        out.put(UInt8(ascii: ","))
                        out.put(UnsafeBufferPointer(rebasing: bytes[used[index].value]))
                        index += 1
                    }
                    out.put(0x0A)
                }
                out.put(0x0A)
                let signedStart = out.count
                index = 0
                var first = true
                while index < filled {
                    let name = UnsafeBufferPointer(rebasing: bytes[used[index].name])
                    if !first { out.put(UInt8(ascii: ";")) }
                    first = false
                    out.put(name)
                    index += 1
                    while index < filled, bytesEqual(UnsafeBufferPointer(rebasing: bytes[used[index].name]), name) { index += 1 }
                }
                _ = slots.baseAddress.map { $0.deinitialize(count: filled) }
                return signedStart..<out.count
            }
        }
    }
}
