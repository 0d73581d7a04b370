import Logging
import NIOCore
import SIP

/// The SIP socket's event-loop side: parses datagrams, routes them by Call-ID to their call or probe,
/// sends what the state machines ask for, and runs every transaction timer on one timer wheel.
///
/// All mutable state is confined to `eventLoop`; methods without an `OnLoop` counterpart hop onto it,
/// which is what makes the `@unchecked Sendable` sound. Calls never block each other: every step is a
/// short, non-blocking state-machine transition.
final class UserAgentCore: @unchecked Sendable {
    private struct WheelEntry {
        let owner: UInt64
        let timer: SessionTimer
        let generation: UInt64
        let deadline: NIODeadline
    }

    let eventLoop: any EventLoop
    private let logger: Logger
    private let observer: (@Sendable (SIPTraceEvent) -> Void)?

    private var channel: (any Channel)?
    private var owners: [UInt64: any SessionOwner] = [:]
    private var ownersByCallID: [CallIDKey: any SessionOwner] = [:]
    private var wheel: TimerWheel<WheelEntry>
    private var wheelArmedFor: NIODeadline?
    /// While a timer fires, its own deadline: timers it starts count from there rather than from the
    /// (slightly later) moment the wheel got to it, so retransmission schedules do not drift.
    private var firingDeadline: NIODeadline?
    private var needsFlush = false
    /// Where messages are serialized before they are copied into their datagram, kept between messages.
    private var scratch: [UInt8] = []
    /// Action lists lent to calls for one event each and given back after it: a call would otherwise
    /// allocate a list for every response, timer and hang-up. A stack, because an event can lead to
    /// another before its own list is back (an answer that hangs up at once).
    private var spareActionLists: [[CallAction]] = []
    /// From, To, Via, Contact, Route and Record-Route values already parsed: a call's responses repeat
    /// them byte for byte.
    private var headerMemo = SIPHeaderMemo()
    private var statistics = TransportStatistics()
    private var nextID: UInt64 = 0
    private var nextGeneration: UInt64 = 0
    private var isDraining = false

    init(eventLoop: any EventLoop, logger: Logger, observer: (@Sendable (SIPTraceEvent) -> Void)?) {
        self.eventLoop = eventLoop
        self.logger = logger
        self.observer = observer
        self.wheel = TimerWheel(origin: .now())
    }

    // MARK: Socket

    /// Takes the bound channel; called on the loop by the channel initializer.
    func attach(_ channel: any Channel) {
        eventLoop.assertInEventLoop()
        self.channel = channel
    }

    /// The socket closed: every call and probe settles with what it has.
    func channelClosed() {
        eventLoop.assertInEventLoop()
        channel = nil
        let now = ContinuousClock.now
        for owner in owners.values {
            owner.abandon(at: now)
        }
        owners.removeAll()
        ownersByCallID.removeAll()
    }

    /// One datagram from the network.
    func receive(_ buffer: ByteBuffer, from address: SocketAddress) {
        statistics.received += 1
        let message: SIPMessage
        do {
            message = try SIPMessage(parsing: Array(buffer.readableBytesView), memo: &headerMemo)
        } catch {
            statistics.unparseable += 1
            logger.debug("dropped unparseable datagram", metadata: ["from": "\(address)", "error": "\(error)"])
            return
        }
        observer?(SIPTraceEvent(direction: .received, message: message, remote: Self.describe(address)))
        let headers: SIPHeaders
        switch message {
        case .request(let request): headers = request.headers
        case .response(let response): headers = response.headers
        }
        let owner = headers.withFirstValueBytes(.callID) { callID in
            CallIDKey.withBorrowedBytes(callID) { ownersByCallID[$0] }
        } ?? nil
        if let owner {
            owner.receive(message, from: address, at: .now)
        } else if case .request(let request) = message {
            answerStray(request, from: address)
        } else {
            // RFC 3261 §18.1.2: a response matching no transaction is discarded.
            statistics.unmatched += 1
        }
    }

