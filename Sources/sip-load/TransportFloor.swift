import Foundation
import NIOCore
import NIOPosix

/// `sip-load --floor 1`: what the same calls cost with SwiftNIO's UDP and nothing of waihu's SIP stack.
///
/// It paces the same short answered calls (INVITE, 180, 200, ACK, BYE, 200) on one event loop, with the
/// socket options the user agent uses (4 MiB buffers, recvmmsg of 32, one flush per read batch), but
/// writes each request by copying a template and its call number, and reads a response by finding its
/// status code, Call-ID number, CSeq method and To line in the bytes: no parser, transactions, timers,
/// dialogs or retransmissions. What a call costs here is the floor under any SIP stack built on NIO:
/// the system calls, the loopback stack and NIO's channel pipeline (an `AddressedEnvelope` and a
/// `SocketAddress` for every datagram read, a `ByteBuffer` for every one written).
enum TransportFloor {
    struct Report: CustomStringConvertible {
        var planned: Int
        var attempted = 0
        var succeeded = 0
        var elapsed: Double = 0

        var description: String {
            "floor planned=\(planned) attempted=\(attempted) succeeded=\(succeeded) failed=\(attempted - succeeded) "
                + "rate=\(String(format: "%.1f", Double(attempted) / max(elapsed, 0.001))) elapsed=\(String(format: "%.1f", elapsed))"
        }
    }

