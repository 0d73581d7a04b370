import Foundation
import GRDB
import Hummingbird
import Synchronization
import Testing
import WaihuCore
import WaihuGateways
@testable import WaihuStore

@Suite("Pool service over SQLite")
struct PoolServiceTests {
    @Test("marks act at once: a fraud mark suspends and opens an urgent appeal; 6 marks suspend (RULES P9, P10)")
    func marksAtOnce() async throws {
        let pool = try TestPool()
        defer { pool.remove() }
        try await pool.add([("0755-83201001", .service, .active, nil), ("0755-83201002", .service, .active, nil)], at: monday)
        let service = try await pool.service(now: monday)
        let fraud = try MarkObservation(number: phone("0755-83201001"), platform: .tencent, kind: .fraud, count: 1, observedAt: monday, source: "api")
        let five = try [MarkPlatform.p360, .baidu].map { try MarkObservation(number: phone("0755-83201002"), platform: $0, kind: .harassment, count: $0 == .p360 ? 3 : 2, observedAt: monday, source: "api") }
        let actions = try await service.recordMarks([fraud] + five, now: monday)
        #expect(actions[phone("0755-83201001")]?.map(\.rule) == ["P10", "P10"])
        #expect(actions[phone("0755-83201002")] == nil)  // exactly 5: not more than 5
        #expect(try await pool.store.callerNumber(phone("0755-83201001"))?.status == .suspended)
        let appeals = try await pool.store.appeals(of: phone("0755-83201001"))
        #expect(appeals.count == 1)
        #expect(appeals.first?.urgent == true)
        #expect(appeals.first?.platform == .tencent)
        // The suspended number is no longer selected.
        let selection = try service.selector.select(callee: directory.info(for: phone("13802551234")), purpose: .service, agent: nil, now: monday)
        #expect(selection.number == phone("0755-83201002"))
        // One more mark: 6, suspended.
        let sixth = try MarkObservation(number: phone("0755-83201002"), platform: .xiaomi, kind: .sales, count: 1, observedAt: monday, source: "api")
        #expect(try await service.recordMarks([sixth], now: monday)[phone("0755-83201002")]?.first?.rule == "P9")
        let history = try await pool.store.history(of: phone("0755-83201002"))
        let suspension = history.last { $0.field == "status" }
        #expect(suspension?.newValue == "suspended")
        #expect(suspension?.reason?.hasPrefix("P9") == true)
    }

    @Test("early signs: throttle first, then rest with a standby of the same purpose and region promoted (RULES P4)")
    func throttleThenRest() async throws {
        let pool = try TestPool()
        defer { pool.remove() }
        try await pool.add([
            ("0755-83201001", .service, .active, nil),
            ("0755-83201009", .service, .standby, nil),  // same city: the one to promote
            ("010-58001009", .service, .standby, nil),  // another region group: never
            ("0755-83201008", .marketing, .standby, nil),  // another purpose: never
        ], at: monday)
        // 13 days at 60%, then a day at 40%.
        for offset in 1...13 {
            try await pool.calls(from: "0755-83201001", on: CivilDate(dayNumber: day("2025-03-17") - Int64(14 - offset)).description, count: 50, answered: 30)
        }
        try await pool.calls(from: "0755-83201001", on: "2025-03-17", count: 50, answered: 20)
        let first = try await pool.service(now: beijing("2025-03-18 06:00")).evaluate(now: beijing("2025-03-18 06:00"))
        let entry = try #require(first.entries.first { $0.number == phone("0755-83201001") })
        guard case .throttle(cap: 10, _)? = entry.actions.first else { Issue.record("expected throttling: \(entry.actions)"); return }
        let service = try await pool.service(now: beijing("2025-03-18 10:00"))
        #expect(service.selector.usage(of: phone("0755-83201001"))?.cap == 10)

        // The next day the signs persist: rest, and the same-city standby number takes its place.
        try await pool.calls(from: "0755-83201001", on: "2025-03-18", count: 20, answered: 7)
        let second = try await pool.service(now: beijing("2025-03-19 06:00")).evaluate(now: beijing("2025-03-19 06:00"))
        let rested = try #require(second.entries.first { $0.number == phone("0755-83201001") })
        guard case .rest? = rested.actions.first else { Issue.record("expected resting: \(rested.actions)"); return }
        #expect(rested.promoted == phone("0755-83201009"))
        #expect(try await pool.store.callerNumber(phone("0755-83201001"))?.status == .resting)
        #expect(try await pool.store.callerNumber(phone("0755-83201009"))?.status == .active)
        #expect(try await pool.store.callerNumber(phone("010-58001009"))?.status == .standby)
        #expect(try await pool.store.callerNumber(phone("0755-83201008"))?.status == .standby)
        let history = try await pool.store.history(of: phone("0755-83201009"))
        #expect(history.last { $0.field == "status" }?.reason == "P4: replaces +8675583201001, which rests")
    }

