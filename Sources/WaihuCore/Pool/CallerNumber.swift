import Foundation

/// What a caller number may be used for; the two sub-pools never mix (RULES P5).
public enum NumberPurpose: String, Sendable, Codable, CaseIterable, Hashable {
    /// 回访, 售后, 通知: service follow-ups and notifications.
    case service
    /// 营销: marketing, only toward customers with marketing consent (RULES P6, C1).
    case marketing

    /// Accepts `service`/`marketing` in any case and the Chinese 服务/客服/营销/推广.
    public init?(parsing text: String) {
        switch text.trimmingWhitespace().lowercased() {
        case "service", "服务", "客服", "回访", "通知": self = .service
        case "marketing", "营销", "推广", "销售": self = .marketing
        default: return nil
        }
    }
}

/// Where a caller number is in its life (RULES P4, P9, P13, P14).
public enum CallerNumberStatus: String, Sendable, Codable, CaseIterable, Hashable {
    /// New number ramping up its daily volume (养号, RULES P14).
    case warming
    /// In the active pool, dialling.
    case active
    /// In the standby pool, ready to replace a marked number (RULES P4).
    case standby
    /// Resting after early marking signs, cooling down before it returns.
    case resting
    /// Stopped: too many marks or a fraud mark (RULES P9, P10).
    case suspended
    /// Out of the pool for good (RULES P13). Final.
    case retired

    /// Accepts the English names in any case and the Chinese 预热/启用/备用/休息/暂停/退役.
    public init?(parsing text: String) {
        let lower = text.trimmingWhitespace().lowercased()
        if let status = CallerNumberStatus(rawValue: lower) {
            self = status
            return
        }
        switch lower {
        case "预热", "养号": self = .warming
        case "启用", "在用", "正常": self = .active
        case "备用": self = .standby
        case "休息", "冷却": self = .resting
        case "暂停", "停用": self = .suspended
        case "退役", "注销": self = .retired
        default: return nil
        }
    }
}

/// A number of the pool (号码池) that waihu presents as caller ID.
public struct CallerNumber: Sendable, Hashable {
    /// The number in E.164.
    public let number: PhoneNumber
    /// Carrier of the number where known (中国移动 …, 虚拟运营商).
    public let carrier: String?
    /// Province of registration (归属地); nil for nationwide numbers (95xxx, 400 …).
    public let province: Province?
    /// City of registration.
    public let city: String?
    /// Area code of the city of registration.
    public let areaCode: String?
    /// Service or marketing (RULES P5).
    public var purpose: NumberPurpose
    /// The filing (备案) reference with the carrier; every number is filed before use (RULES P8).
    public var filingReference: String
    /// The verified display name (企业名片) shown to callees where the carrier supports it (RULES P7).
    public var displayName: String?
    /// Where the number is in its life.
    public var status: CallerNumberStatus
    /// Calls per day the number may place (RULES P3).
    public var dailyCap: Int
    public let createdAt: Date
    public var updatedAt: Date

    /// The kind of number, derived from its digits (RULES P1).
    public var kind: PhoneNumberKind { number.kind }
    /// The regional group of the province.
    public var regionGroup: RegionGroup? { province?.regionGroup }

