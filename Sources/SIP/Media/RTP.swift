/// Why bytes are not an RTP packet or telephone event.
public enum RTPError: Error, Hashable, Sendable {
    /// Fewer bytes than the fixed header, CSRC list, extension or event payload need.
    case truncated(needed: Int, available: Int)
    /// The version field is not 2 (RFC 3550 §5.1).
    case unsupportedVersion(UInt8)
    /// The padding count exceeds the payload (RFC 3550 §5.1).
    case invalidPadding(UInt8)
}

/// An RTP packet (RFC 3550 §5.1). Header extensions and padding are consumed on parsing and not kept.
public struct RTPPacket: Hashable, Sendable {
    /// The marker bit; RFC 3551 §4.1 sets it on the first packet of a talkspurt.
    public var marker: Bool
    /// The 7-bit payload type.
    public var payloadType: UInt8
    /// The sequence number, wrapping at 65535.
    public var sequenceNumber: UInt16
    /// The media timestamp, wrapping at 2^32.
    public var timestamp: UInt32
    /// The synchronisation source.
    public var ssrc: UInt32
    /// Contributing sources, at most 15.
    public var csrcs: [UInt32]
    /// The payload.
    public var payload: [UInt8]

    /// Creates a packet.
    public init(marker: Bool = false, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32, csrcs: [UInt32] = [], payload: [UInt8]) {
        self.marker = marker
        self.payloadType = payloadType & 0x7F
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = Array(csrcs.prefix(15))
        self.payload = payload
    }

    /// Parses a packet (RFC 3550 §5.1, §5.3.1).
    public init(parsing bytes: some Collection<UInt8>) throws(RTPError) {
        let data = Array(bytes)
        guard data.count >= 12 else { throw .truncated(needed: 12, available: data.count) }
        let version = data[0] >> 6
        guard version == 2 else { throw .unsupportedVersion(version) }
        let hasPadding = data[0] & 0x20 != 0
        let hasExtension = data[0] & 0x10 != 0
        let csrcCount = Int(data[0] & 0x0F)
        var offset = 12 + 4 * csrcCount
        guard data.count >= offset else { throw .truncated(needed: offset, available: data.count) }
        if hasExtension {
            // RFC 3550 §5.3.1: 16-bit profile field, 16-bit length in 32-bit words, then the words.
            guard data.count >= offset + 4 else { throw .truncated(needed: offset + 4, available: data.count) }
            let words = Int(Self.uint16(data, at: offset + 2))
            offset += 4 + 4 * words
            guard data.count >= offset else { throw .truncated(needed: offset, available: data.count) }
        }
        var end = data.count
        if hasPadding {
            // RFC 3550 §5.1: the last octet counts the padding octets, itself included.
            let padding = data[data.count - 1]
            guard padding > 0, Int(padding) <= data.count - offset else { throw .invalidPadding(padding) }
            end -= Int(padding)
        }
        marker = data[1] & 0x80 != 0
        payloadType = data[1] & 0x7F
        sequenceNumber = Self.uint16(data, at: 2)
        timestamp = Self.uint32(data, at: 4)
        ssrc = Self.uint32(data, at: 8)
        csrcs = (0..<csrcCount).map { Self.uint32(data, at: 12 + 4 * $0) }
        payload = Array(data[offset..<end])
    }

    /// The packet on the wire, without padding or extension.
    public func serialized() -> [UInt8] {
        var bytes: [UInt8] = [0x80 | UInt8(csrcs.count), (marker ? 0x80 : 0) | payloadType]
        bytes += [UInt8(sequenceNumber >> 8), UInt8(sequenceNumber & 0xFF)]
        for word in [timestamp, ssrc] + csrcs {
            bytes += [UInt8(word >> 24), UInt8((word >> 16) & 0xFF), UInt8((word >> 8) & 0xFF), UInt8(word & 0xFF)]
        }
        return bytes + payload
    }

    private static func uint16(_ data: [UInt8], at offset: Int) -> UInt16 {
        UInt16(data[offset]) << 8 | UInt16(data[offset + 1])
    }

    private static func uint32(_ data: [UInt8], at offset: Int) -> UInt32 {
        UInt32(uint16(data, at: offset)) << 16 | UInt32(uint16(data, at: offset + 2))
    }
}

