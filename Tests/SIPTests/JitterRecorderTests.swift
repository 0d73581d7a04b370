import SIP
import Testing

@Suite("Jitter recorder")
struct JitterRecorderTests {
    func packet(_ sequence: UInt16, timestamp: UInt32, ssrc: UInt32 = 1, fill: UInt8, count: Int = 160) -> RTPPacket {
        RTPPacket(payloadType: 0, sequenceNumber: sequence, timestamp: timestamp, ssrc: ssrc, payload: Array(repeating: fill, count: count))
    }

    func decoded(_ fill: UInt8, count: Int = 160) -> [Int16] {
        Array(repeating: G711.muLawDecode(fill), count: count)
    }

    @Test("reordered and duplicated packets land in sequence order, once")
    func reorder() {
        var recorder = JitterRecorder()
        let second = recorder.record(packet(11, timestamp: 160, fill: 0x11), codec: .pcmu)
        let first = recorder.record(packet(10, timestamp: 0, fill: 0x10), codec: .pcmu)
        let duplicate = recorder.record(packet(11, timestamp: 160, fill: 0x11), codec: .pcmu)
        let third = recorder.record(packet(12, timestamp: 320, fill: 0x12), codec: .pcmu)
        #expect(first && second && third)
        #expect(!duplicate)
        #expect(recorder.samples() == decoded(0x10) + decoded(0x11) + decoded(0x12))
    }

    @Test("a lost packet becomes silence of its duration; sequence and timestamp wrap")
    func lossAndWrap() {
        var recorder = JitterRecorder()
        recorder.record(packet(65_535, timestamp: UInt32.max - 159, fill: 0x20), codec: .pcmu)
        recorder.record(packet(1, timestamp: 160, fill: 0x22), codec: .pcmu)
        #expect(recorder.samples() == decoded(0x20) + Array(repeating: 0, count: 160) + decoded(0x22))
    }

    @Test("A-law payloads decode as A-law; a new SSRC appends a segment")
    func codecsAndSources() {
        var recorder = JitterRecorder()
        recorder.record(packet(5, timestamp: 1000, ssrc: 1, fill: 0xD5, count: 80), codec: .pcma)
        recorder.record(packet(900, timestamp: 77, ssrc: 2, fill: 0xFF, count: 80), codec: .pcmu)
        #expect(recorder.samples() == Array(repeating: G711.aLawDecode(0xD5), count: 80) + decoded(0xFF, count: 80))
    }

    @Test("gaps beyond the limit are bridged without silence, and the sample limit holds")
    func limits() {
        var recorder = JitterRecorder(maximumGap: 1000, maximumSamples: 320)
        recorder.record(packet(1, timestamp: 0, fill: 0x30), codec: .pcmu)
        recorder.record(packet(2, timestamp: 1_000_000, fill: 0x31), codec: .pcmu)
        let overLimit = recorder.record(packet(3, timestamp: 1_000_160, fill: 0x32), codec: .pcmu)
        #expect(!overLimit)
        #expect(recorder.samples() == decoded(0x30) + decoded(0x31))
        #expect(!recorder.isEmpty)
    }
}
