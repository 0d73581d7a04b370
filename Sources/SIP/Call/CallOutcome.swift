/// How a dialer classifies the end of an outbound call.
public enum CallOutcome: String, Hashable, Sendable, CaseIterable {
    case answered
    case busy
    /// 空号: the number does not exist.
    case invalidNumber = "invalid_number"
    case noAnswer = "no_answer"
    case declined
    /// The trunk failed; the dialer should retry on another trunk.
    case trunkFailure = "trunk_failure"

    /// Classifies the final status of an INVITE. `cancelledByUs` is true when we sent CANCEL, which
    /// makes a 487 an unanswered call rather than a trunk problem. Statuses the table does not name
    /// count as trunk failures, so the dialer fails over rather than dropping the number.
    public init(finalStatus: Int, cancelledByUs: Bool) {
        switch finalStatus {
        case 200...299: self = .answered  // RFC 3261 §21.2 Successful
        case 486: self = .busy  // RFC 3261 §21.4.24 Busy Here
        case 600: self = .busy  // RFC 3261 §21.6.1 Busy Everywhere
        case 404: self = .invalidNumber  // RFC 3261 §21.4.5 Not Found
        case 484: self = .invalidNumber  // RFC 3261 §21.4.22 Address Incomplete
        case 604: self = .invalidNumber  // RFC 3261 §21.6.3 Does Not Exist Anywhere
        case 480: self = .noAnswer  // RFC 3261 §21.4.18 Temporarily Unavailable
        case 408: self = .noAnswer  // RFC 3261 §21.4.9 Request Timeout (from the far end)
        case 487 where cancelledByUs: self = .noAnswer  // RFC 3261 §9.1, §21.4.25 Request Terminated by our CANCEL
        case 603: self = .declined  // RFC 3261 §21.6.2 Decline
        case 607: self = .declined  // RFC 8197 §3 Unwanted
        case 608: self = .declined  // RFC 8688 §3 Rejected
        case 500...599: self = .trunkFailure  // RFC 3261 §21.5 Server Failure
        default: self = .trunkFailure  // anything unclassified, incl. our own Timer B timeout (RFC 3261 §17.1.1.2)
        }
    }

    /// Whether the dialer should retry the number on another trunk.
    public var failsOver: Bool { self == .trunkFailure }
}
