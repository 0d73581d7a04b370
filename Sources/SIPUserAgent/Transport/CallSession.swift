import Logging
import NIOCore
import SIP

/// What one INVITE attempt needs: the call's configuration, where to send it, and what to do once answered.
struct AttemptSpec: Sendable {
    /// What to do after the answer.
    enum Talk: Sendable {
        /// Hang up with BYE after this long (zero: right after the ACK).
        case hangUpAfter(Duration)
        /// Play these samples, then hang up with BYE.
        case play([Int16])
    }

    var configuration: OutboundCall.Configuration
    /// The trunk's address: every request goes there, as to an outbound proxy (RFC 3261 §8.1.2).
    var destination: SocketAddress
    var ringTimeout: Duration
    var talk: Talk
    var media: MediaSession?
    var logger: Logger
}

/// How one attempt ended.
struct AttemptReport: Sendable {
    var callID: String
    var record: CallRecord
}

/// Timers a session runs on the core's wheel.
enum SessionTimer: Hashable, Sendable {
    /// A timer of the `OutboundCall` state machine.
    case call(CallTimer)
    /// The ring timeout: cancel if still unanswered.
    case ring
    /// The end of the talk time: hang up.
    case talk
    /// A timer of a probe's OPTIONS transaction.
    case probe(TransactionTimer)
}

/// The pending timers of one session, each with the generation it was scheduled with: a wheel entry whose
/// generation no longer matches was cancelled or replaced. A session has a handful at most, so a short list
/// compared by equality (their transaction branches are the very strings scheduled) costs less than hashing
/// the keys on every timer event.
struct TimerGenerations {
    private var entries: [(timer: SessionTimer, generation: UInt64)] = []

    subscript(timer: SessionTimer) -> UInt64? {
        get { entries.first { $0.timer == timer }?.generation }
        set {
            if let index = entries.firstIndex(where: { $0.timer == timer }) {
                if let newValue {
                    entries[index].generation = newValue
                } else {
                    entries.swapAt(index, entries.count - 1)
                    entries.removeLast()
                }
            } else if let newValue {
                if entries.isEmpty { entries.reserveCapacity(4) }
                entries.append((timer, newValue))
            }
        }
    }
}

/// Something that owns timers on the core's wheel and receives the messages of one Call-ID.
/// Confined to the core's event loop.
protocol SessionOwner: AnyObject {
    var id: UInt64 { get }
    var timerGenerations: TimerGenerations { get set }
    func timerFired(_ timer: SessionTimer, at now: ContinuousClock.Instant)
    func receive(_ message: SIPMessage, from address: SocketAddress, at now: ContinuousClock.Instant)
    /// The socket closed: settle now, with whatever state there is.
    func abandon(at now: ContinuousClock.Instant)
}

/// Drives one `OutboundCall` against the network: sends its messages, runs its timers, applies the
/// ring timeout and talk plan, and reports once every exchange the call started is settled.
/// Confined to the core's event loop.
final class CallSession: SessionOwner {
    let id: UInt64
    var timerGenerations = TimerGenerations()
    private unowned let core: UserAgentCore
    private var call: OutboundCall
    // The attempt's parts used after the start; its configuration lives on in `call` alone, not in a
    // second copy held for the whole call and its linger.
    private let destination: SocketAddress
    private let ringTimeout: Duration
    private let talk: AttemptSpec.Talk
    private let media: MediaSession?
    private var logger: Logger
    private var ended: CallRecord?
    private var audio: NegotiatedAudio?
    private var talkStarted = false
    private var isReported = false
    private var isFinished = false
    private var onSettled: ((AttemptReport) -> Void)?

    var callID: String { call.callID }

    init(id: UInt64, core: UserAgentCore, spec: AttemptSpec, at now: ContinuousClock.Instant, onSettled: @escaping (AttemptReport) -> Void) {
        self.id = id
        self.core = core
        destination = spec.destination
        ringTimeout = spec.ringTimeout
        talk = spec.talk
        media = spec.media
        var actions = core.borrowActionList()
        let call = OutboundCall.start(spec.configuration, at: now, into: &actions)
        self.call = call
        self.onSettled = onSettled
        var logger = spec.logger
        // Metadata costs an allocation per call; only pay for it when it will be printed.
        if logger.logLevel <= .debug {
            logger[metadataKey: "call-id"] = "\(call.callID)"
        }
        self.logger = logger
        pendingStart = actions
    }

    /// The INVITE's actions, performed by `begin` once the core has registered the session.
    private var pendingStart: [CallAction]

