import Foundation

/// One number's calls on one local day (Beijing time).
public struct DailyStats: Sendable, Hashable, Codable {
    /// Days since 1970-01-01, Beijing time.
    public let day: Int64
    public var attempts = 0
    public var answered = 0
    /// Answered calls shorter than the policy's short-call length: callees who hang up at once.
    public var short = 0
    /// Declined calls (SIP 603/607/608): callees who reject the caller.
    public var declined = 0

    public init(day: Int64, attempts: Int = 0, answered: Int = 0, short: Int = 0, declined: Int = 0) {
        self.day = day
        self.attempts = attempts
        self.answered = answered
        self.short = short
        self.declined = declined
    }

    public var connectRate: Double { attempts == 0 ? 0 : Double(answered) / Double(attempts) }
    public var shortShare: Double { answered == 0 ? 0 : Double(short) / Double(answered) }
    public var declineShare: Double { attempts == 0 ? 0 : Double(declined) / Double(attempts) }
}

/// A number's health, 0–100, and what took points off it.
public struct NumberHealth: Sendable, Hashable, Codable {
    public let score: Int
    /// Points taken off, by cause: `marks`, `fraud`, `connectRate`, `shortCalls`, `declines`, `complaints`.
    public let deductions: [String: Int]

    /// Scores a number from its marks, its last days and its complaints.
    public init(marks: MarkSummary, days: [DailyStats], complaints: Int, policy: PoolPolicy) {
        var deductions: [String: Int] = [:]
        if marks.fraud > 0 { deductions["fraud"] = 100 }
        if marks.total > 0 { deductions["marks"] = min(60, marks.total * 10) }
        let judged = days.filter { $0.attempts >= policy.minimumDailyAttempts }
        let attempts = judged.reduce(0) { $0 + $1.attempts }
        if attempts > 0 {
            let answered = judged.reduce(0) { $0 + $1.answered }
            let rate = Double(answered) / Double(attempts)
            // Industry average ~60% (RULES P11): below it costs up to 40 points.
            if rate < 0.6 { deductions["connectRate"] = min(40, Int(((0.6 - rate) * 100).rounded())) }
            let short = judged.reduce(0) { $0 + $1.short }, declined = judged.reduce(0) { $0 + $1.declined }
            if answered > 0, short > 0 { deductions["shortCalls"] = min(20, Int((Double(short) / Double(answered) * 40).rounded())) }
            if declined > 0 { deductions["declines"] = min(20, Int((Double(declined) / Double(attempts) * 60).rounded())) }
        }
        if complaints > 0 { deductions["complaints"] = min(30, complaints * 10) }
        self.deductions = deductions.filter { $0.value > 0 }
        score = max(0, 100 - self.deductions.values.reduce(0, +))
    }

    public init(score: Int, deductions: [String: Int]) {
        self.score = score
        self.deductions = deductions
    }
}

/// What the pool does to a number, with the rule that asks for it. Evaluations return these; the pool
/// service applies them and records each in the number's history.
public enum PoolAction: Sendable, Hashable {
    /// Stop the number (RULES P9: more than 5 marks; P10: a fraud mark).
    case suspend(rule: String, reason: String)
    /// Open an urgent appeal with the platform (RULES P10).
    case openUrgentAppeal(MarkPlatform)
    /// Flag the number for review (RULES P11).
    case flag(reason: String)
    /// Lower today's cap (RULES P4: throttle first).
    case throttle(cap: Int, reason: String)
    /// Rest the number until the day given and promote a standby number in its place (RULES P4).
    case rest(untilDay: Int64, reason: String)
    /// Warm-up done: the number becomes active with its full cap (RULES P14).
    case activate
    /// A rested number's cool-down is over: back to standby (RULES P4).
    case returnToStandby

    /// The rulebook id.
    public var rule: String {
        switch self {
        case let .suspend(rule, _): rule
        case .openUrgentAppeal: "P10"
        case .flag: "P11"
        case .throttle, .rest, .returnToStandby: "P4"
        case .activate: "P14"
        }
    }
}

/// The state of a number that the daily evaluation looks at.
public struct NumberSnapshot: Sendable, Hashable {
    public let number: CallerNumber
    public let marks: MarkSummary
    /// Daily stats, oldest first, ending with the most recent complete day.
    public let days: [DailyStats]
    public let complaints: Int
    /// Local day the number started warming up, for warming numbers.
    public let warmingSinceDay: Int64?
    /// Local day until which it rests, for resting numbers.
    public let restingUntilDay: Int64?
    /// Whether it was throttled on an earlier day of the current signs.
    public let throttledBefore: Bool
    /// Whether it is already flagged for review.
    public let flagged: Bool

    public init(
        number: CallerNumber, marks: MarkSummary, days: [DailyStats], complaints: Int, warmingSinceDay: Int64?,
        restingUntilDay: Int64?, throttledBefore: Bool, flagged: Bool
    ) {
        self.number = number
        self.marks = marks
        self.days = days
        self.complaints = complaints
        self.warmingSinceDay = warmingSinceDay
        self.restingUntilDay = restingUntilDay
        self.throttledBefore = throttledBefore
        self.flagged = flagged
    }
}

