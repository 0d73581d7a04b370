/// A timer the call asks its owner to run.
public enum CallTimer: Hashable, Sendable {
    /// A transaction timer of the transaction identified by the key.
    case transaction(ClientTransactionKey, TransactionTimer)
    /// 64*T1 after our CANCEL: give up on the INVITE if no final response came (RFC 3261 §9.1).
    case cancelGuard
    /// 64*T1 after answering the peer's BYE on an unreliable transport, to answer its retransmissions
    /// as a server transaction would (RFC 3261 §17.2.2 Timer J).
    case byeRetransmissionWindow
}

/// What the call asks its owner to do.
public enum CallAction: Hashable, Sendable {
    /// Send a message: requests to the call's next hop, responses per their top Via (RFC 3261 §18.2.2).
    case send(SIPMessage)
    /// Call `timerFired(_:at:)` after the duration, replacing any pending timer with the same identity.
    case startTimer(CallTimer, after: Duration)
    /// Cancel the pending timer, if any.
    case cancelTimer(CallTimer)
    /// Start (or re-target) RTP with the negotiated media; sent for early media and on answer.
    case startMedia(NegotiatedAudio)
    /// The call is over: stop media and record the outcome. Transactions may still be finishing.
    case ended(CallRecord)
    /// Nothing is left to do; the owner can drop the call and its timers.
    case finished
}

/// Why a call ended.
public enum CallEndReason: Hashable, Sendable {
    /// The INVITE got a final failure response.
    case rejected
    /// The owner's ring timeout fired and we cancelled.
    case ringTimeout
    /// The owner hung up (CANCEL before answer, BYE after).
    case localHangup
    /// The peer sent BYE.
    case remoteHangup
    /// Timer B: no response to the INVITE (RFC 3261 §17.1.1.2).
    case timeout
    /// The transport reported a fatal error for the INVITE.
    case transportFailure
    /// The 2xx had no usable SDP answer, so we ACKed and sent BYE (RFC 3261 §13.2.2.4).
    case mediaNegotiationFailed
    /// A 2xx crossed our CANCEL, so we ACKed and sent BYE (RFC 3261 §15).
    case answeredAfterCancel
}

/// The record of one outbound call, timed with the owner's clock.
public struct CallRecord: Hashable, Sendable {
    // The times are kept as offsets from one process-wide instant: `ContinuousClock.Instant` is not a
    // frozen type, so every copy of a struct holding one would go through the runtime's value witnesses,
    // and records are copied with every call event.
    private static let origin = ContinuousClock.now
    private var started: Duration
    private var ringing: Duration?
    private var answered: Duration?
    private var ended: Duration?

    /// When the INVITE was first sent.
    public var startedAt: ContinuousClock.Instant {
        get { Self.origin + started }
        set { started = newValue - Self.origin }
    }
    /// When the first 101-199 response (ringing or session progress) arrived.
    public var ringingAt: ContinuousClock.Instant? {
        get { ringing.map { Self.origin + $0 } }
        set { ringing = newValue.map { $0 - Self.origin } }
    }
    /// When the 2xx arrived.
    public var answeredAt: ContinuousClock.Instant? {
        get { answered.map { Self.origin + $0 } }
        set { answered = newValue.map { $0 - Self.origin } }
    }
    /// When the call ended.
    public var endedAt: ContinuousClock.Instant? {
        get { ended.map { Self.origin + $0 } }
        set { ended = newValue.map { $0 - Self.origin } }
    }
    /// The final status of the INVITE, nil on timeout or transport failure.
    public var finalStatus: Int?
    /// The dialer classification, set when the call ends.
    public var classification: CallOutcome?
    /// Why the call ended, set when it ends.
    public var endReason: CallEndReason?

    /// Creates a record of a call whose INVITE went out at `startedAt`.
    public init(startedAt: ContinuousClock.Instant) {
        started = startedAt - Self.origin
    }
}

