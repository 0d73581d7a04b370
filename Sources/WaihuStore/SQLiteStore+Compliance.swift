import Foundation
import GRDB
import WaihuCore

extension SQLiteStore {
    /// RULES C1–C12: consents, do-not-call listings, every call attempt, kept decisions, opt-ins, inbound SMS.
    /// Large tables (listings, attempts) key numbers by their E.164 digits and times by Unix seconds.
    static func registerComplianceMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2 compliance") { db in
            try db.execute(sql: """
                CREATE TABLE consent (
                    id INTEGER PRIMARY KEY,
                    phone TEXT NOT NULL CHECK (phone GLOB '+[1-9]*'),
                    scope TEXT NOT NULL CHECK (scope IN ('marketing', 'service', 'notification')),
                    channel TEXT NOT NULL CHECK (channel IN ('sms_reply', 'app', 'web_checkbox', 'voice', 'written')),
                    evidence TEXT NOT NULL CHECK (length(evidence) > 0),
                    evidence_sha256 TEXT NOT NULL CHECK (length(evidence_sha256) = 64),
                    separate_consent BOOLEAN NOT NULL,
                    organisation_contact BOOLEAN NOT NULL,
                    granted_at DATETIME NOT NULL,
                    expires_at DATETIME CHECK (expires_at IS NULL OR expires_at > granted_at),
                    revoked_at DATETIME,
                    revocation_reason TEXT,
                    recorded_at DATETIME NOT NULL,
                    source TEXT NOT NULL CHECK (length(source) > 0)
                );
                CREATE INDEX consent_by_phone ON consent(phone, granted_at);

                CREATE TABLE dnc_entry (
                    number INTEGER NOT NULL CHECK (number > 0),
                    reason TEXT NOT NULL CHECK (reason IN ('refusal', 'complaint', 'invalid', 'imported')),
                    added_at INTEGER NOT NULL,
                    source TEXT NOT NULL,
                    note TEXT,
                    PRIMARY KEY (number, reason)
                ) WITHOUT ROWID;

                CREATE TABLE compliance_decision (
                    id INTEGER PRIMARY KEY,
                    callee TEXT NOT NULL CHECK (callee GLOB '+[1-9]*'),
                    purpose TEXT NOT NULL CHECK (purpose IN ('marketing', 'service', 'notification', 'urgent')),
                    call_at DATETIME NOT NULL,
                    decided_at DATETIME NOT NULL,
                    allowed BOOLEAN NOT NULL,
                    reasons TEXT NOT NULL,
                    next_allowed_at DATETIME,
                    policy_version TEXT NOT NULL,
                    policy_digest TEXT NOT NULL,
                    consent_id INTEGER REFERENCES consent(id),
                    caller TEXT CHECK (caller IS NULL OR caller GLOB '+[1-9]*'),
                    campaign TEXT,
                    agent TEXT,
                    actor TEXT NOT NULL CHECK (length(actor) > 0),
                    CHECK (allowed = (reasons = '[]'))
                );
                CREATE INDEX compliance_decision_by_callee ON compliance_decision(callee, id);

                CREATE TABLE call_attempt (
                    id INTEGER PRIMARY KEY,
                    callee INTEGER NOT NULL CHECK (callee > 0),
                    caller TEXT NOT NULL CHECK (caller GLOB '+[1-9]*'),
                    purpose TEXT NOT NULL CHECK (purpose IN ('marketing', 'service', 'notification', 'urgent')),
                    started_at INTEGER NOT NULL,
                    outcome TEXT NOT NULL CHECK (outcome IN ('answered', 'busy', 'no_answer', 'invalid_number',
                        'declined', 'failed', 'pending')),
                    duration_seconds INTEGER CHECK (duration_seconds IS NULL OR duration_seconds >= 0),
                    source TEXT NOT NULL CHECK (length(source) > 0),
                    decision_id INTEGER UNIQUE REFERENCES compliance_decision(id),
                    recorded_at INTEGER NOT NULL,
                    -- One attempt per callee, start and caller; also the index of per-callee queries.
                    UNIQUE (callee, started_at, caller)
                );
                CREATE INDEX call_attempt_by_caller ON call_attempt(caller, started_at);
                CREATE INDEX call_attempt_by_time ON call_attempt(started_at);

                CREATE TABLE optin (
                    id TEXT PRIMARY KEY,
                    phone TEXT NOT NULL CHECK (phone GLOB '+[1-9]*'),
                    scope TEXT NOT NULL CHECK (scope IN ('marketing', 'service', 'notification')),
                    text TEXT NOT NULL CHECK (length(text) > 0),
                    campaign TEXT,
                    status TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'send_failed', 'confirmed', 'refused')),
                    created_at DATETIME NOT NULL,
                    expires_at DATETIME NOT NULL CHECK (expires_at > created_at),
                    gateway_reference TEXT,
                    consent_id INTEGER REFERENCES consent(id),
                    failure TEXT,
                    answered_at DATETIME,
                    CHECK ((status = 'confirmed') = (consent_id IS NOT NULL))
                );
                CREATE INDEX optin_by_phone ON optin(phone, status, created_at);

                CREATE TABLE sms_inbound (
                    id INTEGER PRIMARY KEY,
                    sender TEXT NOT NULL,
                    phone TEXT CHECK (phone IS NULL OR phone GLOB '+[1-9]*'),
                    text TEXT NOT NULL,
                    received_at DATETIME NOT NULL,
                    reply TEXT NOT NULL CHECK (reply IN ('confirm', 'refuse', 'inquiry', 'unrecognised')),
                    result TEXT NOT NULL CHECK (result IN ('consent_recorded', 'refusal_recorded', 'inquiry_recorded',
                        'no_pending_opt_in', 'unrecognised', 'invalid_sender')),
                    optin_id TEXT REFERENCES optin(id)
                );
                CREATE INDEX sms_inbound_by_phone ON sms_inbound(phone, received_at);
                """)
        }
    }
}

