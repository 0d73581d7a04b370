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
    /// The zone the callee is in (the first, when the number may be in several).
    public var zone: CalleeZone
    /// Further zones the callee may be in (a +1 number without area data); every zone must allow the call.
    public var otherZones: [CalleeZone]
    public var purpose: CallPurpose
    public var at: Timestamp
    /// Elderly callee: narrower hours (RULES C5).
    public var elderly: Bool

    /// - Parameter zones: at least one; Chinese callees are in `[.china]`.
    public init(callee: PhoneNumber, zones: [CalleeZone], purpose: CallPurpose, at: Timestamp, elderly: Bool = false) {
        self.callee = callee
        self.zone = zones.first ?? .china
        self.otherZones = Array(zones.dropFirst())
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
    // The settings the rules read on every decision, held directly: reading them through `policy` would copy
    // the nested structs (and retain their arrays) on each access.
    private let rules: CompliancePolicy
    private let calendar: HolidayCalendar
    /// Gap per purpose, indexed by `CallPurpose.index` (0: none).
    private let purposeGaps: [Int64]

    /// Search no further than this for an allowed time.
    static let horizon: Int64 = 400 * 86_400

    public init(policy: Policy) {
        self.policy = policy
        rules = policy.compliance
        calendar = policy.calendar
        purposeGaps = CallPurpose.allCases.map { policy.compliance.frequency.purposeGaps[$0] ?? 0 }
    }

    /// Decides on a call. `advice` adds golden-hour advice (a second search; leave it out in bulk).
    public func decide(_ request: ComplianceRequest, facts: CalleeFacts, advice: Bool = false) -> ComplianceDecision {
        let t = request.at.seconds
        var sink: [ComplianceViolation]? = []
        var never = false
        if request.callee.kind == .enterpriseSMS {
            sink?.append(.notCallable(request.callee.kind))  // RULES C9: SMS ports take no calls
            never = true
        }
        _ = listsAllow(request, facts, at: t, violations: &sink)
        let consent = consentAllows(request, facts, at: t, violations: &sink)
        _ = hoursAllow(request, zone: request.zone, at: t, violations: &sink)
        for zone in request.otherZones { _ = hoursAllow(request, zone: zone, at: t, violations: &sink) }
        _ = frequencyAllows(request, facts, at: t, violations: &sink)
        let violations = sink ?? []

        let next: Int64?
        if violations.isEmpty {
            next = t
        } else if never {
            next = nil
        } else {
            next = earliestAllowed(request, facts, from: t, golden: false)
        }
        var warnings: [String] = []
        if request.zone.observesChineseHolidays || request.otherZones.contains(where: \.observesChineseHolidays) {
            let day = CalleeZone.china.localDay(at: request.at)
            if !calendar.covers(day: day) {
                warnings.append("no holiday calendar for \(CivilDate(dayNumber: day).year); add its statutory holidays to the policy file (hours.extraHolidays)")
            }
        }
        return ComplianceDecision(
            callee: request.callee, purpose: request.purpose, at: request.at, violations: violations,
            nextAllowedAt: next.map(Timestamp.init(seconds:)), consentId: consent.consentId,
            policyVersion: policy.version, policyDigest: policy.digest,
            advice: advice ? goldenAdvice(request, facts, next: next) : nil, warnings: warnings)
    }

    /// The earliest moment ≥ `t` that every rule (and, with `golden`, golden hours) allows.
    func earliestAllowed(_ request: ComplianceRequest, _ facts: CalleeFacts, from start: Int64, golden: Bool) -> Int64? {
        var t = start
        var none: [ComplianceViolation]?
        for _ in 0..<200 {
            guard t - start <= ComplianceEngine.horizon else { return nil }
            guard let lists = listsAllow(request, facts, at: t, violations: &none),
                  let consent = consentAllows(request, facts, at: t, violations: &none).earliest else { return nil }
            var next = max(t, lists, consent)
            guard let hours = hoursAllow(request, zone: request.zone, at: t, violations: &none) else { return nil }
            next = max(next, hours)
            for zone in request.otherZones {
                guard let hours = hoursAllow(request, zone: zone, at: t, violations: &none) else { return nil }
                next = max(next, hours)
            }
            next = max(next, frequencyAllows(request, facts, at: t, violations: &none))
            if golden {
                guard let goldenStart = nextGolden(zone: request.zone, from: t) else { return nil }
                next = max(next, goldenStart)
            }
            if next == t { return t }
            t = next
        }
        return nil
    }

    // Each rule answers the earliest moment at or after `t` it allows (nil: never) and, when given a sink,
    // adds the violations it finds at `t`.

    // MARK: - RULES C7, C8, C9: do-not-call lists

    func listsAllow(_ request: ComplianceRequest, _ facts: CalleeFacts, at t: Int64, violations: inout [ComplianceViolation]?) -> Int64? {
        guard facts.listReasons != 0 else { return t }
        var earliest: Int64? = t
        var blocked = false
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
                    var lifted = false
                    for consent in facts.consents where consent.scope == request.purpose.consentScope && consent.grantedAt > refusedAt
                        && consent.revokedAt > consent.grantedAt && consent.expiresAt > consent.grantedAt
                        && (consent.separate || !rules.consent.requireSeparate) {
                        if consent.isValid(at: t) {
                            lifted = true
                        } else if consent.grantedAt > t {
                            until = min(until ?? .max, consent.grantedAt)
                        }
                    }
                    if lifted { continue }
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
            blocked = true
            violations?.append(.listed(reason, since: since.map(Timestamp.init(seconds:)), until: until.map(Timestamp.init(seconds:))))
            earliest = earliest.flatMap { current in until.map { max(current, $0) } }
        }
        return blocked ? earliest : t
    }

    // MARK: - RULES C1: consent

    func consentAllows(_ request: ComplianceRequest, _ facts: CalleeFacts, at t: Int64, violations: inout [ComplianceViolation]?)
        -> (earliest: Int64?, consentId: Int64?)
    {
        guard rules.consent.requiredFor.contains(request.purpose) else { return (t, nil) }
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
        if let valid { return (t, valid.id) }
        guard violations != nil else { return (future, nil) }
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
        violations?.append(violation)
        return (future, nil)
    }

    // MARK: - RULES C4, C5: calling hours and holidays in the callee's time

    func hoursAllow(_ request: ComplianceRequest, zone: CalleeZone, at t: Int64, violations sink: inout [ComplianceViolation]?) -> Int64? {
        guard !rules.hours.exemptPurposes.contains(request.purpose) else { return t }  // RULES C4: urgent
        let start = request.elderly ? max(rules.hours.start, rules.hours.elderlyStart) : rules.hours.start  // RULES C5
        let end = request.elderly ? min(rules.hours.end, rules.hours.elderlyEnd) : rules.hours.end
        let outside = ComplianceViolation.outsideCallingHours(start: rules.hours.start, end: rules.hours.end, zone: zone.identifier)
        let elderly = ComplianceViolation.elderlyHours(start: start, end: end, zone: zone.identifier)
        guard start < end else {
            sink?.append(outside)
            return nil
        }
        let moment = Timestamp(seconds: t)
        let today = zone.localDay(at: moment)
        let secondOfDay = zone.secondOfDay(at: moment)
        var day = today
        var found: [ComplianceViolation] = []
        defer {
            for violation in found where sink?.contains(violation) == false { sink?.append(violation) }
        }
        while day - today <= 400 {
            if zone.observesChineseHolidays && calendar.isHoliday(day) {
                if day == today && sink != nil, case let .holiday(name) = calendar.kind(ofDay: day) { found = [.holiday(name)] }
                day += 1
                continue
            }
            if day == today {
                if secondOfDay >= start && secondOfDay < end { return t }
                if found.isEmpty && sink != nil {
                    if secondOfDay < rules.hours.start || secondOfDay >= rules.hours.end { found.append(outside) }
                    if request.elderly { found.append(elderly) }
                }
                if secondOfDay < start { return zone.moment(day: day, secondOfDay: start).seconds }
                day += 1
                continue
            }
            return zone.moment(day: day, secondOfDay: start).seconds
        }
        return nil
    }

    // MARK: - RULES C6: frequency across all caller numbers

    func frequencyAllows(_ request: ComplianceRequest, _ facts: CalleeFacts, at t: Int64, violations: inout [ComplianceViolation]?) -> Int64 {
        let attempts = facts.attempts
        guard attempts.count > 0, !rules.frequency.exemptPurposes.contains(request.purpose) else { return t }
        // Attempts after `t` are not history yet for a decision at `t`.
        var first = 0
        while first < Int(attempts.count) && attempts[first].time > t { first += 1 }
        let count = Int(attempts.count) - first
        guard count > 0 else { return t }
        var earliest = t

        if rules.frequency.perCalendarDay > 0 {
            let zone = request.zone
            let today = zone.localDay(at: Timestamp(seconds: t))
            var sameDay = 0
            for index in first..<Int(attempts.count) where zone.localDay(at: Timestamp(seconds: attempts[index].time)) == today {
                sameDay += 1
            }
            if sameDay >= rules.frequency.perCalendarDay {
                earliest = max(earliest, zone.moment(day: today + 1, secondOfDay: 0).seconds)
                violations?.append(.dailyLimit(limit: rules.frequency.perCalendarDay))
            }
        }
        for window in rules.frequency.windows where window.limit > 0 && count >= window.limit {
            let kth = attempts[first + window.limit - 1].time  // the limit-th most recent
            if kth > t - window.seconds {
                earliest = max(earliest, kth + window.seconds)
                violations?.append(.windowLimit(seconds: window.seconds, limit: window.limit))
            }
        }
        let last = attempts[first].time
        if rules.frequency.minimumGap > 0 && last + rules.frequency.minimumGap > t {
            earliest = max(earliest, last + rules.frequency.minimumGap)
            violations?.append(.minimumGap(seconds: rules.frequency.minimumGap, last: Timestamp(seconds: last)))
        }
        let gap = purposeGaps[Int(request.purpose.index)]
        if gap > 0 {
            for index in first..<Int(attempts.count) where attempts[index].purpose == request.purpose {
                let previous = attempts[index].time
                if previous + gap > t {
                    earliest = max(earliest, previous + gap)
                    violations?.append(.purposeGap(request.purpose, seconds: gap, last: Timestamp(seconds: previous)))
                }
                break
            }
        }
        return earliest
    }

    // MARK: - Golden hours (advice)

    func isGolden(zone: CalleeZone, at t: Int64) -> Bool {
        let moment = Timestamp(seconds: t)
        let day = zone.localDay(at: moment)
        if zone.observesChineseHolidays {
            guard calendar.kind(ofDay: day).isWorkday else { return false }
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
        let zone = request.zone
        let golden = isGolden(zone: zone, at: request.at.seconds)
        let nextGolden = next.flatMap { earliestAllowed(request, facts, from: $0, golden: true) }
        return GoldenHourAdvice(isGolden: golden, nextGoldenAt: nextGolden.map(Timestamp.init(seconds:)))
    }
}
