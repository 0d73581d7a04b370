/// A consent as the engine needs it: scope, times in seconds, and whether it was given separately.
public struct ConsentFact: Sendable, Hashable {
    public let id: Int64
    public let scope: ConsentScope
    public let separate: Bool
    public let grantedAt: Int64
    /// `Int64.max` when it does not expire.
    public let expiresAt: Int64
    /// `Int64.max` unless revoked.
    public var revokedAt: Int64

    public init(id: Int64, scope: ConsentScope, separate: Bool, grantedAt: Int64, expiresAt: Int64, revokedAt: Int64) {
        self.id = id
        self.scope = scope
        self.separate = separate
        self.grantedAt = grantedAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    public init(_ consent: Consent) {
        self.init(
            id: consent.id, scope: consent.scope, separate: consent.separate,
            grantedAt: Timestamp(consent.grantedAt).seconds,
            expiresAt: consent.expiresAt.map { Timestamp($0).seconds } ?? .max,
            revokedAt: consent.revokedAt.map { Timestamp($0).seconds } ?? .max)
    }

    @inline(__always)
    func isValid(at moment: Int64) -> Bool {
        grantedAt <= moment && moment < expiresAt && moment < revokedAt
    }
}

/// Everything about one callee that the rules look at, from the in-memory index or from the store.
public struct CalleeFacts: Sendable, Hashable {
    /// `DoNotCallReason` bits.
    public var listReasons: UInt8 = 0
    /// When the refusal, complaint and invalid listings were made (seconds), where known.
    public var refusedAt: Int64?
    public var complainedAt: Int64?
    public var invalidAt: Int64?
    public var consents: [ConsentFact] = []
    public var attempts = AttemptHistory()

    public init() {}
}

/// A call to decide on.
public struct ComplianceRequest: Sendable, Hashable {
    public var callee: PhoneNumber
    /// The zones the callee may be in; every one must allow the call.
    public var zones: [CalleeZone]
    public var purpose: CallPurpose
    public var at: Timestamp
    /// Elderly callee: narrower hours (RULES C5).
    public var elderly: Bool

    public init(callee: PhoneNumber, zones: [CalleeZone], purpose: CallPurpose, at: Timestamp, elderly: Bool = false) {
        self.callee = callee
        self.zones = zones
        self.purpose = purpose
        self.at = at
        self.elderly = elderly
    }
}

/// The compliance rules as pure functions of a request, the callee's facts and the policy.
///
/// Each rule answers one question: the earliest moment at or after `t` it allows the call (nil: never),
/// with the violation when that is not `t`. A decision collects the violations at the requested time; the
/// next allowed time is the fixpoint of all rules' answers — a time every rule allows at once.
public struct ComplianceEngine: Sendable {
    public let policy: Policy
    private var rules: CompliancePolicy { policy.compliance }

    /// Search no further than this for an allowed time.
    static let horizon: Int64 = 400 * 86_400

    public init(policy: Policy) {
        self.policy = policy
    }

    /// Decides on a call. `advice` adds golden-hour advice (a second search; leave it out in bulk).
    public func decide(_ request: ComplianceRequest, facts: CalleeFacts, advice: Bool = false) -> ComplianceDecision {
        let t = request.at.seconds
        var violations: [ComplianceViolation] = []
        var consentId: Int64?
        var never = false
        if request.callee.kind == .enterpriseSMS {
            violations.append(.notCallable(request.callee.kind))  // RULES C9: SMS ports take no calls
            never = true
        }
        violations.append(contentsOf: listsAllow(request, facts, at: t).violations)
        let consent = consentAllows(request, facts, at: t)
        if let violation = consent.violation { violations.append(violation) }
        consentId = consent.consentId
        for zone in request.zones {
            for violation in hoursAllow(request, zone: zone, at: t).violations where !violations.contains(violation) {
                violations.append(violation)
            }
        }
        violations.append(contentsOf: frequencyAllows(request, facts, at: t).violations)

        let next: Int64?
        if violations.isEmpty {
            next = t
        } else if never {
            next = nil
        } else {
            next = earliestAllowed(request, facts, from: t, golden: false)
        }
        var warnings: [String] = []
        if request.zones.contains(where: \.observesChineseHolidays) && !policy.calendar.covers(day: CalleeZone.china.localDay(at: request.at)) {
            let year = CivilDate(dayNumber: CalleeZone.china.localDay(at: request.at)).year
            warnings.append("no holiday calendar for \(year); add its statutory holidays to the policy file (hours.extraHolidays)")
        }
        return ComplianceDecision(
            callee: request.callee, purpose: request.purpose, at: request.at, violations: violations,
            nextAllowedAt: next.map(Timestamp.init(seconds:)), consentId: consentId,
            policyVersion: policy.version, policyDigest: policy.digest,
            advice: advice ? goldenAdvice(request, facts, next: next) : nil, warnings: warnings)
    }

