import Foundation

/// What one evaluation did, number by number, and where the standby pool falls short.
public struct EvaluationReport: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public let number: PhoneNumber
        public let health: NumberHealth
        public let actions: [PoolAction]
        /// Standby number promoted in place of this one (RULES P4).
        public let promoted: PhoneNumber?
        /// Appeals opened (RULES P10).
        public let appeals: [Int64]
        /// A rest the weekly swap cap held back: the number stays throttled instead.
        public let swapCapped: Bool
    }

    public var entries: [Entry] = []
    /// Standby numbers missing per purpose and region group against the policy's share (RULES P4).
    public var standbyShortfall: [String: Int] = [:]
}

/// The number pool's jobs over the store: daily evaluation (RULES P4, P9–P11, P14), marks taken in
/// (acting at once on P9/P10), lifecycle review (P13), planning, appeals (P12) and agents' mark rates (P15).
/// Every change is applied through the store, recorded in the number's history, and then the selector is
/// reloaded so that the next selection sees it.
public struct PoolService: Sendable {
    public let store: any PoolStore & CallerNumberStore
    public let selector: CallerSelector
    public let policy: Policy

    private var pool: PoolPolicy { policy.pool }

    public init(store: any PoolStore & CallerNumberStore, selector: CallerSelector, policy: Policy) {
        self.store = store
        self.selector = selector
        self.policy = policy
    }

    /// Builds the selector from the store for `now`.
    public static func makeSelector(store: any PoolStore, policy: Policy, now: Date) async throws -> CallerSelector {
        let seed = try await store.selectorSeed(
            day: CalleeZone.china.localDay(at: Timestamp(now)),
            stickySince: now.addingTimeInterval(-TimeInterval(policy.pool.stickyDays) * 86_400), policy: policy.pool)
        return CallerSelector(seed: seed, policy: policy.pool)
    }

    /// Rebuilds the selector's pool from the store (after changes made outside it). Without `sticky`, the
    /// sticky caller IDs the selector knows are kept instead of being read again from the call records.
    public func reloadSelector(now: Date, sticky: Bool = true) async throws {
        let seed = try await store.selectorSeed(
            day: CalleeZone.china.localDay(at: Timestamp(now)),
            stickySince: sticky ? now.addingTimeInterval(-TimeInterval(pool.stickyDays) * 86_400) : nil, policy: pool)
        selector.reload(seed, keepSticky: !sticky)
    }

    /// Selects a caller number (see `CallerSelector.select`). When nothing can be chosen only because leases
    /// are still being written, writes them now and tries once more.
    public func select(callee: PhoneInfo, purpose: NumberPurpose, agent: String?, now: Date) async throws -> CallerSelection {
        do {
            return try selector.select(callee: callee, purpose: purpose, agent: agent, now: now)
        } catch .noNumberAvailable {
            let leases = selector.leaseRequests()
            guard !leases.isEmpty else { throw PoolInputError.noNumberAvailable(purpose: purpose) }
            try await store.writeLeases(leases)
            selector.leasesWritten(leases)
            return try selector.select(callee: callee, purpose: purpose, agent: agent, now: now)
        }
    }

    /// All numbers of the pool.
    func allNumbers() async throws -> [CallerNumber] {
        var numbers: [CallerNumber] = []
        var cursor: String?
        repeat {
            let page = try await store.callerNumbers(matching: CallerNumberQuery(after: cursor, limit: 1000))
            numbers += page.items
            cursor = page.nextCursor
        } while cursor != nil
        return numbers
    }

    // MARK: - Daily evaluation