    /// An empty action list, for one event of a call; give it back with `recycle(_:)`.
    func borrowActionList() -> [CallAction] {
        if let list = spareActionLists.popLast() { return list }
        var list: [CallAction] = []
        list.reserveCapacity(8)
        return list
    }

    /// Takes back a list from `borrowActionList()`, emptied and keeping its storage.
    func recycle(_ list: consuming [CallAction]) {
        var list = list
        list.removeAll(keepingCapacity: true)
        // A few suffice for the deepest nesting of events; more would only hold memory.
        if spareActionLists.count < 4 { spareActionLists.append(list) }
    }

    /// Sends a message; false when there is no socket to send it on.
    @discardableResult
    func send(_ message: SIPMessage, to address: SocketAddress) -> Bool {
        guard let channel else {
            statistics.sendFailures += 1
            return false
        }
        scratch.removeAll(keepingCapacity: true)
        message.serialize(into: &scratch)
        var buffer = channel.allocator.buffer(capacity: scratch.count)
        buffer.writeBytes(scratch)
        channel.write(AddressedEnvelope(remoteAddress: address, data: buffer), promise: nil)
        statistics.sent += 1
        needsFlush = true
        observer?(SIPTraceEvent(direction: .sent, message: message, remote: Self.describe(address)))
        return true
    }

    /// Flushes what was written since the last flush, as one batch (sendmmsg where available).
    func flush() {
        guard needsFlush else { return }
        needsFlush = false
        channel?.flush()
    }

    /// A write or read error the channel reported.
    func transportError(_ error: any Error) {
        statistics.sendFailures += 1
        logger.warning("SIP socket error", metadata: ["error": "\(error)"])
    }

    // RFC 3261 §8.2: requests outside any call. We are an outbound-only UA.
    private func answerStray(_ request: SIPRequest, from address: SocketAddress) {
        switch request.method {
        case .ack:
            return  // RFC 3261 §17.2.3: ACK is never answered.
        case .options:
            // RFC 3261 §11.2: answer capabilities as an INVITE would be answered.
            var response = SIPResponse(replyingTo: request, statusCode: 200)
            response.headers.append(.allow, "ACK, CANCEL, BYE, OPTIONS")
            response.headers.append(.accept, "application/sdp")
            send(.response(response), to: address)
        case .invite:
            // RFC 3261 §8.2.1: this UA does not take incoming calls.
            var response = SIPResponse(replyingTo: request, statusCode: 405)
            response.headers.append(.allow, "ACK, CANCEL, BYE, OPTIONS")
            send(.response(response), to: address)
        default:
            // RFC 3261 §12.2.2, §9.2: no call or transaction matches.
            send(.response(SIPResponse(replyingTo: request, statusCode: 481)), to: address)
        }
        flush()
    }

    // MARK: Sessions

    /// Places one INVITE attempt; the future succeeds once every exchange of the call is settled, or
    /// with nil when the user agent is draining and the INVITE was not sent.
    func startCall(_ spec: AttemptSpec) -> EventLoopFuture<AttemptReport?> {
        let promise = eventLoop.makePromise(of: AttemptReport?.self)
        eventLoop.execute {
            guard !self.isDraining else {
                promise.succeed(nil)
                return
            }
            self.startCallOnLoop(spec) { promise.succeed($0) }
        }
        return promise.futureResult
    }

    /// Places one INVITE attempt from the loop; `onSettled` runs on the loop. Without `flush` the
    /// INVITE waits for the caller's next `flush()`, so a batch of calls leaves in one system call.
    func startCallOnLoop(_ spec: AttemptSpec, flush: Bool = true, onSettled: @escaping (AttemptReport) -> Void) {
        eventLoop.assertInEventLoop()
        let now = ContinuousClock.now
        let session = CallSession(id: makeID(), core: self, spec: spec, at: now, onSettled: onSettled)
        owners[session.id] = session
        ownersByCallID[CallIDKey(session.callID)] = session
        session.begin(at: now)
        if flush { self.flush() }
    }

    /// Hangs up the call with this Call-ID, if it is still held (CANCEL or BYE).
    func hangUp(callID: String) {
        eventLoop.execute {
            guard let session = self.ownersByCallID[CallIDKey(callID)] as? CallSession else { return }
            session.hangUp(at: .now)
            self.flush()
        }
    }

