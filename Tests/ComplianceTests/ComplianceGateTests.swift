import Foundation
import GRDB
import Hummingbird
import Synchronization
import Testing
import WaihuCore
import WaihuGateways
@testable import WaihuStore

@Suite("Compliance gate and store")
struct ComplianceGateTests {
    let monday = beijing("2025-03-03 10:00").date

    @Test("revocation is instant: the next decision no longer relies on the consent")
    func revocation() async throws {
        let test = try await TestGate(setup: [.consent(.marketing, granted: "2025-01-01 10:00")])
        defer { test.remove() }
        let request = test.gate.request(for: phone("13800138000"), purpose: .marketing, at: monday)
        let before = test.gate.check(request)
        #expect(before.allowed)
        let consentId = try #require(before.consentId)
        let revoked = try await test.gate.revokeConsent(id: consentId, reason: "customer asked", now: monday.addingTimeInterval(-60))
        #expect(revoked.revokedAt != nil)
        #expect(!test.gate.check(request).allowed)
        #expect(test.gate.check(request).reasons.map(\.rule) == ["C1"])
        await #expect(throws: ComplianceInputError.consentAlreadyRevoked(consentId, revoked.revokedAt!)) {
            try await test.gate.revokeConsent(id: consentId, reason: nil, now: monday)
        }
        await #expect(throws: ComplianceInputError.consentNotFound(999)) {
            try await test.gate.revokeConsent(id: 999, reason: nil, now: monday)
        }
        // The evidence is kept with its SHA-256.
        let stored = try await test.store.consents(phone: phone("13800138000"))
        #expect(stored.count == 1)
        #expect(stored[0].evidenceSHA256.count == 64)
        #expect(stored[0].revokedAt != nil)
    }

    @Test("consent drafts refuse what cannot be evidence")
    func consentDrafts() {
        #expect(throws: ComplianceInputError.missingEvidence) {
            try ConsentDraft(phone: phone("13800138000"), scope: .marketing, channel: .app, evidence: "  ", grantedAt: monday, expiresAt: nil, now: monday)
        }
        #expect(throws: ComplianceInputError.expiresBeforeGranted) {
            try ConsentDraft(phone: phone("13800138000"), scope: .marketing, channel: .app, evidence: "ok", grantedAt: monday,
                             expiresAt: monday, now: monday)
        }
        #expect(throws: ComplianceInputError.grantedInFuture(monday.addingTimeInterval(3600))) {
            try ConsentDraft(phone: phone("13800138000"), scope: .marketing, channel: .app, evidence: "ok",
                             grantedAt: monday.addingTimeInterval(3600), expiresAt: nil, now: monday)
        }
        let draft = try? ConsentDraft(phone: phone("13800138000"), scope: .marketing, channel: .app, evidence: "abc", grantedAt: monday,
                                      expiresAt: nil, now: monday)
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        #expect(draft?.evidenceSHA256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("eight concurrent admissions for one callee: exactly one gets through (RULES C6)")
    func atomicAdmission() async throws {
        let test = try await TestGate()
        defer { test.remove() }
        let callers = ["010-58001001", "010-58001002", "021-63501001", "020-83601001", "0755-83201001", "0571-87001001", "025-84701001", "028-86201001"]
        let gate = test.gate
        let admitted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for caller in callers {
                group.addTask {
                    let request = gate.request(for: phone("13800138000"), purpose: .service, at: beijing("2025-03-03 10:00").date)
                    let context = DecisionContext(caller: phone(caller), campaign: "c1", agent: nil, actor: "test")
                    return try await gate.admit(request, context: context, now: beijing("2025-03-03 10:00").date).decision.allowed
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(admitted == 1)
        // Every decision is kept (RULES C12), searchable by phone, and the admitted call is a pending attempt.
        let decisions = try await gate.decisions(phone: phone("13800138000"))
        #expect(decisions.count == 8)
        #expect(decisions.filter(\.allowed).count == 1)
        #expect(decisions.allSatisfy { $0.context.campaign == "c1" && $0.policyVersion == "default" })
        #expect(decisions.filter { !$0.allowed }.allSatisfy { $0.reasons.contains { $0.rule == "C6" } })
        let pending = try await test.store.database.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM call_attempt WHERE outcome = 'pending'")
        }
        #expect(pending == 1)
        // A restart sees the admitted attempt too.
        let reloaded = try await ComplianceGate.load(store: test.store, policy: .defaults, now: beijing("2025-03-03 10:00").date)
        #expect(!reloaded.check(reloaded.request(for: phone("13800138000"), purpose: .service, at: beijing("2025-03-03 11:00").date)).allowed)

        // Reporting the outcome completes the pending attempt without counting it twice.
        let admittedId = try #require(decisions.first(where: \.allowed)?.id)
        let outcome = try CallAttempt(
            callee: phone("13800138000"), caller: decisions.first(where: \.allowed)!.context.caller!, purpose: .service,
            startedAt: beijing("2025-03-03 10:00:05").date, outcome: .answered, durationSeconds: 42, source: "dialer", decisionId: admittedId)
        #expect(try await gate.recordAttempts([outcome], now: monday) == [false])
        let rows = try await test.store.database.read { db in
            try Row.fetchAll(db, sql: "SELECT outcome, duration_seconds FROM call_attempt")
        }
        #expect(rows.count == 1)
        #expect(rows.first?["outcome"] == "answered")
    }

    @Test("call records: the same attempt twice counts once; bad records do not land")
    func attemptsIdempotent() async throws {
        let test = try await TestGate()
        defer { test.remove() }
        let attempt = try CallAttempt(callee: phone("13800138000"), caller: phone("010-58001001"), purpose: .service,
                                      startedAt: beijing("2025-03-02 10:00").date, outcome: .busy, durationSeconds: nil, source: "crm")
        #expect(try await test.gate.recordAttempts([attempt, attempt], now: monday) == [true, false])
        #expect(try await test.gate.recordAttempts([attempt], now: monday) == [false])
        #expect(throws: ComplianceInputError.negativeDuration(-5)) {
            try CallAttempt(callee: phone("13800138000"), caller: phone("010-58001001"), purpose: .service, startedAt: monday,
                            outcome: .answered, durationSeconds: -5, source: "crm")
        }
        let count = try await test.store.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM call_attempt") }
        #expect(count == 1)
    }

    @Test("a do-not-call import reports bad lines with their line numbers; good lines land; nothing stored is lost")
    func doNotCallImport() async throws {
        let test = try await TestGate(setup: [.listed(.complaint, at: "2025-01-01 10:00", phone: "13900139000")])
        defer { test.remove() }
        let list = "phone\n13800138000\n12345\n+86 137-0013-7000\nnot a number\n13800138000\n\n13900139000\n"
        let report = try await test.gate.importDoNotCall(Array(list.utf8), reason: .imported, source: "test", now: monday)
        #expect(report.lines == 6)
        #expect(report.added == 3)
        #expect(report.alreadyListed == 1)
        #expect(report.problems.map(\.line) == [3, 5])
        #expect(report.problems[0].reason.contains("short service number"))
        // The complaint listed before is still there, beside the new listing.
        let entries = try await test.gate.doNotCallEntries(phone("13900139000"))
        #expect(Set(entries.map(\.reason)) == [.complaint, .imported])
        let marketing = test.gate.request(for: phone("13700137000"), purpose: .marketing, at: monday)
        #expect(test.gate.check(marketing).reasons.map(\.rule).contains("C7"))
        // Plain text without a header works too; a CSV without a phone header is refused as a whole.
        let plain = try await test.gate.importDoNotCall(Array("13600136000\n13500135000\n".utf8), reason: .imported, source: "t", now: monday)
        #expect(plain.added == 2)
        await #expect(throws: ImportFileError.self) {
            try await test.gate.importDoNotCall(Array("name,mobile no\nA,13800138000\n".utf8), reason: .imported, source: "t", now: monday)
        }
        // Removal is instant.
        #expect(try await test.gate.removeFromDoNotCall(phone("13700137000"), reason: nil) == [.imported])
        #expect(!test.gate.check(marketing).reasons.map(\.rule).contains("C7"))
        #expect(try await test.gate.removeFromDoNotCall(phone("13700137000"), reason: nil) == [])
    }

    @Test("the index rebuilt from the store decides exactly like the one kept in step with writes")
    func reloadMatches() async throws {
        let test = try await TestGate()
        defer { test.remove() }
        var rng = SeededGenerator(state: 42)
        let numbers = (0..<200).map { "1391000\(String(format: "%04d", $0))" }
        let now = beijing("2025-06-10 12:00").date
        for number in numbers {
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: try await Setup.listed(.refusal, at: "2025-05-01 10:00", phone: number).apply(to: test.gate)
            case 1: try await Setup.consent(.marketing, granted: "2025-05-01 10:00", phone: number).apply(to: test.gate)
            case 2: try await Setup.attempt("2025-06-09 15:00", caller: "010-58001001", phone: number).apply(to: test.gate)
            case 3: try await Setup.listed(.invalid, at: "2025-06-01 10:00", phone: number).apply(to: test.gate)
            default: break
            }
        }
        let reloaded = try await ComplianceGate.load(store: test.store, policy: .defaults, now: now)
        for number in numbers {
            for purpose in CallPurpose.allCases {
                let request = test.gate.request(for: phone(number), purpose: purpose, at: now)
                #expect(test.gate.check(request) == reloaded.check(request), "\(number) \(purpose)")
                // The SQL path (facts queried per callee) decides the same too.
                let facts = try await test.store.calleeFacts(for: phone(number), attemptsSince: now.addingTimeInterval(-40 * 86_400))
                #expect(test.gate.engine.decide(request, facts: facts, advice: true) == test.gate.check(request))
            }
        }
    }

    @Test("the do-not-call set answers like a set, compactly, through overlay and rebuild")
    func doNotCallSet() {
        var rng = SeededGenerator(state: 7)
        var truth: [UInt64: UInt8] = [:]
        var entries: [(number: UInt64, reasons: UInt8)] = []
        for _ in 0..<50_000 {
            let number = Bool.random(using: &rng)
                ? 86 * 100_000_000_000 + UInt64.random(in: 13_000_000_000...19_999_999_999, using: &rng)
                : UInt64.random(in: 8_610_000_000...8_699_999_999_999, using: &rng)
            let reasons = UInt8.random(in: 1...15, using: &rng)
            truth[number, default: 0] |= reasons
            entries.append((number, reasons))
        }
        var set = DoNotCallSet(entries: entries)
        for (number, reasons) in truth { #expect(set.reasons(number) == reasons) }
        #expect(set.reasons(8_613_800_138_000) == truth[8_613_800_138_000, default: 0])
        #expect(set.count == truth.count)
        // Overlay: removals and additions, then a rebuild keeps them.
        let removed = Array(truth.keys.prefix(100))
        for number in removed {
            set.set(number, reasons: 0)
            truth[number] = nil
        }
        set.set(8_613_700_137_000, reasons: DoNotCallReason.refusal.bit)
        truth[8_613_700_137_000] = DoNotCallReason.refusal.bit
        let rebuilt = set.rebuilt()
        for (number, reasons) in truth {
            #expect(set.reasons(number) == reasons)
            #expect(rebuilt.reasons(number) == reasons)
        }
        for number in removed { #expect(rebuilt.reasons(number) == 0) }
        #expect(rebuilt.overlayCount == 0)
    }

    @Test("SMS double opt-in over a real HTTP gateway: Y gives consent, N a refusal, 2 an inquiry; anything else is kept")
    func doubleOptIn() async throws {
        let received = Mutex<[[String: String]]>([])
        let router = Router()
        router.post("/send") { request, context -> Response in
            let body = try await request.body.collect(upTo: 65_536)
            let message = try JSONDecoder().decode([String: String].self, from: Data(buffer: body))
            received.withLock { $0.append(message) }
            if message["to"] == "+8613600136000" { return Response(status: .serviceUnavailable) }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: #"{"reference":"gw-\#(message["reference"] ?? "")"}"#)))
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
            let gatewayURL = URL(string: "http://127.0.0.1:\(try #require(bound))/send")!

            let test = try await TestGate()
            defer { test.remove() }
            let service = OptInService(gate: test.gate, store: test.store, gateway: HTTPSMSGateway(url: gatewayURL, token: "secret"))
            let sentAt = beijing("2025-03-03 10:00").date

            let optIn = try await service.start(phone: phone("13800138000"), scope: .marketing, offer: "【示例银行】信用卡分期优惠。", campaign: "c1", now: sentAt)
            #expect(optIn.status == .sent)
            #expect(optIn.gatewayReference == "gw-\(optIn.id)")
            #expect(received.withLock { $0.first?["to"] } == "+8613800138000")
            #expect(received.withLock { $0.first?["text"] }?.contains("回复Y或1确认") == true)

            let inquiry = try await service.receive(from: "13800138000", text: "2", at: sentAt.addingTimeInterval(60))
            #expect(inquiry.result == .inquiryRecorded)
            let confirm = try await service.receive(from: "+86 138 0013 8000", text: " ｙ ", at: sentAt.addingTimeInterval(120))
            #expect(confirm.result == .consentRecorded)
            let consents = try await test.gate.consents(phone: phone("13800138000"))
            #expect(consents.count == 1)
            #expect(consents[0].channel == .smsReply)
            #expect(consents[0].evidence.contains(optIn.id))
            #expect(consents[0].expiresAt == sentAt.addingTimeInterval(120 + 365 * 86_400))
            #expect(test.gate.check(test.gate.request(for: phone("13800138000"), purpose: .marketing, at: sentAt.addingTimeInterval(3600))).allowed)
            #expect(try await test.store.optIn(id: optIn.id)?.status == .confirmed)

            // A refusal counts with or without an opt-in.
            let refusal = try await service.receive(from: "13900139000", text: "N", at: sentAt)
            #expect(refusal.result == .refusalRecorded)
            #expect(try await test.gate.doNotCallEntries(phone("13900139000")).map(\.reason) == [.refusal])
            // A confirmation without a pending opt-in, garbage, and a bad sender are kept and answered.
            #expect(try await service.receive(from: "13700137000", text: "Y", at: sentAt).result == .noPendingOptIn)
            #expect(try await service.receive(from: "13800138000", text: "今晚吃什么", at: sentAt).result == .unrecognised)
            #expect(try await service.receive(from: "not-a-phone", text: "Y", at: sentAt).result == .invalidSender)
            let inbound = try await test.store.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sms_inbound") }
            #expect(inbound == 6)

            // A gateway failure is kept on the opt-in and reported.
            await #expect(throws: OptInError.self) {
                try await service.start(phone: phone("13600136000"), scope: .marketing, offer: "优惠", campaign: nil, now: sentAt)
            }
            let failed = try await test.store.database.read { db in
                try String.fetchOne(db, sql: "SELECT status FROM optin WHERE phone = '+8613600136000'")
            }
            #expect(failed == "send_failed")
            // Without a gateway, opt-ins are refused with the reason.
            let offline = OptInService(gate: test.gate, store: test.store, gateway: nil)
            await #expect(throws: OptInError.noGateway) {
                try await offline.start(phone: phone("13800138000"), scope: .marketing, offer: "x", campaign: nil, now: sentAt)
            }
        }
    }

    @Test("writes by another process are seen after a reload; the change token tells when")
    func outsideWrites() async throws {
        let test = try await TestGate()
        defer { test.remove() }
        let token = try await test.store.externalChangeToken()
        // The CLI opens the same file with its own store: another connection, another process's writes.
        let cli = try SQLiteStore(path: test.folder.appendingPathComponent("waihu.sqlite").path)
        _ = try await cli.addToDoNotCall([DoNotCallEntry(phone: phone("13800138000"), reason: .complaint, addedAt: monday, source: "cli")])
        #expect(try await test.store.externalChangeToken() != token)
        let request = test.gate.request(for: phone("13800138000"), purpose: .service, at: monday)
        #expect(test.gate.check(request).allowed)
        try await test.gate.reload(now: monday)
        #expect(test.gate.check(request).reasons.map(\.rule) == ["C8"])
        // The gate's own writes do not move the token.
        let own = try await test.store.externalChangeToken()
        try await test.gate.addToDoNotCall([DoNotCallEntry(phone: phone("13900139000"), reason: .refusal, addedAt: monday, source: "api")])
        #expect(try await test.store.externalChangeToken() == own)
    }

    @Test("retention: old attempts and ended consents go; what is recent or still relied on stays")
    func purge() async throws {
        let test = try await TestGate(setup: [
            .attempt("2024-01-10 10:00", caller: "010-58001001"), .attempt("2025-02-20 10:00", caller: "010-58001001"),
            .consent(.marketing, granted: "2020-01-01 10:00", expires: "2021-01-01 10:00"),
            .consent(.marketing, granted: "2023-01-01 10:00", expires: "2024-06-01 10:00"),
            .consent(.marketing, granted: "2024-06-01 10:00"),
        ])
        defer { test.remove() }
        let now = beijing("2025-03-03 10:00").date
        let report = try await test.store.purge(RetentionCutoffs(policy: CompliancePolicy(), now: now))
        #expect(report.attempts == 1)  // older than a year (RULES D3)
        #expect(report.consents == 1)  // ended more than three years ago (RULES C3)
        let consents = try await test.store.consents(phone: phone("13800138000"))
        #expect(consents.count == 2)
        let attempts = try await test.store.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM call_attempt") }
        #expect(attempts == 1)
    }

    @Test("SMS replies are read the way customers write them", arguments: [
        ("Y", SMSReply.confirm), ("y", .confirm), ("1", .confirm), ("是", .confirm), ("ＹＥＳ", .confirm), (" Y。", .confirm),
        ("N", .refuse), ("3", .refuse), ("TD", .refuse), ("退订", .refuse), ("不需要", .refuse),
        ("2", .inquiry), ("咨询", .inquiry), ("", .unrecognised), ("Y N", .unrecognised), ("12", .unrecognised),
    ])
    func replies(_ text: String, _ reply: SMSReply) {
        #expect(SMSReply.interpret(text) == reply)
    }
}
