import Foundation
import Logging
import NIOCore
import SIP
import ServiceLifecycle
import Testing

@_spi(Testing) import SIPUserAgent

@Suite("User agent lifecycle and robustness", .serialized, .timeLimit(.minutes(1)))
struct LifecycleTests {
    @Test("graceful shutdown hangs up: BYE for the answered call, CANCEL for the ringing one; new calls are refused")
    func gracefulShutdown() async throws {
        let answering = try await Sipp("answer", variables: ["rtp_port": "9"])
        defer { answering.terminate() }
        let ringing = try await Sipp("no_answer")
        defer { ringing.terminate() }
        let (agent, trace) = makeAgent(trunks: [answering.trunk("A"), ringing.trunk("R")])
        let group = ServiceGroup(services: [agent], logger: testLogger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            _ = try await agent.boundPort()
            async let answered = agent.placeCall(testCall(route: .trunks(["A"]), talk: .stayUp(.seconds(60))))
            async let unanswered = agent.placeCall(testCall(route: .trunks(["R"]), ringTimeout: .seconds(60)))
            try await waitUntil("both calls in progress") {
                trace.hasReceived(200) && trace.summary.filter { $0 == "< 180" }.count == 2
            }
            await group.triggerGracefulShutdown()
            let (a, r) = try await (answered, unanswered)
            #expect(a.outcome == .answered)
            #expect(a.record.endReason == .localHangup)
            #expect(trace.summary(callID: a.attempts[0].callID) == ["> INVITE", "< 100", "< 180", "< 200", "> ACK", "> BYE", "< 200"])
            #expect(r.outcome == .noAnswer)
            #expect(r.finalStatus == 487)
            #expect(trace.summary(callID: r.attempts[0].callID) == ["> INVITE", "< 100", "< 180", "> CANCEL", "< 200", "< 487", "> ACK"])
            await #expect {
                _ = try await agent.placeCall(testCall(route: .trunks(["A"])))
            } throws: { error in
                [.shuttingDown, .notRunning].contains(error as? SIPUserAgentError)
            }
            try await tasks.waitForAll()
        }
        #expect(try await answering.finish() == 0)
        #expect(try await ringing.finish() == 0)
    }

    @Test("garbage datagrams are counted and dropped; stray requests are answered; calls still work")
    func garbage() async throws {
        let sipp = try await Sipp("answer", variables: ["rtp_port": "9"])
        defer { sipp.terminate() }
        let peer = try await TestUDPSocket()
        defer { Task { await peer.close() } }
        let (result, statistics, strayAnswers) = try await withUserAgent(trunks: [sipp.trunk()]) { agent, _ in
            let port = try await agent.boundPort()
            try await peer.send([0xFF, 0x00, 0x13, 0x37], to: port)
            try await peer.send(Array("INVITE sip:x SIP/2.0\r\nVia: nonsense\r\n\r\n".utf8), to: port)
            let strayResponse = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKstray\r\nFrom: <sip:a@b>;tag=1\r\n"
                + "To: <sip:c@d>;tag=2\r\nCall-ID: nobody@here\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
            try await peer.send(Array(strayResponse.utf8), to: port)
            let options = "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:\(peer.port);branch=z9hG4bKping\r\n"
                + "Max-Forwards: 70\r\nFrom: <sip:monitor@127.0.0.1>;tag=9\r\nTo: <sip:127.0.0.1>\r\nCall-ID: ping@127.0.0.1\r\n"
                + "CSeq: 7 OPTIONS\r\nContent-Length: 0\r\n\r\n"
            try await peer.send(Array(options.utf8), to: port)
            try await waitUntil("the OPTIONS answer") { !peer.datagrams.isEmpty }
            let result = try await agent.placeCall(testCall())
            return (result, await agent.transportStatistics(), peer.datagrams)
        }
        #expect(statistics.unparseable == 2)
        #expect(statistics.unmatched == 1)
        #expect(result.outcome == .answered)
        let answer = try SIPMessage(parsing: try #require(strayAnswers.first).bytes)
        guard case .response(let response) = answer else {
            Issue.record("expected a response to the OPTIONS")
            return
        }
        #expect(response.statusCode == 200)
        #expect(response.cseq == CSeq(7, .options))
        #expect(try await sipp.finish() == 0)
    }

    @Test("a caller outside a trunk's ranges skips that trunk")
    func callerRanges() async throws {
        let sipp = try await Sipp("answer", variables: ["rtp_port": "9"])
        defer { sipp.terminate() }
        var shenzhenOnly = Trunk(name: "other-city", host: "127.0.0.1", port: 9, priority: 0)
        shenzhenOnly.callerNumberRanges = ["0999"]
        var local = sipp.trunk("local", priority: 1)
        local.callerNumberRanges = ["0755", "+86755"]
        let (result, statistics) = try await withUserAgent(trunks: [shenzhenOnly, local]) { agent, _ in
            (try await agent.placeCall(testCall()), agent.trunkStatistics())
        }
        #expect(result.outcome == .answered)
        #expect(result.attempts.map(\.trunk) == ["local"])
        #expect(statistics.first { $0.name == "other-city" }?.attempts == 0)
        #expect(try await sipp.finish() == 0)
    }

    @Test("requests the product forbids fail with typed errors")
    func typedErrors() async throws {
        var production = SIPUserAgent.Configuration(host: "127.0.0.1", port: 0)
        production.trunks = [Trunk(name: "A", host: "127.0.0.1", port: 9, callerNumberRanges: ["0999"])]
        let agent = SIPUserAgent(configuration: production, logger: testLogger)
        await #expect(throws: SIPUserAgentError.ringTimeoutTooShort(requested: .seconds(10), minimum: .seconds(15))) {
            _ = try await agent.placeCall(testCall(ringTimeout: .seconds(10)))
        }
        await #expect(throws: SIPUserAgentError.invalidCallee("138-0013")) {
            var request = testCall()
            request.callee = "138-0013"
            _ = try await agent.placeCall(request)
        }
        await #expect(throws: SIPUserAgentError.mediaRequired) {
            _ = try await agent.placeCall(testCall(talk: .prompt(path: "/nonexistent.wav"), media: .signallingOnly))
        }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await agent.run() }
            _ = try await agent.boundPort()
            await #expect(throws: SIPUserAgentError.noTrunkForCaller("075512345678")) {
                _ = try await agent.placeCall(testCall())
            }
            await #expect(throws: SIPUserAgentError.unknownTrunk("Z")) {
                _ = try await agent.placeCall(testCall(route: .trunks(["Z"])))
            }
            await #expect(throws: SIPUserAgentError.self) {
                _ = try await agent.placeCall(testCall(talk: .prompt(path: "/nonexistent.wav")))
            }
            await #expect(throws: SIPUserAgentError.alreadyStarted) {
                try await agent.run()
            }
            tasks.cancelAll()
        }
    }
}