    /// Graceful shutdown: refuses new calls and hangs up every call (CANCEL or BYE).
    func beginDraining() {
        eventLoop.execute {
            self.isDraining = true
            let now = ContinuousClock.now
            for case let session as CallSession in Array(self.owners.values) {
                session.hangUp(at: now)
            }
            self.flush()
        }
    }

    /// Sends an OPTIONS and reports its final response or timeout.
    func probe(_ request: SIPRequest, to destination: SocketAddress, timers: TransactionTimers) -> EventLoopFuture<ProbeResult> {
        let promise = eventLoop.makePromise(of: ProbeResult.self)
        eventLoop.execute {
            let now = ContinuousClock.now
            do {
                let session = try ProbeSession(
                    id: self.makeID(), core: self, request: request, destination: destination, timers: timers, at: now
                ) { promise.succeed($0) }
                self.owners[session.id] = session
                self.ownersByCallID[CallIDKey(session.callID)] = session
                session.begin(at: now)
                self.flush()
            } catch {
                self.logger.error("cannot start OPTIONS transaction", metadata: ["error": "\(error)"])
                promise.succeed(ProbeResult(statusCode: nil, roundTripMilliseconds: nil))
            }
        }
        return promise.futureResult
    }

    /// Drops a session that has nothing left to do.
    func remove(_ owner: any SessionOwner) {
        owners[owner.id] = nil
        if let session = owner as? CallSession {
            ownersByCallID[CallIDKey(session.callID)] = nil
        } else if let probe = owner as? ProbeSession {
            ownersByCallID[CallIDKey(probe.callID)] = nil
        }
    }

    /// Counters, read on the loop.
    func currentStatistics() -> EventLoopFuture<TransportStatistics> {
        eventLoop.submit {
            var statistics = self.statistics
            statistics.activeSessions = self.owners.count
            statistics.headerMemoHits = self.headerMemo.hits
            statistics.headerMemoMisses = self.headerMemo.misses
            return statistics
        }
    }

    private func makeID() -> UInt64 {
        nextID += 1
        return nextID
    }

    // MARK: Timers

    /// Runs `timerFired(timer)` on `owner` after `duration`, replacing a pending timer of the same kind.
    func schedule(_ timer: SessionTimer, for owner: any SessionOwner, after duration: Duration) {
        nextGeneration += 1
        owner.timerGenerations[timer] = nextGeneration
        let deadline = (firingDeadline ?? .now()) + TimeAmount(duration)
        wheel.schedule(WheelEntry(owner: owner.id, timer: timer, generation: nextGeneration, deadline: deadline), at: deadline)
        armWheel()
    }

    private func armWheel() {
        guard let next = wheel.nextDeadline else { return }
        if let armed = wheelArmedFor, armed <= next { return }
        wheelArmedFor = next
        eventLoop.scheduleTask(deadline: next) {
            self.wheelArmedFor = nil
            self.tick()
        }
    }

    private func tick() {
        let due = wheel.advance(to: .now())
        let now = ContinuousClock.now
        for entry in due {
            guard let owner = owners[entry.owner], owner.timerGenerations[entry.timer] == entry.generation else { continue }
            owner.timerGenerations[entry.timer] = nil
            firingDeadline = entry.deadline
            owner.timerFired(entry.timer, at: now)
            firingDeadline = nil
        }
        flush()
        armWheel()
    }

    static func describe(_ address: SocketAddress) -> String {
        "\(address.ipAddress ?? "?"):\(address.port ?? 0)"
    }
}

extension TimeAmount {
    /// The same span as a `Duration`, to nanosecond precision.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// Hands the SIP socket's datagrams to the core and flushes once per read batch.
final class SIPDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let core: UserAgentCore

    init(core: UserAgentCore) {
        self.core = core
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        core.receive(envelope.data, from: envelope.remoteAddress)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        core.flush()
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        core.transportError(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        core.channelClosed()
        context.fireChannelInactive()
    }
}
