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
