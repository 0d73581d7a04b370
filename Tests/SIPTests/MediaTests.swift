import SIP
import Testing

private func fnv1a(_ values: some Sequence<UInt64>) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for value in values {
        hash ^= value
        hash = hash &* 0x0000_0100_0000_01B3
    }
    return hash
}

@Suite("G.711")
struct G711Tests {
    @Test("μ-law known values")
    func muLaw() {
        #expect(G711.muLawDecode(0xFF) == 0)
        #expect(G711.muLawDecode(0x7F) == 0)
        #expect(G711.muLawDecode(0x00) == -32124)
        #expect(G711.muLawDecode(0x80) == 32124)
        #expect(G711.muLawDecode(0x3C) == -2364)
        #expect(G711.muLawEncode(0) == 0xFF)
        #expect(G711.muLawEncode(-32124) == 0x00)
        #expect(G711.muLawEncode(Int16.min) == 0x00)
        #expect(G711.muLawEncode(Int16.max) == 0x80)
        #expect(G711.muLawEncode(1000) == 0xCE)
        #expect(G711.muLawEncode(-1000) == 0x4E)
        #expect(G711.muLawEncode(-1) == 0x7E)
    }

    @Test("A-law known values")
    func aLaw() {
        #expect(G711.aLawDecode(0xD5) == 8)
        #expect(G711.aLawDecode(0x55) == -8)
        #expect(G711.aLawDecode(0xAA) == 32256)
        #expect(G711.aLawDecode(0x2A) == -32256)
        #expect(G711.aLawDecode(0x3C) == -13056)
        #expect(G711.aLawEncode(0) == 0xD5)
        #expect(G711.aLawEncode(8) == 0xD5)
        #expect(G711.aLawEncode(-8) == 0x55)
        #expect(G711.aLawEncode(1000) == 0xFA)
        #expect(G711.aLawEncode(4096) == 0x85)
        #expect(G711.aLawEncode(Int16.min) == 0x2A)
    }

    @Test("the full tables match the CCITT reference (FNV-1a over all 65536 inputs and 256 codes)")
    func fullTables() {
        let inputs = (Int(Int16.min)...Int(Int16.max)).map { Int16($0) }
        #expect(fnv1a(inputs.map { UInt64(G711.muLawEncode($0)) }) == 0xd5ee_23f7_d0ff_ae91)
        #expect(fnv1a(inputs.map { UInt64(G711.aLawEncode($0)) }) == 0xf030_666e_b780_cf25)
        #expect(fnv1a((0...255).map { UInt64(UInt16(bitPattern: G711.muLawDecode(UInt8($0)))) }) == 0x1352_aaac_6f40_fa25)
        #expect(fnv1a((0...255).map { UInt64(UInt16(bitPattern: G711.aLawDecode(UInt8($0)))) }) == 0xde66_ba53_ed03_9225)
    }

    @Test("decode then encode returns the code for every byte except the duplicate zeros")
    func codeRoundTrip() {
        for code in UInt8.min...UInt8.max {
            let muLaw = G711.muLawEncode(G711.muLawDecode(code))
            #expect(muLaw == code || (code == 0x7F && muLaw == 0xFF))
            #expect(G711.aLawEncode(G711.aLawDecode(code)) == code)
        }
        #expect(G711.muLawDecode(G711.muLawEncode([0, 100, -100])) == [0, 100, -100].map { G711.muLawDecode(G711.muLawEncode(Int16($0))) })
        #expect(G711.aLawDecode(G711.aLawEncode([1000])) == [1008])
    }
}

@Suite("RTP (RFC 3550) and telephone events (RFC 4733)")
struct RTPTests {
    @Test("header fields parse and serialize")
    func packetRoundTrip() throws {
        let packet = RTPPacket(marker: true, payloadType: 8, sequenceNumber: 0xBEEF, timestamp: 0xDEAD_BEEF, ssrc: 0x1234_5678, csrcs: [7], payload: [1, 2, 3])
        let bytes = packet.serialized()
        #expect(bytes.prefix(12) == [0x81, 0x88, 0xBE, 0xEF, 0xDE, 0xAD, 0xBE, 0xEF, 0x12, 0x34, 0x56, 0x78])
        #expect(bytes.count == 12 + 4 + 3)
        #expect(try RTPPacket(parsing: bytes) == packet)
    }

