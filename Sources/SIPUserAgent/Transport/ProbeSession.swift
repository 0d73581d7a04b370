import NIOCore
import SIP

/// One OPTIONS ping (RFC 3261 §11.1) run by a non-INVITE client transaction (RFC 3261 §17.1.2).
/// Confined to the core's event loop.
final class ProbeSession: SessionOwner {
    let id: UInt64
    var timerGenerations = TimerGenerations()
    let callID: String
    private unowned let core: UserAgentCore
    private var transaction: NonInviteClientTransaction
    private let destination: SocketAddress
    private let startedAt: ContinuousClock.Instant
    private var onResult: ((ProbeResult) -> Void)?

    init(
        id: UInt64, core: UserAgentCore, request: SIPRequest, destination: SocketAddress, timers: TransactionTimers,
        at now: ContinuousClock.Instant, onResult: @escaping (ProbeResult) -> Void
    ) throws(TransactionError) {
        self.id = id
        self.core = core
        self.callID = request.callID ?? ""
        self.destination = destination
        self.startedAt = now
        self.onResult = onResult
        let (transaction, actions) = try NonInviteClientTransaction.start(request, isReliable: false, timers: timers)
        self.transaction = transaction
        self.pendingStart = actions
    }

    private var pendingStart: [ClientTransactionAction]

    func begin(at now: ContinuousClock.Instant) {
        let actions = pendingStart
        pendingStart = []
        perform(actions, at: now)
    }

    func receive(_ message: SIPMessage, from address: SocketAddress, at now: ContinuousClock.Instant) {
        guard case .response(let response) = message else { return }
        perform(transaction.receive(response), at: now)
    }

    func timerFired(_ timer: SessionTimer, at now: ContinuousClock.Instant) {
        guard case .probe(let kind) = timer else { return }
        perform(transaction.timerFired(kind), at: now)
    }

    func abandon(at now: ContinuousClock.Instant) {
        report(ProbeResult(statusCode: nil, roundTripMilliseconds: nil))
    }

    private func perform(_ actions: [ClientTransactionAction], at now: ContinuousClock.Instant) {
        for action in actions {
            switch action {
            case .send(let request):
                if !core.send(.request(request), to: destination) {
                    perform(transaction.transportFailed(), at: now)
                    return
                }
            case .startTimer(let timer, let duration):
                core.schedule(.probe(timer), for: self, after: duration)
            case .cancelTimer(let timer):
                timerGenerations[.probe(timer)] = nil
            case .deliver(let response) where response.statusCode >= 200:
                let elapsed = now - startedAt
                let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
                report(ProbeResult(statusCode: response.statusCode, roundTripMilliseconds: milliseconds))
            case .deliver:
                break
            case .timeout, .transportFailure:
                report(ProbeResult(statusCode: nil, roundTripMilliseconds: nil))
            case .terminated:
                core.remove(self)
            }
        }
    }

    private func report(_ result: ProbeResult) {
        let onResult = self.onResult
        self.onResult = nil
        onResult?(result)
    }
}