/// One outbound call from the UAC side, as a value-type state machine: INVITE, provisional
/// responses and early media, answer and ACK, CANCEL on ring timeout, digest authentication,
/// BYE in either direction.
///
/// The owner sends what `.send` carries, runs the timers, feeds back every message for the call's
/// Call-ID and every fired timer, and passes its clock's `now` with each event.
public struct OutboundCall: Sendable {
    /// Everything needed to place the call.
    public struct Configuration: Sendable {
        /// Everything but the per-call Call-ID and seed, behind one reference: a dialer copies one
        /// configuration into every call it places, and a copy now retains the box instead of each of
        /// the dozens of strings, URIs and lists below.
        private struct Parts: Sendable {
            var requestURI: AnyURI
            var requestURIText = ""
            var from: SIPAddress
            var to: SIPAddress?
            var contact: SIPURI
            var fromText: String?
            var toText = ""
            var contactText = ""
            var viaHost: String
            var viaPort: Int?
            var transport: String
            var viaText = ""
            var offer: SDPOffer
            var offerBody: [UInt8]
            var credentials: DigestCredentials?
            var timers: TransactionTimers
            var additionalHeaders: SIPHeaders
            var userAgent: String?
            var inviteTrailerFields = SIPHeaders()
            var inviteTrailer: [UInt8] = []
            var inviteRoutes: [String] = []

            /// The To address of the requests before the dialog exists.
            var toAddress: SIPAddress { to ?? SIPAddress(uri: requestURI) }

            /// Renders the INVITE's fields after its per-call ones, in sending order: Allow, User-Agent, the
            /// additional headers and Content-Type.
            mutating func renderInviteTrailer() {
                var fields = SIPHeaders()
                fields.reserveCapacity(6 + additionalHeaders.count)
                for method in ["ACK", "CANCEL", "BYE", "OPTIONS"] { fields.appendElement(SIPHeaders.Field(.allow, method)) }
                if let userAgent { fields.append(.userAgent, userAgent) }
                for field in additionalHeaders { fields.append(field.name, field.value) }
                fields.append(.contentType, "application/sdp")
                inviteTrailerFields = fields
                inviteTrailer = []
                SIPSerializer.appendHeaders(fields, to: &inviteTrailer)
                inviteRoutes = fields.values(.route)
            }

            mutating func renderAddresses() {
                // A From that already carries a tag gets ours in its place, so it is rendered per call.
                fromText = from.tag == nil ? from.description : nil
                toText = toAddress.description
                contactText = SIPAddress(uri: .sip(contact)).description
                requestURIText = requestURI.description
                viaText = Via(transport: transport, host: viaHost, port: viaPort).description
            }
        }

        private var parts: CopyOnWrite<Parts>

        /// The Request-URI, e.g. `sip:13800138000@trunk.example.com`.
        public var requestURI: AnyURI {
            get { parts.value.requestURI }
            set { parts.value.requestURI = newValue; parts.value.renderAddresses() }
        }
        /// `requestURI` rendered once, like the addresses below.
        var requestURIText: String { parts.value.requestURIText }
        /// Our From address, without a tag (the call adds one).
        public var from: SIPAddress {
            get { parts.value.from }
            set { parts.value.from = newValue; parts.value.renderAddresses() }
        }
        /// The To address; defaults to the Request-URI.
        public var to: SIPAddress? {
            get { parts.value.to }
            set { parts.value.to = newValue; parts.value.renderAddresses() }
        }
        /// Our Contact URI.
        public var contact: SIPURI {
            get { parts.value.contact }
            set { parts.value.contact = newValue; parts.value.renderAddresses() }
        }
        /// From (before its tag), To and Contact as header values, rendered once per configuration like
        /// `offerBody`: every INVITE repeats them.
        var fromText: String? { parts.value.fromText }
        var toText: String { parts.value.toText }
        var contactText: String { parts.value.contactText }
        /// The host we put in Via sent-by.
        public var viaHost: String {
            get { parts.value.viaHost }
            set { parts.value.viaHost = newValue; parts.value.renderAddresses() }
        }
        /// The port we put in Via sent-by.
        public var viaPort: Int? {
            get { parts.value.viaPort }
            set { parts.value.viaPort = newValue; parts.value.renderAddresses() }
        }
        /// The Via transport token; anything but UDP is treated as reliable (RFC 3261 §17.1.1.2).
        public var transport: String {
            get { parts.value.transport }
            set { parts.value.transport = newValue; parts.value.renderAddresses() }
        }
        /// Our Via without parameters (`SIP/2.0/UDP host:port`), rendered once: each request appends its branch.
        var viaText: String { parts.value.viaText }
        /// The SDP offer sent in the INVITE.
        public var offer: SDPOffer {
            get { parts.value.offer }
            set { parts.value.offer = newValue; parts.value.offerBody = newValue.body }
        }
        /// `offer` rendered as a message body, once per offer rather than once per INVITE: a
        /// configuration reused for many calls (the load generator's) renders it once.
        public var offerBody: [UInt8] { parts.value.offerBody }
        /// Credentials for one digest retry, nil to fail on 401/407.
        public var credentials: DigestCredentials? {
            get { parts.value.credentials }
            set { parts.value.credentials = newValue }
        }
        /// Transaction timer values.
        public var timers: TransactionTimers {
            get { parts.value.timers }
            set { parts.value.timers = newValue }
        }
        /// Extra headers for the INVITE (e.g. P-Asserted-Identity).
        public var additionalHeaders: SIPHeaders {
            get { parts.value.additionalHeaders }
            set { parts.value.additionalHeaders = newValue; parts.value.renderInviteTrailer() }
        }
        /// User-Agent value, if any.
        public var userAgent: String? {
            get { parts.value.userAgent }
            set { parts.value.userAgent = newValue; parts.value.renderInviteTrailer() }
        }
        /// The INVITE's last fields, and those serialized, rendered once per configuration as `offerBody` is:
        /// every INVITE repeats them.
        var inviteTrailerFields: SIPHeaders { parts.value.inviteTrailerFields }
        var inviteTrailer: [UInt8] { parts.value.inviteTrailer }
        /// The Route values among the additional headers, which CANCEL and ACK repeat (RFC 3261 §9.1).
        var inviteRoutes: [String] { parts.value.inviteRoutes }
        /// The Call-ID; generated when nil.
        public var callID: String?
        /// Seed for branches, tags, Call-ID and cnonce; take it from `SystemRandomNumberGenerator`.
        public var randomSeed: UInt64

