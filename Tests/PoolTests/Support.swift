import Foundation
import WaihuCore
import WaihuStore

let directory = PhoneDirectory.bundled

func beijing(_ text: String) -> Date {
    guard let moment = Timestamp(iso8601: text, defaultOffsetSeconds: 8 * 3600) else { fatalError("bad test time \(text)") }
    return moment.date
}

func phone(_ text: String) -> PhoneNumber {
    do {
        return try directory.parse(text)
    } catch {
        fatalError("bad test number \(text): \(error)")
    }
}

func day(_ text: String) -> Int64 { CivilDate(text)!.dayNumber }

/// A pool over a fresh SQLite file.
struct TestPool: Sendable {
    let folder: URL
    let store: SQLiteStore
    var policy: Policy

    init(policy: Policy = .defaults) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("waihu-pool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try SQLiteStore(path: folder.appendingPathComponent("waihu.sqlite").path)
        self.policy = policy
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }

    /// Adds numbers: `(number, purpose, status, cap)`.
    func add(_ numbers: [(String, NumberPurpose, CallerNumberStatus, Int?)], at now: Date) async throws {
        for (number, purpose, status, cap) in numbers {
            let draft = try CallerNumberDraft(
                info: directory.lookup(number), purpose: purpose, filingReference: "F-\(number)", displayName: "示例银行",
                status: status, dailyCap: cap, policy: policy.pool)
            _ = try await store.add(draft, policy: policy.pool, at: now, actor: "test")
        }
    }

    /// The pool service with its selector built and leases written, as the server has them.
    func service(now: Date) async throws -> PoolService {
        let selector = try await PoolService.makeSelector(store: store, policy: policy, now: now)
        let service = PoolService(store: store, selector: selector, policy: policy)
        try await writeLeases(selector)
        return service
    }

    func writeLeases(_ selector: CallerSelector) async throws {
        let leases = selector.leaseRequests()
        try await store.writeLeases(leases)
        selector.leasesWritten(leases)
    }

    /// Records `count` attempts from `caller` on local day `date` (10:00 onwards, one a minute), `answered` of them
    /// answered (`short` of those under 10 s), `declined` declined.
    func calls(from caller: String, on date: String, count: Int, answered: Int, short: Int = 0, declined: Int = 0) async throws {
        let start = beijing("\(date) 10:00")
        var attempts: [CallAttempt] = []
        for index in 0..<count {
            let outcome: AttemptOutcome = index < answered ? .answered : index < answered + declined ? .declined : .noAnswer
            attempts.append(try CallAttempt(
                callee: phone("1391\(String(format: "%07d", index))"), caller: phone(caller), purpose: .service,
                startedAt: start.addingTimeInterval(TimeInterval(index * 60)), outcome: outcome,
                durationSeconds: outcome == .answered ? (index < short ? 5 : 60) : nil, source: "crm"))
        }
        _ = try await store.recordAttempts(attempts, recordedAt: start)
    }
}