    public init(
        number: PhoneNumber, carrier: String?, province: Province?, city: String?, areaCode: String?,
        purpose: NumberPurpose, filingReference: String, displayName: String?, status: CallerNumberStatus,
        dailyCap: Int, createdAt: Date, updatedAt: Date
    ) {
        self.number = number
        self.carrier = carrier
        self.province = province
        self.city = city
        self.areaCode = areaCode
        self.purpose = purpose
        self.filingReference = filingReference
        self.displayName = displayName
        self.status = status
        self.dailyCap = dailyCap
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// The fields an operator gives for a new caller number; everything else is derived from the digits.
public struct CallerNumberDraft: Sendable, Hashable {
    public var info: PhoneInfo
    public var purpose: NumberPurpose
    public var filingReference: String
    public var displayName: String?
    public var status: CallerNumberStatus
    public var dailyCap: Int

    /// Validates a new caller number against the pool rules.
    /// - Throws: `CallerNumberError` naming the rule that refuses it.
    public init(
        info: PhoneInfo, purpose: NumberPurpose, filingReference: String?, displayName: String?,
        status: CallerNumberStatus?, dailyCap: Int?, policy: PoolPolicy
    ) throws(CallerNumberError) {
        guard info.number.isChinese else { throw .notMainland(info.e164) }
        let filing = (filingReference ?? "").trimmingWhitespace()
        guard !filing.isEmpty else { throw .missingFilingReference }  // RULES P8
        let name = displayName.map { $0.trimmingWhitespace() }.flatMap { $0.isEmpty ? nil : $0 }
        self.info = info
        self.purpose = purpose
        self.filingReference = filing
        self.displayName = name
        self.status = status ?? policy.initialStatus
        self.dailyCap = dailyCap ?? policy.defaultDailyCap
        try CallerNumberDraft.check(
            kind: info.kind, purpose: purpose, filingReference: filing, displayName: name,
            status: self.status, dailyCap: self.dailyCap, policy: policy, e164: info.e164)
    }

    /// The pool rules every caller number keeps, on creation and on every change.
    static func check(
        kind: PhoneNumberKind, purpose: NumberPurpose, filingReference: String, displayName: String?,
        status: CallerNumberStatus, dailyCap: Int, policy: PoolPolicy, e164: String
    ) throws(CallerNumberError) {
        if kind == .virtualOperator && purpose == .marketing && !policy.allowVirtualForMarketing {
            throw .virtualNumberForMarketing(e164)  // RULES P8
        }
        guard filingReference.count <= 64 else { throw .tooLong(field: "filingRef", maximum: 64) }
        if let displayName, displayName.count > 32 { throw .tooLong(field: "displayName", maximum: 32) }
        guard (1...policy.maximumDailyCap).contains(dailyCap) else {
            throw .dailyCapOutOfRange(dailyCap, maximum: policy.maximumDailyCap)
        }
    }

    /// The caller number this draft creates at `now`.
    public func callerNumber(at now: Date) -> CallerNumber {
        CallerNumber(
            number: info.number, carrier: info.carrier, province: info.province, city: info.city,
            areaCode: info.areaCode, purpose: purpose, filingReference: filingReference, displayName: displayName,
            status: status, dailyCap: dailyCap, createdAt: now, updatedAt: now)
    }
}

/// A change an operator asks for on an existing caller number. Nil fields stay as they are.
public struct CallerNumberChange: Sendable, Hashable {
    public var status: CallerNumberStatus?
    public var purpose: NumberPurpose?
    public var dailyCap: Int?
    public var displayName: String??
    public var filingReference: String?
    /// Why the change is made; kept in the number's history.
    public var reason: String?

    public init(
        status: CallerNumberStatus? = nil, purpose: NumberPurpose? = nil, dailyCap: Int? = nil,
        displayName: String?? = nil, filingReference: String? = nil, reason: String? = nil
    ) {
        self.status = status
        self.purpose = purpose
        self.dailyCap = dailyCap
        self.displayName = displayName
        self.filingReference = filingReference
        self.reason = reason
    }

    /// Applies the change to `number`, checking the pool rules; returns the changed number.
    public func applied(to number: CallerNumber, policy: PoolPolicy, at now: Date) throws(CallerNumberError) -> CallerNumber {
        if number.status == .retired, let status, status != .retired {
            throw .retiredIsFinal(number.number.e164)  // RULES P13: retirement is final
        }
        var changed = number
        if let status { changed.status = status }
        if let purpose { changed.purpose = purpose }
        if let dailyCap { changed.dailyCap = dailyCap }
        if let displayName {
            changed.displayName = displayName.map { $0.trimmingWhitespace() }.flatMap { $0.isEmpty ? nil : $0 }
        }
        if let filingReference {
            let filing = filingReference.trimmingWhitespace()
            guard !filing.isEmpty else { throw .missingFilingReference }
            changed.filingReference = filing
        }
        try CallerNumberDraft.check(
            kind: changed.kind, purpose: changed.purpose, filingReference: changed.filingReference,
            displayName: changed.displayName, status: changed.status, dailyCap: changed.dailyCap,
            policy: policy, e164: number.number.e164)
        if changed != number { changed.updatedAt = now }
        return changed
    }
}

/// A recorded change of a caller number: every state change is kept (RULES P12, P13).
public struct CallerNumberEvent: Sendable, Hashable {
    /// What changed: `created`, `status`, `purpose`, `daily_cap`, `display_name`, `filing_ref`.
    public let field: String
    public let oldValue: String?
    public let newValue: String?
    public let at: Date
    /// Who made the change: `api`, `cli`, `import`, or a rule engine job.
    public let actor: String
    /// Why, as given by the actor (a rule id for automatic changes).
    public let reason: String?

    public init(field: String, oldValue: String?, newValue: String?, at: Date, actor: String, reason: String?) {
        self.field = field
        self.oldValue = oldValue
        self.newValue = newValue
        self.at = at
        self.actor = actor
        self.reason = reason
    }

    /// The events that turning `old` into `new` records.
    public static func changes(from old: CallerNumber, to new: CallerNumber, at: Date, actor: String, reason: String?) -> [CallerNumberEvent] {
        var events: [CallerNumberEvent] = []
        func record(_ field: String, _ before: String?, _ after: String?) {
            if before != after {
                events.append(CallerNumberEvent(field: field, oldValue: before, newValue: after, at: at, actor: actor, reason: reason))
            }
        }
        record("status", old.status.rawValue, new.status.rawValue)
        record("purpose", old.purpose.rawValue, new.purpose.rawValue)
        record("daily_cap", String(old.dailyCap), String(new.dailyCap))
        record("display_name", old.displayName, new.displayName)
        record("filing_ref", old.filingReference, new.filingReference)
        return events
    }
}

/// Why a caller number was refused or a change could not be made. The description says what to do.
public enum CallerNumberError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidNumber(PhoneNumberError)
    case notMainland(String)
    case virtualNumberForMarketing(String)
    case missingFilingReference
    case tooLong(field: String, maximum: Int)
    case dailyCapOutOfRange(Int, maximum: Int)
    case retiredIsFinal(String)
    case unknownPurpose(String)
    case unknownStatus(String)
    case invalidDailyCap(String)
    case notFound(String)
    case alreadyExists(String)

    public var description: String {
        switch self {
        case let .invalidNumber(error):
            "invalid number: \(error)"
        case let .notMainland(e164):
            "\(e164) is not a mainland China (+86) number; caller numbers are presented on Chinese trunks"
        case let .virtualNumberForMarketing(e164):
            "\(e164) is a virtual-operator number (170/171/162/165/167); virtual numbers may not be used for marketing (RULES P8) — use it for service or choose another number"
        case .missingFilingReference:
            "the filing reference (备案号, filingRef) is missing; every caller number is filed with the carrier before use (RULES P8)"
        case let .tooLong(field, maximum):
            "\(field) is longer than \(maximum) characters"
        case let .dailyCapOutOfRange(cap, maximum):
            "daily cap \(cap) is out of range; give 1 to \(maximum) calls per day (RULES P3 default: 20)"
        case let .retiredIsFinal(e164):
            "\(e164) is retired; a retired number never returns to the pool (RULES P13) — add a new number instead"
        case let .unknownPurpose(value):
            "purpose '\(value)' is unknown; use 'service' or 'marketing' (RULES P5)"
        case let .unknownStatus(value):
            "status '\(value)' is unknown; use warming, active, standby, resting, suspended or retired"
        case let .invalidDailyCap(value):
            "daily cap '\(value)' is not a whole number"
        case let .notFound(e164):
            "\(e164) is not in the caller-number pool"
        case let .alreadyExists(e164):
            "\(e164) is already in the caller-number pool; change it with PATCH /v1/caller-numbers/\(e164)"
        }
    }
}
