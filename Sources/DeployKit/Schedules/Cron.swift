import Foundation

/// An EventBridge Scheduler cron expression: `minutes hours day-of-month month day-of-week year`
/// (`0 3 * * ? *`), as AWS defines it: one of day-of-month and day-of-week is `?`; months
/// `1-12` or `JAN-DEC`, weekdays `1-7` (Sunday is 1) or `SUN-SAT`; `*`, lists, ranges and steps.
/// `L`, `W` and `#` are accepted for AWS engines (AWS evaluates them) but cannot be evaluated
/// by the local engine's `schedule run-due`.
public struct Cron: Sendable, Equatable {
    /// The expression as written.
    public let text: String
    let fields: [Set<Int>?]  // nil: any (`*` or `?`)
    /// Uses `L`, `W` or `#`, which only AWS evaluates.
    public let awsOnly: Bool

    static let ranges: [ClosedRange<Int>] = [0...59, 0...23, 1...31, 1...12, 1...7, 1970...2199]
    static let names = ["minutes", "hours", "day-of-month", "month", "day-of-week", "year"]
    static let months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let weekdays = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    /// An expression that is not an EventBridge cron.
    public struct ParseError: Error, CustomStringConvertible {
        /// What is wrong and what a valid expression looks like.
        public let description: String
    }

    /// Parses `text`; throws `ParseError` when it does not have six fields, exactly one `?`
    /// among day-of-month and day-of-week, and valid values in each field.
    public init(_ text: String) throws {
        self.text = text
        let parts = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard parts.count == 6 else {
            throw ParseError(
                description:
                    "'\(Schema.short(text))' has \(parts.count) fields; an EventBridge cron has 6: minutes hours day-of-month month day-of-week year (e.g. \"0 3 * * ? *\")"
            )
        }
        guard (parts[2] == "?") != (parts[4] == "?") else {
            throw ParseError(
                description: "'\(Schema.short(text))': exactly one of day-of-month and day-of-week must be '?' (e.g. \"0 3 * * ? *\" or \"0 3 ? * MON-FRI *\")")
        }
        var fields: [Set<Int>?] = []
        var awsOnly = false
        for (index, part) in parts.enumerated() {
            if part == "*" || part == "?" {
                fields.append(nil)
                continue
            }
            let upper = part.uppercased()
            let special = index == 2 ? (upper.contains("L") || upper.contains("W")) : index == 4 ? (upper.contains("#") || upper.hasSuffix("L")) : false
            if special {
                awsOnly = true
                fields.append(nil)
                continue
            }
            fields.append(try Self.parse(part, index: index, expression: text))
        }
        self.fields = fields
        self.awsOnly = awsOnly
    }

    static func value(_ token: String, index: Int, expression: String) throws -> Int {
        let upper = token.uppercased()
        if index == 3, let month = months.firstIndex(of: upper) { return month + 1 }
        if index == 4, let day = weekdays.firstIndex(of: upper) { return day + 1 }
        guard let number = Int(token), ranges[index].contains(number) else {
            throw ParseError(
                description:
                    "'\(Schema.short(expression))': '\(Schema.short(token))' is not a valid \(names[index]) (\(ranges[index].lowerBound)-\(ranges[index].upperBound))"
            )
        }
        return number
    }

    static func parse(_ field: String, index: Int, expression: String) throws -> Set<Int> {
        var values: Set<Int> = []
        for item in field.split(separator: ",").map(String.init) {
            let stepParts = item.split(separator: "/", maxSplits: 1).map(String.init)
            var step = 1
            if stepParts.count == 2 {
                guard let parsed = Int(stepParts[1]), parsed > 0 else {
                    throw ParseError(description: "'\(Schema.short(expression))': '\(Schema.short(item))' has a bad step")
                }
                step = parsed
            }
            let base = stepParts[0]
            var low: Int
            var high: Int
            if base == "*" {
                low = ranges[index].lowerBound
                high = ranges[index].upperBound
            } else if let dash = base.firstIndex(of: "-") {
                low = try value(String(base[..<dash]), index: index, expression: expression)
                high = try value(String(base[base.index(after: dash)...]), index: index, expression: expression)
                guard low <= high else { throw ParseError(description: "'\(Schema.short(expression))': range '\(base)' runs backwards") }
            } else {
                low = try value(base, index: index, expression: expression)
                high = stepParts.count == 2 ? ranges[index].upperBound : low
            }
            values.formUnion(stride(from: low, through: high, by: step))
        }
        return values
    }

    /// Whether the schedule fires in the minute holding `date`, read in `timeZone`.
    public func matches(_ date: Date, in timeZone: TimeZone) -> Bool {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.minute, .hour, .day, .month, .weekday, .year], from: date)
        let values = [c.minute, c.hour, c.day, c.month, c.weekday, c.year]
        for (field, value) in zip(fields, values) {
            guard let field else { continue }
            guard let value, field.contains(value) else { return false }
        }
        return true
    }

    /// The fire times after `start` up to and including `end` (minute resolution; at most the
    /// last 8 days are looked at).
    public func fireTimes(after start: Date, through end: Date, in timeZone: TimeZone) -> [Date] {
        let floorStart = max(start, end.addingTimeInterval(-8 * 86_400))
        var minute = (floorStart.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60
        var times: [Date] = []
        while minute <= end.timeIntervalSince1970 {
            let date = Date(timeIntervalSince1970: minute)
            if matches(date, in: timeZone) { times.append(date) }
            minute += 60
        }
        return times
    }
}