extension SQLiteStore: ComplianceStore {
    public func loadComplianceIndex(attemptsSince: Date) async throws -> ComplianceIndex {
        try await database.read { db in
            var index = ComplianceIndex()
            var entries: [(number: UInt64, reasons: UInt8)] = []
            let timed: [DoNotCallReason] = [.refusal, .complaint, .invalid]
            var times: [(UInt64, DoNotCallReason, Int64)] = []
            let listings = try Row.fetchCursor(db, sql: "SELECT number, reason, added_at FROM dnc_entry")
            while let row = try listings.next() {
                let number = UInt64(row[0] as Int64)
                guard let reason = DoNotCallReason(rawValue: row[1]) else { continue }
                entries.append((number, reason.bit))
                if timed.contains(reason) { times.append((number, reason, row[2])) }
            }
            index.replaceDoNotCall(DoNotCallSet(entries: entries))
            for (number, reason, time) in times { index.setListTime(number, reason: reason, at: time) }

            let consents = try Row.fetchCursor(db, sql: """
                SELECT id, phone, scope, separate_consent, granted_at, expires_at, revoked_at FROM consent
                """)
            while let row = try consents.next() {
                guard let digits = UInt64((row[1] as String).dropFirst()), let scope = ConsentScope(rawValue: row[2]) else { continue }
                index.add(Self.consentFact(row, scope: scope), forDigits: digits)
            }
            let attempts = try Row.fetchCursor(db, sql: "SELECT callee, started_at, purpose FROM call_attempt WHERE started_at >= ?",
                                               arguments: [Timestamp(attemptsSince).seconds])
            while let row = try attempts.next() {
                guard let purpose = CallPurpose(rawValue: row[2]) else { continue }
                index.record(attemptTo: UInt64(row[0] as Int64), at: row[1], purpose: purpose)
            }
            return index
        }
    }

    public func calleeFacts(for number: PhoneNumber, attemptsSince: Date) async throws -> CalleeFacts {
        try await database.read { db in try Self.calleeFacts(db, number, attemptsSince: attemptsSince) }
    }

