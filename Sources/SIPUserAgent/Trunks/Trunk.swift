import Foundation
import SIP

/// The transport a trunk is reached over.
public enum TrunkTransport: String, Hashable, Sendable {
    /// SIP over UDP (RFC 3261 §18).
    case udp
}

/// A SIP trunk (a carrier's or PBX's signalling address) that calls can be sent through.
///
/// Its textual forms (`description`, `debugDescription`, `dump`, and so string interpolation in logs)
/// never show the password.
public struct Trunk: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// A unique name, used in routes, results and statistics.
    public var name: String
    /// The trunk's host name or IP address; it also becomes the host of the Request-URI, From and To.
    public var host: String
    /// The trunk's SIP port.
    public var port: Int
    /// The transport.
    public var transport: TrunkTransport
    /// The digest username, when the trunk challenges (RFC 3261 §22). Pass it from the secret store.
    public var username: String?
    /// The digest password. Pass it from the secret store; it is never logged.
    public var password: String?
    /// Lower is tried first.
    public var priority: Int
    /// Relative share among trunks of equal priority (RFC 2782-style weighted choice); 0 means
    /// "only when every weighted trunk of that priority failed".
    public var weight: Int
    /// At most this many calls at once; a full trunk is skipped for the next one. Nil is unlimited.
    public var maxConcurrentCalls: Int?
    /// At most this many new INVITEs per second; calls over the rate wait (queue) for their slot. Nil is unlimited.
    public var maxCallsPerSecond: Double?
    /// Caller-number prefixes this trunk may present, e.g. `["+86755", "0755"]`; empty allows any caller.
    public var callerNumberRanges: [String]
    /// Price per minute of talk time, in the account currency.
    public var costPerMinute: Decimal

    /// Creates a trunk.
    public init(
        name: String,
        host: String,
        port: Int = 5060,
        transport: TrunkTransport = .udp,
        username: String? = nil,
        password: String? = nil,
        priority: Int = 0,
        weight: Int = 1,
        maxConcurrentCalls: Int? = nil,
        maxCallsPerSecond: Double? = nil,
        callerNumberRanges: [String] = [],
        costPerMinute: Decimal = 0
    ) {
        self.name = name
        self.host = host
        self.port = port
        self.transport = transport
        self.username = username
        self.password = password
        self.priority = priority
        self.weight = weight
        self.maxConcurrentCalls = maxConcurrentCalls
        self.maxCallsPerSecond = maxCallsPerSecond
        self.callerNumberRanges = callerNumberRanges
        self.costPerMinute = costPerMinute
    }

    /// The trunk without its secret, e.g. `carrier-a (udp 192.0.2.10:5060, user alice)`.
    public var description: String {
        "\(name) (\(transport.rawValue) \(host):\(port)\(username.map { ", user \($0)" } ?? ""))"
    }

    /// The same as `description`, so debug output does not leak the password either.
    public var debugDescription: String { description }

    /// Every field but the password, for `dump` and debuggers.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "name": name, "host": host, "port": port, "transport": transport, "username": username as Any,
            "priority": priority, "weight": weight, "maxConcurrentCalls": maxConcurrentCalls as Any,
            "maxCallsPerSecond": maxCallsPerSecond as Any, "callerNumberRanges": callerNumberRanges,
            "costPerMinute": costPerMinute,
        ], displayStyle: .struct)
    }

    /// Digest credentials, when both username and password are set.
    var credentials: DigestCredentials? {
        guard let username, let password else { return nil }
        return DigestCredentials(username: username, password: password)
    }

    /// Whether this trunk may present `callerNumber`.
    public func allows(callerNumber: String) -> Bool {
        callerNumberRanges.isEmpty || callerNumberRanges.contains { callerNumber.hasPrefix($0) }
    }
}

/// When a trunk counts as unhealthy: a small circuit breaker.
public struct TrunkHealthPolicy: Hashable, Sendable {
    /// Consecutive failed attempts (outcomes that fail over) that make a trunk unhealthy.
    public var failureThreshold: Int
    /// How long an unhealthy trunk is skipped after its last failure; then one call may try it again.
    public var cooldown: Duration

    /// Creates a policy; by default three failures in a row take a trunk out for 30 s.
    public init(failureThreshold: Int = 3, cooldown: Duration = .seconds(30)) {
        self.failureThreshold = failureThreshold
        self.cooldown = cooldown
    }
}

/// A trunk's counters, as read by ``SIPUserAgent/trunkStatistics()``.
public struct TrunkStatistics: Hashable, Sendable {
    /// The trunk's name.
    public var name: String
    /// INVITE attempts finished on this trunk.
    public var attempts: Int
    /// Attempts that did not fail over (answered, busy, no answer, …: the trunk did its job).
    public var successes: Int
    /// Attempts that failed over (5xx, timeout, transport failure, unclassified status).
    public var failures: Int
    /// Failures since the last success or successful probe.
    public var consecutiveFailures: Int
    /// When the last failure happened (wall clock).
    public var lastFailure: Date?
    /// The final status of the last failure, nil for a timeout.
    public var lastFailureStatus: Int?
    /// successes / attempts, nil before the first attempt.
    public var successRate: Double?
    /// Calls holding a slot now (placing, ringing or talking, or queued for the CPS limit).
    public var activeCalls: Int
    /// Answered talk time in seconds.
    public var talkSeconds: Double
    /// talkSeconds / 60 × costPerMinute, billed per second.
    public var cost: Decimal
    /// Whether the trunk is currently taking calls.
    public var isHealthy: Bool
}
