import Foundation
import Synchronization

/// The compliance gate in front of every call: decisions from the in-memory index, writes through the store
/// with the index kept in step, and admission of real calls that reserves their attempt atomically so that
/// no two concurrent callers can both take a callee's last allowed attempt.
public final class ComplianceGate: Sendable {
    public let engine: ComplianceEngine
    public let directory: PhoneDirectory
    private let store: any ComplianceStore
    private let state: Mutex<State>

    private struct State: ~Copyable {
        var index: ComplianceIndex
        /// While a reload reads the store, the writes made meanwhile, to replay on the fresh index.
        var journal: [@Sendable (inout ComplianceIndex) -> Void]?
    }

    public var policy: Policy { engine.policy }

    public init(store: any ComplianceStore, policy: Policy, index: ComplianceIndex, directory: PhoneDirectory = .bundled) {
        self.engine = ComplianceEngine(policy: policy)
        self.directory = directory
        self.store = store
        self.state = Mutex(State(index: index, journal: nil))
    }

    /// Builds the gate from the store: every listing and consent, and the attempts the frequency rules can see.
    public static func load(
        store: any ComplianceStore, policy: Policy, now: Date, directory: PhoneDirectory = .bundled
    ) async throws -> ComplianceGate {
        let since = now.addingTimeInterval(-TimeInterval(policy.compliance.frequency.horizon))
        let index = try await store.loadComplianceIndex(attemptsSince: since)
        return ComplianceGate(store: store, policy: policy, index: index, directory: directory)
    }

    // MARK: - Decisions

    /// The zones a callee may be in.
    public func zones(for number: PhoneNumber) -> [CalleeZone] {
        number.isChinese ? [.china] : CalleeZone.zones(for: directory.info(for: number))
    }

    /// A request for `number`; `age` at or above the policy's threshold makes the callee elderly (RULES C5).
    public func request(for number: PhoneNumber, purpose: CallPurpose, at: Date, elderly: Bool = false, age: Int? = nil)
        -> ComplianceRequest
    {
        let old = elderly || (age.map { $0 >= policy.compliance.hours.elderlyAge } ?? false)
        return ComplianceRequest(callee: number, zones: zones(for: number), purpose: purpose, at: Timestamp(at), elderly: old)
    }

    /// Decides without recording anything (a what-if, a plan).
    public func check(_ request: ComplianceRequest, advice: Bool = true) -> ComplianceDecision {
        let facts = state.withLock { $0.index.facts(for: request.callee) }
        return engine.decide(request, facts: facts, advice: advice)
    }

    /// Decides on many calls at once, without recording anything: the index reads of a batch overlap (see
    /// `ComplianceIndex.facts(for:_:)`), which more than doubles the rate on large lists.
    public func check(_ requests: [ComplianceRequest]) -> [ComplianceDecision] {
        var decisions: [ComplianceDecision] = []
        decisions.reserveCapacity(requests.count)
        let callees = requests.map(\.callee)
        state.withLock { state in
            state.index.facts(for: callees) { position, facts in
                decisions.append(engine.decide(requests[position], facts: facts))
            }
        }
        return decisions
    }

    /// Decides for a real call and keeps the decision (RULES C12). When allowed, the attempt is reserved in
    /// the same critical section, so a concurrent admission for the same callee sees it (RULES C6), and kept
    /// as a pending attempt until its outcome is reported.
    public func admit(_ request: ComplianceRequest, context: DecisionContext, now: Date) async throws
        -> (decision: ComplianceDecision, id: Int64)
    {
        let decision = state.withLock { state in
            let decision = engine.decide(request, facts: state.index.facts(for: request.callee), advice: false)
            if decision.allowed {
                let callee = request.callee, time = request.at.seconds, purpose = request.purpose
                Self.apply({ $0.record(attemptTo: callee, at: time, purpose: purpose) }, to: &state)
            }
            return decision
        }
        let id = try await store.recordDecision(decision, context: context, decidedAt: now)
        if decision.allowed, let caller = context.caller {
            let attempt = try CallAttempt(
                callee: request.callee, caller: caller, purpose: request.purpose, startedAt: request.at.date,
                outcome: .pending, durationSeconds: nil, source: "waihu", decisionId: id, agent: context.agent,
                campaign: context.campaign)
            _ = try await store.recordAttempts([attempt], recordedAt: now)
        }
        return (decision, id)
    }

