import Foundation
import WaihuCore
import WaihuStore

/// Resident memory of this process, in bytes (Linux /proc).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// A seeded generator, so that every run builds the same data.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The compliance gate at production scale: 10M do-not-call numbers, 1M consents, 5M attempts over 30 days.
/// Decisions from the in-memory index against the same decisions through per-callee SQLite queries, bytes per
/// do-not-call number, and the wall time of a 1M-row scrub.
struct ComplianceBenchmark {
    let scale: Double
    let folder: String

    var doNotCallCount: Int { Int(10_000_000 * scale) }
    var consentCount: Int { Int(1_000_000 * scale) }
    var attemptCount: Int { Int(5_000_000 * scale) }
    var scrubRows: Int { Int(1_000_000 * scale) }

    static let mobileBase: UInt64 = 86 * 100_000_000_000
    /// Thursday 2026-11-19, 10:30 in Beijing.
    let now = Timestamp(iso8601: "2026-11-19T10:30:00+08:00")!

    /// Mobile 号段 in use, so that generated numbers are valid.
    static let segments: [UInt64] = [130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157, 158, 159,
                                     166, 173, 175, 176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 198, 199]

    func randomMobile(_ rng: inout SplitMix) -> UInt64 {
        Self.mobileBase + Self.segments.randomElement(using: &rng)! * 100_000_000 + UInt64.random(in: 0...99_999_999, using: &rng)
    }

    func number(_ digits: UInt64) -> PhoneNumber {
        PhoneNumber(restoring: "+" + String(digits), kind: digits / 100_000_000_000 == 86 ? .mobile : .fixedLine)!
    }

