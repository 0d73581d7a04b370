import Foundation
import NIOCore
import SIP
import Testing

@_spi(Testing) import SIPUserAgent

/// Calls against a real sipp UAS. Each test asserts the outcome and the exact message sequence on
/// both sides: sipp's message trace (`<` received by sipp, `>` sent by sipp) and the user agent's
/// (`>` sent by us, `<` received by us).
@Suite("Calls against sipp", .serialized, .timeLimit(.minutes(2)))
struct SippCallTests {
    @Test("answered, we hang up with BYE")
    func answeredCallerHangsUp() async throws {
        let sipp = try await Sipp("answer", variables: ["rtp_port": "9"])
        defer { sipp.terminate() }
        let (result, ours) = try await withUserAgent(trunks: [sipp.trunk("A")]) { agent, trace in
            (try await agent.placeCall(testCall(talk: .stayUp(.milliseconds(300)))), trace.summary)
        }
        #expect(result.outcome == .answered)
        #expect(result.finalStatus == 200)
        #expect(result.trunk == "A")
        #expect(result.attempts.count == 1)
        #expect(result.talkSeconds >= 0.3)
        #expect(result.record.endReason == .localHangup)
        #expect(ours == ["> INVITE", "< 100", "< 180", "< 200", "> ACK", "> BYE", "< 200"])
        #expect(try await sipp.finish() == 0)
        #expect(try sipp.messages() == ["< INVITE", "> 100", "> 180", "> 200", "< ACK", "< BYE", "> 200"])
    }

