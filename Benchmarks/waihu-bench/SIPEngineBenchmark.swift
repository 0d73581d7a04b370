import Foundation
import SIP

/// How the scripted gateway ends each call.
enum SIPEngineCallKind: String {
    /// 180, 200 with SDP, ACK, our BYE and its 200, Timer K: the calls `scripts/bench-sip` places.
    case answered
    /// 180, then 486 Busy Here, which the INVITE transaction ACKs, then Timer D: most calls a dialer places
    /// end unanswered like this.
    case busy
}

/// The SIP work of short calls without the network, as the load generator's calls go through it. For an
/// answered call: build and serialize the INVITE, parse the gateway's 180 and 200 (with SDP), ACK, hang up
/// with BYE, parse its 200, run Timer K; a busy call ends at the 486, its ACK and Timer D. A first pass
/// records what a gateway would answer to each call (the calls' branches, tags and Call-IDs follow from
/// their seeds, so a second pass with the same seeds matches it); the timed pass is the user agent's side
/// alone. `scripts/bench-sip` measures the whole, sockets included,
/// against sipp; this isolates the part written in this package, for profilers and before/after figures.
///
/// `rounds` timed passes follow the recording pass; the fastest is reported. A run under callgrind with one
/// round and another with two differ by exactly one pass of the user agent's work, which is how
/// `scripts/bench sip-engine` counts instructions per call where timings are too noisy to compare.
func profileSIPEngine(calls: Int, rounds: Int, kind: SIPEngineCallKind = .answered) {
    var configuration = OutboundCall.Configuration(
        requestURI: .sip(SIPURI(user: "13800138000", host: "127.0.0.1", port: 5060)),
        from: SIPAddress(uri: .sip(SIPURI(user: "075512345678", host: "127.0.0.1"))),
        contact: SIPURI(user: "075512345678", host: "127.0.0.1", port: 5062), viaHost: "127.0.0.1", viaPort: 5062,
        offer: SDPOffer(sessionID: 1, address: "127.0.0.1", port: 9, telephoneEventPayloadType: nil, direction: .inactive),
        randomSeed: 0)
    // As the user agent parses: with one memo for every message it receives.
    var memo = SIPHeaderMemo()
    let answerSDP = Array("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n".utf8)

    /// What the gateway sends for one call: 180, 200 with SDP, 200 for the BYE.
    struct Script {
        var ringing: [UInt8] = []
        var answer: [UInt8] = []
        var byeAnswer: [UInt8] = []
    }

    // Like sipp, the gateway gives every call its own To tag.
    func reply(to bytes: [UInt8], status: Int, toTag: String, body: [UInt8] = []) -> [UInt8] {
        guard case .request(let request) = try! SIPMessage(parsing: bytes) else { fatalError("expected a request") }
        var response = SIPResponse(replyingTo: request, statusCode: status, toTag: toTag)
        if request.method == .invite {
            response.headers.append(.contact, "<sip:13800138000@127.0.0.1:5060>")
        }
        if !body.isEmpty {
            response.headers.append(.contentType, "application/sdp")
            response.body = body
        }
        return response.serialized()
    }

    /// The list every event appends its actions to, emptied after each and kept, as the user agent's core
    /// lends its calls kept lists.
    var actions: [CallAction] = []

    /// One call; records the gateway's answers first when `recording`. Returns the bytes sent.
    func call(seed: UInt64, script: inout Script, recording: Bool) -> Int {
        let now = ContinuousClock.now
        configuration.randomSeed = seed
        var sent = 0
        var lastTimer: CallTimer?
        /// Serializes what the call sends, as the transport would, and empties the list; returns the last
        /// message's bytes.
        func perform() -> [UInt8] {
            defer { actions.removeAll(keepingCapacity: true) }
            var last: [UInt8] = []
            for action in actions {
                switch action {
                case .send(let message):
                    last = message.serialized()
                    sent += last.count
                case .startTimer(let timer, _):
                    if case .transaction(_, let kind) = timer, kind == .k || kind == .d { lastTimer = timer }
                default:
                    break
                }
            }
            return last
        }
        func receive(_ bytes: [UInt8], into call: inout OutboundCall) {
            guard case .response(let response) = try! SIPMessage(parsing: bytes, memo: &memo) else { fatalError("expected a response") }
            call.receive(response, at: now, into: &actions)
            _ = perform()
        }
        var outbound = OutboundCall.start(configuration, at: now, into: &actions)
        let invite = perform()
        if recording {
            script.ringing = reply(to: invite, status: 180, toTag: "uas-\(seed)")
            script.answer = kind == .answered
                ? reply(to: invite, status: 200, toTag: "uas-\(seed)", body: answerSDP)
                : reply(to: invite, status: 486, toTag: "uas-\(seed)")
        }
        receive(script.ringing, into: &outbound)
        receive(script.answer, into: &outbound)
        if kind == .answered {
            outbound.hangUp(at: now, into: &actions)
            let bye = perform()
            if recording { script.byeAnswer = reply(to: bye, status: 200, toTag: "uas-\(seed)") }
            receive(script.byeAnswer, into: &outbound)
        }
        if let lastTimer {
            outbound.timerFired(lastTimer, at: now, into: &actions)
            _ = perform()
        }
        precondition(
            outbound.isFinished && outbound.outcome.classification == (kind == .answered ? .answered : .busy),
            "the scripted call did not complete")
        return sent
    }

    var scripts = [Script](repeating: Script(), count: calls)
    for index in 0..<calls { _ = call(seed: UInt64(index) &+ 1, script: &scripts[index], recording: true) }
    var best = Double.infinity
    var bytes = 0
    for _ in 0..<max(1, rounds) {
        let clock = ContinuousClock.now
        bytes = 0
        for index in 0..<calls { bytes &+= call(seed: UInt64(index) &+ 1, script: &scripts[index], recording: false) }
        best = min(best, seconds(ContinuousClock.now - clock))
    }
    print(kind == .answered
        ? "sip engine: \(calls) answered calls (INVITE, 180, 200+SDP, ACK, BYE, 200, Timer K) without sockets"
        : "sip engine: \(calls) busy calls (INVITE, 180, 486, ACK, Timer D) without sockets")
    print("  \(String(format: "%.1f", best / Double(calls) * 1e6)) µs per call, \(format(Double(calls) / best)) calls/s on one core, \(bytes / calls) bytes sent per call")
    let lookUps = memo.hits + memo.misses
    print("  header memo: \(memo.hits) of \(lookUps) values found (\(lookUps == 0 ? 0 : memo.hits * 100 / lookUps)%)")
}
