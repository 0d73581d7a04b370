import Foundation
import Logging
import NIOCore
import NIOPosix
import SIP
import ServiceLifecycle

/// A signalling load to generate: short answered calls (INVITE, 200, ACK, BYE, 200) at a target rate.
public struct LoadPlan: Sendable {
    /// Where to send the calls, e.g. `sip:127.0.0.1:5060`.
    public var target: SIPURI
    /// New calls per second, across all user agents.
    public var callsPerSecond: Double
    /// How long to keep starting calls.
    public var duration: Duration
    /// At most this many calls in progress at once, across all user agents; a call due while the
    /// cap is reached waits for a free place (so the achieved rate drops instead of calls failing).
    public var maxInFlight: Int
    /// User agents (each with its own socket and event loop); defaults to one per core.
    public var agents: Int
    /// How long a call may hang up after answering; zero sends BYE right after the ACK.
    public var talkTime: Duration
    /// How long to wait for calls still in progress once `duration` is over; they count as failed after.
    public var drainTimeout: Duration
    /// The address to bind and advertise.
    public var host: String
    /// Transaction timers.
    public var timers: TransactionTimers
    /// The number called.
    public var callee: String
    /// The number presented.
    public var callerNumber: String

    /// Creates a plan.
    public init(
        target: SIPURI, callsPerSecond: Double, duration: Duration, maxInFlight: Int = 10_000,
        agents: Int = System.coreCount, talkTime: Duration = .zero, drainTimeout: Duration = .seconds(10),
        host: String = "127.0.0.1", timers: TransactionTimers = TransactionTimers(),
        callee: String = "13800138000", callerNumber: String = "075512345678"
    ) {
        self.target = target
        self.callsPerSecond = callsPerSecond
        self.duration = duration
        self.maxInFlight = maxInFlight
        self.agents = max(1, agents)
        self.talkTime = talkTime
        self.drainTimeout = drainTimeout
        self.host = host
        self.timers = timers
        self.callee = callee
        self.callerNumber = callerNumber
    }
}

/// What a load run achieved.
public struct LoadReport: Hashable, Sendable, CustomStringConvertible {
    /// Calls planned: rate × duration.
    public var planned: Int
    /// Calls whose INVITE was sent.
    public var attempted: Int
    /// Calls answered and hung up with BYE, all within the drain timeout.
    public var succeeded: Int
    /// Attempted calls that did not succeed (any other outcome, or still unsettled at the drain timeout).
    public var failed: Int
    /// Failed calls by outcome (`unsettled` for those still running at the drain timeout).
    public var failures: [String: Int]
    /// Seconds from the first INVITE to the last call settling.
    public var elapsedSeconds: Double
    /// Calls started per second during the sending window.
    public var achievedCallsPerSecond: Double
    /// Whole-call latency, INVITE sent to the BYE's 200 received, in milliseconds.
    public var latencyP50: Double
    /// 90th percentile latency in milliseconds.
    public var latencyP90: Double
    /// 99th percentile latency in milliseconds.
    public var latencyP99: Double
    /// Largest latency in milliseconds.
    public var latencyMax: Double

    /// One line of `key=value` pairs.
    public var description: String {
        func format(_ value: Double) -> String { String(format: "%.1f", value) }
        return "planned=\(planned) attempted=\(attempted) succeeded=\(succeeded) failed=\(failed)"
            + " rate=\(format(achievedCallsPerSecond)) elapsed=\(format(elapsedSeconds))"
            + " p50_ms=\(format(latencyP50)) p90_ms=\(format(latencyP90)) p99_ms=\(format(latencyP99)) max_ms=\(format(latencyMax))"
            + (failures.isEmpty ? "" : " failures=" + failures.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ","))
    }
}

/// Generates SIP call load with this package's own user agents, for benchmarks against a UAS such as
/// `sipp -sn uas`. Each user agent has its own socket and event loop (one per core by default); calls
/// are started by a pacer on each loop and driven by the same call engine ``SIPUserAgent`` uses, but
/// without trunk selection or media (``MediaMode/signallingOnly``).
public enum LoadGenerator {
    /// Runs the plan and reports what it achieved.
    public static func run(
        _ plan: LoadPlan, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "waihu.sip.load")
    ) async throws -> LoadReport {
        let agents = (0..<plan.agents).map { _ in
            SIPUserAgent(
                configuration: SIPUserAgent.Configuration(host: plan.host, port: 0, timers: plan.timers, userAgentHeader: nil),
                eventLoopGroup: eventLoopGroup, logger: logger)
        }
        return try await withThrowingTaskGroup(of: Void.self, returning: LoadReport.self) { tasks in
            for agent in agents {
                tasks.addTask { try await agent.run() }
            }
            defer { tasks.cancelAll() }
            var drivers: [LoadDriver] = []
            let target = try SocketAddress(ipAddress: plan.target.host, port: plan.target.port ?? 5060)
            for agent in agents {
                let port = try await agent.boundPort()
                drivers.append(LoadDriver(
                    core: agent.core, plan: plan, share: plan.agents, destination: target, port: port, logger: logger))
            }
            let running = drivers.map { $0.start() }
            var results: [LoadDriver.Result] = []
            for driver in running {
                results.append(try await driver.get())
            }
            tasks.cancelAll()
            return summarize(results, plan: plan)
        }
    }

    private static func summarize(_ results: [LoadDriver.Result], plan: LoadPlan) -> LoadReport {
        var latencies = results.flatMap(\.latencies)
        latencies.sort()
        func percentile(_ fraction: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            let index = min(latencies.count - 1, Int((Double(latencies.count) * fraction).rounded(.up)) - 1)
            return Double(latencies[max(0, index)]) / 1000
        }
        let attempted = results.reduce(0) { $0 + $1.attempted }
        let succeeded = results.reduce(0) { $0 + $1.succeeded }
        let window = results.map(\.sendingSeconds).max() ?? 0
        return LoadReport(
            planned: Int(plan.callsPerSecond * SIPUserAgent.seconds(plan.duration)),
            attempted: attempted, succeeded: succeeded, failed: attempted - succeeded,
            failures: results.reduce(into: [:]) { total, result in total.merge(result.failures, uniquingKeysWith: +) },
            elapsedSeconds: results.map(\.elapsedSeconds).max() ?? 0,
            achievedCallsPerSecond: window > 0 ? Double(attempted) / window : 0,
            latencyP50: percentile(0.5), latencyP90: percentile(0.9), latencyP99: percentile(0.99),
            latencyMax: Double(latencies.last ?? 0) / 1000)
    }
}

