import Foundation

/// The time zone a callee lives in, for calling hours in the callee's time (RULES C4).
///
/// Mainland China has kept UTC+8 without daylight saving since 1991, so Chinese callees take a fixed-offset
/// fast path; other zones go through Foundation's time-zone database, daylight saving included.
public struct CalleeZone: Sendable, Hashable, CustomStringConvertible {
    enum Rule: Sendable, Hashable {
        case fixed(Int64)
        case zone(TimeZone)
    }

    let rule: Rule
    /// Whether mainland China's holiday calendar applies.
    public let observesChineseHolidays: Bool
    public let identifier: String

    /// Asia/Shanghai, with China's statutory holidays.
    public static let china = CalleeZone(rule: .fixed(8 * 3600), observesChineseHolidays: true, identifier: "Asia/Shanghai")

    init(rule: Rule, observesChineseHolidays: Bool, identifier: String) {
        self.rule = rule
        self.observesChineseHolidays = observesChineseHolidays
        self.identifier = identifier
    }

    /// The zone named by an IANA identifier; nil if the system does not know it.
    public init?(identifier: String) {
        if identifier == "Asia/Shanghai" || identifier == "Asia/Chongqing" || identifier == "Asia/Harbin" || identifier == "Asia/Urumqi" {
            self = .china  // all of the mainland keeps Beijing time for calling purposes
            return
        }
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        self.init(rule: .zone(zone), observesChineseHolidays: false, identifier: identifier)
    }

    /// The zones a number's callee may be in: China for +86, the directory's zones otherwise.
    public static func zones(for info: PhoneInfo) -> [CalleeZone] {
        if info.number.isChinese { return [.china] }
        let zones = info.timeZones.compactMap { CalleeZone(identifier: $0) }
        return zones.isEmpty ? [.china] : zones
    }

    public var description: String { identifier }

    /// Seconds to add to UTC to get local time at `moment`.
    @inline(__always)
    public func offset(at moment: Timestamp) -> Int64 {
        switch rule {
        case let .fixed(offset): offset
        case let .zone(zone): Int64(zone.secondsFromGMT(for: moment.date))
        }
    }

    /// The local day number (days since 1970-01-01 in local time) at `moment`.
    @inline(__always)
    public func localDay(at moment: Timestamp) -> Int64 {
        floorDivide(moment.seconds + offset(at: moment), 86_400)
    }

    /// Seconds since local midnight at `moment`.
    @inline(__always)
    public func secondOfDay(at moment: Timestamp) -> Int64 {
        floorModulo(moment.seconds + offset(at: moment), 86_400)
    }

    /// The moment local clocks show `secondOfDay` on local day `day`. Across a daylight-saving change the
    /// offset of the result is used, so a time that does not exist lands just after the gap.
    public func moment(day: Int64, secondOfDay: Int64) -> Timestamp {
        let local = day * 86_400 + secondOfDay
        switch rule {
        case let .fixed(offset):
            return Timestamp(seconds: local - offset)
        case .zone:
            var guess = Timestamp(seconds: local - offset(at: Timestamp(seconds: local)))
            guess = Timestamp(seconds: local - offset(at: guess))
            return guess
        }
    }
}
