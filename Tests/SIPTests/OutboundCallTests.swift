import Foundation
import SIP
import Testing

/// Drives an `OutboundCall` like an I/O layer would, with a simulated clock.
struct CallHarness {
    let start: ContinuousClock.Instant
    var call: OutboundCall
    var actions: [CallAction]
    let configuration: OutboundCall.Configuration
    let offer = SDPOffer(sessionID: 42, address: "192.0.2.1", port: 40_000)

    init(credentials: DigestCredentials? = nil, transport: String = "UDP", start: ContinuousClock.Instant = .now) {
        self.start = start
        let configuration = OutboundCall.Configuration(
            requestURI: .sip(SIPURI(user: "13800138000", host: "trunk.example.com")),
            from: SIPAddress(displayName: "Waihu", uri: .sip(SIPURI(user: "4001", host: "example.com"))),
            contact: SIPURI(user: "4001", host: "192.0.2.1", port: 5060),
            viaHost: "192.0.2.1", viaPort: 5060, transport: transport,
            offer: offer, credentials: credentials, userAgent: "waihu-test",
            randomSeed: 7)
        self.configuration = configuration
        (call, actions) = OutboundCall.start(configuration, at: start)
    }

    func at(_ seconds: Double) -> ContinuousClock.Instant {
        start + .milliseconds(Int(seconds * 1000))
    }

    /// The requests in `actions`.
    static func requests(_ actions: [CallAction]) -> [SIPRequest] {
        actions.compactMap { if case .send(.request(let request)) = $0 { request } else { nil } }
    }

    static func responses(_ actions: [CallAction]) -> [SIPResponse] {
        actions.compactMap { if case .send(.response(let response)) = $0 { response } else { nil } }
    }

    static func record(_ actions: [CallAction]) -> CallRecord? {
        actions.lazy.compactMap { if case .ended(let record) = $0 { record } else { nil } }.first
    }

