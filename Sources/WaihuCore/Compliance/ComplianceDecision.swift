/// One rule a call would break, with what is needed to explain it.
public enum ComplianceViolation: Sendable, Hashable {
    /// No consent of the scope the purpose needs (RULES C1).
    case consentMissing(ConsentScope)
    /// Only consents that were not given separately (单独同意) (RULES C1).
    case consentNotSeparate(ConsentScope)
    /// The consent expired (RULES C1).
    case consentExpired(ConsentScope, Timestamp)
    /// The consent was revoked (RULES C1).
    case consentRevoked(ConsentScope, Timestamp)
    /// Outside calling hours in the callee's time (RULES C4).
    case outsideCallingHours(start: Int64, end: Int64, zone: String)
    /// A statutory holiday (RULES C4).
    case holiday(String)
    /// Outside elderly callees' hours (RULES C5).
    case elderlyHours(start: Int64, end: Int64, zone: String)
    /// The callee already had the day's attempts (RULES C6).
    case dailyLimit(limit: Int)
    /// The callee already had `limit` attempts in the rolling window (RULES C6).
    case windowLimit(seconds: Int64, limit: Int)
    /// Too soon after the last attempt (RULES C6).
    case minimumGap(seconds: Int64, last: Timestamp)
    /// Too soon after the last attempt of the same purpose (RULES C6: marketing 48 h).
    case purposeGap(CallPurpose, seconds: Int64, last: Timestamp)
    /// On the do-not-call list (RULES C7, C8, C9).
    case listed(DoNotCallReason, since: Timestamp?, until: Timestamp?)
    /// A number that cannot receive calls (RULES C9).
    case notCallable(PhoneNumberKind)

    /// The rulebook id.
    public var rule: String {
        switch self {
        case .consentMissing, .consentNotSeparate, .consentExpired, .consentRevoked: "C1"
        case .outsideCallingHours, .holiday: "C4"
        case .elderlyHours: "C5"
        case .dailyLimit, .windowLimit, .minimumGap, .purposeGap: "C6"
        case let .listed(reason, _, _): reason.rule
        case .notCallable: "C9"
        }
    }

    /// A short machine-readable name of the violation, for reports grouped by reason.
    public var code: String {
        switch self {
        case .consentMissing: "consent_missing"
        case .consentNotSeparate: "consent_not_separate"
        case .consentExpired: "consent_expired"
        case .consentRevoked: "consent_revoked"
        case .outsideCallingHours: "outside_hours"
        case .holiday: "holiday"
        case .elderlyHours: "elderly_hours"
        case .dailyLimit: "daily_limit"
        case .windowLimit: "window_limit"
        case .minimumGap: "minimum_gap"
        case .purposeGap: "purpose_gap"
        case let .listed(reason, _, _): "dnc_\(reason.rawValue)"
        case .notCallable: "not_callable"
        }
    }

    /// What is wrong, in words an operator understands; times in Beijing time, the operators' clock.
    public var message: String {
        switch self {
        case let .consentMissing(scope):
            return "no \(scope.rawValue) consent on record; \(scope.rawValue) calls need separate, traceable consent"
        case let .consentNotSeparate(scope):
            return "the \(scope.rawValue) consent on record was not given separately (单独同意); a clause of another agreement does not count"
        case let .consentExpired(scope, at):
            return "the \(scope.rawValue) consent expired at \(beijing(at))"
        case let .consentRevoked(scope, at):
            return "the \(scope.rawValue) consent was revoked at \(beijing(at))"
        case let .outsideCallingHours(start, end, zone):
            return "outside calling hours \(clock(start))–\(clock(end)) in the callee's time (\(zone))"
        case let .holiday(name):
            return "statutory holiday (法定节假日\(name.isEmpty ? "" : ": \(name)")); only urgent notifications may call"
        case let .elderlyHours(start, end, zone):
            return "elderly callee: calls only \(clock(start))–\(clock(end)) in the callee's time (\(zone))"
        case let .dailyLimit(limit):
            return "already \(limit) attempt\(limit == 1 ? "" : "s") today in the callee's time (across all caller numbers)"
        case let .windowLimit(seconds, limit):
            return "already \(limit) attempts in the last \(span(seconds)) (across all caller numbers)"
        case let .minimumGap(seconds, last):
            return "last attempt at \(beijing(last)); attempts must be at least \(span(seconds)) apart"
        case let .purposeGap(purpose, seconds, last):
            return "last \(purpose.rawValue) attempt at \(beijing(last)); \(purpose.rawValue) attempts must be at least \(span(seconds)) apart"
        case let .listed(reason, since, until):
            let when = since.map { " since \(beijing($0))" } ?? ""
            let lapse = until.map { " until \(beijing($0))" } ?? ""
            switch reason {
            case .refusal: return "the customer refused further calls\(when)\(lapse.isEmpty ? "; only a later explicit consent lifts it" : lapse)"
            case .complaint: return "the customer complained\(when); complainants are not called"
            case .invalid: return "the number was found empty or stopped (空号/停机)\(when)\(lapse)"
            case .imported: return "on an imported do-not-call list"
            }
        case let .notCallable(kind):
            return "\(kind.rawValue) numbers cannot receive calls"
        }
    }
}

private func beijing(_ moment: Timestamp) -> String { moment.iso8601(offsetSeconds: 8 * 3600) }

private func clock(_ secondOfDay: Int64) -> String {
    let hours = secondOfDay / 3600, minutes = secondOfDay / 60 % 60
    return (hours < 10 ? "0" : "") + "\(hours):" + (minutes < 10 ? "0" : "") + "\(minutes)"
}

private func span(_ seconds: Int64) -> String {
    if seconds % 86_400 == 0 { return "\(seconds / 86_400) day\(seconds == 86_400 ? "" : "s")" }
    if seconds % 3600 == 0 { return "\(seconds / 3600) h" }
    if seconds % 60 == 0 { return "\(seconds / 60) min" }
    return "\(seconds) s"
}

/// A rule id and the words that explain it.
public struct ComplianceReason: Sendable, Hashable, Codable {
    public let rule: String
    public let message: String

    public init(rule: String, message: String) {
        self.rule = rule
        self.message = message
    }
}

/// Advice about golden hours (RULES C4: 9–12 and 14–18 on workdays). Never blocks a call.
public struct GoldenHourAdvice: Sendable, Hashable {
    /// Whether the decision's time is within golden hours.
    public let isGolden: Bool
    /// The earliest allowed time within golden hours (nil if none within 30 days).
    public let nextGoldenAt: Timestamp?
}

/// Whether a call may be placed, why not, and when it may.
public struct ComplianceDecision: Sendable, Hashable {
    public let callee: PhoneNumber
    public let purpose: CallPurpose
    /// The time the decision is for.
    public let at: Timestamp
    /// Every rule the call would break at `at`; empty when allowed.
    public let violations: [ComplianceViolation]
    /// The earliest time every rule allows the call (`at` when allowed now); nil when never (refusal, complaint, no consent).
    public let nextAllowedAt: Timestamp?
    /// The consent the call relies on, when the purpose needs one (RULES C12).
    public let consentId: Int64?
    public let policyVersion: String
    public let policyDigest: String
    /// Golden-hour advice, when asked for.
    public let advice: GoldenHourAdvice?
    /// Things an operator should know that do not block (a year without holiday data …).
    public let warnings: [String]

    /// Whether the call may be placed at `at`.
    public var allowed: Bool { violations.isEmpty }

    /// The reasons, each with its rule id.
    public var reasons: [ComplianceReason] { violations.map { ComplianceReason(rule: $0.rule, message: $0.message) } }
}