    func run() async throws {
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let store = try SQLiteStore(path: folder + "/bench.sqlite")
        var rng = SplitMix(state: 2026)
        print("compliance: \(doNotCallCount) do-not-call numbers, \(consentCount) consents, \(attemptCount) attempts over 30 days")

        // Do-not-call numbers: mostly mobiles from imported lists, some refusals, complaints and invalid numbers.
        var clock = ContinuousClock.now
        var listed: [UInt64] = []
        listed.reserveCapacity(doNotCallCount)
        var entries: [(number: UInt64, reasons: UInt8)] = []
        entries.reserveCapacity(doNotCallCount)
        let batch = 200_000
        var pending: [DoNotCallEntry] = []
        pending.reserveCapacity(batch)
        for index in 0..<doNotCallCount {
            let digits = index % 20 == 19
                ? 86 * 10_000_000_000 + UInt64.random(in: 1_020_000_000...1_099_999_999, using: &rng)  // Beijing fixed lines
                : randomMobile(&rng)
            let roll = Int.random(in: 0..<1000, using: &rng)
            let reason: DoNotCallReason = roll < 5 ? .refusal : roll < 8 ? .complaint : roll < 10 ? .invalid : .imported
            listed.append(digits)
            entries.append((digits, reason.bit))
            pending.append(DoNotCallEntry(phone: number(digits), reason: reason, addedAt: now.date.addingTimeInterval(-Double.random(in: 0...3e7, using: &rng)), source: "bench"))
            if pending.count == batch {
                _ = try await store.addToDoNotCall(pending)
                pending.removeAll(keepingCapacity: true)
            }
        }
        _ = try await store.addToDoNotCall(pending)
        print("  stored do-not-call list in SQLite: \(String(format: "%.1f", seconds(ContinuousClock.now - clock))) s")

        // Memory of the compact list alone.
        let before = residentBytes()
        let set = DoNotCallSet(entries: entries)
        let after = residentBytes()
        entries = []
        let perNumber = Double(set.compactBytes) / Double(set.count)
        let rssPerNumber = Double(after - before) / Double(set.count)
        print("  memory per do-not-call number: \(String(format: "%.2f", perNumber)) bytes (structure), \(String(format: "%.2f", rssPerNumber)) bytes (resident growth) — target ≤ 10")

        // Consents.
        clock = .now
        var holders: [UInt64] = []
        holders.reserveCapacity(consentCount)
        var drafts: [ConsentDraft] = []
        for index in 0..<consentCount {
            let digits = index % 4 == 0 ? listed[Int.random(in: 0..<listed.count, using: &rng)] : randomMobile(&rng)
            holders.append(digits)
            let granted = now.date.addingTimeInterval(-Double.random(in: 0...6e7, using: &rng))
            let expires = Int.random(in: 0..<5, using: &rng) == 0 ? granted.addingTimeInterval(Double.random(in: 1e6...6e7, using: &rng)) : nil
            drafts.append(try ConsentDraft(
                phone: number(digits), scope: Int.random(in: 0..<10, using: &rng) < 7 ? .marketing : .service,
                channel: .webCheckbox, evidence: "勾选同意 #\(index)", grantedAt: granted, expiresAt: expires, now: now.date))
            if drafts.count == 50_000 {
                _ = try await store.addConsents(drafts, recordedAt: now.date, source: "bench")
                drafts.removeAll(keepingCapacity: true)
            }
        }
        _ = try await store.addConsents(drafts, recordedAt: now.date, source: "bench")
        print("  stored consents: \(String(format: "%.1f", seconds(ContinuousClock.now - clock))) s")

        // Attempts over the last 30 days from 100 caller numbers, to 60% as many callees (repeat callees).
        clock = .now
        let callers = (0..<100).map { number(86 * 10_000_000_000 + 1_058_000_000 + UInt64($0)) }
        let callees = (0..<max(1, attemptCount * 6 / 10)).map { index in index % 5 == 0 ? holders[index % holders.count] : randomMobile(&rng) }
        var attempts: [CallAttempt] = []
        attempts.reserveCapacity(batch)
        for _ in 0..<attemptCount {
            attempts.append(try CallAttempt(
                callee: number(callees[Int.random(in: 0..<callees.count, using: &rng)]), caller: callers[Int.random(in: 0..<100, using: &rng)],
                purpose: Int.random(in: 0..<2, using: &rng) == 0 ? .marketing : .service,
                startedAt: now.date.addingTimeInterval(-Double(Int.random(in: 60...30 * 86_400, using: &rng))), outcome: .answered,
                durationSeconds: 30, source: "bench"))
            if attempts.count == batch {
                _ = try await store.recordAttempts(attempts, recordedAt: now.date)
                attempts.removeAll(keepingCapacity: true)
            }
        }
        _ = try await store.recordAttempts(attempts, recordedAt: now.date)
        print("  stored attempts: \(String(format: "%.1f", seconds(ContinuousClock.now - clock))) s")

        // The index, rebuilt from the store as at start.
        clock = .now
        let gate = try await ComplianceGate.load(store: store, policy: .defaults, now: now.date)
        print("  index rebuilt from SQLite: \(String(format: "%.1f", seconds(ContinuousClock.now - clock))) s")

        // Requests: a quarter each listed, consent holders, recently called, and anyone.
        let requestCount = 2_000_000
        var requests: [ComplianceRequest] = []
        requests.reserveCapacity(requestCount)
        for index in 0..<requestCount {
            let digits: UInt64 = switch index % 4 {
            case 0: listed[Int.random(in: 0..<listed.count, using: &rng)]
            case 1: holders[Int.random(in: 0..<holders.count, using: &rng)]
            case 2: callees[Int.random(in: 0..<callees.count, using: &rng)]
            default: randomMobile(&rng)
            }
            let purpose: CallPurpose = index % 10 < 5 ? .marketing : index % 10 < 9 ? .service : .notification
            requests.append(ComplianceRequest(
                callee: number(digits), zones: [.china], purpose: purpose, at: now + Int64.random(in: -3 * 3600...3 * 3600, using: &rng)))
        }

        let single = bestRate(rounds: 3, operations: requests.count) {
            var allowed = 0
            for request in requests where gate.check(request, advice: false).allowed { allowed &+= 1 }
            return allowed
        }
        let batches = stride(from: 0, to: requests.count, by: 1000).map { Array(requests[$0..<min($0 + 1000, requests.count)]) }
        let memory = bestRate(rounds: 5, operations: requests.count) {
            var allowed = 0
            for batch in batches {
                for decision in gate.check(batch) where decision.allowed { allowed &+= 1 }
            }
            return allowed
        }
        let sample = Array(requests.prefix(20_000))
        let since = now.date.addingTimeInterval(-31 * 86_400)
        let sql = bestRate(rounds: 2, operations: sample.count) {
            var allowed = 0
            for request in sample {
                let facts = try! store.calleeFactsBlocking(for: request.callee, attemptsSince: since)
                if gate.engine.decide(request, facts: facts).allowed { allowed &+= 1 }
            }
            return allowed
        }
        var agree = 0
        for request in sample.prefix(5_000) {
            let facts = try store.calleeFactsBlocking(for: request.callee, attemptsSince: since)
            if gate.engine.decide(request, facts: facts) == gate.check(request, advice: false) { agree += 1 }
        }
        print("  decisions, in-memory index, 1 core   \(format(memory.rate)) decisions/s in batches of 1000 (\(memory.checksum / 5) of \(requests.count) allowed) — target ≥ 2M")
        print("                           one at a time \(format(single.rate)) decisions/s (\(single.checksum / 3) allowed)")
        print("  decisions, per-callee SQLite queries \(format(sql.rate)) decisions/s")
        print("  ratio index / SQL                    \(String(format: "%.0f", memory.rate / sql.rate))× — target ≥ 100×; the two agree on \(agree) of 5000")

        // A 1M-row scrub, CSV in, CSV report out, on every core.
        var csv = "phone,age\n"
        csv.reserveCapacity(scrubRows * 20)
        for index in 0..<scrubRows {
            let digits = switch index % 3 {
            case 0: listed[Int.random(in: 0..<listed.count, using: &rng)]
            case 1: holders[Int.random(in: 0..<holders.count, using: &rng)]
            default: randomMobile(&rng)
            }
            csv += "+" + String(digits)
            csv += index % 7 == 0 ? ",72\n" : ",35\n"
        }
        let bytes = Array(csv.utf8)
        csv = ""
        var best = Double.infinity
        var summary = ScrubSummary()
        for _ in 0..<3 {
            clock = .now
            let result = try await ComplianceScrub.run(bytes, gate: gate, purpose: .marketing, at: now.date)
            try Data(result.csv).write(to: URL(fileURLWithPath: folder + "/scrubbed.csv"))
            best = min(best, seconds(ContinuousClock.now - clock))
            summary = result.summary
        }
        print("  scrub of \(scrubRows) rows (parse, decide, write the per-row report): \(String(format: "%.2f", best)) s on \(ProcessInfo.processInfo.activeProcessorCount) cores — target ≤ 2 s")
        print("    callable now \(summary.counts[.now, default: 0]), later today \(summary.counts[.laterToday, default: 0]), this week \(summary.counts[.thisWeek, default: 0]), never \(summary.counts[.never, default: 0]), invalid \(summary.counts[.invalid, default: 0])")
        print("RESULT decisions_per_second=\(Int(memory.rate)) sql_decisions_per_second=\(Int(sql.rate)) ratio=\(Int(memory.rate / sql.rate)) bytes_per_dnc=\(String(format: "%.2f", perNumber)) scrub_seconds=\(String(format: "%.2f", best))")
        try? FileManager.default.removeItem(atPath: folder)
    }
}