    @Test("padding and header extensions are consumed")
    func paddingAndExtension() throws {
        let bytes: [UInt8] = [0xB0, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xBE, 0xDE, 0, 1, 9, 9, 9, 9, 0xAA, 0xBB, 0, 0, 3]
        let packet = try RTPPacket(parsing: bytes)
        #expect(packet.payload == [0xAA, 0xBB])
        #expect(packet.sequenceNumber == 1)
        #expect(packet.timestamp == 2)
        #expect(packet.ssrc == 3)
    }

    @Test("malformed packets give typed errors")
    func errors() {
        #expect(throws: RTPError.truncated(needed: 12, available: 3)) { try RTPPacket(parsing: [0x80, 0, 0]) }
        #expect(throws: RTPError.unsupportedVersion(1)) { try RTPPacket(parsing: [UInt8](repeating: 0x40, count: 12)) }
        #expect(throws: RTPError.truncated(needed: 16, available: 12)) { try RTPPacket(parsing: [0x81] + [UInt8](repeating: 0, count: 11)) }
        #expect(throws: RTPError.invalidPadding(9)) { try RTPPacket(parsing: [0xA0] + [UInt8](repeating: 0, count: 11) + [9]) }
        #expect(throws: RTPError.invalidPadding(0)) { try RTPPacket(parsing: [0xA0] + [UInt8](repeating: 0, count: 12)) }
    }

    @Test("sequence wraps at 65535 and timestamps advance 160 per 20 ms packet, wrapping at 2^32")
    func sequencer() {
        var sequencer = RTPSequencer(ssrc: 42, payloadType: 0, initialSequenceNumber: 65534, initialTimestamp: UInt32.max - 200)
        let packets = (0..<4).map { sequencer.nextPacket(payload: [UInt8](repeating: 0xFF, count: 160), marker: $0 == 0) }
        #expect(packets.map(\.sequenceNumber) == [65534, 65535, 0, 1])
        #expect(packets.map(\.timestamp) == [UInt32.max - 200, UInt32.max - 40, 119, 279])
        #expect(packets.map(\.marker) == [true, false, false, false])
        #expect(sequencer.nextSequenceNumber == 2)
    }

    @Test("telephone-event payload fields (RFC 4733 §2.3)")
    func telephoneEvent() throws {
        let event = try TelephoneEvent(parsing: [11, 0x8A, 0x03, 0x20])
        #expect(event == TelephoneEvent(event: 11, isEnd: true, volume: 10, duration: 800))
        #expect(event.digit == "#")
        #expect(event.serialized() == [11, 0x8A, 0x03, 0x20])
        #expect(TelephoneEvent(event: 16, isEnd: false, volume: 0, duration: 0).digit == nil)
        #expect(throws: RTPError.truncated(needed: 4, available: 2)) { try TelephoneEvent(parsing: [1, 2]) }
    }

    @Test("each key is reported once despite the three end packets")
    func detector() {
        var detector = TelephoneEventDetector()
        var keys: [Character] = []
        func feed(_ event: UInt8, end: Bool, duration: UInt16, timestamp: UInt32) {
            if let key = detector.receive(TelephoneEvent(event: event, isEnd: end, volume: 10, duration: duration), timestamp: timestamp) {
                keys.append(key)
            }
        }
        for duration in stride(from: UInt16(160), through: 800, by: 160) { feed(5, end: false, duration: duration, timestamp: 1000) }
        for _ in 0..<3 { feed(5, end: true, duration: 960, timestamp: 1000) }
        for _ in 0..<3 { feed(10, end: true, duration: 480, timestamp: 4000) }
        feed(5, end: false, duration: 160, timestamp: 9000)
        feed(1, end: false, duration: 160, timestamp: 12000)
        for _ in 0..<3 { feed(1, end: true, duration: 400, timestamp: 12000) }
        #expect(keys == ["5", "*", "5", "1"])
    }
}

