/// The INVITE client transaction (RFC 3261 §17.1.1), as a value-type state machine.
///
/// The owner performs every returned action and feeds back responses and fired timers.
public struct InviteClientTransaction: Hashable, Sendable {
    /// RFC 3261 §17.1.1.2 Figure 5 states.
    public enum State: Hashable, Sendable {
        case calling, proceeding, completed, terminated
    }

    /// The current state.
    public private(set) var state: State
    /// The INVITE this transaction sends.
    public let request: SIPRequest
    /// The branch and method that responses must match.
    public let key: ClientTransactionKey
    /// `true` for TCP/TLS/SCTP, which need no retransmissions (RFC 3261 §17.1.1.2).
    public let isReliable: Bool
    /// The timer values in use.
    public let timers: TransactionTimers
    private let sequenceNumber: UInt32
    private var timerAInterval: Duration
    private var ack: SIPRequest?
    /// What CANCEL and the ACK of a non-2xx repeat of the INVITE, when its sender gave them: they are then
    /// written without reading the INVITE's parts.
    private let echo: Echo?

    /// The INVITE's Request-URI and its top Via, Max-Forwards, From, To, Call-ID and Route values (RFC 3261
    /// §9.1, §17.1.1.3); CSeq and To are replaced per request. A class, so that the transaction stays cheap
    /// to copy.
    final class Echo: Hashable, Sendable {
        let uri: AnyURI
        let uriText: String
        let fields: RequestFields

        init(uri: AnyURI, uriText: String, fields: RequestFields) {
            self.uri = uri
            self.uriText = uriText
            self.fields = fields
        }

        static func == (lhs: Echo, rhs: Echo) -> Bool {
            lhs === rhs || (lhs.uri == rhs.uri && lhs.uriText == rhs.uriText && lhs.fields == rhs.fields)
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(uriText)
            hasher.combine(fields)
        }
    }

    private init(
        request: SIPRequest, key: ClientTransactionKey, sequenceNumber: UInt32, isReliable: Bool, timers: TransactionTimers, echo: Echo?
    ) {
        self.state = .calling
        self.request = request
        self.key = key
        self.sequenceNumber = sequenceNumber
        self.isReliable = isReliable
        self.timers = timers
        self.timerAInterval = timers.t1
        self.echo = echo
    }

    /// Creates the transaction in Calling and returns the actions that send the INVITE and start its timers.
    public static func start(
        _ invite: SIPRequest, isReliable: Bool, timers: TransactionTimers = TransactionTimers()
    ) throws(TransactionError) -> (transaction: InviteClientTransaction, actions: [ClientTransactionAction]) {
        guard invite.method == .invite else { throw .wrongMethod(invite.method) }
        guard let key = ClientTransactionKey(request: invite) else { throw .missingBranch }
        guard let cseq = invite.cseq else { throw .missingCSeq }
        var actions: [ClientTransactionAction] = []
        let transaction = start(
            invite, key: key, sequenceNumber: cseq.sequenceNumber, isReliable: isReliable, timers: timers, into: &actions)
        return (transaction, actions)
    }

    /// Starts a transaction for an INVITE whose branch and CSeq the caller built itself, and whose
    /// values for CANCEL and ACK it may pass as `echo`; appends the actions to `actions`.
    static func start(
        _ invite: SIPRequest, key: ClientTransactionKey, sequenceNumber: UInt32, isReliable: Bool, timers: TransactionTimers,
        echo: Echo? = nil, into actions: inout [ClientTransactionAction]
    ) -> InviteClientTransaction {
        let transaction = InviteClientTransaction(
            request: invite, key: key, sequenceNumber: sequenceNumber, isReliable: isReliable, timers: timers, echo: echo)
        actions.append(.send(invite))
        if !isReliable {
            actions.append(.startTimer(.a, after: timers.t1))  // RFC 3261 §17.1.1.2 Timer A = T1
        }
        actions.append(.startTimer(.b, after: timers.transactionTimeout))  // RFC 3261 §17.1.1.2 Timer B = 64*T1
        return transaction
    }

    /// Whether `response` belongs to this transaction (RFC 3261 §17.1.3).
    public func matches(_ response: SIPResponse) -> Bool {
        ClientTransactionKey(response: response) == key
    }

    /// Feeds a response; responses of other transactions are ignored.
    public mutating func receive(_ response: SIPResponse) -> [ClientTransactionAction] {
        guard matches(response) else { return [] }
        var actions: [ClientTransactionAction] = []
        receiveMatched(response, into: &actions)
        return actions
    }