        /// Creates a configuration.
        public init(
            requestURI: AnyURI,
            from: SIPAddress,
            to: SIPAddress? = nil,
            contact: SIPURI,
            viaHost: String,
            viaPort: Int? = nil,
            transport: String = "UDP",
            offer: SDPOffer,
            credentials: DigestCredentials? = nil,
            timers: TransactionTimers = TransactionTimers(),
            additionalHeaders: SIPHeaders = [],
            userAgent: String? = nil,
            callID: String? = nil,
            randomSeed: UInt64
        ) {
            var parts = Parts(
                requestURI: requestURI, from: from, to: to, contact: contact, viaHost: viaHost, viaPort: viaPort,
                transport: transport, offer: offer, offerBody: offer.body, credentials: credentials, timers: timers,
                additionalHeaders: additionalHeaders, userAgent: userAgent)
            parts.renderAddresses()
            parts.renderInviteTrailer()
            self.parts = CopyOnWrite(parts)
            self.callID = callID
            self.randomSeed = randomSeed
        }

        /// The To address of the requests before the dialog exists.
        var toAddress: SIPAddress { parts.value.toAddress }
    }

    /// Call states from the dialer's point of view.
    public enum State: Hashable, Sendable {
        /// INVITE sent, no provisional response yet.
        case calling
        /// A provisional response arrived (ringing or early media).
        case proceeding
        /// CANCEL sent, waiting for the INVITE's final response.
        case cancelling
        /// Answered and ACKed.
        case confirmed
        /// Over; transactions may still be absorbing retransmissions.
        case ended
    }

    /// The current state.
    public private(set) var state: State
    /// Times, final status and classification.
    public private(set) var outcome: CallRecord
    /// The dialog once the call is answered.
    public private(set) var dialog: Dialog?
    /// The Call-ID, for routing incoming messages to this call.
    public let callID: String

    private let configuration: Configuration
    private let local: SIPAddress
    private let localTag: String
    /// `local` as our requests' From value.
    private let localText: String
    private var random: SplitMix64
    private var invite: SIPRequest
    private var currentInviteKey: ClientTransactionKey
    private var inviteSequenceNumber: UInt32
    private var inviteTransactions: [InviteClientTransaction] = [] {
        didSet { refreshAwaitingResponses() }
    }
    private var nonInviteTransactions: [NonInviteClientTransaction] = [] {
        didSet { refreshAwaitingResponses() }
    }
    /// The list transactions append their actions to, kept between steps and emptied after each, so that a
    /// call allocates one rather than one for every request sent, response and timer.
    private var transactionActions: [ClientTransactionAction] = []
    private var ack: SIPRequest?
    /// The credentials the current INVITE carries, which its ACK repeats (RFC 3261 §13.2.2.4).
    private var inviteAuthorization: SIPHeaders.Field?
    private var hasRetriedWithCredentials = false
    private var cancelReason: CallEndReason?
    private var cancelSent = false
    private var media: NegotiatedAudio?
    private var isLingering = false
    private var didFinish = false

    /// Whether nothing is left to do.
    public var isFinished: Bool { didFinish }