    @Test("the INVITE presents the caller in From and P-Asserted-Identity with the display name")
    func callerIdentity() async throws {
        let sipp = try await Sipp("answer", variables: ["rtp_port": "9"])
        defer { sipp.terminate() }
        let invite = try await withUserAgent(trunks: [sipp.trunk("A")]) { agent, trace in
            _ = try await agent.placeCall(testCall())
            return trace.firstSent(.invite)
        }
        let request = try #require(invite)
        #expect(request.uri.description == "sip:+8613800138000@127.0.0.1:\(sipp.port)")
        #expect(request.from?.displayName == "Waihu Test")
        #expect(request.from?.uri.description == "sip:075512345678@127.0.0.1")
        let identity = try SIPAddress(parsing: try #require(request.headers["P-Asserted-Identity"]))
        #expect(identity.displayName == "Waihu Test")
        #expect(identity.uri.description == "sip:075512345678@127.0.0.1")
        #expect(try await sipp.finish() == 0)
    }

    @Test("answered, the callee hangs up: we answer its BYE with 200")
    func answeredCalleeHangsUp() async throws {
        let sipp = try await Sipp("callee_bye", variables: ["rtp_port": "9"])
        defer { sipp.terminate() }
        let (result, ours) = try await withUserAgent(trunks: [sipp.trunk()]) { agent, trace in
            (try await agent.placeCall(testCall(talk: .stayUp(.seconds(20)))), trace.summary)
        }
        #expect(result.outcome == .answered)
        #expect(result.record.endReason == .remoteHangup)
        #expect(result.talkSeconds < 10)
        #expect(ours == ["> INVITE", "< 180", "< 200", "> ACK", "< BYE", "> 200"])
        #expect(try await sipp.finish() == 0)
        #expect(try sipp.messages() == ["< INVITE", "> 180", "> 200", "< ACK", "> BYE", "< 200"])
    }

    @Test("183 with SDP starts media before the 200", .timeLimit(.minutes(1)))
    func earlyMedia() async throws {
        let rtp = try await TestUDPSocket()
        defer { Task { await rtp.close() } }
        let sipp = try await Sipp("early_media", variables: ["rtp_port": String(rtp.port)], substitutions: ["EARLY_MS": "1500"])
        defer { sipp.terminate() }
        let path = temporaryPath("wav")
        let tone = sine(frequency: 440, count: 1600)
        let (result, ours, sentBeforeAnswer) = try await withUserAgent(trunks: [sipp.trunk()]) { agent, trace in
            async let call = agent.placeCall(testCall(recordingPath: path))
            try await waitUntil("183") { trace.hasReceived(183) }
            let invite = try #require(trace.firstSent(.invite))
            let port = try #require(mediaPort(in: invite.body))
            for (index, chunk) in G711.muLawEncode(tone).chunked(160).enumerated() {
                let packet = RTPPacket(
                    marker: index == 0, payloadType: 0, sequenceNumber: UInt16(100 + index),
                    timestamp: UInt32(8000 + index * 160), ssrc: 7, payload: chunk)
                try await rtp.send(packet.serialized(), to: port)
            }
            let sentBeforeAnswer = !trace.hasReceived(200)
            return (try await call, trace.summary, sentBeforeAnswer)
        }
        #expect(sentBeforeAnswer)
        #expect(result.outcome == .answered)
        #expect(ours == ["> INVITE", "< 183", "< 200", "> ACK", "> BYE", "< 200"])
        let recording = try WAV.decode(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(recording.samples == G711.muLawDecode(G711.muLawEncode(tone)))
        #expect(try await sipp.finish() == 0)
        #expect(try sipp.messages() == ["< INVITE", "> 183", "> 200", "< ACK", "< BYE", "> 200"])
    }

    @Test(
        "a final failure status is classified and ACKed",
        arguments: [
            (486, "Busy Here", CallOutcome.busy),
            (404, "Not Found", .invalidNumber),
            (480, "Temporarily Unavailable", .noAnswer),
            (603, "Decline", .declined),
        ])
    func rejected(status: Int, reason: String, outcome: CallOutcome) async throws {
        let sipp = try await Sipp("reject", substitutions: ["STATUS": String(status), "REASON": reason])
        defer { sipp.terminate() }
        let (result, ours) = try await withUserAgent(trunks: [sipp.trunk()]) { agent, trace in
            (try await agent.placeCall(testCall()), trace.summary)
        }
        #expect(result.outcome == outcome)
        #expect(result.finalStatus == status)
        #expect(result.attempts.count == 1)
        #expect(ours == ["> INVITE", "< 180", "< \(status)", "> ACK"])
        #expect(try await sipp.finish() == 0)
        #expect(try sipp.messages() == ["< INVITE", "> 180", "> \(status)", "< ACK"])
    }

    @Test("503 on trunk A fails over to trunk B with one outcome and per-trunk attempts")
    func failover() async throws {
        let failing = try await Sipp("reject", substitutions: ["STATUS": "503", "REASON": "Service Unavailable"])
        defer { failing.terminate() }
        let answering = try await Sipp("answer", variables: ["rtp_port": "9"])
        defer { answering.terminate() }
        let trunks = [failing.trunk("A", priority: 0), answering.trunk("B", priority: 1)]
        let (result, ours, statistics) = try await withUserAgent(trunks: trunks) { agent, trace in
            (try await agent.placeCall(testCall()), trace.summary, agent.trunkStatistics())
        }
        #expect(result.outcome == .answered)
        #expect(result.trunk == "B")
        #expect(result.attempts.map(\.trunk) == ["A", "B"])
        #expect(result.attempts.map(\.outcome) == [.trunkFailure, .answered])
        #expect(result.attempts.map(\.finalStatus) == [503, 200])
        #expect(result.attemptsPerTrunk == ["A": 1, "B": 1])
        #expect(Set(result.attempts.map(\.callID)).count == 2)
        #expect(ours == [
            "> INVITE", "< 180", "< 503", "> ACK",
            "> INVITE", "< 100", "< 180", "< 200", "> ACK", "> BYE", "< 200",
        ])
        let a = try #require(statistics.first { $0.name == "A" })
        let b = try #require(statistics.first { $0.name == "B" })
        #expect(a.attempts == 1 && a.failures == 1 && a.consecutiveFailures == 1 && a.lastFailureStatus == 503)
        #expect(a.successRate == 0)
        #expect(b.attempts == 1 && b.successes == 1 && b.successRate == 1 && b.talkSeconds > 0)
        #expect(try await failing.finish() == 0)
        #expect(try await answering.finish() == 0)
        #expect(try failing.messages() == ["< INVITE", "> 180", "> 503", "< ACK"])
        #expect(try answering.messages() == ["< INVITE", "> 100", "> 180", "> 200", "< ACK", "< BYE", "> 200"])
    }