extension SIPUserAgent {
    static func seconds(_ duration: Duration) -> Double {
        let components = duration.components
        return Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// Starts one user agent's share of the calls at an even pace on its event loop. Loop-confined.
final class LoadDriver: @unchecked Sendable {
    struct Result: Sendable {
        var attempted = 0
        var succeeded = 0
        var failures: [String: Int] = [:]
        var latencies: [UInt32] = []
        var sendingSeconds: Double = 0
        var elapsedSeconds: Double = 0
    }

    private let core: UserAgentCore
    private let plan: LoadPlan
    private let ratePerAgent: Double
    private let maxInFlight: Int
    /// Every call's attempt, but for its Call-ID and random seed: built once, so the SDP offer is
    /// rendered once rather than per call.
    private let template: AttemptSpec
    private var random: SplitMix64
    private var result = Result()
    private var inFlight = 0
    private var startedAt = NIODeadline.now()
    private var lastStart = NIODeadline.now()
    private var isSending = true
    private var promise: EventLoopPromise<Result>?

    /// The pacer's period: calls due within it leave together, flushed as one batch. Each period costs
    /// the loop a wake-up and a system call whatever the rate; 5 ms keeps that small next to the calls'
    /// own work (a 1 ms pacer measurably cost throughput on 2 cores), while the bursts stay far shorter
    /// than Timer A (T1 = 500 ms).
    private static let period = TimeAmount.milliseconds(5)

    init(core: UserAgentCore, plan: LoadPlan, share: Int, destination: SocketAddress, port: Int, logger: Logger) {
        self.core = core
        self.plan = plan
        self.ratePerAgent = plan.callsPerSecond / Double(share)
        self.maxInFlight = max(1, plan.maxInFlight / share)
        var target = plan.target
        target.user = plan.callee
        let configuration = OutboundCall.Configuration(
            requestURI: .sip(target), from: SIPAddress(uri: .sip(SIPURI(user: plan.callerNumber, host: plan.host))),
            contact: SIPURI(user: plan.callerNumber, host: plan.host, port: port), viaHost: plan.host, viaPort: port,
            offer: SDPOffer(sessionID: 1, address: plan.host, port: 9, telephoneEventPayloadType: nil, direction: .inactive),
            timers: plan.timers, randomSeed: 0)
        template = AttemptSpec(
            configuration: configuration, destination: destination, ringTimeout: .seconds(60),
            talk: .hangUpAfter(plan.talkTime), media: nil, logger: logger)
        random = SplitMix64(seed: UInt64.random(in: 0...UInt64.max))
    }

    func start() -> EventLoopFuture<Result> {
        let promise = core.eventLoop.makePromise(of: Result.self)
        core.eventLoop.execute {
            self.promise = promise
            self.startedAt = .now()
            self.pace()
        }
        return promise.futureResult
    }

    private func pace() {
        let now = NIODeadline.now()
        let elapsed = Double((now - startedAt).nanoseconds) / 1e9
        let windowSeconds = SIPUserAgent.seconds(plan.duration)
        if isSending {
            let due = min(Int(elapsed * ratePerAgent) + 1, Int(windowSeconds * ratePerAgent))
            while result.attempted < due, inFlight < maxInFlight {
                launch()
            }
            core.flush()
            if elapsed >= windowSeconds || result.attempted >= Int(windowSeconds * ratePerAgent) {
                isSending = false
                result.sendingSeconds = Double((lastStart - startedAt).nanoseconds) / 1e9 + 1 / ratePerAgent
            }
        }
        if !isSending, inFlight == 0 || elapsed >= windowSeconds + SIPUserAgent.seconds(plan.drainTimeout) {
            finish(at: now)
            return
        }
        core.eventLoop.scheduleTask(in: Self.period) { self.pace() }
    }

    private func launch() {
        var spec = template
        spec.configuration.callID = SIPIdentifiers.callID(host: plan.host, using: &random)
        spec.configuration.randomSeed = random.next()
        let launchedAt = NIODeadline.now()
        lastStart = launchedAt
        result.attempted += 1
        inFlight += 1
        core.startCallOnLoop(spec, flush: false) { [self] report in
            inFlight -= 1
            let record = report.record
            if record.classification == .answered, record.endReason == .localHangup {
                result.succeeded += 1
                let micros = (NIODeadline.now() - launchedAt).nanoseconds / 1000
                result.latencies.append(UInt32(clamping: micros))
            } else {
                result.failures[record.classification?.rawValue ?? "unknown", default: 0] += 1
            }
        }
    }

    private func finish(at now: NIODeadline) {
        result.elapsedSeconds = Double((now - startedAt).nanoseconds) / 1e9
        if inFlight > 0 { result.failures["unsettled", default: 0] += inFlight }
        promise?.succeed(result)
        promise = nil
    }
}
