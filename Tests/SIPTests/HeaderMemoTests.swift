import Foundation
@testable import SIP
import Testing

@Suite("Header memo")
struct HeaderMemoTests {
    private let ringing = """
        SIP/2.0 180 Ringing
        Via: SIP/2.0/UDP 192.0.2.4:5062;branch=z9hG4bK776asdhds;rport=5062
        From: "Alice" <sip:alice@example.com>;tag=1928301774
        To: <sip:bob@example.com>;tag=a6c85cf
        Call-ID: a84b4c76e66710@192.0.2.4
        CSeq: 1 INVITE
        Contact: <sip:bob@192.0.2.9:5070;transport=udp>
        Record-Route: <sip:p1.example.com;lr>
        Content-Length: 0


        """

    /// The typed header values a parsed message carries, for comparing two parses of it.
    private struct Values: Equatable {
        let topVia: Via?, cseq: CSeq?, from: SIPAddress?, to: SIPAddress?, contacts: [SIPAddress], recordRoutes: [SIPAddress]

        init(_ message: SIPMessage) {
            switch message {
            case .request(let request):
                self.init(request)
            case .response(let response):
                self.init(response)
            }
        }

        init(_ message: some SIPMessageProtocol) {
            topVia = message.topVia
            cseq = message.cseq
            from = message.from
            to = message.to
            contacts = message.contacts
            recordRoutes = message.recordRoutes
        }
    }

    private func parse(_ bytes: [UInt8], memo: inout SIPHeaderMemo) -> Result<SIPMessage, SIPParseError> {
        Result { () throws(SIPParseError) -> SIPMessage in try SIPMessage(parsing: bytes, memo: &memo) }
    }

    @Test("a repeated response takes From, To, Via, Contact and Record-Route from the memo, with the same values")
    func repeatedResponse() throws {
        var memo = SIPHeaderMemo()
        let bytes = wire(ringing)
        let first = try SIPMessage(parsing: bytes, memo: &memo)
        #expect(memo.hits == 0)
        #expect(memo.misses == 5)
        let second = try SIPMessage(parsing: bytes, memo: &memo)
        #expect(memo.hits == 5)
        #expect(memo.misses == 5)
        #expect(second == first)
        #expect(Values(second) == Values(try SIPMessage(parsing: bytes)))
        #expect(Values(second).to?.tag == "a6c85cf")
    }

    @Test("a value that differs in one byte is parsed again")
    func differentTag() throws {
        var memo = SIPHeaderMemo()
        _ = try SIPMessage(parsing: wire(ringing), memo: &memo)
        let other = try SIPMessage(parsing: wire(ringing.replacingOccurrences(of: "tag=a6c85cf", with: "tag=a6c85cg")), memo: &memo)
        #expect(memo.hits == 4)
        #expect(memo.misses == 6)
        // Only the tag differs: To's address before its parameters is taken from the memo.
        #expect(memo.headHits == 1)
        #expect(Values(other).to?.tag == "a6c85cg")
        #expect(Values(other) == Values(try SIPMessage(parsing: wire(ringing.replacingOccurrences(of: "tag=a6c85cf", with: "tag=a6c85cg")))))
    }

    @Test("the next call's response takes From, To and Via before their tags and branch from the memo")
    func nextCall() throws {
        var memo = SIPHeaderMemo()
        _ = try SIPMessage(parsing: wire(ringing), memo: &memo)
        #expect(memo.headHits == 0)
        let next = wire(ringing
            .replacingOccurrences(of: "branch=z9hG4bK776asdhds", with: "branch=z9hG4bK9f8e7d6c5b4a39281706")
            .replacingOccurrences(of: "tag=1928301774", with: "tag=0123456789abcde")
            .replacingOccurrences(of: "tag=a6c85cf", with: "tag=77"))
        let parsed = try SIPMessage(parsing: next, memo: &memo)
        #expect(memo.headHits == 3)  // From with its display name, To, Via
        #expect(Values(parsed) == Values(try SIPMessage(parsing: next)))
        #expect(Values(parsed).topVia?.branch == "z9hG4bK9f8e7d6c5b4a39281706")
        #expect(Values(parsed).from?.tag == "0123456789abcde")
        #expect(Values(parsed).from?.displayName == "Alice")
    }

