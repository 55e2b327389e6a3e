import Foundation

/// The two date forms SigV4 uses, computed without a formatter (which is slow and locale-bound).
public struct AMZDate: Sendable, Equatable {
    /// `YYYYMMDD'T'HHMMSS'Z'`, the `X-Amz-Date` value.
    public let timestamp: String
    /// `YYYYMMDD`, the date in the credential scope.
    public let date: String

    /// Both forms of `instant` in UTC, truncated to the whole second.
    public init(_ instant: Date) {
        let seconds = Int64(instant.timeIntervalSince1970.rounded(.down))
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        // Howard Hinnant's days-to-civil algorithm.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        // Written straight into the String (16 bytes: one allocation); the date is its
        // first 8 bytes, short enough to be stored inline.
        let timestamp = String(unsafeUninitializedCapacity: 16) { bytes in
            func put(_ value: Int64, at offset: Int, width: Int) {
                var remaining = value
                for index in stride(from: offset + width - 1, through: offset, by: -1) {
                    bytes[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: remaining % 10)
                    remaining /= 10
                }
            }
            put(year, at: 0, width: 4)
            put(month, at: 4, width: 2)
            put(day, at: 6, width: 2)
            bytes[8] = UInt8(ascii: "T")
            put(secondOfDay / 3_600, at: 9, width: 2)
            put(secondOfDay % 3_600 / 60, at: 11, width: 2)
            put(secondOfDay % 60, at: 13, width: 2)
            bytes[15] = UInt8(ascii: "Z")
            return 16
        }
        self.timestamp = timestamp
        self.date = String(timestamp.utf8.prefix(8)) ?? String(decoding: Array(timestamp.utf8.prefix(8)), as: UTF8.self)
    }

    /// Parses `YYYYMMDD'T'HHMMSS'Z'` (the `X-Amz-Date` form).
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8),
            let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        // civil-to-days, the inverse of the algorithm above.
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Date(timeIntervalSince1970: TimeInterval(days * 86_400 + Int64(hour * 3_600 + minute * 60 + second)))
    }
}