@Suite("WAV")
struct WAVTests {
    @Test("PCM 16-bit mono 8 kHz round trip")
    func roundTrip() throws {
        let samples: [Int16] = [0, 1, -1, 32767, -32768, 1234]
        let bytes = WAV.encode(samples)
        #expect(bytes.count == 44 + 12)
        #expect(Array(bytes.prefix(4)) == Array("RIFF".utf8))
        #expect(bytes[22] == 1 && bytes[24] == 0x40 && bytes[25] == 0x1F)
        #expect(try WAV.decode(bytes) == WAVAudio(encoding: .pcm16, samples: samples))
    }

    private func header(format: UInt16, channels: UInt16 = 1, rate: UInt32 = 8000, bits: UInt16, data: [UInt8], extraChunk: [UInt8] = []) -> [UInt8] {
        func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func le32(_ v: UInt32) -> [UInt8] { le16(UInt16(v & 0xFFFF)) + le16(UInt16(v >> 16)) }
        let fmt = le16(format) + le16(channels) + le32(rate) + le32(rate * UInt32(bits / 8)) + le16(bits / 8) + le16(bits)
        let body = Array("WAVE".utf8) + Array("fmt ".utf8) + le32(16) + fmt + extraChunk + Array("data".utf8) + le32(UInt32(data.count)) + data
        return Array("RIFF".utf8) + le32(UInt32(body.count)) + body
    }

    @Test("G.711 WAV files (format 6 and 7) decode, skipping unknown chunks")
    func g711() throws {
        let list = Array("LIST".utf8) + [3, 0, 0, 0, 1, 2, 3, 0]
        let alaw = try WAV.decode(header(format: 6, bits: 8, data: [0xD5, 0xAA], extraChunk: list))
        #expect(alaw == WAVAudio(encoding: .aLaw, samples: [8, 32256]))
        let mulaw = try WAV.decode(header(format: 7, bits: 8, data: [0xFF, 0x00]))
        #expect(mulaw == WAVAudio(encoding: .muLaw, samples: [0, -32124]))
    }

    @Test("unsupported formats are typed errors")
    func unsupported() {
        #expect(throws: WAVError.unsupportedChannelCount(2)) { try WAV.decode(header(format: 1, channels: 2, bits: 16, data: [])) }
        #expect(throws: WAVError.unsupportedSampleRate(16000)) { try WAV.decode(header(format: 1, rate: 16000, bits: 16, data: [])) }
        #expect(throws: WAVError.unsupportedFormat(3)) { try WAV.decode(header(format: 3, bits: 32, data: [])) }
        #expect(throws: WAVError.unsupportedBitsPerSample(8)) { try WAV.decode(header(format: 1, bits: 8, data: [])) }
        #expect(throws: WAVError.notRIFF) { try WAV.decode(Array("RIFX0000WAVE".utf8)) }
        #expect(throws: WAVError.notWAVE) { try WAV.decode(Array("RIFF0000AVI ".utf8)) }
        #expect(throws: WAVError.missingChunk("data")) { try WAV.decode(Array(header(format: 1, bits: 16, data: []).prefix(36))) }
        var truncated = header(format: 1, bits: 16, data: [1, 2, 3, 4])
        truncated.removeLast(2)
        #expect(throws: WAVError.truncated("data")) { try WAV.decode(truncated) }
    }
}

@Suite("Call outcome classification")
struct CallOutcomeTests {
    @Test("the table", arguments: [
        (200, false, CallOutcome.answered), (486, false, .busy), (600, false, .busy),
        (404, false, .invalidNumber), (484, false, .invalidNumber), (604, false, .invalidNumber),
        (480, false, .noAnswer), (408, false, .noAnswer), (487, true, .noAnswer), (487, false, .trunkFailure),
        (603, false, .declined), (607, false, .declined), (608, false, .declined),
        (500, false, .trunkFailure), (503, false, .trunkFailure), (504, false, .trunkFailure), (403, false, .trunkFailure),
    ])
    func table(status: Int, cancelledByUs: Bool, expected: CallOutcome) {
        #expect(CallOutcome(finalStatus: status, cancelledByUs: cancelledByUs) == expected)
    }

    @Test("raw values and fail-over")
    func rawValues() {
        #expect(CallOutcome.allCases.map(\.rawValue) == ["answered", "busy", "invalid_number", "no_answer", "declined", "trunk_failure"])
        #expect(CallOutcome.allCases.filter(\.failsOver) == [.trunkFailure])
    }
}