    /// Evaluates every number on the day of `now` against the days before it, applies the actions and
    /// promotions, opens urgent appeals, and reloads the selector.
    public func evaluate(now: Date) async throws -> EvaluationReport {
        let today = CalleeZone.china.localDay(at: Timestamp(now))
        let numbers = try await allNumbers()
        let stats = try await store.dailyStats(sinceDay: today - Int64(pool.baselineDays) - 1, shortCallSeconds: pool.shortCallSeconds)
        let marks = try await store.markSummaries()
        let complaints = try await store.complaintsByCaller(since: now.addingTimeInterval(-30 * 86_400))
        let states = try await store.numberStates()
        let active = numbers.filter { $0.status == .active || $0.status == .warming }.count
        // Swapping is itself a red flag: at most this many rests in any 7 days (RULES P4); a small pool may
        // still swap one number a week unless the share is 0.
        var swapsLeft = Int((Double(active) * pool.weeklySwapShare).rounded(.up))
            - (try await store.restedCount(since: now.addingTimeInterval(-7 * 86_400)))
        var report = EvaluationReport()
        for number in numbers {
            let state = states[number.number] ?? NumberState()
            let snapshot = NumberSnapshot(
                number: number, marks: marks[number.number] ?? MarkSummary(),
                days: (stats[number.number] ?? []).filter { $0.day < today }, complaints: complaints[number.number] ?? 0,
                warmingSinceDay: state.warmingSince.map { CalleeZone.china.localDay(at: Timestamp($0)) },
                restingUntilDay: state.restingUntil.map { CalleeZone.china.localDay(at: Timestamp($0)) },
                throttledBefore: state.throttledDay.map { $0 < today && $0 >= today - 7 } ?? false,
                flagged: state.flaggedAt != nil)
            var (health, actions) = PoolEvaluation.evaluate(snapshot, today: today, policy: pool)
            var swapCapped = false
            if case let .rest(_, reason)? = actions.first(where: { if case .rest = $0 { true } else { false } }) {
                if swapsLeft > 0 {
                    swapsLeft -= 1
                } else {
                    swapCapped = true
                    let cap = max(1, Int((Double(number.dailyCap) * pool.throttleFactor).rounded(.down)))
                    actions = actions.map { if case .rest = $0 { .throttle(cap: cap, reason: "\(reason); weekly swap cap reached") } else { $0 } }
                }
            }
            guard !actions.isEmpty || health != state.health else { continue }
            try await store.apply(actions, to: number.number, health: health, today: today, at: now, policy: pool)
            var promoted: PhoneNumber?
            var appeals: [Int64] = []
            for action in actions {
                switch action {
                case .rest:
                    promoted = try await store.promoteStandby(replacing: number.number, at: now)
                case let .openUrgentAppeal(platform):
                    if let appeal = try? await store.openAppeal(
                        number: number.number, platform: platform, urgent: true,
                        reason: "P10: fraud (诈骗) mark; review the number's recent calls", at: now) {
                        appeals.append(appeal.id)
                    }
                default:
                    break
                }
            }
            health = NumberHealth(score: health.score, deductions: health.deductions)
            if !actions.isEmpty {
                report.entries.append(.init(number: number.number, health: health, actions: actions, promoted: promoted,
                                            appeals: appeals, swapCapped: swapCapped))
            }
        }
        report.standbyShortfall = try await standbyShortfall()
        try await reloadSelector(now: now)
        return report
    }

    /// Standby numbers missing per purpose and region group (RULES P4: standby = share × active).
    public func standbyShortfall() async throws -> [String: Int] {
        let numbers = try await allNumbers()
        var shortfall: [String: Int] = [:]
        for purpose in NumberPurpose.allCases {
            for group in RegionGroup.allCases.map(Optional.some) + [nil] {
                let here = numbers.filter { $0.purpose == purpose && $0.regionGroup == group }
                let active = here.filter { $0.status == .active || $0.status == .warming }.count
                guard active > 0 else { continue }
                let needed = Int((Double(active) * pool.standbyShare).rounded(.up))
                let missing = needed - here.filter { $0.status == .standby }.count
                if missing > 0 { shortfall["\(purpose.rawValue)/\(group?.rawValue ?? "全国")"] = missing }
            }
        }
        return shortfall
    }

    // MARK: - Marks

