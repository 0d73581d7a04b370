import Foundation
import Testing
import WaihuCore

/// One decision: what happened before, the call asked for, and the expected answer.
struct DecisionCase: CustomTestStringConvertible, Sendable {
    let name: String
    var setup: [Setup] = []
    var purpose: CallPurpose = .service
    let at: String
    var elderly = false
    var age: Int?
    var callee = Setup.callee
    var policy: Policy = .defaults
    let allowed: Bool
    var rules: [String] = []
    /// Beijing time, `nil` for never; defaults to `at` when allowed.
    var next: String??

    var testDescription: String { name }
}

private let caller = (a: "010-58001001", b: "13910001001", c: "0755-83201001")
private let marketingConsent = Setup.consent(.marketing, granted: "2024-06-01 10:00")

/// Only the carriers' short windows: no daily limit, no gap, no long windows.
private var shortWindowPolicy: Policy {
    var policy = Policy.defaults
    policy.compliance.frequency.perCalendarDay = 0
    policy.compliance.frequency.minimumGap = 0
    policy.compliance.frequency.windows = [.init(seconds: 300, limit: 3), .init(seconds: 86_400, limit: 5)]
    return policy
}

private var refusalLockPolicy: Policy {
    var policy = Policy.defaults
    policy.compliance.lists.refusalLockDays = 90
    return policy
}