/// Numbers outgoing packets of one RTP stream: sequence +1 and timestamp +samples per packet,
/// both wrapping (RFC 3550 §5.1). 20 ms at 8 kHz is 160 samples.
public struct RTPSequencer: Hashable, Sendable {
    /// Our synchronisation source.
    public let ssrc: UInt32
    /// The payload type we send.
    public let payloadType: UInt8
    /// Timestamp increment per packet.
    public let samplesPerPacket: UInt32
    /// The sequence number of the next packet.
    public private(set) var nextSequenceNumber: UInt16
    /// The timestamp of the next packet.
    public private(set) var nextTimestamp: UInt32

    /// Creates a sequencer; RFC 3550 §5.1 asks for random initial sequence number and timestamp.
    public init(ssrc: UInt32, payloadType: UInt8, initialSequenceNumber: UInt16, initialTimestamp: UInt32, samplesPerPacket: UInt32 = 160) {
        self.ssrc = ssrc
        self.payloadType = payloadType
        self.samplesPerPacket = samplesPerPacket
        self.nextSequenceNumber = initialSequenceNumber
        self.nextTimestamp = initialTimestamp
    }

    /// The next packet carrying `payload`.
    public mutating func nextPacket(payload: [UInt8], marker: Bool = false) -> RTPPacket {
        let packet = RTPPacket(
            marker: marker, payloadType: payloadType, sequenceNumber: nextSequenceNumber,
            timestamp: nextTimestamp, ssrc: ssrc, payload: payload)
        nextSequenceNumber &+= 1
        nextTimestamp &+= samplesPerPacket
        return packet
    }
}

/// An RFC 4733 §2.3 telephone-event payload.
public struct TelephoneEvent: Hashable, Sendable {
    /// The event code; 0-9, 10 (`*`), 11 (`#`) and 12-15 (A-D) are DTMF (RFC 4733 §3.2).
    public var event: UInt8
    /// The E bit: the event has ended.
    public var isEnd: Bool
    /// Power level in -dBm0, 0...63.
    public var volume: UInt8
    /// Duration so far, in timestamp units.
    public var duration: UInt16

    /// Creates an event payload.
    public init(event: UInt8, isEnd: Bool, volume: UInt8, duration: UInt16) {
        self.event = event
        self.isEnd = isEnd
        self.volume = volume & 0x3F
        self.duration = duration
    }

    /// Parses the first four payload bytes (RFC 4733 §2.3).
    public init(parsing payload: some Collection<UInt8>) throws(RTPError) {
        let bytes = Array(payload.prefix(4))
        guard bytes.count == 4 else { throw .truncated(needed: 4, available: bytes.count) }
        event = bytes[0]
        isEnd = bytes[1] & 0x80 != 0
        volume = bytes[1] & 0x3F
        duration = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
    }

    /// The payload bytes; the reserved bit is zero.
    public func serialized() -> [UInt8] {
        [event, (isEnd ? 0x80 : 0) | volume, UInt8(duration >> 8), UInt8(duration & 0xFF)]
    }

    /// The DTMF key for events 0-15 (RFC 4733 §3.2 Table 7).
    public var digit: Character? {
        let keys = Array("0123456789*#ABCD")
        return Int(event) < keys.count ? keys[Int(event)] : nil
    }
}

/// Turns a stream of telephone-event packets into key presses, one per event.
///
/// All packets of one event share an RTP timestamp (RFC 4733 §2.5.1.1) and the end packet is sent
/// three times (RFC 4733 §2.5.1.4), so an event is reported at its first end packet, or when a later
/// event starts if every end packet was lost.
public struct TelephoneEventDetector: Hashable, Sendable {
    private struct Pending: Hashable, Sendable {
        let timestamp: UInt32
        let digit: Character
    }

    private var pending: Pending?
    private var lastReportedTimestamp: UInt32?

    /// Creates a detector.
    public init() {}

    /// Feeds one event with its packet's RTP timestamp; returns a key when one completes.
    public mutating func receive(_ event: TelephoneEvent, timestamp: UInt32) -> Character? {
        guard timestamp != lastReportedTimestamp, let digit = event.digit else { return nil }
        if event.isEnd {
            pending = nil
            lastReportedTimestamp = timestamp
            return digit
        }
        guard let previous = pending, previous.timestamp != timestamp else {
            pending = Pending(timestamp: timestamp, digit: digit)
            return nil
        }
        // A new event began before the previous one's end packets arrived: report the previous one.
        pending = Pending(timestamp: timestamp, digit: digit)
        lastReportedTimestamp = previous.timestamp
        return previous.digit
    }
}
