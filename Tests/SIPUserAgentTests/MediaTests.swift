import Foundation
import SIP
import Testing

@_spi(Testing) import SIPUserAgent

/// RTP against sipp's signalling, with a test UDP socket on the other end of the media.
@Suite("Media", .serialized, .timeLimit(.minutes(1)))
struct MediaTests {
    @Test("the recording holds exactly the streamed audio, despite reordering, a duplicate and sequence wrap")
    func recording() async throws {
        let rtp = try await TestUDPSocket()
        defer { Task { await rtp.close() } }
        let sipp = try await Sipp("answer", variables: ["rtp_port": String(rtp.port)])
        defer { sipp.terminate() }
        let path = temporaryPath("wav")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let streamed = G711.muLawEncode(sine(frequency: 440, count: 8000))
        // Sequence numbers and timestamps wrap inside the stream (RFC 3550 §5.1).
        let packets = streamed.chunked(160).enumerated().map { index, chunk in
            RTPPacket(
                marker: index == 0, payloadType: 0, sequenceNumber: UInt16(truncatingIfNeeded: 65_520 + index),
                timestamp: UInt32.max - 800 &+ UInt32(index * 160), ssrc: 0x5EED, payload: chunk)
        }
        var order = Array(packets.indices)
        for index in stride(from: 3, to: order.count - 1, by: 10) { order.swapAt(index, index + 1) }
        order.insert(20, at: 25)
        let result = try await withUserAgent(trunks: [sipp.trunk()]) { agent, trace in
            async let call = agent.placeCall(testCall(talk: .stayUp(.milliseconds(1500)), recordingPath: path))
            try await waitUntil("200 OK") { trace.hasReceived(200) }
            let invite = try #require(trace.firstSent(.invite))
            let port = try #require(mediaPort(in: invite.body))
            for index in order {
                try await rtp.send(packets[index].serialized(), to: port)
            }
            return try await call
        }
        #expect(result.outcome == .answered)
        #expect(result.recordingPath == path)
        let recording = try WAV.decode(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(recording.encoding == .pcm16)
        #expect(recording.samples == G711.muLawDecode(streamed))
        #expect(try await sipp.finish() == 0)
    }

    @Test(
        "a prompt is sent in real time as 20 ms G.711 packets in the negotiated codec",
        arguments: [("0", "PCMU"), ("8", "PCMA")])
    func prompt(payloadType: String, codec: String) async throws {
        let rtp = try await TestUDPSocket()
        defer { Task { await rtp.close() } }
        let sipp = try await Sipp(
            "answer", variables: ["rtp_port": String(rtp.port)], substitutions: ["PT": payloadType, "CODEC": codec])
        defer { sipp.terminate() }
        // A 16-bit PCM prompt for PCMU, a μ-law prompt for PCMA: both directions of conversion.
        let tone = sine(frequency: 1000, count: 4000)
        let path = temporaryPath("wav")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let promptSamples: [Int16]
        if codec == "PCMU" {
            try Data(WAV.encode(tone)).write(to: URL(fileURLWithPath: path))
            promptSamples = tone
        } else {
            let muLaw = G711.muLawEncode(tone)
            try Data(muLawWAV(muLaw)).write(to: URL(fileURLWithPath: path))
            promptSamples = G711.muLawDecode(muLaw)
        }
        let (result, ours) = try await withUserAgent(trunks: [sipp.trunk()]) { agent, trace in
            (try await agent.placeCall(testCall(talk: .prompt(path: path))), trace.summary)
        }
        #expect(result.outcome == .answered)
        #expect(result.talkSeconds >= 0.5)
        #expect(ours == ["> INVITE", "< 100", "< 180", "< 200", "> ACK", "> BYE", "< 200"])

        let datagrams = rtp.datagrams
        let packets = try datagrams.map { try RTPPacket(parsing: $0.bytes) }
        #expect(packets.count == 25)
        #expect(packets.allSatisfy { $0.payloadType == UInt8(payloadType)! && $0.payload.count == 160 })
        #expect(packets.map(\.marker) == [true] + Array(repeating: false, count: 24))
        #expect(Set(packets.map(\.ssrc)).count == 1)
        for (previous, next) in zip(packets, packets.dropFirst()) {
            #expect(next.sequenceNumber == previous.sequenceNumber &+ 1)
            #expect(next.timestamp == previous.timestamp &+ 160)
        }
        let expected = codec == "PCMU" ? G711.muLawEncode(promptSamples) : G711.aLawEncode(promptSamples)
        #expect(packets.flatMap(\.payload) == expected)
        // 25 packets paced at 20 ms span 480 ms; allow for a loaded machine, but not for a burst.
        let first = try #require(datagrams.first?.at)
        let last = try #require(datagrams.last?.at)
        let span = last - first
        #expect(span >= .milliseconds(440))
        #expect(span < .milliseconds(1500))
        #expect(try await sipp.finish() == 0)
    }

    @Test("RFC 4733 telephone events are reported once per key press")
    func dtmf() async throws {
        let rtp = try await TestUDPSocket()
        defer { Task { await rtp.close() } }
        let sipp = try await Sipp("answer", variables: ["rtp_port": String(rtp.port)])
        defer { sipp.terminate() }
        let result = try await withUserAgent(trunks: [sipp.trunk()]) { agent, trace in
            async let call = agent.placeCall(testCall(talk: .stayUp(.milliseconds(1500))))
            try await waitUntil("200 OK") { trace.hasReceived(200) }
            let invite = try #require(trace.firstSent(.invite))
            let port = try #require(mediaPort(in: invite.body))
            var sequence: UInt16 = 1000
            for (index, event) in [UInt8(5), 11, 5].enumerated() {
                let timestamp = UInt32(16_000 + index * 2400)
                // RFC 4733 §2.5.1: updates with growing duration, then the end packet three times.
                let updates = [(false, 160), (false, 320), (false, 480), (true, 640), (true, 640), (true, 640)]
                for (number, (isEnd, duration)) in updates.enumerated() {
                    let payload = TelephoneEvent(event: event, isEnd: isEnd, volume: 10, duration: UInt16(duration)).serialized()
                    let packet = RTPPacket(
                        marker: number == 0, payloadType: 101, sequenceNumber: sequence, timestamp: timestamp, ssrc: 9,
                        payload: payload)
                    sequence &+= 1
                    try await rtp.send(packet.serialized(), to: port)
                }
            }
            return try await call
        }
        #expect(result.outcome == .answered)
        #expect(result.digits == "5#5")
        #expect(try await sipp.finish() == 0)
    }
}