    func begin(at now: ContinuousClock.Instant) {
        logger.debug("INVITE", metadata: ["destination": "\(destination)"])
        core.schedule(.ring, for: self, after: ringTimeout)
        let actions = pendingStart
        pendingStart = []
        perform(actions, replyTo: nil, at: now)
        core.recycle(consume actions)
    }

    /// Feeds one event to the call with an action list the core lends, performs the actions and gives the
    /// list back.
    private func handle(replyTo: SocketAddress?, at now: ContinuousClock.Instant, _ event: (inout OutboundCall, inout [CallAction]) -> Void) {
        var actions = core.borrowActionList()
        event(&call, &actions)
        perform(actions, replyTo: replyTo, at: now)
        core.recycle(consume actions)
    }

    func receive(_ message: SIPMessage, from address: SocketAddress, at now: ContinuousClock.Instant) {
        switch message {
        case .response(let response): handle(replyTo: address, at: now) { $0.receive(response, at: now, into: &$1) }
        case .request(let request): handle(replyTo: address, at: now) { $0.receive(request, at: now, into: &$1) }
        }
    }

    func timerFired(_ timer: SessionTimer, at now: ContinuousClock.Instant) {
        switch timer {
        case .call(let callTimer):
            handle(replyTo: nil, at: now) { $0.timerFired(callTimer, at: now, into: &$1) }
        case .ring:
            logger.debug("ring timeout, cancelling")
            handle(replyTo: nil, at: now) { $0.ringTimeout(at: now, into: &$1) }
        case .talk:
            hangUp(at: now)
        case .probe:
            break
        }
    }

    /// Hangs up: CANCEL while ringing, BYE once answered (RFC 3261 §9.1, §15.1.1).
    func hangUp(at now: ContinuousClock.Instant) {
        handle(replyTo: nil, at: now) { $0.hangUp(at: now, into: &$1) }
    }

    func abandon(at now: ContinuousClock.Instant) {
        if ended == nil {
            hangUp(at: now)
        }
        if ended == nil {
            handle(replyTo: nil, at: now) { $0.transportFailed(at: now, into: &$1) }
        }
        report(ended ?? call.outcome)
    }

    private func perform(_ actions: [CallAction], replyTo: SocketAddress?, at now: ContinuousClock.Instant) {
        var sendFailed = false
        for action in actions {
            switch action {
            case .send(let message):
                switch message {
                case .request:
                    if !core.send(message, to: destination) { sendFailed = true }
                case .response:
                    // RFC 3581 §4: answer to the address the request came from.
                    core.send(message, to: replyTo ?? destination)
                }
            case .startTimer(let timer, let duration):
                core.schedule(.call(timer), for: self, after: duration)
            case .cancelTimer(let timer):
                timerGenerations[.call(timer)] = nil
            case .startMedia(let audio):
                logger.debug("media", metadata: ["remote": "\(audio.address):\(audio.port)", "codec": "\(audio.codec)"])
                self.audio = audio
                media?.remoteChanged(audio)
            case .ended(let record):
                ended = record
                timerGenerations[.ring] = nil
                timerGenerations[.talk] = nil
                media?.stopSending()
                logger.debug("ended", metadata: [
                    "outcome": "\(record.classification.map(\.rawValue) ?? "-")",
                    "status": "\(record.finalStatus.map(String.init) ?? "-")",
                ])
            case .finished:
                isFinished = true
            }
        }
        if call.state == .confirmed, !talkStarted {
            startTalking(at: now)
        }
        if sendFailed, ended == nil {
            // RFC 3261 §17.1.1.2: a transport error ends the INVITE transaction at once.
            handle(replyTo: nil, at: now) { $0.transportFailed(at: now, into: &$1) }
        }
        if let ended, !call.isAwaitingResponses {
            report(ended)
        }
        if isFinished {
            core.remove(self)
        }
    }

    private func startTalking(at now: ContinuousClock.Instant) {
        talkStarted = true
        timerGenerations[.ring] = nil
        switch talk {
        case .hangUpAfter(let duration) where duration <= .zero:
            hangUp(at: now)
        case .hangUpAfter(let duration):
            core.schedule(.talk, for: self, after: duration)
        case .play(let samples):
            guard let media, let audio else {
                hangUp(at: now)
                return
            }
            let core = self.core
            let callID = call.callID
            media.play(samples, with: audio) {
                core.hangUp(callID: callID)
            }
        }
    }

    private func report(_ record: CallRecord) {
        guard !isReported else { return }
        isReported = true
        let onSettled = self.onSettled
        self.onSettled = nil
        onSettled?(AttemptReport(callID: call.callID, record: record))
    }
}