    /// Records marks and acts on them at once: more than 5 marks suspends (RULES P9), a fraud mark suspends
    /// and opens an urgent appeal (P10). Returns the actions taken per number.
    public func recordMarks(_ marks: [MarkObservation], now: Date) async throws -> [PhoneNumber: [PoolAction]] {
        try await store.recordMarks(marks, recordedAt: now)
        let summaries = try await store.markSummaries()
        let states = try await store.numberStates()
        let today = CalleeZone.china.localDay(at: Timestamp(now))
        var taken: [PhoneNumber: [PoolAction]] = [:]
        for number in Set(marks.map(\.number)) {
            guard let current = try await store.callerNumber(number) else { continue }
            let summary = summaries[number] ?? MarkSummary()
            let state = states[number] ?? NumberState()
            let snapshot = NumberSnapshot(number: current, marks: summary, days: [], complaints: 0, warmingSinceDay: nil,
                                          restingUntilDay: nil, throttledBefore: false, flagged: state.flaggedAt != nil)
            let (health, actions) = PoolEvaluation.evaluate(snapshot, today: today, policy: pool)
            let markActions = actions.filter { if case .suspend = $0 { true } else if case .openUrgentAppeal = $0 { true } else { false } }
            // Marks change health too; the daily evaluation refines it with the call signals.
            let updated = NumberHealth(marks: summary, days: [], complaints: 0, policy: pool)
            try await store.apply(markActions, to: number, health: markActions.isEmpty ? state.health.merging(marks: updated) : health,
                                  today: today, at: now, policy: pool)
            for case let .openUrgentAppeal(platform) in markActions {
                _ = try? await store.openAppeal(number: number, platform: platform, urgent: true,
                                                reason: "P10: fraud (诈骗) mark; review the number's recent calls", at: now)
            }
            if !markActions.isEmpty { taken[number] = markActions }
        }
        if !taken.isEmpty { try await reloadSelector(now: now) }
        return taken
    }

    // MARK: - Lifecycle (RULES P13)

    /// Numbers due for review at `now` and what the review would decide: retire (true) or keep.
    public func reviewDecisions(now: Date) async throws -> [(number: CallerNumber, retire: Bool, reason: String)] {
        let numbers = try await allNumbers()
        let states = try await store.numberStates()
        let marks = try await store.markSummaries()
        let today = CalleeZone.china.localDay(at: Timestamp(now))
        let stats = try await store.dailyStats(sinceDay: today - 30, shortCallSeconds: pool.shortCallSeconds)
        let due = now.addingTimeInterval(-TimeInterval(pool.reviewDays) * 86_400)
        var decisions: [(number: CallerNumber, retire: Bool, reason: String)] = []
        for number in numbers where number.status != .retired {
            let last = states[number.number]?.lastReviewAt ?? number.createdAt
            guard last <= due else { continue }
            let markCount = marks[number.number]?.total ?? 0
            let days = stats[number.number] ?? []
            let attempts = days.reduce(0) { $0 + $1.attempts }
            let rate = attempts == 0 ? nil : Double(days.reduce(0) { $0 + $1.answered }) / Double(attempts)
            let retire = markCount >= pool.retireMarksAtLeast && (rate.map { $0 < pool.retireConnectBelow } ?? false)
            let rateText = rate.map { "\(Int(($0 * 100).rounded()))%" } ?? "no calls"
            let reason = retire
                ? "\(markCount) marks and connect rate \(rateText) over 30 days, under \(Int(pool.retireConnectBelow * 100))%: retired"
                : "\(markCount) marks, connect rate \(rateText): kept with cap \(min(number.dailyCap, pool.reducedCap))"
            decisions.append((number, retire, reason))
        }
        return decisions
    }

    /// Reviews the numbers due: retires the worn-out ones, keeps the others with the reduced cap.
    public func review(now: Date) async throws -> [(number: CallerNumber, retire: Bool, reason: String)] {
        let decisions = try await reviewDecisions(now: now)
        for decision in decisions {
            try await store.review(decision.number.number, retire: decision.retire, reducedCap: pool.reducedCap, reason: decision.reason, at: now)
        }
        if !decisions.isEmpty { try await reloadSelector(now: now) }
        return decisions
    }

