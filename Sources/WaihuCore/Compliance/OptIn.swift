import Foundation

/// Where an opt-in SMS stands (RULES C2).
public enum OptInStatus: String, Sendable, Codable, CaseIterable, Hashable {
    /// Created; the SMS is being handed to the gateway.
    case sending
    /// The gateway accepted the SMS; waiting for the reply.
    case sent
    /// The gateway refused or could not be reached; `failure` says why.
    case sendFailed = "send_failed"
    /// The customer replied Y/1: consent recorded.
    case confirmed
    /// The customer replied N/3: refusal recorded.
    case refused
}

/// A double opt-in: an SMS offering something, waiting for the customer's confirmation (RULES C2).
public struct OptIn: Sendable, Hashable {
    public let id: String
    public let phone: PhoneNumber
    /// The consent scope a confirmation grants.
    public let scope: ConsentScope
    /// The SMS text sent, reply instructions included.
    public let text: String
    public let campaign: String?
    public var status: OptInStatus
    public let createdAt: Date
    /// After this the reply no longer counts.
    public let expiresAt: Date
    public var gatewayReference: String?
    public var consentId: Int64?
    public var failure: String?
    public var answeredAt: Date?

    public init(
        id: String, phone: PhoneNumber, scope: ConsentScope, text: String, campaign: String?, status: OptInStatus,
        createdAt: Date, expiresAt: Date, gatewayReference: String? = nil, consentId: Int64? = nil,
        failure: String? = nil, answeredAt: Date? = nil
    ) {
        self.id = id
        self.phone = phone
        self.scope = scope
        self.text = text
        self.campaign = campaign
        self.status = status
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.gatewayReference = gatewayReference
        self.consentId = consentId
        self.failure = failure
        self.answeredAt = answeredAt
    }
}

/// What a customer's SMS reply means (RULES C2: Y/N, or 1 confirm / 2 ask / 3 refuse).
public enum SMSReply: String, Sendable, Codable, Hashable {
    case confirm
    case refuse
    case inquiry
    case unrecognised

    /// Reads a reply: case, full-width forms and surrounding punctuation do not matter.
    public static func interpret(_ text: String) -> SMSReply {
        let normalised = String(text.unicodeScalars.compactMap { scalar -> Character? in
            switch scalar.value {
            case 0xFF01...0xFF5E: Character(Unicode.Scalar(scalar.value - 0xFEE0)!)  // full-width ASCII
            default: Character(scalar)
            }
        }).trimmingCharacters(in: .whitespacesAndNewlines.union(.punctuationCharacters)).uppercased()
        switch normalised {
        case "Y", "YES", "1", "是", "好", "确认", "同意": return .confirm
        case "N", "NO", "3", "否", "不", "拒绝", "不需要", "TD", "T", "退订": return .refuse
        case "2", "咨询", "?": return .inquiry
        default: return .unrecognised
        }
    }
}

/// An SMS received from a customer, kept whatever it says.
public struct InboundSMS: Sendable, Hashable {
    /// The sender as the gateway gave it.
    public let from: String
    /// The sender parsed, if it is a valid number.
    public let phone: PhoneNumber?
    public let text: String
    public let receivedAt: Date
    public let reply: SMSReply
    /// What waihu did with it.
    public let result: InboundSMSResult
    public let optInId: String?

    public init(from: String, phone: PhoneNumber?, text: String, receivedAt: Date, reply: SMSReply, result: InboundSMSResult, optInId: String?) {
        self.from = from
        self.phone = phone
        self.text = text
        self.receivedAt = receivedAt
        self.reply = reply
        self.result = result
        self.optInId = optInId
    }
}

/// What an inbound SMS led to.
public enum InboundSMSResult: String, Sendable, Codable, Hashable {
    /// Y/1 to a pending opt-in: consent recorded.
    case consentRecorded = "consent_recorded"
    /// N/3: refusal listed (with or without a pending opt-in: a refusal always counts, RULES C7).
    case refusalRecorded = "refusal_recorded"
    /// 2 to a pending opt-in: an inquiry for an agent to answer.
    case inquiryRecorded = "inquiry_recorded"
    /// Y/1/2 with no pending opt-in for the sender: kept, nothing else done.
    case noPendingOptIn = "no_pending_opt_in"
    /// Not a reply waihu understands: kept, nothing else done.
    case unrecognised
    /// The sender is not a valid phone number: kept, nothing else done.
    case invalidSender = "invalid_sender"
}

/// Sends SMS through the operator's gateway.
public protocol SMSGateway: Sendable {
    /// Hands one SMS to the gateway; returns the gateway's reference for it, if it gives one.
    func send(to phone: PhoneNumber, text: String, reference: String) async throws -> String?
}

/// Where opt-ins and inbound SMS are kept.
public protocol OptInStore: Sendable {
    func createOptIn(_ optIn: OptIn) async throws
    func updateOptIn(_ optIn: OptIn) async throws
    func optIn(id: String) async throws -> OptIn?
    /// The most recent opt-in to `phone` that is sent and not expired at `at`.
    func pendingOptIn(phone: PhoneNumber, at: Date) async throws -> OptIn?
    func recordInboundSMS(_ message: InboundSMS) async throws -> Int64
}

