import Foundation
import Testing
@testable import WaihuCore

/// SplitMix64: a seeded generator, so that a failing case can be replayed from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The rules written a second time, as plainly as possible and independently of the engine: a yes/no
/// answer for one moment. The property test holds the engine to it.
struct ReferenceRules {
    let policy: Policy

    func allows(_ request: ComplianceRequest, _ facts: CalleeFacts, at t: Int64) -> Bool {
        let rules = policy.compliance
        let purpose = request.purpose
        let local = t + 8 * 3600  // the callees here are Chinese: UTC+8
        let day = Int64((Double(local) / 86_400).rounded(.down))
        let second = local - day * 86_400

        // C4, C5
        if !rules.hours.exemptPurposes.contains(purpose) {
            if case .holiday = policy.calendar.kind(ofDay: day) { return false }
            var start = rules.hours.start, end = rules.hours.end
            if request.elderly {
                start = max(start, rules.hours.elderlyStart)
                end = min(end, rules.hours.elderlyEnd)
            }
            if second < start || second >= end { return false }
        }
        // C1
        let scoped = facts.consents.filter { $0.scope == purpose.consentScope && ($0.separate || !rules.consent.requireSeparate) }
        if rules.consent.requiredFor.contains(purpose) {
            if !scoped.contains(where: { $0.grantedAt <= t && t < $0.expiresAt && t < $0.revokedAt }) { return false }
        }
        // C7, C8, C9
        for reason in DoNotCallReason.allCases where facts.listReasons & reason.bit != 0 && rules.lists.blocks(reason).contains(purpose) {
            switch reason {
            case .refusal:
                let refused = facts.refusedAt ?? 0
                if let days = rules.lists.refusalLockDays, t >= refused + Int64(days) * 86_400 { continue }
                let lifted = scoped.contains { $0.grantedAt > refused && $0.grantedAt <= t && t < $0.expiresAt && t < $0.revokedAt }
                if !lifted { return false }
            case .invalid:
                if let days = rules.lists.invalidLockDays, t >= (facts.invalidAt ?? 0) + Int64(days) * 86_400 { continue }
                return false
            case .complaint, .imported:
                return false
            }
        }
        // C6
        if !rules.frequency.exemptPurposes.contains(purpose) {
            let history = facts.attempts.all.filter { $0.time <= t }
            let sameDay = history.filter { Int64((Double($0.time + 8 * 3600) / 86_400).rounded(.down)) == day }.count
            if rules.frequency.perCalendarDay > 0 && sameDay >= rules.frequency.perCalendarDay { return false }
            for window in rules.frequency.windows where history.filter({ $0.time > t - window.seconds }).count >= window.limit {
                return false
            }
            if history.contains(where: { t - $0.time < rules.frequency.minimumGap }) { return false }
            if let gap = rules.frequency.purposeGaps[purpose], history.contains(where: { $0.purpose == purpose && t - $0.time < gap }) {
                return false
            }
        }
        return true
    }
}

