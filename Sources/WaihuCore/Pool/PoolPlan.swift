import Foundation

/// How many numbers a daily call volume needs (RULES P3, P4, P14), per purpose and region group.
public struct PoolPlan: Sendable, Hashable {
    public struct Line: Sendable, Hashable {
        public let purpose: NumberPurpose
        /// Nil for the whole pool of the purpose (no breakdown by region).
        public let regionGroup: RegionGroup?
        public let dailyCalls: Int
        /// Active numbers needed: daily calls ÷ cap, rounded up (RULES P3: 1000/day ÷ 20 → 50).
        public let activeNeeded: Int
        /// Standby needed: the standby share of the active ones, rounded up (RULES P4: 25% of 50 → 13).
        public let standbyNeeded: Int
        public let activeNow: Int
        public let standbyNow: Int
        /// New numbers to add this month (RULES P14: 10–20% of the active pool), as a range.
        public let replenish: ClosedRange<Int>
    }

    public let lines: [Line]
    /// Numbers due for review that the review would retire (RULES P13).
    public let toRetire: [String]

    /// The plan for `dailyCalls` per purpose; with `shares`, split across region groups by those shares.
    public init(
        dailyCalls: [NumberPurpose: Int], shares: [RegionGroup: Double]?, pool: [CallerNumber], toRetire: [String], policy: PoolPolicy
    ) {
        var lines: [Line] = []
        for purpose in NumberPurpose.allCases {
            guard let calls = dailyCalls[purpose], calls > 0 else { continue }
            let numbers = pool.filter { $0.purpose == purpose }
            if let shares, !shares.isEmpty {
                let total = shares.values.reduce(0, +)
                for group in RegionGroup.allCases {
                    let share = (shares[group] ?? 0) / total
                    guard share > 0 else { continue }
                    let groupCalls = Int((Double(calls) * share).rounded(.up))
                    let inGroup = numbers.filter { $0.regionGroup == group }
                    lines.append(PoolPlan.line(purpose, group, groupCalls, inGroup, policy))
                }
            } else {
                lines.append(PoolPlan.line(purpose, nil, calls, numbers, policy))
            }
        }
        self.lines = lines
        self.toRetire = toRetire
    }

    static func line(_ purpose: NumberPurpose, _ group: RegionGroup?, _ calls: Int, _ numbers: [CallerNumber], _ policy: PoolPolicy) -> Line {
        let active = (calls + policy.defaultDailyCap - 1) / policy.defaultDailyCap
        let standby = Int((Double(active) * policy.standbyShare).rounded(.up))
        let low = Int((Double(active) * policy.replenishShareLow).rounded(.up))
        let high = Int((Double(active) * policy.replenishShareHigh).rounded(.up))
        return Line(
            purpose: purpose, regionGroup: group, dailyCalls: calls, activeNeeded: active, standbyNeeded: standby,
            activeNow: numbers.filter { $0.status == .active || $0.status == .warming }.count,
            standbyNow: numbers.filter { $0.status == .standby }.count, replenish: low...max(low, high))
    }
}

/// One agent's month (RULES P15): the numbers they called from, and how many of those were newly marked.
public struct AgentMarkRate: Sendable, Hashable, Codable {
    public let agent: String
    public let calls: Int
    public let numbersUsed: Int
    public let numbersNewlyMarked: Int
    /// Newly marked numbers ÷ numbers used.
    public let markRate: Double
    /// Below the policy's threshold (RULES P15: 5%).
    public let good: Bool

    public init(agent: String, calls: Int, numbersUsed: Int, numbersNewlyMarked: Int, policy: PoolPolicy) {
        self.agent = agent
        self.calls = calls
        self.numbersUsed = numbersUsed
        self.numbersNewlyMarked = numbersNewlyMarked
        markRate = numbersUsed == 0 ? 0 : Double(numbersNewlyMarked) / Double(numbersUsed)
        good = markRate < policy.agentGoodMarkRate
    }
}
