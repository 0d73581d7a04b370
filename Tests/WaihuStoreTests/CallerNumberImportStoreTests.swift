import Foundation
import GRDB
import Testing
import WaihuCore
@testable import WaihuStore

@Suite("Caller-number import into SQLite")
struct CallerNumberImportStoreTests {
    /// 10,000 data rows; every 100th row is broken in one of ten ways. Returns the file and the bad lines.
    static func largeFile() -> (csv: String, badLines: [Int: String]) {
        let breakages: [(String) -> String] = [
            { _ in "1380013800,service,F-1" },  // 10 digits
            { _ in "12345,service,F-2" },  // short service number
            { row in "\(row),sales,F-3" },  // unknown purpose
            { row in "\(row),service," },  // no filing reference
            { _ in "17012345678,marketing,F-5" },  // RULES P8
            { row in "\(row),service,F-6,,on hold" },  // unknown status
            { row in "\(row),service,F-7,,,many" },  // cap not a number
            { row in "\(row),service,F-8,,,,surplus" },  // too many fields
            { _ in "0265888123,service,F-9" },  // unknown area code
            { row in "\"\(row),service,F-10" },  // unclosed quote
        ]
        var lines = ["number,purpose,filing_ref,display_name,status,daily_cap"]
        var bad: [Int: String] = [:]
        for index in 0..<10_000 {
            let line = index + 2
            let mobile = "1391\(String(format: "%07d", index))"
            if index % 100 == 99 {
                let breakage = breakages[(index / 100) % breakages.count]
                lines.append(breakage(mobile))
                bad[line] = lines.last
            } else if index % 3 == 0 {
                lines.append("0755-8\(String(format: "%07d", index)),service,SZ-\(index),示例银行,active,20")
            } else {
                lines.append("\(mobile),\(index % 2 == 0 ? "marketing" : "service"),F-\(index),,,")
            }
        }
        return (lines.joined(separator: "\r\n") + "\r\n", bad)
    }

    @Test("10,000 rows with 1% bad: good rows land, each bad row is reported with line and reason, a second import changes nothing")
    func largeImport() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.remove() }
        let (csv, badLines) = Self.largeFile()
        let bytes = [0xEF, 0xBB, 0xBF] + Array(csv.utf8)
        #expect(badLines.count == 100)

        let first = try await temporary.store.importCSV(bytes, directory: directory, policy: policy, at: t0, actor: "test")
        #expect(first.rows == 10_000)
        #expect(first.created == 9_900)
        #expect(first.rejected == 100)
        #expect(first.problems.map(\.line) == badLines.keys.sorted())
        #expect(first.problems.allSatisfy { !$0.reason.isEmpty })
        #expect(first.problems.first { $0.line == 101 }?.reason.contains("11 digits") == true)
        #expect(first.problems.first { $0.line == 501 }?.reason.contains("RULES P8") == true)
        #expect(first.problems.first { $0.line == 1001 }?.reason.contains("opens a quote on line 1001") == true)
        #expect(first.problems.first { $0.line == 10001 }?.reason.contains("never closed") == true)

        let counts = try await Self.counts(temporary.store)
        #expect(counts.numbers == 9_900)
        #expect(counts.events == 9_900)

        let second = try await temporary.store.importCSV(bytes, directory: directory, policy: policy, at: t0 + 3600, actor: "test")
        #expect(second.created == 0)
        #expect(second.updated == 0)
        #expect(second.unchanged == 9_900)
        #expect(second.rejected == 100)
        #expect(try await Self.counts(temporary.store) == counts)
    }

    @Test("a re-import updates descriptive fields but never status or sub-pool, and keeps earlier rows")
    func reimportRules() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.remove() }
        let store = temporary.store
        let header = "number,purpose,filing_ref,display_name,status\n"
        _ = try await store.importCSV(Array((header + "13800138000,service,A,,active\n13900139000,service,B,,active\n").utf8),
                                      directory: directory, policy: policy, at: t0, actor: "test")
        _ = try await store.change(directory.parse("13900139000"), CallerNumberChange(status: .suspended, reason: "P9"),
                                   policy: policy, at: t0 + 1, actor: "test")
        let report = try await store.importCSV(
            Array((header + "13800138000,service,A-2,新名片,\n13900139000,service,B,,active\n13700137000,marketing,C,,\n").utf8),
            directory: directory, policy: policy, at: t0 + 2, actor: "test")
        #expect(report.updated == 1)
        #expect(report.created == 1)
        #expect(report.rejected == 1)
        #expect(report.problems.first?.line == 3)
        #expect(report.problems.first?.reason.contains("never changes a number's status") == true)
        let renamed = try #require(try await store.callerNumber(directory.parse("13800138000")))
        #expect(renamed.filingReference == "A-2")
        #expect(renamed.displayName == "新名片")
        #expect(try await store.callerNumber(directory.parse("13900139000"))?.status == .suspended)
        let history = try await store.history(of: renamed.number)
        #expect(history.map(\.field) == ["created", "display_name", "filing_ref"])
        #expect(history.last?.actor == "test")
    }

    static func counts(_ store: SQLiteStore) async throws -> Counts {
        try await store.database.read { db in
            Counts(
                numbers: try Int.fetchOne(db, sql: "SELECT count(*) FROM caller_number")!,
                events: try Int.fetchOne(db, sql: "SELECT count(*) FROM caller_number_event")!,
                lastUpdate: try Date.fetchOne(db, sql: "SELECT max(updated_at) FROM caller_number"))
        }
    }

    struct Counts: Equatable {
        let numbers: Int
        let events: Int
        let lastUpdate: Date?
    }
}
