import Foundation

/// A marking platform that labels callers for its users (RULES P9).
public enum MarkPlatform: String, Sendable, Codable, CaseIterable, Hashable {
    case p360 = "360"  // 360手机卫士
    case tencent  // 腾讯手机管家
    case baidu
    case sogou
    case huawei
    case xiaomi
    case other
}

/// What a platform's users marked a number as.
public enum MarkKind: String, Sendable, Codable, CaseIterable, Hashable {
    /// 骚扰电话.
    case harassment
    /// 推销.
    case sales
    /// 诈骗: stop at once (RULES P10).
    case fraud
    case other
}

/// What a platform reported about a number at one time: its current count of marks of one kind.
public struct MarkObservation: Sendable, Hashable {
    public let number: PhoneNumber
    public let platform: MarkPlatform
    public let kind: MarkKind
    public let count: Int
    public let observedAt: Date
    /// `api`, `poll`, `file:<name>`, `appeal` …
    public let source: String

    public init(number: PhoneNumber, platform: MarkPlatform, kind: MarkKind, count: Int, observedAt: Date, source: String) throws(PoolInputError) {
        guard count >= 0 else { throw .negativeMarkCount(count) }
        self.number = number
        self.platform = platform
        self.kind = kind
        self.count = count
        self.observedAt = observedAt
        self.source = source
    }
}

/// A number's current marks: the latest count per platform and kind.
public struct MarkSummary: Sendable, Hashable {
    public var counts: [MarkPlatform: [MarkKind: Int]] = [:]

    public init() {}

    /// Folds observations in time order: each replaces the platform's earlier count of its kind.
    public init(_ observations: [MarkObservation]) {
        for observation in observations.sorted(by: { $0.observedAt < $1.observedAt }) {
            counts[observation.platform, default: [:]][observation.kind] = observation.count
        }
    }

    /// All marks, every platform and kind (RULES P9 counts these).
    public var total: Int { counts.values.reduce(0) { $0 + $1.values.reduce(0, +) } }

    /// Fraud marks (RULES P10).
    public var fraud: Int { counts.values.reduce(0) { $0 + ($1[.fraud] ?? 0) } }

    /// Platforms with at least one fraud mark.
    public var fraudPlatforms: [MarkPlatform] {
        MarkPlatform.allCases.filter { (counts[$0]?[.fraud] ?? 0) > 0 }
    }

    /// Marks on one platform.
    public func total(on platform: MarkPlatform) -> Int { counts[platform]?.values.reduce(0, +) ?? 0 }
}

/// Why a pool input was refused; the description says what to do.
public enum PoolInputError: Error, Sendable, Equatable, CustomStringConvertible {
    case negativeMarkCount(Int)
    case notInPool(String)
    case unknownAgent(String)
    case untrainedAgent(String)
    case agentRequired
    case noNumberAvailable(purpose: NumberPurpose)
    case unknownReservation(String)
    case reservationExpired(String)
    case appealNotFound(Int64)
    case appealTransition(from: AppealState, to: AppealState)
    case appealAlreadyOpen(number: String, platform: MarkPlatform)

    public var description: String {
        switch self {
        case let .negativeMarkCount(count): "mark count \(count) is negative"
        case let .notInPool(number): "\(number) is not in the caller-number pool"
        case let .unknownAgent(id): "agent '\(id)' is unknown; register agents with PUT /v1/agents/{id}"
        case let .untrainedAgent(id): "agent '\(id)' is not marked trained; marketing numbers are used only by trained agents (RULES P6)"
        case .agentRequired: "marketing calls name the trained agent placing them (RULES P6)"
        case let .noNumberAvailable(purpose): "no \(purpose.rawValue) number can dial now: every eligible number is at its cap, warming up, in a call or out of service — add numbers or promote standby ones"
        case let .unknownReservation(id): "no reservation \(id); it was released, expired or never existed"
        case let .reservationExpired(id): "reservation \(id) expired before the call was dialled; select again"
        case let .appealNotFound(id): "no appeal has id \(id)"
        case let .appealTransition(from, to): "an appeal cannot go from \(from.rawValue) to \(to.rawValue) (draft → submitted → accepted or rejected)"
        case let .appealAlreadyOpen(number, platform): "\(number) already has an open appeal with \(platform.rawValue)"
        }
    }
}
