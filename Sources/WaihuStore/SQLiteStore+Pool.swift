import Foundation
import GRDB
import WaihuCore

extension SQLiteStore {
    /// RULES P4–P15: evaluation state on each number, durable usage leases, marks, appeals, agents, and the
    /// attribution of attempts (agent, campaign, SIP status) and complaints (caller number).
    static func registerPoolMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3 pool intelligence") { db in
            try db.execute(sql: """
                ALTER TABLE caller_number ADD COLUMN warming_since DATETIME;
                ALTER TABLE caller_number ADD COLUMN resting_until DATETIME;
                ALTER TABLE caller_number ADD COLUMN throttled_day INTEGER;
                ALTER TABLE caller_number ADD COLUMN throttle_cap INTEGER CHECK (throttle_cap IS NULL OR throttle_cap > 0);
                ALTER TABLE caller_number ADD COLUMN flagged_at DATETIME;
                ALTER TABLE caller_number ADD COLUMN flag_reason TEXT;
                ALTER TABLE caller_number ADD COLUMN last_review_at DATETIME;
                ALTER TABLE caller_number ADD COLUMN health INTEGER NOT NULL DEFAULT 100 CHECK (health BETWEEN 0 AND 100);
                ALTER TABLE caller_number ADD COLUMN health_deductions TEXT NOT NULL DEFAULT '{}';
                UPDATE caller_number SET warming_since = created_at WHERE status = 'warming';

                -- The history records every change the pool makes, not only the operator's.
                CREATE TABLE caller_number_event_v3 (
                    id INTEGER PRIMARY KEY,
                    caller_number_id INTEGER NOT NULL REFERENCES caller_number(id) ON DELETE RESTRICT,
                    at DATETIME NOT NULL,
                    field TEXT NOT NULL CHECK (field IN ('created', 'status', 'purpose', 'daily_cap', 'display_name',
                        'filing_ref', 'flag', 'throttle', 'review', 'appeal', 'health')),
                    old_value TEXT,
                    new_value TEXT,
                    actor TEXT NOT NULL CHECK (length(actor) > 0),
                    reason TEXT
                );
                INSERT INTO caller_number_event_v3 SELECT * FROM caller_number_event;
                DROP TABLE caller_number_event;
                ALTER TABLE caller_number_event_v3 RENAME TO caller_number_event;
                CREATE INDEX caller_number_event_by_number ON caller_number_event(caller_number_id, id);

                CREATE TABLE number_lease (
                    caller_number_id INTEGER NOT NULL REFERENCES caller_number(id),
                    day INTEGER NOT NULL,
                    leased INTEGER NOT NULL CHECK (leased >= 0),
                    PRIMARY KEY (caller_number_id, day)
                ) WITHOUT ROWID;
                -- RULES P3: no lease, written by any code, exceeds the number's daily cap.
                CREATE TRIGGER number_lease_within_cap_insert BEFORE INSERT ON number_lease
                WHEN NEW.leased > (SELECT daily_cap FROM caller_number WHERE id = NEW.caller_number_id)
                BEGIN SELECT RAISE(ABORT, 'a lease may not exceed the number''s daily cap'); END;
                CREATE TRIGGER number_lease_within_cap_update BEFORE UPDATE ON number_lease
                WHEN NEW.leased > (SELECT daily_cap FROM caller_number WHERE id = NEW.caller_number_id)
                BEGIN SELECT RAISE(ABORT, 'a lease may not exceed the number''s daily cap'); END;

                CREATE TABLE mark_observation (
                    id INTEGER PRIMARY KEY,
                    caller_number_id INTEGER NOT NULL REFERENCES caller_number(id),
                    platform TEXT NOT NULL CHECK (platform IN ('360', 'tencent', 'baidu', 'sogou', 'huawei', 'xiaomi', 'other')),
                    kind TEXT NOT NULL CHECK (kind IN ('harassment', 'sales', 'fraud', 'other')),
                    count INTEGER NOT NULL CHECK (count >= 0),
                    observed_at DATETIME NOT NULL,
                    source TEXT NOT NULL CHECK (length(source) > 0),
                    recorded_at DATETIME NOT NULL
                );
                CREATE INDEX mark_observation_by_number ON mark_observation(caller_number_id, platform, kind, observed_at);

                CREATE TABLE appeal (
                    id INTEGER PRIMARY KEY,
                    caller_number_id INTEGER NOT NULL REFERENCES caller_number(id),
                    platform TEXT NOT NULL CHECK (platform IN ('360', 'tencent', 'baidu', 'sogou', 'huawei', 'xiaomi', 'other')),
                    state TEXT NOT NULL CHECK (state IN ('draft', 'submitted', 'accepted', 'rejected')),
                    urgent BOOLEAN NOT NULL,
                    reason TEXT NOT NULL,
                    opened_at DATETIME NOT NULL,
                    submitted_at DATETIME,
                    due_at DATETIME,
                    decided_at DATETIME,
                    note TEXT,
                    CHECK ((state = 'draft') = (submitted_at IS NULL)),
                    CHECK ((state IN ('accepted', 'rejected')) = (decided_at IS NOT NULL))
                );
                -- One open appeal per number and platform.
                CREATE UNIQUE INDEX appeal_open ON appeal(caller_number_id, platform) WHERE state IN ('draft', 'submitted');

                CREATE TABLE agent (
                    id TEXT PRIMARY KEY CHECK (length(id) > 0),
                    name TEXT,
                    trained BOOLEAN NOT NULL,
                    updated_at DATETIME NOT NULL
                );

                ALTER TABLE call_attempt ADD COLUMN agent TEXT;
                ALTER TABLE call_attempt ADD COLUMN campaign TEXT;
                ALTER TABLE call_attempt ADD COLUMN sip_status INTEGER CHECK (sip_status IS NULL OR sip_status BETWEEN 100 AND 699);
                CREATE INDEX call_attempt_by_agent ON call_attempt(agent, started_at) WHERE agent IS NOT NULL;
                ALTER TABLE dnc_entry ADD COLUMN caller TEXT CHECK (caller IS NULL OR caller GLOB '+[1-9]*');
                """)
        }
    }
}

