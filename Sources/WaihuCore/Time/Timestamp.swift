import Foundation

/// A moment in time in whole seconds since 1970-01-01T00:00:00Z. The compliance engine counts in these:
/// comparisons and window arithmetic are integer operations.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var seconds: Int64

    public init(seconds: Int64) {
        self.seconds = seconds
    }

    /// The second containing `date` (sub-second parts are dropped).
    public init(_ date: Date) {
        seconds = Int64(date.timeIntervalSince1970.rounded(.down))
    }

    public var date: Date { Date(timeIntervalSince1970: TimeInterval(seconds)) }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.seconds < rhs.seconds }
    public static func + (lhs: Timestamp, rhs: Int64) -> Timestamp { Timestamp(seconds: lhs.seconds + rhs) }
    public static func - (lhs: Timestamp, rhs: Int64) -> Timestamp { Timestamp(seconds: lhs.seconds - rhs) }

    /// ISO 8601 in UTC: `2026-11-22T09:30:00Z`.
    public var description: String { iso8601(offsetSeconds: 0) }

    /// ISO 8601 at a fixed UTC offset: `2026-11-22T17:30:00+08:00`.
    public func iso8601(offsetSeconds: Int64) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(25)
        appendISO8601(offsetSeconds: offsetSeconds, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `iso8601(offsetSeconds:)` as UTF-8, digit by digit: no formatter and no intermediate strings,
    /// which a million-row scrub report cannot afford.
    public func appendISO8601(offsetSeconds: Int64, to bytes: inout [UInt8]) {
        let local = seconds + offsetSeconds
        let date = CivilDate(dayNumber: floorDivide(local, 86_400))
        let second = floorModulo(local, 86_400)
        if date.year < 0 { bytes.append(0x2D) }
        appendDigits(Int64(abs(date.year)), width: 4, to: &bytes)
        bytes.append(0x2D)
        appendDigits(Int64(date.month), width: 2, to: &bytes)
        bytes.append(0x2D)
        appendDigits(Int64(date.day), width: 2, to: &bytes)
        bytes.append(0x54)  // T
        appendDigits(second / 3600, width: 2, to: &bytes)
        bytes.append(0x3A)
        appendDigits(second / 60 % 60, width: 2, to: &bytes)
        bytes.append(0x3A)
        appendDigits(second % 60, width: 2, to: &bytes)
        if offsetSeconds == 0 {
            bytes.append(0x5A)  // Z
            return
        }
        bytes.append(offsetSeconds < 0 ? 0x2D : 0x2B)
        let offset = abs(offsetSeconds)
        appendDigits(offset / 3600, width: 2, to: &bytes)
        bytes.append(0x3A)
        appendDigits(offset / 60 % 60, width: 2, to: &bytes)
    }

    /// Parses ISO 8601 with a zone (`Z`, `+08:00`, `+0800`) or, without one, in `defaultOffsetSeconds`.
    /// Accepts a space instead of `T`, optional seconds and fractions, and a bare date (midnight).
    public init?(iso8601 text: String, defaultOffsetSeconds: Int64 = 8 * 3600) {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ count: Int) -> Int64? {
            guard index + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[index..<index + count] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - 0x30)
            }
            index += count
            return value
        }
        func skip(_ character: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == character else { return false }
            index += 1
            return true
        }
        guard let year = number(4), skip(0x2D), let month = number(2), skip(0x2D), let day = number(2),
              let date = CivilDate(year: Int(year), month: Int(month), day: Int(day)) else { return nil }
        var secondOfDay: Int64 = 0
        var offset = defaultOffsetSeconds
        if index < bytes.count {
            guard skip(0x54) || skip(0x20) || skip(0x74), let hour = number(2), hour < 24, skip(0x3A),
                  let minute = number(2), minute < 60 else { return nil }
            var second: Int64 = 0
            if skip(0x3A) {
                guard let value = number(2), value < 61 else { return nil }
                second = min(value, 59)
                if skip(0x2E) || skip(0x2C) {
                    let start = index
                    while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
                    guard index > start else { return nil }
                }
            }
            secondOfDay = hour * 3600 + minute * 60 + second
            if skip(0x5A) || skip(0x7A) {
                offset = 0
            } else if index < bytes.count, bytes[index] == 0x2B || bytes[index] == 0x2D {
                let negative = bytes[index] == 0x2D
                index += 1
                guard let hours = number(2), hours <= 18 else { return nil }
                _ = skip(0x3A)
                let minutes = number(2) ?? 0
                guard minutes < 60 else { return nil }
                offset = (hours * 3600 + minutes * 60) * (negative ? -1 : 1)
            }
            guard index == bytes.count else { return nil }
        }
        seconds = date.dayNumber * 86_400 + secondOfDay - offset
    }
}

/// Appends a non-negative `value` in decimal, zero-padded to at least `width` digits.
func appendDigits(_ value: Int64, width: Int = 1, to bytes: inout [UInt8]) {
    var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var remaining = UInt64(value)
    var count = 0
    withUnsafeMutableBytes(of: &digits) { buffer in
        repeat {
            buffer[19 - count] = 0x30 + UInt8(remaining % 10)
            remaining /= 10
            count += 1
        } while remaining > 0
        while count < width && count < 20 {
            buffer[19 - count] = 0x30
            count += 1
        }
        bytes.append(contentsOf: buffer[(20 - count)...])
    }
}

@inline(__always)
func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
    let quotient = value / divisor
    return value % divisor < 0 ? quotient - 1 : quotient
}

@inline(__always)
func floorModulo(_ value: Int64, _ divisor: Int64) -> Int64 {
    let remainder = value % divisor
    return remainder < 0 ? remainder + divisor : remainder
}

/// A day of the proleptic Gregorian calendar, convertible to and from a day number (days since 1970-01-01).
public struct CivilDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Nil unless the date exists (2025-02-29 does not).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= CivilDate.daysIn(month: month, year: year) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The date of a day number (H. Hinnant's civil_from_days).
    public init(dayNumber: Int64) {
        let z = dayNumber + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        day = Int(dayOfYear - (153 * mp + 2) / 5 + 1)
        month = Int(mp < 10 ? mp + 3 : mp - 9)
        year = Int(yearOfEra + era * 400 + (month <= 2 ? 1 : 0))
    }

    /// Days since 1970-01-01 (H. Hinnant's days_from_civil).
    public var dayNumber: Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// 0 = Sunday … 6 = Saturday.
    public var weekday: Int { Int(floorModulo(dayNumber + 4, 7)) }

    public var description: String {
        let y = String(year), m = month < 10 ? "0\(month)" : "\(month)", d = day < 10 ? "0\(day)" : "\(day)"
        return "\(String(repeating: "0", count: max(0, 4 - y.count)))\(y)-\(m)-\(d)"
    }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool { lhs.dayNumber < rhs.dayNumber }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
