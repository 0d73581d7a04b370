/// The pool's numbers, from the policy file. Defaults are the rulebook's (RULES §1); operators change
/// them in the policy file, never in code.
public struct PoolPolicy: Sendable, Hashable {
    /// Calls per number per day unless a number says otherwise (RULES P3: 20).
    public var defaultDailyCap: Int = 20
    /// The highest daily cap a number may be given; a guard against typos such as 2000.
    public var maximumDailyCap: Int = 200
    /// Status of a number added without one: new numbers warm up first (RULES P14).
    public var initialStatus: CallerNumberStatus = .warming
    /// Whether virtual-operator numbers may serve marketing (RULES P8: barred by default).
    public var allowVirtualForMarketing = false

    // MARK: Caps and warm-up (RULES P3, P13, P14)

    /// A warming number's cap for its first days (RULES P14: 5).
    public var warmupStartCap = 5
    /// …rising to this after `warmupRaiseAfterDays` (RULES P14: 10).
    public var warmupRaisedCap = 10
    public var warmupRaiseAfterDays = 3
    /// Clean days (no marks, no throttling) after which a warming number becomes active with its full cap.
    public var warmupCleanDays = 14
    /// The cap of a number kept after a lifecycle review (RULES P13: 20 → 15).
    public var reducedCap = 15
    /// Calls per number per hour; nil for no hourly cap.
    public var hourlyCap: Int?
    /// Calls a number may have at once (carriers enforce 1).
    public var concurrentCallsPerNumber = 1

    // MARK: Selection

    /// A callee called in the last this-many days gets the same caller number again when it can dial.
    public var stickyDays = 30
    /// A reservation not turned into a dial within this is released.
    public var reservationSeconds = 120
    /// A dialled call not reported finished within this frees its number anyway.
    public var maxCallSeconds = 3600
    /// Units of daily cap written durably ahead of selection, per number.
    public var leaseBlock = 4

    // MARK: Standby and swapping (RULES P4)

    /// Standby pool size as a share of the active pool, per purpose and region group (RULES P4: 20–30%).
    public var standbyShare = 0.25
    /// The most of the active pool that may be rested and replaced in any 7 days (swapping is itself a red flag).
    public var weeklySwapShare = 0.10
    /// Cool-down of a rested number.
    public var restingDays = 30

    // MARK: Health (RULES P4, P9, P10, P11)

    /// More than this many marks suspends a number (RULES P9: 5).
    public var suspendMarksAbove = 5
    /// Connect rate under this … (RULES P11: 40%)
    public var connectFlagBelow = 0.40
    /// … on this many days in a row flags the number for review (RULES P11: 3).
    public var connectFlagDays = 3
    /// A drop of more than this many points against the number's own baseline is an early sign (RULES P4: 5).
    public var connectDropPoints = 5.0
    /// Days of the baseline.
    public var baselineDays = 14
    /// Answered calls shorter than this count as short calls (hang-ups: a marking sign).
    public var shortCallSeconds = 10
    /// A rise of more than this many points of short calls or declines against the baseline is an early sign.
    public var shortCallRisePoints = 10.0
    public var declineRisePoints = 10.0
    /// Days with fewer attempts than this are too small to judge.
    public var minimumDailyAttempts = 10
    /// Today's cap is multiplied by this when a number is throttled.
    public var throttleFactor = 0.5

    // MARK: Lifecycle (RULES P13, P14, P15)

    /// Days between reviews of a number (RULES P13: 90).
    public var reviewDays = 90
    /// At review, numbers with at least this many marks and a connect rate under `retireConnectBelow` retire.
    public var retireMarksAtLeast = 3
    public var retireConnectBelow = 0.30
    /// New numbers to add each month, as a share of the active pool (RULES P14: 10–20%).
    public var replenishShareLow = 0.10
    public var replenishShareHigh = 0.20
    /// An agent's monthly mark rate under this is good (RULES P15: 5%).
    public var agentGoodMarkRate = 0.05
    /// Working days a marking platform takes to answer an appeal (RULES P12: 1–3).
    public var appealWorkdays = 3

    // MARK: Jobs (Beijing time, seconds after midnight)

    public var markPollAt: Int64 = 5 * 3600
    public var evaluateAt: Int64 = 6 * 3600
    public var reviewAt: Int64 = 6 * 3600 + 1800

    public init() {}

    /// The cap of a warming number on its `day`-th day of warm-up (day 0 is the first) (RULES P14).
    public func warmupCap(onDay day: Int) -> Int {
        day < warmupRaiseAfterDays ? warmupStartCap : warmupRaisedCap
    }
}
