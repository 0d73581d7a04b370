import Crypto
import Foundation

/// What a consent allows (RULES C1).
public enum ConsentScope: String, Sendable, Codable, CaseIterable, Hashable {
    case marketing
    case service
    case notification
}

/// How the consent was given; every channel is traceable (RULES C1).
public enum ConsentChannel: String, Sendable, Codable, CaseIterable, Hashable {
    /// A reply to a double opt-in SMS (RULES C2).
    case smsReply = "sms_reply"
    /// An app pop-up.
    case app
    /// An online checkbox.
    case webCheckbox = "web_checkbox"
    /// A recorded voice confirmation.
    case voice
    /// A signed form.
    case written
}

/// A consent in the ledger (RULES C1–C3). Evidence is kept with its SHA-256 so that it can be shown
/// unaltered to a regulator (C12).
public struct Consent: Sendable, Hashable {
    public let id: Int64
    public let phone: PhoneNumber
    public let scope: ConsentScope
    public let channel: ConsentChannel
    /// The evidence: the text agreed to, or a reference to where the signed form or recording is kept.
    public let evidence: String
    /// SHA-256 of `evidence`, hex.
    public let evidenceSHA256: String
    /// Whether it was given as separate consent (单独同意), not as a clause of another agreement.
    public let separate: Bool
    /// Whether the phone is an organisation's official contact giving consent for it.
    public let organisationContact: Bool
    public let grantedAt: Date
    public let expiresAt: Date?
    public let revokedAt: Date?
    public let recordedAt: Date
    /// Who recorded it: `api`, `cli`, `optin:<id>` …
    public let source: String

    public init(
        id: Int64, phone: PhoneNumber, scope: ConsentScope, channel: ConsentChannel, evidence: String,
        evidenceSHA256: String, separate: Bool, organisationContact: Bool, grantedAt: Date, expiresAt: Date?,
        revokedAt: Date?, recordedAt: Date, source: String
    ) {
        self.id = id
        self.phone = phone
        self.scope = scope
        self.channel = channel
        self.evidence = evidence
        self.evidenceSHA256 = evidenceSHA256
        self.separate = separate
        self.organisationContact = organisationContact
        self.grantedAt = grantedAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.recordedAt = recordedAt
        self.source = source
    }

    /// Whether the consent is in force at `moment`.
    public func isValid(at moment: Date) -> Bool {
        grantedAt <= moment && (expiresAt.map { moment < $0 } ?? true) && (revokedAt.map { moment < $0 } ?? true)
    }
}

/// A consent to record, validated.
public struct ConsentDraft: Sendable, Hashable {
    public let phone: PhoneNumber
    public let scope: ConsentScope
    public let channel: ConsentChannel
    public let evidence: String
    public let evidenceSHA256: String
    public let separate: Bool
    public let organisationContact: Bool
    public let grantedAt: Date
    public let expiresAt: Date?

    /// Validates a consent. `now` bounds `grantedAt`: consent cannot be recorded before it is given.
    public init(
        phone: PhoneNumber, scope: ConsentScope, channel: ConsentChannel, evidence: String, separate: Bool = true,
        organisationContact: Bool = false, grantedAt: Date, expiresAt: Date?, now: Date
    ) throws(ComplianceInputError) {
        let trimmed = evidence.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw .missingEvidence }
        guard trimmed.utf8.count <= 65_536 else { throw .evidenceTooLong }
        guard grantedAt <= now.addingTimeInterval(300) else { throw .grantedInFuture(grantedAt) }
        if let expiresAt, expiresAt <= grantedAt { throw .expiresBeforeGranted }
        self.phone = phone
        self.scope = scope
        self.channel = channel
        self.evidence = trimmed
        self.evidenceSHA256 = SHA256.hash(data: Data(trimmed.utf8)).map { String(format: "%02x", $0) }.joined()
        self.separate = separate
        self.organisationContact = organisationContact
        self.grantedAt = grantedAt
        self.expiresAt = expiresAt
    }
}

/// Why a compliance input was refused; the description says what to do.
public enum ComplianceInputError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidPhone(String, PhoneNumberError)
    case missingEvidence
    case evidenceTooLong
    case grantedInFuture(Date)
    case expiresBeforeGranted
    case consentNotFound(Int64)
    case consentAlreadyRevoked(Int64, Date)
    case unknownValue(field: String, value: String, allowed: String)
    case invalidTimestamp(field: String, value: String)
    case negativeDuration(Int)
    case notOnList(String)
    case optInNotFound(String)

    public var description: String {
        switch self {
        case let .invalidPhone(text, error): "'\(text)' is not a valid phone number: \(error)"
        case .missingEvidence: "evidence is missing; give the text agreed to or a reference to the signed form or recording (RULES C1)"
        case .evidenceTooLong: "evidence is longer than 64 KiB; store the document elsewhere and give its reference"
        case let .grantedInFuture(date): "grantedAt \(Timestamp(date)) is in the future; record a consent once it has been given"
        case .expiresBeforeGranted: "expiresAt must be after grantedAt"
        case let .consentNotFound(id): "no consent has id \(id)"
        case let .consentAlreadyRevoked(id, date): "consent \(id) was already revoked at \(Timestamp(date))"
        case let .unknownValue(field, value, allowed): "\(field) '\(value)' is unknown; use \(allowed)"
        case let .invalidTimestamp(field, value): "\(field) '\(value)' is not a time; use ISO 8601 such as 2026-11-22T09:30:00+08:00"
        case let .negativeDuration(seconds): "durationSeconds \(seconds) is negative"
        case let .notOnList(e164): "\(e164) is not on the do-not-call list"
        case let .optInNotFound(id): "no opt-in has id \(id)"
        }
    }
}