    var invite: SIPRequest {
        get throws { try #require(Self.requests(actions).first { $0.method == .invite }) }
    }

    /// A response from the callee to `request`, as the trunk would send it.
    static func reply(
        to request: SIPRequest, _ status: Int, toTag: String? = "callee1", sdp: String? = nil,
        contact: String? = "<sip:13800138000@198.51.100.20:5060>", extra: [(SIPHeaderName, String)] = []
    ) -> SIPResponse {
        var response = SIPResponse(replyingTo: request, statusCode: status, toTag: status == 100 ? nil : toTag)
        if let contact, status > 100, status < 300 { response.headers.append(.contact, contact) }
        for (name, value) in extra { response.headers.append(name, value) }
        if let sdp {
            response.headers.append(.contentType, "application/sdp")
            response.body = Array(sdp.utf8)
        }
        return response
    }

    static func answerSDP(port: Int = 30_000) -> String {
        "v=0\r\no=gw 1 1 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\nt=0 0\r\nm=audio \(port) RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\n"
    }

    static func media(port: Int = 30_000) -> NegotiatedAudio {
        NegotiatedAudio(address: "198.51.100.20", port: port, codec: .pcma, payloadType: 8, telephoneEventPayloadType: 101, direction: .sendrecv, ptime: 20)
    }

    static func key(_ request: SIPRequest) throws -> ClientTransactionKey {
        try #require(ClientTransactionKey(request: request))
    }

    /// A BYE from the callee inside the dialog.
    static func calleeBye(for invite: SIPRequest, cseq: Int = 1) throws -> SIPRequest {
        let from = try #require(invite.from)
        return SIPRequest(method: .bye, uri: .sip(SIPURI(user: "4001", host: "192.0.2.1", port: 5060)), headers: [
            (.via, "SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bKcalleebye\(cseq)"),
            (.maxForwards, "70"),
            (.from, "<sip:13800138000@trunk.example.com>;tag=callee1"),
            (.to, from.description),
            (.callID, invite.callID ?? ""),
            (.cseq, "\(cseq) BYE"),
        ])
    }

    /// Answers the INVITE with 100, 180 and a 200 carrying SDP; returns the actions of the 200.
    mutating func answer() throws -> [CallAction] {
        let invite = try self.invite
        _ = call.receive(Self.reply(to: invite, 100), at: at(0.1))
        _ = call.receive(Self.reply(to: invite, 180), at: at(1))
        return call.receive(Self.reply(to: invite, 200, sdp: Self.answerSDP()), at: at(5))
    }
}

@Suite("Outbound call (UAC)")
struct OutboundCallTests {
    @Test("the INVITE carries From tag, offer, Contact, Via with rport, and starts Timers A and B")
    func invite() throws {
        let harness = CallHarness()
        let invite = try harness.invite
        let key = try CallHarness.key(invite)
        #expect(harness.actions == [
            .send(.request(invite)),
            .startTimer(.transaction(key, .a), after: .milliseconds(500)),
            .startTimer(.transaction(key, .b), after: .seconds(32)),
        ])
        #expect(invite.uri.description == "sip:13800138000@trunk.example.com")
        #expect(invite.from?.tag?.isEmpty == false)
        #expect(invite.from?.displayName == "Waihu")
        #expect(invite.to?.tag == nil)
        #expect(invite.cseq == CSeq(1, .invite))
        #expect(invite.callID == harness.call.callID)
        #expect(invite.topVia?.branch?.hasPrefix("z9hG4bK") == true)
        #expect(invite.topVia?.rport == .some(nil))
        #expect(invite.contacts.first?.uri.description == "sip:4001@192.0.2.1:5060")
        #expect(invite.contentType == "application/sdp")
        #expect(invite.body == harness.offer.body)
        #expect(invite.headers[.userAgent] == "waihu-test")
        #expect(harness.call.state == .calling)
        // The INVITE is valid on the wire.
        #expect(try SIPMessage(parsing: SIPMessage.request(invite).serialized()) == .request(invite))
    }

    @Test("a copied configuration changes alone, and its INVITE follows every change")
    func configurationCopyOnWrite() throws {
        let original = OutboundCall.Configuration(
            requestURI: .sip(SIPURI(user: "13800138000", host: "trunk.example.com")),
            from: SIPAddress(uri: .sip(SIPURI(user: "4001", host: "example.com"))),
            contact: SIPURI(user: "4001", host: "192.0.2.1", port: 5060), viaHost: "192.0.2.1", viaPort: 5060,
            offer: SDPOffer(sessionID: 1, address: "192.0.2.1", port: 40_000), randomSeed: 7)
        var copy = original
        copy.callID = "copy@192.0.2.9"
        copy.from = SIPAddress(uri: .sip(SIPURI(user: "4002", host: "example.com")))
        copy.requestURI = .sip(SIPURI(user: "13900139000", host: "other.example.com"))
        copy.contact = SIPURI(user: "4002", host: "192.0.2.9", port: 5070)
        copy.viaHost = "192.0.2.9"
        copy.viaPort = 5070
        copy.offer = SDPOffer(sessionID: 2, address: "192.0.2.9", port: 41_000)
        copy.additionalHeaders = [(.userAgent, "copy")]
        copy.to = SIPAddress(displayName: "Callee", uri: .sip(SIPURI(user: "13900139000", host: "callee.example.com")))
        copy.transport = "TCP"

        func invite(_ configuration: OutboundCall.Configuration) throws -> SIPRequest {
            try #require(CallHarness.requests(OutboundCall.start(configuration, at: .now).actions).first)
        }
        let first = try invite(original)
        let second = try invite(copy)
        #expect(first.uri.description == "sip:13800138000@trunk.example.com")
        #expect(first.from?.uri.description == "sip:4001@example.com")
        #expect(first.headers[.contact] == "<sip:4001@192.0.2.1:5060>")
        #expect(first.topVia?.host == "192.0.2.1")
        #expect(first.headers[.userAgent] == nil)
        #expect(String(decoding: first.body, as: UTF8.self).contains("m=audio 40000 "))
        #expect(second.callID == "copy@192.0.2.9")
        #expect(second.uri.description == "sip:13900139000@other.example.com")
        #expect(second.to?.uri.description == "sip:13900139000@callee.example.com")
        #expect(second.to?.displayName == "Callee")
        #expect(second.topVia?.transport == "TCP")
        #expect(first.to?.uri.description == "sip:13800138000@trunk.example.com")
        #expect(first.topVia?.transport == "UDP")
        #expect(second.from?.uri.description == "sip:4002@example.com")
        #expect(second.headers[.contact] == "<sip:4002@192.0.2.9:5070>")
        #expect(second.topVia?.host == "192.0.2.9")
        #expect(second.topVia?.port == 5070)
        #expect(second.headers[.userAgent] == "copy")
        #expect(String(decoding: second.body, as: UTF8.self).contains("m=audio 41000 "))
        #expect(original.from.uri.description == "sip:4001@example.com")
        #expect(original.callID == nil)
    }

    @Test("answered, then we hang up: ACK, media, BYE, ended, finished after Timer K")
    func answeredCallerHangsUp() throws {
        var harness = CallHarness()
        let invite = try harness.invite
        let answered = try harness.answer()
        let ack = try #require(CallHarness.requests(answered).first)
        #expect(answered == [.send(.request(ack)), .startMedia(CallHarness.media())])
        #expect(ack.method == .ack)
        #expect(ack.cseq == CSeq(1, .ack))
        #expect(ack.uri.description == "sip:13800138000@198.51.100.20:5060")
        #expect(ack.to?.tag == "callee1")
        #expect(ack.topVia?.branch != invite.topVia?.branch)
        #expect(harness.call.state == .confirmed)
        #expect(harness.call.dialog?.remoteTag == "callee1")

        let hangUp = harness.call.hangUp(at: harness.at(65))
        let bye = try #require(CallHarness.requests(hangUp).first)
        let byeKey = try CallHarness.key(bye)
        let record = try #require(CallHarness.record(hangUp))
        #expect(hangUp == [
            .send(.request(bye)),
            .startTimer(.transaction(byeKey, .f), after: .seconds(32)),
            .startTimer(.transaction(byeKey, .e), after: .milliseconds(500)),
            .ended(record),
        ])
        #expect(bye.method == .bye)
        #expect(bye.cseq == CSeq(2, .bye))
        #expect(bye.uri == ack.uri)
        #expect(record.finalStatus == 200)
        #expect(record.classification == .answered)
        #expect(record.endReason == .localHangup)
        #expect(record.ringingAt == harness.at(1))
        #expect(record.answeredAt == harness.at(5))
        #expect(record.endedAt == harness.at(65))
        #expect(harness.call.dialog?.localSequenceNumber == 2)
        #expect(harness.call.isFinished == false)

        let byeOK = harness.call.receive(CallHarness.reply(to: bye, 200), at: harness.at(65.1))
        #expect(byeOK == [
            .cancelTimer(.transaction(byeKey, .e)), .cancelTimer(.transaction(byeKey, .f)),
            .startTimer(.transaction(byeKey, .k), after: .seconds(5)),
        ])
        #expect(harness.call.timerFired(.transaction(byeKey, .k), at: harness.at(70.1)) == [.finished])
        #expect(harness.call.isFinished)
    }

    @Test("every event appends to a kept list exactly the actions its returning form gives")
    func eventsAppendToAKeptList() throws {
        // Two calls from the same seed are the same call; one reports through returned lists, the other
        // through one list the test keeps, which holds an earlier action that must stay first.
        var returning = CallHarness()
        var appending = CallHarness(start: returning.start)
        let earlier = CallAction.cancelTimer(.byeRetransmissionWindow)
        var kept = [earlier]
        // Events read the time from `returning`: `appending` is being changed while they run.
        func appended(_ event: (inout OutboundCall, inout [CallAction]) -> Void) -> [CallAction] {
            event(&appending.call, &kept)
            defer { kept = [earlier] }
            #expect(kept.first == earlier)
            return Array(kept.dropFirst())
        }
        let invite = try returning.invite
        #expect(try appending.invite == invite)
        let started = OutboundCall.start(returning.configuration, at: returning.start, into: &kept)
        #expect(started.callID == returning.call.callID)
        #expect(Array(kept.dropFirst()) == returning.actions)
        kept = [earlier]

        // A BYE before any dialog exists is answered 481 (RFC 3261 §12.2.2).
        let early = try CallHarness.calleeBye(for: invite)
        let refused = returning.call.receive(early, at: returning.at(0.5))
        #expect(CallHarness.responses(refused).map(\.statusCode) == [481])
        #expect(appended { $0.receive(early, at: returning.at(0.5), into: &$1) } == refused)
        for (status, seconds) in [(180, 1.0), (200, 5.0)] {
            let response = CallHarness.reply(to: invite, status, sdp: status == 200 ? CallHarness.answerSDP() : nil)
            let expected = returning.call.receive(response, at: returning.at(seconds))
            #expect(appended { $0.receive(response, at: returning.at(seconds), into: &$1) } == expected)
        }
        let hangUp = returning.call.hangUp(at: returning.at(65))
        #expect(appended { $0.hangUp(at: returning.at(65), into: &$1) } == hangUp)
        let bye = try #require(CallHarness.requests(hangUp).first)
        let byeOK = returning.call.receive(CallHarness.reply(to: bye, 200), at: returning.at(65.1))
        #expect(appended { $0.receive(CallHarness.reply(to: bye, 200), at: returning.at(65.1), into: &$1) } == byeOK)
        let timerK = CallTimer.transaction(try CallHarness.key(bye), .k)
        let finished = returning.call.timerFired(timerK, at: returning.at(70.1))
        #expect(finished == [.finished])
        #expect(appended { $0.timerFired(timerK, at: returning.at(70.1), into: &$1) } == finished)
        #expect(appending.call.isFinished)
    }

    @Test("answered, then the callee hangs up: 200 to the BYE, ended, retransmitted BYE re-answered")
    func answeredCalleeHangsUp() throws {
        var harness = CallHarness()
        let invite = try harness.invite
        _ = try harness.answer()
        let bye = try CallHarness.calleeBye(for: invite)
        let actions = harness.call.receive(bye, at: harness.at(30))
        let ok = try #require(CallHarness.responses(actions).first)
        let record = try #require(CallHarness.record(actions))
        #expect(actions == [.send(.response(ok)), .ended(record), .startTimer(.byeRetransmissionWindow, after: .seconds(32))])
        #expect(ok.statusCode == 200)
        #expect(ok.cseq == CSeq(1, .bye))
        #expect(ok.headers[.via] == bye.headers[.via])
        #expect(record.endReason == .remoteHangup)
        #expect(record.classification == .answered)
        #expect(record.endedAt == harness.at(30))
        #expect(harness.call.receive(bye, at: harness.at(30.5)) == [.send(.response(ok))])
        #expect(harness.call.timerFired(.byeRetransmissionWindow, at: harness.at(62)) == [.finished])
    }

    @Test("183 with SDP starts early media; the 200 with the same SDP does not restart it")
    func earlyMedia() throws {
        var harness = CallHarness()
        let invite = try harness.invite
        let progress = harness.call.receive(CallHarness.reply(to: invite, 183, sdp: CallHarness.answerSDP()), at: harness.at(2))
        #expect(progress == [
            .cancelTimer(.transaction(try CallHarness.key(invite), .a)),
            .cancelTimer(.transaction(try CallHarness.key(invite), .b)),
            .startMedia(CallHarness.media()),
        ])
        #expect(harness.call.outcome.ringingAt == harness.at(2))
        let answered = harness.call.receive(CallHarness.reply(to: invite, 200, sdp: CallHarness.answerSDP()), at: harness.at(9))
        #expect(answered.count == 1)
        #expect(CallHarness.requests(answered).first?.method == .ack)
        #expect(harness.call.state == .confirmed)
    }

    @Test("a 200 with a different SDP than the 183 re-targets media")
    func answerChangesMedia() throws {
        var harness = CallHarness()
        let invite = try harness.invite
        _ = harness.call.receive(CallHarness.reply(to: invite, 183, sdp: CallHarness.answerSDP()), at: harness.at(2))
        let answered = harness.call.receive(CallHarness.reply(to: invite, 200, sdp: CallHarness.answerSDP(port: 31_000)), at: harness.at(9))
        #expect(answered.last == .startMedia(CallHarness.media(port: 31_000)))
    }

    @Test("final failures are ACKed by the transaction and classified", arguments: [
        (486, CallOutcome.busy), (404, .invalidNumber), (480, .noAnswer), (603, .declined), (503, .trunkFailure),
    ])
    func failures(status: Int, expected: CallOutcome) throws {
        var harness = CallHarness()
        let invite = try harness.invite
        let key = try CallHarness.key(invite)
        _ = harness.call.receive(CallHarness.reply(to: invite, 180), at: harness.at(1))
        let failure = CallHarness.reply(to: invite, status)
        let actions = harness.call.receive(failure, at: harness.at(4))
        let ack = try #require(CallHarness.requests(actions).first)
        let record = try #require(CallHarness.record(actions))
        #expect(actions == [.send(.request(ack)), .ended(record), .startTimer(.transaction(key, .d), after: .seconds(32))])
        #expect(ack.method == .ack)
        #expect(ack.topVia?.branch == invite.topVia?.branch)
        #expect(record.finalStatus == status)
        #expect(record.classification == expected)
        #expect(record.endReason == .rejected)
        #expect(record.answeredAt == nil)
        // A retransmitted final response is re-ACKed; Timer D finishes the call.
        #expect(harness.call.receive(failure, at: harness.at(4.5)) == [.send(.request(ack))])
        #expect(harness.call.timerFired(.transaction(key, .d), at: harness.at(36)) == [.finished])
    }

    @Test("ring timeout: CANCEL, then 487 ends the call as no answer")
    func ringTimeoutCancel() throws {
        var harness = CallHarness()
        let invite = try harness.invite
        let inviteKey = try CallHarness.key(invite)
        _ = harness.call.receive(CallHarness.reply(to: invite, 180), at: harness.at(1))
        let timeout = harness.call.ringTimeout(at: harness.at(45))
        let cancel = try #require(CallHarness.requests(timeout).first)
        let cancelKey = try CallHarness.key(cancel)
        #expect(timeout == [
            .send(.request(cancel)),
            .startTimer(.transaction(cancelKey, .f), after: .seconds(32)),
            .startTimer(.transaction(cancelKey, .e), after: .milliseconds(500)),
            .startTimer(.cancelGuard, after: .seconds(32)),
        ])
        #expect(cancel.method == .cancel)
        #expect(cancel.uri == invite.uri)
        #expect(cancel.topVia?.branch == invite.topVia?.branch)
        #expect(cancel.cseq == CSeq(1, .cancel))
        #expect(cancel.headers[.to] == invite.headers[.to])
        #expect(harness.call.state == .cancelling)

        _ = harness.call.receive(CallHarness.reply(to: cancel, 200), at: harness.at(45.1))
        let terminated = harness.call.receive(CallHarness.reply(to: invite, 487), at: harness.at(45.2))
        let record = try #require(CallHarness.record(terminated))
        #expect(CallHarness.requests(terminated).map(\.method) == [.ack])
        #expect(terminated.contains(.cancelTimer(.cancelGuard)))
        #expect(terminated.last == .startTimer(.transaction(inviteKey, .d), after: .seconds(32)))
        #expect(record.finalStatus == 487)
        #expect(record.classification == .noAnswer)
        #expect(record.endReason == .ringTimeout)
        #expect(harness.call.timerFired(.transaction(cancelKey, .k), at: harness.at(50.1)) == [])
        #expect(harness.call.timerFired(.transaction(inviteKey, .d), at: harness.at(77.2)) == [.finished])
    }

    @Test("ring timeout before any provisional response waits for one before sending CANCEL (§9.1)")
    func cancelWaitsForProvisional() throws {
        var harness = CallHarness()
        let invite = try harness.invite
        #expect(harness.call.ringTimeout(at: harness.at(3)) == [])
        let trying = harness.call.receive(CallHarness.reply(to: invite, 100), at: harness.at(3.2))
        #expect(CallHarness.requests(trying).map(\.method) == [.cancel])
        #expect(harness.call.state == .cancelling)
    }

    @Test("a 200 that crosses our CANCEL is ACKed and then ended with BYE")
    func answeredAfterCancel() throws {
        var harness = CallHarness()
        let invite = try harness.invite
        _ = harness.call.receive(CallHarness.reply(to: invite, 180), at: harness.at(1))
        _ = harness.call.ringTimeout(at: harness.at(30))
        let answered = harness.call.receive(CallHarness.reply(to: invite, 200, sdp: CallHarness.answerSDP()), at: harness.at(30.05))
        #expect(CallHarness.requests(answered).map(\.method) == [.ack, .bye])
        let record = try #require(CallHarness.record(answered))
        #expect(record.endReason == .answeredAfterCancel)
        #expect(record.finalStatus == 200)
        #expect(answered.contains { if case .startMedia = $0 { true } else { false } } == false)
    }

    @Test("no final response 64*T1 after CANCEL: the INVITE is given up as unanswered")
    func cancelGuard() throws {
        var harness = CallHarness()
        let invite = try harness.invite
        _ = harness.call.receive(CallHarness.reply(to: invite, 180), at: harness.at(1))
        let timeout = harness.call.hangUp(at: harness.at(10))
        let cancel = try #require(CallHarness.requests(timeout).first)
        let cancelKey = try CallHarness.key(cancel)
        _ = harness.call.receive(CallHarness.reply(to: cancel, 200), at: harness.at(10.1))
        let given = harness.call.timerFired(.cancelGuard, at: harness.at(42))
        let record = try #require(CallHarness.record(given))
        #expect(record.classification == .noAnswer)
        #expect(record.endReason == .localHangup)
        #expect(record.finalStatus == nil)
        #expect(harness.call.timerFired(.transaction(cancelKey, .k), at: harness.at(43)) == [.finished])
    }

    @Test("401 then 200: one retry with CSeq+1 and a verifiable digest; the ACK carries the credentials")
    func digestRetry() throws {
        var harness = CallHarness(credentials: DigestCredentials(username: "Mufasa", password: "Circle Of Life"))
        let invite = try harness.invite
        let challenge = CallHarness.reply(to: invite, 401, extra: [
            (.wwwAuthenticate, "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""),
        ])
        let retry = harness.call.receive(challenge, at: harness.at(0.2))
        let sent = CallHarness.requests(retry)
        #expect(sent.map(\.method) == [.ack, .invite])
        let second = try #require(sent.last)
        #expect(second.cseq == CSeq(2, .invite))
        #expect(second.callID == invite.callID)
        #expect(second.from == invite.from)
        #expect(second.to?.tag == nil)
        #expect(second.topVia?.branch != invite.topVia?.branch)
        #expect(retry.contains(.startTimer(.transaction(try CallHarness.key(invite), .d), after: .seconds(32))))
        #expect(harness.call.outcome.endReason == nil)

        let authorization = try #require(second.headers[.authorization])
        let fields = Dictionary(uniqueKeysWithValues: authorization.dropFirst("Digest ".count).split(separator: ",").map { part -> (String, String) in
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            return (pair[0], pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
        })
        #expect(fields["username"] == "Mufasa")
        #expect(fields["realm"] == "testrealm@host.com")
        #expect(fields["nonce"] == "dcd98b7102dd2f0e8b11d0f600bfb0c093")
        #expect(fields["uri"] == "sip:13800138000@trunk.example.com")
        #expect(fields["qop"] == "auth")
        #expect(fields["nc"] == "00000001")
        #expect(fields["opaque"] == "5ccc069c403ebaf9f0171e9517f40e41")
        #expect(fields["algorithm"] == "MD5")
        let cnonce = try #require(fields["cnonce"])
        #expect(fields["response"] == Digest.response(
            algorithm: .md5, credentials: DigestCredentials(username: "Mufasa", password: "Circle Of Life"),
            realm: "testrealm@host.com", method: "INVITE", uri: "sip:13800138000@trunk.example.com",
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093", clientNonce: cnonce, nonceCount: "00000001", qop: "auth"))

        let answered = harness.call.receive(CallHarness.reply(to: second, 200, sdp: CallHarness.answerSDP()), at: harness.at(3))
        let ack = try #require(CallHarness.requests(answered).first)
        #expect(ack.cseq == CSeq(2, .ack))
        #expect(ack.headers[.authorization] == authorization)
        #expect(harness.call.state == .confirmed)
    }

    @Test("407 is answered with Proxy-Authorization; a second challenge fails the call")
    func proxyChallengeTwice() throws {
        var harness = CallHarness(credentials: DigestCredentials(username: "u", password: "p"))
        let invite = try harness.invite
        let header: (SIPHeaderName, String) = (.proxyAuthenticate, "Digest realm=\"trunk\", nonce=\"abc\", algorithm=SHA-256, qop=\"auth\"")
        let retry = harness.call.receive(CallHarness.reply(to: invite, 407, extra: [header]), at: harness.at(0.2))
        let second = try #require(CallHarness.requests(retry).last)
        #expect(second.headers[.proxyAuthorization]?.contains("algorithm=SHA-256") == true)
        #expect(second.headers[.authorization] == nil)
        let failed = harness.call.receive(CallHarness.reply(to: second, 407, extra: [header]), at: harness.at(0.4))
        let record = try #require(CallHarness.record(failed))
        #expect(CallHarness.requests(failed).map(\.method) == [.ack])
        #expect(record.finalStatus == 407)
        #expect(record.classification == .trunkFailure)
        #expect(record.endReason == .rejected)
    }

    @Test("without credentials a 401 is a final failure")
    func challengeWithoutCredentials() throws {
        var harness = CallHarness()
        let invite = try harness.invite
        let actions = harness.call.receive(CallHarness.reply(to: invite, 401, extra: [(.wwwAuthenticate, "Digest realm=\"r\", nonce=\"n\"")]), at: harness.at(1))
        #expect(CallHarness.record(actions)?.finalStatus == 401)
    }

    @Test("a retransmitted 200 after the ACK gets the very same ACK (§13.2.2.4)")
    func retransmitted200() throws {
        var harness = CallHarness()
        let invite = try harness.invite
        let answered = try harness.answer()
        let ack = try #require(CallHarness.requests(answered).first)
        let again = harness.call.receive(CallHarness.reply(to: invite, 200, sdp: CallHarness.answerSDP()), at: harness.at(5.5))
        #expect(again == [.send(.request(ack))])
    }

    @Test("a 200 from another fork is ACKed and ended with BYE")
    func forkedAnswer() throws {
        var harness = CallHarness()
        let invite = try harness.invite
        _ = try harness.answer()
        let fork = harness.call.receive(CallHarness.reply(to: invite, 200, toTag: "callee2", sdp: CallHarness.answerSDP()), at: harness.at(5.2))
        let requests = CallHarness.requests(fork)
        #expect(requests.map(\.method) == [.ack, .bye])
        #expect(requests.allSatisfy { $0.to?.tag == "callee2" })
        #expect(harness.call.dialog?.remoteTag == "callee1")
        #expect(harness.call.state == .confirmed)
    }

    @Test("no response at all: Timer A retransmits, Timer B ends the call as a trunk failure")
    func timerB() throws {
        var harness = CallHarness()
        let invite = try harness.invite
        let key = try CallHarness.key(invite)
        #expect(harness.call.timerFired(.transaction(key, .a), at: harness.at(0.5)) == [
            .send(.request(invite)), .startTimer(.transaction(key, .a), after: .seconds(1)),
        ])
        let timedOut = harness.call.timerFired(.transaction(key, .b), at: harness.at(32))
        let record = try #require(CallHarness.record(timedOut))
        #expect(timedOut == [.cancelTimer(.transaction(key, .a)), .ended(record), .finished])
        #expect(record.endReason == .timeout)
        #expect(record.classification == .trunkFailure)
        #expect(record.classification?.failsOver == true)
        #expect(record.finalStatus == nil)
        #expect(record.endedAt == harness.at(32))
    }

    @Test("a 2xx without a usable answer is ACKed and ended with BYE (§13.2.2.4)")
    func badAnswer() throws {
        var harness = CallHarness()
        let invite = try harness.invite
        let actions = harness.call.receive(CallHarness.reply(to: invite, 200, sdp: "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nc=IN IP4 h\r\nm=audio 5000 RTP/AVP 18\r\n"), at: harness.at(2))
        #expect(CallHarness.requests(actions).map(\.method) == [.ack, .bye])
        #expect(CallHarness.record(actions)?.endReason == .mediaNegotiationFailed)
    }

    @Test("over TCP there are no retransmission timers")
    func reliableTransport() throws {
        let harness = CallHarness(transport: "TCP")
        let invite = try harness.invite
        #expect(harness.actions.count == 2)
        #expect(harness.actions.last == .startTimer(.transaction(try CallHarness.key(invite), .b), after: .seconds(32)))
        #expect(invite.topVia?.transport == "TCP")
    }

    @Test("in-dialog OPTIONS gets 200, unknown dialogs get 481, ACKs get nothing")
    func otherRequests() throws {
        var harness = CallHarness()
        let invite = try harness.invite
        _ = try harness.answer()
        var options = try CallHarness.calleeBye(for: invite, cseq: 2)
        options.method = .options
        options.headers.set(.cseq, "2 OPTIONS")
        #expect(CallHarness.responses(harness.call.receive(options, at: harness.at(8))).map(\.statusCode) == [200])
        var stranger = options
        stranger.headers.set(.callID, "someone-else")
        #expect(CallHarness.responses(harness.call.receive(stranger, at: harness.at(8))).map(\.statusCode) == [481])
        var ack = options
        ack.method = .ack
        #expect(harness.call.receive(ack, at: harness.at(8)) == [])
        #expect(harness.call.state == .confirmed)
    }

    @Test("a transport failure for the INVITE ends the call as a trunk failure")
    func transportFailure() throws {
        var harness = CallHarness()
        let actions = harness.call.transportFailed(at: harness.at(0.01))
        #expect(CallHarness.record(actions)?.endReason == .transportFailure)
        #expect(CallHarness.record(actions)?.classification == .trunkFailure)
        #expect(actions.last == .finished)
    }
}
