import Foundation
import SIP
import Testing

/// RFC 4475 torture messages, written for this suite from the RFC's descriptions (files in `Torture/`).
enum Torture {
    static func bytes(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "sip", subdirectory: "Torture"))
        return Array(try Data(contentsOf: url))
    }

    static func request(_ name: String) throws -> SIPRequest {
        guard case .request(let request) = try SIPMessage(parsing: bytes(name)) else {
            throw TortureFailure.expectedRequest(name)
        }
        return request
    }

    static func response(_ name: String) throws -> SIPResponse {
        guard case .response(let response) = try SIPMessage(parsing: bytes(name)) else {
            throw TortureFailure.expectedResponse(name)
        }
        return response
    }

    static func error(_ name: String) throws -> SIPParseError? {
        do {
            _ = try SIPMessage(parsing: bytes(name))
            return nil
        } catch let error as SIPParseError {
            return error
        }
    }

    enum TortureFailure: Error {
        case expectedRequest(String)
        case expectedResponse(String)
    }

    /// The SDP body most torture files carry (`c=` address of 9 characters).
    static let sdpLength = 144
}

@Suite("RFC 4475 §3.1.1 valid messages")
struct ValidTortureTests {
    @Test("3.1.1.1 wsinv: short tortuous INVITE")
    func wsinv() throws {
        let request = try Torture.request("wsinv")
        #expect(request.method == .invite)
        let uri = try #require(request.uri.sipURI)
        #expect(uri.user == "dialer")
        #expect(uri.host == "pbx-east.example.com")
        #expect(uri.parameters.contains("unknownparam"))
        let to = try #require(request.to)
        #expect(to.tag == "1918181833n")
        #expect(to.uri.sipURI?.parameters.isEmpty == true)
        let from = try #require(request.from)
        #expect(from.displayName == "W. Hu \\\"")
        #expect(from.tag == "98asjd8")
        #expect(request.headers[.maxForwards] == "0068")
        #expect(request.cseq == CSeq(9, .invite))
        #expect(request.headers["Subject"] == "")
        #expect(request.headers["NewFangledHeader"] == "newfangled value continued newfangled value")
        #expect(request.headers["UnknownHeaderWithUnusualValue"] == ";;,,;;,;")
        let vias = request.vias
        #expect(vias.count == 3)
        #expect(vias.map(\.transport) == ["UDP", "TCP", "UDP"])
        #expect(vias.map(\.host) == ["192.0.2.2", "spindle.example.com", "192.168.255.111"])
        #expect(vias.map(\.branch) == ["390skdjuw", "z9hG4bK9ikj8", "z9hG4bK30239"])
        #expect(vias[0].rport == .some(nil))
        let route = try #require(request.routes.first?.uri.sipURI)
        #expect(route.isLooseRouter)
        #expect(route.parameters["unknownwith"]?.value == "value")
        let contact = try #require(request.contacts.first)
        #expect(contact.displayName == "Quoted string \"\"")
        #expect(contact.parameters["newparam"]?.value == "newvalue")
        #expect(contact.parameters.contains("secondparam"))
        #expect(contact.parameters["q"]?.value == "0.33")
        #expect(request.body.count == Torture.sdpLength)
    }

    @Test("3.1.1.2 intmeth: wide range of valid characters")
    func intmeth() throws {
        let request = try Torture.request("intmeth")
        #expect(request.method.rawValue == "!odd-Method0123456789_*+`.%indeed'~")
        let uri = try #require(request.uri.sipURI)
        #expect(uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
        #expect(uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
        #expect(uri.host == "example.com")
        #expect(request.topVia?.branch == "z9hG4bK-.!%66*_+`'~")
        let to = try #require(request.to)
        #expect(to.displayName == "BEL:\u{07} NUL:\u{00} DEL:\u{7F}")
        #expect(to.uri.sipURI?.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
        let from = try #require(request.from)
        #expect(from.displayName == "token1~` token2'+_ token3*%!.-")
        #expect(from.parameters["fromParam''~+*_!.-%"]?.value == "\"работающий\"")
        #expect(from.tag == "_token~1'+`*%!-.")
        #expect(request.callID == "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{")
        #expect(request.cseq?.method == request.method)
        #expect(request.headers["extensionHeader-!.%*+_`'~"] == "外呼测试")
        #expect(request.body.isEmpty)
    }

