import Crypto
import Foundation
import WaihuCore

/// Reads the policy file (YAML). Every key is optional: a missing key keeps the rulebook's default.
///
/// The full set of keys with their defaults is in `policy.example.yaml` at the repository's root.
public enum PolicyFile {
    /// Loads and validates the policy at `path`; its version and SHA-256 are stamped on the result.
    public static func load(path: String) throws(ConfigurationError) -> Policy {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("policy file \(path) cannot be read; check the path given by --policy, WAIHU_POLICY or 'policy' in the configuration")
        }
        return try parse(data, file: path)
    }

    /// Parses policy YAML from `data`; `file` names it in errors.
    public static func parse(_ data: Data, file: String) throws(ConfigurationError) -> Policy {
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError("\(file): not UTF-8 text")
        }
        var root = try YAMLSection.document(text, file: file)
        var policy = Policy()
        policy.digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        guard let version = try root.string("version"), !version.isEmpty else {
            throw ConfigurationError("\(file): 'version' is required; name this policy (a date or a number) so that decisions can be traced to it")
        }
        policy.version = version
        if var pool = try root.section("pool") {
            try read(&pool, into: &policy.pool)
            try pool.finish()
        }
        if var hours = try root.section("hours") {
            try read(&hours, into: &policy.compliance.hours, calendar: &policy.calendar)
            try hours.finish()
        }
        if var frequency = try root.section("frequency") {
            try read(&frequency, into: &policy.compliance.frequency)
            try frequency.finish()
        }
        if var consent = try root.section("consent") {
            try read(&consent, into: &policy.compliance.consent)
            try consent.finish()
        }
        if var lists = try root.section("lists") {
            try read(&lists, into: &policy.compliance.lists)
            try lists.finish()
        }
        if var retention = try root.section("retention") {
            if let days = try retention.int("personalDataDays", in: 1...36_500) { policy.compliance.retention.personalDataDays = days }
            if let days = try retention.int("decisionDays", in: 1...36_500) { policy.compliance.retention.decisionDays = days }
            try retention.finish()
        }
        try root.finish()
        return policy
    }

    static let purposeNames = CallPurpose.allCases.map(\.rawValue).joined(separator: ", ")

    private static func purposes(_ section: inout YAMLSection, _ name: String) throws(ConfigurationError) -> CallPurposes? {
        guard let names = try section.strings(name) else { return nil }
        var purposes: [CallPurpose] = []
        for text in names {
            guard let purpose = CallPurpose(parsing: text) else {
                throw section.problem(name, "lists '\(text)', which is not a purpose; purposes are \(purposeNames)")
            }
            purposes.append(purpose)
        }
        return CallPurposes(purposes)
    }

    private static func read(
        _ section: inout YAMLSection, into hours: inout CallingHoursPolicy, calendar: inout HolidayCalendar
    ) throws(ConfigurationError) {
        if let start = try section.timeOfDay("start") { hours.start = start }
        if let end = try section.timeOfDay("end") { hours.end = end }
        guard hours.start < hours.end else { throw section.problem("start", "must be before hours.end") }
        if let start = try section.timeOfDay("elderlyStart") { hours.elderlyStart = start }
        if let end = try section.timeOfDay("elderlyEnd") { hours.elderlyEnd = end }
        guard hours.elderlyStart < hours.elderlyEnd else { throw section.problem("elderlyStart", "must be before hours.elderlyEnd") }
        if let age = try section.int("elderlyAge", in: 40...120) { hours.elderlyAge = age }
        if let ranges = try section.strings("goldenHours") {
            hours.goldenHours = []
            for text in ranges {
                let bounds = text.split(separator: "-").map { YAMLSection.parseTimeOfDay(String($0).trimmingCharacters(in: .whitespaces)) }
                guard bounds.count == 2, let start = bounds[0], let end = bounds[1], start < end else {
                    throw section.problem("goldenHours", "lists '\(text)'; give ranges such as 09:00-12:00")
                }
                hours.goldenHours.append(start..<end)
            }
        }
        if let exempt = try purposes(&section, "exemptPurposes") { hours.exemptPurposes = exempt }
        for (key, isHoliday) in [("extraHolidays", true), ("extraWorkdays", false)] {
            guard let days = try section.strings(key) else { continue }
            for text in days {
                let bounds = text.components(separatedBy: "..").map { CivilDate($0.trimmingCharacters(in: .whitespaces)) }
                guard (1...2).contains(bounds.count), let first = bounds.first ?? nil, let last = bounds.last ?? nil, first <= last,
                      last.dayNumber - first.dayNumber < 60 else {
                    throw section.problem(key, "lists '\(text)'; give dates such as 2027-01-01 or ranges such as 2027-02-06..2027-02-13")
                }
                for day in first.dayNumber...last.dayNumber {
                    let date = CivilDate(dayNumber: day)
                    if isHoliday { calendar.add(holiday: date, name: "policy") } else { calendar.add(workday: date, name: "policy") }
                }
            }
        }
    }

    private static func read(_ section: inout YAMLSection, into frequency: inout FrequencyPolicy) throws(ConfigurationError) {
        let most = AttemptHistory.capacity
        if let limit = try section.int("perCalendarDay", in: 0...most) { frequency.perCalendarDay = limit }
        if let windows = try section.sections("windows") {
            frequency.windows = []
            for var window in windows {
                let days = try window.int("days", in: 1...366), hours = try window.int("hours", in: 1...8784)
                let minutes = try window.int("minutes", in: 1...527_040)
                let spans = [days.map { Int64($0) * 86_400 }, hours.map { Int64($0) * 3600 }, minutes.map { Int64($0) * 60 }].compactMap { $0 }
                guard spans.count == 1 else {
                    throw window.problem("days", "give exactly one of days, hours or minutes for a window")
                }
                guard let limit = try window.int("max", in: 1...most) else {
                    throw window.problem("max", "is required: the most attempts the window allows (1 to \(most))")
                }
                try window.finish()
                frequency.windows.append(FrequencyWindow(seconds: spans[0], limit: limit))
            }
        }
        if let hours = try section.int("minimumGapHours", in: 0...8784) { frequency.minimumGap = Int64(hours) * 3600 }
        if var gaps = try section.section("purposeGapHours") {
            frequency.purposeGaps = [:]
            for purpose in CallPurpose.allCases {
                if let hours = try gaps.int(purpose.rawValue, in: 0...8784) { frequency.purposeGaps[purpose] = Int64(hours) * 3600 }
            }
            try gaps.finish()
        }
        if let exempt = try purposes(&section, "exemptPurposes") { frequency.exemptPurposes = exempt }
    }

    private static func read(_ section: inout YAMLSection, into consent: inout ConsentPolicy) throws(ConfigurationError) {
        if let required = try purposes(&section, "requiredFor") { consent.requiredFor = required }
        if let separate = try section.bool("requireSeparate") { consent.requireSeparate = separate }
        if let days = try section.int("retentionDays", in: 365...36_500) { consent.retentionDays = days }
        if let days = try section.int("optInValidityDays", in: 1...3650) { consent.optInValidityDays = days }
        if let days = try section.int("optInReplyDays", in: 1...90) { consent.optInReplyDays = days }
    }

    private static func read(_ section: inout YAMLSection, into lists: inout ListPolicy) throws(ConfigurationError) {
        for reason in DoNotCallReason.allCases {
            guard var list = try section.section(reason.rawValue) else { continue }
            if let blocks = try purposes(&list, "blocks") {
                switch reason {
                case .refusal: lists.refusalBlocks = blocks
                case .complaint: lists.complaintBlocks = blocks
                case .invalid: lists.invalidBlocks = blocks
                case .imported: lists.importedBlocks = blocks
                }
            }
            if reason == .refusal || reason == .invalid, let text = try list.string("lockDays") {
                let days: Int?
                if text == "forever" {
                    days = nil
                } else if let value = Int(text), (1...36_500).contains(value) {
                    days = value
                } else {
                    throw list.problem("lockDays", "is '\(text)'; give a number of days or forever")
                }
                if reason == .refusal { lists.refusalLockDays = days } else { lists.invalidLockDays = days }
            }
            try list.finish()
        }
        if let fromOutcomes = try section.bool("invalidFromCallOutcomes") { lists.invalidFromCallOutcomes = fromOutcomes }
    }

    private static func read(_ section: inout YAMLSection, into pool: inout PoolPolicy) throws(ConfigurationError) {
        if let cap = try section.int("maximumDailyCap", in: 1...10_000) { pool.maximumDailyCap = cap }
        if let cap = try section.int("defaultDailyCap", in: 1...10_000) { pool.defaultDailyCap = cap }
        guard pool.defaultDailyCap <= pool.maximumDailyCap else {
            throw ConfigurationError("\(section.file): 'pool.defaultDailyCap' (\(pool.defaultDailyCap)) is above 'pool.maximumDailyCap' (\(pool.maximumDailyCap))")
        }
        if let status = try section.choice("initialStatus", CallerNumberStatus.init(parsing:),
                                           allowed: "warming, active or standby") {
            guard [.warming, .active, .standby].contains(status) else {
                throw ConfigurationError("\(section.file): 'pool.initialStatus' is '\(status.rawValue)'; new numbers start warming, active or standby")
            }
            pool.initialStatus = status
        }
        if let allow = try section.bool("allowVirtualForMarketing") { pool.allowVirtualForMarketing = allow }
        let integers: [(String, ClosedRange<Int>, WritableKeyPath<PoolPolicy, Int>)] = [
            ("warmupStartCap", 1...10_000, \.warmupStartCap), ("warmupRaisedCap", 1...10_000, \.warmupRaisedCap),
            ("warmupRaiseAfterDays", 0...365, \.warmupRaiseAfterDays), ("warmupCleanDays", 1...365, \.warmupCleanDays),
            ("reducedCap", 1...10_000, \.reducedCap), ("concurrentCallsPerNumber", 1...100, \.concurrentCallsPerNumber),
            ("stickyDays", 0...365, \.stickyDays), ("reservationSeconds", 5...3600, \.reservationSeconds),
            ("maxCallSeconds", 60...86_400, \.maxCallSeconds), ("leaseBlock", 1...100, \.leaseBlock),
            ("restingDays", 1...365, \.restingDays), ("suspendMarksAbove", 0...1000, \.suspendMarksAbove),
            ("connectFlagDays", 1...30, \.connectFlagDays), ("baselineDays", 1...90, \.baselineDays),
            ("shortCallSeconds", 1...120, \.shortCallSeconds), ("minimumDailyAttempts", 1...10_000, \.minimumDailyAttempts),
            ("reviewDays", 1...3650, \.reviewDays), ("retireMarksAtLeast", 0...1000, \.retireMarksAtLeast),
            ("appealWorkdays", 1...30, \.appealWorkdays),
        ]
        for (key, range, path) in integers {
            if let value = try section.int(key, in: range) { pool[keyPath: path] = value }
        }
        if let hourly = try section.int("hourlyCap", in: 1...10_000) { pool.hourlyCap = hourly }
        let shares: [(String, WritableKeyPath<PoolPolicy, Double>)] = [
            ("standbyShare", \.standbyShare), ("weeklySwapShare", \.weeklySwapShare), ("connectFlagBelow", \.connectFlagBelow),
            ("throttleFactor", \.throttleFactor), ("retireConnectBelow", \.retireConnectBelow), ("replenishShareLow", \.replenishShareLow),
            ("replenishShareHigh", \.replenishShareHigh), ("agentGoodMarkRate", \.agentGoodMarkRate),
        ]
        for (key, path) in shares {
            if let value = try section.fraction(key) { pool[keyPath: path] = value }
        }
        let points: [(String, WritableKeyPath<PoolPolicy, Double>)] = [
            ("connectDropPoints", \.connectDropPoints), ("shortCallRisePoints", \.shortCallRisePoints), ("declineRisePoints", \.declineRisePoints),
        ]
        for (key, path) in points {
            if let value = try section.int(key, in: 0...100) { pool[keyPath: path] = Double(value) }
        }
        for (key, path) in [("markPollAt", \PoolPolicy.markPollAt), ("evaluateAt", \PoolPolicy.evaluateAt), ("reviewAt", \PoolPolicy.reviewAt)] {
            if let value = try section.timeOfDay(key) { pool[keyPath: path] = value }
        }
        guard pool.warmupStartCap <= pool.warmupRaisedCap, pool.warmupRaisedCap <= pool.defaultDailyCap else {
            throw ConfigurationError("\(section.file): 'pool.warmupStartCap' ≤ 'pool.warmupRaisedCap' ≤ 'pool.defaultDailyCap' must hold")
        }
        guard pool.replenishShareLow <= pool.replenishShareHigh else {
            throw ConfigurationError("\(section.file): 'pool.replenishShareLow' is above 'pool.replenishShareHigh'")
        }
    }
}
