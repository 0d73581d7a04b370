import Foundation
@testable import SIP
import Testing

@Suite("Message parser")
struct ParserTests {
    private let minimal = options()

    @Test("compact header names are expanded to full names")
    func compactForms() throws {
        let parsed = try request("""
            INVITE sip:bob@example.com SIP/2.0
            v: SIP/2.0/UDP h;branch=z9hG4bK1
            Max-Forwards: 70
            t: <sip:bob@example.com>
            f: <sip:alice@example.com>;tag=1
            i: compact@example.com
            CSeq: 1 INVITE
            m: <sip:alice@192.0.2.1>
            c: application/sdp
            k: 100rel
            s: hello
            e: gzip
            l: 0


            """)
        let names = parsed.headers.map(\.name.description)
        #expect(names == ["Via", "Max-Forwards", "To", "From", "Call-ID", "CSeq", "Contact", "Content-Type", "Supported", "Subject", "Content-Encoding"])
        #expect(parsed.callID == "compact@example.com")
        #expect(parsed.headers["supported"] == "100rel")
        #expect(SIPHeaderName("CALL-ID") == SIPHeaderName("i"))
    }

    @Test("Content-Length is recognised by its position among the well-known names, in every spelling")
    func contentLengthName() {
        for spelling in ["Content-Length", "content-length", "l", "L"] {
            #expect(SIPHeaderName(spelling).isContentLength, "\(spelling)")
        }
        for spelling in ["Content-Language", "Content-Type", "Content-Lengths", "X-Content-Length"] {
            #expect(!SIPHeaderName(spelling).isContentLength, "\(spelling)")
        }
    }

    @Test("a copied request changes alone, and changing its headers drops only its own parsed values")
    func requestCopyOnWrite() throws {
        let original = try request(minimal)
        var copy = original
        #expect(copy == original)
        #expect(copy.parsedHeaders != nil)
        copy.headers.append("Subject", "changed")
        #expect(copy.parsedHeaders == nil)
        #expect(original.parsedHeaders != nil)
        #expect(original.headers["Subject"] == nil)
        #expect(copy.headers["Subject"] == "changed")
        #expect(copy != original)
        // A request built with its URI already rendered must not keep that text once the URI changes.
        let rendered = SIPRequest(method: .options, uri: original.uri, uriText: "sip:bob@example.com", headers: original.headers)
        var retargeted = rendered
        retargeted.uri = try AnyURI(parsing: "sip:carol@example.com")
        #expect(String(decoding: retargeted.serialized(), as: UTF8.self).hasPrefix("OPTIONS sip:carol@example.com SIP/2.0\r\n"))
        #expect(String(decoding: rendered.serialized(), as: UTF8.self).hasPrefix("OPTIONS sip:bob@example.com SIP/2.0\r\n"))
    }

    @Test("unknown header names keep their spelling but match case-insensitively")
    func unknownHeaderNames() throws {
        let parsed = try request(options(extraHeaders: "X-Campaign-ID: 42"))
        #expect(parsed.headers.last?.name.description == "X-Campaign-ID")
        #expect(parsed.headers["x-campaign-id"] == "42")
    }

    @Test("folded lines are joined with one space")
    func folding() throws {
        let parsed = try request(options(extraHeaders: "Subject: first\n   second\n\tthird"))
        #expect(parsed.headers["Subject"] == "first second third")
    }

    @Test("a continuation line before any header is an error with its line number")
    func continuationFirst() {
        #expect(parseError(wire("OPTIONS sip:a@b SIP/2.0\n folded\n\n")) == .continuationWithoutHeader(line: 2))
    }

    @Test("a header line without a colon reports its line number")
    func missingColon() {
        let text = minimal.replacingOccurrences(of: "Max-Forwards: 70", with: "Max-Forwards 70")
        #expect(parseError(wire(text)) == .malformedHeaderLine(line: 3, "Max-Forwards 70"))
    }

    @Test("a bare CR inside a header line is rejected")
    func bareCarriageReturn() {
        let bytes = wire(minimal.replacingOccurrences(of: "Call-ID: c1", with: "Call-ID: c\r1"))
        #expect(parseError(bytes) == .malformedHeaderLine(line: 6, "Call-ID: c\r1@example.com"))
    }