    @Test("the weekly swap cap holds back rests beyond its share of the pool")
    func swapCap() async throws {
        var policy = Policy.defaults
        policy.pool.weeklySwapShare = 0.0
        let pool = try TestPool(policy: policy)
        defer { pool.remove() }
        try await pool.add([("0755-83201001", .service, .active, nil), ("0755-83201009", .service, .standby, nil)], at: monday)
        for offset in 1...13 {
            try await pool.calls(from: "0755-83201001", on: CivilDate(dayNumber: day("2025-03-17") - Int64(14 - offset)).description, count: 50, answered: 30)
        }
        try await pool.calls(from: "0755-83201001", on: "2025-03-17", count: 50, answered: 20)
        _ = try await pool.service(now: beijing("2025-03-18 06:00")).evaluate(now: beijing("2025-03-18 06:00"))
        try await pool.calls(from: "0755-83201001", on: "2025-03-18", count: 20, answered: 7)
        let report = try await pool.service(now: beijing("2025-03-19 06:00")).evaluate(now: beijing("2025-03-19 06:00"))
        let entry = try #require(report.entries.first)
        #expect(entry.swapCapped)
        guard case .throttle? = entry.actions.first else { Issue.record("expected throttling instead of resting"); return }
        #expect(try await pool.store.callerNumber(phone("0755-83201009"))?.status == .standby)
    }

    @Test("P11 flag and P14 activation through the store, with history and health")
    func flagAndActivation() async throws {
        let pool = try TestPool()
        defer { pool.remove() }
        try await pool.add([("0755-83201001", .service, .active, nil), ("0755-83201002", .service, .warming, nil)], at: beijing("2025-03-01 09:00"))
        for date in ["2025-03-15", "2025-03-16", "2025-03-17"] { try await pool.calls(from: "0755-83201001", on: date, count: 50, answered: 19) }
        let report = try await pool.service(now: beijing("2025-03-18 06:00")).evaluate(now: beijing("2025-03-18 06:00"))
        #expect(report.entries.first { $0.number == phone("0755-83201001") }?.actions.map(\.rule) == ["P11"])
        #expect(report.entries.first { $0.number == phone("0755-83201002") }?.actions == [.activate])
        let state = try #require(try await pool.store.numberState(phone("0755-83201001")))
        #expect(state.flagReason?.contains("38%, 38%, 38%") == true)
        #expect(state.health.score < 100)
        #expect(try await pool.store.callerNumber(phone("0755-83201002"))?.status == .active)
        #expect(report.standbyShortfall["service/华南"] == 1)
    }

