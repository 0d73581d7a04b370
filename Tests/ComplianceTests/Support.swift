import Foundation
import WaihuCore
import WaihuStore

let directory = PhoneDirectory.bundled

/// A moment written in Beijing time, `2025-03-03 07:59` (seconds optional).
func beijing(_ text: String) -> Timestamp {
    guard let moment = Timestamp(iso8601: text, defaultOffsetSeconds: 8 * 3600) else { fatalError("bad test time \(text)") }
    return moment
}

func phone(_ text: String) -> PhoneNumber {
    do {
        return try directory.parse(text)
    } catch {
        fatalError("bad test number \(text): \(error)")
    }
}

/// A gate over a fresh SQLite file, removed when `remove()` is called.
struct TestGate {
    let folder: URL
    let store: SQLiteStore
    let gate: ComplianceGate

    init(policy: Policy = .defaults, setup: [Setup] = [], loadAt: Date = beijing("2027-01-01 00:00").date) async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("waihu-compliance-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try SQLiteStore(path: folder.appendingPathComponent("waihu.sqlite").path)
        let writer = ComplianceGate(store: store, policy: policy, index: ComplianceIndex())
        for step in setup { try await step.apply(to: writer) }
        // A gate loaded from the store sees what was written before it, as after a restart.
        gate = try await ComplianceGate.load(store: store, policy: policy, now: loadAt)
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}

/// Something that happened to a callee before a decision.
enum Setup: Sendable, CustomStringConvertible {
    case consent(ConsentScope, granted: String, expires: String? = nil, separate: Bool = true, revoked: String? = nil, phone: String = callee)
    case attempt(String, caller: String, purpose: CallPurpose = .service, phone: String = callee, outcome: AttemptOutcome = .answered)
    case listed(DoNotCallReason, at: String, phone: String = callee)

    static let callee = "13800138000"
    /// Store writes happen "later" than every test time, as when history is imported.
    static let now = beijing("2027-01-01 00:00").date

    func apply(to gate: ComplianceGate) async throws {
        switch self {
        case let .consent(scope, granted, expires, separate, revoked, number):
            let draft = try ConsentDraft(
                phone: phone(number), scope: scope, channel: .webCheckbox, evidence: "勾选同意 \(scope.rawValue)",
                separate: separate, grantedAt: beijing(granted).date, expiresAt: expires.map { beijing($0).date }, now: Setup.now)
            let consent = try await gate.addConsent(draft, source: "test", now: Setup.now)
            if let revoked { _ = try await gate.revokeConsent(id: consent.id, reason: "test", now: beijing(revoked).date) }
        case let .attempt(time, caller, purpose, number, outcome):
            let attempt = try CallAttempt(
                callee: phone(number), caller: phone(caller), purpose: purpose, startedAt: beijing(time).date, outcome: outcome,
                durationSeconds: 30, source: "test")
            _ = try await gate.recordAttempts([attempt], now: Setup.now)
        case let .listed(reason, time, number):
            try await gate.addToDoNotCall([DoNotCallEntry(phone: phone(number), reason: reason, addedAt: beijing(time).date, source: "test")])
        }
    }

    var description: String {
        switch self {
        case let .consent(scope, granted, expires, separate, revoked, _):
            "consent \(scope.rawValue) \(granted)\(expires.map { "→\($0)" } ?? "")\(separate ? "" : " not separate")\(revoked.map { " revoked \($0)" } ?? "")"
        case let .attempt(time, caller, purpose, _, _): "\(purpose.rawValue) attempt \(time) from \(caller)"
        case let .listed(reason, time, _): "\(reason.rawValue) \(time)"
        }
    }
}