@Suite("Compliance properties")
struct CompliancePropertyTests {
    static func randomCase(_ rng: inout SeededGenerator) -> (ComplianceRequest, CalleeFacts) {
        let start = beijing("2025-01-01 00:00").seconds, end = beijing("2026-12-31 23:59").seconds
        let t = Int64.random(in: start...end, using: &rng)
        let purpose = CallPurpose.allCases.randomElement(using: &rng)!
        var facts = CalleeFacts()
        for _ in 0..<Int.random(in: 0...8, using: &rng) {
            facts.attempts.insert(time: t + Int64.random(in: -40 * 86_400...2 * 86_400, using: &rng),
                                  purpose: CallPurpose.allCases.randomElement(using: &rng)!)
        }
        for id in 0..<Int64.random(in: 0...3, using: &rng) {
            let granted = t + Int64.random(in: -60 * 86_400...10 * 86_400, using: &rng)
            let expires = Bool.random(using: &rng) ? Int64.max : granted + Int64.random(in: 1...90 * 86_400, using: &rng)
            let revoked = Int.random(in: 0..<4, using: &rng) == 0 ? granted + Int64.random(in: 0...30 * 86_400, using: &rng) : Int64.max
            facts.consents.append(ConsentFact(
                id: id, scope: ConsentScope.allCases.randomElement(using: &rng)!, separate: Int.random(in: 0..<5, using: &rng) > 0,
                grantedAt: granted, expiresAt: expires, revokedAt: revoked))
        }
        for reason in DoNotCallReason.allCases where Int.random(in: 0..<5, using: &rng) == 0 {
            facts.listReasons |= reason.bit
            let time = t - Int64.random(in: 0...400 * 86_400, using: &rng)
            switch reason {
            case .refusal: facts.refusedAt = time
            case .complaint: facts.complainedAt = time
            case .invalid: facts.invalidAt = time
            case .imported: break
            }
        }
        let request = ComplianceRequest(
            callee: phone("13800138000"), zones: [.china], purpose: purpose, at: Timestamp(seconds: t), elderly: Bool.random(using: &rng))
        return (request, facts)
    }

    static var policies: [Policy] {
        var locked = Policy.defaults
        locked.compliance.lists.refusalLockDays = 90
        locked.compliance.lists.invalidLockDays = 30
        var short = Policy.defaults
        short.compliance.frequency.perCalendarDay = 2
        short.compliance.frequency.minimumGap = 3600
        short.compliance.frequency.windows = [.init(seconds: 300, limit: 3), .init(seconds: 86_400, limit: 5)]
        return [.defaults, locked, short]
    }

    @Test("the engine agrees with the plain rules; the next allowed time is allowed and nothing earlier is", arguments: [0, 1, 2])
    func agreesWithReference(policyIndex: Int) {
        let policy = Self.policies[policyIndex]
        let engine = ComplianceEngine(policy: policy)
        let reference = ReferenceRules(policy: policy)
        var checked = 0, allowed = 0, never = 0
        for seed in UInt64(1)...4000 {
            var rng = SeededGenerator(state: seed &* 7919 &+ UInt64(policyIndex))
            let (request, facts) = Self.randomCase(&rng)
            let decision = engine.decide(request, facts: facts)
            let t = request.at.seconds
            guard decision.allowed == reference.allows(request, facts, at: t) else {
                Issue.record("seed \(seed): engine says \(decision.allowed) at \(request.at), reference disagrees; \(decision.reasons)")
                return
            }
            if decision.allowed {
                allowed += 1
                #expect(decision.nextAllowedAt == request.at)
            } else if let next = decision.nextAllowedAt {
                guard reference.allows(request, facts, at: next.seconds) else {
                    Issue.record("seed \(seed): next allowed \(next) is not allowed; \(decision.reasons)")
                    return
                }
                guard !reference.allows(request, facts, at: next.seconds - 1) else {
                    Issue.record("seed \(seed): a second before the next allowed time \(next) is already allowed")
                    return
                }
            } else {
                never += 1
            }
            checked += 1
        }
        #expect(checked == 4000)
        // The random cases exercise both answers, and "never".
        #expect(allowed > 100)
        #expect(never > 100)
    }

    @Test("a decision never changes when the question is asked again at its next allowed time, except to allow")
    func nextAllowedIsStable() {
        let engine = ComplianceEngine(policy: .defaults)
        for seed in UInt64(1)...1000 {
            var rng = SeededGenerator(state: seed)
            var (request, facts) = Self.randomCase(&rng)
            let decision = engine.decide(request, facts: facts)
            guard let next = decision.nextAllowedAt else { continue }
            request.at = next
            let again = engine.decide(request, facts: facts)
            #expect(again.allowed, "seed \(seed)")
            #expect(again.nextAllowedAt == next, "seed \(seed)")
        }
    }
}
