import Foundation

/// What kind of day a day is for calling (RULES C4).
public enum DayKind: Sendable, Hashable {
    /// A day of a statutory holiday's official rest period (法定节假日): no calls.
    case holiday(String)
    /// A weekend day made a workday (调休): a workday in every respect.
    case makeUpWorkday(String)
    /// Monday to Friday.
    case workday
    /// An ordinary Saturday or Sunday: calls allowed, but not golden hours.
    case weekend

    /// Whether the day counts as a workday (golden hours apply).
    public var isWorkday: Bool {
        switch self {
        case .workday, .makeUpWorkday: true
        case .holiday, .weekend: false
        }
    }
}

/// Mainland China's statutory holidays and make-up workdays, from the bundled table (2024–2026, derived from
/// chinese-calendar) extended by the policy file's extra days.
public struct HolidayCalendar: Sendable, Hashable {
    private(set) var holidays: [Int64: String] = [:]
    private(set) var workdays: [Int64: String] = [:]
    /// The years the calendar has data for.
    public private(set) var years: Set<Int> = []
    /// Every day from 1 January of the first year to 31 December of the last, for the hot path:
    /// bit 0 holiday, bit 1 make-up workday, bit 2 the day's year has data.
    private var dense: [UInt8] = []
    private var denseStart: Int64 = 0

    public init() {}

    /// The calendar bundled with waihu.
    public static let bundled: HolidayCalendar = {
        guard let url = Bundle.module.url(forResource: "holidays-cn", withExtension: "txt"),
              let text = try? String(contentsOf: url, encoding: .utf8),
              let calendar = try? HolidayCalendar(parsing: text) else {
            fatalError("waihu's holiday calendar resource (holidays-cn.txt) is missing or corrupt")
        }
        return calendar
    }()

    /// Parses lines `YYYY-MM-DD holiday|workday name`; `#` starts a comment.
    public init(parsing text: String) throws(ConfigurationError) {
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = content.split(separator: " ", maxSplits: 2)
            if fields.isEmpty { continue }
            guard fields.count >= 2, let date = CivilDate(fields[0]) else {
                throw ConfigurationError("holiday calendar line \(offset + 1): expected 'YYYY-MM-DD holiday|workday name', found '\(line)'")
            }
            let name = fields.count > 2 ? String(fields[2]) : ""
            switch fields[1] {
            case "holiday": add(holiday: date, name: name)
            case "workday": add(workday: date, name: name)
            default:
                throw ConfigurationError("holiday calendar line \(offset + 1): '\(fields[1])' is neither holiday nor workday")
            }
        }
    }

    /// Adds a day of an official rest period.
    public mutating func add(holiday date: CivilDate, name: String) {
        workdays[date.dayNumber] = nil
        holidays[date.dayNumber] = name
        years.insert(date.year)
        rebuildDense()
    }

    /// Adds a make-up workday (调休).
    public mutating func add(workday date: CivilDate, name: String) {
        holidays[date.dayNumber] = nil
        workdays[date.dayNumber] = name
        years.insert(date.year)
        rebuildDense()
    }

    private mutating func rebuildDense() {
        guard let firstYear = years.min(), let lastYear = years.max() else { return }
        let first = CivilDate(year: firstYear, month: 1, day: 1)!.dayNumber
        let last = CivilDate(year: lastYear, month: 12, day: 31)!.dayNumber
        denseStart = first
        dense = [UInt8](repeating: 0, count: Int(last - first + 1))
        for year in years {
            let start = CivilDate(year: year, month: 1, day: 1)!.dayNumber, end = CivilDate(year: year, month: 12, day: 31)!.dayNumber
            for day in start...end { dense[Int(day - first)] |= 4 }
        }
        for day in holidays.keys { dense[Int(day - first)] |= 1 }
        for day in workdays.keys { dense[Int(day - first)] |= 2 }
    }

    /// Whether `day` is a day of a statutory holiday's rest period.
    @inline(__always)
    public func isHoliday(_ day: Int64) -> Bool {
        let offset = day - denseStart
        return offset >= 0 && offset < Int64(dense.count) && dense[Int(offset)] & 1 != 0
    }

    /// The kind of the local day `day` (days since 1970-01-01).
    @inline(__always)
    public func kind(ofDay day: Int64) -> DayKind {
        let offset = day - denseStart
        if offset >= 0 && offset < Int64(dense.count) {
            let bits = dense[Int(offset)]
            if bits & 1 != 0 { return .holiday(holidays[day] ?? "") }
            if bits & 2 != 0 { return .makeUpWorkday(workdays[day] ?? "") }
        }
        let weekday = floorModulo(day + 4, 7)
        return weekday == 0 || weekday == 6 ? .weekend : .workday
    }

    /// Whether the calendar has holiday data for the year of `day`.
    @inline(__always)
    public func covers(day: Int64) -> Bool {
        let offset = day - denseStart
        return offset >= 0 && offset < Int64(dense.count) && dense[Int(offset)] & 4 != 0
    }
}