    static func run(host: String, targetHost: String, targetPort: Int, callsPerSecond: Double, duration: Double,
                    drain: Double) async throws -> Report {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let eventLoop = group.next()
        let remote = try SocketAddress(ipAddress: targetHost, port: targetPort)
        let driver = Driver(planned: Int(callsPerSecond * duration), callsPerSecond: callsPerSecond, remote: remote,
                            host: host, target: "\(targetHost):\(targetPort)")
        let channel = try await DatagramBootstrap(group: eventLoop)
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelOption(.socketOption(.so_sndbuf), value: 4 << 20)
            .channelOption(.datagramVectorReadMessageCount, value: 32)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 32 * 8192))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(driver) }
            }
            .bind(host: host, port: 0)
            .get()
        let report = try await eventLoop.flatSubmit {
            driver.start(channel: channel, drain: drain)
        }.get()
        try await channel.close()
        try await group.shutdownGracefully()
        return report
    }

    /// Confined to its event loop.
    final class Driver: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>

        private let callsPerSecond: Double
        private let remote: SocketAddress
        private let host: String
        private let target: String
        private var report: Report
        private var channel: (any Channel)?
        private var started = NIODeadline.now()
        private var needsFlush = false
        private var finished: EventLoopPromise<Report>?
        private var pacer: RepeatedTask?
        private var localPort = 0
        /// Makes this run's Call-IDs differ from an earlier run's against the same UAS.
        private let runToken = UInt64.random(in: 1...UInt64.max)

        private enum Stage: UInt8 {
            case invited, hungUp, done
        }

        /// Each call's stage, by call number (from 1).
        private var stages: [Stage]

        init(planned: Int, callsPerSecond: Double, remote: SocketAddress, host: String, target: String) {
            self.report = Report(planned: planned)
            self.stages = Array(repeating: .invited, count: planned + 1)
            self.callsPerSecond = callsPerSecond
            self.remote = remote
            self.host = host
            self.target = target
        }

        func start(channel: any Channel, drain: Double) -> EventLoopFuture<Report> {
            self.channel = channel
            localPort = channel.localAddress?.port ?? 0
            started = .now()
            let promise = channel.eventLoop.makePromise(of: Report.self)
            finished = promise
            pacer = channel.eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(1)) { _ in self.pace() }
            let limit = Double(report.planned) / callsPerSecond + drain
            channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(limit * 1e9))) { self.finish() }
            return promise.futureResult
        }

        private func pace() {
            let due = min(report.planned, Int(Double((NIODeadline.now() - started).nanoseconds) / 1e9 * callsPerSecond))
            while report.attempted < due {
                report.attempted += 1
                send(invite, report.attempted)
            }
            if report.attempted == report.planned { pacer?.cancel() }
            flush()
        }

        private func finish() {
            guard let finished else { return }
            self.finished = nil
            pacer?.cancel()
            report.elapsed = Double((NIODeadline.now() - started).nanoseconds) / 1e9
            finished.succeed(report)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let datagram = Self.unwrapInboundIn(data).data
            datagram.withUnsafeReadableBytes { bytes in
                guard bytes.count > 12, bytes.starts(with: "SIP/2.0 ".utf8) else { return }
                let status = bytes[8...10].reduce(0) { $0 * 10 + Int($1) - 48 }
                guard status == 200, let call = Self.number(after: callIDMarker, in: bytes),
                      let cseq = Self.range(after: cseqMarker, in: bytes)
                else { return }
                guard stages.indices.contains(call) else { return }
                if bytes[cseq].contains(UInt8(ascii: "B")) {
                    // A retransmitted 200 to the BYE counts its call once.
                    guard stages[call] == .hungUp else { return }
                    stages[call] = .done
                    report.succeeded += 1
                    if report.succeeded == report.planned { finish() }
                } else if let to = Self.range(after: toMarker, in: bytes) {
                    let toLine = UnsafeRawBufferPointer(rebasing: bytes[to])
                    // RFC 3261 §13.2.2.4: every 200 to the INVITE is ACKed; the call is hung up once.
                    send(ack, call, toLine)
                    guard stages[call] == .invited else { return }
                    stages[call] = .hungUp
                    send(bye, call, toLine)
                }
            }
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            flush()
        }

        /// Writes `template`'s pieces with the call number between them, and `toLine` before the last.
        private func send(_ template: [[UInt8]], _ call: Int, _ toLine: UnsafeRawBufferPointer? = nil) {
            guard let channel else { return }
            var buffer = channel.allocator.buffer(capacity: 640)
            for (position, piece) in template.enumerated() {
                if position > 0 {
                    if position == template.count - 1, let toLine {
                        buffer.writeBytes(toLine)
                    } else {
                        buffer.writeString(String(call))
                    }
                }
                buffer.writeBytes(piece)
            }
            channel.write(AddressedEnvelope(remoteAddress: remote, data: buffer), promise: nil)
            needsFlush = true
        }

        private func flush() {
            guard needsFlush else { return }
            needsFlush = false
            channel?.flush()
        }

        private lazy var invite: [[UInt8]] = {
            let body = "v=0\r\no=- 1 1 IN IP4 \(host)\r\ns=-\r\nc=IN IP4 \(host)\r\nt=0 0\r\nm=audio 9 RTP/AVP 0 8\r\n"
                + "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=ptime:20\r\na=inactive\r\n"
            return Self.pieces("INVITE sip:13800138000@\(target) SIP/2.0\r\n"
                + "Via: SIP/2.0/UDP \(host):\(localPort);branch=z9hG4bKfloor#i;rport\r\nMax-Forwards: 70\r\n"
                + "From: <sip:075512345678@\(host)>;tag=f#\r\nTo: <sip:13800138000@\(target)>\r\n"
                + "Call-ID: floor-#.\(runToken)@\(host)\r\nCSeq: 1 INVITE\r\nContact: <sip:075512345678@\(host):\(localPort)>\r\n"
                + "Allow: ACK, CANCEL, BYE, OPTIONS\r\nContent-Type: application/sdp\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
                + body)
        }()
        private lazy var ack = request("ACK", branch: "a", cseq: 1)
        private lazy var bye = request("BYE", branch: "b", cseq: 2)

        /// A request's text cut at each `#`: the call number goes there, and the To line at the last one.
        private func request(_ method: String, branch: String, cseq: Int) -> [[UInt8]] {
            Self.pieces("\(method) sip:\(target);transport=UDP SIP/2.0\r\n"
                + "Via: SIP/2.0/UDP \(host):\(localPort);branch=z9hG4bKfloor#\(branch);rport\r\nMax-Forwards: 70\r\n"
                + "From: <sip:075512345678@\(host)>;tag=f#\r\nCall-ID: floor-#.\(runToken)@\(host)\r\n"
                + "CSeq: \(cseq) \(method)\r\nContent-Length: 0\r\nTo: #\r\n\r\n")
        }

        private static func pieces(_ text: String) -> [[UInt8]] {
            text.utf8.split(separator: UInt8(ascii: "#"), omittingEmptySubsequences: false).map(Array.init)
        }

        private let callIDMarker = Array("\r\nCall-ID: floor-".utf8)
        private let cseqMarker = Array("\r\nCSeq: ".utf8)
        private let toMarker = Array("\r\nTo: ".utf8)

        /// The bytes after `marker` up to the line's end.
        private static func range(after marker: [UInt8], in bytes: UnsafeRawBufferPointer) -> Range<Int>? {
            guard let first = marker.first, bytes.count > marker.count else { return nil }
            var index = 0
            while index <= bytes.count - marker.count {
                if bytes[index] == first, bytes[index..<index + marker.count].elementsEqual(marker) {
                    let start = index + marker.count
                    var end = start
                    while end < bytes.count, bytes[end] != UInt8(ascii: "\r") { end += 1 }
                    return start..<end
                }
                index += 1
            }
            return nil
        }

        private static func number(after marker: [UInt8], in bytes: UnsafeRawBufferPointer) -> Int? {
            guard let range = range(after: marker, in: bytes) else { return nil }
            var value = 0
            for byte in bytes[range] {
                guard (48...57).contains(byte) else { break }
                value = value * 10 + Int(byte) - 48
            }
            return value
        }
    }
}
