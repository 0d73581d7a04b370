import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SIP
import Testing

@_spi(Testing) import SIPUserAgent

#if canImport(Glibc)
import Glibc
#endif

enum TestError: Error, CustomStringConvertible {
    case sippMissing(String)
    case scenarioMissing(String)
    case sippNotReady(port: Int)
    case sippExitedAtStart(String, status: Int32, attempts: Int, directory: String)
    case sippTimedOut(String)
    case timedOut(String)

    var description: String {
        switch self {
        case .sippMissing(let path): "sipp is not at \(path); install it (apt-get install sip-tester) or set SIPP to its path"
        case .scenarioMissing(let name): "scenario \(name).xml is not in the test bundle"
        case .sippNotReady(let port): "sipp did not bind 127.0.0.1:\(port)"
        case .sippExitedAtStart(let scenario, let status, let attempts, let directory):
            "sipp \(scenario) exited with status \(status) before binding its port, \(attempts) times; its error log is in \(directory)"
        case .sippTimedOut(let scenario): "sipp \(scenario) did not finish in time"
        case .timedOut(let what): "timed out waiting for \(what)"
        }
    }
}

/// A UDP port the kernel just handed out, so a subprocess can bind it.
func freeUDPPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// `scripts/wait-udp-bind`, which the benchmark and the test script use too.
private let waitUDPBindScript = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("scripts/wait-udp-bind")

