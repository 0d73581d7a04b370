import SIP

/// Why the user agent cannot place a call or start. Each case says what the caller should do.
public enum SIPUserAgentError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The ring timeout is below the product minimum; ask for at least `minimum`.
    case ringTimeoutTooShort(requested: Duration, minimum: Duration)
    /// The callee is not a dialable number; pass digits with an optional leading `+`.
    case invalidCallee(String)
    /// The caller number is not a number; pass digits with an optional leading `+`.
    case invalidCallerNumber(String)
    /// The display name contains a control character; remove it.
    case invalidDisplayName(String)
    /// A named trunk is not configured; fix the name or add the trunk to the configuration.
    case unknownTrunk(String)
    /// No configured trunk may present this caller number; add its prefix to a trunk's `callerNumberRanges`.
    case noTrunkForCaller(String)
    /// Every eligible trunk is unhealthy or at its concurrent-call limit; retry the call later.
    case noTrunkAvailable(tried: [String])
    /// A trunk's host did not resolve; check its `host` setting and DNS.
    case unresolvableHost(String)
    /// The prompt could not be read; check that the file exists and is readable.
    case promptUnreadable(path: String, reason: String)
    /// The prompt is not an 8 kHz mono WAV in 16-bit PCM, A-law or μ-law; convert it (e.g. `sox in.wav -r 8000 -c 1 -b 16 out.wav`).
    case promptUnsupported(path: String, WAVError)
    /// A talk plan or recording needs audio but the request uses ``MediaMode/signallingOnly``; use ``MediaMode/rtp``.
    case mediaRequired
    /// The RTP socket could not be bound; check `mediaHost` and free ports.
    case mediaBindFailed(String)
    /// The SIP socket could not be bound; check `host`/`port` and that nothing else listens there.
    case bindFailed(String)
    /// The user agent is shutting down and takes no new calls; place the call on another instance.
    case shuttingDown
    /// The user agent stopped (its `run()` returned or failed); create a new one and run it before placing calls.
    case notRunning
    /// The calling task was cancelled before any INVITE was sent; nothing was dialled.
    case cancelled
    /// `run()` was called on a user agent that already ran; create a new user agent instead.
    case alreadyStarted
    /// The socket binds a wildcard address, so the address to put in Via, Contact and SDP is unknown;
    /// set `advertisedHost` to this machine's address as the trunk reaches it.
    case advertisedHostRequired

    /// A sentence for logs.
    public var description: String {
        switch self {
        case .ringTimeoutTooShort(let requested, let minimum):
            "ring timeout \(requested) is below the minimum \(minimum); ask for at least \(minimum)"
        case .invalidCallee(let number): "callee \"\(number)\" is not a dialable number; use digits with an optional leading +"
        case .invalidCallerNumber(let number): "caller number \"\(number)\" is not a number; use digits with an optional leading +"
        case .invalidDisplayName(let name): "display name \"\(name)\" contains a control character; remove it"
        case .unknownTrunk(let name): "no trunk named \"\(name)\" is configured; fix the name or configure the trunk"
        case .noTrunkForCaller(let number): "no trunk may present caller \(number); add its prefix to a trunk's callerNumberRanges"
        case .noTrunkAvailable(let tried): "trunks \(tried) are unhealthy or full; retry the call later"
        case .unresolvableHost(let host): "trunk host \(host) does not resolve; check the trunk's host and DNS"
        case .promptUnreadable(let path, let reason): "prompt \(path) cannot be read (\(reason)); check the path and permissions"
        case .promptUnsupported(let path, let error): "prompt \(path) is not an 8 kHz mono PCM16/G.711 WAV (\(error)); convert it"
        case .mediaRequired: "prompts and recordings need MediaMode.rtp"
        case .mediaBindFailed(let reason): "cannot bind an RTP socket (\(reason)); check mediaHost and free ports"
        case .bindFailed(let reason): "cannot bind the SIP socket (\(reason)); check host/port and that nothing else uses the port"
        case .shuttingDown: "the user agent is shutting down and takes no new calls; use another instance"
        case .notRunning: "the user agent is not running; run() a new one (e.g. in a ServiceGroup) first"
        case .cancelled: "the call was cancelled before any INVITE was sent; nothing was dialled"
        case .alreadyStarted: "run() was already called on this user agent; create a new one"
        case .advertisedHostRequired: "binding a wildcard address needs advertisedHost for Via, Contact and SDP"
        }
    }
}
