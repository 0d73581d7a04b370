import SIP
import Testing

@Suite("Serializer")
struct SerializerTests {
    static let validTorture = [
        "wsinv", "intmeth", "esc01", "escnull", "esc02", "lwsdisp", "longreq", "dblreq", "semiuri",
        "transports", "mpart01", "unreason", "noreason", "unkscm", "novelsc", "unksm2", "cparam01",
        "cparam02", "regescrt", "zeromf", "badbranch",
    ]

    @Test("parse(serialize(m)) == m for every valid torture message", arguments: validTorture)
    func tortureRoundTrip(name: String) throws {
        let message = try SIPMessage(parsing: Torture.bytes(name))
        let serialized = message.serialized()
        #expect(try SIPMessage(parsing: serialized) == message)
        #expect(serialized.suffix(2) != [0x0D, 0x0D])
    }

    @Test("canonical form: CRLF lines, full names, Content-Length last and correct")
    func canonicalForm() throws {
        let parsed = try request("""
            MESSAGE sip:bob@example.com SIP/2.0
            v: SIP/2.0/UDP h;branch=z9hG4bK1, SIP/2.0/UDP g;branch=z9hG4bK0
            l: 2
            Max-Forwards: 70
            t: <sip:bob@example.com>
            f: <sip:alice@example.com>;tag=1
            i: id
            CSeq: 7 MESSAGE
            c: text/plain

            hi-and-more
            """)
        let text = String(decoding: SIPMessage.request(parsed).serialized(), as: UTF8.self)
        #expect(text == """
            MESSAGE sip:bob@example.com SIP/2.0\r
            Via: SIP/2.0/UDP h;branch=z9hG4bK1\r
            Via: SIP/2.0/UDP g;branch=z9hG4bK0\r
            Max-Forwards: 70\r
            To: <sip:bob@example.com>\r
            From: <sip:alice@example.com>;tag=1\r
            Call-ID: id\r
            CSeq: 7 MESSAGE\r
            Content-Type: text/plain\r
            Content-Length: 2\r
            \r
            hi
            """)
    }

    @Test("adjacent elements of a token list share one line; Via, Contact and lists apart keep a line each")
    func tokenListsJoined() throws {
        var response = SIPResponse(statusCode: 200, reasonPhrase: "OK", headers: [
            (.via, "SIP/2.0/UDP h;branch=z9hG4bK1, SIP/2.0/UDP g;branch=z9hG4bK0"), (.to, "<sip:b@e.com>;tag=2"),
            (.from, "<sip:a@e.com>;tag=1"), (.callID, "x"), (.cseq, "1 OPTIONS"),
        ])
        response.headers.append(.allow, "ACK, CANCEL")
        response.headers.append(.allow, "BYE")
        response.headers.append(.contact, "<sip:a@192.0.2.1>, <sip:a@192.0.2.2>")
        response.headers.append(.supported, "timer")
        response.headers.append(.allow, "OPTIONS")
        let text = String(decoding: response.serialized(), as: UTF8.self)
        #expect(text == """
            SIP/2.0 200 OK\r
            Via: SIP/2.0/UDP h;branch=z9hG4bK1\r
            Via: SIP/2.0/UDP g;branch=z9hG4bK0\r
            To: <sip:b@e.com>;tag=2\r
            From: <sip:a@e.com>;tag=1\r
            Call-ID: x\r
            CSeq: 1 OPTIONS\r
            Allow: ACK, CANCEL, BYE\r
            Contact: <sip:a@192.0.2.1>\r
            Contact: <sip:a@192.0.2.2>\r
            Supported: timer\r
            Allow: OPTIONS\r
            Content-Length: 0\r
            \r

            """)
        #expect(try SIPMessage(parsing: Array(text.utf8)) == .response(response))
    }

    @Test("token-list elements that would read back differently once joined keep their own lines")
    func tokenListsKeptApart() throws {
        let message = try SIPMessage(parsing: Array("""
            SIP/2.0 200 OK\r
            Via: SIP/2.0/UDP h;branch=z9hG4bK1\r
            To: <sip:b@e.com>;tag=2\r
            From: <sip:a@e.com>;tag=1\r
            Call-ID: x\r
            CSeq: 1 OPTIONS\r
            Allow: "x\r
            Allow: y"\r
            Accept: <a\r
            Accept: b>\r
            Supported:\r
            Supported: timer\r
            Require: a\\\r
            Require: b\r
            Accept-Language: en,\r
            Accept-Language: fr\r
            Content-Length: 0\r
            \r

            """.utf8))
        let text = String(decoding: message.serialized(), as: UTF8.self)
        for line in ["Allow: \"x\r\n", "Allow: y\"\r\n", "Accept: <a\r\n", "Accept: b>\r\n", "Supported: \r\n",
                     "Supported: timer\r\n", "Require: a\\\r\n", "Require: b\r\n",
                     "Accept-Language: en\r\nAccept-Language: \r\nAccept-Language: fr\r\n"] {
            #expect(text.contains(line), "\(line)")
        }
        #expect(try SIPMessage(parsing: Array(text.utf8)) == message)
    }

    @Test("a message built in code round-trips, with Content-Length from the body")
    func builtMessage() throws {
        var headers = SIPHeaders()
        headers.append(.via, Via(transport: "UDP", host: "192.0.2.1", port: 5060, branch: "z9hG4bKx").description)
        headers.append(.maxForwards, "70")
        headers.append(.from, SIPAddress(displayName: "Dialer", uri: .sip(SIPURI(user: "100", host: "example.com")), parameters: [SIPParameter("tag", "9")]).description)
        headers.append(.to, SIPAddress(uri: .tel(TelURI(number: "+8613800138000"))).description)
        headers.append(.callID, "abc@192.0.2.1")
        headers.append(.cseq, CSeq(1, .invite).description)
        headers.append(.contentLength, "999")
        let built = SIPRequest(method: .invite, uri: .sip(SIPURI(user: "13800138000", host: "gw.example.com")), headers: headers, body: Array("v=0\r\n".utf8))
        let bytes = built.serialized()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("Content-Length: 5\r\n\r\nv=0\r\n"))
        #expect(!text.contains("999"))
        guard case .request(let reparsed) = try SIPMessage(parsing: bytes) else {
            Issue.record("expected a request")
            return
        }
        #expect(reparsed.to?.uri == .tel(TelURI(number: "+8613800138000")))
        #expect(reparsed.from?.displayName == "Dialer")
        #expect(reparsed.body == built.body)
    }

    @Test("CR and LF in values set by code cannot inject header lines")
    func headerInjection() throws {
        var response = SIPResponse(statusCode: 486, reasonPhrase: "Busy\r\nX-Evil: 1", headers: [
            (.via, "SIP/2.0/UDP h;branch=z9hG4bK1"), (.to, "<sip:b@e.com>;tag=2"), (.from, "<sip:a@e.com>;tag=1"),
            (.callID, "x"), (.cseq, "1 INVITE"),
        ])
        response.headers.append("Subject", "a\r\nX-Evil: 2")
        guard case .response(let reparsed) = try SIPMessage(parsing: response.serialized()) else {
            Issue.record("expected a response")
            return
        }
        #expect(reparsed.headers["X-Evil"] == nil)
        #expect(reparsed.reasonPhrase == "Busy  X-Evil: 1")
        #expect(reparsed.headers["Subject"] == "a  X-Evil: 2")
    }

    @Test("responses built from a request copy Via, From, To, Call-ID and CSeq and add the To tag")
    func responseFromRequest() throws {
        let parsed = try request(options())
        let reply = SIPResponse(replyingTo: parsed, statusCode: 200, toTag: "xyz")
        #expect(reply.reasonPhrase == "OK")
        #expect(reply.headers.map(\.name) == [.via, .to, .from, .callID, .cseq])
        #expect(reply.to?.tag == "xyz")
        #expect(reply.topVia == parsed.topVia)
        #expect(SIPResponse(statusCode: 487).reasonPhrase == "Request Terminated")
        #expect(SIPResponse(statusCode: 499).reasonPhrase == "Client Error")
    }
}