/// Waits until process `pid` has its own socket bound to UDP `port` (`scripts/wait-udp-bind`: a socket
/// another process bound to the port, between `freeUDPPort()` and the child's bind, does not count).
/// False when the process exits first or `seconds` pass.
func waitForUDPBind(pid: Int32, port: Int, seconds: Double) async throws -> Bool {
    let script = Process()
    script.executableURL = waitUDPBindScript
    script.arguments = [String(pid), String(port), String(seconds)]
    return try await withCheckedThrowingContinuation { continuation in
        script.terminationHandler = { continuation.resume(returning: $0.terminationStatus == 0) }
        do {
            try script.run()
        } catch {
            continuation.resume(throwing: error)
        }
    }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes.
func waitUntil(_ what: String, timeout: Duration = .seconds(20), _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { throw TestError.timedOut(what) }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// A sipp instance playing one scenario as a UAS on 127.0.0.1 for a single call.
final class Sipp: Sendable {
    let scenario: String
    let port: Int
    let messageFile: URL
    private let directory: URL
    private let process: Process
    private let exitCode: NIOLockedValueBox<Int32?>

    /// Starts sipp and waits until it has bound its port. `variables` become `-set` globals;
    /// `substitutions` replace `@NAME@` placeholders where sipp takes no variable (status lines, pauses).
    init(
        _ scenario: String, variables: [String: String] = [:], substitutions: [String: String] = [:],
        extraArguments: [String] = [], calls: Int = 1
    ) async throws {
        let executable = ProcessInfo.processInfo.environment["SIPP"] ?? "/usr/bin/sipp"
        guard FileManager.default.isExecutableFile(atPath: executable) else { throw TestError.sippMissing(executable) }
        guard let url = Bundle.module.url(forResource: scenario, withExtension: "xml", subdirectory: "Scenarios") else {
            throw TestError.scenarioMissing(scenario)
        }
        self.scenario = scenario
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sipp-\(UUID().uuidString)")
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        messageFile = directory.appendingPathComponent("messages.log")
        var text = try String(contentsOf: url, encoding: .utf8)
        // answer.xml answers with PCMU unless a test asks for another codec.
        for (name, value) in substitutions.merging(["PT": "0", "CODEC": "PCMU"], uniquingKeysWith: { given, _ in given }) {
            text = text.replacingOccurrences(of: "@\(name)@", with: value)
        }
        let rendered = directory.appendingPathComponent("\(scenario).xml")
        try text.write(to: rendered, atomically: true, encoding: .utf8)
        var arguments = [
            "-sf", rendered.path, "-i", "127.0.0.1",
            "-m", String(calls), "-nostdin", "-trace_msg", "-message_file", messageFile.path,
            "-trace_err", "-error_file", directory.appendingPathComponent("errors.log").path,
            // A bound on the whole run, so a sipp left behind by a crashed test still exits.
            "-timeout", "60", "-timeout_error",
        ]
        for (name, value) in variables.sorted(by: { $0.key < $1.key }) {
            arguments += ["-set", name, value]
        }
        arguments += extraArguments
        // Another test's socket can take a port between `freeUDPPort()` and sipp's bind; sipp then exits,
        // and a call sent to that port meets the wrong socket. Such a start is tried again on new ports.
        var attempt = 1
        while true {
            let port = try freeUDPPort()
            let mediaPort = try freeUDPPort()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments + ["-p", String(port), "-mp", String(mediaPort)]
            process.currentDirectoryURL = directory
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            let exitCode = NIOLockedValueBox<Int32?>(nil)
            process.terminationHandler = { process in
                exitCode.withLockedValue { $0 = process.terminationStatus }
            }
            try process.run()
            if try await waitForUDPBind(pid: process.processIdentifier, port: port, seconds: 20) {
                self.port = port
                self.process = process
                self.exitCode = exitCode
                return
            }
            // The wait also ends when sipp exits: let its exit be reported before telling the two apart.
            try? await waitUntil("sipp \(scenario) to exit", timeout: .seconds(1)) { exitCode.withLockedValue { $0 } != nil }
            guard exitCode.withLockedValue({ $0 }) != nil else {
                if process.isRunning { process.terminate() }
                throw TestError.sippNotReady(port: port)
            }
            guard attempt < 3 else {
                throw TestError.sippExitedAtStart(
                    scenario, status: exitCode.withLockedValue { $0 } ?? -1, attempts: attempt, directory: directory.path)
            }
            attempt += 1
        }
    }

    /// The trunk this sipp plays.
    func trunk(_ name: String = "sipp", priority: Int = 0) -> Trunk {
        Trunk(name: name, host: "127.0.0.1", port: port, priority: priority)
    }

    /// Waits for sipp to finish its calls and returns its exit status (0: every call passed).
    func finish(timeout: Duration = .seconds(30)) async throws -> Int32 {
        do {
            try await waitUntil("sipp \(scenario) to exit", timeout: timeout) { exitCode.withLockedValue { $0 } != nil }
        } catch {
            terminate()
            throw TestError.sippTimedOut(scenario)
        }
        return exitCode.withLockedValue { $0 } ?? -1
    }

    /// Stops sipp if it is still running.
    func terminate() {
        if process.isRunning { process.terminate() }
    }

    deinit {
        if process.isRunning { process.terminate() }
        // SIP_TEST_KEEP keeps sipp's scenario, message and error logs for a failing test.
        if ProcessInfo.processInfo.environment["SIP_TEST_KEEP"] == nil {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// What sipp sent and received, in order: `< INVITE` for a request it received, `> 180` for a
    /// response it sent (arrows from sipp's point of view).
    func messages() throws -> [String] {
        let text = try String(contentsOf: messageFile, encoding: .utf8)
        var result: [String] = []
        var pending: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.contains("message received") {
                pending = "<"
            } else if line.contains("message sent") {
                pending = ">"
            } else if let direction = pending, !line.trimmingCharacters(in: .whitespaces).isEmpty {
                result.append("\(direction) \(Self.summary(of: String(line)))")
                pending = nil
            }
        }
        return result
    }

    /// `INVITE` for a request line, `180` for a status line.
    static func summary(of startLine: String) -> String {
        let parts = startLine.split(separator: " ")
        if parts.first == "SIP/2.0", parts.count > 1 { return String(parts[1]) }
        return String(parts.first ?? "")
    }
}

/// Collects the user agent's message trace.
final class MessageTrace: Sendable {
    private let events = NIOLockedValueBox<[SIPTraceEvent]>([])

    var observer: @Sendable (SIPTraceEvent) -> Void {
        { event in self.events.withLockedValue { $0.append(event) } }
    }

    var all: [SIPTraceEvent] { events.withLockedValue { $0 } }

    /// `> INVITE` for a request we sent, `< 180` for a response we received; only the call with
    /// `callID` when one is given.
    func summary(callID: String? = nil) -> [String] {
        all.filter { event in
            guard let callID else { return true }
            switch event.message {
            case .request(let request): return request.callID == callID
            case .response(let response): return response.callID == callID
            }
        }.map { event in
            let arrow = event.direction == .sent ? ">" : "<"
            switch event.message {
            case .request(let request): return "\(arrow) \(request.method)"
            case .response(let response): return "\(arrow) \(response.statusCode)"
            }
        }
    }

    /// `> INVITE` for a request we sent, `< 180` for a response we received.
    var summary: [String] { summary() }

    /// The messages we sent.
    var sent: [SIPMessage] { all.filter { $0.direction == .sent }.map(\.message) }

    /// The first request we sent with this method.
    func firstSent(_ method: SIPMethod) -> SIPRequest? {
        for event in all where event.direction == .sent {
            if case .request(let request) = event.message, request.method == method { return request }
        }
        return nil
    }

    /// Whether a response with this status has been received.
    func hasReceived(_ status: Int) -> Bool {
        all.contains { event in
            if event.direction == .received, case .response(let response) = event.message { return response.statusCode == status }
            return false
        }
    }
}

let testLogger: Logger = {
    var logger = Logger(label: "waihu.sip.test")
    logger.logLevel = ProcessInfo.processInfo.environment["SIP_TEST_DEBUG"] != nil ? .trace : .critical
    return logger
}()

/// A user agent on 127.0.0.1 with an ephemeral port, tracing its messages; not yet running.
func makeAgent(
    trunks: [Trunk] = [], timers: TransactionTimers = TransactionTimers(), trunkHealth: TrunkHealthPolicy = TrunkHealthPolicy()
) -> (SIPUserAgent, MessageTrace) {
    let trace = MessageTrace()
    var configuration = SIPUserAgent.Configuration(
        host: "127.0.0.1", port: 0, trunks: trunks, trunkHealth: trunkHealth, timers: timers,
        shutdownGracePeriod: .seconds(5), messageObserver: trace.observer)
    // Testing override: product code keeps the 15 s minimum.
    configuration.minimumRingTimeout = .milliseconds(500)
    return (SIPUserAgent(configuration: configuration, logger: testLogger), trace)
}

/// Runs a user agent on 127.0.0.1 with an ephemeral port for the duration of `body`, then cancels it.
func withUserAgent<T: Sendable>(
    trunks: [Trunk] = [],
    timers: TransactionTimers = TransactionTimers(),
    trunkHealth: TrunkHealthPolicy = TrunkHealthPolicy(),
    _ body: (SIPUserAgent, MessageTrace) async throws -> T
) async throws -> T {
    let (agent, trace) = makeAgent(trunks: trunks, timers: timers, trunkHealth: trunkHealth)
    return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
        group.addTask { try await agent.run() }
        do {
            _ = try await agent.boundPort()
            let result = try await body(agent, trace)
            group.cancelAll()
            try await group.waitForAll()
            return result
        } catch {
            group.cancelAll()
            throw error
        }
    }
}

/// A call request from a test number.
func testCall(
    route: CallRoute = .automatic, ringTimeout: Duration = .seconds(15), talk: TalkPlan = .stayUp(.milliseconds(100)),
    recordingPath: String? = nil, media: MediaMode = .rtp
) -> CallRequest {
    CallRequest(
        callee: "+8613800138000", callerNumber: "075512345678", displayName: "Waihu Test", route: route,
        ringTimeout: ringTimeout, talk: talk, recordingPath: recordingPath, media: media, logger: testLogger)
}

/// A UDP socket for tests: records every datagram it receives and can send.
final class TestUDPSocket: Sendable {
    struct Datagram: Sendable {
        let bytes: [UInt8]
        let from: SocketAddress
        let at: ContinuousClock.Instant
    }

    let channel: any Channel
    private let received: NIOLockedValueBox<[Datagram]>

    var port: Int { channel.localAddress?.port ?? 0 }
    var datagrams: [Datagram] { received.withLockedValue { $0 } }

    init() async throws {
        let received = NIOLockedValueBox<[Datagram]>([])
        self.received = received
        channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Recorder(received: received))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
    }

    func send(_ bytes: [UInt8], to port: Int) async throws {
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: bytes)))
    }

    func close() async {
        try? await channel.close()
    }

    private final class Recorder: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let received: NIOLockedValueBox<[Datagram]>

        init(received: NIOLockedValueBox<[Datagram]>) {
            self.received = received
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = Self.unwrapInboundIn(data)
            let datagram = Datagram(bytes: Array(envelope.data.readableBytesView), from: envelope.remoteAddress, at: .now)
            received.withLockedValue { $0.append(datagram) }
        }
    }
}

/// `count` samples of a sine tone at 8 kHz.
func sine(frequency: Double, count: Int, amplitude: Double = 8000) -> [Int16] {
    (0..<count).map { Int16(amplitude * sin(2 * Double.pi * frequency * Double($0) / 8000)) }
}

/// A fresh temporary file path with this extension.
func temporaryPath(_ suffix: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("waihu-\(UUID().uuidString).\(suffix)").path
}

/// An 8 kHz mono μ-law WAV file (format tag 7).
func muLawWAV(_ bytes: [UInt8]) -> [UInt8] {
    func le32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }
    func le16(_ value: Int) -> [UInt8] { (0..<2).map { UInt8((value >> (8 * $0)) & 0xFF) } }
    return Array("RIFF".utf8) + le32(36 + bytes.count) + Array("WAVE".utf8) + Array("fmt ".utf8) + le32(16)
        + le16(7) + le16(1) + le32(8000) + le32(8000) + le16(1) + le16(8) + Array("data".utf8) + le32(bytes.count) + bytes
}

/// The SDP m= port in a message body.
func mediaPort(in body: [UInt8]) -> Int? {
    (try? SDPAnswer(parsing: body))?.mediaPort
}