    /// The same per-callee queries, blocking the caller (for benchmarks against the in-memory index).
    public func calleeFactsBlocking(for number: PhoneNumber, attemptsSince: Date) throws -> CalleeFacts {
        try database.read { db in try Self.calleeFacts(db, number, attemptsSince: attemptsSince) }
    }

    private static func calleeFacts(_ db: Database, _ number: PhoneNumber, attemptsSince: Date) throws -> CalleeFacts {
        var facts = CalleeFacts()
        let digits = Int64(number.e164Digits)
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT reason, added_at FROM dnc_entry WHERE number = ?"), arguments: [digits]) {
            guard let reason = DoNotCallReason(rawValue: row[0]) else { continue }
            facts.listReasons |= reason.bit
            switch reason {
            case .refusal: facts.refusedAt = row[1]
            case .complaint: facts.complainedAt = row[1]
            case .invalid: facts.invalidAt = row[1]
            case .imported: break
            }
        }
        for row in try Row.fetchAll(db.cachedStatement(sql: """
            SELECT id, phone, scope, separate_consent, granted_at, expires_at, revoked_at FROM consent WHERE phone = ?
            """), arguments: [number.e164]) {
            guard let scope = ConsentScope(rawValue: row[2]) else { continue }
            facts.consents.append(Self.consentFact(row, scope: scope))
        }
        for row in try Row.fetchAll(db.cachedStatement(sql: """
            SELECT started_at, purpose FROM call_attempt WHERE callee = ? AND started_at >= ?
            ORDER BY started_at DESC LIMIT ?
            """), arguments: [digits, Timestamp(attemptsSince).seconds, AttemptHistory.capacity]) {
            guard let purpose = CallPurpose(rawValue: row[1]) else { continue }
            facts.attempts.insert(time: row[0], purpose: purpose)
        }
        return facts
    }

    private static func consentFact(_ row: Row, scope: ConsentScope) -> ConsentFact {
        let expires: Date? = row[5]
        let revoked: Date? = row[6]
        return ConsentFact(
            id: row[0], scope: scope, separate: row[3], grantedAt: Timestamp(row[4] as Date).seconds,
            expiresAt: expires.map { Timestamp($0).seconds } ?? .max, revokedAt: revoked.map { Timestamp($0).seconds } ?? .max)
    }

    // MARK: - Consent

    public func addConsent(_ draft: ConsentDraft, recordedAt: Date, source: String) async throws -> Consent {
        try await database.write { db in
            try Self.insert(db, draft, recordedAt: recordedAt, source: source)
            return try self.fetchConsent(db, id: db.lastInsertedRowID)!
        }
    }

    public func addConsents(_ drafts: [ConsentDraft], recordedAt: Date, source: String) async throws -> [Int64] {
        try await database.write { db in
            try drafts.map { draft in
                try Self.insert(db, draft, recordedAt: recordedAt, source: source)
                return db.lastInsertedRowID
            }
        }
    }

    private static func insert(_ db: Database, _ draft: ConsentDraft, recordedAt: Date, source: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO consent (phone, scope, channel, evidence, evidence_sha256, separate_consent,
                organisation_contact, granted_at, expires_at, recorded_at, source)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                draft.phone.e164, draft.scope.rawValue, draft.channel.rawValue, draft.evidence, draft.evidenceSHA256,
                draft.separate, draft.organisationContact, draft.grantedAt, draft.expiresAt, recordedAt, source,
            ])
    }

    public func revokeConsent(id: Int64, at: Date, reason: String?) async throws -> Consent {
        try await database.write { db in
            guard let consent = try self.fetchConsent(db, id: id) else { throw ComplianceInputError.consentNotFound(id) }
            if let revoked = consent.revokedAt { throw ComplianceInputError.consentAlreadyRevoked(id, revoked) }
            try db.execute(sql: "UPDATE consent SET revoked_at = ?, revocation_reason = ? WHERE id = ?", arguments: [at, reason, id])
            return try self.fetchConsent(db, id: id)!
        }
    }

    public func consents(phone: PhoneNumber) async throws -> [Consent] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM consent WHERE phone = ? ORDER BY granted_at, id", arguments: [phone.e164])
                .map { try self.consent(from: $0) }
        }
    }

    public func consent(id: Int64) async throws -> Consent? {
        try await database.read { db in try self.fetchConsent(db, id: id) }
    }

    private func fetchConsent(_ db: Database, id: Int64) throws -> Consent? {
        try Row.fetchOne(db, sql: "SELECT * FROM consent WHERE id = ?", arguments: [id]).map { try consent(from: $0) }
    }

    private func consent(from row: Row) throws -> Consent {
        let phone: String = row["phone"]
        guard let number = try? directory.parse(phone), let scope = ConsentScope(rawValue: row["scope"]),
              let channel = ConsentChannel(rawValue: row["channel"]) else {
            throw StoreCorruptionError(description: "consent row \(row["id"] as Int64) holds values waihu does not know")
        }
        return Consent(
            id: row["id"], phone: number, scope: scope, channel: channel, evidence: row["evidence"],
            evidenceSHA256: row["evidence_sha256"], separate: row["separate_consent"],
            organisationContact: row["organisation_contact"], grantedAt: row["granted_at"], expiresAt: row["expires_at"],
            revokedAt: row["revoked_at"], recordedAt: row["recorded_at"], source: row["source"])
    }

    // MARK: - Do-not-call

    public func addToDoNotCall(_ entries: [DoNotCallEntry]) async throws -> Int {
        try await database.write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT INTO dnc_entry (number, reason, added_at, source, note, caller) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (number, reason) DO NOTHING
                """)
            var added = 0
            // In key order, so that a large batch fills B-tree pages in sequence instead of splitting them at random.
            for entry in entries.sorted(by: { $0.phone.e164Digits < $1.phone.e164Digits }) {
                try statement.execute(arguments: [
                    Int64(entry.phone.e164Digits), entry.reason.rawValue, Timestamp(entry.addedAt).seconds, entry.source, entry.note,
                    entry.caller?.e164,
                ])
                added += db.changesCount
            }
            return added
        }
    }

    public func removeFromDoNotCall(_ phone: PhoneNumber, reason: DoNotCallReason?) async throws -> [DoNotCallReason] {
        try await database.write { db in
            let digits = Int64(phone.e164Digits)
            let reasons = try String.fetchAll(db, sql: "SELECT reason FROM dnc_entry WHERE number = ?", arguments: [digits])
                .compactMap(DoNotCallReason.init(rawValue:))
                .filter { reason == nil || $0 == reason }
            for removed in reasons {
                try db.execute(sql: "DELETE FROM dnc_entry WHERE number = ? AND reason = ?", arguments: [digits, removed.rawValue])
            }
            return reasons
        }
    }

    public func doNotCallEntries(_ phone: PhoneNumber) async throws -> [DoNotCallEntry] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT reason, added_at, source, note FROM dnc_entry WHERE number = ? ORDER BY added_at",
                             arguments: [Int64(phone.e164Digits)]).compactMap { row in
                DoNotCallReason(rawValue: row[0]).map {
                    DoNotCallEntry(phone: phone, reason: $0, addedAt: Timestamp(seconds: row[1]).date, source: row[2], note: row[3])
                }
            }
        }
    }

    // MARK: - Attempts

    public func recordAttempts(_ attempts: [CallAttempt], recordedAt: Date) async throws -> [Bool] {
        try await database.write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT INTO call_attempt (callee, caller, purpose, started_at, outcome, duration_seconds, source, decision_id,
                    recorded_at, agent, campaign, sip_status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT DO NOTHING
                """)
            let complete = try db.cachedStatement(sql: """
                UPDATE call_attempt SET outcome = ?, duration_seconds = ?, started_at = ?, recorded_at = ?,
                    agent = coalesce(?, agent), campaign = coalesce(?, campaign), sip_status = ?
                WHERE decision_id = ? AND outcome = 'pending'
                """)
            var fresh = [Bool](repeating: false, count: attempts.count)
            let now = Timestamp(recordedAt).seconds
            // In key order, so that a large batch fills B-tree pages in sequence.
            for position in attempts.indices.sorted(by: { (attempts[$0].callee.e164Digits, $0) < (attempts[$1].callee.e164Digits, $1) }) {
                let attempt = attempts[position]
                let started = Timestamp(attempt.startedAt).seconds
                if let decisionId = attempt.decisionId, attempt.outcome != .pending {
                    // Completes an admitted call: the attempt was counted when it was admitted.
                    try complete.execute(arguments: [
                        attempt.outcome.rawValue, attempt.durationSeconds, started, now, attempt.agent, attempt.campaign,
                        attempt.sipStatus, decisionId,
                    ])
                    if db.changesCount == 1 { continue }
                }
                try insert.execute(arguments: [
                    Int64(attempt.callee.e164Digits), attempt.caller.e164, attempt.purpose.rawValue, started,
                    attempt.outcome.rawValue, attempt.durationSeconds, attempt.source,
                    attempt.outcome == .pending ? attempt.decisionId : nil, now, attempt.agent, attempt.campaign, attempt.sipStatus,
                ])
                fresh[position] = db.changesCount == 1
            }
            return fresh
        }
    }

    // MARK: - Decisions

    public func recordDecision(_ decision: ComplianceDecision, context: DecisionContext, decidedAt: Date) async throws -> Int64 {
        let reasons = String(decoding: try JSONEncoder().encode(decision.reasons), as: UTF8.self)
        return try await database.write { db in
            try db.execute(sql: """
                INSERT INTO compliance_decision (callee, purpose, call_at, decided_at, allowed, reasons, next_allowed_at,
                    policy_version, policy_digest, consent_id, caller, campaign, agent, actor)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                    decision.callee.e164, decision.purpose.rawValue, decision.at.date, decidedAt, decision.allowed, reasons,
                    decision.nextAllowedAt?.date, decision.policyVersion, decision.policyDigest, decision.consentId,
                    context.caller?.e164, context.campaign, context.agent, context.actor,
                ])
            return db.lastInsertedRowID
        }
    }

    public func decisions(phone: PhoneNumber, limit: Int) async throws -> [StoredDecision] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM compliance_decision WHERE callee = ? ORDER BY id DESC LIMIT ?",
                             arguments: [phone.e164, limit]).map { row in
                let reasons = try JSONDecoder().decode([ComplianceReason].self, from: Data((row["reasons"] as String).utf8))
                let caller: String? = row["caller"]
                return StoredDecision(
                    id: row["id"], callee: row["callee"], purpose: CallPurpose(rawValue: row["purpose"]) ?? .marketing,
                    at: row["call_at"], decidedAt: row["decided_at"], allowed: row["allowed"], reasons: reasons,
                    nextAllowedAt: row["next_allowed_at"], policyVersion: row["policy_version"],
                    policyDigest: row["policy_digest"], consentId: row["consent_id"],
                    context: DecisionContext(
                        caller: caller.flatMap { try? self.directory.parse($0) }, campaign: row["campaign"],
                        agent: row["agent"], actor: row["actor"]))
            }
        }
    }
}

extension SQLiteStore: OptInStore {
    public func createOptIn(_ optIn: OptIn) async throws {
        try await database.write { db in
            try db.execute(sql: """
                INSERT INTO optin (id, phone, scope, text, campaign, status, created_at, expires_at, gateway_reference,
                    consent_id, failure, answered_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: Self.arguments(optIn))
        }
    }

    public func updateOptIn(_ optIn: OptIn) async throws {
        try await database.write { db in
            try db.execute(sql: """
                UPDATE optin SET status = ?, gateway_reference = ?, consent_id = ?, failure = ?, answered_at = ? WHERE id = ?
                """, arguments: [optIn.status.rawValue, optIn.gatewayReference, optIn.consentId, optIn.failure, optIn.answeredAt, optIn.id])
        }
    }

    public func optIn(id: String) async throws -> OptIn? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM optin WHERE id = ?", arguments: [id]).map { try self.optIn(from: $0) }
        }
    }

    public func pendingOptIn(phone: PhoneNumber, at: Date) async throws -> OptIn? {
        try await database.read { db in
            try Row.fetchOne(db, sql: """
                SELECT * FROM optin WHERE phone = ? AND status = 'sent' AND expires_at > ? AND created_at <= ?
                ORDER BY created_at DESC LIMIT 1
                """, arguments: [phone.e164, at, at]).map { try self.optIn(from: $0) }
        }
    }

    public func recordInboundSMS(_ message: InboundSMS) async throws -> Int64 {
        try await database.write { db in
            try db.execute(sql: """
                INSERT INTO sms_inbound (sender, phone, text, received_at, reply, result, optin_id) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [message.from, message.phone?.e164, message.text, message.receivedAt, message.reply.rawValue,
                                 message.result.rawValue, message.optInId])
            return db.lastInsertedRowID
        }
    }

    private static func arguments(_ optIn: OptIn) -> StatementArguments {
        [optIn.id, optIn.phone.e164, optIn.scope.rawValue, optIn.text, optIn.campaign, optIn.status.rawValue, optIn.createdAt,
         optIn.expiresAt, optIn.gatewayReference, optIn.consentId, optIn.failure, optIn.answeredAt]
    }

    private func optIn(from row: Row) throws -> OptIn {
        guard let phone = try? directory.parse(row["phone"] as String), let scope = ConsentScope(rawValue: row["scope"]),
              let status = OptInStatus(rawValue: row["status"]) else {
            throw StoreCorruptionError(description: "optin row \(row["id"] as String) holds values waihu does not know")
        }
        return OptIn(
            id: row["id"], phone: phone, scope: scope, text: row["text"], campaign: row["campaign"], status: status,
            createdAt: row["created_at"], expiresAt: row["expires_at"], gatewayReference: row["gateway_reference"],
            consentId: row["consent_id"], failure: row["failure"], answeredAt: row["answered_at"])
    }
}

extension SQLiteStore: RetentionStore {
    public func purge(_ cutoffs: RetentionCutoffs) async throws -> PurgeReport {
        try await database.write { db in
            var report = PurgeReport()
            try db.execute(sql: "DELETE FROM call_attempt WHERE started_at < ? AND outcome <> 'pending'",
                           arguments: [Timestamp(cutoffs.attemptsBefore).seconds])
            report.attempts = db.changesCount
            try db.execute(sql: "DELETE FROM sms_inbound WHERE received_at < ?", arguments: [cutoffs.messagesBefore])
            report.messages = db.changesCount
            try db.execute(sql: """
                DELETE FROM optin WHERE created_at < ? AND id NOT IN (SELECT optin_id FROM sms_inbound WHERE optin_id IS NOT NULL)
                """, arguments: [cutoffs.messagesBefore])
            report.optIns = db.changesCount
            try db.execute(sql: """
                DELETE FROM compliance_decision WHERE decided_at < ?
                AND id NOT IN (SELECT decision_id FROM call_attempt WHERE decision_id IS NOT NULL)
                """, arguments: [cutoffs.decisionsBefore])
            report.decisions = db.changesCount
            // RULES C3: a consent is kept for the retention period after it ends, and as long as a kept
            // decision or opt-in refers to it.
            try db.execute(sql: """
                DELETE FROM consent
                WHERE min(coalesce(revoked_at, '9999'), coalesce(expires_at, '9999')) < ?
                AND id NOT IN (SELECT consent_id FROM compliance_decision WHERE consent_id IS NOT NULL)
                AND id NOT IN (SELECT consent_id FROM optin WHERE consent_id IS NOT NULL)
                """, arguments: [cutoffs.consentsEndedBefore])
            report.consents = db.changesCount
            return report
        }
    }
}

extension SQLiteStore: ChangeWatching {
    public func externalChangeToken() async throws -> Int {
        // PRAGMA data_version changes when another connection commits; the writer connection is the only
        // one of this process that writes, so on it the value moves only for other processes.
        try await database.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA data_version") ?? 0 }
    }
}