let decisionCases: [DecisionCase] = [
    // RULES C4: 08:00–21:00 in the callee's time. 2025-03-03 is a Monday.
    .init(name: "07:59 is before hours", at: "2025-03-03 07:59", allowed: false, rules: ["C4"], next: "2025-03-03 08:00"),
    .init(name: "07:59:59 is before hours", at: "2025-03-03 07:59:59", allowed: false, rules: ["C4"], next: "2025-03-03 08:00"),
    .init(name: "08:00 opens", at: "2025-03-03 08:00", allowed: true),
    .init(name: "20:59 is inside", at: "2025-03-03 20:59", allowed: true),
    .init(name: "20:59:59 is inside", at: "2025-03-03 20:59:59", allowed: true),
    .init(name: "21:00 closes", at: "2025-03-03 21:00", allowed: false, rules: ["C4"], next: "2025-03-04 08:00"),
    .init(name: "23:30 waits for tomorrow", at: "2025-03-03 23:30", allowed: false, rules: ["C4"], next: "2025-03-04 08:00"),
    .init(name: "midnight waits for 08:00", at: "2025-03-04 00:00", allowed: false, rules: ["C4"], next: "2025-03-04 08:00"),
    .init(name: "an ordinary Saturday is allowed", at: "2025-03-08 10:00", allowed: true),
    .init(name: "an ordinary Sunday evening is allowed", at: "2025-03-09 20:59", allowed: true),
    .init(name: "Friday 21:00 goes to Saturday 08:00", at: "2025-03-07 21:00", allowed: false, rules: ["C4"], next: "2025-03-08 08:00"),

    // RULES C4: statutory holidays of 2025, the whole rest period; make-up workdays (调休) are workdays.
    .init(name: "2025 New Year's Day", at: "2025-01-01 10:00", allowed: false, rules: ["C4"], next: "2025-01-02 08:00"),
    .init(name: "2025 Spring Festival first day", at: "2025-01-28 10:00", allowed: false, rules: ["C4"], next: "2025-02-05 08:00"),
    .init(name: "2025 Spring Festival weekend inside the period", at: "2025-02-01 10:00", allowed: false, rules: ["C4"], next: "2025-02-05 08:00"),
    .init(name: "2025 Spring Festival last day", at: "2025-02-04 20:00", allowed: false, rules: ["C4"], next: "2025-02-05 08:00"),
    .init(name: "the day before the Spring Festival", at: "2025-01-27 20:59", allowed: true),
    .init(name: "2025-01-26 Sunday 调休 is a workday", at: "2025-01-26 10:00", allowed: true),
    .init(name: "2025-02-08 Saturday 调休 is a workday", at: "2025-02-08 08:00", allowed: true),
    .init(name: "2025 Qingming", at: "2025-04-04 10:00", allowed: false, rules: ["C4"], next: "2025-04-07 08:00"),
    .init(name: "2025 Labour Day", at: "2025-05-01 09:00", allowed: false, rules: ["C4"], next: "2025-05-06 08:00"),
    .init(name: "2025-04-27 Sunday 调休", at: "2025-04-27 10:00", allowed: true),
    .init(name: "2025 Dragon Boat", at: "2025-05-31 10:00", allowed: false, rules: ["C4"], next: "2025-06-03 08:00"),
    .init(name: "2025 National Day", at: "2025-10-01 12:00", allowed: false, rules: ["C4"], next: "2025-10-09 08:00"),
    .init(name: "2025 National Day, evening of its last day but one", at: "2025-10-07 21:30", allowed: false, rules: ["C4"], next: "2025-10-09 08:00"),
    .init(name: "2025-09-28 Sunday 调休", at: "2025-09-28 08:00", allowed: true),
    .init(name: "2025-10-11 Saturday 调休", at: "2025-10-11 08:00", allowed: true),
    // 2026.
    .init(name: "2026 New Year then Sunday 调休", at: "2026-01-01 10:00", allowed: false, rules: ["C4"], next: "2026-01-04 08:00"),
    .init(name: "2026-01-04 Sunday 调休", at: "2026-01-04 08:00", allowed: true),
    .init(name: "2026 Spring Festival", at: "2026-02-15 10:00", allowed: false, rules: ["C4"], next: "2026-02-24 08:00"),
    .init(name: "2026-02-14 Saturday 调休", at: "2026-02-14 10:00", allowed: true),
    .init(name: "2026-02-28 Saturday 调休", at: "2026-02-28 20:59", allowed: true),
    .init(name: "2026 Qingming", at: "2026-04-05 10:00", allowed: false, rules: ["C4"], next: "2026-04-07 08:00"),
    .init(name: "2026-05-09 Saturday 调休", at: "2026-05-09 10:00", allowed: true),
    .init(name: "2026 Dragon Boat", at: "2026-06-19 10:00", allowed: false, rules: ["C4"], next: "2026-06-22 08:00"),
    .init(name: "2026 Mid-autumn", at: "2026-09-25 10:00", allowed: false, rules: ["C4"], next: "2026-09-28 08:00"),
    .init(name: "2026-09-20 Sunday 调休", at: "2026-09-20 10:00", allowed: true),
    .init(name: "2026 National Day", at: "2026-10-01 10:00", allowed: false, rules: ["C4"], next: "2026-10-08 08:00"),
    .init(name: "2026-10-10 Saturday 调休", at: "2026-10-10 10:00", allowed: true),
    .init(name: "urgent notifications call on holidays", purpose: .urgent, at: "2026-10-01 10:00", allowed: true),
    .init(name: "urgent notifications call at night", purpose: .urgent, at: "2025-03-03 23:30", allowed: true),

    // RULES C5: elderly callees 09:00–20:00.
    .init(name: "elderly 08:59", at: "2025-03-03 08:59", elderly: true, allowed: false, rules: ["C5"], next: "2025-03-03 09:00"),
    .init(name: "elderly 09:00", at: "2025-03-03 09:00", elderly: true, allowed: true),
    .init(name: "elderly 19:59", at: "2025-03-03 19:59", elderly: true, allowed: true),
    .init(name: "elderly 20:00", at: "2025-03-03 20:00", elderly: true, allowed: false, rules: ["C5"], next: "2025-03-04 09:00"),
    .init(name: "elderly 07:30 breaks both windows", at: "2025-03-03 07:30", elderly: true, allowed: false, rules: ["C4", "C5"], next: "2025-03-03 09:00"),
    .init(name: "elderly on a holiday", at: "2025-10-01 10:00", elderly: true, allowed: false, rules: ["C4"], next: "2025-10-09 09:00"),
    .init(name: "age 65 counts as elderly", at: "2025-03-03 08:30", age: 65, allowed: false, rules: ["C5"], next: "2025-03-03 09:00"),
    .init(name: "age 59 does not", at: "2025-03-03 08:30", age: 59, allowed: true),

    // RULES C6: every attempt counts, whichever caller number placed it. 2025-03-12 is a Wednesday.
    .init(name: "24 h exactly after the last attempt", setup: [.attempt("2025-03-11 10:00", caller: caller.a)], at: "2025-03-12 10:00", allowed: true),
    .init(name: "a minute short of 24 h", setup: [.attempt("2025-03-11 10:01", caller: caller.a)], at: "2025-03-12 10:00",
          allowed: false, rules: ["C6"], next: "2025-03-12 10:01"),
    .init(name: "already called today, by another caller", setup: [.attempt("2025-03-12 08:30", caller: caller.b)], at: "2025-03-12 20:00",
          allowed: false, rules: ["C6"], next: "2025-03-13 08:30"),
    .init(name: "gap ends inside tomorrow's hours", setup: [.attempt("2025-03-11 20:50", caller: caller.a)], at: "2025-03-12 20:49",
          allowed: false, rules: ["C6"], next: "2025-03-12 20:50"),
    .init(name: "3 in 7 days from 3 callers, then the 30-day window and Qingming",
          setup: [.attempt("2025-03-06 10:00", caller: caller.a), .attempt("2025-03-08 10:00", caller: caller.b), .attempt("2025-03-10 10:00", caller: caller.c)],
          at: "2025-03-12 10:00", allowed: false, rules: ["C6"], next: "2025-04-07 08:00"),
    .init(name: "3 in 30 days from 3 callers",
          setup: [.attempt("2025-03-04 10:00", caller: caller.a), .attempt("2025-03-08 10:00", caller: caller.b), .attempt("2025-03-10 10:00", caller: caller.c)],
          at: "2025-03-12 10:00", allowed: false, rules: ["C6"], next: "2025-04-03 10:00"),
    .init(name: "2 in 30 days", setup: [.attempt("2025-02-09 10:00", caller: caller.a), .attempt("2025-02-20 10:00", caller: caller.b), .attempt("2025-03-02 10:00", caller: caller.c)],
          at: "2025-03-12 10:00", allowed: true),
    .init(name: "an attempt exactly 30 days ago is outside the window",
          setup: [.attempt("2025-02-10 10:00", caller: caller.a), .attempt("2025-02-20 10:00", caller: caller.b), .attempt("2025-03-02 10:00", caller: caller.c)],
          at: "2025-03-12 10:00", allowed: true),
    .init(name: "29 days ago is inside",
          setup: [.attempt("2025-02-11 10:00", caller: caller.a), .attempt("2025-02-20 10:00", caller: caller.b), .attempt("2025-03-02 10:00", caller: caller.c)],
          at: "2025-03-12 10:00", allowed: false, rules: ["C6"], next: "2025-03-13 10:00"),
    .init(name: "marketing 48 h exactly after marketing", setup: [marketingConsent, .attempt("2025-03-10 10:00", caller: caller.a, purpose: .marketing)],
          purpose: .marketing, at: "2025-03-12 10:00", allowed: true),
    .init(name: "marketing 24 h after marketing", setup: [marketingConsent, .attempt("2025-03-11 12:00", caller: caller.a, purpose: .marketing)],
          purpose: .marketing, at: "2025-03-12 12:00", allowed: false, rules: ["C6"], next: "2025-03-13 12:00"),
    .init(name: "marketing 24 h after service", setup: [marketingConsent, .attempt("2025-03-11 12:00", caller: caller.a, purpose: .service)],
          purpose: .marketing, at: "2025-03-12 12:00", allowed: true),
    .init(name: "service 24 h after marketing", setup: [.attempt("2025-03-11 12:00", caller: caller.a, purpose: .marketing)],
          at: "2025-03-12 12:00", allowed: true),
    .init(name: "carrier window: 3 in 5 minutes",
          setup: [.attempt("2025-03-12 10:00", caller: caller.a), .attempt("2025-03-12 10:01", caller: caller.b), .attempt("2025-03-12 10:02", caller: caller.c)],
          at: "2025-03-12 10:03", policy: shortWindowPolicy, allowed: false, rules: ["C6"], next: "2025-03-12 10:05"),
    .init(name: "carrier window: 5 in 24 hours",
          setup: [.attempt("2025-03-11 12:00", caller: caller.a), .attempt("2025-03-11 13:00", caller: caller.b), .attempt("2025-03-11 14:00", caller: caller.c),
                  .attempt("2025-03-11 15:00", caller: caller.a), .attempt("2025-03-11 16:00", caller: caller.b)],
          at: "2025-03-12 10:00", policy: shortWindowPolicy, allowed: false, rules: ["C6"], next: "2025-03-12 12:00"),
    .init(name: "urgent calls are still limited", setup: [.attempt("2025-03-12 09:00", caller: caller.a)], purpose: .urgent, at: "2025-03-12 23:00",
          allowed: false, rules: ["C6"], next: "2025-03-13 09:00"),
    .init(name: "a later attempt does not count against an earlier time", setup: [.attempt("2025-03-12 15:00", caller: caller.a)],
          at: "2025-03-12 10:00", allowed: true),

    // RULES C1: consent for marketing — scope, separate consent, validity, revocation.
    .init(name: "marketing without consent", purpose: .marketing, at: "2025-03-12 10:00", allowed: false, rules: ["C1"], next: .some(nil)),
    .init(name: "a service consent does not cover marketing", setup: [.consent(.service, granted: "2025-01-01 10:00")], purpose: .marketing,
          at: "2025-03-12 10:00", allowed: false, rules: ["C1"], next: .some(nil)),
    .init(name: "valid marketing consent", setup: [marketingConsent], purpose: .marketing, at: "2025-03-12 10:00", allowed: true),
    .init(name: "consent that is a clause, not separate", setup: [.consent(.marketing, granted: "2025-01-01 10:00", separate: false)],
          purpose: .marketing, at: "2025-03-12 10:00", allowed: false, rules: ["C1"], next: .some(nil)),
    .init(name: "expired consent", setup: [.consent(.marketing, granted: "2024-01-01 10:00", expires: "2025-03-11 10:00")],
          purpose: .marketing, at: "2025-03-12 10:00", allowed: false, rules: ["C1"], next: .some(nil)),
    .init(name: "consent expiring within the hour still counts", setup: [.consent(.marketing, granted: "2024-01-01 10:00", expires: "2025-03-12 11:00")],
          purpose: .marketing, at: "2025-03-12 10:00", allowed: true),
    .init(name: "consent ends at the second it expires", setup: [.consent(.marketing, granted: "2024-01-01 10:00", expires: "2025-03-12 10:00")],
          purpose: .marketing, at: "2025-03-12 10:00", allowed: false, rules: ["C1"], next: .some(nil)),
    .init(name: "revoked consent", setup: [.consent(.marketing, granted: "2024-01-01 10:00", revoked: "2025-03-01 10:00")],
          purpose: .marketing, at: "2025-03-12 10:00", allowed: false, rules: ["C1"], next: .some(nil)),
    .init(name: "consent granted tomorrow", setup: [.consent(.marketing, granted: "2025-03-13 09:30")],
          purpose: .marketing, at: "2025-03-12 10:00", allowed: false, rules: ["C1"], next: "2025-03-13 09:30"),
    .init(name: "an expired consent and a newer one", setup: [.consent(.marketing, granted: "2023-01-01 10:00", expires: "2024-01-01 10:00"), marketingConsent],
          purpose: .marketing, at: "2025-03-12 10:00", allowed: true),
    .init(name: "service calls need no consent", at: "2025-03-12 10:00", allowed: true),
    .init(name: "notifications need no consent", purpose: .notification, at: "2025-03-12 10:00", allowed: true),
    .init(name: "marketing at night without consent breaks two rules", purpose: .marketing, at: "2025-03-12 22:00",
          allowed: false, rules: ["C1", "C4"], next: .some(nil)),

    // RULES C7: refusal — forever for marketing by default; only a later explicit consent lifts it.
    .init(name: "refused customer, marketing", setup: [marketingConsent, .listed(.refusal, at: "2025-02-01 10:00")], purpose: .marketing,
          at: "2025-03-12 10:00", allowed: false, rules: ["C7"], next: .some(nil)),
    .init(name: "refused customer, service", setup: [.listed(.refusal, at: "2025-02-01 10:00")], at: "2025-03-12 10:00", allowed: true),
    .init(name: "refusal lifted by a later consent", setup: [.listed(.refusal, at: "2025-02-01 10:00"), .consent(.marketing, granted: "2025-03-01 10:00")],
          purpose: .marketing, at: "2025-03-12 10:00", allowed: true),
    .init(name: "a consent before the refusal does not lift it", setup: [.consent(.marketing, granted: "2025-01-01 10:00"), .listed(.refusal, at: "2025-02-01 10:00")],
          purpose: .marketing, at: "2025-03-12 10:00", allowed: false, rules: ["C7"], next: .some(nil)),
    .init(name: "refusal, then a consent given tomorrow", setup: [.listed(.refusal, at: "2025-02-01 10:00"), .consent(.marketing, granted: "2025-03-13 10:30")],
          purpose: .marketing, at: "2025-03-12 10:00", allowed: false, rules: ["C7", "C1"], next: "2025-03-13 10:30"),
    .init(name: "refusal lock of 90 days ends on Dragon Boat", setup: [marketingConsent, .listed(.refusal, at: "2025-03-02 10:00")], purpose: .marketing,
          at: "2025-03-12 10:00", policy: refusalLockPolicy, allowed: false, rules: ["C7"], next: "2025-06-03 08:00"),
    .init(name: "refusal lock of 90 days, lapsed", setup: [marketingConsent, .listed(.refusal, at: "2024-12-01 10:00")], purpose: .marketing,
          at: "2025-03-12 10:00", policy: refusalLockPolicy, allowed: true),
    .init(name: "imported do-not-call list blocks marketing", setup: [marketingConsent, .listed(.imported, at: "2025-01-01 10:00")], purpose: .marketing,
          at: "2025-03-12 10:00", allowed: false, rules: ["C7"], next: .some(nil)),
    .init(name: "imported list does not block service", setup: [.listed(.imported, at: "2025-01-01 10:00")], at: "2025-03-12 10:00", allowed: true),

    // RULES C8: complaints.
    .init(name: "complainant, service", setup: [.listed(.complaint, at: "2025-02-01 10:00")], at: "2025-03-12 10:00", allowed: false, rules: ["C8"], next: .some(nil)),
    .init(name: "complainant, marketing", setup: [marketingConsent, .listed(.complaint, at: "2025-02-01 10:00")], purpose: .marketing,
          at: "2025-03-12 10:00", allowed: false, rules: ["C8"], next: .some(nil)),
    .init(name: "complainant, notification", setup: [.listed(.complaint, at: "2025-02-01 10:00")], purpose: .notification, at: "2025-03-12 10:00", allowed: true),
    .init(name: "refusal and complaint together", setup: [marketingConsent, .listed(.refusal, at: "2025-02-01 10:00"), .listed(.complaint, at: "2025-02-02 10:00")],
          purpose: .marketing, at: "2025-03-12 10:00", allowed: false, rules: ["C7", "C8"], next: .some(nil)),

    // RULES C9: empty or stopped numbers (空号), numbers that take no calls.
    .init(name: "invalid number, recently found", setup: [.listed(.invalid, at: "2025-03-02 10:00")], at: "2025-03-12 10:00",
          allowed: false, rules: ["C9"], next: "2025-08-29 10:00"),
    .init(name: "invalid listing lapses after 180 days", setup: [.listed(.invalid, at: "2024-09-01 10:00")], at: "2025-03-12 10:00", allowed: true),
    .init(name: "an invalid_number outcome lists the number", setup: [.attempt("2025-03-01 10:00", caller: caller.a, outcome: .invalidNumber)],
          at: "2025-03-12 10:00", allowed: false, rules: ["C9"], next: "2025-08-28 10:00"),
    .init(name: "SMS ports take no calls", purpose: .notification, at: "2025-03-12 10:00", callee: "1069000012345", allowed: false, rules: ["C9"], next: .some(nil)),

    // Rules together: the next allowed time satisfies all of them at once.
    .init(name: "attempt on the eve of a holiday: gap, then holiday", setup: [.attempt("2025-09-30 20:00", caller: caller.a)],
          at: "2025-09-30 20:30", allowed: false, rules: ["C6"], next: "2025-10-09 08:00"),
    .init(name: "elderly, called yesterday at 19:30", setup: [.attempt("2025-03-11 19:30", caller: caller.b)], at: "2025-03-12 19:00", elderly: true,
          allowed: false, rules: ["C6"], next: "2025-03-12 19:30"),
    .init(name: "outside hours and too soon", setup: [.attempt("2025-03-12 08:00", caller: caller.a)], at: "2025-03-12 22:00",
          allowed: false, rules: ["C4", "C6"], next: "2025-03-13 08:00"),
    .init(name: "international callee in New York: 10:00 there", at: "2025-03-12 22:00", callee: "+1 212 555 0100", allowed: true),
    .init(name: "international callee in New York: 07:00 there", at: "2025-03-12 19:00", callee: "+1 212 555 0100",
          allowed: false, rules: ["C4"], next: "2025-03-12 20:00"),
]

