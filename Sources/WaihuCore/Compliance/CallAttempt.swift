import Foundation

/// How an attempt ended, as systems report it.
public enum AttemptOutcome: String, Sendable, Codable, CaseIterable, Hashable {
    case answered
    case busy
    case noAnswer = "no_answer"
    case invalidNumber = "invalid_number"
    case declined
    case failed
    /// Admitted by the gate; the outcome is not reported yet. Counts like any attempt.
    case pending
}

/// One call attempt to a callee, by waihu or by any other system: every attempt counts (RULES C6).
public struct CallAttempt: Sendable, Hashable {
    public let callee: PhoneNumber
    public let caller: PhoneNumber
    public let purpose: CallPurpose
    public let startedAt: Date
    public let outcome: AttemptOutcome
    public let durationSeconds: Int?
    /// The system that placed it: `waihu`, or the name an external system gives.
    public let source: String
    /// The admission decision this attempt completes (see `ComplianceGate.admit`), if any.
    public let decisionId: Int64?
    /// The agent who placed it (RULES P15: mark rate per agent).
    public let agent: String?
    public let campaign: String?
    /// The final SIP status, when known (603/607/608 are declines: a number-health signal).
    public let sipStatus: Int?

    public init(
        callee: PhoneNumber, caller: PhoneNumber, purpose: CallPurpose, startedAt: Date, outcome: AttemptOutcome,
        durationSeconds: Int?, source: String, decisionId: Int64? = nil, agent: String? = nil, campaign: String? = nil,
        sipStatus: Int? = nil
    ) throws(ComplianceInputError) {
        if let durationSeconds, durationSeconds < 0 { throw .negativeDuration(durationSeconds) }
        self.callee = callee
        self.caller = caller
        self.purpose = purpose
        self.startedAt = startedAt
        self.outcome = outcome
        self.durationSeconds = durationSeconds
        self.source = source
        self.decisionId = decisionId
        self.agent = agent
        self.campaign = campaign
        self.sipStatus = sipStatus
    }
}

/// The most recent attempts to one callee, newest first, at most `capacity` of them — as many as the largest
/// frequency limit needs. Stored inline in 40 bytes: times as seconds since 2020 in 32 bits (until 2088);
/// attempts outside that span are not kept.
public struct AttemptHistory: Sendable, Hashable {
    public static let capacity = 8
    /// 2020-01-01T00:00:00Z.
    static let epoch: Int64 = 1_577_836_800
    private var times: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0, 0, 0, 0, 0)
    private var purposes: UInt32 = 0  // 4 bits per slot: CallPurpose index
    /// How many slots hold attempts.
    public private(set) var count: UInt8 = 0

    public init() {}

    /// The attempt at `index` (0 = newest): time in seconds and purpose.
    @inline(__always)
    public subscript(index: Int) -> (time: Int64, purpose: CallPurpose) {
        let relative = withUnsafeBytes(of: times) { $0.load(fromByteOffset: index * 4, as: UInt32.self) }
        let purpose = CallPurpose.allCases[Int(purposes >> UInt32(index * 4) & 0xF)]
        return (AttemptHistory.epoch + Int64(relative), purpose)
    }

    /// Inserts an attempt in time order; the oldest falls out when full. Returns false for an older
    /// attempt that no longer matters (all slots are newer), an exact duplicate, or a time outside 2020–2088.
    @discardableResult
    public mutating func insert(time: Int64, purpose: CallPurpose) -> Bool {
        let relative = time - AttemptHistory.epoch
        guard relative >= 0 && relative <= Int64(UInt32.max) else { return false }
        var position = 0
        while position < Int(count) && self[position].time > time { position += 1 }
        if position < Int(count) && self[position].time == time && self[position].purpose == purpose { return false }
        if position >= AttemptHistory.capacity { return false }
        let last = min(Int(count), AttemptHistory.capacity - 1)
        var index = last
        while index > position {
            set(index, self[index - 1].time, self[index - 1].purpose)
            index -= 1
        }
        set(position, time, purpose)
        count = UInt8(min(Int(count) + 1, AttemptHistory.capacity))
        return true
    }

    /// The attempts, newest first.
    public var all: [(time: Int64, purpose: CallPurpose)] { (0..<Int(count)).map { self[$0] } }

    public static func == (lhs: AttemptHistory, rhs: AttemptHistory) -> Bool {
        lhs.count == rhs.count && (0..<Int(lhs.count)).allSatisfy { lhs[$0] == rhs[$0] }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for index in 0..<Int(count) {
            hasher.combine(self[index].time)
            hasher.combine(self[index].purpose)
        }
    }

    private mutating func set(_ index: Int, _ time: Int64, _ purpose: CallPurpose) {
        let relative = UInt32(time - AttemptHistory.epoch)
        withUnsafeMutableBytes(of: &times) { $0.storeBytes(of: relative, toByteOffset: index * 4, as: UInt32.self) }
        let shift = UInt32(index * 4)
        purposes = purposes & ~(0xF << shift) | UInt32(purpose.index) << shift
    }
}