    @Test("3.1.1.3 esc01: valid % escaping")
    func esc01() throws {
        let request = try Torture.request("esc01")
        let uri = try #require(request.uri.sipURI)
        #expect(uri.user == "sips:user@example.com")
        #expect(uri.host == "example.net")
        #expect(request.to?.uri.sipURI?.user == "user")
        #expect(request.from?.uri.sipURI?.user == "I have spaces")
        #expect(request.callID == "esc01.239409asdfakjkn23onasd0-3234")
        #expect(request.contentType == "application/sdp")
        let contact = try #require(request.contacts.first?.uri.sipURI)
        #expect(contact.user == "caller")
        #expect(contact.parameters.elements == [SIPParameter("lr"), SIPParameter("name", "value%41")])
        #expect(request.body.count == Torture.sdpLength)
    }

    @Test("3.1.1.4 escnull: escaped NULs in URIs")
    func escnull() throws {
        let request = try Torture.request("escnull")
        #expect(request.to?.uri.sipURI?.user == "null-\u{0}-null")
        #expect(request.from?.uri.sipURI?.user == "null-\u{0}-null")
        #expect(request.contacts.compactMap(\.uri.sipURI?.user) == ["\u{0}", "\u{0}\u{0}"])
    }

    @Test("3.1.1.5 esc02: % that is not an escape")
    func esc02() throws {
        let request = try Torture.request("esc02")
        #expect(request.method.rawValue == "RE%47IST%45R")
        #expect(request.method != .register)
        #expect(request.to?.displayName == "%Z%45")
        #expect(request.topVia?.branch == "z9hG4bK209%fzsnel234")
        #expect(request.contacts.count == 2)
        #expect(request.headers["C%6Fntact"] == "<sip:alias2@host2.example.com>")
    }

    @Test("3.1.1.6 lwsdisp: no LWS between display name and <")
    func lwsdisp() throws {
        let request = try Torture.request("lwsdisp")
        #expect(request.from?.displayName == "caller")
        #expect(request.from?.uri.sipURI?.user == "caller")
        #expect(request.from?.tag == "323")
    }

    @Test("3.1.1.7 longreq: long values in header fields")
    func longreq() throws {
        let request = try Torture.request("longreq")
        let to = try #require(request.to)
        #expect(to.displayName?.hasPrefix("I have a user name of extremeextreme") == true)
        #expect(to.uri.sipURI?.port == 6000)
        #expect(to.uri.sipURI?.parameters.count == 3)
        #expect(request.from?.tag?.count == 153)
        #expect(request.vias.count == 34)
        #expect(request.vias.first?.host == "sip33.example.com")
        #expect(request.vias.last?.received == "192.0.2.5")
        #expect(request.vias.last?.branch?.count == 215)
        #expect(request.body.count == Torture.sdpLength)
    }

    @Test("3.1.1.8 dblreq: extra trailing octets in a UDP datagram are discarded")
    func dblreq() throws {
        let request = try Torture.request("dblreq")
        #expect(request.method == .register)
        #expect(request.callID == "dblreq.0ha0isndaksdj99sdfafnl3lk233412")
        #expect(request.body.isEmpty)
    }