/// The daily health rules (RULES P4, P9, P10, P11, P14) as a pure function of a number's snapshot.
public enum PoolEvaluation {
    /// What to do with one number on local day `today`, and its health.
    public static func evaluate(_ snapshot: NumberSnapshot, today: Int64, policy: PoolPolicy) -> (health: NumberHealth, actions: [PoolAction]) {
        let number = snapshot.number
        let health = NumberHealth(marks: snapshot.marks, days: snapshot.days, complaints: snapshot.complaints, policy: policy)
        var actions: [PoolAction] = []
        let inService: Set<CallerNumberStatus> = [.active, .warming, .standby]

        // RULES P10: a fraud mark stops the number at once and opens an urgent appeal.
        if !snapshot.marks.fraudPlatforms.isEmpty {
            if inService.contains(number.status) || number.status == .resting {
                actions.append(.suspend(rule: "P10", reason: "fraud (诈骗) mark on \(snapshot.marks.fraudPlatforms.map(\.rawValue).joined(separator: ", "))"))
            }
            actions += snapshot.marks.fraudPlatforms.map(PoolAction.openUrgentAppeal)
            return (health, actions)
        }
        // RULES P9: more than 5 marks suspends.
        if snapshot.marks.total > policy.suspendMarksAbove {
            if number.status != .suspended && number.status != .retired {
                actions.append(.suspend(rule: "P9", reason: "\(snapshot.marks.total) marks, more than \(policy.suspendMarksAbove)"))
            }
            return (health, actions)
        }
        if number.status == .resting, let until = snapshot.restingUntilDay, today >= until {
            actions.append(.returnToStandby)
            return (health, actions)
        }
        guard number.status == .active || number.status == .warming else { return (health, actions) }

        let judged = snapshot.days.filter { $0.attempts >= policy.minimumDailyAttempts }
        // RULES P11: connect rate under 40% on 3 days in a row flags the number.
        if !snapshot.flagged, judged.count >= policy.connectFlagDays {
            let recent = judged.suffix(policy.connectFlagDays)
            let consecutive = zip(recent, recent.dropFirst()).allSatisfy { $1.day == $0.day + 1 }
            if consecutive && recent.allSatisfy({ $0.connectRate < policy.connectFlagBelow }) {
                let rates = recent.map { "\(Int(($0.connectRate * 100).rounded()))%" }.joined(separator: ", ")
                actions.append(.flag(reason: "connect rate \(rates) on \(policy.connectFlagDays) days in a row, under \(Int(policy.connectFlagBelow * 100))%"))
            }
        }
        // RULES P4: early signs against the number's own baseline — throttle first, then rest.
        if let sign = earlySign(snapshot.days, policy: policy) {
            if snapshot.throttledBefore {
                actions.append(.rest(untilDay: today + Int64(policy.restingDays), reason: sign))
            } else {
                let cap = max(1, Int((Double(number.dailyCap) * policy.throttleFactor).rounded(.down)))
                actions.append(.throttle(cap: cap, reason: sign))
            }
            return (health, actions)
        }
        // RULES P14: warm-up done after enough clean days, no marks.
        if number.status == .warming, let since = snapshot.warmingSinceDay, today - since >= Int64(policy.warmupCleanDays),
           snapshot.marks.total == 0 {
            actions.append(.activate)
        }
        return (health, actions)
    }

    /// The first early marking sign in the latest judged day against the baseline of the days before, if any.
    static func earlySign(_ days: [DailyStats], policy: PoolPolicy) -> String? {
        let judged = days.filter { $0.attempts >= policy.minimumDailyAttempts }
        guard let latest = judged.last else { return nil }
        let baselineDays = judged.dropLast().filter { $0.day >= latest.day - Int64(policy.baselineDays) }
        guard !baselineDays.isEmpty else { return nil }
        let attempts = baselineDays.reduce(0) { $0 + $1.attempts }
        let answered = baselineDays.reduce(0) { $0 + $1.answered }
        let baselineRate = Double(answered) / Double(attempts)
        let drop = (baselineRate - latest.connectRate) * 100
        if drop > policy.connectDropPoints {
            return String(format: "connect rate %.0f%% against a %d-day baseline of %.0f%% (down %.1f points, more than %.0f)",
                          latest.connectRate * 100, policy.baselineDays, baselineRate * 100, drop, policy.connectDropPoints)
        }
        let baselineShort = answered == 0 ? 0 : Double(baselineDays.reduce(0) { $0 + $1.short }) / Double(answered)
        let shortRise = (latest.shortShare - baselineShort) * 100
        if shortRise > policy.shortCallRisePoints {
            return String(format: "short calls %.0f%% of answered against a baseline of %.0f%% (up %.1f points)",
                          latest.shortShare * 100, baselineShort * 100, shortRise)
        }
        let baselineDeclines = Double(baselineDays.reduce(0) { $0 + $1.declined }) / Double(attempts)
        let declineRise = (latest.declineShare - baselineDeclines) * 100
        if declineRise > policy.declineRisePoints {
            return String(format: "declines %.0f%% of attempts against a baseline of %.0f%% (up %.1f points)",
                          latest.declineShare * 100, baselineDeclines * 100, declineRise)
        }
        return nil
    }
}
