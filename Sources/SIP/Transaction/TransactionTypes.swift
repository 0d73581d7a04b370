/// Transaction timer values (RFC 3261 §17.1.1.1 and Table 4).
public struct TransactionTimers: Hashable, Sendable {
    /// RTT estimate, 500 ms by default (RFC 3261 §17.1.1.1).
    public var t1: Duration
    /// Maximum non-INVITE retransmit interval, 4 s by default (RFC 3261 §17.1.2.2).
    public var t2: Duration
    /// Maximum time a message stays in the network, 5 s by default (RFC 3261 §17.1.2.2).
    public var t4: Duration
    /// Timer D for unreliable transports, at least 32 s (RFC 3261 §17.1.1.2).
    public var timerD: Duration

    /// Creates timer values; the defaults are RFC 3261's.
    public init(
        t1: Duration = .milliseconds(500),
        t2: Duration = .seconds(4),
        t4: Duration = .seconds(5),
        timerD: Duration = .seconds(32)
    ) {
        self.t1 = t1
        self.t2 = t2
        self.t4 = t4
        self.timerD = timerD
    }

    /// 64*T1: Timer B, Timer F and the CANCEL guard (RFC 3261 §17.1.1.2, §17.1.2.2, §9.1).
    public var transactionTimeout: Duration {
        // Six doublings: Duration's `*` by an integer goes through generic 128-bit arithmetic, hundreds
        // of instructions for every transaction a call starts.
        var timeout = t1
        for _ in 0..<6 { timeout += timeout }
        return timeout
    }
}

/// The client transaction timers of RFC 3261 §17.1.
public enum TransactionTimer: Hashable, Sendable {
    /// INVITE retransmission (unreliable transports).
    case a
    /// INVITE transaction timeout.
    case b
    /// Wait time for response retransmissions after a non-2xx final response.
    case d
    /// Non-INVITE retransmission (unreliable transports).
    case e
    /// Non-INVITE transaction timeout.
    case f
    /// Wait time for response retransmissions after a non-INVITE final response.
    case k
}

/// What a client transaction asks its owner to do.
public enum ClientTransactionAction: Hashable, Sendable {
    /// Hand the request (the original, a retransmission, or the transaction's ACK) to the transport.
    case send(SIPRequest)
    /// Schedule `timerFired(_:)` after the duration, replacing any pending timer of the same kind.
    case startTimer(TransactionTimer, after: Duration)
    /// Cancel the pending timer of that kind, if any.
    case cancelTimer(TransactionTimer)
    /// Pass the response up to the transaction user.
    case deliver(SIPResponse)
    /// Timer B or F fired with no final response: the request timed out (RFC 3261 §17.1.1.2, §17.1.2.2).
    case timeout
    /// The transport reported a fatal error (RFC 3261 §17.1.4).
    case transportFailure
    /// The transaction is over and can be discarded.
    case terminated
}

/// Why a transaction cannot be started for a request.
public enum TransactionError: Error, Hashable, Sendable {
    /// The request has no top Via with a branch (RFC 3261 §8.1.1.7).
    case missingBranch
    /// The request has no parsable CSeq.
    case missingCSeq
    /// The request method does not fit the transaction kind (INVITE vs non-INVITE; ACK has no transaction).
    case wrongMethod(SIPMethod)
}

/// Identifies a client transaction: top Via branch plus CSeq method (RFC 3261 §17.1.3).
public struct ClientTransactionKey: Hashable, Sendable {
    /// The branch of the top Via.
    public var branch: String
    /// The method of the request (CANCEL shares the INVITE's branch but not its method).
    public var method: SIPMethod

    /// Creates a key.
    public init(branch: String, method: SIPMethod) {
        self.branch = branch
        self.method = method
    }

    /// The key of a request we send.
    public init?(request: SIPRequest) {
        guard let branch = request.topVia?.branch else { return nil }
        self.init(branch: branch, method: request.method)
    }

    /// The key a response belongs to: its top Via branch and CSeq method (RFC 3261 §17.1.3).
    public init?(response: SIPResponse) {
        guard let branch = response.topVia?.branch, let cseq = response.cseq else { return nil }
        self.init(branch: branch, method: cseq.method)
    }
}