    @Test("Via values split on commas and repeated lines keep order")
    func multipleVias() throws {
        let parsed = try request(minimal.replacingOccurrences(
            of: "Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKabc",
            with: "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com:5070;branch=z9hG4bK2\nVia: SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bK3;received=192.0.2.9;rport=40000"))
        let vias = parsed.vias
        #expect(vias.map(\.host) == ["a.example.com", "b.example.com", "[2001:db8::1]"])
        #expect(vias.map(\.port) == [nil, 5070, 5061])
        #expect(vias.map(\.transport) == ["UDP", "TCP", "TLS"])
        #expect(vias[2].received == "192.0.2.9")
        #expect(vias[2].rport == .some(40000))
        #expect(parsed.topVia?.branch == "z9hG4bK1")
    }

    @Test("commas inside quoted strings and <> URIs do not split list values")
    func listSplitting() {
        #expect(HeaderListSplitter.split("\"Doe, John\" <sip:j@a.com>, <sip:x,y@b.com>;q=0.5, sip:c@d.com") == [
            "\"Doe, John\" <sip:j@a.com>", "<sip:x,y@b.com>;q=0.5", "sip:c@d.com",
        ])
        #expect(HeaderListSplitter.split("\"a\\\",b\" <sip:a@b>") == ["\"a\\\",b\" <sip:a@b>"])
    }

    @Test("Contact with display names and commas yields one address per element")
    func contactList() throws {
        let parsed = try request(options(extraHeaders: "Contact: \"Doe, John\" <sip:j@a.com>;expires=60, <sip:x@b.com>"))
        #expect(parsed.contacts.map(\.displayName) == ["Doe, John", nil])
        #expect(parsed.contacts.first?.parameters["expires"]?.value == "60")
    }

    @Test("authentication headers are not split at commas")
    func authenticationNotSplit() throws {
        let parsed = try request(options(extraHeaders: "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\""))
        #expect(parsed.headers.values(.wwwAuthenticate) == ["Digest realm=\"r\", nonce=\"n\""])
    }

    @Test("missing Content-Length on a datagram takes the rest as body")
    func noContentLength() throws {
        let parsed = try request(options(body: "hello"))
        #expect(parsed.body == Array("hello".utf8))
    }

    @Test("extra datagram bytes beyond Content-Length are discarded")
    func truncatesToContentLength() throws {
        let parsed = try request(options(extraHeaders: "Content-Length: 3", body: "hello"))
        #expect(parsed.body == Array("hel".utf8))
        #expect(parsed.headers.contains(.contentLength) == false)
    }

    @Test("Content-Length larger than the body is a typed error")
    func shortBody() {
        #expect(parseError(wire(options(extraHeaders: "Content-Length: 10", body: "hello"))) == .contentLengthExceedsBody(contentLength: 10, bodyLength: 5))
    }

    @Test("huge scalar values are errors, not traps")
    func hugeScalars() {
        #expect(parseError(wire(options(extraHeaders: "Content-Length: 99999999999999999999999"))) == .invalidHeaderValue(header: "Content-Length", line: 8, .numberOutOfRange("99999999999999999999999")))
        #expect(parseError(wire(options(extraHeaders: "Content-Length: 4294967296"))) == .invalidHeaderValue(header: "Content-Length", line: 8, .numberOutOfRange("4294967296")))
        let bigCSeq = minimal.replacingOccurrences(of: "CSeq: 1 OPTIONS", with: "CSeq: 4294967296 OPTIONS")
        #expect(parseError(wire(bigCSeq)) == .invalidHeaderValue(header: "CSeq", line: 7, .numberOutOfRange("4294967296")))
        let bigPort = minimal.replacingOccurrences(of: "host.example.com;", with: "host.example.com:65536;")
        #expect(parseError(wire(bigPort)) == .invalidHeaderValue(header: "Via", line: 2, .invalidPort("65536")))
        let maxForwards = minimal.replacingOccurrences(of: "Max-Forwards: 70", with: "Max-Forwards: 256")
        #expect(parseError(wire(maxForwards)) == .invalidHeaderValue(header: "Max-Forwards", line: 3, .numberOutOfRange("256")))
    }

    @Test("each mandatory request header is required", arguments: ["To", "From", "CSeq", "Call-ID", "Max-Forwards", "Via"])
    func mandatoryRequestHeaders(name: String) {
        let lines = minimal.split(separator: "\n").filter { !$0.hasPrefix(name + ":") }
        #expect(parseError(wire(lines.joined(separator: "\n") + "\n\n")) == .missingHeader(name))
    }

    @Test("responses need To, From, CSeq, Call-ID and Via but not Max-Forwards")
    func mandatoryResponseHeaders() throws {
        let ok = try response("""
            SIP/2.0 200 OK
            Via: SIP/2.0/UDP h;branch=z9hG4bK1
            To: <sip:b@example.com>;tag=2
            From: <sip:a@example.com>;tag=1
            Call-ID: x
            CSeq: 1 INVITE


            """)
        #expect(ok.statusCode == 200)
        #expect(ok.reasonPhrase == "OK")
        #expect(parseError(wire("SIP/2.0 200 OK\nTo: <sip:b@e.com>\nFrom: <sip:a@e.com>\nCall-ID: x\nCSeq: 1 INVITE\n\n")) == .missingHeader("Via"))
    }

    @Test("status lines: three-digit codes only")
    func statusCodes() {
        let tail = "\nVia: SIP/2.0/UDP h\nTo: <sip:b@e.com>\nFrom: <sip:a@e.com>\nCall-ID: x\nCSeq: 1 INVITE\n\n"
        #expect(parseError(wire("SIP/2.0 99 Odd" + tail)) == .invalidStatusCode("99"))
        #expect(parseError(wire("SIP/2.0 700 Odd" + tail)) == .invalidStatusCode("700"))
        #expect(parseError(wire("SIP/2.0 2x0 Odd" + tail)) == .invalidStatusCode("2x0"))
        #expect(parseError(wire("SIP/2.0" + tail)) == .malformedStatusLine("SIP/2.0"))
        #expect(parseError(wire("SIP/3.0 200 OK" + tail)) == .unsupportedVersion("SIP/3.0"))
        #expect(parseError(wire("SIP/2.00 200 OK" + tail)) == .unsupportedVersion("SIP/2.00"))
        #expect(parseError(wire("SIQ/2.0 200 OK" + tail)) == .invalidMethod("SIQ/2.0"))
    }

    @Test("the version is case-insensitive in both start lines (RFC 3261 §7.1)")
    func versionCase() throws {
        let tail = "\nVia: sip/2.0/udp h;branch=z9hG4bK1\nTo: <sip:b@e.com>\nFrom: <sip:a@e.com>;tag=1\nCall-ID: x\nCSeq: 1 INVITE\n\n"
        guard case .response(let ok) = try SIPMessage(parsing: wire("sip/2.0 200 OK" + tail)) else {
            Issue.record("expected a response")
            return
        }
        #expect(ok.statusCode == 200)
        #expect(ok.topVia?.transport == "udp")
        guard case .request(let invite) = try SIPMessage(parsing: wire("INVITE sip:b@e.com Sip/2.0\nMax-Forwards: 70" + tail)) else {
            Issue.record("expected a request")
            return
        }
        #expect(invite.method == .invite)
        #expect(parseError(wire("INVITE sip:b@e.com SIP/2.1\nMax-Forwards: 70" + tail)) == .unsupportedVersion("SIP/2.1"))
    }

    @Test("an invalid method token is reported")
    func invalidMethod() {
        #expect(parseError(wire(minimal.replacingOccurrences(of: "OPTIONS sip", with: "OPT(ONS sip"))) == .invalidMethod("OPT(ONS"))
    }

    @Test("empty input, keep-alives and an unterminated header section")
    func framingErrors() {
        #expect(parseError([]) == .emptyMessage)
        #expect(parseError(Array("\r\n\r\n".utf8)) == .emptyMessage)
        #expect(parseError(Array("OPTIONS sip:a@b SIP/2.0\r\nTo: <sip:a@b>".utf8)) == .missingEmptyLine)
    }

    @Test("a missing empty line is reported before a bad start line, and a bad start line before a bad header line")
    func errorPrecedence() {
        #expect(parseError(Array("OPTIONS sip:a@b SIP/2.0\r\nNo colon\r\nTo: <sip:a@b>\r\n".utf8)) == .missingEmptyLine)
        #expect(parseError(Array("OPTIONS  sip:a@b SIP/2.0\r\nNo colon\r\n".utf8)) == .missingEmptyLine)
        #expect(parseError(Array("OPTIONS  sip:a@b SIP/2.0\r\nNo colon\r\n\r\n".utf8))
            == .malformedRequestLine("OPTIONS  sip:a@b SIP/2.0"))
        #expect(parseError(Array("SIP/2.0 200 OK\r\n\tfolded\r\nNo colon\r\n\r\n".utf8)) == .continuationWithoutHeader(line: 2))
        #expect(parseError(Array("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\nNo colon\r\n\r\nbody".utf8))
            == .malformedHeaderLine(line: 3, "No colon"))
    }

    @Test("leading CRLFs are skipped and bare LF line ends are accepted")
    func lenientFraming() throws {
        let bytes = Array("\r\n\r\n".utf8) + Array(minimal.utf8)
        guard case .request(let parsed) = try SIPMessage(parsing: bytes) else {
            Issue.record("expected a request")
            return
        }
        #expect(parsed.method == .options)
        #expect(parsed.cseq == CSeq(1, .options))
    }

    @Test("a duplicated single-valued header reports the second line")
    func duplicateCallID() {
        #expect(parseError(wire(options(extraHeaders: "Call-ID: other"))) == .duplicateHeader("Call-ID", line: 8))
    }

    @Test("Call-ID must be word [@ word]")
    func callIDGrammar() {
        #expect(parseError(wire(minimal.replacingOccurrences(of: "c1@example.com", with: "a@b@c"))) == .invalidHeaderValue(header: "Call-ID", line: 6, .expected("word [\"@\" word]", found: "a@b@c")))
    }

    @Test("Content-Type must be a media type")
    func contentType() {
        #expect(parseError(wire(options(extraHeaders: "Content-Type: sdp"))) == .invalidHeaderValue(header: "Content-Type", line: 8, .invalidMediaType("sdp")))
    }
}