    /// How many numbers `dailyCalls` calls a day need (RULES P3, P4, P14); by region group, split by where
    /// the last 30 days' callees were (or evenly, without history).
    public func plan(dailyCalls: [NumberPurpose: Int], byRegion: Bool, calleeShares: [RegionGroup: Double], now: Date) async throws -> PoolPlan {
        let numbers = try await allNumbers()
        let retiring = try await reviewDecisions(now: now).filter(\.retire).map(\.number.number.e164)
        var shares: [RegionGroup: Double]?
        if byRegion {
            shares = calleeShares.isEmpty ? Dictionary(uniqueKeysWithValues: RegionGroup.allCases.map { ($0, 1.0) }) : calleeShares
        }
        return PoolPlan(dailyCalls: dailyCalls, shares: shares, pool: numbers, toRetire: retiring, policy: pool)
    }

    /// Each agent's mark rate for the month containing `month` (RULES P15).
    public func agentReport(month: CivilDate) async throws -> [AgentMarkRate] {
        let start = CalleeZone.china.moment(day: CivilDate(year: month.year, month: month.month, day: 1)!.dayNumber, secondOfDay: 0).date
        let next = month.month == 12 ? CivilDate(year: month.year + 1, month: 1, day: 1)! : CivilDate(year: month.year, month: month.month + 1, day: 1)!
        let end = CalleeZone.china.moment(day: next.dayNumber, secondOfDay: 0).date
        return try await store.agentActivity(from: start, to: end).map {
            AgentMarkRate(agent: $0.agent, calls: $0.calls, numbersUsed: $0.numbers, numbersNewlyMarked: $0.newlyMarked, policy: pool)
        }
    }

    // MARK: - Appeals (RULES P12)

    /// Moves an appeal on; an accepted one clears the platform's marks and re-evaluates the number's marks.
    public func move(appeal id: Int64, to state: AppealState, note: String?, now: Date) async throws -> Appeal {
        guard let appeal = try await store.appeal(id: id) else { throw PoolInputError.appealNotFound(id) }
        let moved = try appeal.moved(to: state, at: now, note: note, calendar: policy.calendar, policy: pool)
        try await store.update(moved, at: now)
        if state == .accepted { try await reloadSelector(now: now) }
        return moved
    }

    /// The evidence pack for an appeal: filing, display name, volume per day, connect rate, consent share, complaints.
    public func evidence(for appeal: Appeal, now: Date) async throws -> AppealEvidence {
        guard let number = try await store.callerNumber(appeal.number) else { throw PoolInputError.notInPool(appeal.number.e164) }
        let today = CalleeZone.china.localDay(at: Timestamp(now))
        let days = try await store.dailyStats(sinceDay: today - 14, shortCallSeconds: pool.shortCallSeconds)[appeal.number] ?? []
        let share = try await store.consentShare(of: appeal.number, since: now.addingTimeInterval(-30 * 86_400))
        let complaints = try await store.complaintsByCaller(since: now.addingTimeInterval(-90 * 86_400))[appeal.number] ?? 0
        let marks = try await store.markSummaries()[appeal.number] ?? MarkSummary()
        return AppealEvidence(
            number: number, platform: appeal.platform, days: days, marketingAttempts: share.attempts,
            marketingWithConsent: share.withConsent, complaints: complaints, marks: marks, generatedAt: now)
    }
}

extension NumberHealth {
    /// This health with its mark deductions replaced by those of `marks` (the call signals kept).
    func merging(marks: NumberHealth) -> NumberHealth {
        var deductions = self.deductions.filter { $0.key != "marks" && $0.key != "fraud" }
        for key in ["marks", "fraud"] { if let value = marks.deductions[key] { deductions[key] = value } }
        return NumberHealth(score: max(0, 100 - deductions.values.reduce(0, +)), deductions: deductions)
    }
}
