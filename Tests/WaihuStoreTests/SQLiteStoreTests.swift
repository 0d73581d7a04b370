import Foundation
import GRDB
import Testing
import WaihuCore
@testable import WaihuStore

/// A store in a fresh SQLite file, removed after the test.
struct TemporaryStore {
    let folder: URL
    let path: String
    let store: SQLiteStore

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("waihu-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        path = folder.appendingPathComponent("waihu.sqlite").path
        store = try SQLiteStore(path: path)
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}

let directory = PhoneDirectory.bundled
let policy = PoolPolicy()
let t0 = Date(timeIntervalSince1970: 1_795_000_000)

func draft(_ number: String, _ purpose: NumberPurpose = .service, status: CallerNumberStatus? = .active, cap: Int? = nil) throws -> CallerNumberDraft {
    try CallerNumberDraft(
        info: directory.lookup(number), purpose: purpose, filingReference: "F-\(number)", displayName: nil,
        status: status, dailyCap: cap, policy: policy)
}

@Suite("SQLite store")
struct SQLiteStoreTests {
    @Test("a number is stored with everything derived from its digits, and survives reopening the file")
    func roundTrip() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.remove() }
        let added = try await temporary.store.add(draft("0755-8888-1234"), policy: policy, at: t0, actor: "test")
        #expect(added.province?.name == "广东")
        let reopened = try SQLiteStore(path: temporary.path)
        let stored = try #require(try await reopened.callerNumber(directory.parse("+8675588881234")))
        #expect(stored == added)
        #expect(stored.kind == .fixedLine)
        #expect(stored.city == "深圳")
        #expect(stored.areaCode == "0755")
        #expect(stored.regionGroup == .south)
        #expect(stored.dailyCap == 20)
        #expect(stored.createdAt == t0)
        #expect(try await reopened.history(of: stored.number).map(\.field) == ["created"])
    }

    @Test("adding a number twice is refused")
    func duplicate() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.remove() }
        _ = try await temporary.store.add(draft("13800138000"), policy: policy, at: t0, actor: "test")
        await #expect(throws: CallerNumberError.alreadyExists("+8613800138000")) {
            try await temporary.store.add(draft("+86 138 0013 8000"), policy: policy, at: t0, actor: "test")
        }
    }

    @Test("the schema itself refuses broken rows, whatever code writes them")
    func schemaInvariants() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.remove() }
        let insert = """
            INSERT INTO caller_number (e164, kind, purpose, filing_ref, status, daily_cap, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, '2026-01-01', '2026-01-01')
            """
        func attempt(_ arguments: StatementArguments) async -> (any Error)? {
            do {
                try await temporary.store.database.write { db in try db.execute(sql: insert, arguments: arguments) }
                return nil
            } catch {
                return error
            }
        }
        // RULES P8: a virtual-operator number for marketing.
        #expect(await attempt(["+8617012345678", "virtual_operator", "marketing", "F", "active", 20]) != nil)
        // A filing reference is required (RULES P8).
        #expect(await attempt(["+8613800138000", "mobile", "service", "  ", "active", 20]) != nil)
        // Enums are checked.
        #expect(await attempt(["+8613800138000", "mobile", "sales", "F", "active", 20]) != nil)
        #expect(await attempt(["+8613800138000", "mobile", "service", "F", "paused", 20]) != nil)
        // Caps are positive; numbers are E.164 of mainland China.
        #expect(await attempt(["+8613800138000", "mobile", "service", "F", "active", 0]) != nil)
        #expect(await attempt(["13800138000", "mobile", "service", "F", "active", 20]) != nil)
        // A good row passes, and the same number cannot be stored twice.
        #expect(await attempt(["+8613800138000", "mobile", "service", "F", "active", 20]) == nil)
        #expect(await attempt(["+8613800138000", "mobile", "service", "F", "active", 20]) != nil)
        // RULES P13: a retired number never returns.
        try await temporary.store.database.write { db in
            try db.execute(sql: "UPDATE caller_number SET status = 'retired' WHERE e164 = '+8613800138000'")
        }
        await #expect(throws: DatabaseError.self) {
            try await temporary.store.database.write { db in
                try db.execute(sql: "UPDATE caller_number SET status = 'active' WHERE e164 = '+8613800138000'")
            }
        }
    }

    @Test("a change is applied in one transaction and each changed field lands in the history")
    func changeAndHistory() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.remove() }
        let number = try directory.parse("13800138000")
        _ = try await temporary.store.add(draft("13800138000", .marketing), policy: policy, at: t0, actor: "test")
        let changed = try await temporary.store.change(
            number, CallerNumberChange(status: .resting, dailyCap: 15, reason: "connect rate down"),
            policy: policy, at: t0 + 60, actor: "api")
        #expect(changed.status == .resting)
        #expect(changed.dailyCap == 15)
        #expect(changed.updatedAt == t0 + 60)
        #expect(try await temporary.store.callerNumber(number) == changed)
        let history = try await temporary.store.history(of: number)
        #expect(history.map(\.field) == ["created", "status", "daily_cap"])
        #expect(history[1].oldValue == "active")
        #expect(history[1].newValue == "resting")
        #expect(history[1].reason == "connect rate down")
        #expect(history[1].actor == "api")

        // A change that breaks a rule leaves the number as it was.
        _ = try await temporary.store.change(number, CallerNumberChange(status: .retired), policy: policy, at: t0 + 120, actor: "api")
        await #expect(throws: CallerNumberError.retiredIsFinal("+8613800138000")) {
            try await temporary.store.change(number, CallerNumberChange(status: .active), policy: policy, at: t0 + 180, actor: "api")
        }
        #expect(try await temporary.store.callerNumber(number)?.status == .retired)
        await #expect(throws: CallerNumberError.notFound("+8613900139000")) {
            try await temporary.store.change(directory.parse("13900139000"), CallerNumberChange(status: .active), policy: policy, at: t0, actor: "api")
        }
    }

    @Test("listing filters by status, purpose, province and region group, and pages by cursor")
    func listing() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.remove() }
        let numbers: [(String, NumberPurpose, CallerNumberStatus)] = [
            ("010-58001001", .service, .active), ("010-58001002", .service, .standby), ("020-83601001", .service, .active),
            ("0755-83201001", .marketing, .active), ("0755-83201002", .marketing, .suspended), ("0571-87001001", .service, .active),
            ("95566", .service, .active),
        ]
        for (number, purpose, status) in numbers {
            _ = try await temporary.store.add(draft(number, purpose, status: status), policy: policy, at: t0, actor: "test")
        }
        let store = temporary.store
        #expect(try await store.callerNumbers(matching: .init()).total == 7)
        #expect(try await store.callerNumbers(matching: .init(statuses: [.active])).total == 5)
        #expect(try await store.callerNumbers(matching: .init(statuses: [.standby, .suspended])).total == 2)
        #expect(try await store.callerNumbers(matching: .init(purpose: .marketing)).total == 2)
        let guangdong = try await store.callerNumbers(matching: .init(province: Province(parsing: "广东")))
        #expect(guangdong.items.map(\.number.e164) == ["+862083601001", "+8675583201001", "+8675583201002"])
        #expect(try await store.callerNumbers(matching: .init(regionGroup: .east)).items.map(\.city) == ["杭州"])
        #expect(try await store.callerNumbers(matching: .init(statuses: [.active], purpose: .service, province: Province(parsing: "北京"))).total == 1)

        var seen: [String] = []
        var cursor: String?
        repeat {
            let page = try await store.callerNumbers(matching: .init(after: cursor, limit: 3))
            #expect(page.total == 7)
            #expect(page.items.count <= 3)
            seen += page.items.map(\.number.e164)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen == seen.sorted())
        #expect(Set(seen).count == 7)
    }
}
