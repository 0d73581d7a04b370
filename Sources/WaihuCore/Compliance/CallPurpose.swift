/// Why a call is placed; the compliance rules differ by purpose.
public enum CallPurpose: String, Sendable, Codable, CaseIterable, Hashable {
    /// 营销: needs separate marketing consent (RULES C1); 48 h between marketing calls (C6).
    case marketing
    /// 回访, 售后: service follow-up with an existing customer.
    case service
    /// 通知: a notice the customer expects (bill due, delivery).
    case notification
    /// 紧急通知: urgent notification (fraud alert, outage); exempt from calling hours (RULES C4).
    case urgent

    /// Accepts the English names in any case and 营销/服务/通知/紧急.
    public init?(parsing text: String) {
        let lower = text.trimmingWhitespace().lowercased()
        if let purpose = CallPurpose(rawValue: lower) {
            self = purpose
            return
        }
        switch lower {
        case "营销", "推广", "销售": self = .marketing
        case "服务", "客服", "回访", "售后": self = .service
        case "通知": self = .notification
        case "紧急", "紧急通知": self = .urgent
        default: return nil
        }
    }

    /// The consent scope that covers calls of this purpose.
    public var consentScope: ConsentScope {
        switch self {
        case .marketing: .marketing
        case .service: .service
        case .notification, .urgent: .notification
        }
    }

    /// The sub-pool whose numbers may place calls of this purpose (RULES P5): marketing numbers for marketing,
    /// service numbers for the rest.
    public var numberPurpose: NumberPurpose { self == .marketing ? .marketing : .service }

    var bit: UInt8 { 1 << index }

    /// Position in `allCases`, for packed storage.
    var index: UInt8 {
        switch self {
        case .marketing: 0
        case .service: 1
        case .notification: 2
        case .urgent: 3
        }
    }
}

/// A set of call purposes, for policy settings such as "which purposes a list blocks".
public struct CallPurposes: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public init(_ purposes: [CallPurpose]) {
        rawValue = purposes.reduce(0) { $0 | $1.bit }
    }

    public static let marketing = CallPurposes([.marketing])
    public static let all = CallPurposes(CallPurpose.allCases)

    public func contains(_ purpose: CallPurpose) -> Bool { rawValue & purpose.bit != 0 }

    /// The purposes, in declaration order.
    public var purposes: [CallPurpose] { CallPurpose.allCases.filter(contains) }
}
