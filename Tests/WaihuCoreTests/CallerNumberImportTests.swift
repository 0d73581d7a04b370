import Foundation
import Testing
@testable import WaihuCore

@Suite("Caller-number import")
struct CallerNumberImportTests {
    let policy = PoolPolicy()

    func read(_ text: String) throws -> (rows: [CallerNumberImportRow], report: ImportReport) {
        try CallerNumberCSV.read(Array(text.utf8), directory: directory, policy: policy)
    }

    @Test("good rows are drafted with defaults from the policy; bad rows carry line, field and reason")
    func rows() throws {
        let (rows, report) = try read("""
            number,purpose,filing_ref,display_name,status,daily_cap
            010-5888-1234,service,BJ-2024-001,平安银行,active,15
            13800138000,marketing,BJ-2024-002,,,
            17012345678,marketing,BJ-2024-003,,,
            12345,service,X,,,
            13900139000,sales-ish,X,,,
            13900139001,service,,,,
            13900139002,service,X,,paused,
            13900139003,service,X,,,lots
            13900139004,service,X,,,0
            0755-8888-1234,营销,SZ-1,,启用,20
            13900139005,service,X,,,,extra
            """)
        #expect(rows.map(\.line) == [2, 3, 11])
        #expect(rows[0].draft.status == .active)
        #expect(rows[0].draft.dailyCap == 15)
        #expect(rows[0].draft.displayName == "平安银行")
        #expect(rows[1].draft.status == .warming)  // RULES P14: new numbers warm up
        #expect(rows[1].draft.dailyCap == 20)  // RULES P3
        #expect(rows[1].draft.displayName == nil)
        #expect(rows[2].draft.purpose == .marketing)
        #expect(rows[2].draft.status == .active)
        #expect(report.rows == 11)
        #expect(report.rejected == 8)
        #expect(report.problems.map(\.line) == [4, 5, 6, 7, 8, 9, 10, 12])
        #expect(report.problems.map(\.field) == ["number", "number", "purpose", "filing_ref", "status", "daily_cap", "daily_cap", nil])
        #expect(report.problems[0].reason.contains("RULES P8"))
        #expect(report.problems[1].reason.contains("short service number"))
        #expect(report.problems[7].reason.contains("7 fields but the header has 6"))
    }

    @Test("Chinese headers, tabs and any column order")
    func chineseHeaders() throws {
        let (rows, report) = try read("用途\t号码\t备案号\n服务\t13800138000\tA-1\n")
        #expect(report.rejected == 0)
        #expect(rows.first?.draft.info.e164 == "+8613800138000")
        #expect(rows.first?.draft.purpose == .service)
    }

    @Test("a file that cannot be imported as a whole says why")
    func fileErrors() {
        #expect(throws: ImportFileError.self) { try read("") }
        #expect { try read("number,purpose\n13800138000,service\n") } throws: { error in
            "\(error)".contains("no 'filing_ref' column")
        }
        #expect { try read("number,purpose,filing_ref,colour\n") } throws: { error in
            "\(error)".contains("unknown column 'colour'")
        }
        #expect { try read("number,号码,purpose,filing_ref\n") } throws: { error in
            "\(error)".contains("appears twice")
        }
    }

    @Test("the same number twice in one file: identical is unchanged, different is rejected")
    func duplicatesInFile() throws {
        let (rows, report) = try read("""
            number,purpose,filing_ref
            13800138000,service,A
            138-0013-8000,service,A
            +8613800138000,marketing,A
            """)
        #expect(rows.count == 1)
        #expect(report.unchanged == 1)
        #expect(report.problems.map(\.line) == [4])
        #expect(report.problems.first?.reason.contains("line 2") == true)
    }

    @Test("import decisions never move a number between sub-pools or change its status")
    func decisions() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let (rows, _) = try read("""
            number,purpose,filing_ref,display_name,status
            13800138000,service,A,Name,active
            13900139000,marketing,B,,
            """)
        let existing = rows[0].draft.callerNumber(at: now)
        #expect(CallerNumberCSV.decide(rows[0], existing: nil, policy: policy, at: now) == .create(existing))
        #expect(CallerNumberCSV.decide(rows[0], existing: existing, policy: policy, at: now) == .unchanged)

        var suspended = existing
        suspended.status = .suspended
        guard case let .reject(reason) = CallerNumberCSV.decide(rows[0], existing: suspended, policy: policy, at: now) else {
            Issue.record("a suspended number must not be reactivated by an import")
            return
        }
        #expect(reason.contains("never changes a number's status"))

        var service = rows[1].draft.callerNumber(at: now)
        service.purpose = .service
        guard case .reject = CallerNumberCSV.decide(rows[1], existing: service, policy: policy, at: now) else {
            Issue.record("an import must not move a number between sub-pools")
            return
        }
        // Without a status column, the stored status is kept and only descriptive fields update.
        var renamed = rows[1].draft.callerNumber(at: now)
        renamed.status = .active
        renamed.filingReference = "OLD"
        guard case let .update(updated) = CallerNumberCSV.decide(rows[1], existing: renamed, policy: policy, at: now.addingTimeInterval(60)) else {
            Issue.record("a new filing reference should update the number")
            return
        }
        #expect(updated.status == .active)
        #expect(updated.filingReference == "B")
        #expect(updated.updatedAt == now.addingTimeInterval(60))
    }

    @Test("changes follow the pool rules")
    func changes() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let virtual = try CallerNumberDraft(
            info: directory.lookup("17012345678"), purpose: .service, filingReference: "V", displayName: nil,
            status: .active, dailyCap: nil, policy: policy).callerNumber(at: now)
        #expect(throws: CallerNumberError.virtualNumberForMarketing("+8617012345678")) {
            try CallerNumberChange(purpose: .marketing).applied(to: virtual, policy: policy, at: now)
        }
        var lenient = policy
        lenient.allowVirtualForMarketing = true
        #expect(try CallerNumberChange(purpose: .marketing).applied(to: virtual, policy: lenient, at: now).purpose == .marketing)

        var retired = virtual
        retired.status = .retired
        #expect(throws: CallerNumberError.retiredIsFinal("+8617012345678")) {
            try CallerNumberChange(status: .active).applied(to: retired, policy: policy, at: now)
        }
        #expect(throws: CallerNumberError.dailyCapOutOfRange(0, maximum: 200)) {
            try CallerNumberChange(dailyCap: 0).applied(to: virtual, policy: policy, at: now)
        }
        #expect(throws: CallerNumberError.missingFilingReference) {
            try CallerNumberChange(filingReference: "  ").applied(to: virtual, policy: policy, at: now)
        }
        let renamed = try CallerNumberChange(displayName: .some("  ")).applied(to: virtual, policy: policy, at: now)
        #expect(renamed.displayName == nil)

        let changed = try CallerNumberChange(status: .standby, dailyCap: 15).applied(to: virtual, policy: policy, at: now + 5)
        let events = CallerNumberEvent.changes(from: virtual, to: changed, at: now + 5, actor: "api", reason: "test")
        #expect(events.map(\.field) == ["status", "daily_cap"])
        #expect(events.map(\.oldValue) == ["active", "20"])
        #expect(events.map(\.newValue) == ["standby", "15"])
    }

    @Test("caller numbers must be mainland numbers")
    func mainlandOnly() throws {
        #expect(throws: CallerNumberError.notMainland("+85221234567")) {
            try CallerNumberDraft(
                info: directory.lookup("+852 2123 4567"), purpose: .service, filingReference: "X", displayName: nil,
                status: nil, dailyCap: nil, policy: policy)
        }
    }
}