    /// The earliest moment ≥ `t` that every rule (and, with `golden`, golden hours) allows.
    func earliestAllowed(_ request: ComplianceRequest, _ facts: CalleeFacts, from start: Int64, golden: Bool) -> Int64? {
        var t = start
        for _ in 0..<200 {
            guard t - start <= ComplianceEngine.horizon else { return nil }
            var next = t
            guard let lists = listsAllow(request, facts, at: t).earliest,
                  let consent = consentAllows(request, facts, at: t).earliest else { return nil }
            next = max(next, lists, consent)
            for zone in request.zones {
                guard let hours = hoursAllow(request, zone: zone, at: t).earliest else { return nil }
                next = max(next, hours)
            }
            next = max(next, frequencyAllows(request, facts, at: t).earliest)
            if golden, let zone = request.zones.first {
                guard let goldenStart = nextGolden(zone: zone, from: t) else { return nil }
                next = max(next, goldenStart)
            }
            if next == t { return t }
            t = next
        }
        return nil
    }

    // MARK: - RULES C7, C8, C9: do-not-call lists

    func listsAllow(_ request: ComplianceRequest, _ facts: CalleeFacts, at t: Int64) -> (earliest: Int64?, violations: [ComplianceViolation]) {
        guard facts.listReasons != 0 else { return (t, []) }
        var earliest: Int64? = t
        var violations: [ComplianceViolation] = []
        for reason in DoNotCallReason.allCases where facts.listReasons & reason.bit != 0 {
            guard rules.lists.blocks(reason).contains(request.purpose) else { continue }
            let since: Int64?
            var until: Int64?  // nil: until removed
            switch reason {
            case .refusal:
                since = facts.refusedAt
                until = rules.lists.refusalLockDays.map { (facts.refusedAt ?? 0) + Int64($0) * 86_400 }
                // RULES C7: a later explicit consent is the only way back.
                if let refusedAt = facts.refusedAt {
                    let later = facts.consents.filter {
                        $0.scope == request.purpose.consentScope && $0.grantedAt > refusedAt && $0.revokedAt > $0.grantedAt
                            && $0.expiresAt > $0.grantedAt && ($0.separate || !rules.consent.requireSeparate)
                    }
                    if later.contains(where: { $0.isValid(at: t) }) { continue }
                    if let grant = later.filter({ $0.grantedAt > t }).map(\.grantedAt).min() {
                        until = min(until ?? .max, grant)
                    }
                }
            case .complaint:
                since = facts.complainedAt
            case .invalid:
                since = facts.invalidAt
                until = rules.lists.invalidLockDays.map { (facts.invalidAt ?? 0) + Int64($0) * 86_400 }
            case .imported:
                since = nil
            }
            if let until, until <= t { continue }
            violations.append(.listed(reason, since: since.map(Timestamp.init(seconds:)), until: until.map(Timestamp.init(seconds:))))
            earliest = earliest.flatMap { current in until.map { max(current, $0) } }
        }
        return (violations.isEmpty ? t : earliest, violations)
    }

