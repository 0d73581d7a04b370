import SIP
import Testing

@Suite("SDP offer/answer")
struct SDPTests {
    let offer = SDPOffer(sessionID: 3_724_394_400, address: "192.0.2.10", port: 40_000)

    @Test("the offer lists PCMU, PCMA and telephone-event with rtpmap, fmtp, ptime and sendrecv")
    func offerText() {
        #expect(offer.text == """
            v=0\r
            o=- 3724394400 1 IN IP4 192.0.2.10\r
            s=-\r
            c=IN IP4 192.0.2.10\r
            t=0 0\r
            m=audio 40000 RTP/AVP 0 8 101\r
            a=rtpmap:0 PCMU/8000\r
            a=rtpmap:8 PCMA/8000\r
            a=rtpmap:101 telephone-event/8000\r
            a=fmtp:101 0-15\r
            a=ptime:20\r
            a=sendrecv\r

            """)
        let ipv6 = SDPOffer(sessionID: 1, address: "2001:db8::1", port: 5004, codecs: [.pcma], telephoneEventPayloadType: nil)
        #expect(ipv6.text.contains("c=IN IP6 2001:db8::1\r\n"))
        #expect(ipv6.text.contains("m=audio 5004 RTP/AVP 8\r\n"))
        #expect(!ipv6.text.contains("telephone-event"))
    }

    @Test("our own offer parses back")
    func offerParses() throws {
        let parsed = try SDPAnswer(parsing: offer.body)
        #expect(parsed.connectionAddress == "192.0.2.10")
        #expect(parsed.mediaPort == 40_000)
        #expect(parsed.payloadTypes == [0, 8, 101])
        #expect(parsed.telephoneEventPayloadType == 101)
        #expect(parsed.direction == .sendrecv)
        #expect(parsed.ptime == 20)
    }

    @Test("an answer: media-level c= wins, payload order kept, dynamic telephone-event found")
    func answer() throws {
        let answer = try SDPAnswer(parsing: Array("""
            v=0\r
            o=gw 1 2 IN IP4 198.51.100.1\r
            s=call\r
            c=IN IP4 198.51.100.1\r
            t=0 0\r
            a=sendonly\r
            m=audio 30000 RTP/AVP 8 0 96\r
            c=IN IP4 198.51.100.7/127\r
            a=rtpmap:96 telephone-event/8000\r
            a=fmtp:96 0-16\r
            a=ptime:30\r
            m=video 0 RTP/AVP 31\r

            """.utf8))
        #expect(answer.connectionAddress == "198.51.100.7")
        #expect(answer.mediaPort == 30000)
        #expect(answer.payloadTypes == [8, 0, 96])
        #expect(answer.telephoneEventPayloadType == 96)
        #expect(answer.direction == .sendonly)
        let negotiated = try answer.negotiate(with: offer)
        #expect(negotiated.codec == .pcma)
        #expect(negotiated.payloadType == 8)
        #expect(negotiated.telephoneEventPayloadType == 96)
        #expect(negotiated.ptime == 30)
        #expect(negotiated.address == "198.51.100.7")
    }

    @Test("LF-only answers and dynamic codec payload types")
    func dynamicCodec() throws {
        let answer = try SDPAnswer(parsing: Array("v=0\no=- 1 1 IN IP4 h\ns=-\nt=0 0\nm=audio 7000 RTP/AVP 97\nc=IN IP4 203.0.113.5\na=rtpmap:97 PCMU/8000\na=inactive\n".utf8))
        let negotiated = try answer.negotiate(with: offer)
        #expect(negotiated.codec == .pcmu)
        #expect(negotiated.payloadType == 97)
        #expect(negotiated.direction == .inactive)
        #expect(negotiated.telephoneEventPayloadType == nil)
    }

    @Test("encoding names in any case, a port count, the session's direction and extra spaces")
    func lenientForms() throws {
        let answer = try SDPAnswer(parsing: Array("""
            v=0\r
            o=- 1 1 IN IP4 h\r
            s=-\r
            t=0 0\r
            a=recvonly\r
            m=audio  7000/2  RTP/AVP  97 98\r
            c=IN IP4 203.0.113.9\r
            a=rtpmap:97 pcma/8000\r
            a=rtpmap:98 Telephone-Event/8000\r

            """.utf8))
        #expect(answer.mediaPort == 7000)
        #expect(answer.transportProtocol == "RTP/AVP")
        #expect(answer.payloadTypes == [97, 98])
        #expect(answer.rtpMaps == [97: "pcma/8000", 98: "Telephone-Event/8000"])
        #expect(answer.telephoneEventPayloadType == 98)
        #expect(answer.direction == .recvonly)
        #expect(answer.ptime == nil)
        let negotiated = try answer.negotiate(with: offer)
        #expect(negotiated.codec == .pcma)
        #expect(negotiated.payloadType == 97)
        #expect(negotiated.telephoneEventPayloadType == 98)
        // "PCMUX/8000" is not PCMU: the name must end at the slash.
        let lookalike = try SDPAnswer(parsing: Array("v=0\no=- 1 1 IN IP4 h\ns=-\nt=0 0\nc=IN IP4 a\nm=audio 1 RTP/AVP 97\na=rtpmap:97 PCMUX/8000\n".utf8))
        #expect(throws: SDPError.noCommonCodec([97])) { try lookalike.negotiate(with: offer) }
    }

    @Test("typed errors for malformed or unusable SDP")
    func errors() {
        func error(_ text: String) -> SDPError? {
            do {
                _ = try SDPAnswer(parsing: Array(text.utf8)).negotiate(with: offer)
                return nil
            } catch {
                return error
            }
        }
        let head = "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\n"
        #expect(error("v=1\r\n") == .unsupportedVersion("v=1"))
        #expect(error("") == .unsupportedVersion(""))
        #expect(error("v=0\r\ns=-\r\nt=0 0\r\n") == .missingField("o"))
        #expect(error(head + "m = audio 1 RTP/AVP 0\r\n") == .malformedLine(line: 5, "m = audio 1 RTP/AVP 0"))
        #expect(error(head + "m=video 1 RTP/AVP 31\r\nc=IN IP4 a\r\n") == .noAudioStream)
        #expect(error(head + "m=audio 1 RTP/AVP 0\r\n") == .missingConnection)
        #expect(error(head + "c=IN IP4\r\nm=audio 1 RTP/AVP 0\r\n") == .invalidConnection("IN IP4"))
        #expect(error(head + "c=IN IP4 a\r\nm=audio 99999 RTP/AVP 0\r\n") == .invalidMediaLine("audio 99999 RTP/AVP 0"))
        #expect(error(head + "c=IN IP4 a\r\nm=audio 1 RTP/AVP 300\r\n") == .invalidMediaLine("audio 1 RTP/AVP 300"))
        #expect(error(head + "c=IN IP4 a\r\nm=audio 1 RTP/AVP\r\n") == .invalidMediaLine("audio 1 RTP/AVP"))
        #expect(error(head + "c=IN IP4 a\r\nm=audio x1 RTP/AVP 0\r\n") == .invalidMediaLine("audio x1 RTP/AVP 0"))
        #expect(error(head + "c=IN IP4 a b\r\nm=audio 1 RTP/AVP 0\r\n") == .invalidConnection("IN IP4 a b"))
        #expect(error(head + "c=IN IP4 a\r\nm=audio 0 RTP/AVP 0\r\n") == .audioRejected)
        #expect(error(head + "c=IN IP4 a\r\nm=audio 1 RTP/AVP 18 101\r\na=rtpmap:101 telephone-event/8000\r\n") == .noCommonCodec([18, 101]))
        #expect(throws: SDPError.notText) { try SDPAnswer(parsing: [0xFF, 0xFE]) }
    }
}
