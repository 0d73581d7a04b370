import CMemoryHints

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

    /// The facts of many callees, in order. On tables of millions of entries a lookup is mostly waiting for
    /// memory, and a lookup's reads depend on each other (bucket bounds, then the bucket's entries; the
    /// callee's slot, then its consents). So a group of callees goes through in steps, each step starting
    /// the next reads of the whole group before any is used: the cache misses of a group overlap instead of
    /// queueing one after the other.
    public func facts(for numbers: [PhoneNumber], _ body: (Int, CalleeFacts) -> Void) {
        let group = 16
        var buckets: [(bucket: Int, suffix: UInt16)?] = []
        var ranges: [(low: Int, high: Int)] = []
        var homes: [Int] = []
        buckets.reserveCapacity(group)
        ranges.reserveCapacity(group)
        homes.reserveCapacity(group)
        var start = 0
        while start < numbers.count {
            let end = min(start + group, numbers.count)
            buckets.removeAll(keepingCapacity: true)
            ranges.removeAll(keepingCapacity: true)
            homes.removeAll(keepingCapacity: true)
            // Step 1: bucket bounds and home slots.
            for index in start..<end {
                let key = numbers[index].e164Digits
                buckets.append(doNotCall.prefetchBucket(of: key))
                homes.append(callees.prefetchHome(of: key))
            }
            // Step 2: the buckets' entries and the callees' consents (their headers too: copying the array
            // into the facts writes its reference count).
            for index in start..<end {
                let position = index - start
                ranges.append(buckets[position].map { doNotCall.prefetchEntries(ofBucket: $0.bucket) } ?? (0, 0))
                callees.withValue(at: homes[position], key: numbers[index].e164Digits) { record in
                    record.consents.withUnsafeBufferPointer { consents in
                        guard let first = consents.baseAddress, !consents.isEmpty else { return }
                        waihu_prefetch_for_write(UnsafeRawPointer(first) - 32)  // the array header: isa, refcount, count, capacity
                        waihu_prefetch(first)
                    }
                }
            }
            // Step 3: the facts, from lines already in cache.
            for index in start..<end {
                let position = index - start
                let key = numbers[index].e164Digits
                var facts = CalleeFacts()
                if let bucket = buckets[position] {
                    let range = ranges[position]
                    facts.listReasons = doNotCall.mobileReasons(suffix: bucket.suffix, low: range.low, high: range.high)
                } else {
                    facts.listReasons = doNotCall.reasons(key)
                }
                if facts.listReasons & Self.timedReasons != 0, let times = listTimes[key] {
                    facts.refusedAt = times.refusal
                    facts.complainedAt = times.complaint
                    facts.invalidAt = times.invalid
                }
                if homes[position] >= 0, let record = callees.lookup(key, from: homes[position]) {
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