    /// Values whose part before the parameters is one the memo holds, each followed by something else, and
    /// values that only look alike; whether the memo's head applies.
    static let sameHeads: [(line: String, headHit: Bool)] = [
        ("To: <sip:bob@example.com>;tag=", true), ("To: <sip:bob@example.com>;tag=x y", true),
        ("To: <sip:bob@example.com>junk", true), ("To: <sip:bob@example.com> ;tag=1", true),
        ("To: <sip:bob@example.com>;tag=\"q\"", true), ("To: <sip:bob@example.com>>", true),
        ("To: \"b>\" <sip:bob@example.com>", false), ("To: sip:bob@example.com;tag=1", false),
        ("From: \"Alice\" <sip:alice@example.com>;tag=9", true), ("From: \"Alice\" <sip:alice@example.com>x", true),
        ("From: Alice <sip:alice@example.com>;tag=9", false),
        ("Via: SIP/2.0/UDP 192.0.2.4:5062 ;branch=z9hG4bKother", true), ("Via: SIP/2.0/UDP 192.0.2.4:5062;;", true),
        ("Via: SIP/2.0/UDP 192.0.2.4:5062;branch=z9hG4bKother;rport", true), ("Via: SIP/2.0/UDP 192.0.2.4:5062", true),
        ("Via: SIP/2.0/UDP 192.0.2.4:5062:5063;branch=z9hG4bK1", false), ("Via: SIP/2.0/UDP 192.0.2.4:5062;branch=z9hG4bK1,", true),
        ("Contact: <sip:bob@192.0.2.9:5070;transport=udp>;expires=60", true),
        ("Contact: <sip:bob@192.0.2.9:5070;transport=udp>;q", true), ("Contact: *", false),
        ("Record-Route: <sip:p1.example.com;lr>;x", true), ("Record-Route: <sip:p1.example.com;lr>;=", true),
    ]

    @Test("a remembered head followed by other parameters or bytes parses, or fails, exactly as without a memo", arguments: sameHeads)
    func sameHeadOtherTail(line: String, headHit: Bool) throws {
        var memo = SIPHeaderMemo()
        _ = try SIPMessage(parsing: wire(ringing), memo: &memo)
        let name = String(line.prefix { $0 != ":" })
        let lines = ringing.split(separator: "\n", omittingEmptySubsequences: false)
        let bytes = wire(lines.map { $0.hasPrefix(name + ":") ? Substring(line) : $0 }.joined(separator: "\n"))
        let plain = Result { () throws(SIPParseError) -> SIPMessage in try SIPMessage(parsing: bytes) }
        let memoized = parse(bytes, memo: &memo)
        #expect(memo.headHits == (headHit ? 1 : 0))
        switch (plain, memoized) {
        case (.success(let expected), .success(let actual)):
            #expect(actual == expected)
            #expect(Values(actual) == Values(expected))
        case (.failure(let expected), .failure(let actual)):
            #expect(actual == expected)
        case (let plain, let memoized):
            Issue.record("\(plain) without a memo, \(memoized) with one")
        }
    }

    @Test("the same bytes under another header name do not share a value: Contact * is valid, From * is not")
    func headerNameIsPartOfTheKey() throws {
        var memo = SIPHeaderMemo(capacity: 1)  // one slot: every value lands in it
        let register = wire("""
            REGISTER sip:example.com SIP/2.0
            Via: SIP/2.0/UDP h;branch=z9hG4bK1
            Max-Forwards: 70
            To: <sip:bob@example.com>
            From: <sip:bob@example.com>;tag=1
            Call-ID: memo@example.com
            CSeq: 1 REGISTER
            Contact: *
            Expires: 0


            """)
        _ = try SIPMessage(parsing: register, memo: &memo)
        // From is the first value looked up, while the one slot still holds Contact's `*`.
        let wildcardFrom = wire("""
            OPTIONS sip:bob@example.com SIP/2.0
            From: *
            Via: SIP/2.0/UDP h;branch=z9hG4bK1
            Max-Forwards: 70
            To: <sip:bob@example.com>
            Call-ID: memo@example.com
            CSeq: 1 OPTIONS


            """)
        do {
            _ = try SIPMessage(parsing: wildcardFrom, memo: &memo)
            Issue.record("From: * was accepted")
        } catch {
            guard case .invalidHeaderValue(header: "From", line: 2, _) = error else {
                Issue.record("expected From on line 2 to be invalid, got \(error)")
                return
            }
        }
        #expect(memo.hits == 0)
    }

