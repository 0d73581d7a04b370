import Logging
import SIP

/// Where a call goes.
public enum CallRoute: Hashable, Sendable {
    /// Let the user agent's ``TrunkSet`` choose among all its trunks, by priority then weight.
    case automatic
    /// Try these trunks of the ``TrunkSet``, by name, in this order (health, capacity and caller
    /// ranges still apply).
    case trunks([String])
    /// Send straight to a SIP URI such as `sip:192.0.2.10:5060`, without trunk selection or failover.
    case direct(SIPURI, credentials: DigestCredentials? = nil)
}

/// What happens once the callee answers.
public enum TalkPlan: Hashable, Sendable {
    /// Play a WAV prompt (8 kHz mono, 16-bit PCM, A-law or μ-law), converted to the negotiated
    /// G.711 codec, then hang up with BYE.
    case prompt(path: String)
    /// Stay on the line for the given time, then hang up with BYE.
    case stayUp(Duration)

    /// Stay up one second, then hang up.
    public static let `default` = TalkPlan.stayUp(.seconds(1))
}

/// Whether a call carries audio.
public enum MediaMode: Hashable, Sendable {
    /// Bind an RTP socket for the call, play and record audio, report DTMF (RFC 4733).
    case rtp
    /// Offer an inactive audio stream on the discard port (RFC 3264 §5.1, §8.4) and open no RTP socket;
    /// for signalling load tests. Prompts and recordings are unavailable.
    case signallingOnly
}

/// One outbound call to place.
public struct CallRequest: Sendable {
    /// The number to call: E.164 with `+` (`+8613800138000`) or a national number (`13800138000`).
    public var callee: String
    /// The number we present, in From and P-Asserted-Identity (RFC 3325 §9.1).
    public var callerNumber: String
    /// An optional display name, quoted in From and P-Asserted-Identity.
    public var displayName: String?
    /// Which trunk(s) to use.
    public var route: CallRoute
    /// How long to wait for an answer before cancelling; at least 15 s.
    public var ringTimeout: Duration
    /// What to do once answered.
    public var talk: TalkPlan
    /// Where to write a WAV (8 kHz, 16-bit PCM) of what the callee sent, when the call ends.
    public var recordingPath: String?
    /// Whether the call carries audio.
    public var media: MediaMode
    /// Logger for this call; the user agent adds `call-id` and `trunk` metadata.
    public var logger: Logger

    /// Creates a request; the ring timeout defaults to 30 s and the talk plan to one second of silence.
    public init(
        callee: String,
        callerNumber: String,
        displayName: String? = nil,
        route: CallRoute = .automatic,
        ringTimeout: Duration = .seconds(30),
        talk: TalkPlan = .default,
        recordingPath: String? = nil,
        media: MediaMode = .rtp,
        logger: Logger = Logger(label: "waihu.sip.call")
    ) {
        self.callee = callee
        self.callerNumber = callerNumber
        self.displayName = displayName
        self.route = route
        self.ringTimeout = ringTimeout
        self.talk = talk
        self.recordingPath = recordingPath
        self.media = media
        self.logger = logger
    }
}

/// One INVITE sent to one trunk while placing a call.
public struct TrunkAttempt: Hashable, Sendable {
    /// The trunk's name, or the URI for a direct call.
    public var trunk: String
    /// The Call-ID of this attempt (each attempt is a new call, RFC 3261 §8.1.1.4).
    public var callID: String
    /// The classification of this attempt.
    public var outcome: CallOutcome
    /// The final status of the INVITE; nil on timeout or transport failure.
    public var finalStatus: Int?
    /// The state machine's record of this attempt.
    public var record: CallRecord
}

/// The single, customer-facing result of a call, whatever number of trunks it took.
public struct CallResult: Hashable, Sendable {
    /// The outcome of the last attempt: earlier attempts failed over and are only in ``attempts``.
    public var outcome: CallOutcome
    /// The final status of the last INVITE, nil on timeout or transport failure.
    public var finalStatus: Int?
    /// Seconds from the last INVITE to the answer, or to the end when unanswered.
    public var ringSeconds: Double
    /// Seconds from the answer to the hang-up; 0 when unanswered.
    public var talkSeconds: Double
    /// The trunk the last attempt used.
    public var trunk: String
    /// Every attempt in order; more than one means failover happened.
    public var attempts: [TrunkAttempt]
    /// DTMF digits the callee sent as RFC 4733 telephone events, in order.
    public var digits: String
    /// The WAV written, when a recording was asked for and written.
    public var recordingPath: String?
    /// The last attempt's record.
    public var record: CallRecord

    /// Attempts per trunk name.
    public var attemptsPerTrunk: [String: Int] {
        attempts.reduce(into: [:]) { $0[$1.trunk, default: 0] += 1 }
    }
}

/// The answer to an OPTIONS ping (RFC 3261 §11).
public struct ProbeResult: Hashable, Sendable {
    /// The final status, or nil when the trunk did not answer within 64*T1 (RFC 3261 §17.1.2.2 Timer F).
    public var statusCode: Int?
    /// Milliseconds from sending the OPTIONS to its final response.
    public var roundTripMilliseconds: Double?

    /// Whether the trunk answered at all; any final status proves it is alive (RFC 3261 §11.2).
    public var isReachable: Bool { statusCode != nil }
}

/// A SIP message on the wire, reported to ``SIPUserAgent/Configuration/messageObserver``.
public struct SIPTraceEvent: Sendable {
    /// Which way the message went.
    public enum Direction: Hashable, Sendable {
        /// We sent the message.
        case sent
        /// We received the message.
        case received
    }

    /// Which way the message went.
    public var direction: Direction
    /// The message.
    public var message: SIPMessage
    /// The peer's address as `host:port`.
    public var remote: String
}

/// Counters of the SIP socket.
public struct TransportStatistics: Hashable, Sendable {
    /// Datagrams received.
    public var received = 0
    /// Datagrams sent.
    public var sent = 0
    /// Datagrams dropped because they were not SIP messages.
    public var unparseable = 0
    /// Responses dropped because no call or probe owns their Call-ID (RFC 3261 §18.1.2).
    public var unmatched = 0
    /// Socket errors: writes the kernel refused, or no socket to write to, and read errors.
    public var sendFailures = 0
    /// Calls and probes currently held.
    public var activeSessions = 0
    /// Header values taken from the parser's memo instead of parsed again (see `SIPHeaderMemo`).
    public var headerMemoHits = 0
    /// Header values the parser had to parse.
    public var headerMemoMisses = 0

    /// Creates zeroed counters.
    public init() {}
}
