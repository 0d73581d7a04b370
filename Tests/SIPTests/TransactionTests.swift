import SIP
import Testing

/// A request and matching responses for transaction tests.
enum TransactionFixture {
    static let branch = "z9hG4bKtx1"

    static func request(_ method: SIPMethod, branch: String = branch) -> SIPRequest {
        SIPRequest(method: method, uri: .sip(SIPURI(user: "bob", host: "example.com")), headers: [
            (.via, "SIP/2.0/UDP 192.0.2.1:5060;branch=\(branch)"),
            (.maxForwards, "70"),
            (.from, "<sip:alice@example.com>;tag=a1"),
            (.to, "<sip:bob@example.com>"),
            (.callID, "tx@192.0.2.1"),
            (.cseq, "5 \(method)"),
            (.route, "<sip:proxy.example.com;lr>"),
        ])
    }

    static func response(_ status: Int, method: SIPMethod = .invite, branch: String = branch, toTag: String = "b1") -> SIPResponse {
        SIPResponse(statusCode: status, headers: [
            (.via, "SIP/2.0/UDP 192.0.2.1:5060;branch=\(branch)"),
            (.from, "<sip:alice@example.com>;tag=a1"),
            (.to, "<sip:bob@example.com>;tag=\(toTag)"),
            (.callID, "tx@192.0.2.1"),
            (.cseq, "5 \(method)"),
        ])
    }
}

@Suite("INVITE client transaction (RFC 3261 §17.1.1)")
struct InviteClientTransactionTests {
    let invite = TransactionFixture.request(.invite)

    @Test("start sends the INVITE and starts Timer A = T1 and Timer B = 64*T1")
    func start() throws {
        let (transaction, actions) = try InviteClientTransaction.start(invite, isReliable: false)
        #expect(transaction.state == .calling)
        #expect(actions == [.send(invite), .startTimer(.a, after: .milliseconds(500)), .startTimer(.b, after: .seconds(32))])
        let (_, reliable) = try InviteClientTransaction.start(invite, isReliable: true)
        #expect(reliable == [.send(invite), .startTimer(.b, after: .seconds(32))])
    }

    @Test("Timer A doubles: 500 ms, 1 s, 2 s, 4 s, 8 s, 16 s, then Timer B times out at 32 s")
    func retransmissions() throws {
        var (transaction, _) = try InviteClientTransaction.start(invite, isReliable: false)
        var intervals: [Duration] = []
        for _ in 0..<6 {
            let actions = transaction.timerFired(.a)
            guard actions.count == 2, actions[0] == .send(invite), case .startTimer(.a, let next) = actions[1] else {
                Issue.record("unexpected actions \(actions)")
                return
            }
            intervals.append(next)
        }
        #expect(intervals == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(32)])
        #expect(transaction.timerFired(.b) == [.cancelTimer(.a), .timeout, .terminated])
        #expect(transaction.state == .terminated)
        #expect(transaction.timerFired(.a) == [])
    }

    @Test("1xx stops retransmission and Timer B, later 1xx are delivered")
    func provisional() throws {
        var (transaction, _) = try InviteClientTransaction.start(invite, isReliable: false)
        let trying = TransactionFixture.response(100)
        let ringing = TransactionFixture.response(180)
        #expect(transaction.receive(trying) == [.cancelTimer(.a), .cancelTimer(.b), .deliver(trying)])
        #expect(transaction.state == .proceeding)
        #expect(transaction.receive(ringing) == [.deliver(ringing)])
        #expect(transaction.timerFired(.a) == [])
        #expect(transaction.timerFired(.b) == [])
    }

    @Test("2xx is passed up and terminates the transaction without an ACK")
    func success() throws {
        var (transaction, _) = try InviteClientTransaction.start(invite, isReliable: false)
        let ok = TransactionFixture.response(200)
        #expect(transaction.receive(ok) == [.cancelTimer(.a), .cancelTimer(.b), .deliver(ok), .terminated])
        #expect(transaction.state == .terminated)
    }