    /// Whether a request we sent (INVITE, CANCEL or BYE) still waits for its final response. Once the
    /// call has ended and this is false, every exchange the call started is settled; transactions may
    /// still linger only to absorb retransmissions (RFC 3261 §17.1.1.2 Timer D, §17.1.2.2 Timer K).
    /// Kept up to date as the transactions change, rather than computed: a computed property read on a
    /// call held by a class would copy the whole call first.
    public private(set) var isAwaitingResponses = false

    private mutating func refreshAwaitingResponses() {
        isAwaitingResponses = inviteTransactions.contains { $0.state == .calling || $0.state == .proceeding }
            || nonInviteTransactions.contains { $0.state == .trying || $0.state == .proceeding }
    }

    private let isReliable: Bool

    private init(configuration: Configuration, at now: ContinuousClock.Instant) {
        var random = SplitMix64(seed: configuration.randomSeed)
        var local = configuration.from
        let localTag = SIPIdentifiers.tag(using: &random)
        local.tag = localTag
        self.localTag = localTag
        self.callID = configuration.callID ?? SIPIdentifiers.callID(host: configuration.viaHost, using: &random)
        self.local = local
        self.localText = configuration.fromText.map { String(concatenating: $0, ";tag=", localTag) } ?? local.description
        self.configuration = configuration
        self.isReliable = !configuration.transport.utf8.equalsIgnoringASCIICase("UDP")
        self.state = .calling
        self.outcome = CallRecord(startedAt: now)
        self.inviteSequenceNumber = 1
        self.random = random
        // start(_:at:) replaces both with the first INVITE before the call is returned.
        self.invite = SIPRequest(method: .invite, uri: configuration.requestURI)
        self.currentInviteKey = ClientTransactionKey(branch: "", method: .invite)
    }

    /// Creates the call and returns the actions that send its INVITE.
    public static func start(_ configuration: Configuration, at now: ContinuousClock.Instant) -> (call: OutboundCall, actions: [CallAction]) {
        var actions = Self.actionList()
        let call = start(configuration, at: now, into: &actions)
        return (call, actions)
    }

    /// Creates the call, appending the actions that send its INVITE to `actions`.
    public static func start(_ configuration: Configuration, at now: ContinuousClock.Instant, into actions: inout [CallAction]) -> OutboundCall {
        var call = OutboundCall(configuration: configuration, at: now)
        call.sendInvite(authorization: nil, at: now, into: &actions)
        return call
    }

    // Every event's actions go into one list, with room for a busy event (a 2xx: ACK, timers, media), so
    // the helpers below append rather than each returning an array to concatenate.
    private static func actionList() -> [CallAction] {
        var actions: [CallAction] = []
        actions.reserveCapacity(6)
        return actions
    }

    // MARK: Events

    // Each event comes in two forms: one returns a new list of actions, the other appends them to a list the
    // owner keeps, so that a user agent placing thousands of calls a second allocates no list per event.

    /// Feeds a response whose Call-ID is this call's.
    public mutating func receive(_ response: SIPResponse, at now: ContinuousClock.Instant) -> [CallAction] {
        var actions = Self.actionList()
        receive(response, at: now, into: &actions)
        return actions
    }

    /// Feeds a response whose Call-ID is this call's, appending the actions to `actions`.
    public mutating func receive(_ response: SIPResponse, at now: ContinuousClock.Instant, into actions: inout [CallAction]) {
        guard let key = ClientTransactionKey(response: response) else { return }
        if let index = inviteTransactions.firstIndex(where: { $0.key == key }) {
            // The lookup matched the response's key (RFC 3261 §17.1.3); do not parse Via and CSeq again.
            var reported = takeTransactionActions()
            inviteTransactions[index].receiveMatched(response, into: &reported)
            perform(consume reported, for: key, at: now, into: &actions)
        } else if let index = nonInviteTransactions.firstIndex(where: { $0.key == key }) {
            var reported = takeTransactionActions()
            nonInviteTransactions[index].receiveMatched(response, into: &reported)
            perform(consume reported, for: key, at: now, into: &actions)
        } else if response.isSuccess, key.method == .invite {
            handleStraySuccess(response, at: now, into: &actions)
        }
        finishIfDone(into: &actions)
    }

    /// Feeds a request from the peer whose Call-ID is this call's (BYE, OPTIONS, re-INVITE…).
    public mutating func receive(_ request: SIPRequest, at now: ContinuousClock.Instant) -> [CallAction] {
        var actions = Self.actionList()
        receive(request, at: now, into: &actions)
        return actions
    }