@Suite("Compliance decisions, table-driven")
struct ComplianceTableTests {
    @Test("the table covers every rule with enough cases")
    func coverage() {
        #expect(decisionCases.count >= 80)
        let rules = Set(decisionCases.flatMap(\.rules))
        #expect(rules.isSuperset(of: ["C1", "C4", "C5", "C6", "C7", "C8", "C9"]))
    }

    @Test("decision", arguments: decisionCases)
    func decide(_ testCase: DecisionCase) async throws {
        let test = try await TestGate(policy: testCase.policy, setup: testCase.setup, loadAt: beijing(testCase.at).date)
        defer { test.remove() }
        let at = beijing(testCase.at)
        let request = test.gate.request(
            for: phone(testCase.callee), purpose: testCase.purpose, at: at.date, elderly: testCase.elderly, age: testCase.age)
        let decision = test.gate.check(request)
        #expect(decision.allowed == testCase.allowed)
        #expect(Set(decision.reasons.map(\.rule)) == Set(testCase.rules))
        #expect(decision.reasons.allSatisfy { !$0.message.isEmpty })
        let expected: Timestamp? = switch testCase.next {
        case .none: testCase.allowed ? at : nil
        case let .some(text): text.map(beijing)
        }
        #expect(decision.nextAllowedAt == expected, "next allowed \(decision.nextAllowedAt.map { $0.iso8601(offsetSeconds: 28_800) } ?? "never")")
        #expect(decision.policyVersion == testCase.policy.version)
        if let next = decision.nextAllowedAt {
            // The next allowed time is itself allowed.
            var later = request
            later.at = next
            #expect(test.gate.check(later).allowed)
        }
    }
}
