import Foundation
import Testing
import WaihuCore

/// Snapshots for the pure rules: a number, its marks, its days.
func snapshot(
    status: CallerNumberStatus = .active, cap: Int = 20, marks: [(MarkPlatform, MarkKind, Int)] = [], days: [DailyStats] = [],
    warmingSince: String? = nil, throttledBefore: Bool = false, flagged: Bool = false, restingUntil: String? = nil
) throws -> NumberSnapshot {
    let number = try CallerNumberDraft(
        info: directory.lookup("0755-83201001"), purpose: .service, filingReference: "F", displayName: nil, status: status,
        dailyCap: cap, policy: PoolPolicy()).callerNumber(at: monday)
    var summary = MarkSummary()
    for (platform, kind, count) in marks { summary.counts[platform, default: [:]][kind] = count }
    return NumberSnapshot(
        number: number, marks: summary, days: days, complaints: 0, warmingSinceDay: warmingSince.map(day),
        restingUntilDay: restingUntil.map(day), throttledBefore: throttledBefore, flagged: flagged)
}

/// `count` days ending the day before `today`, each with `attempts` attempts and the given connect rate.
func days(ending today: String, rates: [Double], attempts: Int = 100, short: [Double]? = nil, declines: [Double]? = nil) -> [DailyStats] {
    let last = day(today) - 1
    return rates.enumerated().map { index, rate in
        let answered = Int((Double(attempts) * rate).rounded())
        return DailyStats(
            day: last - Int64(rates.count - 1 - index), attempts: attempts, answered: answered,
            short: Int((Double(answered) * (short?[index] ?? 0)).rounded()),
            declined: Int((Double(attempts) * (declines?[index] ?? 0)).rounded()))
    }
}

@Suite("Number health rules")
struct HealthTests {
    let policy = PoolPolicy()
    let today = day("2025-03-20")

    func actions(_ snapshot: NumberSnapshot) -> [PoolAction] {
        PoolEvaluation.evaluate(snapshot, today: today, policy: policy).actions
    }

    @Test("RULES P9: exactly 5 marks keep the number; 6 suspend it")
    func marksThreshold() throws {
        #expect(actions(try snapshot(marks: [(.p360, .harassment, 3), (.tencent, .sales, 2)])).isEmpty)
        let six = actions(try snapshot(marks: [(.p360, .harassment, 3), (.tencent, .sales, 3)]))
        #expect(six.count == 1)
        guard case let .suspend(rule, reason)? = six.first else { Issue.record("expected a suspension"); return }
        #expect(rule == "P9")
        #expect(reason.contains("6 marks"))
    }

    @Test("RULES P10: one fraud mark suspends at once and opens an urgent appeal per platform")
    func fraud() throws {
        let found = actions(try snapshot(marks: [(.tencent, .fraud, 1)]))
        #expect(found.map(\.rule) == ["P10", "P10"])
        #expect(found.contains(.openUrgentAppeal(.tencent)))
        #expect(found.contains { if case .suspend(rule: "P10", _) = $0 { true } else { false } })
        // Zero fraud marks (an old count cleared) is not fraud.
        #expect(actions(try snapshot(marks: [(.tencent, .fraud, 0)])).isEmpty)
    }

    @Test("RULES P11: under 40% on 3 days in a row flags; 40% exactly, 2 days, or a gap do not")
    func connectFlag() throws {
        let flagged = actions(try snapshot(days: days(ending: "2025-03-20", rates: [0.39, 0.39, 0.39])))
        #expect(flagged.contains { if case .flag = $0 { true } else { false } })
        #expect(!actions(try snapshot(days: days(ending: "2025-03-20", rates: [0.40, 0.40, 0.40]))).contains { if case .flag = $0 { true } else { false } })
        #expect(!actions(try snapshot(days: days(ending: "2025-03-20", rates: [0.45, 0.39, 0.39]))).contains { if case .flag = $0 { true } else { false } })
        var gap = days(ending: "2025-03-20", rates: [0.39, 0.39, 0.39, 0.39])
        gap.remove(at: 2)
        #expect(!actions(try snapshot(days: gap)).contains { if case .flag = $0 { true } else { false } })
        // Days too small to judge do not count.
        #expect(!actions(try snapshot(days: days(ending: "2025-03-20", rates: [0.3, 0.3, 0.3], attempts: 5))).contains { if case .flag = $0 { true } else { false } })
        // Already flagged: not again.
        #expect(!actions(try snapshot(days: days(ending: "2025-03-20", rates: [0.39, 0.39, 0.39]), flagged: true)).contains { if case .flag = $0 { true } else { false } })
    }

    @Test("RULES P4: a drop of exactly 5 points is tolerated; more than 5 throttles, and again rests")
    func connectDrop() throws {
        let baseline = Array(repeating: 0.60, count: 13)
        #expect(actions(try snapshot(days: days(ending: "2025-03-20", rates: baseline + [0.55]))).isEmpty)
        let drop = actions(try snapshot(days: days(ending: "2025-03-20", rates: baseline + [0.54])))
        guard case let .throttle(cap, reason)? = drop.first else { Issue.record("expected throttling, got \(drop)"); return }
        #expect(cap == 10)
        #expect(reason.contains("down 6.0 points"))
        let again = actions(try snapshot(days: days(ending: "2025-03-20", rates: baseline + [0.54]), throttledBefore: true))
        guard case let .rest(until, _)? = again.first else { Issue.record("expected resting, got \(again)"); return }
        #expect(until == today + 30)
    }