extension SQLiteStore: PoolStore {
    // MARK: - Selection

    public func selectorSeed(day: Int64, stickySince: Date?, policy: PoolPolicy) async throws -> SelectorSeed {
        var all: [CallerNumber] = []
        var cursor: String?
        repeat {
            let page = try await callerNumbers(matching: CallerNumberQuery(after: cursor, limit: 1000))
            all += page.items
            cursor = page.nextCursor
        } while cursor != nil
        let pool = all
        let states = try await numberStates()
        let dayStart = CalleeZone.china.moment(day: day, secondOfDay: 0).seconds
        return try await database.read { db in
            var seed = SelectorSeed(day: day)
            var leases: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT n.e164, l.leased FROM number_lease l JOIN caller_number n ON n.id = l.caller_number_id WHERE l.day = ?
                """, arguments: [day]) {
                leases[row[0]] = row[1]
            }
            var dialled: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT caller, count(*) FROM call_attempt WHERE started_at >= ? GROUP BY caller",
                                        arguments: [dayStart]) {
                dialled[row[0]] = row[1]
            }
            for number in pool {
                let state = states[number.number] ?? NumberState()
                seed.numbers.append(SelectorSeed.Number(
                    number: number, health: state.health.score,
                    todayCap: Self.todayCap(number, state: state, day: day, policy: policy),
                    leasedToday: leases[number.number.e164] ?? 0, dialledToday: dialled[number.number.e164] ?? 0))
            }
            if let stickySince {
                let sticky = try Row.fetchCursor(db, sql: """
                    SELECT callee, caller FROM (
                        SELECT callee, caller, row_number() OVER (PARTITION BY callee ORDER BY started_at DESC) AS position
                        FROM call_attempt WHERE started_at >= ?)
                    WHERE position = 1
                    """, arguments: [Timestamp(stickySince).seconds])
                while let row = try sticky.next() {
                    if let caller = UInt64((row[1] as String).dropFirst()) { seed.lastCaller.append((UInt64(row[0] as Int64), caller)) }
                }
            }
            for row in try Row.fetchAll(db, sql: "SELECT id, trained FROM agent") { seed.agents[row[0]] = row[1] }
            return seed
        }
    }

    /// Today's cap: warm-up ramp (RULES P14), throttling (P4), never above the daily cap (P3).
    static func todayCap(_ number: CallerNumber, state: NumberState, day: Int64, policy: PoolPolicy) -> Int {
        var cap = number.dailyCap
        if number.status == .warming {
            let since = state.warmingSince.map { CalleeZone.china.localDay(at: Timestamp($0)) } ?? day
            cap = min(cap, policy.warmupCap(onDay: Int(day - since)))
        }
        if state.throttledDay == day, let throttled = state.throttleCap { cap = min(cap, throttled) }
        return cap
    }

    public func writeLeases(_ leases: [LeaseRequest]) async throws {
        try await database.write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT INTO number_lease (caller_number_id, day, leased)
                SELECT id, ?, ? FROM caller_number WHERE e164 = ?
                ON CONFLICT (caller_number_id, day) DO UPDATE SET leased = max(leased, excluded.leased)
                """)
            for lease in leases { try statement.execute(arguments: [lease.day, lease.leased, lease.number.e164]) }
        }
    }

    // MARK: - Marks

    public func recordMarks(_ marks: [MarkObservation], recordedAt: Date) async throws {
        try await database.write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT INTO mark_observation (caller_number_id, platform, kind, count, observed_at, source, recorded_at)
                SELECT id, ?, ?, ?, ?, ?, ? FROM caller_number WHERE e164 = ?
                """)
            for mark in marks {
                try statement.execute(arguments: [
                    mark.platform.rawValue, mark.kind.rawValue, mark.count, mark.observedAt, mark.source, recordedAt, mark.number.e164,
                ])
                if db.changesCount == 0 { throw PoolInputError.notInPool(mark.number.e164) }
            }
        }
    }

    public func marks(of number: PhoneNumber) async throws -> [MarkObservation] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT m.platform, m.kind, m.count, m.observed_at, m.source FROM mark_observation m
                JOIN caller_number n ON n.id = m.caller_number_id WHERE n.e164 = ? ORDER BY m.observed_at, m.id
                """, arguments: [number.e164]).compactMap { row in
                guard let platform = MarkPlatform(rawValue: row[0]), let kind = MarkKind(rawValue: row[1]) else { return nil }
                return try? MarkObservation(number: number, platform: platform, kind: kind, count: row[2], observedAt: row[3], source: row[4])
            }
        }
    }

    public func markSummaries() async throws -> [PhoneNumber: MarkSummary] {
        try await database.read { db in
            var summaries: [PhoneNumber: MarkSummary] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT n.e164, n.kind, m.platform, m.kind, m.count FROM (
                    SELECT caller_number_id, platform, kind, count,
                        row_number() OVER (PARTITION BY caller_number_id, platform, kind ORDER BY observed_at DESC, id DESC) AS position
                    FROM mark_observation) m
                JOIN caller_number n ON n.id = m.caller_number_id WHERE m.position = 1
                """)
            while let row = try rows.next() {
                guard let kind = PhoneNumberKind(rawValue: row[1]), let number = PhoneNumber(restoring: row[0], kind: kind, directory: directory),
                      let platform = MarkPlatform(rawValue: row[2]), let markKind = MarkKind(rawValue: row[3]) else { continue }
                let count: Int = row[4]
                if count > 0 { summaries[number, default: MarkSummary()].counts[platform, default: [:]][markKind] = count }
            }
            return summaries
        }
    }

    // MARK: - Signals

    public func dailyStats(sinceDay: Int64, shortCallSeconds: Int) async throws -> [PhoneNumber: [DailyStats]] {
        let since = CalleeZone.china.moment(day: sinceDay, secondOfDay: 0).seconds
        return try await database.read { db in
            var stats: [String: [DailyStats]] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT caller, (started_at + 28800) / 86400 AS day, count(*),
                    sum(outcome = 'answered'), sum(outcome = 'answered' AND duration_seconds < ?), sum(outcome = 'declined')
                FROM call_attempt WHERE started_at >= ? AND outcome <> 'pending'
                GROUP BY caller, day ORDER BY caller, day
                """, arguments: [shortCallSeconds, since])
            while let row = try rows.next() {
                stats[row[0], default: []].append(DailyStats(day: row[1], attempts: row[2], answered: row[3], short: row[4], declined: row[5]))
            }
            return try self.byNumber(db, stats)
        }
    }

    public func complaintsByCaller(since: Date) async throws -> [PhoneNumber: Int] {
        try await database.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT caller, count(*) FROM dnc_entry WHERE reason = 'complaint' AND caller IS NOT NULL AND added_at >= ? GROUP BY caller
                """, arguments: [Timestamp(since).seconds]) {
                counts[row[0]] = row[1]
            }
            return try self.byNumber(db, counts)
        }
    }

    /// Keys E.164 texts of pool numbers as numbers (those not in the pool are left out).
    private func byNumber<Value>(_ db: Database, _ values: [String: Value]) throws -> [PhoneNumber: Value] {
        var result: [PhoneNumber: Value] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT e164, kind FROM caller_number") {
            let e164: String = row[0]
            guard let value = values[e164], let kind = PhoneNumberKind(rawValue: row[1]),
                  let number = PhoneNumber(restoring: e164, kind: kind, directory: directory) else { continue }
            result[number] = value
        }
        return result
    }

    private static let stateColumns = """
        e164, kind, warming_since, resting_until, throttled_day, throttle_cap, flagged_at, flag_reason, last_review_at, health,
        health_deductions
        """

    public func numberStates() async throws -> [PhoneNumber: NumberState] {
        try await database.read { db in
            var states: [PhoneNumber: NumberState] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT \(Self.stateColumns) FROM caller_number") {
                guard let kind = PhoneNumberKind(rawValue: row[1]),
                      let number = PhoneNumber(restoring: row[0], kind: kind, directory: directory) else { continue }
                states[number] = Self.numberState(row)
            }
            return states
        }
    }

    public func numberState(_ number: PhoneNumber) async throws -> NumberState? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.stateColumns) FROM caller_number WHERE e164 = ?", arguments: [number.e164])
                .map(Self.numberState)
        }
    }

    private static func numberState(_ row: Row) -> NumberState {
        let deductions = (try? JSONDecoder().decode([String: Int].self, from: Data((row[10] as String).utf8))) ?? [:]
        return NumberState(
            warmingSince: row[2], restingUntil: row[3], throttledDay: row[4], throttleCap: row[5], flaggedAt: row[6],
            flagReason: row[7], lastReviewAt: row[8], health: NumberHealth(score: row[9], deductions: deductions))
    }

    // MARK: - Actions

    public func apply(
        _ actions: [PoolAction], to number: PhoneNumber, health: NumberHealth, today: Int64, at now: Date, policy: PoolPolicy
    ) async throws {
        let deductions = String(decoding: try JSONEncoder().encode(health.deductions), as: UTF8.self)
        try await database.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT id, status, daily_cap, health FROM caller_number WHERE e164 = ?",
                                             arguments: [number.e164]) else { throw PoolInputError.notInPool(number.e164) }
            let id: Int64 = row[0]
            var status: String = row[1]
            func event(_ field: String, _ old: String?, _ new: String?, _ reason: String) throws {
                try db.execute(sql: """
                    INSERT INTO caller_number_event (caller_number_id, at, field, old_value, new_value, actor, reason)
                    VALUES (?, ?, ?, ?, ?, 'pool', ?)
                    """, arguments: [id, now, field, old, new, reason])
            }
            func setStatus(_ new: CallerNumberStatus, _ reason: String) throws {
                guard status != new.rawValue else { return }
                try db.execute(sql: "UPDATE caller_number SET status = ?, updated_at = ? WHERE id = ?", arguments: [new.rawValue, now, id])
                try event("status", status, new.rawValue, reason)
                status = new.rawValue
            }
            for action in actions {
                let rule = action.rule
                switch action {
                case let .suspend(_, reason):
                    try setStatus(.suspended, "\(rule): \(reason)")
                case .openUrgentAppeal:
                    break  // appeals are opened by the pool service, which reports them
                case let .flag(reason):
                    try db.execute(sql: "UPDATE caller_number SET flagged_at = ?, flag_reason = ? WHERE id = ?", arguments: [now, reason, id])
                    try event("flag", nil, "flagged", "\(rule): \(reason)")
                case let .throttle(cap, reason):
                    try db.execute(sql: "UPDATE caller_number SET throttled_day = ?, throttle_cap = ? WHERE id = ?", arguments: [today, cap, id])
                    try event("throttle", String(row[2] as Int), String(cap), "\(rule): \(reason)")
                case let .rest(untilDay, reason):
                    let until = CalleeZone.china.moment(day: untilDay, secondOfDay: 0).date
                    try db.execute(sql: "UPDATE caller_number SET resting_until = ? WHERE id = ?", arguments: [until, id])
                    try setStatus(.resting, "\(rule): \(reason); rests until \(CivilDate(dayNumber: untilDay))")
                case .activate:
                    try setStatus(.active, "\(rule): warm-up done, \(policy.warmupCleanDays) clean days")
                case .returnToStandby:
                    try db.execute(sql: "UPDATE caller_number SET resting_until = NULL WHERE id = ?", arguments: [id])
                    try setStatus(.standby, "\(rule): cool-down over")
                }
            }
            let oldHealth: Int = row[3]
            try db.execute(sql: "UPDATE caller_number SET health = ?, health_deductions = ? WHERE id = ?",
                           arguments: [health.score, deductions, id])
            if oldHealth != health.score { try event("health", String(oldHealth), String(health.score), "daily evaluation") }
        }
    }

    public func promoteStandby(replacing replaced: PhoneNumber, at now: Date) async throws -> PhoneNumber? {
        try await database.write { db in
            guard let old = try Row.fetchOne(db, sql: """
                SELECT purpose, region_group, province_code, city FROM caller_number WHERE e164 = ?
                """, arguments: [replaced.e164]) else { return nil }
            // Same purpose and region group (RULES P4, P5); the same city or province first, then the healthiest.
            guard let standby = try Row.fetchOne(db, sql: """
                SELECT id, e164, kind FROM caller_number
                WHERE status = 'standby' AND purpose = ? AND region_group IS ?
                ORDER BY (city IS ?) DESC, (province_code IS ?) DESC, health DESC, e164
                LIMIT 1
                """, arguments: [old[0], old[1], old[3], old[2]]) else { return nil }
            let id: Int64 = standby[0]
            try db.execute(sql: "UPDATE caller_number SET status = 'active', updated_at = ? WHERE id = ?", arguments: [now, id])
            try db.execute(sql: """
                INSERT INTO caller_number_event (caller_number_id, at, field, old_value, new_value, actor, reason)
                VALUES (?, ?, 'status', 'standby', 'active', 'pool', ?)
                """, arguments: [id, now, "P4: replaces \(replaced.e164), which rests"])
            guard let kind = PhoneNumberKind(rawValue: standby[2]) else { return nil }
            return PhoneNumber(restoring: standby[1], kind: kind, directory: directory)
        }
    }

    public func restedCount(since: Date) async throws -> Int {
        try await database.read { db in
            try Int.fetchOne(db, sql: """
                SELECT count(*) FROM caller_number_event WHERE field = 'status' AND new_value = 'resting' AND at >= ?
                """, arguments: [since]) ?? 0
        }
    }

    public func review(_ number: PhoneNumber, retire: Bool, reducedCap: Int, reason: String, at now: Date) async throws {
        try await database.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT id, status, daily_cap FROM caller_number WHERE e164 = ?", arguments: [number.e164])
            else { throw PoolInputError.notInPool(number.e164) }
            let id: Int64 = row[0]
            func event(_ field: String, _ old: String?, _ new: String?) throws {
                try db.execute(sql: """
                    INSERT INTO caller_number_event (caller_number_id, at, field, old_value, new_value, actor, reason)
                    VALUES (?, ?, ?, ?, ?, 'pool', ?)
                    """, arguments: [id, now, field, old, new, "P13: \(reason)"])
            }
            try db.execute(sql: "UPDATE caller_number SET last_review_at = ?, updated_at = ? WHERE id = ?", arguments: [now, now, id])
            if retire {
                try db.execute(sql: "UPDATE caller_number SET status = 'retired' WHERE id = ?", arguments: [id])
                try event("status", row[1], "retired")
            } else {
                let cap: Int = row[2]
                if cap > reducedCap {
                    try db.execute(sql: "UPDATE caller_number SET daily_cap = ? WHERE id = ?", arguments: [reducedCap, id])
                    try event("daily_cap", String(cap), String(reducedCap))
                }
                try event("review", nil, "kept")
            }
        }
    }

    // MARK: - Appeals

    public func openAppeal(number: PhoneNumber, platform: MarkPlatform, urgent: Bool, reason: String, at now: Date) async throws -> Appeal {
        try await database.write { db in
            guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM caller_number WHERE e164 = ?", arguments: [number.e164])
            else { throw PoolInputError.notInPool(number.e164) }
            let open = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM appeal WHERE caller_number_id = ? AND platform = ? AND state IN ('draft', 'submitted')
                """, arguments: [id, platform.rawValue]) ?? 0
            guard open == 0 else { throw PoolInputError.appealAlreadyOpen(number: number.e164, platform: platform) }
            try db.execute(sql: """
                INSERT INTO appeal (caller_number_id, platform, state, urgent, reason, opened_at) VALUES (?, ?, 'draft', ?, ?, ?)
                """, arguments: [id, platform.rawValue, urgent, reason, now])
            let appealId = db.lastInsertedRowID
            try db.execute(sql: """
                INSERT INTO caller_number_event (caller_number_id, at, field, old_value, new_value, actor, reason)
                VALUES (?, ?, 'appeal', NULL, ?, 'pool', ?)
                """, arguments: [id, now, "appeal \(appealId) with \(platform.rawValue) opened", reason])
            return Appeal(id: appealId, number: number, platform: platform, state: .draft, urgent: urgent, reason: reason,
                          openedAt: now, submittedAt: nil, dueAt: nil, decidedAt: nil, note: nil)
        }
    }

    public func appeals(of number: PhoneNumber?) async throws -> [Appeal] {
        try await database.read { db in
            let rows = if let number {
                try Row.fetchAll(db, sql: "\(Self.appealSelect) WHERE n.e164 = ? ORDER BY a.id", arguments: [number.e164])
            } else {
                try Row.fetchAll(db, sql: "\(Self.appealSelect) ORDER BY a.urgent DESC, a.id")
            }
            return rows.compactMap { self.appeal(from: $0) }
        }
    }

    public func appeal(id: Int64) async throws -> Appeal? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "\(Self.appealSelect) WHERE a.id = ?", arguments: [id]).flatMap { self.appeal(from: $0) }
        }
    }

    private static let appealSelect = """
        SELECT a.id, n.e164, n.kind, a.platform, a.state, a.urgent, a.reason, a.opened_at, a.submitted_at, a.due_at, a.decided_at, a.note
        FROM appeal a JOIN caller_number n ON n.id = a.caller_number_id
        """

    private func appeal(from row: Row) -> Appeal? {
        guard let kind = PhoneNumberKind(rawValue: row[2]), let number = PhoneNumber(restoring: row[1], kind: kind, directory: directory),
              let platform = MarkPlatform(rawValue: row[3]), let state = AppealState(rawValue: row[4]) else { return nil }
        return Appeal(id: row[0], number: number, platform: platform, state: state, urgent: row[5], reason: row[6], openedAt: row[7],
                      submittedAt: row[8], dueAt: row[9], decidedAt: row[10], note: row[11])
    }

    public func update(_ appeal: Appeal, at now: Date) async throws {
        try await database.write { db in
            try db.execute(sql: """
                UPDATE appeal SET state = ?, submitted_at = ?, due_at = ?, decided_at = ?, note = ? WHERE id = ?
                """, arguments: [appeal.state.rawValue, appeal.submittedAt, appeal.dueAt, appeal.decidedAt, appeal.note, appeal.id])
            guard db.changesCount == 1 else { throw PoolInputError.appealNotFound(appeal.id) }
            let numberId = try Int64.fetchOne(db, sql: "SELECT caller_number_id FROM appeal WHERE id = ?", arguments: [appeal.id])!
            try db.execute(sql: """
                INSERT INTO caller_number_event (caller_number_id, at, field, old_value, new_value, actor, reason)
                VALUES (?, ?, 'appeal', NULL, ?, 'api', ?)
                """, arguments: [numberId, now, "appeal \(appeal.id) \(appeal.state.rawValue)", appeal.note])
            if appeal.state == .accepted {
                // RULES P12: a successful appeal removes the platform's marks.
                for kind in MarkKind.allCases {
                    try db.execute(sql: """
                        INSERT INTO mark_observation (caller_number_id, platform, kind, count, observed_at, source, recorded_at)
                        VALUES (?, ?, ?, 0, ?, 'appeal', ?)
                        """, arguments: [numberId, appeal.platform.rawValue, kind.rawValue, now, now])
                }
            }
        }
    }

    public func consentShare(of number: PhoneNumber, since: Date) async throws -> (attempts: Int, withConsent: Int) {
        try await database.read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT count(*), coalesce(sum(EXISTS (
                    SELECT 1 FROM consent c
                    WHERE c.phone = '+' || a.callee AND c.scope = 'marketing' AND c.separate_consent
                    AND c.granted_at <= strftime('%Y-%m-%d %H:%M:%f', a.started_at, 'unixepoch')
                    AND (c.expires_at IS NULL OR c.expires_at > strftime('%Y-%m-%d %H:%M:%f', a.started_at, 'unixepoch'))
                    AND (c.revoked_at IS NULL OR c.revoked_at > strftime('%Y-%m-%d %H:%M:%f', a.started_at, 'unixepoch')))), 0)
                FROM call_attempt a WHERE a.caller = ? AND a.purpose = 'marketing' AND a.started_at >= ?
                """, arguments: [number.e164, Timestamp(since).seconds])
            return (row?[0] ?? 0, row?[1] ?? 0)
        }
    }

    public func calleeRegionShares(since: Date) async throws -> [RegionGroup: Double] {
        try await database.read { db in
            var counts: [RegionGroup: Int] = [:]
            let rows = try Int64.fetchCursor(db, sql: "SELECT callee FROM call_attempt WHERE started_at >= ? LIMIT 200000",
                                             arguments: [Timestamp(since).seconds])
            while let digits = try rows.next() {
                guard let number = try? directory.parse("+\(digits)"), let group = directory.info(for: number).regionGroup else { continue }
                counts[group, default: 0] += 1
            }
            let total = Double(counts.values.reduce(0, +))
            return total == 0 ? [:] : counts.mapValues { Double($0) / total }
        }
    }

    // MARK: - Agents

    public func upsertAgent(_ agent: Agent) async throws {
        try await database.write { db in
            try db.execute(sql: """
                INSERT INTO agent (id, name, trained, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, trained = excluded.trained, updated_at = excluded.updated_at
                """, arguments: [agent.id, agent.name, agent.trained, Date()])
        }
    }

    public func agents() async throws -> [Agent] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name, trained FROM agent ORDER BY id").map { Agent(id: $0[0], name: $0[1], trained: $0[2]) }
        }
    }

    public func agentActivity(from start: Date, to end: Date) async throws -> [(agent: String, calls: Int, numbers: Int, newlyMarked: Int)] {
        try await database.read { db in
            var used: [String: (calls: Int, numbers: Set<String>)] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT agent, caller, count(*) FROM call_attempt WHERE agent IS NOT NULL AND started_at >= ? AND started_at < ?
                GROUP BY agent, caller
                """, arguments: [Timestamp(start).seconds, Timestamp(end).seconds]) {
                let agent: String = row[0]
                used[agent, default: (0, [])].calls += row[2] as Int
                used[agent, default: (0, [])].numbers.insert(row[1])
            }
            // A number is newly marked when a platform's count of some kind rose during the period.
            let marked = Set(try String.fetchAll(db, sql: """
                SELECT DISTINCT n.e164 FROM (
                    SELECT caller_number_id, count, observed_at,
                        lag(count, 1, 0) OVER (PARTITION BY caller_number_id, platform, kind ORDER BY observed_at, id) AS previous
                    FROM mark_observation) m
                JOIN caller_number n ON n.id = m.caller_number_id
                WHERE m.observed_at >= ? AND m.observed_at < ? AND m.count > m.previous
                """, arguments: [start, end]))
            return used.sorted { $0.key < $1.key }.map { agent, activity in
                (agent, activity.calls, activity.numbers.count, activity.numbers.intersection(marked).count)
            }
        }
    }
}