/// The decision loop alone over an index built in memory, for profilers.
func profileDecisions(scale: Double) {
    let bench = ComplianceBenchmark(scale: scale, folder: "")
    var rng = SplitMix(state: 1)
    var index = ComplianceIndex()
    var listed: [UInt64] = []
    var entries: [(number: UInt64, reasons: UInt8)] = []
    for _ in 0..<bench.doNotCallCount {
        let digits = bench.randomMobile(&rng)
        listed.append(digits)
        entries.append((digits, DoNotCallReason.imported.bit))
    }
    index.replaceDoNotCall(DoNotCallSet(entries: entries))
    var holders: [UInt64] = []
    for id in 0..<bench.consentCount {
        let digits = bench.randomMobile(&rng)
        holders.append(digits)
        index.add(ConsentFact(id: Int64(id), scope: .marketing, separate: true, grantedAt: bench.now.seconds - 86_400 * 100, expiresAt: .max, revokedAt: .max), forDigits: digits)
    }
    var callees: [UInt64] = []
    for _ in 0..<bench.attemptCount {
        let digits = bench.randomMobile(&rng)
        callees.append(digits)
        index.record(attemptTo: digits, at: bench.now.seconds - Int64.random(in: 60...30 * 86_400, using: &rng), purpose: .service)
    }
    let engine = ComplianceEngine(policy: .defaults)
    var requests: [ComplianceRequest] = []
    for position in 0..<1_000_000 {
        let digits: UInt64 = switch position % 4 {
        case 0: listed.randomElement(using: &rng)!
        case 1: holders.randomElement(using: &rng)!
        case 2: callees.randomElement(using: &rng)!
        default: bench.randomMobile(&rng)
        }
        requests.append(ComplianceRequest(callee: bench.number(digits), zones: [.china], purpose: position % 2 == 0 ? .marketing : .service,
                                          at: bench.now + Int64.random(in: -3 * 3600...3 * 3600, using: &rng)))
    }
    let result = bestRate(rounds: 10, operations: requests.count) {
        var allowed = 0
        for request in requests where engine.decide(request, facts: index.facts(for: request.callee)).allowed { allowed &+= 1 }
        return allowed
    }
    let requestCallees = requests.map(\.callee)
    let batched = bestRate(rounds: 10, operations: requests.count) {
        var allowed = 0
        index.facts(for: requestCallees) { position, facts in
            if engine.decide(requests[position], facts: facts).allowed { allowed &+= 1 }
        }
        return allowed
    }
    print("profile: batched \(format(batched.rate)) decisions/s, checksum \(batched.checksum) vs \(result.checksum)")
    var factsOnly = 0
    let facts = bestRate(rounds: 3, operations: requests.count) {
        for request in requests { factsOnly &+= Int(index.facts(for: request.callee).attempts.count) }
        return factsOnly
    }
    let huge = (try? String(contentsOfFile: "/proc/self/smaps_rollup", encoding: .utf8))?.split(separator: "\n").first { $0.hasPrefix("AnonHugePages") } ?? "?"
    print("profile: \(format(result.rate)) decisions/s; facts lookups alone \(format(facts.rate))/s; \(huge)")
}

/// A 1M-row scrub against an empty store, repeated, for profilers: the per-row parsing and reporting alone.
func profileScrub() async throws {
    let folder = NSTemporaryDirectory() + "waihu-bench-scrub"
    try? FileManager.default.removeItem(atPath: folder)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let bench = ComplianceBenchmark(scale: 1, folder: folder)
    let gate = try await ComplianceGate.load(store: try SQLiteStore(path: folder + "/scrub.sqlite"), policy: .defaults, now: bench.now.date)
    var rng = SplitMix(state: 3)
    var csv = "phone,age\n"
    for index in 0..<1_000_000 {
        csv += "+" + String(bench.randomMobile(&rng))
        csv += index % 7 == 0 ? ",72\n" : ",35\n"
    }
    let bytes = Array(csv.utf8)
    for _ in 0..<5 {
        let clock = ContinuousClock.now
        let result = try await ComplianceScrub.run(bytes, gate: gate, purpose: .marketing, at: bench.now.date)
        print("profile: scrub of 1M rows \(String(format: "%.2f", seconds(ContinuousClock.now - clock))) s, \(result.csv.count) bytes out")
    }
}