    @Test("RULES P4: rising short calls or declines are early signs too")
    func shortCallsAndDeclines() throws {
        let rates = Array(repeating: 0.60, count: 14)
        let calm = Array(repeating: 0.05, count: 13)
        #expect(actions(try snapshot(days: days(ending: "2025-03-20", rates: rates, short: calm + [0.15]))).isEmpty)
        #expect(actions(try snapshot(days: days(ending: "2025-03-20", rates: rates, short: calm + [0.17]))).first.map { if case .throttle = $0 { true } else { false } } == true)
        let declines = days(ending: "2025-03-20", rates: rates, declines: Array(repeating: 0.02, count: 13) + [0.15])
        #expect(actions(try snapshot(days: declines)).first.map { if case .throttle = $0 { true } else { false } } == true)
    }

    @Test("RULES P14: a warming number becomes active after 14 clean days, not 13, and not with marks")
    func warmup() throws {
        #expect(actions(try snapshot(status: .warming, warmingSince: "2025-03-06")) == [.activate])
        #expect(actions(try snapshot(status: .warming, warmingSince: "2025-03-07")).isEmpty)
        #expect(actions(try snapshot(status: .warming, marks: [(.p360, .sales, 1)], warmingSince: "2025-03-01")).isEmpty)
        #expect(policy.warmupCap(onDay: 0) == 5)
        #expect(policy.warmupCap(onDay: 2) == 5)
        #expect(policy.warmupCap(onDay: 3) == 10)
    }

    @Test("a rested number returns to standby when its cool-down ends")
    func cooldown() throws {
        #expect(actions(try snapshot(status: .resting, restingUntil: "2025-03-20")) == [.returnToStandby])
        #expect(actions(try snapshot(status: .resting, restingUntil: "2025-03-21")).isEmpty)
    }

    @Test("health: 100 for a clean number; marks, connect rate, short calls, declines and complaints take points")
    func healthScore() throws {
        let clean = NumberHealth(marks: MarkSummary(), days: days(ending: "2025-03-20", rates: [0.65, 0.65]), complaints: 0, policy: policy)
        #expect(clean.score == 100)
        #expect(clean.deductions.isEmpty)
        var marks = MarkSummary()
        marks.counts[.p360] = [.harassment: 2]
        let worn = NumberHealth(marks: marks, days: days(ending: "2025-03-20", rates: [0.40, 0.40], short: [0.5, 0.5], declines: [0.1, 0.1]),
                                complaints: 1, policy: policy)
        #expect(worn.deductions == ["marks": 20, "connectRate": 20, "shortCalls": 20, "declines": 6, "complaints": 10])
        #expect(worn.score == 24)
        marks.counts[.tencent] = [.fraud: 1]
        #expect(NumberHealth(marks: marks, days: [], complaints: 0, policy: policy).score == 0)
    }

    @Test("plan arithmetic: 1000 calls a day at cap 20 → 50 active and 13 standby; add 5–10 a month (RULES P3, P4, P14)")
    func plan() {
        let plan = PoolPlan(dailyCalls: [.service: 1000], shares: nil, pool: [], toRetire: [], policy: policy)
        #expect(plan.lines.count == 1)
        #expect(plan.lines[0].activeNeeded == 50)
        #expect(plan.lines[0].standbyNeeded == 13)
        #expect(plan.lines[0].replenish == 5...10)
        let odd = PoolPlan(dailyCalls: [.marketing: 1001], shares: nil, pool: [], toRetire: [], policy: policy)
        #expect(odd.lines[0].activeNeeded == 51)
        let split = PoolPlan(dailyCalls: [.service: 1000], shares: [.south: 3, .east: 1], pool: [], toRetire: [], policy: policy)
        #expect(split.lines.map(\.regionGroup) == [.east, .south])
        #expect(split.lines.map(\.activeNeeded) == [13, 38])
    }

    @Test("appeal states: draft → submitted → accepted or rejected; the answer is due 3 working days after submission")
    func appealStates() throws {
        var calendar = HolidayCalendar.bundled
        calendar.add(holiday: CivilDate("2025-03-06")!, name: "test")
        let appeal = Appeal(id: 1, number: phone("0755-83201001"), platform: .p360, state: .draft, urgent: false, reason: "r",
                            openedAt: monday, submittedAt: nil, dueAt: nil, decidedAt: nil, note: nil)
        let submitted = try appeal.moved(to: .submitted, at: beijing("2025-03-04 16:00"), note: nil, calendar: calendar, policy: policy)
        // Tuesday: Wednesday 5th, (Thursday 6th a holiday), Friday 7th, (weekend), Monday 10th → end of the 10th.
        #expect(submitted.dueAt == beijing("2025-03-10 23:59:59"))
        #expect(throws: PoolInputError.appealTransition(from: .draft, to: .accepted)) {
            try appeal.moved(to: .accepted, at: monday, note: nil, calendar: calendar, policy: policy)
        }
        let accepted = try submitted.moved(to: .accepted, at: beijing("2025-03-07 10:00"), note: "removed", calendar: calendar, policy: policy)
        #expect(accepted.decidedAt == beijing("2025-03-07 10:00"))
        #expect(throws: PoolInputError.appealTransition(from: .accepted, to: .rejected)) {
            try accepted.moved(to: .rejected, at: monday, note: nil, calendar: calendar, policy: policy)
        }
    }
}