    @Test("3.1.1.9 semiuri: semicolons in the user part")
    func semiuri() throws {
        let request = try Torture.request("semiuri")
        let uri = try #require(request.uri.sipURI)
        #expect(uri.user == "user;par=u@example.net")
        #expect(uri.host == "example.com")
        #expect(uri.parameters.isEmpty)
        #expect(request.headers.values(.accept) == [
            "application/sdp", "application/pkcs7-mime", "multipart/mixed",
            "multipart/signed", "message/sip", "message/sipfrag",
        ])
    }

    @Test("3.1.1.10 transports: varied and unknown transports")
    func transports() throws {
        let request = try Torture.request("transports")
        #expect(request.vias.map(\.transport) == ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"])
        #expect(request.callID == "transports.kijh4akdnaqjkwendsasfdj")
    }

    @Test("3.1.1.11 mpart01: multipart body with binary content is kept byte for byte")
    func mpart01() throws {
        let bytes = try Torture.bytes("mpart01")
        let request = try Torture.request("mpart01")
        #expect(request.method.rawValue == "MESSAGE")
        #expect(request.contentType == "multipart/mixed;boundary=7a9cbec02ceef655")
        #expect(request.headers["Date"] == "Sat, 15 Oct 2005 04:44:56 GMT")
        #expect(Array(bytes.suffix(request.body.count)) == request.body)
        #expect(request.body.contains(0x00))
        #expect(request.body.contains(0xFF))
        #expect(request.body.starts(with: Array("--7a9cbec02ceef655\r\n".utf8)))
    }

    @Test("3.1.1.12 unreason: unusual reason phrase")
    func unreason() throws {
        let response = try Torture.response("unreason")
        #expect(response.statusCode == 200)
        #expect(response.reasonPhrase == "= 2**3 * 5**2 但一百九十九是质数")
        #expect(response.body.count == Torture.sdpLength + 2)
    }

    @Test("3.1.1.13 noreason: empty reason phrase")
    func noreason() throws {
        let response = try Torture.response("noreason")
        #expect(response.statusCode == 100)
        #expect(response.reasonPhrase == "")
    }

    @Test("3.3.15 unkscm / 3.3.16 novelsc: unknown Request-URI schemes are kept verbatim")
    func unknownSchemes() throws {
        #expect(try Torture.request("unkscm").uri == .other(scheme: "nobodyKnowsThisScheme", specific: "totallyopaquecontent"))
        #expect(try Torture.request("novelsc").uri == .other(scheme: "soap.beep", specific: "//192.0.2.103:3002"))
    }

    @Test("3.3.17 unksm2: non-SIP URIs in To, From and Contact")
    func unksm2() throws {
        let request = try Torture.request("unksm2")
        #expect(request.to?.uri == .other(scheme: "isbn", specific: "2983792873"))
        #expect(request.from?.uri == .other(scheme: "http", specific: "//www.example.com"))
        #expect(request.contacts.first?.uri == .other(scheme: "name", specific: "John_Smith"))
    }

    @Test("3.3.4 cparam01 / 3.3.5 cparam02: Contact parameters versus URI parameters")
    func contactParameters() throws {
        let bare = try #require(try Torture.request("cparam01").contacts.first)
        #expect(bare.parameters.contains("unknownparam"))
        #expect(bare.uri.sipURI?.parameters.isEmpty == true)
        #expect(bare.uri.sipURI?.user == "+19725552222")
        let bracketed = try #require(try Torture.request("cparam02").contacts.first)
        #expect(bracketed.parameters.isEmpty)
        #expect(bracketed.uri.sipURI?.parameters.contains("unknownparam") == true)
    }

    @Test("3.3.2 regescrt: escaped headers in a bracketed Contact URI")
    func regescrt() throws {
        let contact = try #require(try Torture.request("regescrt").contacts.first?.uri.sipURI)
        #expect(contact.headers.elements == [SIPParameter("Route", "<sip:sip.example.com>")])
    }

    @Test("3.3.3 zeromf: Max-Forwards of zero parses")
    func zeromf() throws {
        #expect(try Torture.request("zeromf").headers[.maxForwards] == "0")
    }

    @Test("3.2.1 badbranch: a branch that is only the magic cookie still parses")
    func badbranch() throws {
        #expect(try Torture.request("badbranch").topVia?.branch == "z9hG4bK")
    }
}

@Suite("RFC 4475 §3.1.2 invalid messages")
struct InvalidTortureTests {
    @Test("3.1.2.1 badinv01: extraneous header field separators")
    func badinv01() throws {
        #expect(try Torture.error("badinv01") == .invalidHeaderValue(header: "Via", line: 7, .expected("parameter name", found: ";")))
    }

    @Test("3.1.2.2 clerr: Content-Length larger than the message")
    func clerr() throws {
        #expect(try Torture.error("clerr") == .contentLengthExceedsBody(contentLength: 9999, bodyLength: Torture.sdpLength + 2))
    }

    @Test("3.1.2.3 ncl: negative Content-Length")
    func ncl() throws {
        #expect(try Torture.error("ncl") == .invalidHeaderValue(header: "Content-Length", line: 10, .invalidNumber("-999")))
    }

    @Test("3.1.2.4 scalar02: overlarge CSeq, Max-Forwards and Expires in a request")
    func scalar02() throws {
        #expect(try Torture.error("scalar02") == .invalidHeaderValue(header: "CSeq", line: 5, .numberOutOfRange("36893488147419103232")))
    }

    @Test("3.1.2.5 scalarlg: overlarge scalar fields in a response")
    func scalarlg() throws {
        #expect(try Torture.error("scalarlg") == .invalidHeaderValue(header: "CSeq", line: 5, .numberOutOfRange("9292394834772304023312")))
    }