    @Test("Timer B on trunk A fails over to trunk B")
    func timeoutFailover() async throws {
        let silent = try await TestUDPSocket()
        defer { Task { await silent.close() } }
        let answering = try await Sipp("answer", variables: ["rtp_port": "9"])
        defer { answering.terminate() }
        let timers = TransactionTimers(t1: .milliseconds(20), t2: .milliseconds(160), t4: .milliseconds(200), timerD: .milliseconds(200))
        let trunks = [Trunk(name: "A", host: "127.0.0.1", port: silent.port, priority: 0), answering.trunk("B", priority: 1)]
        let result = try await withUserAgent(trunks: trunks, timers: timers) { agent, _ in
            try await agent.placeCall(testCall())
        }
        #expect(result.outcome == .answered)
        #expect(result.attempts.map(\.trunk) == ["A", "B"])
        #expect(result.attempts.first?.record.endReason == .timeout)
        #expect(result.attempts.first?.finalStatus == nil)
        #expect(try await answering.finish() == 0)
    }

    @Test("a call that fails after the answer is never retried on another trunk")
    func answeredIsNotRetried() async throws {
        // The callee answers with a codec we did not offer, so we ACK and hang up (RFC 3261 §13.2.2.4).
        let sipp = try await Sipp("answer", variables: ["rtp_port": "9"], substitutions: ["PT": "18", "CODEC": "G729"])
        defer { sipp.terminate() }
        let spare = try await TestUDPSocket()
        defer { Task { await spare.close() } }
        let trunks = [sipp.trunk("A", priority: 0), Trunk(name: "B", host: "127.0.0.1", port: spare.port, priority: 1)]
        let (result, ours) = try await withUserAgent(trunks: trunks) { agent, trace in
            (try await agent.placeCall(testCall()), trace.summary)
        }
        #expect(result.outcome == .answered)
        #expect(result.record.endReason == .mediaNegotiationFailed)
        #expect(result.attempts.map(\.trunk) == ["A"])
        #expect(ours == ["> INVITE", "< 100", "< 180", "< 200", "> ACK", "> BYE", "< 200"])
        #expect(spare.datagrams.isEmpty)
        #expect(try await sipp.finish() == 0)
    }

    @Test("no answer: CANCEL after the ring timeout, 487 is ACKed")
    func ringTimeoutCancels() async throws {
        let sipp = try await Sipp("no_answer")
        defer { sipp.terminate() }
        let (result, ours) = try await withUserAgent(trunks: [sipp.trunk()]) { agent, trace in
            (try await agent.placeCall(testCall(ringTimeout: .seconds(1))), trace.summary)
        }
        #expect(result.outcome == .noAnswer)
        #expect(result.finalStatus == 487)
        #expect(result.record.endReason == .ringTimeout)
        #expect(result.ringSeconds >= 1)
        #expect(ours == ["> INVITE", "< 100", "< 180", "> CANCEL", "< 200", "< 487", "> ACK"])
        #expect(try await sipp.finish() == 0)
        #expect(try sipp.messages() == ["< INVITE", "> 100", "> 180", "< CANCEL", "> 200", "> 487", "< ACK"])
    }

    @Test("401 digest challenge, retried INVITE with credentials is answered")
    func digestChallenge() async throws {
        let sipp = try await Sipp("digest", variables: ["rtp_port": "9"])
        defer { sipp.terminate() }
        var trunk = sipp.trunk()
        trunk.username = "waihu"
        trunk.password = "s3cret"
        let (result, ours, sent) = try await withUserAgent(trunks: [trunk]) { agent, trace in
            (try await agent.placeCall(testCall()), trace.summary, trace.sent)
        }
        #expect(result.outcome == .answered)
        #expect(ours == ["> INVITE", "< 401", "> ACK", "> INVITE", "< 200", "> ACK", "> BYE", "< 200"])
        let invites = sent.compactMap { message -> SIPRequest? in
            if case .request(let request) = message, request.method == .invite { request } else { nil }
        }
        #expect(invites.count == 2)
        #expect(invites[0].headers[.authorization] == nil)
        #expect(invites[1].headers[.authorization]?.hasPrefix("Digest username=\"waihu\"") == true)
        #expect(invites[1].cseq?.sequenceNumber == 2)
        #expect(try await sipp.finish() == 0)
        #expect(try sipp.messages() == ["< INVITE", "> 401", "< ACK", "< INVITE", "> 200", "< ACK", "< BYE", "> 200"])
    }

