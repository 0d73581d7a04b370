/// The compliance gate's numbers (RULES §2–3). Defaults are the rulebook's; the policy file changes them.
public struct CompliancePolicy: Sendable, Hashable {
    public var hours = CallingHoursPolicy()
    public var frequency = FrequencyPolicy()
    public var consent = ConsentPolicy()
    public var lists = ListPolicy()
    public var retention = RetentionPolicy()

    public init() {}
}

/// When calls may reach a callee, in the callee's local time (RULES C4, C5).
public struct CallingHoursPolicy: Sendable, Hashable {
    /// Seconds after local midnight: first second calls are allowed (RULES C4: 08:00).
    public var start: Int64 = 8 * 3600
    /// First second calls are no longer allowed (RULES C4: 21:00).
    public var end: Int64 = 21 * 3600
    /// Elderly callees' window (RULES C5: 09:00–20:00).
    public var elderlyStart: Int64 = 9 * 3600
    public var elderlyEnd: Int64 = 20 * 3600
    /// Age from which a callee counts as elderly when the contact gives an age.
    public var elderlyAge = 60
    /// Golden hours on workdays (RULES C4: 9–12, 14–18): advice only, never blocking.
    public var goldenHours: [Range<Int64>] = [9 * 3600..<12 * 3600, 14 * 3600..<18 * 3600]
    /// Purposes exempt from calling hours and holidays (RULES C4: urgent notifications).
    public var exemptPurposes: CallPurposes = CallPurposes([.urgent])

    public init() {}
}

/// A rolling window: at most `limit` attempts in any `seconds`.
public struct FrequencyWindow: Sendable, Hashable {
    public var seconds: Int64
    public var limit: Int

    public init(seconds: Int64, limit: Int) {
        self.seconds = seconds
        self.limit = limit
    }
}

/// How often a callee may be called, counting every attempt by any caller number and any system (RULES C6).
public struct FrequencyPolicy: Sendable, Hashable {
    /// Attempts per calendar day in the callee's time (seed 002: ≤ 1 a day).
    public var perCalendarDay = 1
    /// Rolling windows: ≤ 3 in 7 days (002), ≤ 3 in 30 days (000), and the carriers' short windows.
    public var windows: [FrequencyWindow] = [
        .init(seconds: 7 * 86_400, limit: 3), .init(seconds: 30 * 86_400, limit: 3),
        .init(seconds: 5 * 60, limit: 3), .init(seconds: 86_400, limit: 5),
    ]
    /// Seconds between any two attempts (seed 000: ≥ 24 h).
    public var minimumGap: Int64 = 86_400
    /// Seconds between attempts of the same purpose (seed 002: marketing ≥ 48 h).
    public var purposeGaps: [CallPurpose: Int64] = [.marketing: 48 * 3600]
    /// Purposes whose calls the limits do not restrict (they still count for others).
    public var exemptPurposes: CallPurposes = []

    public init() {}

    /// The longest span of history the limits look at.
    public var horizon: Int64 {
        max(86_400 * 2, windows.map(\.seconds).max() ?? 0, minimumGap, purposeGaps.values.max() ?? 0)
    }
}

/// What consent calls need (RULES C1–C3).
public struct ConsentPolicy: Sendable, Hashable {
    /// Purposes that need a consent of their scope (RULES C1: marketing).
    public var requiredFor: CallPurposes = .marketing
    /// Only separate consent (单独同意) counts (RULES C1).
    public var requireSeparate = true
    /// Days consent records are kept after they end (RULES C3: 3 years).
    public var retentionDays = 3 * 365 + 1
    /// Validity of a consent given by SMS double opt-in (RULES C2).
    public var optInValidityDays = 365
    /// Days an opt-in SMS waits for its reply.
    public var optInReplyDays = 7

    public init() {}
}

/// What each do-not-call reason blocks, and for how long (RULES C7–C9).
public struct ListPolicy: Sendable, Hashable {
    /// RULES C7: refusals block marketing, forever by default (seed 003: 3 months); a later explicit consent lifts it.
    public var refusalBlocks: CallPurposes = .marketing
    public var refusalLockDays: Int?
    /// RULES C8: complaints block marketing and service.
    public var complaintBlocks = CallPurposes([.marketing, .service])
    /// RULES C9: empty/stopped numbers block every call; numbers are reassigned, so the listing lapses.
    public var invalidBlocks: CallPurposes = .all
    public var invalidLockDays: Int? = 180
    /// Imported lists block marketing.
    public var importedBlocks: CallPurposes = .marketing
    /// Whether an attempt reported as `invalid_number` lists the number as invalid (RULES C9).
    public var invalidFromCallOutcomes = true

    public init() {}

    /// The purposes a reason blocks.
    public func blocks(_ reason: DoNotCallReason) -> CallPurposes {
        switch reason {
        case .refusal: refusalBlocks
        case .complaint: complaintBlocks
        case .invalid: invalidBlocks
        case .imported: importedBlocks
        }
    }
}

/// How long data is kept (RULES D3, C11, C12).
public struct RetentionPolicy: Sendable, Hashable {
    /// Call attempts and other personal data (RULES D3: at most 1 year).
    public var personalDataDays = 365
    /// Stored decisions, kept as long as the consent they rely on (RULES C12, C3).
    public var decisionDays = 3 * 365 + 1

    public init() {}
}