    /// Feeds a request from the peer whose Call-ID is this call's, appending the actions to `actions`.
    public mutating func receive(_ request: SIPRequest, at now: ContinuousClock.Instant, into actions: inout [CallAction]) {
        guard request.method != .ack else { return }
        guard var dialog, dialog.matches(request) else {
            // RFC 3261 §12.2.2: no dialog matches.
            actions.append(.send(.response(SIPResponse(replyingTo: request, statusCode: 481))))
            return
        }
        let response = dialog.respond(to: request)
        self.dialog = consume dialog
        actions.append(.send(.response(response)))
        if request.method == .bye, response.statusCode == 200, state == .confirmed {
            // RFC 3261 §15.1.2: the session ends when the BYE is answered.
            end(.remoteHangup, at: now, into: &actions)
            if !isReliable {
                isLingering = true
                actions.append(.startTimer(.byeRetransmissionWindow, after: configuration.timers.transactionTimeout))
            }
        }
        finishIfDone(into: &actions)
    }

    /// Feeds a timer the call asked for.
    public mutating func timerFired(_ timer: CallTimer, at now: ContinuousClock.Instant) -> [CallAction] {
        var actions = Self.actionList()
        timerFired(timer, at: now, into: &actions)
        return actions
    }

    /// Feeds a timer the call asked for, appending the actions to `actions`.
    public mutating func timerFired(_ timer: CallTimer, at now: ContinuousClock.Instant, into actions: inout [CallAction]) {
        switch timer {
        case .transaction(let key, let kind):
            if let index = inviteTransactions.firstIndex(where: { $0.key == key }) {
                var reported = takeTransactionActions()
                inviteTransactions[index].timerFired(kind, into: &reported)
                perform(consume reported, for: key, at: now, into: &actions)
            } else if let index = nonInviteTransactions.firstIndex(where: { $0.key == key }) {
                var reported = takeTransactionActions()
                nonInviteTransactions[index].timerFired(kind, into: &reported)
                perform(consume reported, for: key, at: now, into: &actions)
            }
        case .cancelGuard where state == .cancelling:
            // RFC 3261 §9.1: no final response 64*T1 after CANCEL; consider the INVITE cancelled.
            // The INVITE transaction is in Proceeding, which runs no timers, so it can simply be dropped.
            let key = currentInviteKey
            inviteTransactions.removeAll { $0.key == key }
            end(cancelReason ?? .localHangup, classification: .noAnswer, at: now, into: &actions)
        case .byeRetransmissionWindow:
            isLingering = false
        case .cancelGuard:
            break
        }
        finishIfDone(into: &actions)
    }

    /// The owner's ring timeout expired: cancel the call (RFC 3261 §9.1).
    public mutating func ringTimeout(at now: ContinuousClock.Instant) -> [CallAction] {
        var actions = Self.actionList()
        ringTimeout(at: now, into: &actions)
        return actions
    }

    /// The owner's ring timeout expired: cancel the call, appending the actions to `actions`.
    public mutating func ringTimeout(at now: ContinuousClock.Instant, into actions: inout [CallAction]) {
        cancel(reason: .ringTimeout, at: now, into: &actions)
        finishIfDone(into: &actions)
    }

    /// Hang up: CANCEL before the answer, BYE after it (RFC 3261 §9.1, §15.1.1).
    public mutating func hangUp(at now: ContinuousClock.Instant) -> [CallAction] {
        var actions = Self.actionList()
        hangUp(at: now, into: &actions)
        return actions
    }

    /// Hang up, appending the actions to `actions`.
    public mutating func hangUp(at now: ContinuousClock.Instant, into actions: inout [CallAction]) {
        if state == .confirmed {
            // Taken out and put back rather than copied: a dialog copy retains every one of its strings.
            guard var dialog = dialog.take() else { return }
            sendBye(in: &dialog, at: now, into: &actions)
            self.dialog = consume dialog
            end(.localHangup, at: now, into: &actions)
        } else {
            cancel(reason: .localHangup, at: now, into: &actions)
        }
        finishIfDone(into: &actions)
    }

    /// The transport failed to deliver the INVITE (e.g. ICMP unreachable, TCP reset).
    public mutating func transportFailed(at now: ContinuousClock.Instant) -> [CallAction] {
        var actions = Self.actionList()
        transportFailed(at: now, into: &actions)
        return actions
    }

