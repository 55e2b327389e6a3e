import Foundation

/// Writes an uncompressed ("stored") ZIP whose bytes depend only on the entries: fixed
/// 1980-01-01 timestamps, mode 0644, entries in the order given. The layout matches what
/// Python's `zipfile` writes for the same entries, so `jobs/build_artifact.py` and
/// `deployer package` produce byte-identical `code.zip` files (and the same digest).
enum StoredZip {
    static func make(_ entries: [(name: String, data: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        let dosTime: UInt16 = 0
        let dosDate: UInt16 = (0 << 9) | (1 << 5) | 1 // 1980-01-01
        for entry in entries {
            let name = Array(entry.name.utf8)
            let flags: UInt16 = entry.name.unicodeScalars.allSatisfy(\.isASCII) ? 0 : 0x0800
            let crc = CRC32.checksum(entry.data)
            let size = UInt32(entry.data.count)
            let offset = UInt32(out.count)
            out.append(le32: 0x0403_4B50)
            out.append(contentsOf: [20, 0]) // version needed to extract 2.0, reserved
            out.append(le16: flags)
            out.append(le16: 0) // stored
            out.append(le16: dosTime)
            out.append(le16: dosDate)
            out.append(le32: crc)
            out.append(le32: size)
            out.append(le32: size)
            out.append(le16: UInt16(name.count))
            out.append(le16: 0)
            out.append(contentsOf: name)
            out.append(contentsOf: entry.data)

            central.append(le32: 0x0201_4B50)
            central.append(contentsOf: [20, 3, 20, 0]) // made by 2.0 on Unix, needs 2.0, reserved
            central.append(le16: flags)
            central.append(le16: 0)
            central.append(le16: dosTime)
            central.append(le16: dosDate)
            central.append(le32: crc)
            central.append(le32: size)
            central.append(le32: size)
            central.append(le16: UInt16(name.count))
            central.append(le16: 0) // extra
            central.append(le16: 0) // comment
            central.append(le16: 0) // disk
            central.append(le16: 0) // internal attributes
            central.append(le32: UInt32(0o100644) << 16) // regular file, rw-r--r--
            central.append(le32: offset)
            central.append(contentsOf: name)
        }
        let centralOffset = UInt32(out.count)
        out.append(contentsOf: central)
        out.append(le32: 0x0605_4B50)
        out.append(le16: 0)
        out.append(le16: 0)
        out.append(le16: UInt16(entries.count))
        out.append(le16: UInt16(entries.count))
        out.append(le32: UInt32(central.count))
        out.append(le32: centralOffset)
        out.append(le16: 0)
        return out
    }
}

/// CRC-32 (IEEE 802.3), as ZIP needs.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
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