@Suite("URI and address grammar")
struct GrammarTests {
    @Test("a copied SIP URI changes alone: copies share their parts until one is written")
    func copyOnWrite() throws {
        let original = try SIPURI(parsing: "sip:alice@example.com:5060;transport=udp")
        var copy = original
        #expect(copy == original)
        #expect(copy.hashValue == original.hashValue)
        copy.port = 5070
        copy.parameters.set("lr", nil)
        #expect(original.port == 5060)
        #expect(!original.isLooseRouter)
        #expect(copy.port == 5070 && copy.isLooseRouter)
        #expect(copy != original)
        copy.port = 5060
        copy.parameters.remove("lr")
        #expect(copy == original)
        #expect(copy.hashValue == original.hashValue)
        #expect(Set([copy, original]).count == 1)
    }

    @Test("full SIP URI with user, password, port, parameters and headers")
    func fullSIPURI() throws {
        let uri = try SIPURI(parsing: "sips:alice:secret@Atlanta.example.com:5061;transport=tcp;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent")
        #expect(uri.isSecure)
        #expect(uri.user == "alice")
        #expect(uri.password == "secret")
        #expect(uri.host == "Atlanta.example.com")
        #expect(uri.port == 5061)
        #expect(uri.parameters["transport"]?.value == "tcp")
        #expect(uri.isLooseRouter)
        #expect(uri.headers["subject"]?.value == "project x")
        #expect(uri.headers["priority"]?.value == "urgent")
        #expect(try SIPURI(parsing: uri.description) == uri)
    }