    @Test("non-2xx: the transaction ACKs, starts Timer D = 32 s and re-ACKs retransmissions")
    func failure() throws {
        var (transaction, _) = try InviteClientTransaction.start(invite, isReliable: false)
        _ = transaction.receive(TransactionFixture.response(183))
        let busy = TransactionFixture.response(486)
        let actions = transaction.receive(busy)
        guard case .send(let ack) = actions.first else {
            Issue.record("expected an ACK first, got \(actions)")
            return
        }
        #expect(actions.dropFirst() == [.deliver(busy), .startTimer(.d, after: .seconds(32))])
        #expect(transaction.state == .completed)
        // RFC 3261 §17.1.1.3
        #expect(ack.method == .ack)
        #expect(ack.uri == invite.uri)
        #expect(ack.headers.values(.via) == ["SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKtx1"])
        #expect(ack.to?.tag == "b1")
        #expect(ack.headers[.from] == invite.headers[.from])
        #expect(ack.callID == invite.callID)
        #expect(ack.cseq == CSeq(5, .ack))
        #expect(ack.headers.values(.route) == ["<sip:proxy.example.com;lr>"])
        #expect(transaction.receive(busy) == [.send(ack)])
        #expect(transaction.timerFired(.d) == [.terminated])
        #expect(transaction.receive(busy) == [])
    }

    @Test("over a reliable transport a non-2xx terminates at once (Timer D = 0)")
    func reliableFailure() throws {
        var (transaction, _) = try InviteClientTransaction.start(invite, isReliable: true)
        let notFound = TransactionFixture.response(404)
        let actions = transaction.receive(notFound)
        #expect(actions.count == 4)
        #expect(actions.first == .cancelTimer(.b))
        if case .send(let ack) = actions[1] { #expect(ack.method == .ack) } else { Issue.record("expected the ACK second") }
        #expect(Array(actions.suffix(2)) == [.deliver(notFound), .terminated])
        #expect(transaction.state == .terminated)
    }

    @Test("responses of other transactions are ignored (RFC 3261 §17.1.3)")
    func matching() throws {
        var (transaction, _) = try InviteClientTransaction.start(invite, isReliable: false)
        #expect(transaction.receive(TransactionFixture.response(200, branch: "z9hG4bKother")) == [])
        #expect(transaction.receive(TransactionFixture.response(200, method: .cancel)) == [])
        #expect(transaction.state == .calling)
        #expect(ClientTransactionKey(response: TransactionFixture.response(200)) == ClientTransactionKey(branch: "z9hG4bKtx1", method: .invite))
    }

    @Test("CANCEL copies Request-URI, Call-ID, From, To, CSeq number, Route and the top Via (RFC 3261 §9.1)")
    func cancel() throws {
        let (transaction, _) = try InviteClientTransaction.start(invite, isReliable: false)
        let cancel = transaction.makeCancel()
        #expect(cancel.method == .cancel)
        #expect(cancel.uri == invite.uri)
        #expect(cancel.headers[.via] == invite.headers[.via])
        #expect(cancel.headers[.to] == invite.headers[.to])
        #expect(cancel.headers[.from] == invite.headers[.from])
        #expect(cancel.callID == invite.callID)
        #expect(cancel.cseq == CSeq(5, .cancel))
        #expect(cancel.headers.values(.route) == invite.headers.values(.route))
        #expect(ClientTransactionKey(request: cancel) == ClientTransactionKey(branch: TransactionFixture.branch, method: .cancel))
    }

    @Test("transport failure in Calling informs the TU")
    func transportFailure() throws {
        var (transaction, _) = try InviteClientTransaction.start(invite, isReliable: false)
        #expect(transaction.transportFailed() == [.cancelTimer(.a), .cancelTimer(.b), .transportFailure, .terminated])
    }

    @Test("start rejects requests it cannot run")
    func startErrors() {
        #expect(throws: TransactionError.wrongMethod(.bye)) { try InviteClientTransaction.start(TransactionFixture.request(.bye), isReliable: false) }
        var noBranch = invite
        noBranch.headers.set(.via, "SIP/2.0/UDP 192.0.2.1")
        #expect(throws: TransactionError.missingBranch) { try InviteClientTransaction.start(noBranch, isReliable: false) }
    }
}

@Suite("Non-INVITE client transaction (RFC 3261 §17.1.2)")
struct NonInviteClientTransactionTests {
    let bye = TransactionFixture.request(.bye)