/// SMS double opt-in (RULES C2): send the offer with reply codes; a confirmation creates the consent, a
/// refusal lists the number, an inquiry is kept for an agent.
public struct OptInService: Sendable {
    public let gate: ComplianceGate
    public let store: any OptInStore
    public let gateway: (any SMSGateway)?

    public init(gate: ComplianceGate, store: any OptInStore, gateway: (any SMSGateway)?) {
        self.gate = gate
        self.store = store
        self.gateway = gateway
    }

    /// The reply instructions appended to every opt-in SMS.
    public static let replyInstructions = "回复Y或1确认，回复2咨询，回复N或3拒绝。"

    /// Sends an opt-in SMS. The opt-in is stored before sending, so a reply is understood even if the
    /// gateway's answer is lost; a gateway failure is recorded on it and thrown.
    public func start(phone: PhoneNumber, scope: ConsentScope, offer: String, campaign: String?, now: Date) async throws -> OptIn {
        guard let gateway else { throw OptInError.noGateway }
        let trimmed = offer.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw OptInError.emptyOffer }
        let days = gate.policy.compliance.consent.optInReplyDays
        var optIn = OptIn(
            id: "opt_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20),
            phone: phone, scope: scope, text: trimmed + OptInService.replyInstructions, campaign: campaign,
            status: .sending, createdAt: now, expiresAt: now.addingTimeInterval(TimeInterval(days * 86_400)))
        try await store.createOptIn(optIn)
        do {
            optIn.gatewayReference = try await gateway.send(to: phone, text: optIn.text, reference: optIn.id)
            optIn.status = .sent
            try await store.updateOptIn(optIn)
            return optIn
        } catch {
            optIn.status = .sendFailed
            optIn.failure = "\(error)"
            try await store.updateOptIn(optIn)
            throw OptInError.gatewayFailed(optIn.id, "\(error)")
        }
    }

    /// Takes an inbound SMS. Never throws for what the customer wrote: every message is kept with what it led to.
    public func receive(from sender: String, text: String, at now: Date) async throws -> InboundSMS {
        let reply = SMSReply.interpret(text)
        guard let phone = try? gate.directory.parse(sender) else {
            return try await keep(InboundSMS(from: sender, phone: nil, text: text, receivedAt: now, reply: reply, result: .invalidSender, optInId: nil))
        }
        let pending = try await store.pendingOptIn(phone: phone, at: now)
        switch reply {
        case .refuse:
            // RULES C7: a refusal always counts, opt-in or not.
            try await gate.addToDoNotCall([DoNotCallEntry(phone: phone, reason: .refusal, addedAt: now, source: "sms_reply", note: text)])
            if var optIn = pending {
                optIn.status = .refused
                optIn.answeredAt = now
                try await store.updateOptIn(optIn)
            }
            return try await keep(InboundSMS(from: sender, phone: phone, text: text, receivedAt: now, reply: reply, result: .refusalRecorded, optInId: pending?.id))
        case .confirm:
            guard var optIn = pending else {
                return try await keep(InboundSMS(from: sender, phone: phone, text: text, receivedAt: now, reply: reply, result: .noPendingOptIn, optInId: nil))
            }
            let validity = TimeInterval(gate.policy.compliance.consent.optInValidityDays * 86_400)
            let draft = try ConsentDraft(
                phone: phone, scope: optIn.scope, channel: .smsReply,
                evidence: "SMS reply '\(text)' at \(Timestamp(now)) to opt-in \(optIn.id) sent \(Timestamp(optIn.createdAt)): \(optIn.text)",
                separate: true, grantedAt: now, expiresAt: now.addingTimeInterval(validity), now: now)
            let consent = try await gate.addConsent(draft, source: "optin:\(optIn.id)", now: now)
            optIn.status = .confirmed
            optIn.consentId = consent.id
            optIn.answeredAt = now
            try await store.updateOptIn(optIn)
            return try await keep(InboundSMS(from: sender, phone: phone, text: text, receivedAt: now, reply: reply, result: .consentRecorded, optInId: optIn.id))
        case .inquiry:
            let result: InboundSMSResult = pending == nil ? .noPendingOptIn : .inquiryRecorded
            return try await keep(InboundSMS(from: sender, phone: phone, text: text, receivedAt: now, reply: reply, result: result, optInId: pending?.id))
        case .unrecognised:
            return try await keep(InboundSMS(from: sender, phone: phone, text: text, receivedAt: now, reply: reply, result: .unrecognised, optInId: pending?.id))
        }
    }

    private func keep(_ message: InboundSMS) async throws -> InboundSMS {
        _ = try await store.recordInboundSMS(message)
        return message
    }
}

/// Why an opt-in could not be sent.
public enum OptInError: Error, Sendable, Equatable, CustomStringConvertible {
    case noGateway
    case emptyOffer
    case gatewayFailed(String, String)

    public var description: String {
        switch self {
        case .noGateway: "no SMS gateway is configured; set sms.gatewayURL in the configuration file"
        case .emptyOffer: "the offer text is empty; say what the customer is asked to accept"
        case let .gatewayFailed(id, error): "the SMS gateway did not take opt-in \(id): \(error); the opt-in is kept as send_failed"
        }
    }
}
