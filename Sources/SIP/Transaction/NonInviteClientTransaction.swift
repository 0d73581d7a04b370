/// The non-INVITE client transaction (RFC 3261 §17.1.2), used here for BYE and CANCEL.
public struct NonInviteClientTransaction: Hashable, Sendable {
    /// RFC 3261 §17.1.2.2 Figure 6 states.
    public enum State: Hashable, Sendable {
        case trying, proceeding, completed, terminated
    }

    /// The current state.
    public private(set) var state: State
    /// The request this transaction sends.
    public let request: SIPRequest
    /// The branch and method that responses must match.
    public let key: ClientTransactionKey
    /// `true` for TCP/TLS/SCTP (RFC 3261 §17.1.2.2).
    public let isReliable: Bool
    /// The timer values in use.
    public let timers: TransactionTimers
    private var timerEInterval: Duration

    private init(request: SIPRequest, key: ClientTransactionKey, isReliable: Bool, timers: TransactionTimers) {
        self.state = .trying
        self.request = request
        self.key = key
        self.isReliable = isReliable
        self.timers = timers
        self.timerEInterval = timers.t1
    }

    /// Creates the transaction in Trying and returns the actions that send the request and start its timers.
    public static func start(
        _ request: SIPRequest, isReliable: Bool, timers: TransactionTimers = TransactionTimers()
    ) throws(TransactionError) -> (transaction: NonInviteClientTransaction, actions: [ClientTransactionAction]) {
        guard request.method != .invite, request.method != .ack else { throw .wrongMethod(request.method) }
        guard let key = ClientTransactionKey(request: request) else { throw .missingBranch }
        var actions: [ClientTransactionAction] = []
        let transaction = start(request, key: key, isReliable: isReliable, timers: timers, into: &actions)
        return (transaction, actions)
    }

    /// Starts a transaction for a request whose branch the caller built itself, appending the actions to
    /// `actions`.
    static func start(
        _ request: SIPRequest, key: ClientTransactionKey, isReliable: Bool, timers: TransactionTimers,
        into actions: inout [ClientTransactionAction]
    ) -> NonInviteClientTransaction {
        let transaction = NonInviteClientTransaction(request: request, key: key, isReliable: isReliable, timers: timers)
        actions.append(.send(request))
        actions.append(.startTimer(.f, after: timers.transactionTimeout))  // RFC 3261 §17.1.2.2 Timer F = 64*T1
        if !isReliable {
            actions.append(.startTimer(.e, after: timers.t1))  // RFC 3261 §17.1.2.2 Timer E = T1
        }
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
        case (.trying, 100...199):
            state = .proceeding
            actions.append(.deliver(response))
        case (.proceeding, 100...199):
            actions.append(.deliver(response))
        case (.trying, 200...699), (.proceeding, 200...699):
            if !isReliable { actions.append(.cancelTimer(.e)) }
            actions.append(.cancelTimer(.f))
            actions.append(.deliver(response))
            // RFC 3261 §17.1.2.2: Timer K is T4 for unreliable transports and zero for reliable ones.
            if isReliable {
                state = .terminated
                actions.append(.terminated)
            } else {
                state = .completed
                actions.append(.startTimer(.k, after: timers.t4))
            }
        default:
            // RFC 3261 §17.1.2.2: in Completed, retransmitted responses are absorbed.
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
        case (.e, .trying) where !isReliable:
            // RFC 3261 §17.1.2.2 Timer E: retransmit, doubling up to T2.
            timerEInterval = min(timerEInterval * 2, timers.t2)
            actions.append(.send(request))
            actions.append(.startTimer(.e, after: timerEInterval))
        case (.e, .proceeding) where !isReliable:
            // RFC 3261 §17.1.2.2: in Proceeding, retransmit every T2.
            timerEInterval = timers.t2
            actions.append(.send(request))
            actions.append(.startTimer(.e, after: timerEInterval))
        case (.f, .trying), (.f, .proceeding):
            // RFC 3261 §17.1.2.2 Timer F: no final response within 64*T1.
            state = .terminated
            if !isReliable { actions.append(.cancelTimer(.e)) }
            actions.append(.timeout)
            actions.append(.terminated)
        case (.k, .completed):
            state = .terminated
            actions.append(.terminated)
        default:
            break
        }
    }

    /// Reports a fatal transport error (RFC 3261 §17.1.2.2).
    public mutating func transportFailed() -> [ClientTransactionAction] {
        var actions: [ClientTransactionAction] = []
        transportFailed(into: &actions)
        return actions
    }

    /// Reports a fatal transport error, appending the actions to `actions`.
    mutating func transportFailed(into actions: inout [ClientTransactionAction]) {
        switch state {
        case .trying, .proceeding:
            state = .terminated
            if !isReliable { actions.append(.cancelTimer(.e)) }
            actions.append(.cancelTimer(.f))
            actions.append(.transportFailure)
            actions.append(.terminated)
        case .completed:
            state = .terminated
            actions.append(.cancelTimer(.k))
            actions.append(.terminated)
        case .terminated:
            break
        }
    }
}