    /// Feeds a response whose key the caller has already matched against `key`, appending the actions.
    mutating func receiveMatched(_ response: SIPResponse, into actions: inout [ClientTransactionAction]) {
        switch (state, response.statusCode) {
        case (.calling, 100...199):
            // RFC 3261 §17.1.1.2: a provisional response stops retransmissions; Timer B only applies in Calling.
            state = .proceeding
            appendStoppingCallingTimers(to: &actions)
            actions.append(.deliver(response))
        case (.proceeding, 100...199):
            actions.append(.deliver(response))
        case (.calling, 200...299), (.proceeding, 200...299):
            // RFC 3261 §17.1.1.2: a 2xx goes to the TU, which ACKs it; the transaction terminates.
            if state == .calling { appendStoppingCallingTimers(to: &actions) }
            state = .terminated
            actions.append(.deliver(response))
            actions.append(.terminated)
        case (.calling, 300...699), (.proceeding, 300...699):
            if state == .calling { appendStoppingCallingTimers(to: &actions) }
            let ack = makeACK(for: response)
            self.ack = ack
            actions.append(.send(ack))
            actions.append(.deliver(response))
            // RFC 3261 §17.1.1.2: Timer D is 0 s for reliable transports.
            if isReliable {
                state = .terminated
                actions.append(.terminated)
            } else {
                state = .completed
                actions.append(.startTimer(.d, after: timers.timerD))
            }
        case (.completed, 300...699):
            // RFC 3261 §17.1.1.2: retransmitted final responses are absorbed and re-ACKed.
            if let ack { actions.append(.send(ack)) }
        default:
            break
        }
    }

    /// Feeds a fired timer; timers that no longer apply are ignored.
    public mutating func timerFired(_ timer: TransactionTimer) -> [ClientTransactionAction] {
        var actions: [ClientTransactionAction] = []
        timerFired(timer, into: &actions)
        return actions
    }

    /// Feeds a fired timer, appending the actions to `actions`.
    mutating func timerFired(_ timer: TransactionTimer, into actions: inout [ClientTransactionAction]) {
        switch (timer, state) {
        case (.a, .calling) where !isReliable:
            // RFC 3261 §17.1.1.2 Timer A: retransmit and double the interval.
            timerAInterval = timerAInterval * 2
            actions.append(.send(request))
            actions.append(.startTimer(.a, after: timerAInterval))
        case (.b, .calling):
            // RFC 3261 §17.1.1.2 Timer B: no response at all within 64*T1.
            if !isReliable { actions.append(.cancelTimer(.a)) }
            state = .terminated
            actions.append(.timeout)
            actions.append(.terminated)
        case (.d, .completed):
            // RFC 3261 §17.1.1.2 Timer D: stop absorbing response retransmissions.
            state = .terminated
            actions.append(.terminated)
        default:
            break
        }
    }

    /// Reports a fatal transport error for this transaction's messages (RFC 3261 §17.1.1.2).
    public mutating func transportFailed() -> [ClientTransactionAction] {
        var actions: [ClientTransactionAction] = []
        transportFailed(into: &actions)
        return actions
    }

    /// Reports a fatal transport error, appending the actions to `actions`.
    mutating func transportFailed(into actions: inout [ClientTransactionAction]) {
        switch state {
        case .calling:
            state = .terminated
            appendStoppingCallingTimers(to: &actions)
            actions.append(.transportFailure)
            actions.append(.terminated)
        case .proceeding:
            state = .terminated
            actions.append(.transportFailure)
            actions.append(.terminated)
        case .completed:
            state = .terminated
            actions.append(.cancelTimer(.d))
            actions.append(.transportFailure)
            actions.append(.terminated)
        case .terminated:
            break
        }
    }

    /// Builds the CANCEL for this INVITE (RFC 3261 §9.1): same Request-URI, Call-ID, To, From, Route,
    /// CSeq number and top Via (so the same branch), with method CANCEL.
    public func makeCancel() -> SIPRequest {
        if let echo { return written(.cancel, echo, to: echo.fields.to) }
        return SIPRequest(method: .cancel, uri: request.uri, headers: copiedHeaders(to: request.headers[.to], method: .cancel))
    }

    // RFC 3261 §17.1.1.3: the ACK for a non-2xx final response.
    private func makeACK(for response: SIPResponse) -> SIPRequest {
        let to = response.headers[.to]
        if let echo, let to { return written(.ack, echo, to: to) }
        return SIPRequest(method: .ack, uri: request.uri, headers: copiedHeaders(to: to, method: .ack))
    }

    /// CANCEL or ACK written from `echo`, with the fields `copiedHeaders` gives it.
    private func written(_ method: SIPMethod, _ echo: Echo, to: String) -> SIPRequest {
        var fields = echo.fields
        fields.to = to
        fields.cseq = CSeq(sequenceNumber, method).description
        return SIPRequest.written(method, uri: echo.uri, uriText: echo.uriText, fields: fields)
    }

    /// Top Via, Max-Forwards, From, To, Call-ID, CSeq and Route as §9.1 and §17.1.1.3 require.
    private func copiedHeaders(to: String?, method: SIPMethod) -> SIPHeaders {
        var headers = SIPHeaders()
        headers.reserveCapacity(8)
        if let via = request.headers[.via] { headers.append(.via, via) }
        headers.append(.maxForwards, request.headers[.maxForwards] ?? "70")
        if let from = request.headers[.from] { headers.append(.from, from) }
        if let to { headers.append(.to, to) }
        if let callID = request.headers[.callID] { headers.append(.callID, callID) }
        headers.append(.cseq, CSeq(sequenceNumber, method).description)
        for route in request.headers.values(.route) { headers.append(.route, route) }
        return headers
    }

    /// Appends the actions that stop Timers A and B.
    private func appendStoppingCallingTimers(to actions: inout [ClientTransactionAction]) {
        if !isReliable { actions.append(.cancelTimer(.a)) }
        actions.append(.cancelTimer(.b))
    }
}
