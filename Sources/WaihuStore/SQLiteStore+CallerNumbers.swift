import Foundation
import GRDB
import WaihuCore

extension SQLiteStore: CallerNumberStore {
    private static let columns = """
        id, e164, kind, carrier, province_code, city, area_code, purpose, filing_ref, display_name, status,
        daily_cap, created_at, updated_at
        """

    public func callerNumber(_ number: PhoneNumber) async throws -> CallerNumber? {
        try await database.read { db in
            try Self.fetch(db, number.e164).map { try self.callerNumber(from: $0) }
        }
    }

    public func callerNumbers(matching query: CallerNumberQuery) async throws -> CallerNumberPage {
        try await database.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if !query.statuses.isEmpty {
                conditions.append("status IN (\(query.statuses.map { _ in "?" }.joined(separator: ", ")))")
                for status in query.statuses { arguments += [status.rawValue] }
            }
            if let purpose = query.purpose {
                conditions.append("purpose = ?")
                arguments += [purpose.rawValue]
            }
            if let province = query.province {
                conditions.append("province_code = ?")
                arguments += [province.code]
            }
            if let group = query.regionGroup {
                conditions.append("region_group = ?")
                arguments += [group.rawValue]
            }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM caller_number \(filter)", arguments: arguments) ?? 0
            var pageConditions = conditions
            var pageArguments = arguments
            if let after = query.after {
                pageConditions.append("e164 > ?")
                pageArguments += [after]
            }
            let pageFilter = pageConditions.isEmpty ? "" : "WHERE " + pageConditions.joined(separator: " AND ")
            let limit = max(1, min(query.limit, 1000))
            let rows = try Row.fetchAll(
                db, sql: "SELECT \(Self.columns) FROM caller_number \(pageFilter) ORDER BY e164 LIMIT ?",
                arguments: pageArguments + [limit + 1])
            let items = try rows.prefix(limit).map { try self.callerNumber(from: $0) }
            return CallerNumberPage(
                items: items, total: total, nextCursor: rows.count > limit ? items.last?.number.e164 : nil)
        }
    }

    public func add(_ draft: CallerNumberDraft, policy: PoolPolicy, at now: Date, actor: String) async throws -> CallerNumber {
        let number = draft.callerNumber(at: now)
        return try await database.write { db in
            guard try Self.fetch(db, number.number.e164) == nil else {
                throw CallerNumberError.alreadyExists(number.number.e164)
            }
            try Self.insert(db, number, allowVirtualMarketing: policy.allowVirtualForMarketing, actor: actor, reason: nil)
            return number
        }
    }

    public func change(
        _ number: PhoneNumber, _ change: CallerNumberChange, policy: PoolPolicy, at now: Date, actor: String
    ) async throws -> CallerNumber {
        try await database.write { db in
            guard let row = try Self.fetch(db, number.e164) else { throw CallerNumberError.notFound(number.e164) }
            let current = try self.callerNumber(from: row)
            let changed = try change.applied(to: current, policy: policy, at: now)
            try Self.update(db, id: row["id"], from: current, to: changed, policy: policy, actor: actor, reason: change.reason)
            return changed
        }
    }

    public func importCallerNumbers(
        _ rows: [CallerNumberImportRow], policy: PoolPolicy, at now: Date, actor: String
    ) async throws -> [(line: Int, outcome: ImportOutcome, reason: String?)] {
        try await database.write { db in
            var results: [(line: Int, outcome: ImportOutcome, reason: String?)] = []
            results.reserveCapacity(rows.count)
            for row in rows {
                let stored = try Self.fetch(db, row.draft.info.e164)
                let existing = try stored.map { try self.callerNumber(from: $0) }
                switch CallerNumberCSV.decide(row, existing: existing, policy: policy, at: now) {
                case let .create(number):
                    try Self.insert(db, number, allowVirtualMarketing: policy.allowVirtualForMarketing,
                                    actor: actor, reason: "import line \(row.line)")
                    results.append((row.line, .created, nil))
                case let .update(number):
                    try Self.update(db, id: stored!["id"], from: existing!, to: number, policy: policy,
                                    actor: actor, reason: "import line \(row.line)")
                    results.append((row.line, .updated, nil))
                case .unchanged:
                    results.append((row.line, .unchanged, nil))
                case let .reject(reason):
                    results.append((row.line, .rejected, reason))
                }
            }
            return results
        }
    }

    public func history(of number: PhoneNumber) async throws -> [CallerNumberEvent] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT e.field, e.old_value, e.new_value, e.at, e.actor, e.reason
                FROM caller_number_event e JOIN caller_number n ON n.id = e.caller_number_id
                WHERE n.e164 = ? ORDER BY e.id
                """, arguments: [number.e164]).map { row in
                CallerNumberEvent(
                    field: row["field"], oldValue: row["old_value"], newValue: row["new_value"], at: row["at"],
                    actor: row["actor"], reason: row["reason"])
            }
        }
    }

    public func checkHealth() async throws {
        _ = try await database.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    // MARK: - Rows

    private static func fetch(_ db: Database, _ e164: String) throws -> Row? {
        try Row.fetchOne(db, sql: "SELECT \(columns) FROM caller_number WHERE e164 = ?", arguments: [e164])
    }

    private static func insert(_ db: Database, _ number: CallerNumber, allowVirtualMarketing: Bool, actor: String, reason: String?) throws {
        try db.execute(sql: """
            INSERT INTO caller_number (e164, kind, carrier, province_code, city, area_code, region_group, purpose,
                filing_ref, display_name, status, daily_cap, created_at, updated_at, allow_virtual_marketing)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [
                number.number.e164, number.kind.rawValue, number.carrier, number.province?.code, number.city,
                number.areaCode, number.regionGroup?.rawValue, number.purpose.rawValue, number.filingReference,
                number.displayName, number.status.rawValue, number.dailyCap, number.createdAt, number.updatedAt,
                allowVirtualMarketing,
            ])
        try db.execute(sql: """
            INSERT INTO caller_number_event (caller_number_id, at, field, old_value, new_value, actor, reason)
            VALUES (?, ?, 'created', NULL, ?, ?, ?)
            """, arguments: [db.lastInsertedRowID, number.createdAt, number.status.rawValue, actor, reason])
        if number.status == .warming {
            try db.execute(sql: "UPDATE caller_number SET warming_since = ? WHERE id = ?", arguments: [number.createdAt, db.lastInsertedRowID])
        }
    }

    private static func update(
        _ db: Database, id: Int64, from old: CallerNumber, to new: CallerNumber, policy: PoolPolicy, actor: String,
        reason: String?
    ) throws {
        let events = CallerNumberEvent.changes(from: old, to: new, at: new.updatedAt, actor: actor, reason: reason)
        guard !events.isEmpty else { return }
        try db.execute(sql: """
            UPDATE caller_number SET purpose = ?, filing_ref = ?, display_name = ?, status = ?, daily_cap = ?,
                updated_at = ?, allow_virtual_marketing = ?
            WHERE id = ?
            """, arguments: [
                new.purpose.rawValue, new.filingReference, new.displayName, new.status.rawValue, new.dailyCap,
                new.updatedAt, policy.allowVirtualForMarketing, id,
            ])
        for event in events {
            try db.execute(sql: """
                INSERT INTO caller_number_event (caller_number_id, at, field, old_value, new_value, actor, reason)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, event.at, event.field, event.oldValue, event.newValue, event.actor, event.reason])
        }
        // Warm-up counts from the day a number starts warming (RULES P14).
        if old.status != new.status && new.status == .warming {
            try db.execute(sql: "UPDATE caller_number SET warming_since = ? WHERE id = ?", arguments: [new.updatedAt, id])
        }
    }

    private func callerNumber(from row: Row) throws -> CallerNumber {
        let e164: String = row["e164"]
        guard let kind = PhoneNumberKind(rawValue: row["kind"]),
              let number = PhoneNumber(restoring: e164, kind: kind, directory: directory),
              let purpose = NumberPurpose(rawValue: row["purpose"]),
              let status = CallerNumberStatus(rawValue: row["status"]) else {
            throw StoreCorruptionError(description: "caller_number row \(e164) holds values waihu does not know")
        }
        let provinceCode: Int? = row["province_code"]
        return CallerNumber(
            number: number, carrier: row["carrier"], province: provinceCode.flatMap(Province.init(code:)),
            city: row["city"], areaCode: row["area_code"], purpose: purpose, filingReference: row["filing_ref"],
            displayName: row["display_name"], status: status, dailyCap: row["daily_cap"],
            createdAt: row["created_at"], updatedAt: row["updated_at"])
    }
}
