import Foundation
import SIP

/// One memo for every input, as a user agent keeps one for every datagram: values and heads remembered
/// from earlier inputs are found again in later ones. Small, so that slots are also taken over often.
/// libFuzzer calls the target from one thread.
nonisolated(unsafe) private var sharedMemo = SIPHeaderMemo(capacity: 64)

/// libFuzzer entry point: every parser must reject bad input with a typed error, never trap, and
/// every message it accepts must survive serialize → parse unchanged; parsing with the shared memo
/// must give what parsing without one gives.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let plain = Result { () throws(SIPParseError) -> SIPMessage in try SIPMessage(parsing: bytes) }
    let memoized = Result { () throws(SIPParseError) -> SIPMessage in try SIPMessage(parsing: bytes, memo: &sharedMemo) }
    switch (plain, memoized) {
    case (.success(let expected), .success(let actual)) where actual == expected && TypedValues(actual) == TypedValues(expected):
        break
    case (.failure(let expected), .failure(let actual)) where actual == expected:
        break
    default:
        fatalError("the memo changed the result:\n\(String(decoding: bytes, as: UTF8.self))\nwithout: \(plain)\nwith: \(memoized)")
    }
    if let message = try? plain.get() {
        let reparsed: SIPMessage
        do {
            reparsed = try SIPMessage(parsing: message.serialized())
        } catch {
            fatalError("serialized message does not parse: \(error)\n\(message)")
        }
        guard reparsed == message else {
            // The wire text shows what differs; a message's own description hides its boxed parts.
            fatalError("""
                round trip changed the message:
                \(String(decoding: bytes, as: UTF8.self))
                serialized:
                \(String(decoding: message.serialized(), as: UTF8.self))
                reparsed and serialized:
                \(String(decoding: reparsed.serialized(), as: UTF8.self))
                """)
        }
        exerciseAccessors(message)
    }
    if let packet = try? RTPPacket(parsing: bytes), (try? RTPPacket(parsing: packet.serialized())) != packet {
        fatalError("RTP round trip changed the packet: \(packet)")
    }
    _ = try? TelephoneEvent(parsing: bytes)
    _ = try? SDPAnswer(parsing: bytes).negotiate(with: SDPOffer(sessionID: 1, address: "192.0.2.1", port: 4000))
    _ = try? WAV.decode(bytes)
    return 0
}

/// The values the parser keeps parsed, which the memo supplies.
private struct TypedValues: Equatable {
    let topVia: Via?, cseq: CSeq?, from: SIPAddress?, to: SIPAddress?, contacts: [SIPAddress]

    init(_ message: SIPMessage) {
        switch message {
        case .request(let request):
            (topVia, cseq, from, to, contacts) = (request.topVia, request.cseq, request.from, request.to, request.contacts)
        case .response(let response):
            (topVia, cseq, from, to, contacts) = (response.topVia, response.cseq, response.from, response.to, response.contacts)
        }
    }
}

private func exerciseAccessors(_ message: SIPMessage) {
    let headers: SIPHeaders
    switch message {
    case .request(let request):
        headers = request.headers
        _ = (request.vias, request.contacts, request.routes, request.recordRoutes, request.from, request.to, request.cseq)
    case .response(let response):
        headers = response.headers
        _ = (response.vias, response.contacts, response.recordRoutes, response.from, response.to, response.cseq)
    }
    for value in headers.values(.wwwAuthenticate) + headers.values(.proxyAuthenticate) {
        if let challenge = try? DigestChallenge(parsing: value) {
            _ = try? Digest.authorization(
                answering: challenge, credentials: DigestCredentials(username: "u", password: "p"),
                method: .invite, uri: "sip:a@b", clientNonce: "0a4f113b")
        }
    }
}

#if FUZZING
// SwiftPM links every Swift executable on Linux with `--defsym main=<module>_main`, so the
// libFuzzer driver is entered from that symbol through libFuzzer's documented library entry point.
@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

@_cdecl("SIPFuzz_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments) { data, size in fuzz(data, size) }
}
#else
/// Without libFuzzer, replays corpus files given on the command line, e.g. to reproduce a crash.
@main
enum ReplayCorpus {
    static func main() throws {
        for path in CommandLine.arguments.dropFirst() {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            // A trailing guard byte keeps the buffer non-empty so it always has a base address.
            let guarded = bytes + [0]
            guarded.withUnsafeBufferPointer { buffer in
                if let base = buffer.baseAddress { _ = fuzz(base, bytes.count) }
            }
            print("ok \(path)")
        }
    }
}
#endif
