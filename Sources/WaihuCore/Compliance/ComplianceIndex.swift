/// Everything the compliance rules read, in memory: the do-not-call list, the consent ledger and each
/// callee's recent attempts. Built from the store at start and updated on every write, so that a decision is
/// a few table reads rather than queries.
public struct ComplianceIndex: Sendable {
    struct ListTimes: Sendable, Hashable {
        var refusal: Int64?
        var complaint: Int64?
        var invalid: Int64?
    }

    public private(set) var doNotCall = DoNotCallSet()
    private var listTimes: [UInt64: ListTimes] = [:]
    private var consents: [UInt64: [ConsentFact]] = [:]
    private var attempts: [UInt64: AttemptHistory] = [:]

    public init() {}

    /// The facts of one callee.
    @inline(__always)
    public func facts(for number: PhoneNumber) -> CalleeFacts {
        let key = number.e164Digits
        var facts = CalleeFacts()
        facts.listReasons = doNotCall.reasons(key)
        if facts.listReasons & Self.timedReasons != 0, let times = listTimes[key] {
            facts.refusedAt = times.refusal
            facts.complainedAt = times.complaint
            facts.invalidAt = times.invalid
        }
        if let consents = consents[key] { facts.consents = consents }
        if let history = attempts[key] { facts.attempts = history }
        return facts
    }

    private static let timedReasons = DoNotCallReason.refusal.bit | DoNotCallReason.complaint.bit | DoNotCallReason.invalid.bit

    // MARK: - Writes, mirrored from the store

    /// Adds or replaces a consent.
    public mutating func add(_ consent: ConsentFact, for number: PhoneNumber) {
        var list = consents[number.e164Digits] ?? []
        list.removeAll { $0.id == consent.id }
        list.append(consent)
        consents[number.e164Digits] = list
    }

    /// Lists a number (one reason) at `time` (seconds).
    public mutating func list(_ number: PhoneNumber, reason: DoNotCallReason, at time: Int64) {
        let key = number.e164Digits
        doNotCall.set(key, reasons: doNotCall.reasons(key) | reason.bit)
        guard reason != .imported else { return }
        var times = listTimes[key] ?? ListTimes()
        switch reason {
        case .refusal: times.refusal = max(times.refusal ?? time, time)
        case .complaint: times.complaint = max(times.complaint ?? time, time)
        case .invalid: times.invalid = max(times.invalid ?? time, time)
        case .imported: break
        }
        listTimes[key] = times
    }

    /// Removes a number's listing for `reason`, or for every reason.
    public mutating func unlist(_ number: PhoneNumber, reason: DoNotCallReason?) {
        let key = number.e164Digits
        let remaining = reason.map { doNotCall.reasons(key) & ~$0.bit } ?? 0
        doNotCall.set(key, reasons: remaining)
        if remaining & Self.timedReasons == 0 {
            listTimes[key] = nil
        } else if var times = listTimes[key], let reason {
            switch reason {
            case .refusal: times.refusal = nil
            case .complaint: times.complaint = nil
            case .invalid: times.invalid = nil
            case .imported: break
            }
            listTimes[key] = times
        }
    }

    /// Lists many numbers for one reason at once, rebuilding the compact list (bulk import).
    public mutating func importList(_ numbers: [UInt64], reason: DoNotCallReason, at time: Int64) {
        doNotCall = doNotCall.rebuilt(adding: numbers.map { ($0, reason.bit) })
        guard reason != .imported else { return }
        for number in numbers {
            var times = listTimes[number] ?? ListTimes()
            switch reason {
            case .refusal: times.refusal = time
            case .complaint: times.complaint = time
            case .invalid: times.invalid = time
            case .imported: break
            }
            listTimes[number] = times
        }
    }

    /// Replaces the compact list (used when loading from the store).
    public mutating func replaceDoNotCall(_ set: DoNotCallSet) {
        doNotCall = set
    }

    /// Sets the listing times of a number without touching its reasons (used when loading).
    public mutating func setListTime(_ number: UInt64, reason: DoNotCallReason, at time: Int64) {
        var times = listTimes[number] ?? ListTimes()
        switch reason {
        case .refusal: times.refusal = time
        case .complaint: times.complaint = time
        case .invalid: times.invalid = time
        case .imported: return
        }
        listTimes[number] = times
    }

    /// Records an attempt to `callee` (seconds, purpose). Returns false if it changes nothing.
    @discardableResult
    public mutating func record(attemptTo callee: PhoneNumber, at time: Int64, purpose: CallPurpose) -> Bool {
        attempts[callee.e164Digits, default: AttemptHistory()].insert(time: time, purpose: purpose)
    }

    /// Records an attempt by raw E.164 digits (used when loading).
    public mutating func record(attemptTo callee: UInt64, at time: Int64, purpose: CallPurpose) {
        attempts[callee, default: AttemptHistory()].insert(time: time, purpose: purpose)
    }

    /// Consents by raw E.164 digits (used when loading).
    public mutating func add(_ consent: ConsentFact, forDigits digits: UInt64) {
        consents[digits, default: []].append(consent)
    }

    /// Counts, for reports and benchmarks.
    public var sizes: (doNotCall: Int, consentHolders: Int, callees: Int) {
        (doNotCall.count + doNotCall.overlayCount, consents.count, attempts.count)
    }
}
