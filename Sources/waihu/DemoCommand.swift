import ArgumentParser
import Foundation
import WaihuConfig
import WaihuCore
import WaihuStore

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start here: load a sample caller-number pool into waihu-data/ and run the server.",
        discussion: "Safe to run again: the sample pool is imported idempotently and your own data is kept.")

    @OptionGroup var store: StoreOptions

    @Option(help: "Port to listen on.")
    var port = 8080

    func run() async throws {
        let configuration = try store.resolve(port: port)
        guard let url = Bundle.module.url(forResource: "demo-caller-numbers", withExtension: "csv"),
              let data = FileManager.default.contents(atPath: url.path) else {
            throw ValidationError("the demo's sample pool is missing from this installation")
        }
        let database = try configuration.openStore()
        let report = try await database.importCSV(
            [UInt8](data), directory: .bundled, policy: configuration.policy().pool, at: Date(), actor: "demo")
        let seeded = try await seedCompliance(database)
        // RULES P6: marketing numbers only for trained agents.
        try await database.upsertAgent(Agent(id: "demo-agent", name: "演示坐席", trained: true))
        try await database.upsertAgent(Agent(id: "new-agent", name: "新坐席", trained: false))
        guard let contacts = Bundle.module.url(forResource: "demo-contacts", withExtension: "csv") else {
            throw ValidationError("the demo's sample contact list is missing from this installation")
        }
        printNow("""
            waihu demo — database \(configuration.databasePath)
            sample pool (示例银行): \(report.rows) numbers, \(report.created) added, \(report.unchanged + report.updated) already there\(report.rejected > 0 ? ", \(report.rejected) rejected" : "")
            sample compliance data: \(seeded ? "consents, refusals, a complaint and recent calls added" : "already there")
            """)
        try await Server(configuration: configuration).run { configuration in
            let base = "http://\(configuration.host):\(configuration.port)"
            printNow("""

                The API is listening on \(base) (Ctrl-C stops it). Try:

                  curl \(base)/v1/lookup/13800138000
                  curl '\(base)/v1/caller-numbers?purpose=service&status=active&limit=5'
                  curl '\(base)/v1/caller-numbers?province=广东'
                  curl \(base)/v1/caller-numbers/010-58001001/history
                  curl -X PATCH \(base)/v1/caller-numbers/13802801001 -H 'content-type: application/json' -d '{"status":"resting","reason":"connect rate down"}'
                  curl -X POST \(base)/v1/caller-numbers -H 'content-type: application/json' -d '{"number":"17012345678","purpose":"marketing","filingRef":"X-1"}'   # refused: RULES P8
                  curl -X POST \(base)/v1/compliance/check -H 'content-type: application/json' -d '{"callee":"13800138000","purpose":"marketing"}'
                  curl -X POST \(base)/v1/compliance/check -H 'content-type: application/json' -d '{"callee":"13501234567","purpose":"marketing"}'   # refused (RULES C7)
                  curl -X POST '\(base)/v1/compliance/scrub?purpose=marketing' -H 'content-type: text/csv' --data-binary @\(contacts.path)
                  curl -X POST \(base)/v1/caller-numbers/select -H 'content-type: application/json' -d '{"callee":"13800138000","purpose":"marketing","agent":"demo-agent"}'
                  curl -X POST \(base)/v1/caller-numbers/select -H 'content-type: application/json' -d '{"callee":"13800138000","purpose":"marketing","agent":"new-agent"}'   # refused (RULES P6)
                  curl -X POST \(base)/v1/marks -H 'content-type: application/json' -d '[{"number":"13708201001","platform":"360","kind":"fraud","count":1}]'   # suspends at once (P10)
                  curl \(base)/v1/caller-numbers/13708201001/health
                  curl \(base)/v1/appeals
                  curl '\(base)/v1/pool/plan?dailyCalls=2000&byRegion=true'
                  curl -X POST \(base)/v1/sms/inbound -H 'content-type: application/json' -d '{"from":"18612345678","text":"N"}'   # a refusal by SMS
                  curl \(base)/openapi.yaml      # the whole API
                  curl \(base)/metrics

                From another terminal, the CLI works on the same data:

                  swift run waihu lookup '0755-8888-1234'
                  swift run waihu numbers list --purpose marketing
                  swift run waihu numbers show 13802801001
                  swift run waihu check 13800138000 --purpose marketing
                  swift run waihu scrub \(contacts.path) --purpose marketing
                  swift run waihu pool plan --daily-calls 2000 --by-region
                  swift run waihu pool health 13708201001

                Calls go out over SIP (configure sip.trunks; see README). With sipp as a lab gateway:

                  sipp -sn uas -i 127.0.0.1 -p 5080 &
                  swift run waihu call 13800138000 --caller 010-58001001 --purpose urgent --trunk sip:127.0.0.1:5080

                """)
        }
    }

    /// Adds the sample compliance data once: consents, a refusal, a complaint and recent calls to the sample
    /// contacts, so that checks and scrubs show every kind of answer.
    private func seedCompliance(_ database: SQLiteStore) async throws -> Bool {
        let directory = PhoneDirectory.bundled
        let first = try directory.parse("13800138000")
        guard try await database.consents(phone: first).isEmpty else { return false }
        let now = Date()
        let day: TimeInterval = 86_400
        var drafts: [ConsentDraft] = []
        for (phone, separate) in [("13800138000", true), ("13912345678", true), ("18612345678", true), ("15012345678", false), ("13501234567", true)] {
            drafts.append(try ConsentDraft(
                phone: directory.parse(phone), scope: .marketing, channel: .webCheckbox,
                evidence: separate ? "勾选《个人信息营销使用单独授权书》v2" : "注册协议第12条（非单独同意）", separate: separate,
                grantedAt: now.addingTimeInterval(-60 * day), expiresAt: now.addingTimeInterval(305 * day), now: now))
        }
        _ = try await database.addConsents(drafts, recordedAt: now, source: "demo")
        _ = try await database.addToDoNotCall([
            DoNotCallEntry(phone: try directory.parse("13501234567"), reason: .refusal, addedAt: now.addingTimeInterval(-10 * day), source: "demo", note: "不需要,别打了"),
            DoNotCallEntry(phone: try directory.parse("13700001111"), reason: .complaint, addedAt: now.addingTimeInterval(-20 * day), source: "demo"),
        ])
        _ = try await database.recordAttempts([
            try CallAttempt(callee: directory.parse("13912345678"), caller: directory.parse("010-58001001"), purpose: .marketing,
                            startedAt: now.addingTimeInterval(-3 * 3600), outcome: .answered, durationSeconds: 65, source: "demo-crm"),
            try CallAttempt(callee: directory.parse("18612345678"), caller: directory.parse("021-63501001"), purpose: .service,
                            startedAt: now.addingTimeInterval(-2 * day), outcome: .noAnswer, durationSeconds: nil, source: "demo-crm"),
        ], recordedAt: now)
        return true
    }
}
