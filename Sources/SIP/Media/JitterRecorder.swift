/// Collects the G.711 audio of one RTP stream in arrival order and lays it out in media order: packets
/// are ordered by extended sequence number (RFC 3550 §A.1) and placed by RTP timestamp, duplicates are
/// dropped, and gaps (lost packets, or time spent sending RFC 4733 events instead of audio) become
/// silence. A change of SSRC starts a new segment appended after the previous one (RFC 3550 §8.2).
public struct JitterRecorder: Hashable, Sendable {
    /// One accepted packet.
    private struct Frame: Hashable, Sendable {
        let timestamp: UInt32
        let codec: AudioCodec
        let payload: [UInt8]
    }

    private struct Segment: Hashable, Sendable {
        let ssrc: UInt32
        var highestSequence: Int64
        var frames: [Int64: Frame] = [:]
    }

    /// The longest silence inserted for one gap; a larger timestamp jump is treated as a discontinuity
    /// (e.g. a peer that restarted its clock) and bridged without silence, so a hostile or broken
    /// peer cannot make the recorder allocate unbounded memory.
    public let maximumGap: Int
    /// The most samples kept; packets past the limit are dropped.
    public let maximumSamples: Int

    private var finished: [Segment] = []
    private var current: Segment?
    private var sampleCount = 0

    /// Creates an empty recorder. The defaults allow 10 s gaps and 4 hours of 8 kHz audio.
    public init(maximumGap: Int = 80_000, maximumSamples: Int = 8000 * 3600 * 4) {
        self.maximumGap = maximumGap
        self.maximumSamples = maximumSamples
    }

    /// Whether no audio has been recorded.
    public var isEmpty: Bool { sampleCount == 0 }

    /// Records an audio packet whose payload is `codec`-encoded; returns false when it was dropped as
    /// a duplicate or because the recorder is full.
    @discardableResult
    public mutating func record(_ packet: RTPPacket, codec: AudioCodec) -> Bool {
        guard sampleCount + packet.payload.count <= maximumSamples else { return false }
        if current?.ssrc != packet.ssrc {
            if let current { finished.append(current) }
            current = Segment(ssrc: packet.ssrc, highestSequence: Int64(packet.sequenceNumber))
        }
        guard var segment = current else { return false }
        // RFC 3550 §A.1: extend the 16-bit sequence number by the signed distance from the highest seen,
        // so wrap-around and reordering both land in the right place.
        let distance = Int64(Int16(bitPattern: packet.sequenceNumber &- UInt16(truncatingIfNeeded: segment.highestSequence)))
        let extended = segment.highestSequence + distance
        guard segment.frames[extended] == nil else { return false }
        segment.frames[extended] = Frame(timestamp: packet.timestamp, codec: codec, payload: packet.payload)
        segment.highestSequence = max(segment.highestSequence, extended)
        sampleCount += packet.payload.count
        current = segment
        return true
    }

    /// The recording as 16-bit linear samples.
    public func samples() -> [Int16] {
        var output: [Int16] = []
        output.reserveCapacity(sampleCount)
        for segment in finished + (current.map { [$0] } ?? []) {
            var expectedTimestamp: UInt32?
            for sequence in segment.frames.keys.sorted() {
                guard let frame = segment.frames[sequence] else { continue }
                if let expected = expectedTimestamp {
                    // RFC 3550 §5.1: the timestamp advances by the samples sent, so a forward jump is a gap.
                    let gap = Int(Int32(bitPattern: frame.timestamp &- expected))
                    if gap > 0, gap <= maximumGap {
                        output.append(contentsOf: repeatElement(0, count: gap))
                    }
                }
                output.append(contentsOf: frame.payload.lazy.map(frame.codec.decode))
                expectedTimestamp = frame.timestamp &+ UInt32(frame.payload.count)
            }
        }
        return output
    }
}