    @Test("a retransmitted 200 OK gets the same ACK again")
    func retransmittedOK() async throws {
        // -nr: sipp must not take our repeated ACK for a retransmission and answer it with the 200 again.
        let sipp = try await Sipp("retransmitted_200", variables: ["rtp_port": "9"], extraArguments: ["-nr"])
        defer { sipp.terminate() }
        let (result, ours, sent) = try await withUserAgent(trunks: [sipp.trunk()]) { agent, trace in
            (try await agent.placeCall(testCall(talk: .stayUp(.milliseconds(500)))), trace.summary, trace.sent)
        }
        #expect(result.outcome == .answered)
        #expect(ours == ["> INVITE", "< 180", "< 200", "> ACK", "< 200", "> ACK", "> BYE", "< 200"])
        let acks = sent.filter { message in
            if case .request(let request) = message { request.method == .ack } else { false }
        }
        #expect(acks.count == 2)
        #expect(acks.first?.serialized() == acks.last?.serialized())
        #expect(try await sipp.finish() == 0)
        #expect(try sipp.messages() == ["< INVITE", "> 180", "> 200", "< ACK", "> 200", "< ACK", "< BYE", "> 200"])
    }

    @Test("a trunk that never answers: INVITE retransmitted per Timer A, Timer B gives trunk_failure")
    func timerB() async throws {
        let silent = try await TestUDPSocket()
        defer { Task { await silent.close() } }
        let trunk = Trunk(name: "silent", host: "127.0.0.1", port: silent.port)
        // T1 = 50 ms makes Timer B 3.2 s; the retransmission pattern is the RFC's at 1/10 scale.
        let timers = TransactionTimers(t1: .milliseconds(50), t2: .milliseconds(400), t4: .milliseconds(500), timerD: .milliseconds(500))
        let (result, ours, statistics) = try await withUserAgent(trunks: [trunk], timers: timers) { agent, trace in
            (try await agent.placeCall(testCall()), trace.summary, agent.trunkStatistics())
        }
        #expect(result.outcome == .trunkFailure)
        #expect(result.finalStatus == nil)
        #expect(result.record.endReason == .timeout)
        // RFC 3261 §17.1.1.2: sent at 0, 50, 150, 350, 750, 1550 and 3150 ms; Timer B fires at 3200 ms.
        #expect(ours == Array(repeating: "> INVITE", count: 7))
        let arrivals = silent.datagrams
        #expect(arrivals.count == 7)
        #expect(Set(arrivals.map(\.bytes)).count == 1)
        #expect(statistics.first?.failures == 1)
        #expect(statistics.first?.lastFailureStatus == nil)
    }

    @Test("OPTIONS probe reports status and round trip")
    func probe() async throws {
        let sipp = try await Sipp("options")
        defer { sipp.terminate() }
        let (result, ours) = try await withUserAgent(trunks: [sipp.trunk()]) { agent, trace in
            (await agent.probe(trunk: sipp.trunk()), trace.summary)
        }
        #expect(result.statusCode == 200)
        #expect(result.isReachable)
        #expect((result.roundTripMilliseconds ?? -1) >= 0)
        #expect(ours == ["> OPTIONS", "< 200"])
        #expect(try await sipp.finish() == 0)
        #expect(try sipp.messages() == ["< OPTIONS", "> 200"])
    }

    @Test("OPTIONS probe to a silent trunk times out after Timer F and marks a failure")
    func probeTimeout() async throws {
        let silent = try await TestUDPSocket()
        defer { Task { await silent.close() } }
        let trunk = Trunk(name: "silent", host: "127.0.0.1", port: silent.port)
        let timers = TransactionTimers(t1: .milliseconds(20), t2: .milliseconds(160), t4: .milliseconds(200))
        let (result, statistics) = try await withUserAgent(trunks: [trunk], timers: timers) { agent, _ in
            (await agent.probe(trunk: trunk), agent.trunkStatistics())
        }
        #expect(result.statusCode == nil)
        #expect(!result.isReachable)
        #expect(statistics.first?.consecutiveFailures == 1)
        #expect(silent.datagrams.count > 1)
    }
}

extension Array {
    /// Consecutive slices of `size` elements (the last may be shorter).
    func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