    /// The transport failed to deliver the INVITE, appending the actions to `actions`.
    public mutating func transportFailed(at now: ContinuousClock.Instant, into actions: inout [CallAction]) {
        guard let index = inviteTransactions.firstIndex(where: { $0.key == currentInviteKey }) else { return }
        var reported = takeTransactionActions()
        inviteTransactions[index].transportFailed(into: &reported)
        perform(consume reported, for: currentInviteKey, at: now, into: &actions)
        finishIfDone(into: &actions)
    }

    // MARK: Transactions

    /// Takes the kept list for one transaction step's actions; `perform(_:for:at:into:)` gives it back.
    /// A step that starts while another's list is out (a CANCEL sent on a provisional response) gets a new one.
    private mutating func takeTransactionActions() -> [ClientTransactionAction] {
        var list: [ClientTransactionAction] = []
        swap(&list, &transactionActions)
        // Room for the longest step (a final response in Calling: five actions), so the list never grows.
        if list.capacity == 0 { list.reserveCapacity(6) }
        return list
    }

    /// Performs what one transaction step reported, then keeps its list, emptied, for the next step.
    private mutating func perform(
        _ reported: consuming [ClientTransactionAction], for key: ClientTransactionKey, at now: ContinuousClock.Instant,
        into actions: inout [CallAction]
    ) {
        defer {
            reported.removeAll(keepingCapacity: true)
            transactionActions = reported
        }
        for index in reported.indices {
            switch reported[index] {
            case .send(let request):
                actions.append(.send(.request(request)))
            case .startTimer(let timer, let duration):
                actions.append(.startTimer(.transaction(key, timer), after: duration))
            case .cancelTimer(let timer):
                actions.append(.cancelTimer(.transaction(key, timer)))
            case .deliver(let response) where key == currentInviteKey:
                handleInviteResponse(response, at: now, into: &actions)
            case .deliver:
                // BYE and CANCEL responses, and retransmissions of an earlier INVITE's final response.
                break
            case .timeout where key == currentInviteKey:
                end(.timeout, at: now, into: &actions)
            case .transportFailure where key == currentInviteKey:
                end(.transportFailure, at: now, into: &actions)
            case .timeout, .transportFailure:
                break
            case .terminated:
                // Keys are unique, so the one transaction is removed where it is; `removeAll(where:)` on both
                // lists would rebuild each and set both (and so refresh `isAwaitingResponses` twice).
                if let index = inviteTransactions.firstIndex(where: { $0.key == key }) {
                    inviteTransactions.remove(at: index)
                } else if let index = nonInviteTransactions.firstIndex(where: { $0.key == key }) {
                    nonInviteTransactions.remove(at: index)
                }
            }
        }
    }

    private mutating func handleInviteResponse(_ response: SIPResponse, at now: ContinuousClock.Instant, into actions: inout [CallAction]) {
        switch response.statusCode {
        case 100...199:
            if state == .calling { state = .proceeding }
            if response.statusCode > 100, outcome.ringingAt == nil { outcome.ringingAt = now }
            if let cancelReason, !cancelSent {
                // RFC 3261 §9.1: a CANCEL requested before any provisional response goes out now.
                cancel(reason: cancelReason, at: now, into: &actions)
                return
            }
            guard state == .proceeding, let answer = negotiate(response) else { return }
            startMedia(answer, into: &actions)
        case 200...299:
            handleAnswer(response, at: now, into: &actions)
        default:
            if [401, 407].contains(response.statusCode), retryWithCredentials(response, at: now, into: &actions) {
                return
            }
            outcome.finalStatus = response.statusCode
            let reason = response.statusCode == 487 ? cancelReason ?? .rejected : .rejected
            end(reason, at: now, into: &actions)
        }
    }

    private mutating func handleAnswer(_ response: SIPResponse, at now: ContinuousClock.Instant, into actions: inout [CallAction]) {
        outcome.answeredAt = now
        outcome.finalStatus = response.statusCode
        var dialog = Dialog(
            callID: callID, local: local, localText: localText, remote: configuration.toAddress,
            remoteText: configuration.toText, sequenceNumber: inviteSequenceNumber, requestURI: configuration.requestURI,
            response: response)
        // RFC 3261 §13.2.2.4: the UAC core ACKs every 2xx itself.
        let via = newVia()
        let ack = dialog.makeACK(sequenceNumber: inviteSequenceNumber, authorization: inviteAuthorization, viaText: via.text)
        self.ack = ack
        actions.append(.send(.request(ack)))
        if cancelReason != nil {
            // RFC 3261 §9.1: the 2xx won the race with our CANCEL; end the session we did not want.
            sendBye(in: &dialog, at: now, into: &actions)
            self.dialog = consume dialog
            end(.answeredAfterCancel, at: now, into: &actions)
            return
        }
        // RFC 3264 §5: without reliable provisional responses the answer is in the 2xx; keep early media
        // when the 2xx repeats none.
        guard let answer = negotiate(response) ?? (response.body.isEmpty ? media : nil) else {
            sendBye(in: &dialog, at: now, into: &actions)
            self.dialog = consume dialog
            end(.mediaNegotiationFailed, at: now, into: &actions)
            return
        }
        self.dialog = consume dialog
        state = .confirmed
        startMedia(answer, into: &actions)
    }