    // MARK: - RULES C1: consent

    func consentAllows(_ request: ComplianceRequest, _ facts: CalleeFacts, at t: Int64)
        -> (earliest: Int64?, violation: ComplianceViolation?, consentId: Int64?)
    {
        guard rules.consent.requiredFor.contains(request.purpose) else { return (t, nil, nil) }
        let scope = request.purpose.consentScope
        var valid: ConsentFact?
        var future: Int64?
        var sawScope = false, sawSeparate = false
        var lastEnded: (Int64, Bool)?  // when the latest ended consent ended, and whether by revocation
        for consent in facts.consents where consent.scope == scope {
            sawScope = true
            guard consent.separate || !rules.consent.requireSeparate else { continue }
            sawSeparate = true
            if consent.isValid(at: t) {
                if valid.map({ consent.grantedAt > $0.grantedAt }) ?? true { valid = consent }
            } else if consent.grantedAt > t {
                if consent.revokedAt > consent.grantedAt && consent.expiresAt > consent.grantedAt {
                    future = min(future ?? .max, consent.grantedAt)
                }
            } else {
                let ended = min(consent.expiresAt, consent.revokedAt)
                if lastEnded.map({ ended > $0.0 }) ?? true { lastEnded = (ended, consent.revokedAt <= consent.expiresAt) }
            }
        }
        if let valid { return (t, nil, valid.id) }
        let violation: ComplianceViolation
        if !sawScope {
            violation = .consentMissing(scope)
        } else if !sawSeparate {
            violation = .consentNotSeparate(scope)
        } else if let (ended, revoked) = lastEnded {
            violation = revoked ? .consentRevoked(scope, Timestamp(seconds: ended)) : .consentExpired(scope, Timestamp(seconds: ended))
        } else {
            violation = .consentMissing(scope)
        }
        return (future, violation, nil)
    }

    // MARK: - RULES C4, C5: calling hours and holidays in the callee's time

    func hoursAllow(_ request: ComplianceRequest, zone: CalleeZone, at t: Int64) -> (earliest: Int64?, violations: [ComplianceViolation]) {
        let hours = rules.hours
        guard !hours.exemptPurposes.contains(request.purpose) else { return (t, []) }  // RULES C4: urgent
        let start = request.elderly ? max(hours.start, hours.elderlyStart) : hours.start  // RULES C5
        let end = request.elderly ? min(hours.end, hours.elderlyEnd) : hours.end
        let outside = ComplianceViolation.outsideCallingHours(start: hours.start, end: hours.end, zone: zone.identifier)
        let elderly = ComplianceViolation.elderlyHours(start: start, end: end, zone: zone.identifier)
        guard start < end else { return (nil, [outside]) }
        let moment = Timestamp(seconds: t)
        let today = zone.localDay(at: moment)
        let secondOfDay = zone.secondOfDay(at: moment)
        var violations: [ComplianceViolation] = []
        var day = today
        while day - today <= 400 {
            if zone.observesChineseHolidays, case let .holiday(name) = policy.calendar.kind(ofDay: day) {
                if day == today { violations = [.holiday(name)] }
                day += 1
                continue
            }
            if day == today {
                if secondOfDay >= start && secondOfDay < end { return (t, []) }
                if violations.isEmpty {
                    let insideNormal = secondOfDay >= hours.start && secondOfDay < hours.end
                    if !insideNormal { violations.append(outside) }
                    if request.elderly { violations.append(elderly) }
                }
                if secondOfDay < start { return (zone.moment(day: day, secondOfDay: start).seconds, violations) }
                day += 1
                continue
            }
            return (zone.moment(day: day, secondOfDay: start).seconds, violations)
        }
        return (nil, violations)
    }

    // MARK: - RULES C6: frequency across all caller numbers

