import Foundation

/// Who and what a decision for a real call is about (RULES C12: who, when, which caller ID, which consent).
public struct DecisionContext: Sendable, Hashable {
    public var caller: PhoneNumber?
    public var campaign: String?
    public var agent: String?
    /// The system or person asking: `api`, `dialer`, `cli` …
    public var actor: String

    public init(caller: PhoneNumber? = nil, campaign: String? = nil, agent: String? = nil, actor: String) {
        self.caller = caller
        self.campaign = campaign
        self.agent = agent
        self.actor = actor
    }
}

/// A decision kept for a real call (RULES C12).
public struct StoredDecision: Sendable, Hashable {
    public let id: Int64
    public let callee: String
    public let purpose: CallPurpose
    public let at: Date
    public let decidedAt: Date
    public let allowed: Bool
    public let reasons: [ComplianceReason]
    public let nextAllowedAt: Date?
    public let policyVersion: String
    public let policyDigest: String
    public let consentId: Int64?
    public let context: DecisionContext

    public init(
        id: Int64, callee: String, purpose: CallPurpose, at: Date, decidedAt: Date, allowed: Bool,
        reasons: [ComplianceReason], nextAllowedAt: Date?, policyVersion: String, policyDigest: String,
        consentId: Int64?, context: DecisionContext
    ) {
        self.id = id
        self.callee = callee
        self.purpose = purpose
        self.at = at
        self.decidedAt = decidedAt
        self.allowed = allowed
        self.reasons = reasons
        self.nextAllowedAt = nextAllowedAt
        self.policyVersion = policyVersion
        self.policyDigest = policyDigest
        self.consentId = consentId
        self.context = context
    }
}

/// Where consents, do-not-call listings, attempts and decisions are kept. The SQLite and PostgreSQL
/// stores implement it; the compliance gate keeps its in-memory index in step with it.
public protocol ComplianceStore: Sendable {
    /// Everything the gate's index holds: all listings and consents, attempts since `attemptsSince`.
    func loadComplianceIndex(attemptsSince: Date) async throws -> ComplianceIndex
    /// One callee's facts, queried directly (the way call-centre software usually decides).
    func calleeFacts(for number: PhoneNumber, attemptsSince: Date) async throws -> CalleeFacts

    func addConsent(_ draft: ConsentDraft, recordedAt: Date, source: String) async throws -> Consent
    /// Records many consents in one transaction (an import from a CRM); returns their ids in order.
    func addConsents(_ drafts: [ConsentDraft], recordedAt: Date, source: String) async throws -> [Int64]
    /// Revokes a consent. Throws `ComplianceInputError.consentNotFound` or `.consentAlreadyRevoked`.
    func revokeConsent(id: Int64, at: Date, reason: String?) async throws -> Consent
    func consents(phone: PhoneNumber) async throws -> [Consent]
    func consent(id: Int64) async throws -> Consent?

    /// Lists numbers; returns how many listings are new (a number already listed for the reason keeps its first listing).
    func addToDoNotCall(_ entries: [DoNotCallEntry]) async throws -> Int
    /// Removes listings of `phone` (for `reason`, or all); returns the reasons removed.
    func removeFromDoNotCall(_ phone: PhoneNumber, reason: DoNotCallReason?) async throws -> [DoNotCallReason]
    func doNotCallEntries(_ phone: PhoneNumber) async throws -> [DoNotCallEntry]

    /// Records attempts; returns for each whether it was new (false: the same attempt was recorded before).
    func recordAttempts(_ attempts: [CallAttempt], recordedAt: Date) async throws -> [Bool]

    /// Keeps a decision for a real call; returns its id.
    func recordDecision(_ decision: ComplianceDecision, context: DecisionContext, decidedAt: Date) async throws -> Int64
    /// Decisions about `phone`, newest first.
    func decisions(phone: PhoneNumber, limit: Int) async throws -> [StoredDecision]
}

/// How far back each kind of record is kept (RULES C3: consents 3 years after they end; D3: personal data
/// 1 year; C12: decisions as long as the consents they rely on).
public struct RetentionCutoffs: Sendable, Hashable {
    /// Call attempts that started before this are deleted (pending ones are kept).
    public let attemptsBefore: Date
    /// Consents that ended (expired or revoked) before this are deleted, unless a kept decision relies on them.
    public let consentsEndedBefore: Date
    /// Decisions made before this are deleted, unless a kept attempt completes them.
    public let decisionsBefore: Date
    /// Opt-ins and inbound SMS received before this are deleted.
    public let messagesBefore: Date

    public init(policy: CompliancePolicy, now: Date) {
        func daysAgo(_ days: Int) -> Date { now.addingTimeInterval(-TimeInterval(days) * 86_400) }
        attemptsBefore = daysAgo(policy.retention.personalDataDays)
        consentsEndedBefore = daysAgo(policy.consent.retentionDays)
        decisionsBefore = daysAgo(policy.retention.decisionDays)
        messagesBefore = daysAgo(policy.retention.personalDataDays)
    }
}

/// What a purge deleted.
public struct PurgeReport: Sendable, Hashable, Codable {
    public var attempts = 0
    public var consents = 0
    public var decisions = 0
    public var optIns = 0
    public var messages = 0

    public init() {}
}

/// Deletes records past their retention.
public protocol RetentionStore: Sendable {
    func purge(_ cutoffs: RetentionCutoffs) async throws -> PurgeReport
}

/// A store that other processes may write to, and that can tell when they did.
public protocol ChangeWatching: Sendable {
    /// A number that changes whenever another process commits to the store.
    func externalChangeToken() async throws -> Int
}