    @Test("IPv6 hosts keep their brackets")
    func ipv6() throws {
        let uri = try SIPURI(parsing: "sip:[2001:db8::10]:5070;transport=udp")
        #expect(uri.host == "[2001:db8::10]")
        #expect(uri.port == 5070)
        #expect(uri.user == nil)
        #expect(uri.description == "sip:[2001:db8::10]:5070;transport=udp")
        #expect(throws: SIPSyntaxError.invalidHost("[2001:db8::10")) { try SIPURI(parsing: "sip:[2001:db8::10") }
    }

    @Test("tel URIs parse number and parameters")
    func telURI() throws {
        let uri = try AnyURI(parsing: "tel:+86-10-1234-5678;phone-context=example.com;ext=12")
        guard case .tel(let tel) = uri else {
            Issue.record("expected tel")
            return
        }
        #expect(tel.number == "+86-10-1234-5678")
        #expect(tel.parameters["phone-context"]?.value == "example.com")
        #expect(tel.parameters["ext"]?.value == "12")
        #expect(try AnyURI(parsing: uri.description) == uri)
        #expect(throws: SIPSyntaxError.expected("global telephone number", found: "+")) { try AnyURI(parsing: "tel:+") }
    }

    @Test("bad URIs give specific errors")
    func uriErrors() {
        #expect(throws: SIPSyntaxError.invalidPort("99999")) { try SIPURI(parsing: "sip:a@b:99999") }
        #expect(throws: SIPSyntaxError.invalidEscape("%G1")) { try SIPURI(parsing: "sip:%G1@b") }
        #expect(throws: SIPSyntaxError.empty("user")) { try SIPURI(parsing: "sip:@b") }
        #expect(throws: SIPSyntaxError.invalidScheme("1sip")) { try AnyURI(parsing: "1sip:a@b") }
        #expect(throws: SIPSyntaxError.trailingCharacters(" x")) { try SIPURI(parsing: "sip:a@b x") }
        #expect(throws: SIPSyntaxError.expected("uri-parameter", found: ";x")) { try SIPURI(parsing: "sip:a@b;;x") }
    }

