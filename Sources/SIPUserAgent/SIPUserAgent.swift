import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SIP
import ServiceLifecycle

/// An outbound-only SIP user agent (RFC 3261 UAC) over UDP, run as a swift-service-lifecycle `Service`.
///
/// `run()` binds one UDP socket and serves until graceful shutdown; ``placeCall(_:)`` places a call
/// through the configured ``TrunkSet`` (with failover) or to a direct URI and returns one
/// ``CallResult``. On graceful shutdown new calls are refused, live calls are hung up (BYE, or CANCEL
/// while ringing), and `run()` returns once they have ended or the grace period has passed.
public final class SIPUserAgent: Service, Sendable {
    /// User agent settings.
    public struct Configuration: Sendable {
        /// The address to bind the SIP socket to.
        public var host: String
        /// The SIP port; 0 binds an ephemeral port (read it with ``SIPUserAgent/boundPort()``).
        public var port: Int
        /// The address put in Via, Contact and SDP; defaults to `host`, and is required when `host` is a wildcard.
        public var advertisedHost: String?
        /// The address to bind RTP sockets to; defaults to `host`.
        public var mediaHost: String?
        /// The trunks calls can use.
        public var trunks: [Trunk]
        /// When trunks count as unhealthy.
        public var trunkHealth: TrunkHealthPolicy
        /// Transaction timers (RFC 3261 §17.1.1.1); the defaults are the RFC's.
        public var timers: TransactionTimers
        /// The User-Agent header value, nil to send none.
        public var userAgentHeader: String?
        /// SO_RCVBUF and SO_SNDBUF of the SIP socket, so bursts are not dropped by the kernel. Linux caps
        /// them at `net.core.rmem_max` / `net.core.wmem_max`; a warning is logged when it did.
        public var socketBufferSize: Int
        /// How long graceful shutdown waits for hung-up calls to end before closing the socket.
        public var shutdownGracePeriod: Duration
        /// Called on the SIP event loop for every message sent and received; keep it fast.
        public var messageObserver: (@Sendable (SIPTraceEvent) -> Void)?
        /// The shortest ring timeout a request may ask for. Product rule: 15 s. Tests lower it to avoid
        /// waiting; production code must not change it.
        @_spi(Testing) public var minimumRingTimeout: Duration = .seconds(15)

        /// Creates settings.
        public init(
            host: String = "0.0.0.0",
            port: Int = 5060,
            advertisedHost: String? = nil,
            mediaHost: String? = nil,
            trunks: [Trunk] = [],
            trunkHealth: TrunkHealthPolicy = TrunkHealthPolicy(),
            timers: TransactionTimers = TransactionTimers(),
            userAgentHeader: String? = "waihu",
            socketBufferSize: Int = 4 << 20,
            shutdownGracePeriod: Duration = .seconds(10),
            messageObserver: (@Sendable (SIPTraceEvent) -> Void)? = nil
        ) {
            self.host = host
            self.port = port
            self.advertisedHost = advertisedHost
            self.mediaHost = mediaHost
            self.trunks = trunks
            self.trunkHealth = trunkHealth
            self.timers = timers
            self.userAgentHeader = userAgentHeader
            self.socketBufferSize = socketBufferSize
            self.shutdownGracePeriod = shutdownGracePeriod
            self.messageObserver = messageObserver
        }

        /// The address for Via and Contact: an IPv6 address in brackets (RFC 3261 §19.1.1 IPv6reference).
        func contactHost() throws(SIPUserAgentError) -> String {
            let address = try mediaAddress()
            return address.contains(":") ? "[\(address)]" : address
        }

        /// The address for SDP: an IPv6 address without brackets (RFC 4566 §5.7).
        func mediaAddress() throws(SIPUserAgentError) -> String {
            let address = advertisedHost ?? host
            guard address != "0.0.0.0", address != "::" else { throw .advertisedHostRequired }
            return address.hasPrefix("[") && address.hasSuffix("]") ? String(address.dropFirst().dropLast()) : address
        }
    }