    /// A 2xx no transaction claims: a retransmission of the one we ACKed, or another fork's answer.
    private mutating func handleStraySuccess(_ response: SIPResponse, at now: ContinuousClock.Instant, into actions: inout [CallAction]) {
        guard response.callID == callID, response.from?.tag == local.tag else { return }
        if let dialog, let ack, dialog.matches(response) {
            // RFC 3261 §13.2.2.4: retransmitted 2xx gets the same ACK again.
            actions.append(.send(.request(ack)))
            return
        }
        // RFC 3261 §13.2.2.4: a further 2xx creates another dialog, which we ACK and end with BYE.
        let invite = invite.withBuiltParts
        guard var straggler = try? Dialog(invite: invite, response: response) else { return }
        let via = newVia()
        let ack = straggler.makeACK(for: invite, viaText: via.text)
        actions.append(.send(.request(ack)))
        sendBye(in: &straggler, at: now, into: &actions)
    }

    private mutating func cancel(reason: CallEndReason, at now: ContinuousClock.Instant, into actions: inout [CallAction]) {
        switch state {
        case .calling:
            // RFC 3261 §9.1: CANCEL SHOULD NOT be sent before a provisional response; wait for one.
            cancelReason = reason
        case .proceeding:
            cancelReason = reason
            guard let transaction = inviteTransactions.first(where: { $0.key == currentInviteKey }) else { return }
            let cancel = transaction.makeCancel()
            let key = ClientTransactionKey(branch: transaction.key.branch, method: .cancel)
            var reported = takeTransactionActions()
            let cancelTransaction = NonInviteClientTransaction.start(
                cancel, key: key, isReliable: isReliable, timers: configuration.timers, into: &reported)
            nonInviteTransactions.append(cancelTransaction)
            cancelSent = true
            state = .cancelling
            perform(consume reported, for: key, at: now, into: &actions)
            actions.append(.startTimer(.cancelGuard, after: configuration.timers.transactionTimeout))
        case .cancelling, .confirmed, .ended:
            break
        }
    }

    private mutating func sendBye(in dialog: inout Dialog, at now: ContinuousClock.Instant, into actions: inout [CallAction]) {
        let via = newVia()
        let bye = dialog.makeRequest(.bye, viaText: via.text)
        let key = ClientTransactionKey(branch: via.branch, method: .bye)
        var reported = takeTransactionActions()
        let transaction = NonInviteClientTransaction.start(
            bye, key: key, isReliable: isReliable, timers: configuration.timers, into: &reported)
        nonInviteTransactions.append(transaction)
        perform(consume reported, for: key, at: now, into: &actions)
    }

    /// Retries the INVITE with digest credentials (RFC 3261 §22.2); false when there is nothing to answer
    /// the challenge with, or it was answered once already.
    private mutating func retryWithCredentials(_ response: SIPResponse, at now: ContinuousClock.Instant, into actions: inout [CallAction]) -> Bool {
        guard let credentials = configuration.credentials, !hasRetriedWithCredentials, cancelReason == nil else { return false }
        // RFC 3261 §22.3: 407 carries Proxy-Authenticate and is answered with Proxy-Authorization.
        let isProxy = response.statusCode == 407
        let challenges = response.headers.values(isProxy ? .proxyAuthenticate : .wwwAuthenticate)
        guard let challenge = Digest.preferredChallenge(among: challenges),
              let authorization = try? Digest.authorization(
                answering: challenge, credentials: credentials, method: .invite,
                uri: configuration.requestURI.description, body: configuration.offerBody,
                clientNonce: SIPIdentifiers.clientNonce(using: &random))
        else { return false }
        hasRetriedWithCredentials = true
        // RFC 3261 §22.2: the retry keeps Call-ID and From tag and takes the next CSeq.
        inviteSequenceNumber += 1
        sendInvite(authorization: SIPHeaders.Field(isProxy ? .proxyAuthorization : .authorization, authorization), at: now, into: &actions)
        return true
    }

