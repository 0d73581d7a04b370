import SIP
import Testing

@Suite("Dialog (RFC 3261 §12)")
struct DialogTests {
    let invite = TransactionFixture.request(.invite)

    func answer(status: Int = 200, recordRoute: [String] = [], contact: String? = "<sip:bob@192.0.2.20:5080>", toTag: String? = "b1") -> SIPResponse {
        var response = TransactionFixture.response(status, toTag: toTag ?? "")
        if toTag == nil { response.headers.set(.to, "<sip:bob@example.com>") }
        for route in recordRoute { response.headers.append(.recordRoute, route) }
        if let contact { response.headers.append(.contact, contact) }
        return response
    }

    @Test("a 2xx creates a confirmed dialog with reversed route set and Contact target (§12.1.2)")
    func create() throws {
        let dialog = try Dialog(invite: invite, response: answer(recordRoute: ["<sip:p2.example.com;lr>", "<sip:p1.example.com;lr>"]))
        #expect(dialog.state == .confirmed)
        #expect(dialog.callID == "tx@192.0.2.1")
        #expect(dialog.localTag == "a1")
        #expect(dialog.remoteTag == "b1")
        #expect(dialog.localSequenceNumber == 5)
        #expect(dialog.remoteTarget == .sip(SIPURI(user: "bob", host: "192.0.2.20", port: 5080)))
        #expect(dialog.routeSet.compactMap(\.uri.sipURI?.host) == ["p1.example.com", "p2.example.com"])
        #expect(dialog.isSecure == false)
    }

    @Test("a 1xx with a To tag creates an early dialog; without a tag it cannot")
    func early() throws {
        var dialog = try Dialog(invite: invite, response: answer(status: 183))
        #expect(dialog.state == .early)
        #expect(throws: DialogError.missingRemoteTag) { try Dialog(invite: invite, response: answer(status: 180, toTag: nil)) }
        #expect(throws: DialogError.responseCreatesNoDialog(statusCode: 486)) { try Dialog(invite: invite, response: answer(status: 486)) }
        var untagged = invite
        untagged.headers.set(.from, "<sip:alice@example.com>")
        #expect(throws: DialogError.missingLocalTag) { try Dialog(invite: untagged, response: answer()) }
        dialog.confirm(with: answer(recordRoute: ["<sip:edge.example.com;lr>"], contact: "<sip:bob@192.0.2.99>"))
        #expect(dialog.state == .confirmed)
        #expect(dialog.routeSet.count == 1)
        #expect(dialog.remoteTarget.sipURI?.host == "192.0.2.99")
    }

    @Test("loose routing: Request-URI is the remote target, Route is the route set (§12.2.1.1)")
    func looseRouting() throws {
        var dialog = try Dialog(invite: invite, response: answer(recordRoute: ["<sip:p2.example.com;lr>", "<sip:p1.example.com;lr>"]))
        let bye = dialog.makeRequest(.bye, via: Via(transport: "UDP", host: "192.0.2.1", branch: "z9hG4bKbye"))
        #expect(bye.method == .bye)
        #expect(bye.uri == dialog.remoteTarget)
        #expect(bye.headers.values(.route) == ["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"])
        #expect(bye.cseq == CSeq(6, .bye))
        #expect(bye.from?.tag == "a1")
        #expect(bye.to?.tag == "b1")
        #expect(bye.callID == dialog.callID)
        #expect(bye.topVia?.branch == "z9hG4bKbye")
        #expect(dialog.localSequenceNumber == 6)
    }

    @Test("strict routing: the first route becomes the Request-URI and the target the last Route (§12.2.1.1)")
    func strictRouting() throws {
        var dialog = try Dialog(invite: invite, response: answer(recordRoute: ["<sip:p2.example.com;lr>", "<sip:p1.example.com;method=INVITE;transport=udp>"]))
        let bye = dialog.makeRequest(.bye, via: Via(transport: "UDP", host: "192.0.2.1", branch: "z9hG4bKs"))
        #expect(bye.uri == .sip(SIPURI(host: "p1.example.com", parameters: [SIPParameter("transport", "udp")])))
        #expect(bye.headers.values(.route) == ["<sip:p2.example.com;lr>", "<sip:bob@192.0.2.20:5080>"])
    }

    @Test("no route set: Request-URI is the target and no Route")
    func noRoutes() throws {
        var dialog = try Dialog(invite: invite, response: answer())
        let bye = dialog.makeRequest(.bye, via: Via(transport: "UDP", host: "h", branch: "z9hG4bK1"))
        #expect(bye.headers.contains(.route) == false)
        #expect(bye.uri.sipURI?.port == 5080)
    }

    @Test("ACK for a 2xx keeps the INVITE's CSeq number, takes a new branch and the credentials (§13.2.2.4)")
    func ack() throws {
        var authorized = invite
        authorized.headers.append(.proxyAuthorization, "Digest username=\"u\"")
        let dialog = try Dialog(invite: authorized, response: answer(recordRoute: ["<sip:p1.example.com;lr>"]))
        let ack = dialog.makeACK(for: authorized, via: Via(transport: "UDP", host: "192.0.2.1", branch: "z9hG4bKack"))
        #expect(ack.method == .ack)
        #expect(ack.cseq == CSeq(5, .ack))
        #expect(ack.topVia?.branch == "z9hG4bKack")
        #expect(ack.uri == dialog.remoteTarget)
        #expect(ack.headers.values(.route) == ["<sip:p1.example.com;lr>"])
        #expect(ack.headers[.proxyAuthorization] == "Digest username=\"u\"")
        #expect(dialog.localSequenceNumber == 5)
    }

    @Test("BYE from the peer gets 200; out-of-order gets 500; other dialogs get 481 (§12.2.2, §15.1.2)")
    func remoteBye() throws {
        var dialog = try Dialog(invite: invite, response: answer())
        var bye = SIPRequest(method: .bye, uri: .sip(SIPURI(user: "alice", host: "192.0.2.1")), headers: [
            (.via, "SIP/2.0/UDP 192.0.2.20:5080;branch=z9hG4bKpeer"),
            (.maxForwards, "70"),
            (.from, "<sip:bob@example.com>;tag=b1"),
            (.to, "<sip:alice@example.com>;tag=a1"),
            (.callID, "tx@192.0.2.1"),
            (.cseq, "9 BYE"),
        ])
        #expect(dialog.matches(bye))
        let ok = dialog.respond(to: bye)
        #expect(ok.statusCode == 200)
        #expect(ok.headers[.via] == bye.headers[.via])
        #expect(ok.cseq == CSeq(9, .bye))
        #expect(ok.to?.tag == "a1")
        #expect(dialog.remoteSequenceNumber == 9)
        var older = bye
        older.headers.set(.cseq, "8 BYE")
        #expect(dialog.respond(to: older).statusCode == 500)
        bye.headers.set(.from, "<sip:bob@example.com>;tag=zz")
        #expect(dialog.matches(bye) == false)
        #expect(dialog.respond(to: bye).statusCode == 481)
    }
}