    @Test("escaping round-trips through the canonical form")
    func escaping() throws {
        let uri = SIPURI(user: "a b@c:d", host: "example.com", parameters: [SIPParameter("k", "v;w")])
        #expect(uri.description == "sip:a%20b%40c%3Ad@example.com;k=v%3Bw")
        #expect(try SIPURI(parsing: uri.description) == uri)
    }

    @Test("name-addr and addr-spec with display names")
    func addresses() throws {
        let quoted = try SIPAddress(parsing: "\"Alice \\\"A\\\"\" <sip:alice@example.com;transport=udp>;tag=88")
        #expect(quoted.displayName == "Alice \"A\"")
        #expect(quoted.uri.sipURI?.parameters["transport"]?.value == "udp")
        #expect(quoted.tag == "88")
        let token = try SIPAddress(parsing: "Bob Smith <sip:bob@example.com>")
        #expect(token.displayName == "Bob Smith")
        let bare = try SIPAddress(parsing: "sip:carol@example.com;tag=5;x=\"<quoted>\"")
        #expect(bare.displayName == nil)
        #expect(bare.tag == "5")
        #expect(bare.parameters["x"]?.value == "\"<quoted>\"")
        #expect(try SIPAddress(parsing: quoted.description) == quoted)
        #expect(quoted.description == "\"Alice \\\"A\\\"\" <sip:alice@example.com;transport=udp>;tag=88")
    }

    @Test("address errors")
    func addressErrors() {
        #expect(throws: SIPSyntaxError.unterminatedAngleBracket) { try SIPAddress(parsing: "<sip:a@b") }
        #expect(throws: SIPSyntaxError.expected("<", found: "sip:a@b")) { try SIPAddress(parsing: "\"A\" sip:a@b") }
        #expect(throws: SIPSyntaxError.uriRequiresAngleBrackets("sip:a,b@c")) { try SIPAddress(parsing: "sip:a,b@c") }
        #expect(throws: SIPSyntaxError.empty("address")) { try SIPAddress(parsing: "  ") }
        #expect(throws: SIPSyntaxError.expected("parameter value", found: "")) { try SIPAddress(parsing: "<sip:a@b>;tag=") }
    }