    private mutating func sendInvite(authorization: SIPHeaders.Field?, at now: ContinuousClock.Instant, into actions: inout [CallAction]) {
        let via = newVia()
        // RFC 3261 §8.1.1: the per-call fields, then those every INVITE of the configuration repeats.
        var fields = RequestFields(
            via: via.text, maxForwards: "70", from: localText, to: configuration.toText, callID: callID,
            cseq: CSeq(inviteSequenceNumber, .invite).description, contact: configuration.contactText,
            credentials: authorization.map { [$0] } ?? [])
        invite = SIPRequest.written(
            .invite, uri: configuration.requestURI, uriText: configuration.requestURIText, fields: fields,
            trailer: configuration.inviteTrailer, trailerFields: configuration.inviteTrailerFields, body: configuration.offerBody)
        inviteAuthorization = authorization
        let key = ClientTransactionKey(branch: via.branch, method: .invite)
        currentInviteKey = key
        // CANCEL and the ACK of a non-2xx repeat the INVITE's Request-URI, Via, From, To, Call-ID and
        // Route, without Contact or credentials (RFC 3261 §9.1, §17.1.1.3).
        fields.contact = nil
        fields.credentials = []
        fields.routes = configuration.inviteRoutes
        let echo = InviteClientTransaction.Echo(uri: configuration.requestURI, uriText: configuration.requestURIText, fields: fields)
        var reported = takeTransactionActions()
        let transaction = InviteClientTransaction.start(
            invite, key: key, sequenceNumber: inviteSequenceNumber, isReliable: isReliable, timers: configuration.timers,
            echo: echo, into: &reported)
        inviteTransactions.append(transaction)
        perform(consume reported, for: key, at: now, into: &actions)
    }

    /// A Via for a request we send: its branch and its header text.
    private struct NewVia {
        let branch: String
        let text: String
    }

    private mutating func newVia() -> NewVia {
        let branch = SIPIdentifiers.branch(using: &random)
        // RFC 3581 §3: ask for rport so responses reach us through NAT. The text extends the Via rendered
        // once per configuration rather than rendering a `Via` for every request.
        let text = String(concatenating: configuration.viaText, ";branch=", branch, ";rport")
        assert(text == Via(
            transport: configuration.transport, host: configuration.viaHost, port: configuration.viaPort,
            parameters: [SIPParameter("branch", branch), SIPParameter("rport")]).description,
            "the prerendered Via differs from Via.description")
        return NewVia(branch: branch, text: text)
    }

    // MARK: Media and ending

    private func negotiate(_ response: SIPResponse) -> NegotiatedAudio? {
        // RFC 3261 §20.15: the media type is case-insensitive; read in place rather than as a String.
        guard !response.body.isEmpty,
              response.headers.withFirstValueBytes(.contentType, { $0.hasPrefixIgnoringASCIICase("application/sdp".utf8) }) ?? false
        else {
            return nil
        }
        return try? SDPAnswer(parsing: response.body).negotiate(with: configuration.offer)
    }

    private mutating func startMedia(_ answer: NegotiatedAudio, into actions: inout [CallAction]) {
        guard answer != media else { return }
        media = answer
        actions.append(.startMedia(answer))
    }

    private mutating func end(
        _ reason: CallEndReason, classification: CallOutcome? = nil, at now: ContinuousClock.Instant, into actions: inout [CallAction]
    ) {
        guard state != .ended else { return }
        if state == .cancelling { actions.append(.cancelTimer(.cancelGuard)) }
        state = .ended
        outcome.endedAt = now
        outcome.endReason = reason
        // Without a final status the INVITE timed out or failed in transport: a trunk failure (§17.1.1.2).
        outcome.classification = classification
            ?? outcome.finalStatus.map { CallOutcome(finalStatus: $0, cancelledByUs: cancelSent) } ?? .trunkFailure
        actions.append(.ended(outcome))
    }

    private mutating func finishIfDone(into actions: inout [CallAction]) {
        // An ended call that awaits no response lingers for seconds (Timer K, Timer D, the BYE window) and
        // steps rarely until then: it lets its kept list go rather than hold it for the linger.
        if state == .ended, !isAwaitingResponses, transactionActions.capacity > 0 { transactionActions = [] }
        guard state == .ended, !didFinish, !isLingering, inviteTransactions.isEmpty, nonInviteTransactions.isEmpty else {
            return
        }
        didFinish = true
        actions.append(.finished)
    }
}
