import Logging
import NIOCore
import NIOPosix
import SIP

/// What a call's media produced.
struct MediaReport: Sendable {
    /// RFC 4733 digits received, in order.
    var digits: String
    /// The received audio, when recording was asked for.
    var recording: [Int16]?
}

/// One call's RTP socket (RFC 3550): one UDP socket per call, bound to an even ephemeral port
/// (RFC 3550 §11), so streams are told apart by port and no SSRC demultiplexing is needed.
///
/// It receives from the moment it is bound, so early media (RFC 3261 §13.2.1, a 183 with SDP) is
/// recorded before the answer; it sends only a prompt, to the address and port of the answer's SDP
/// (no symmetric RTP). All mutable state is confined to `eventLoop`; public entry points hop onto it.
final class MediaSession: @unchecked Sendable {
    private struct Playback {
        var payloads: [[UInt8]]
        var next: Int
        let start: NIODeadline
        var sequencer: RTPSequencer
        let onFinished: @Sendable () -> Void
    }

    /// The bound RTP port, offered in the SDP.
    let port: Int
    let eventLoop: any EventLoop
    private let channel: any Channel
    private let logger: Logger
    private let offeredEventPayloadType: UInt8
    private var audio: NegotiatedAudio?
    private var remote: SocketAddress?
    private var recorder: JitterRecorder?
    private var detector = TelephoneEventDetector()
    private var digits = ""
    private var playback: Playback?
    private var invalidPackets = 0

    /// RFC 3551 §4.2: G.711 in 20 ms packets is 160 samples at 8 kHz.
    static let packetDuration = TimeAmount.milliseconds(20)
    static let samplesPerPacket = 160

    private init(channel: any Channel, port: Int, recording: Bool, offeredEventPayloadType: UInt8, logger: Logger) {
        self.channel = channel
        self.eventLoop = channel.eventLoop
        self.port = port
        self.logger = logger
        self.offeredEventPayloadType = offeredEventPayloadType
        self.recorder = recording ? JitterRecorder() : nil
    }

