import Foundation

/// A number's evaluation state beside its record: warm-up start, rest, throttling, review flag, health.
public struct NumberState: Sendable, Hashable {
    public var warmingSince: Date?
    public var restingUntil: Date?
    /// The local day the number was last throttled on, and the cap it was given.
    public var throttledDay: Int64?
    public var throttleCap: Int?
    public var flaggedAt: Date?
    public var flagReason: String?
    public var lastReviewAt: Date?
    public var health: NumberHealth

    public init(
        warmingSince: Date? = nil, restingUntil: Date? = nil, throttledDay: Int64? = nil, throttleCap: Int? = nil,
        flaggedAt: Date? = nil, flagReason: String? = nil, lastReviewAt: Date? = nil, health: NumberHealth = .init(score: 100, deductions: [:])
    ) {
        self.warmingSince = warmingSince
        self.restingUntil = restingUntil
        self.throttledDay = throttledDay
        self.throttleCap = throttleCap
        self.flaggedAt = flaggedAt
        self.flagReason = flagReason
        self.lastReviewAt = lastReviewAt
        self.health = health
    }
}

/// An agent who places calls (RULES P6, P15).
public struct Agent: Sendable, Hashable {
    public let id: String
    public var name: String?
    /// Trained for marketing (RULES P6).
    public var trained: Bool

    public init(id: String, name: String?, trained: Bool) {
        self.id = id
        self.name = name
        self.trained = trained
    }
}

/// What the pool keeps beyond the numbers themselves: marks, usage leases, evaluation state, appeals, agents.
public protocol PoolStore: Sendable {
    /// Everything the selector starts from for local day `day`; sticky caller IDs from `stickySince` (nil: none).
    func selectorSeed(day: Int64, stickySince: Date?, policy: PoolPolicy) async throws -> SelectorSeed
    /// Makes leases durable, in one transaction.
    func writeLeases(_ leases: [LeaseRequest]) async throws

    func recordMarks(_ marks: [MarkObservation], recordedAt: Date) async throws
    func marks(of number: PhoneNumber) async throws -> [MarkObservation]
    /// Current marks of every number that has any.
    func markSummaries() async throws -> [PhoneNumber: MarkSummary]

    /// Daily stats per caller number from `sinceDay` (Beijing days), oldest first.
    func dailyStats(sinceDay: Int64, shortCallSeconds: Int) async throws -> [PhoneNumber: [DailyStats]]
    /// Complaints attributed to each caller number since `since`.
    func complaintsByCaller(since: Date) async throws -> [PhoneNumber: Int]
    func numberStates() async throws -> [PhoneNumber: NumberState]
    func numberState(_ number: PhoneNumber) async throws -> NumberState?
    /// Applies an evaluation's outcome to one number in one transaction: its actions (status changes and
    /// flags recorded in its history with their rule ids) and its new health.
    func apply(_ actions: [PoolAction], to number: PhoneNumber, health: NumberHealth, today: Int64, at now: Date, policy: PoolPolicy) async throws
    /// Promotes a standby number (RULES P4) in place of `replaced`; returns the promoted number, if any.
    func promoteStandby(replacing replaced: PhoneNumber, at now: Date) async throws -> PhoneNumber?
    /// Numbers rested by RULES P4 since `since` (the weekly swap cap counts them).
    func restedCount(since: Date) async throws -> Int
    /// Records a lifecycle review: retire, or keep with the reduced cap (RULES P13).
    func review(_ number: PhoneNumber, retire: Bool, reducedCap: Int, reason: String, at now: Date) async throws

    func openAppeal(number: PhoneNumber, platform: MarkPlatform, urgent: Bool, reason: String, at now: Date) async throws -> Appeal
    func appeals(of number: PhoneNumber?) async throws -> [Appeal]
    func appeal(id: Int64) async throws -> Appeal?
    /// Saves an appeal's new state; an accepted appeal clears the platform's marks (RULES P12).
    func update(_ appeal: Appeal, at now: Date) async throws
    /// Marketing attempts from `number` since `since`, and how many went to callees with a valid marketing consent.
    func consentShare(of number: PhoneNumber, since: Date) async throws -> (attempts: Int, withConsent: Int)

    /// Where recent callees are, as shares per region group (from up to 200,000 attempts since `since`).
    func calleeRegionShares(since: Date) async throws -> [RegionGroup: Double]

    func upsertAgent(_ agent: Agent) async throws
    func agents() async throws -> [Agent]
    /// Per agent, for calls between `start` and `end`: calls, numbers used, numbers newly marked in the period.
    func agentActivity(from start: Date, to end: Date) async throws -> [(agent: String, calls: Int, numbers: Int, newlyMarked: Int)]
}