    /// A snapshot of the index for bulk work (a scrub); later writes do not show in it.
    public func snapshot() -> ComplianceIndex {
        state.withLock { $0.index }
    }

    /// Applies a write to the index, and journals it while a reload is under way.
    private func update(_ change: @escaping @Sendable (inout ComplianceIndex) -> Void) {
        state.withLock { Self.apply(change, to: &$0) }
    }

    private static func apply(_ change: @escaping @Sendable (inout ComplianceIndex) -> Void, to state: inout State) {
        change(&state.index)
        state.journal?.append(change)
    }

    /// Rebuilds the index from the store — after another process (the CLI, another node) wrote to it — and
    /// swaps it in. Writes made through this gate while the store is read are replayed on the new index.
    public func reload(now: Date) async throws {
        state.withLock { $0.journal = [] }
        let fresh: ComplianceIndex
        do {
            let since = now.addingTimeInterval(-TimeInterval(policy.compliance.frequency.horizon))
            fresh = try await store.loadComplianceIndex(attemptsSince: since)
        } catch {
            state.withLock { $0.journal = nil }
            throw error
        }
        state.withLock { state in
            var index = fresh
            for change in state.journal ?? [] { change(&index) }
            state.index = index
            state.journal = nil
        }
    }

    /// Decisions kept for `phone`, newest first.
    public func decisions(phone: PhoneNumber, limit: Int = 100) async throws -> [StoredDecision] {
        try await store.decisions(phone: phone, limit: limit)
    }

    // MARK: - Consent (RULES C1–C3)

    public func addConsent(_ draft: ConsentDraft, source: String, now: Date) async throws -> Consent {
        let consent = try await store.addConsent(draft, recordedAt: now, source: source)
        let fact = ConsentFact(consent), phone = consent.phone
        update { $0.add(fact, for: phone) }
        return consent
    }

    /// Revokes a consent at once: the next decision no longer relies on it.
    public func revokeConsent(id: Int64, reason: String?, now: Date) async throws -> Consent {
        let consent = try await store.revokeConsent(id: id, at: now, reason: reason)
        let fact = ConsentFact(consent), phone = consent.phone
        update { $0.add(fact, for: phone) }
        return consent
    }

    public func consents(phone: PhoneNumber) async throws -> [Consent] {
        try await store.consents(phone: phone)
    }

    // MARK: - Do-not-call lists (RULES C7–C9)

    /// Lists numbers; returns how many listings are new.
    @discardableResult
    public func addToDoNotCall(_ entries: [DoNotCallEntry]) async throws -> Int {
        let added = try await store.addToDoNotCall(entries)
        update { index in
            for entry in entries { index.list(entry.phone, reason: entry.reason, at: Timestamp(entry.addedAt).seconds) }
        }
        return added
    }

    /// Removes listings of `phone`; returns the reasons removed.
    public func removeFromDoNotCall(_ phone: PhoneNumber, reason: DoNotCallReason?) async throws -> [DoNotCallReason] {
        let removed = try await store.removeFromDoNotCall(phone, reason: reason)
        update { index in
            for reason in removed { index.unlist(phone, reason: reason) }
        }
        return removed
    }

    public func doNotCallEntries(_ phone: PhoneNumber) async throws -> [DoNotCallEntry] {
        try await store.doNotCallEntries(phone)
    }