    @Test("a Contact with the bytes of the Record-Route before it is still a contact")
    func routeAndContactWithTheSameBytes() throws {
        var memo = SIPHeaderMemo(capacity: 1)
        let parsed = try SIPMessage(parsing: wire(ringing.replacingOccurrences(
            of: "Contact: <sip:bob@192.0.2.9:5070;transport=udp>\nRecord-Route: <sip:p1.example.com;lr>",
            with: "Record-Route: <sip:p1.example.com;lr>\nContact: <sip:p1.example.com;lr>")), memo: &memo)
        #expect(Values(parsed).contacts.map(\.uri.description) == ["sip:p1.example.com;lr"])
        #expect(Values(parsed).recordRoutes.count == 1)
        #expect(memo.hits == 0)
    }

    @Test("values longer than the limit are parsed every time and never held")
    func longValuesAreNotRemembered() throws {
        var memo = SIPHeaderMemo()
        let name = String(repeating: "x", count: SIPHeaderMemo.maximumValueLength)
        let bytes = wire(ringing.replacingOccurrences(of: "To: <sip:bob@example.com>", with: "To: \"\(name)\" <sip:bob@example.com>"))
        for _ in 0..<2 { _ = try SIPMessage(parsing: bytes, memo: &memo) }
        #expect(memo.misses == 4)  // Via, From, Contact and Record-Route, once each; To never
        #expect(memo.hits == 4)
        #expect(Values(try SIPMessage(parsing: bytes, memo: &memo)).to?.displayName == name)
    }

    @Test("a malformed value is never remembered: it is rejected every time")
    func malformedValueIsNotRemembered() {
        var memo = SIPHeaderMemo()
        let bytes = wire(ringing.replacingOccurrences(of: "To: <sip:bob@example.com>", with: "To: <sip:bob@example.com"))
        let expected = parseError(bytes)
        #expect(expected != nil)
        for _ in 0..<2 {
            #expect(throws: expected!) { try SIPMessage(parsing: bytes, memo: &memo) }
        }
        #expect(memo.hits == 4)  // the second parse's Via, From, Contact and Record-Route
        #expect(memo.misses == 6)  // the first parse's five values, and To again
    }

    @Test("every torture message parses, or fails, the same with a shared memo as without one, on first and second sight")
    func tortureCorpus() throws {
        let folder = try #require(Bundle.module.url(forResource: "Torture", withExtension: nil))
        let urls = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sip" }
        #expect(urls.count > 40)
        for capacity in [1, 1024] {
            var memo = SIPHeaderMemo(capacity: capacity)
            for _ in 0..<2 {
                for url in urls {
                    let bytes = Array(try Data(contentsOf: url))
                    let plain = Result { () throws(SIPParseError) -> SIPMessage in try SIPMessage(parsing: bytes) }
                    let memoized = parse(bytes, memo: &memo)
                    switch (plain, memoized) {
                    case (.success(let expected), .success(let actual)):
                        #expect(actual == expected, "\(url.lastPathComponent)")
                        #expect(Values(actual) == Values(expected), "\(url.lastPathComponent)")
                    case (.failure(let expected), .failure(let actual)):
                        #expect(actual == expected, "\(url.lastPathComponent)")
                    default:
                        Issue.record("\(url.lastPathComponent): \(plain) without a memo, \(memoized) with one")
                    }
                }
            }
            // One slot is evicted by every next value; a full memo finds the second sight's values.
            #expect(capacity == 1 || memo.hits > memo.misses / 2)
        }
    }
}
