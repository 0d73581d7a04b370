/// A SIP request method (RFC 3261 §7.1). Methods are case-sensitive; unknown extension methods are kept verbatim.
public struct SIPMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The method token as sent.
    public let rawValue: String

    /// Wraps a method token.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// Wraps a method token.
    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    /// Wraps a method token literal.
    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    /// The method token.
    public var description: String { rawValue }

    /// RFC 3261 §13.
    public static let invite: SIPMethod = "INVITE"
    /// RFC 3261 §17.1.1.3, §13.2.2.4.
    public static let ack: SIPMethod = "ACK"
    /// RFC 3261 §15.
    public static let bye: SIPMethod = "BYE"
    /// RFC 3261 §9.
    public static let cancel: SIPMethod = "CANCEL"
    /// RFC 3261 §11.
    public static let options: SIPMethod = "OPTIONS"
    /// RFC 3261 §10.
    public static let register: SIPMethod = "REGISTER"
    /// RFC 6086.
    public static let info: SIPMethod = "INFO"
    /// RFC 3311.
    public static let update: SIPMethod = "UPDATE"
    /// RFC 3262.
    public static let prack: SIPMethod = "PRACK"
}
