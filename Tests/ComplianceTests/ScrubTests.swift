import Foundation
import Testing
import WaihuCore

@Suite("Bulk scrub")
struct ScrubTests {
    // A Friday, 10:00 Beijing time: inside calling hours and elderly hours.
    let friday = beijing("2026-11-20 10:00").date

    @Test("each row's report line: rules and reasons in order, invalid rows where they were, the summary counting rows once per rule")
    func reportLines() async throws {
        let test = try await TestGate(setup: [
            .attempt("2026-11-20 09:00", caller: "01058001000"),
            .listed(.complaint, at: "2026-01-01 10:00", phone: "13900139000"),
        ], loadAt: friday)
        defer { test.remove() }
        let list = """
            phone,age
            13800138000,30
            13900139000,40
            12345,
            "+86 137,0013,7000",50
            13700137000,70

            """
        let result = try await ComplianceScrub.run(Array(list.utf8), gate: test.gate, purpose: .service, at: friday, keepRows: true)
        let lines = String(decoding: result.csv, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 7)
        #expect(lines[0] == "line,input,e164,category,rules,reasons,next_allowed_at")
        // RULES C6: one attempt an hour ago breaks the daily limit and the 24 h gap; next is 24 h after it.
        #expect(lines[1] == "2,13800138000,+8613800138000,this_week,C6;C6,daily_limit;minimum_gap,2026-11-21T09:00:00+08:00")
        #expect(lines[2] == "3,13900139000,+8613900139000,never,C8,dnc_complaint,")
        #expect(lines[3].hasPrefix("4,12345,,invalid,,"))
        #expect(lines[4].hasPrefix(#"5,"+86 137,0013,7000",,invalid,,"#))
        #expect(lines[5] == "6,13700137000,+8613700137000,now,,,2026-11-20T10:00:00+08:00")
        #expect(lines[6] == "")

        let summary = result.summary
        #expect(summary.rows == 5)
        #expect(summary.counts == [.now: 1, .thisWeek: 1, .never: 1, .invalid: 2])
        #expect(summary.byReason == ["daily_limit": 1, "minimum_gap": 1, "dnc_complaint": 1])
        #expect(summary.byRule == ["C6": 1, "C8": 1])
        #expect(summary.rulesByCode == ["daily_limit": "C6", "minimum_gap": "C6", "dnc_complaint": "C8"])
        #expect(summary.explanations.keys.sorted() == ["daily_limit", "dnc_complaint", "minimum_gap"])

        // The rows kept for an API answer say the same as the CSV.
        #expect(result.rows.map(\.line) == [2, 3, 4, 5, 6])
        #expect(result.rows.map(\.category) == [.thisWeek, .never, .invalid, .invalid, .now])
        #expect(result.rows[0].codes == ["daily_limit", "minimum_gap"])
        #expect(result.rows[0].rules == ["C6", "C6"])
        #expect(result.rows[0].e164 == "+8613800138000")
        #expect(result.rows[3].input == "+86 137,0013,7000")
        #expect(result.rows[3].problem != nil)
    }

    @Test("a list split across workers comes back in input order, every row once")
    func order() async throws {
        let test = try await TestGate()
        defer { test.remove() }
        var list = "phone\n"
        for index in 0..<20_000 {
            list += index % 97 == 0 ? "bad\(index)\n" : "1380\(String(format: "%07d", index))\n"
        }
        let result = try await ComplianceScrub.run(Array(list.utf8), gate: test.gate, purpose: .service, at: friday)
        let lines = String(decoding: result.csv, as: UTF8.self).split(separator: "\n").dropFirst()
        #expect(lines.map { Int($0.prefix { $0 != "," }) } == (2...20_001).map { $0 })
        #expect(result.summary.rows == 20_000)
        #expect(result.summary.counts[.invalid] == (0..<20_000).filter { $0 % 97 == 0 }.count)
        #expect(result.summary.counts[.now] == 20_000 - (0..<20_000).filter { $0 % 97 == 0 }.count)
        #expect(result.rows.isEmpty)
    }
}