    @Test("3.1.2.6 quotbal: unterminated quoted string in a display name")
    func quotbal() throws {
        #expect(try Torture.error("quotbal") == .invalidHeaderValue(header: "To", line: 2, .unterminatedQuotedString))
    }

    @Test("3.1.2.7 ltgtruri: <> around the Request-URI")
    func ltgtruri() throws {
        #expect(try Torture.error("ltgtruri") == .invalidRequestURI("<sip:user@example.com>", .invalidScheme("<sip")))
    }

    @Test("3.1.2.8 lwsruri: whitespace inside the Request-URI")
    func lwsruri() throws {
        #expect(try Torture.error("lwsruri") == .malformedRequestLine("INVITE sip:user@example.com; lr SIP/2.0"))
    }

    @Test("3.1.2.9 lwsstart: multiple SP between Request-Line elements")
    func lwsstart() throws {
        #expect(try Torture.error("lwsstart") == .malformedRequestLine("INVITE  sip:user@example.com  SIP/2.0"))
    }

    @Test("3.1.2.10 trws: SP after the Request-Line")
    func trws() throws {
        #expect(try Torture.error("trws") == .malformedRequestLine("OPTIONS sip:remote-target@example.com SIP/2.0  "))
    }

    @Test("3.1.2.11 escruri: escaped headers in the Request-URI")
    func escruri() throws {
        let uri = "sip:user@example.com?Route=%3Csip:example.com%3E"
        #expect(try Torture.error("escruri") == .invalidRequestURI(uri, .uriHeadersNotAllowed(uri)))
    }

    @Test("3.1.2.12 baddate: Date in a zone other than GMT")
    func baddate() throws {
        #expect(try Torture.error("baddate") == .invalidHeaderValue(header: "Date", line: 8, .invalidDate("Fri, 01 Jan 2010 16:00:00 EST")))
    }

    @Test("3.1.2.13 regbadct: Contact URI with headers outside <>")
    func regbadct() throws {
        #expect(try Torture.error("regbadct") == .invalidHeaderValue(
            header: "Contact", line: 8, .uriRequiresAngleBrackets("sip:user@example.com?Route=%3Csip:sip.example.com%3E")))
    }

    @Test("3.1.2.14 badaspec: spaces inside <>")
    func badaspec() throws {
        #expect(try Torture.error("badaspec") == .invalidHeaderValue(header: "To", line: 5, .whitespaceInURI(" sip:t.watson@example.org ")))
    }

    @Test("3.1.2.15 baddn: non-token characters in an unquoted display name")
    func baddn() throws {
        #expect(try Torture.error("baddn") == .invalidHeaderValue(header: "To", line: 5, .invalidDisplayName("Watson, Thomas")))
    }

    @Test("3.1.2.16 badvers: unknown protocol version")
    func badvers() throws {
        #expect(try Torture.error("badvers") == .unsupportedVersion("SIP/7.0"))
    }

    @Test("3.1.2.17 mismatch01: CSeq method differs from the start line")
    func mismatch01() throws {
        #expect(try Torture.error("mismatch01") == .cseqMethodMismatch(method: "OPTIONS", cseqMethod: "INVITE"))
    }

    @Test("3.1.2.18 mismatch02: unknown method with a CSeq mismatch")
    func mismatch02() throws {
        #expect(try Torture.error("mismatch02") == .cseqMethodMismatch(method: "NEWMETHOD", cseqMethod: "INVITE"))
    }

    @Test("3.1.2.19 bigcode: overlarge response code")
    func bigcode() throws {
        #expect(try Torture.error("bigcode") == .invalidStatusCode("4294967301"))
    }

    @Test("3.3.1 insuf: missing mandatory header fields")
    func insuf() throws {
        #expect(try Torture.error("insuf") == .missingHeader("To"))
    }

    @Test("3.3.8 multi01: single-valued fields repeated")
    func multi01() throws {
        #expect(try Torture.error("multi01") == .duplicateHeader("To", line: 11))
    }

    @Test("3.3.9 mcl01: two Content-Length values")
    func mcl01() throws {
        #expect(try Torture.error("mcl01") == .duplicateHeader("Content-Length", line: 9))
    }

    @Test("3.3.14 inv2543: an RFC 2543 INVITE without Max-Forwards is refused")
    func inv2543() throws {
        #expect(try Torture.error("inv2543") == .missingHeader("Max-Forwards"))
    }
}
