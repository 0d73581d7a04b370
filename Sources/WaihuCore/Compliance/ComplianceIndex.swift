/// Everything the compliance rules read, in memory: the do-not-call list, the consent ledger and each
/// callee's recent attempts. Built from the store at start and updated on every write, so that a decision is
/// a few table reads rather than queries.
public struct ComplianceIndex: Sendable {
    struct ListTimes: Sendable, Hashable {
        var refusal: Int64?
        var complaint: Int64?
        var invalid: Int64?
    }

    /// What the index keeps per callee: recent attempts and consents, found with one lookup.
    struct CalleeRecord: Sendable {
        var attempts = AttemptHistory()
        var consents: [ConsentFact] = []
    }

    public private(set) var doNotCall = DoNotCallSet()
    private var listTimes = NumberTable<ListTimes>()
    private var callees = NumberTable<CalleeRecord>()

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
        if let record = callees[key] {
            facts.consents = record.consents
            facts.attempts = record.attempts
        }
        return facts
    }

    /// The facts of many callees, in order. Their memory reads are started a group at a time, so that the
    /// cache misses of a group overlap instead of queueing one after the other: on tables of millions of
    /// entries a lookup is mostly waiting for memory.
    public func facts(for numbers: [PhoneNumber], _ body: (Int, CalleeFacts) -> Void) {
        let group = 8
        var start = 0
        var buckets: [(suffix: UInt16, low: Int, high: Int)?] = []
        var homes: [(slot: Int, found: UInt64)] = []
        buckets.reserveCapacity(group)
        homes.reserveCapacity(group)
        while start < numbers.count {
            let end = min(start + group, numbers.count)
            // Read every number's bucket bounds and home slot first: independent loads, in flight together.
            buckets.removeAll(keepingCapacity: true)
            homes.removeAll(keepingCapacity: true)
            for index in start..<end {
                let key = numbers[index].e164Digits
                buckets.append(doNotCall.bucket(of: key))
                homes.append(callees.home(of: key))
            }
            for index in start..<end {
                let key = numbers[index].e164Digits
                var facts = CalleeFacts()
                if let bucket = buckets[index - start] {
                    facts.listReasons = doNotCall.mobileReasons(suffix: bucket.suffix, low: bucket.low, high: bucket.high)
                } else {
                    facts.listReasons = doNotCall.reasons(key)
                }
                if facts.listReasons & Self.timedReasons != 0, let times = listTimes[key] {
                    facts.refusedAt = times.refusal
                    facts.complainedAt = times.complaint
                    facts.invalidAt = times.invalid
                }
                let home = homes[index - start]
                if home.found != 0, let record = callees.lookup(key, from: home.slot) {
                    facts.consents = record.consents
                    facts.attempts = record.attempts
                }
                body(index, facts)
            }
            start = end
        }
    }

    private static let timedReasons = DoNotCallReason.refusal.bit | DoNotCallReason.complaint.bit | DoNotCallReason.invalid.bit

    // MARK: - Writes, mirrored from the store

    /// Adds or replaces a consent.
    public mutating func add(_ consent: ConsentFact, for number: PhoneNumber) {
        callees.update(number.e164Digits) { record in
            if record == nil { record = CalleeRecord() }
            record!.consents.removeAll { $0.id == consent.id }
            record!.consents.append(consent)
        }
    }

    /// Lists a number (one reason) at `time` (seconds).
    public mutating func list(_ number: PhoneNumber, reason: DoNotCallReason, at time: Int64) {
        let key = number.e164Digits
        doNotCall.set(key, reasons: doNotCall.reasons(key) | reason.bit)
        guard reason != .imported else { return }
        listTimes.update(key) { times in
            if times == nil { times = ListTimes() }
            switch reason {
            case .refusal: times!.refusal = max(times!.refusal ?? time, time)
            case .complaint: times!.complaint = max(times!.complaint ?? time, time)
            case .invalid: times!.invalid = max(times!.invalid ?? time, time)
            case .imported: break
            }
        }
    }

    /// Removes a number's listing for `reason`, or for every reason.
    public mutating func unlist(_ number: PhoneNumber, reason: DoNotCallReason?) {
        let key = number.e164Digits
        let remaining = reason.map { doNotCall.reasons(key) & ~$0.bit } ?? 0
        doNotCall.set(key, reasons: remaining)
        // Times of reasons no longer listed are never read: `facts` reads them only for listed reasons.
    }

    /// Lists many numbers for one reason at once, rebuilding the compact list (bulk import).
    public mutating func importList(_ numbers: [UInt64], reason: DoNotCallReason, at time: Int64) {
        doNotCall = doNotCall.rebuilt(adding: numbers.map { ($0, reason.bit) })
        guard reason != .imported else { return }
        for number in numbers { setListTime(number, reason: reason, at: time) }
    }

    /// Replaces the compact list (used when loading from the store).
    public mutating func replaceDoNotCall(_ set: DoNotCallSet) {
        doNotCall = set
    }

    /// Sets the listing times of a number without touching its reasons (used when loading).
    public mutating func setListTime(_ number: UInt64, reason: DoNotCallReason, at time: Int64) {
        guard reason != .imported else { return }
        listTimes.update(number) { times in
            if times == nil { times = ListTimes() }
            switch reason {
            case .refusal: times!.refusal = time
            case .complaint: times!.complaint = time
            case .invalid: times!.invalid = time
            case .imported: break
            }
        }
    }

    /// Records an attempt to `callee` (seconds, purpose). Returns false if it changes nothing.
    public mutating func record(attemptTo callee: PhoneNumber, at time: Int64, purpose: CallPurpose) {
        record(attemptTo: callee.e164Digits, at: time, purpose: purpose)
    }

    /// Records an attempt by raw E.164 digits (used when loading).
    public mutating func record(attemptTo callee: UInt64, at time: Int64, purpose: CallPurpose) {
        callees.update(callee) { record in
            if record == nil { record = CalleeRecord() }
            record!.attempts.insert(time: time, purpose: purpose)
        }
    }

    /// Consents by raw E.164 digits (used when loading).
    public mutating func add(_ consent: ConsentFact, forDigits digits: UInt64) {
        callees.update(digits) { record in
            if record == nil { record = CalleeRecord() }
            record!.consents.append(consent)
        }
    }

    /// Counts, for reports and benchmarks.
    public var sizes: (doNotCall: Int, callees: Int) {
        (doNotCall.count + doNotCall.overlayCount, callees.count)
    }
}
