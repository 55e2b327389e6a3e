import Crypto
import Foundation
import SigV4

/// Writes an uncompressed ("stored") ZIP whose bytes depend only on the entries: fixed
/// 1980-01-01 timestamps, mode 0644, entries in the order given. The layout matches what
/// Python's `zipfile` writes for the same entries, so `jobs/build_artifact.py` and
/// `deployer package` produce byte-identical `code.zip` files (and the same digest).
///
/// Streamed: each entry is copied in pieces and its CRC-32 patched into the local header
/// afterwards, so a large file never sits in memory.
enum StoredZip {
    static let dosTime: UInt16 = 0
    static let dosDate: UInt16 = (0 << 9) | (1 << 5) | 1  // 1980-01-01

    static func write(_ entries: [(name: String, source: SourceFile)], to path: String, name fileName: String = "code.zip") throws -> Artifact.File {
        let output = try StreamingFile.Output(path)
        var central: [UInt8] = []
        for entry in entries {
            let name = Array(entry.name.utf8)
            let flags: UInt16 = entry.name.unicodeScalars.allSatisfy(\.isASCII) ? 0 : 0x0800
            let offset = output.offset
            guard offset < UInt64(UInt32.max) else {
                throw DeployError("\(entry.source.path): \(fileName) would pass 4 GiB, which the artifact format does not support")
            }
            var header: [UInt8] = []
            header.append(le32: 0x0403_4B50)
            header.append(contentsOf: [20, 0])  // version needed to extract 2.0, reserved
            header.append(le16: flags)
            header.append(le16: 0)  // stored
            header.append(le16: dosTime)
            header.append(le16: dosDate)
            let crcOffset = offset + UInt64(header.count)
            header.append(le32: 0)  // CRC-32, patched below
            header.append(le32: 0)  // sizes, patched below
            header.append(le32: 0)
            header.append(le16: UInt16(name.count))
            header.append(le16: 0)
            header.append(contentsOf: name)
            try output.write(header)
            var crc = CRC32()
            var size: UInt64 = 0
            try StreamingFile.read(entry.source) { piece in
                crc.update(piece)
                try output.write(piece)
                size += UInt64(piece.count)
            }
            guard size < UInt64(UInt32.max) else { throw DeployError("\(entry.source.path) is 4 GiB or more, which the artifact format does not support") }
            var fixed: [UInt8] = []
            fixed.append(le32: crc.value)
            fixed.append(le32: UInt32(size))
            fixed.append(le32: UInt32(size))
            try output.patch(fixed, at: crcOffset)

            central.append(le32: 0x0201_4B50)
            central.append(contentsOf: [20, 3, 20, 0])  // made by 2.0 on Unix, needs 2.0, reserved
            central.append(le16: flags)
            central.append(le16: 0)
            central.append(le16: dosTime)
            central.append(le16: dosDate)
            central.append(contentsOf: fixed)
            central.append(le16: UInt16(name.count))
            central.append(le16: 0)  // extra
            central.append(le16: 0)  // comment
            central.append(le16: 0)  // disk
            central.append(le16: 0)  // internal attributes
            central.append(le32: UInt32(0o100644) << 16)  // regular file, rw-r--r--
            central.append(le32: UInt32(offset))
            central.append(contentsOf: name)
        }
        let centralOffset = output.offset
        guard centralOffset < UInt64(UInt32.max), entries.count < 65_535 else {
            throw DeployError("\(fileName) would pass 4 GiB or 65,535 files, which the artifact format does not support")
        }
        try output.write(central)
        var end: [UInt8] = []
        end.append(le32: 0x0605_4B50)
        end.append(le16: 0)
        end.append(le16: 0)
        end.append(le16: UInt16(entries.count))
        end.append(le16: UInt16(entries.count))
        end.append(le32: UInt32(central.count))
        end.append(le32: UInt32(centralOffset))
        end.append(le16: 0)
        try output.write(end)
        try output.close()
        return Artifact.File(name: fileName, path: path, size: output.offset, sha256: try StreamingFile.sha256(path))
    }
}

/// CRC-32 (IEEE 802.3), as ZIP needs, fed piece by piece.
struct CRC32 {
    static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    private var state: UInt32 = 0xFFFF_FFFF

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var crc = state
        Self.table.withUnsafeBufferPointer { table in
            for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        state = crc
    }

    var value: UInt32 { state ^ 0xFFFF_FFFF }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc = CRC32()
        bytes.withUnsafeBytes { crc.update($0) }
        return crc.value
    }
}

extension [UInt8] {
    mutating func append(le16 value: UInt16) {
        append(UInt8(value & 0xFF))
        append(UInt8(value >> 8))
    }

    mutating func append(le32 value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { append(UInt8((value >> UInt32(shift)) & 0xFF)) }
    }
}