    private enum Lifecycle {
        case idle
        case starting
        case running(any Channel, port: Int)
        case draining(any Channel, port: Int)
        case stopped
    }

    private struct State {
        var lifecycle = Lifecycle.idle
        var readyWaiters: [CheckedContinuation<Int, any Error>] = []
        var activeCalls = 0
        var trunks: TrunkSet
    }

    /// The settings.
    public let configuration: Configuration
    let core: UserAgentCore
    private let group: any EventLoopGroup
    private let logger: Logger
    private let state: NIOLockedValueBox<State>

    /// Creates a user agent; nothing is bound until `run()`. The SIP socket takes one event loop of
    /// `group`, each call's RTP socket the next one.
    public init(
        configuration: Configuration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "waihu.sip")
    ) {
        self.configuration = configuration
        self.group = eventLoopGroup
        self.logger = logger
        self.core = UserAgentCore(eventLoop: eventLoopGroup.next(), logger: logger, observer: configuration.messageObserver)
        self.state = NIOLockedValueBox(State(trunks: TrunkSet(configuration.trunks, health: configuration.trunkHealth)))
    }

    // MARK: Service

    /// Binds the SIP socket and serves until graceful shutdown or cancellation.
    public func run() async throws {
        let claimed = state.withLockedValue { state in
            guard case .idle = state.lifecycle else { return false }
            state.lifecycle = .starting
            return true
        }
        guard claimed else { throw SIPUserAgentError.alreadyStarted }
        let channel: any Channel
        do {
            _ = try configuration.contactHost()
            channel = try await bind()
        } catch {
            let failure = (error as? SIPUserAgentError) ?? .bindFailed("\(configuration.host):\(configuration.port): \(error)")
            let waiters = state.withLockedValue { state in
                state.lifecycle = .stopped
                defer { state.readyWaiters = [] }
                return state.readyWaiters
            }
            for waiter in waiters {
                waiter.resume(throwing: failure)
            }
            throw failure
        }
        let port = channel.localAddress?.port ?? configuration.port
        // Linux reports twice the size it granted (socket(7)); less than asked means the sysctl capped it.
        if let granted = try? await channel.getOption(.socketOption(.so_rcvbuf)).get(),
           Int(granted) / 2 < configuration.socketBufferSize {
            logger.warning("SIP receive buffer capped by the kernel; raise net.core.rmem_max", metadata: [
                "requested": "\(configuration.socketBufferSize)", "granted": "\(granted / 2)",
            ])
        }
        let waiters = state.withLockedValue { state in
            state.lifecycle = .running(channel, port: port)
            defer { state.readyWaiters = [] }
            return state.readyWaiters
        }
        for waiter in waiters { waiter.resume(returning: port) }
        logger.info("SIP user agent listening", metadata: ["address": "\(configuration.host):\(port)"])

        defer { state.withLockedValue { $0.lifecycle = .stopped } }
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await channel.closeFuture.get()
            } onCancel: {
                channel.close(promise: nil)
            }
        } onGracefulShutdown: {
            self.drain()
        }
        logger.info("SIP user agent stopped")
    }

    private func bind() async throws -> any Channel {
        let core = self.core
        return try await DatagramBootstrap(group: core.eventLoop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(configuration.socketBufferSize))
            .channelOption(.socketOption(.so_sndbuf), value: SocketOptionValue(configuration.socketBufferSize))
            // recvmmsg: up to 32 datagrams per system call, each up to 8 KiB (RFC 3261 §18.1.1 keeps UDP
            // messages near the MTU; a larger one is truncated, fails to parse and is counted).
            .channelOption(.datagramVectorReadMessageCount, value: 32)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 32 * 8192))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    core.attach(channel)
                    try channel.pipeline.syncOperations.addHandler(SIPDatagramHandler(core: core))
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
    }

    private func drain() {
        let channel: (any Channel)? = state.withLockedValue { state in
            guard case .running(let channel, let port) = state.lifecycle else { return nil }
            state.lifecycle = .draining(channel, port: port)
            return channel
        }
        guard let channel else { return }
        logger.info("SIP user agent draining", metadata: ["calls": "\(state.withLockedValue { $0.activeCalls })"])
        core.beginDraining()
        closeIfIdle()
        core.eventLoop.scheduleTask(in: TimeAmount(configuration.shutdownGracePeriod)) {
            channel.close(promise: nil)
        }
    }

    private func closeIfIdle() {
        let channel: (any Channel)? = state.withLockedValue { state in
            guard case .draining(let channel, _) = state.lifecycle, state.activeCalls == 0 else { return nil }
            return channel
        }
        channel?.close(promise: nil)
    }

    /// The bound SIP port; waits until `run()` has bound the socket.
    public func boundPort() async throws(SIPUserAgentError) -> Int {
        do {
            return try await withCheckedThrowingContinuation { continuation in
                let ready: Result<Int, SIPUserAgentError>? = state.withLockedValue { state in
                    switch state.lifecycle {
                    case .running(_, let port), .draining(_, let port): return .success(port)
                    case .idle, .starting:
                        state.readyWaiters.append(continuation)
                        return nil
                    case .stopped: return .failure(.notRunning)
                    }
                }
                if let ready { continuation.resume(with: ready) }
            }
        } catch let error as SIPUserAgentError {
            throw error
        } catch {
            throw .notRunning
        }
    }

    /// Socket counters.
    public func transportStatistics() async -> TransportStatistics {
        (try? await core.currentStatistics().get()) ?? TransportStatistics()
    }

    /// Per-trunk health, load and cost.
    public func trunkStatistics() -> [TrunkStatistics] {
        state.withLockedValue { $0.trunks.statistics(at: .now) }
    }

    // MARK: Calls

    private enum Target {
        case trunk(Trunk)
        case direct(SIPURI, DigestCredentials?)

        var name: String {
            switch self {
            case .trunk(let trunk): trunk.name
            case .direct(let uri, _): uri.description
            }
        }

        var host: String {
            switch self {
            case .trunk(let trunk): trunk.host
            case .direct(let uri, _): uri.host
            }
        }
    }

    /// Places a call and returns its single result once it has ended.
    ///
    /// Waits for `run()` to bind the socket first, so it can be called while the service group starts.
    ///
    /// Trunks are tried in order; an attempt that ends in ``CallOutcome/trunkFailure`` (5xx, an
    /// unclassified status, Timer B, transport failure) moves on to the next trunk, and only the last
    /// attempt's outcome is reported. An answered call is never retried. Cancelling the calling task
    /// hangs the call up.
    public func placeCall(_ request: CallRequest) async throws(SIPUserAgentError) -> CallResult {
        try validate(request)
        let port = try await boundPort()
        try enter()
        defer { leave() }
        let contactHost = try configuration.contactHost()
        let mediaAddress = try configuration.mediaAddress()
        let prompt = try await loadPrompt(request)
        let targets = try plan(request)
        let media: MediaSession?
        if request.media == .rtp {
            media = try await MediaSession.open(
                on: group.next(), host: configuration.mediaHost ?? configuration.host,
                recording: request.recordingPath != nil, offeredEventPayloadType: Self.telephoneEventPayloadType,
                logger: request.logger)
        } else {
            media = nil
        }

        var attempts: [TrunkAttempt] = []
        var refused: [String] = []
        var unresolvable: String?
        var wasDraining = false
        attempting: for target in targets {
            guard !isDraining, !Task.isCancelled else { break }
            if case .trunk(let trunk) = target {
                let now = ContinuousClock.now
                switch state.withLockedValue({ $0.trunks.acquire(trunk.name, at: now) }) {
                case .failure(let refusal):
                    request.logger.debug("skipping trunk", metadata: ["trunk": "\(trunk.name)", "reason": "\(refusal)"])
                    refused.append(trunk.name)
                    continue
                case .success(let start) where start > now:
                    // The trunk's CPS limit queues this call until its slot.
                    try? await Task.sleep(until: start)
                    if isDraining || Task.isCancelled {
                        state.withLockedValue { $0.trunks.release(trunk.name) }
                        break attempting
                    }
                case .success:
                    break
                }
            }
            guard let destination = await resolve(target) else {
                if case .trunk(let trunk) = target {
                    state.withLockedValue {
                        $0.trunks.release(trunk.name, outcome: .trunkFailure, finalStatus: nil, talkSeconds: 0, at: .now)
                    }
                }
                request.logger.error("cannot resolve trunk host", metadata: ["trunk": "\(target.name)"])
                unresolvable = target.host
                continue
            }
            let spec = makeSpec(
                request, target: target, destination: destination, port: port, contactHost: contactHost,
                mediaAddress: mediaAddress, media: media, prompt: prompt)
            let callID = spec.configuration.callID ?? ""
            let core = self.core
            let report = await withTaskCancellationHandler {
                try? await core.startCall(spec).get()
            } onCancel: {
                core.hangUp(callID: callID)
            }
            guard let report else {
                if case .trunk(let trunk) = target { state.withLockedValue { $0.trunks.release(trunk.name) } }
                wasDraining = true
                break
            }
            let outcome = report.record.classification ?? .trunkFailure
            let talkSeconds = Self.talkSeconds(report.record)
            if case .trunk(let trunk) = target {
                state.withLockedValue {
                    $0.trunks.release(trunk.name, outcome: outcome, finalStatus: report.record.finalStatus, talkSeconds: talkSeconds, at: .now)
                }
            }
            attempts.append(TrunkAttempt(
                trunk: target.name, callID: report.callID, outcome: outcome,
                finalStatus: report.record.finalStatus, record: report.record))
            // A call that was answered is never retried, whatever happened after.
            guard outcome.failsOver, report.record.answeredAt == nil else { break }
            request.logger.info("failing over", metadata: [
                "trunk": "\(target.name)", "status": "\(report.record.finalStatus.map(String.init) ?? "timeout")",
            ])
        }

        let mediaReport = await media?.close()
        guard let last = attempts.last else {
            if wasDraining || isDraining { throw .shuttingDown }
            if Task.isCancelled { throw .cancelled }
            if let unresolvable, refused.isEmpty { throw .unresolvableHost(unresolvable) }
            throw .noTrunkAvailable(tried: refused)
        }
        var recordingPath: String?
        if let path = request.recordingPath, let samples = mediaReport?.recording {
            recordingPath = await writeRecording(samples, to: path, logger: request.logger)
        }
        let record = last.record
        return CallResult(
            outcome: last.outcome, finalStatus: record.finalStatus,
            ringSeconds: Self.seconds(from: record.startedAt, to: record.answeredAt ?? record.endedAt ?? record.startedAt),
            talkSeconds: Self.talkSeconds(record), trunk: last.trunk, attempts: attempts,
            digits: mediaReport?.digits ?? "", recordingPath: recordingPath, record: record)
    }

    /// RFC 4733 §2.4.1 telephone-event payload type we offer.
    static let telephoneEventPayloadType: UInt8 = 101

    private var isDraining: Bool {
        state.withLockedValue {
            if case .running = $0.lifecycle { return false }
            return true
        }
    }

    private func enter() throws(SIPUserAgentError) {
        let refusal: SIPUserAgentError? = state.withLockedValue { state in
            switch state.lifecycle {
            case .running:
                state.activeCalls += 1
                return nil
            case .draining: return .shuttingDown
            case .idle, .starting, .stopped: return .notRunning
            }
        }
        if let refusal { throw refusal }
    }

    private func leave() {
        state.withLockedValue { $0.activeCalls -= 1 }
        closeIfIdle()
    }

    private func validate(_ request: CallRequest) throws(SIPUserAgentError) {
        guard request.ringTimeout >= configuration.minimumRingTimeout else {
            throw .ringTimeoutTooShort(requested: request.ringTimeout, minimum: configuration.minimumRingTimeout)
        }
        guard Self.isNumber(request.callee) else { throw .invalidCallee(request.callee) }
        guard Self.isNumber(request.callerNumber) else { throw .invalidCallerNumber(request.callerNumber) }
        if let name = request.displayName, name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw .invalidDisplayName(name)
        }
        if request.media == .signallingOnly {
            if case .prompt = request.talk { throw .mediaRequired }
            if request.recordingPath != nil { throw .mediaRequired }
        }
    }

    /// Digits with an optional leading `+` (E.164, ITU-T E.164 §6, or a national number).
    static func isNumber(_ text: String) -> Bool {
        let digits = text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        return !digits.isEmpty && digits.count <= 32 && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    private func plan(_ request: CallRequest) throws(SIPUserAgentError) -> [Target] {
        switch request.route {
        case .direct(let uri, let credentials):
            return [.direct(uri, credentials)]
        case .automatic:
            return try candidates(for: request.callerNumber, names: nil)
        case .trunks(let names):
            return try candidates(for: request.callerNumber, names: names)
        }
    }

    private func candidates(for callerNumber: String, names: [String]?) throws(SIPUserAgentError) -> [Target] {
        var random = SystemRandomNumberGenerator()
        let result = state.withLockedValue { state in
            Result { () throws(SIPUserAgentError) in
                try state.trunks.candidates(for: callerNumber, names: names, using: &random)
            }
        }
        return try result.get().map(Target.trunk)
    }

    private func resolve(_ target: Target) async -> SocketAddress? {
        let host: String
        let port: Int
        switch target {
        case .trunk(let trunk): (host, port) = (trunk.host, trunk.port)
        case .direct(let uri, _): (host, port) = (uri.host, uri.port ?? 5060)
        }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if let address = try? SocketAddress(ipAddress: bare, port: port) { return address }
        // getaddrinfo blocks, so it runs on the thread pool rather than an event loop.
        return try? await NIOThreadPool.singleton.runIfActive {
            try SocketAddress.makeAddressResolvingHost(bare, port: port)
        }
    }

    private func makeSpec(
        _ request: CallRequest, target: Target, destination: SocketAddress, port: Int, contactHost: String,
        mediaAddress: String, media: MediaSession?, prompt: [Int16]?
    ) -> AttemptSpec {
        var random = SystemRandomNumberGenerator()
        let requestURI: SIPURI
        let domain: String
        let credentials: DigestCredentials?
        switch target {
        case .trunk(let trunk):
            requestURI = SIPURI(user: request.callee, host: trunk.host, port: trunk.port == 5060 ? nil : trunk.port)
            domain = trunk.host
            credentials = trunk.credentials
        case .direct(let uri, let directCredentials):
            var directURI = uri
            directURI.user = request.callee
            requestURI = directURI
            domain = uri.host
            credentials = directCredentials
        }
        let identity = SIPAddress(displayName: request.displayName, uri: .sip(SIPURI(user: request.callerNumber, host: domain)))
        var headers = SIPHeaders()
        headers.append("P-Asserted-Identity", identity.description)  // RFC 3325 §9.1
        let offer = SDPOffer(
            sessionID: random.next() >> 1, address: mediaAddress,
            // RFC 3264 §5.1: without a media socket, offer an inactive stream on the discard port.
            port: media?.port ?? 9, telephoneEventPayloadType: Self.telephoneEventPayloadType,
            direction: media == nil ? .inactive : .sendrecv)
        let configuration = OutboundCall.Configuration(
            requestURI: .sip(requestURI), from: identity,
            contact: SIPURI(user: request.callerNumber, host: contactHost, port: port),
            viaHost: contactHost, viaPort: port, transport: "UDP", offer: offer, credentials: credentials,
            timers: self.configuration.timers, additionalHeaders: headers, userAgent: self.configuration.userAgentHeader,
            callID: SIPIdentifiers.callID(host: contactHost, using: &random), randomSeed: random.next())
        var logger = request.logger
        logger[metadataKey: "trunk"] = "\(target.name)"
        let talk: AttemptSpec.Talk
        switch request.talk {
        case .prompt: talk = .play(prompt ?? [])
        case .stayUp(let duration): talk = .hangUpAfter(duration)
        }
        return AttemptSpec(
            configuration: configuration, destination: destination, ringTimeout: request.ringTimeout,
            talk: talk, media: media, logger: logger)
    }

    private func loadPrompt(_ request: CallRequest) async throws(SIPUserAgentError) -> [Int16]? {
        guard case .prompt(let path) = request.talk else { return nil }
        let bytes: [UInt8]
        do {
            bytes = try await NIOThreadPool.singleton.runIfActive {
                Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            }
        } catch {
            throw .promptUnreadable(path: path, reason: "\(error)")
        }
        do {
            return try WAV.decode(bytes).samples
        } catch {
            throw .promptUnsupported(path: path, error)
        }
    }

    private func writeRecording(_ samples: [Int16], to path: String, logger: Logger) async -> String? {
        do {
            try await NIOThreadPool.singleton.runIfActive {
                try Data(WAV.encode(samples)).write(to: URL(fileURLWithPath: path), options: .atomic)
            }
            return path
        } catch {
            // The call itself happened; its outcome matters more than the recording, so this is reported, not thrown.
            logger.error("cannot write recording", metadata: ["path": "\(path)", "error": "\(error)"])
            return nil
        }
    }

    // MARK: Probes

    /// Sends an OPTIONS to the trunk (RFC 3261 §11) through a non-INVITE client transaction and
    /// reports its status and round trip; no answer within 64*T1 gives a nil status. For a configured
    /// trunk, a response closes its health breaker and silence counts as a failure.
    public func probe(trunk: Trunk) async -> ProbeResult {
        let unreachable = ProbeResult(statusCode: nil, roundTripMilliseconds: nil)
        guard let port = try? await boundPort(), let contactHost = try? configuration.contactHost(),
              let destination = await resolve(.trunk(trunk))
        else { return unreachable }
        var random = SystemRandomNumberGenerator()
        let via = Via(
            transport: "UDP", host: contactHost, port: port,
            parameters: [SIPParameter("branch", SIPIdentifiers.branch(using: &random)), SIPParameter("rport")])
        let target = SIPURI(host: trunk.host, port: trunk.port)
        var headers = SIPHeaders()
        headers.append(.via, via.description)
        headers.append(.maxForwards, "70")
        headers.append(.from, SIPAddress(uri: .sip(SIPURI(host: contactHost, port: port)), parameters: [SIPParameter("tag", SIPIdentifiers.tag(using: &random))]).description)
        headers.append(.to, SIPAddress(uri: .sip(target)).description)
        headers.append(.callID, SIPIdentifiers.callID(host: contactHost, using: &random))
        headers.append(.cseq, CSeq(1, .options).description)
        headers.append(.accept, "application/sdp")  // RFC 3261 §11.1
        if let userAgent = configuration.userAgentHeader { headers.append(.userAgent, userAgent) }
        let request = SIPRequest(method: .options, uri: .sip(target), headers: headers)
        let result = (try? await core.probe(request, to: destination, timers: configuration.timers).get()) ?? unreachable
        state.withLockedValue { state in
            if state.trunks.trunk(named: trunk.name) != nil {
                state.trunks.recordProbe(trunk.name, reachable: result.isReachable, at: .now)
            }
        }
        return result
    }

    // MARK: Time

    static func seconds(from start: ContinuousClock.Instant, to end: ContinuousClock.Instant) -> Double {
        let components = (end - start).components
        return Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    static func talkSeconds(_ record: CallRecord) -> Double {
        guard let answered = record.answeredAt, let ended = record.endedAt else { return 0 }
        return seconds(from: answered, to: ended)
    }
}