    /// Binds an RTP socket on `host` at an even ephemeral port.
    static func open(
        on eventLoop: any EventLoop, host: String, recording: Bool, offeredEventPayloadType: UInt8, logger: Logger
    ) async throws(SIPUserAgentError) -> MediaSession {
        var odd: [any Channel] = []
        defer { for channel in odd { channel.close(promise: nil) } }
        // RFC 3550 §11: RTP SHOULD use an even port; hold odd ones until an even one turns up.
        for _ in 0..<16 {
            let box = SessionBox()
            let channel: any Channel
            do {
                channel = try await DatagramBootstrap(group: eventLoop)
                    .channelOption(.socketOption(.so_reuseaddr), value: 1)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(RTPHandler(box: box))
                        }
                    }
                    .bind(host: host, port: 0)
                    .get()
            } catch {
                throw .mediaBindFailed("\(host): \(error)")
            }
            guard let port = channel.localAddress?.port else {
                channel.close(promise: nil)
                throw .mediaBindFailed("\(host): no local port")
            }
            if port % 2 == 1 {
                odd.append(channel)
                continue
            }
            let session = MediaSession(
                channel: channel, port: port, recording: recording,
                offeredEventPayloadType: offeredEventPayloadType, logger: logger)
            try? await eventLoop.submit { box.session = session }.get()
            return session
        }
        throw .mediaBindFailed("\(host): no even port after 16 tries")
    }

    /// The answer (or early media) changed where and how to send.
    func remoteChanged(_ audio: NegotiatedAudio) {
        eventLoop.execute {
            self.audio = audio
            self.remote = try? SocketAddress(ipAddress: audio.address, port: audio.port)
            if self.remote == nil {
                self.logger.warning("SDP connection address is not an IP address; not sending RTP", metadata: ["address": "\(audio.address)"])
            }
        }
    }

    /// Plays `samples` in the negotiated codec, one 20 ms packet every 20 ms from now, each sent at
    /// its own deadline from the start so that timing errors never accumulate; `onFinished` runs once
    /// the last packet's audio has played out.
    func play(_ samples: [Int16], with audio: NegotiatedAudio, onFinished: @escaping @Sendable () -> Void) {
        eventLoop.execute {
            self.audio = audio
            self.remote = try? SocketAddress(ipAddress: audio.address, port: audio.port)
            var padded = samples
            let remainder = padded.count % Self.samplesPerPacket
            if remainder != 0 || padded.isEmpty {
                padded += repeatElement(0, count: Self.samplesPerPacket - remainder)
            }
            let encoded = audio.codec.encode(padded)
            let payloads = stride(from: 0, to: encoded.count, by: Self.samplesPerPacket).map {
                Array(encoded[$0..<($0 + Self.samplesPerPacket)])
            }
            var random = SystemRandomNumberGenerator()
            // RFC 3550 §5.1: random initial sequence number, timestamp and SSRC.
            let sequencer = RTPSequencer(
                ssrc: random.next(), payloadType: audio.payloadType,
                initialSequenceNumber: random.next(), initialTimestamp: random.next(),
                samplesPerPacket: UInt32(Self.samplesPerPacket))
            self.playback = Playback(payloads: payloads, next: 0, start: .now(), sequencer: sequencer, onFinished: onFinished)
            self.sendDuePackets()
        }
    }

    /// Stops any prompt (the call ended).
    func stopSending() {
        eventLoop.execute {
            self.playback = nil
        }
    }

    /// Closes the socket and returns the digits and recording.
    func close() async -> MediaReport {
        let report = try? await eventLoop.submit { () -> MediaReport in
            self.playback = nil
            if self.invalidPackets > 0 {
                self.logger.debug("dropped invalid RTP packets", metadata: ["count": "\(self.invalidPackets)"])
            }
            return MediaReport(digits: self.digits, recording: self.recorder?.samples())
        }.get()
        try? await channel.close()
        return report ?? MediaReport(digits: "", recording: nil)
    }

    private func sendDuePackets() {
        guard var playback else { return }
        let now = NIODeadline.now()
        while playback.next < playback.payloads.count,
              playback.start + Self.packetDuration * Int64(playback.next) <= now {
            // RFC 3551 §4.1: the marker bit starts the talkspurt.
            let packet = playback.sequencer.nextPacket(payload: playback.payloads[playback.next], marker: playback.next == 0)
            if let remote {
                let bytes = packet.serialized()
                var buffer = channel.allocator.buffer(capacity: bytes.count)
                buffer.writeBytes(bytes)
                channel.write(AddressedEnvelope(remoteAddress: remote, data: buffer), promise: nil)
            }
            playback.next += 1
        }
        channel.flush()
        let nextDeadline = playback.start + Self.packetDuration * Int64(playback.next)
        self.playback = playback
        let sequenceAtSchedule = playback.sequencer.nextSequenceNumber
        eventLoop.scheduleTask(deadline: nextDeadline) {
            // A stopped or replaced playback is not ours to continue.
            guard let current = self.playback, current.sequencer.nextSequenceNumber == sequenceAtSchedule else { return }
            if current.next == current.payloads.count {
                self.playback = nil
                current.onFinished()
            } else {
                self.sendDuePackets()
            }
        }
    }

    fileprivate func receive(_ buffer: ByteBuffer) {
        guard let packet = try? RTPPacket(parsing: buffer.readableBytesView) else {
            invalidPackets += 1
            return
        }
        let eventPayloadType = audio?.telephoneEventPayloadType ?? offeredEventPayloadType
        if packet.payloadType == eventPayloadType {
            // RFC 4733 §2.5.1: one report per event, whatever the number of packets.
            if let event = try? TelephoneEvent(parsing: packet.payload),
               let digit = detector.receive(event, timestamp: packet.timestamp) {
                digits.append(digit)
                logger.debug("DTMF", metadata: ["digit": "\(digit)"])
            }
            return
        }
        guard recorder != nil else { return }
        let negotiated = audio.flatMap { $0.payloadType == packet.payloadType ? $0.codec : nil }
        guard let codec = negotiated ?? AudioCodec(staticPayloadType: packet.payloadType) else { return }
        recorder?.record(packet, codec: codec)
    }
}

/// Lets the channel handler, created before the session, reach it. Loop-confined.
private final class SessionBox: @unchecked Sendable {
    var session: MediaSession?
}

private final class RTPHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let box: SessionBox

    init(box: SessionBox) {
        self.box = box
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        box.session?.receive(Self.unwrapInboundIn(data).data)
    }
}