    @Test("appeal evidence pack: filing, display name, daily volume, connect rate, consent share, complaints; accepted clears marks")
    func appealEvidence() async throws {
        let pool = try TestPool()
        defer { pool.remove() }
        try await pool.add([("13802551111", .marketing, .active, nil)], at: monday)
        let service = try await pool.service(now: monday)
        // Two marketing calls: one to a callee with separate marketing consent, one without.
        let gate = ComplianceGate(store: pool.store, policy: .defaults, index: ComplianceIndex())
        _ = try await gate.addConsent(try ConsentDraft(phone: phone("13900139000"), scope: .marketing, channel: .app, evidence: "同意",
                                                       grantedAt: monday.addingTimeInterval(-86_400), expiresAt: nil, now: monday), source: "test", now: monday)
        _ = try await pool.store.recordAttempts([
            try CallAttempt(callee: phone("13900139000"), caller: phone("13802551111"), purpose: .marketing, startedAt: monday, outcome: .answered, durationSeconds: 60, source: "crm"),
            try CallAttempt(callee: phone("13700137000"), caller: phone("13802551111"), purpose: .marketing, startedAt: monday.addingTimeInterval(60), outcome: .noAnswer, durationSeconds: nil, source: "crm"),
        ], recordedAt: monday)
        _ = try await gate.addToDoNotCall([DoNotCallEntry(phone: phone("13700137000"), reason: .complaint, addedAt: monday, source: "test", caller: phone("13802551111"))])
        _ = try await service.recordMarks([try MarkObservation(number: phone("13802551111"), platform: .p360, kind: .sales, count: 2, observedAt: monday, source: "api")], now: monday)
        let appeal = try await pool.store.openAppeal(number: phone("13802551111"), platform: .p360, urgent: false, reason: "test", at: monday)
        await #expect(throws: PoolInputError.appealAlreadyOpen(number: "+8613802551111", platform: .p360)) {
            try await pool.store.openAppeal(number: phone("13802551111"), platform: .p360, urgent: false, reason: "again", at: monday)
        }
        let evidence = try await service.evidence(for: appeal, now: monday.addingTimeInterval(3600))
        #expect(evidence.filingReference == "F-13802551111")
        #expect(evidence.displayName == "示例银行")
        #expect(evidence.dailyVolume.map(\.attempts) == [2])
        #expect(evidence.dailyVolume.first?.date == "2025-03-03")
        #expect(evidence.connectRate == 0.5)
        #expect(evidence.marketingAttempts == 2)
        #expect(evidence.consentShare == 0.5)
        #expect(evidence.complaints == 1)
        #expect(evidence.marks == ["sales": 2])