    @Test("Via requires SIP/2.0 and a sent-by")
    func viaErrors() throws {
        #expect(throws: SIPSyntaxError.unsupportedProtocol("SIP/3.0")) { try Via(parsing: "SIP/3.0/UDP h") }
        #expect(throws: SIPSyntaxError.unsupportedProtocol("SIPS/2.0")) { try Via(parsing: "SIPS/2.0/UDP h") }
        #expect(throws: SIPSyntaxError.unsupportedProtocol("SI/2.0")) { try Via(parsing: "SI/2.0/UDP h") }
        #expect(throws: SIPSyntaxError.expected("/protocol-version", found: "/UDP h")) { try Via(parsing: "SIP//UDP h") }
        #expect(try Via(parsing: "sIp / 2.0 / tcp h:5061").port == 5061)
        #expect(throws: SIPSyntaxError.expected("LWS before sent-by", found: ";branch=z9hG4bK1")) { try Via(parsing: "SIP/2.0/UDP;branch=z9hG4bK1") }
        #expect(throws: SIPSyntaxError.invalidHost("-bad")) { try Via(parsing: "SIP/2.0/UDP -bad") }
    }

    @Test("CSeq needs a number and a method")
    func cseq() throws {
        #expect(try CSeq(parsing: " 0042 \t BYE ") == CSeq(42, .bye))
        #expect(throws: SIPSyntaxError.invalidNumber("BYE")) { try CSeq(parsing: "BYE") }
        #expect(throws: SIPSyntaxError.expected("LWS Method", found: "")) { try CSeq(parsing: "12") }
    }

    @Test("headers collection edits keep order")
    func headerEditing() {
        var headers: SIPHeaders = [("Via", "a"), ("To", "t"), ("Via", "b")]
        headers.set("via", "c")
        #expect(headers.map(\.value) == ["c", "t"])
        headers.append("X", "1")
        headers.remove("TO")
        #expect(headers.map(\.name) == ["Via", "X"])
        headers.append(.allow, "ACK, BYE")
        #expect(headers.values(.allow) == ["ACK", "BYE"])
        headers.set(.via, "SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2")
        #expect(headers.map(\.name) == ["Via", "Via", "X", "Allow", "Allow"])
    }

    @Test("the values parsed while validating are kept, equal a fresh parse, and are dropped when the headers change")
    func parsedHeaders() throws {
        var parsed = try request("""
            BYE sip:alice@192.0.2.1 SIP/2.0
            Via: SIP/2.0/UDP h:5062;branch=z9hG4bK77, SIP/2.0/UDP p;branch=z9hG4bK78
            Max-Forwards: 70
            To: <sip:alice@example.com>;tag=a1
            From: "Bob" <sip:bob@example.com>;tag=b2
            Call-ID: kept@example.com
            CSeq: 7 BYE
            Contact: <sip:bob@192.0.2.2>, <sip:bob@192.0.2.3>
            Content-Length: 0


            """)
        #expect(parsed.parsedHeaders != nil)
        #expect(parsed.topVia == (try Via(parsing: "SIP/2.0/UDP h:5062;branch=z9hG4bK77")))
        #expect(parsed.cseq == CSeq(7, .bye))
        #expect(parsed.to?.tag == "a1")
        #expect(parsed.from == (try SIPAddress(parsing: "\"Bob\" <sip:bob@example.com>;tag=b2")))
        #expect(parsed.contacts.map(\.uri.description) == ["sip:bob@192.0.2.2", "sip:bob@192.0.2.3"])
        // A message built from the same parts is equal, although it keeps nothing parsed.
        let built = SIPRequest(method: parsed.method, uri: parsed.uri, headers: parsed.headers, body: parsed.body)
        #expect(built.parsedHeaders == nil)
        #expect(built == parsed)
        #expect(Set([built, parsed]).count == 1)
        // Changing the headers drops what was parsed, so the accessors read the new values.
        parsed.headers.set(.cseq, "8 BYE")
        parsed.headers.set(.to, "<sip:carol@example.com>;tag=c3")
        #expect(parsed.parsedHeaders == nil)
        #expect(parsed.cseq == CSeq(8, .bye))
        #expect(parsed.to?.tag == "c3")

        var response = try response("""
            SIP/2.0 200 OK
            Via: SIP/2.0/UDP h;branch=z9hG4bK9
            To: <sip:a@example.com>;tag=x
            From: <sip:c@example.com>;tag=y
            Call-ID: r@h
            CSeq: 2 INVITE


            """)
        #expect(response.parsedHeaders?.cseq == CSeq(2, .invite))
        response.headers.remove(.via)
        #expect(response.topVia == nil)
    }
}