    func frequencyAllows(_ request: ComplianceRequest, _ facts: CalleeFacts, at t: Int64) -> (earliest: Int64, violations: [ComplianceViolation]) {
        let frequency = rules.frequency
        let attempts = facts.attempts
        guard attempts.count > 0, !frequency.exemptPurposes.contains(request.purpose) else { return (t, []) }
        // Attempts after `t` are not history yet for a decision at `t`.
        var first = 0
        while first < Int(attempts.count) && attempts[first].time > t { first += 1 }
        let count = Int(attempts.count) - first
        guard count > 0 else { return (t, []) }
        var earliest = t
        var violations: [ComplianceViolation] = []

        if frequency.perCalendarDay > 0, let zone = request.zones.first {
            let today = zone.localDay(at: Timestamp(seconds: t))
            var sameDay = 0
            for index in first..<Int(attempts.count) where zone.localDay(at: Timestamp(seconds: attempts[index].time)) == today {
                sameDay += 1
            }
            if sameDay >= frequency.perCalendarDay {
                earliest = max(earliest, zone.moment(day: today + 1, secondOfDay: 0).seconds)
                violations.append(.dailyLimit(limit: frequency.perCalendarDay))
            }
        }
        for window in frequency.windows where window.limit > 0 && count >= window.limit {
            let kth = attempts[first + window.limit - 1].time  // the limit-th most recent
            if kth > t - window.seconds {
                earliest = max(earliest, kth + window.seconds)
                violations.append(.windowLimit(seconds: window.seconds, limit: window.limit))
            }
        }
        let last = attempts[first].time
        if frequency.minimumGap > 0 && last + frequency.minimumGap > t {
            earliest = max(earliest, last + frequency.minimumGap)
            violations.append(.minimumGap(seconds: frequency.minimumGap, last: Timestamp(seconds: last)))
        }
        if let gap = frequency.purposeGaps[request.purpose], gap > 0 {
            for index in first..<Int(attempts.count) where attempts[index].purpose == request.purpose {
                let previous = attempts[index].time
                if previous + gap > t {
                    earliest = max(earliest, previous + gap)
                    violations.append(.purposeGap(request.purpose, seconds: gap, last: Timestamp(seconds: previous)))
                }
                break
            }
        }
        return (earliest, violations)
    }

    // MARK: - Golden hours (advice)

    func isGolden(zone: CalleeZone, at t: Int64) -> Bool {
        let moment = Timestamp(seconds: t)
        let day = zone.localDay(at: moment)
        if zone.observesChineseHolidays {
            guard policy.calendar.kind(ofDay: day).isWorkday else { return false }
        } else {
            let weekday = floorModulo(day + 4, 7)
            guard weekday != 0 && weekday != 6 else { return false }
        }
        let second = zone.secondOfDay(at: moment)
        return rules.hours.goldenHours.contains { $0.contains(second) }
    }

    /// The first golden moment at or after `t`, within 30 days.
    func nextGolden(zone: CalleeZone, from t: Int64) -> Int64? {
        if isGolden(zone: zone, at: t) { return t }
        let today = zone.localDay(at: Timestamp(seconds: t))
        for day in today...(today + 30) {
            for range in rules.hours.goldenHours.sorted(by: { $0.lowerBound < $1.lowerBound }) {
                let candidate = zone.moment(day: day, secondOfDay: range.lowerBound).seconds
                if candidate > t && isGolden(zone: zone, at: candidate) { return candidate }
            }
        }
        return nil
    }

    func goldenAdvice(_ request: ComplianceRequest, _ facts: CalleeFacts, next: Int64?) -> GoldenHourAdvice {
        guard let zone = request.zones.first else { return GoldenHourAdvice(isGolden: false, nextGoldenAt: nil) }
        let golden = isGolden(zone: zone, at: request.at.seconds)
        let nextGolden = next.flatMap { earliestAllowed(request, facts, from: $0, golden: true) }
        return GoldenHourAdvice(isGolden: golden, nextGoldenAt: nextGolden.map(Timestamp.init(seconds:)))
    }
}