        _ = try await service.move(appeal: appeal.id, to: .submitted, note: nil, now: monday)
        _ = try await service.move(appeal: appeal.id, to: .accepted, note: "removed by 360", now: monday.addingTimeInterval(86_400))
        #expect(try await pool.store.markSummaries()[phone("13802551111")] == nil)
    }

    @Test("lifecycle review: worn-out numbers retire, healthy ones stay with the reduced cap (RULES P13)")
    func review() async throws {
        let pool = try TestPool()
        defer { pool.remove() }
        let created = beijing("2024-11-01 09:00")
        try await pool.add([("0755-83201001", .service, .active, nil), ("0755-83201002", .service, .active, nil), ("0755-83201003", .service, .active, nil)], at: created)
        let service = try await pool.service(now: created)
        _ = try await service.recordMarks([
            try MarkObservation(number: phone("0755-83201001"), platform: .p360, kind: .harassment, count: 3, observedAt: created, source: "api"),
            try MarkObservation(number: phone("0755-83201003"), platform: .p360, kind: .harassment, count: 3, observedAt: created, source: "api"),
        ], now: created)
        try await pool.calls(from: "0755-83201001", on: "2025-02-20", count: 40, answered: 10)  // 25%
        try await pool.calls(from: "0755-83201003", on: "2025-02-20", count: 40, answered: 20)  // 50%
        let now = beijing("2025-03-03 09:00")
        let decisions = try await service.review(now: now)
        #expect(decisions.map(\.retire) == [true, false, false])
        #expect(try await pool.store.callerNumber(phone("0755-83201001"))?.status == .retired)
        #expect(try await pool.store.callerNumber(phone("0755-83201002"))?.dailyCap == 15)
        #expect(try await pool.store.callerNumber(phone("0755-83201003"))?.dailyCap == 15)
        // Reviewed numbers are not due again for 90 days.
        #expect(try await service.reviewDecisions(now: now.addingTimeInterval(89 * 86_400)).isEmpty)
    }

    @Test("agents' monthly mark rate (RULES P15)")
    func agentRate() async throws {
        let pool = try TestPool()
        defer { pool.remove() }
        try await pool.add([("13802551111", .marketing, .active, nil), ("13802551112", .marketing, .active, nil)], at: monday)
        let service = try await pool.service(now: monday)
        var attempts: [CallAttempt] = []
        for (index, caller) in ["13802551111", "13802551112", "13802551112"].enumerated() {
            attempts.append(try CallAttempt(callee: phone("1390013900\(index)"), caller: phone(caller), purpose: .marketing,
                                            startedAt: monday.addingTimeInterval(Double(index) * 60), outcome: .answered, durationSeconds: 30,
                                            source: "crm", agent: index == 0 ? "wang" : "li"))
        }
        _ = try await pool.store.recordAttempts(attempts, recordedAt: monday)
        _ = try await service.recordMarks([try MarkObservation(number: phone("13802551112"), platform: .p360, kind: .sales, count: 1,
                                                               observedAt: monday.addingTimeInterval(86_400), source: "api")], now: monday)
        let report = try await service.agentReport(month: CivilDate("2025-03-01")!)
        #expect(report.map(\.agent) == ["li", "wang"])
        #expect(report[0].numbersUsed == 1)
        #expect(report[0].numbersNewlyMarked == 1)
        #expect(report[0].markRate == 1)
        #expect(!report[0].good)
        #expect(report[1].markRate == 0)
        #expect(report[1].good)
    }

    @Test("the mark service is polled over HTTP; dropped mark files are imported and moved away")
    func markSources() async throws {
        let requested = Mutex<[String]>([])
        let router = Router()
        router.post("/marks") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let asked = try JSONDecoder().decode([String: [String]].self, from: Data(buffer: body))["numbers"] ?? []
            requested.withLock { $0 = asked }
            let answer = #"{"marks": [{"number": "+8675583201001", "platform": "360", "kind": "harassment", "count": 2}, {"number": "+8675583201001", "platform": "weibo", "kind": "sales", "count": 1}]}"#
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: answer)))
        }
        let port = Mutex<Int?>(nil)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            defer { group.cancelAll() }
            var bound: Int?
            for _ in 0..<200 where bound == nil {
                try await Task.sleep(for: .milliseconds(10))
                bound = port.withLock { $0 }
            }
            let pool = try TestPool()
            defer { pool.remove() }
            try await pool.add([("0755-83201001", .service, .active, nil), ("0755-83201002", .service, .active, nil)], at: monday)
            let provider = HTTPMarkProvider(url: URL(string: "http://127.0.0.1:\(try #require(bound))/marks")!, token: nil)
            let (marks, problems) = try await provider.fetch([phone("0755-83201001"), phone("0755-83201002")], directory: directory, now: monday)
            #expect(requested.withLock { $0 } == ["+8675583201001", "+8675583201002"])
            #expect(marks.count == 1)
            #expect(marks.first?.count == 2)
            #expect(problems.count == 1)
            #expect(problems.first?.contains("platform 'weibo' is unknown") == true)

            let folder = pool.folder.appendingPathComponent("marks-inbox")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data("number,platform,kind,count,observed_at\n0755-83201002,tencent,fraud,1,2025-03-03T08:00:00+08:00\nbad,row\n".utf8)
                .write(to: folder.appendingPathComponent("2025-03-03.csv"))
            let data = try Data(contentsOf: folder.appendingPathComponent("2025-03-03.csv"))
            let read = try MarkFile.read(data, format: .csv, directory: directory, source: "file", now: monday)
            #expect(read.marks.count == 1)
            #expect(read.marks.first?.kind == .fraud)
            #expect(read.problems.first?.hasPrefix("line 3") == true)
        }
    }
}