    @Test("start sends and starts Timer F = 32 s and Timer E = 500 ms")
    func start() throws {
        let (_, actions) = try NonInviteClientTransaction.start(bye, isReliable: false)
        #expect(actions == [.send(bye), .startTimer(.f, after: .seconds(32)), .startTimer(.e, after: .milliseconds(500))])
    }

    @Test("Timer E doubles up to T2 = 4 s, then Timer F times out")
    func retransmissions() throws {
        var (transaction, _) = try NonInviteClientTransaction.start(bye, isReliable: false)
        var intervals: [Duration] = []
        for _ in 0..<6 {
            let actions = transaction.timerFired(.e)
            #expect(actions.first == .send(bye))
            if case .startTimer(.e, let next) = actions.last { intervals.append(next) }
        }
        #expect(intervals == [.seconds(1), .seconds(2), .seconds(4), .seconds(4), .seconds(4), .seconds(4)])
        #expect(transaction.timerFired(.f) == [.cancelTimer(.e), .timeout, .terminated])
        #expect(transaction.state == .terminated)
    }

    @Test("in Proceeding Timer E fires every T2")
    func proceedingRetransmissions() throws {
        var (transaction, _) = try NonInviteClientTransaction.start(bye, isReliable: false)
        let trying = TransactionFixture.response(100, method: .bye)
        #expect(transaction.receive(trying) == [.deliver(trying)])
        #expect(transaction.state == .proceeding)
        #expect(transaction.timerFired(.e) == [.send(bye), .startTimer(.e, after: .seconds(4))])
    }

    @Test("a final response completes it; Timer K = T4 = 5 s absorbs retransmissions")
    func completion() throws {
        var (transaction, _) = try NonInviteClientTransaction.start(bye, isReliable: false)
        let ok = TransactionFixture.response(200, method: .bye)
        #expect(transaction.receive(ok) == [.cancelTimer(.e), .cancelTimer(.f), .deliver(ok), .startTimer(.k, after: .seconds(5))])
        #expect(transaction.state == .completed)
        #expect(transaction.receive(ok) == [])
        #expect(transaction.timerFired(.e) == [])
        #expect(transaction.timerFired(.k) == [.terminated])
    }

    @Test("reliable transports skip Timer E and K")
    func reliable() throws {
        var (transaction, actions) = try NonInviteClientTransaction.start(bye, isReliable: true)
        #expect(actions == [.send(bye), .startTimer(.f, after: .seconds(32))])
        let ok = TransactionFixture.response(200, method: .bye)
        #expect(transaction.receive(ok) == [.cancelTimer(.f), .deliver(ok), .terminated])
    }

    @Test("custom T1 scales every timer")
    func customTimers() throws {
        let timers = TransactionTimers(t1: .milliseconds(100), t2: .milliseconds(300))
        var (transaction, actions) = try NonInviteClientTransaction.start(bye, isReliable: false, timers: timers)
        #expect(actions.contains(.startTimer(.f, after: .milliseconds(6400))))
        _ = transaction.timerFired(.e)
        #expect(transaction.timerFired(.e).last == .startTimer(.e, after: .milliseconds(300)))
    }

    @Test("INVITE and ACK cannot use a non-INVITE transaction")
    func wrongMethod() {
        #expect(throws: TransactionError.wrongMethod(.ack)) { try NonInviteClientTransaction.start(TransactionFixture.request(.ack), isReliable: false) }
    }
}

@Suite("Identifiers")
struct IdentifierTests {
    @Test("branches carry the magic cookie and differ")
    func branches() {
        var generator = SplitMix64(seed: 1)
        let first = SIPIdentifiers.branch(using: &generator)
        let second = SIPIdentifiers.branch(using: &generator)
        #expect(first.hasPrefix("z9hG4bK"))
        #expect(first.count == 7 + 24)
        #expect(first != second)
        var replay = SplitMix64(seed: 1)
        #expect(SIPIdentifiers.branch(using: &replay) == first)
        let tag = SIPIdentifiers.tag(using: &generator)
        #expect(tag.utf8.count == 15 && tag.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(tag != SIPIdentifiers.tag(using: &generator))
        #expect(SIPIdentifiers.callID(host: "192.0.2.1", using: &generator).hasSuffix("@192.0.2.1"))
    }
}
