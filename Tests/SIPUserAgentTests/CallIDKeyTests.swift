import SIP
import Testing

@testable import SIPUserAgent

@Suite("Routing by Call-ID")
struct CallIDKeyTests {
    private func borrowed<Result>(_ text: String, _ body: (CallIDKey) -> Result) -> Result {
        Array(text.utf8).withUnsafeBytes { CallIDKey.withBorrowedBytes($0, body) }
    }

    @Test("a key borrowing a datagram's bytes finds the session stored under the same Call-ID text")
    func borrowedKeyFindsStoredKey() {
        let callID = "2511b8c0f04389ebe4e5de73a0bac553@127.0.0.1"
        let owners: [CallIDKey: Int] = [CallIDKey(callID): 1, CallIDKey("other@127.0.0.1"): 2, CallIDKey(""): 3]
        #expect(borrowed(callID) { owners[$0] } == 1)
        #expect(borrowed("other@127.0.0.1") { owners[$0] } == 2)
        #expect(borrowed("") { owners[$0] } == 3)
        #expect(borrowed(callID + "x") { owners[$0] } == nil)
        #expect(borrowed(String(callID.dropLast())) { owners[$0] } == nil)
        // Call-IDs are case-sensitive (RFC 3261 §20.8).
        #expect(borrowed(callID.uppercased()) { owners[$0] } == nil)
    }

    @Test("a parsed message's Call-ID bytes are the value the session stored")
    func parsedMessageBytes() throws {
        let text = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: abc@h\r\nCSeq: 1 BYE\r\n\r\n"
        guard case .response(let response) = try SIPMessage(parsing: Array(text.utf8)) else {
            Issue.record("expected a response")
            return
        }
        let owners: [CallIDKey: Int] = [CallIDKey("abc@h"): 7]
        let found = response.headers.withFirstValueBytes(.callID) { CallIDKey.withBorrowedBytes($0) { owners[$0] } }
        #expect(found == 7)
        #expect(response.headers.withFirstValueBytes(.contact) { $0.count } == nil)
    }
}
