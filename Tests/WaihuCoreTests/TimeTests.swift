import Foundation
import Testing
@testable import WaihuCore

@Suite("Time")
struct TimeTests {
    @Test("civil dates round-trip through day numbers and know their weekday")
    func civilDates() {
        #expect(CivilDate("1970-01-01")?.dayNumber == 0)
        #expect(CivilDate("2000-03-01")?.dayNumber == 11_017)
        #expect(CivilDate(dayNumber: -1).description == "1969-12-31")
        for day in stride(from: Int64(-800_000), through: 800_000, by: 997) {
            #expect(CivilDate(dayNumber: day).dayNumber == day)
        }
        #expect(CivilDate("2025-03-03")?.weekday == 1)  // a Monday
        #expect(CivilDate("2026-11-22")?.weekday == 0)  // a Sunday
        #expect(CivilDate("2024-02-29") != nil)
        #expect(CivilDate("2025-02-29") == nil)
        #expect(CivilDate("2025-13-01") == nil)
        #expect(CivilDate("25-01-01") == nil)
    }

    static let isoCases: [(String, Int64)] = [
        ("2026-11-22T09:30:00Z", 1_795_339_800), ("2026-11-22T17:30:00+08:00", 1_795_339_800), ("2026-11-22 17:30", 1_795_339_800),
        ("2026-11-22T17:30:00.250+0800", 1_795_339_800), ("2026-11-22T04:30-05:00", 1_795_339_800), ("2026-11-22", 1_795_276_800),
    ]

    @Test("ISO 8601 in, with or without a zone (Beijing time by default)", arguments: isoCases)
    func iso8601(_ text: String, _ seconds: Int64) {
        #expect(Timestamp(iso8601: text)?.seconds == seconds)
    }

    @Test("malformed times are refused", arguments: ["", "tomorrow", "2026-11-22T25:00", "2026-11-22T10:00+19:00", "2026-02-30", "2026-11-22T10:00Zjunk", "2026-11-22T10"])
    func badTimes(_ text: String) {
        #expect(Timestamp(iso8601: text) == nil)
    }

    @Test("formatting")
    func formatting() {
        let moment = Timestamp(seconds: 1_795_339_800)
        #expect(moment.description == "2026-11-22T09:30:00Z")
        #expect(moment.iso8601(offsetSeconds: 8 * 3600) == "2026-11-22T17:30:00+08:00")
        #expect(moment.iso8601(offsetSeconds: -5 * 3600) == "2026-11-22T04:30:00-05:00")
        #expect(Timestamp(seconds: -1).description == "1969-12-31T23:59:59Z")
    }

    @Test("the bundled holiday calendar: 2024–2026, rest periods and make-up workdays")
    func calendar() {
        let calendar = HolidayCalendar.bundled
        #expect(calendar.years == [2024, 2025, 2026])
        func kind(_ text: String) -> DayKind { calendar.kind(ofDay: CivilDate(text)!.dayNumber) }
        #expect(kind("2025-01-28") == .holiday("Spring Festival"))
        #expect(kind("2025-02-04") == .holiday("Spring Festival"))
        #expect(kind("2025-02-05") == .workday)
        #expect(kind("2025-01-26") == .makeUpWorkday("Spring Festival"))
        #expect(kind("2025-03-08") == .weekend)
        #expect(kind("2026-10-07") == .holiday("National Day"))
        #expect(kind("2026-10-10") == .makeUpWorkday("National Day"))
        #expect(kind("2024-10-01") == .holiday("National Day"))
        #expect(kind("2026-10-10").isWorkday)
        #expect(!kind("2026-10-07").isWorkday)
        #expect(throws: ConfigurationError.self) { try HolidayCalendar(parsing: "2025-01-01 party New Year") }
        #expect(throws: ConfigurationError.self) { try HolidayCalendar(parsing: "2025-13-01 holiday x") }
    }

    @Test("Chinese callees use UTC+8; others their zone, daylight saving included")
    func zones() {
        let moment = Timestamp(iso8601: "2025-07-01T12:00:00Z")!
        #expect(CalleeZone.china.offset(at: moment) == 8 * 3600)
        let newYork = CalleeZone(identifier: "America/New_York")!
        #expect(newYork.offset(at: moment) == -4 * 3600)
        #expect(newYork.offset(at: Timestamp(iso8601: "2025-01-15T12:00:00Z")!) == -5 * 3600)
        #expect(newYork.moment(day: CivilDate("2025-07-01")!.dayNumber, secondOfDay: 8 * 3600) == Timestamp(iso8601: "2025-07-01T12:00:00Z"))
        #expect(CalleeZone(identifier: "Mars/Olympus") == nil)
        #expect(CalleeZone(identifier: "Asia/Shanghai") == .china)
    }
}
