import Foundation

/// Where an appeal to a marking platform stands (RULES P12).
public enum AppealState: String, Sendable, Codable, CaseIterable, Hashable {
    case draft
    case submitted
    case accepted
    case rejected

    /// Whether an appeal may go from `self` to `next`: draft → submitted → accepted or rejected.
    public func allows(_ next: AppealState) -> Bool {
        switch (self, next) {
        case (.draft, .submitted), (.submitted, .accepted), (.submitted, .rejected): true
        default: false
        }
    }
}

/// An appeal against a platform's marks on one number (RULES P12).
public struct Appeal: Sendable, Hashable {
    public let id: Int64
    public let number: PhoneNumber
    public let platform: MarkPlatform
    public var state: AppealState
    /// Opened by the fraud rule (RULES P10): to be worked first.
    public let urgent: Bool
    /// Why it was opened (`P10: fraud mark …`, or an operator's words).
    public let reason: String
    public let openedAt: Date
    public var submittedAt: Date?
    /// The platform's answer is due by then: `appealWorkdays` working days after submission.
    public var dueAt: Date?
    public var decidedAt: Date?
    public var note: String?

    public init(
        id: Int64, number: PhoneNumber, platform: MarkPlatform, state: AppealState, urgent: Bool, reason: String, openedAt: Date,
        submittedAt: Date?, dueAt: Date?, decidedAt: Date?, note: String?
    ) {
        self.id = id
        self.number = number
        self.platform = platform
        self.state = state
        self.urgent = urgent
        self.reason = reason
        self.openedAt = openedAt
        self.submittedAt = submittedAt
        self.dueAt = dueAt
        self.decidedAt = decidedAt
        self.note = note
    }

    /// The appeal moved to `next` at `now`, with its SLA set on submission.
    public func moved(to next: AppealState, at now: Date, note: String?, calendar: HolidayCalendar, policy: PoolPolicy)
        throws(PoolInputError) -> Appeal
    {
        guard state.allows(next) else { throw .appealTransition(from: state, to: next) }
        var moved = self
        moved.state = next
        moved.note = note ?? self.note
        switch next {
        case .submitted:
            moved.submittedAt = now
            moved.dueAt = Appeal.dueDate(after: now, workdays: policy.appealWorkdays, calendar: calendar)
        case .accepted, .rejected:
            moved.decidedAt = now
        case .draft:
            break
        }
        return moved
    }

    /// The end of the `workdays`-th working day after `start` (Beijing time; holidays and 调休 respected).
    public static func dueDate(after start: Date, workdays: Int, calendar: HolidayCalendar) -> Date {
        var day = CalleeZone.china.localDay(at: Timestamp(start))
        var counted = 0
        while counted < workdays {
            day += 1
            if calendar.kind(ofDay: day).isWorkday { counted += 1 }
        }
        return CalleeZone.china.moment(day: day + 1, secondOfDay: 0).date.addingTimeInterval(-1)
    }
}

/// What a platform asks for to remove marks (RULES P12): who the number belongs to, how it is used, and
/// that its calls are wanted. Generated from the pool and the call records.
public struct AppealEvidence: Sendable, Hashable, Codable {
    public let number: String
    public let platform: String
    public let filingReference: String
    public let displayName: String?
    public let purpose: String
    public let carrier: String?
    public let region: String?
    /// Calls per day over the last days (Beijing dates), oldest first.
    public let dailyVolume: [DayVolume]
    /// Answered share of all attempts over those days.
    public let connectRate: Double
    /// Of its marketing attempts, the share made to callees with a valid marketing consent.
    public let consentShare: Double?
    public let marketingAttempts: Int
    public let complaints: Int
    /// The platform's current marks by kind.
    public let marks: [String: Int]
    public let generatedAt: Date

    public struct DayVolume: Sendable, Hashable, Codable {
        public let date: String
        public let attempts: Int
        public let answered: Int
    }

    public init(
        number: CallerNumber, platform: MarkPlatform, days: [DailyStats], marketingAttempts: Int, marketingWithConsent: Int,
        complaints: Int, marks: MarkSummary, generatedAt: Date
    ) {
        self.number = number.number.e164
        self.platform = platform.rawValue
        filingReference = number.filingReference
        displayName = number.displayName
        purpose = number.purpose.rawValue
        carrier = number.carrier
        region = [number.province?.name, number.city].compactMap { $0 }.joined(separator: " ").nonEmpty
        dailyVolume = days.map { DayVolume(date: CivilDate(dayNumber: $0.day).description, attempts: $0.attempts, answered: $0.answered) }
        let attempts = days.reduce(0) { $0 + $1.attempts }
        connectRate = attempts == 0 ? 0 : Double(days.reduce(0) { $0 + $1.answered }) / Double(attempts)
        self.marketingAttempts = marketingAttempts
        consentShare = marketingAttempts == 0 ? nil : Double(marketingWithConsent) / Double(marketingAttempts)
        self.complaints = complaints
        self.marks = Dictionary(uniqueKeysWithValues: (marks.counts[platform] ?? [:]).map { ($0.key.rawValue, $0.value) })
        self.generatedAt = generatedAt
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
