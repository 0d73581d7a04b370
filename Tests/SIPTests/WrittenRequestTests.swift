import Foundation
@testable import SIP
import Testing

@Suite("Requests a call writes as bytes")
struct WrittenRequestTests {
    /// Checks that `request` was written as bytes and is, in every respect a reader sees, the request its
    /// parts make: the parts serialize to the very same bytes, compare equal and hash alike; and the bytes
    /// parse to as many fields, which serialize to the same bytes again (a value holding a line break is
    /// sent with spaces in its place, so the parsed field is not the part's text).
    func expectWritten(_ request: SIPRequest, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(request.written != nil, "not written as bytes", sourceLocation: sourceLocation)
        var parts = request
        parts.headers = request.headers
        #expect(parts.written == nil, sourceLocation: sourceLocation)
        #expect(String(decoding: parts.serialized(), as: UTF8.self) == String(decoding: request.serialized(), as: UTF8.self), sourceLocation: sourceLocation)
        #expect(parts == request && request == parts, sourceLocation: sourceLocation)
        #expect(parts.hashValue == request.hashValue, sourceLocation: sourceLocation)
        guard case .request(let parsed) = try SIPMessage(parsing: request.serialized()) else {
            Issue.record("the written bytes are not a request", sourceLocation: sourceLocation)
            return
        }
        #expect(parsed.method == request.method, sourceLocation: sourceLocation)
        #expect(parsed.uri == request.uri, sourceLocation: sourceLocation)
        #expect(parsed.headers.count == request.headers.count, sourceLocation: sourceLocation)
        #expect(parsed.serialized() == request.serialized(), sourceLocation: sourceLocation)
    }

    /// A call with credentials, a User-Agent and extra headers, one of them a list and one trying to
    /// inject a header line.
    func harness() -> CallHarness {
        var extra = SIPHeaders()
        extra.append("P-Asserted-Identity", "\"Bank\" <sip:4001@example.com>")
        extra.append(.supported, "timer, 100rel")
        extra.append("X-Note", "a\r\nX-Injected: 1")
        var harness = CallHarness(credentials: DigestCredentials(username: "u", password: "p"))
        var configuration = OutboundCall.Configuration(
            requestURI: .sip(SIPURI(user: "13800138000", host: "trunk.example.com")),
            from: SIPAddress(displayName: "Waihu", uri: .sip(SIPURI(user: "4001", host: "example.com"))),
            contact: SIPURI(user: "4001", host: "192.0.2.1", port: 5060),
            viaHost: "192.0.2.1", viaPort: 5060, offer: harness.offer,
            credentials: DigestCredentials(username: "u", password: "p"), additionalHeaders: extra, userAgent: "waihu-test",
            randomSeed: 11)
        configuration.userAgent = "waihu-test/2"
        (harness.call, harness.actions) = OutboundCall.start(configuration, at: harness.start)
        return harness
    }

    @Test("INVITE, its digest retry, the ACK and the BYE are written exactly as their parts serialize")
    func callRequests() throws {
        var harness = harness()
        let invite = try harness.invite
        try expectWritten(invite)
        let text = String(decoding: invite.serialized(), as: UTF8.self)
        #expect(text.contains("User-Agent: waihu-test/2\r\n"))
        #expect(text.contains("Supported: timer, 100rel\r\n"))
        #expect(text.contains("X-Note: a  X-Injected: 1\r\n"))

        let challenge = CallHarness.reply(to: invite, 401, extra: [(.wwwAuthenticate, "Digest realm=\"r\", nonce=\"n\", qop=\"auth\"")])
        let retried = CallHarness.requests(harness.call.receive(challenge, at: harness.at(0.1)))
        #expect(retried.map(\.method) == [.ack, .invite])
        let second = try #require(retried.last)
        try expectWritten(second)
        #expect(second.headers[.authorization] != nil)

        let answer = CallHarness.reply(to: second, 200, sdp: CallHarness.answerSDP(), extra: [
            (.recordRoute, "<sip:p2.example.com;lr>"), (.recordRoute, "<sip:p1.example.com;lr>"),
        ])
        let ack = try #require(CallHarness.requests(harness.call.receive(answer, at: harness.at(1))).first)
        try expectWritten(ack)
        #expect(ack.headers[.authorization] == second.headers[.authorization])
        #expect(ack.headers.values(.route) == ["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"])

        let bye = try #require(CallHarness.requests(harness.call.hangUp(at: harness.at(2))).first)
        try expectWritten(bye)
        #expect(bye.cseq == CSeq(3, .bye))
        #expect(bye.headers[.authorization] == nil)
    }