    /// Imports a do-not-call list — a CSV with a phone column, or plain text with one number per line — in
    /// batches. Lines that are not numbers are reported with their line number; good lines land.
    public func importDoNotCall(
        _ bytes: [UInt8], reason: DoNotCallReason, source: String, now: Date,
        progress: (@Sendable (Double) -> Void)? = nil
    ) async throws -> DoNotCallImportReport {
        let parsed = try DoNotCallList.read(bytes, directory: directory)
        var report = parsed.report
        let batch = 50_000
        var start = 0
        while start < parsed.numbers.count {
            let slice = parsed.numbers[start..<min(start + batch, parsed.numbers.count)]
            let entries = slice.map { DoNotCallEntry(phone: $0, reason: reason, addedAt: now, source: source) }
            report.added += try await store.addToDoNotCall(entries)
            start += batch
            progress?(Double(start) / Double(max(1, parsed.numbers.count)))
        }
        report.alreadyListed = parsed.numbers.count - report.added
        let digits = parsed.numbers.map(\.e164Digits)
        let time = Timestamp(now).seconds
        update { $0.importList(digits, reason: reason, at: time) }
        return report
    }

    // MARK: - Attempts (RULES C6)

    /// Records attempts from any system; each new one counts at once. An attempt reported as `invalid_number`
    /// lists the callee as invalid (RULES C9) when the policy says so.
    public func recordAttempts(_ attempts: [CallAttempt], now: Date) async throws -> [Bool] {
        let fresh = try await store.recordAttempts(attempts, recordedAt: now)
        let recorded = zip(attempts, fresh).filter(\.1).map { ($0.0.callee, Timestamp($0.0.startedAt).seconds, $0.0.purpose) }
        update { index in
            for (callee, time, purpose) in recorded { index.record(attemptTo: callee, at: time, purpose: purpose) }
        }
        if policy.compliance.lists.invalidFromCallOutcomes {
            let invalid = attempts.filter { $0.outcome == .invalidNumber }.map {
                DoNotCallEntry(phone: $0.callee, reason: .invalid, addedAt: $0.startedAt, source: "call_outcome")
            }
            if !invalid.isEmpty { try await addToDoNotCall(invalid) }
        }
        return fresh
    }
}

/// The report of a do-not-call import.
public struct DoNotCallImportReport: Sendable, Hashable, Codable {
    /// Lines read (header and blank lines not counted).
    public var lines = 0
    /// Numbers newly listed.
    public var added = 0
    /// Numbers that were already listed for the reason (or appeared twice).
    public var alreadyListed = 0
    /// Lines that are not numbers, with line and reason.
    public var problems: [ImportProblem] = []
    public var rejected: Int { problems.count }

    public init() {}
}

/// Reads do-not-call lists: CSV with a header naming a phone column, or one number per line.
enum DoNotCallList {
    static let phoneColumns: Set<String> = ["phone", "number", "mobile", "callee", "msisdn", "e164", "号码", "手机", "手机号", "电话"]

    static func read(_ bytes: [UInt8], directory: PhoneDirectory) throws(ImportFileError)
        -> (numbers: [PhoneNumber], report: DoNotCallImportReport)
    {
        var reader = CSVReader(bytes: bytes)
        var report = DoNotCallImportReport()
        var numbers: [PhoneNumber] = []
        numbers.reserveCapacity(bytes.count / 12)
        var column = 0
        var first = true
        while let next = reader.next() {
            let record: CSVRecord
            switch next {
            case let .success(value): record = value
            case let .failure(error):
                report.lines += 1
                report.problems.append(ImportProblem(line: error.line, number: nil, field: nil, reason: error.message))
                continue
            }
            if first {
                first = false
                if let position = record.fields.firstIndex(where: { phoneColumns.contains($0.trimmingWhitespace().lowercased()) }) {
                    column = position  // a header; data starts on the next line
                    continue
                }
                if record.fields.count > 1 {
                    throw ImportFileError(description: "line 1: a CSV needs a header naming its phone column (phone, number, mobile, 号码 …)")
                }
            }
            report.lines += 1
            guard column < record.fields.count else {
                report.problems.append(ImportProblem(line: record.line, number: nil, field: "phone", reason: "the phone column is missing"))
                continue
            }
            let text = record.fields[column]
            do {
                numbers.append(try directory.parse(text))
            } catch {
                report.problems.append(ImportProblem(line: record.line, number: text, field: "phone", reason: error.description))
            }
        }
        return (numbers, report)
    }
}