    @Test("behind a strict router the route set moves into the Request-URI, written as its parts serialize")
    func strictRouter() throws {
        var harness = CallHarness()
        let invite = try harness.invite
        let answer = CallHarness.reply(to: invite, 200, sdp: CallHarness.answerSDP(), extra: [(.recordRoute, "<sip:proxy.example.com;transport=udp>")])
        _ = harness.call.receive(answer, at: harness.at(1))
        let bye = try #require(CallHarness.requests(harness.call.hangUp(at: harness.at(2))).first)
        try expectWritten(bye)
        #expect(bye.uri.description == "sip:proxy.example.com;transport=udp")
        #expect(bye.headers.values(.route) == ["<sip:13800138000@198.51.100.20:5060>"])
    }

    /// The CANCEL, and the ACK for `status`, that a transaction started from the INVITE's parts would
    /// build: the reference for the written ones.
    func fromParts(of invite: SIPRequest, acking response: SIPResponse) throws -> (cancel: SIPRequest, ack: SIPRequest?) {
        var parts = invite
        parts.headers = invite.headers
        var (transaction, _) = try InviteClientTransaction.start(parts, isReliable: false)
        _ = transaction.receive(CallHarness.reply(to: parts, 180))
        let cancel = transaction.makeCancel()
        let ack = transaction.receive(response).compactMap { action -> SIPRequest? in
            if case .send(let request) = action { request } else { nil }
        }.first
        return (cancel, ack)
    }

    @Test("CANCEL and the ACK of a non-2xx repeat the written INVITE's values without reading its parts", arguments: [false, true])
    func cancelAndFailureACK(preloadedRoute: Bool) throws {
        var harness = CallHarness()
        if preloadedRoute {
            var configuration = OutboundCall.Configuration(
                requestURI: .sip(SIPURI(user: "13800138000", host: "trunk.example.com")),
                from: SIPAddress(uri: .sip(SIPURI(user: "4001", host: "example.com"))),
                contact: SIPURI(user: "4001", host: "192.0.2.1", port: 5060),
                viaHost: "192.0.2.1", viaPort: 5060, offer: harness.offer, randomSeed: 5)
            configuration.additionalHeaders.append(.route, "<sip:edge1.example.com;lr>, <sip:edge2.example.com;lr>")
            (harness.call, harness.actions) = OutboundCall.start(configuration, at: harness.start)
        }
        let invite = try harness.invite
        try expectWritten(invite)
        _ = harness.call.receive(CallHarness.reply(to: invite, 180), at: harness.at(1))
        let cancel = try #require(CallHarness.requests(harness.call.ringTimeout(at: harness.at(45))).first)
        let busy = CallHarness.reply(to: invite, 486)
        let ack = try #require(CallHarness.requests(harness.call.receive(busy, at: harness.at(45.1))).first)
        try expectWritten(cancel)
        try expectWritten(ack)
        let reference = try fromParts(of: invite, acking: busy)
        #expect(String(decoding: cancel.serialized(), as: UTF8.self) == String(decoding: reference.cancel.serialized(), as: UTF8.self))
        #expect(String(decoding: ack.serialized(), as: UTF8.self) == String(decoding: try #require(reference.ack).serialized(), as: UTF8.self))
        #expect(cancel.headers.values(.route) == (preloadedRoute ? ["<sip:edge1.example.com;lr>", "<sip:edge2.example.com;lr>"] : []))
        #expect(ack.cseq == CSeq(1, .ack))
        #expect(ack.to?.tag == "callee1")
    }

    @Test("a change turns a written request into parts; its copies keep the bytes")
    func changes() throws {
        let invite = try CallHarness().invite
        var changed = invite
        changed.headers.append("Subject", "x")
        #expect(changed.written == nil)
        #expect(invite.written != nil)
        #expect(String(decoding: changed.serialized(), as: UTF8.self).contains("Subject: x\r\n"))
        #expect(!String(decoding: invite.serialized(), as: UTF8.self).contains("Subject"))
        #expect(changed != invite)

        var renamed = invite
        renamed.method = .options
        #expect(renamed.written == nil)
        #expect(String(decoding: renamed.serialized(), as: UTF8.self).hasPrefix("OPTIONS sip:13800138000@trunk.example.com SIP/2.0\r\n"))

        var emptied = invite
        emptied.body = []
        #expect(String(decoding: emptied.serialized(), as: UTF8.self).hasSuffix("Content-Length: 0\r\n\r\n"))
        #expect(invite.body == harnessOfferBody())
    }

    func harnessOfferBody() -> [UInt8] {
        CallHarness().offer.body
    }
}
