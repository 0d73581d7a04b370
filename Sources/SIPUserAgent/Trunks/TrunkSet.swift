import Foundation
import SIP

/// The trunks a user agent can use, their limits and health (product rules E1 and E10).
///
/// Selection: trunks allowed to present the caller number are ordered by priority (lower first),
/// then by a weighted random draw among equal priorities (RFC 2782 §"Usage rules" style). A trunk is
/// then acquired just before its INVITE: an unhealthy trunk or one at `maxConcurrentCalls` is
/// skipped for the next (never queued), while `maxCallsPerSecond` queues: the call gets the trunk's
/// next free send slot and waits for it. A pure value; ``SIPUserAgent`` guards it with a lock.
public struct TrunkSet: Sendable {
    /// Why a trunk cannot be acquired now.
    public enum Refusal: Error, Hashable, Sendable {
        /// Failed `failureThreshold` times in a row and still cooling down.
        case unhealthy
        /// At `maxConcurrentCalls`.
        case atCapacity
    }

    private struct State: Sendable {
        var trunk: Trunk
        var attempts = 0
        var successes = 0
        var consecutiveFailures = 0
        var lastFailureAt: ContinuousClock.Instant?
        var lastFailureDate: Date?
        var lastFailureStatus: Int?
        var activeCalls = 0
        var nextSendSlot: ContinuousClock.Instant?
        var talkSeconds: Double = 0
    }

    /// The health policy.
    public let health: TrunkHealthPolicy
    private var states: [String: State]
    private let order: [String]

    /// Creates a set; names must be unique (a later duplicate replaces an earlier one).
    public init(_ trunks: [Trunk], health: TrunkHealthPolicy = TrunkHealthPolicy()) {
        self.health = health
        var states: [String: State] = [:]
        var order: [String] = []
        for trunk in trunks {
            if states[trunk.name] == nil { order.append(trunk.name) }
            states[trunk.name] = State(trunk: trunk)
        }
        self.states = states
        self.order = order
    }

    /// The trunk called `name`.
    public func trunk(named name: String) -> Trunk? { states[name]?.trunk }

    /// The trunks to try for `callerNumber`, in order. `names` fixes the order (from ``CallRoute/trunks(_:)``);
    /// nil orders every trunk by priority and weight.
    public func candidates(
        for callerNumber: String, names: [String]? = nil, using generator: inout some RandomNumberGenerator
    ) throws(SIPUserAgentError) -> [Trunk] {
        let chosen: [Trunk]
        if let names {
            var trunks: [Trunk] = []
            for name in names {
                guard let trunk = states[name]?.trunk else { throw .unknownTrunk(name) }
                trunks.append(trunk)
            }
            chosen = trunks
        } else {
            chosen = Self.weightedOrder(order.compactMap { states[$0]?.trunk }, using: &generator)
        }
        let allowed = chosen.filter { $0.allows(callerNumber: callerNumber) }
        guard !allowed.isEmpty else { throw .noTrunkForCaller(callerNumber) }
        return allowed
    }

    /// Priority ascending; within a priority, repeatedly draw by weight (RFC 2782), zero weights last.
    static func weightedOrder(_ trunks: [Trunk], using generator: inout some RandomNumberGenerator) -> [Trunk] {
        let priorities = Set(trunks.map(\.priority)).sorted()
        var result: [Trunk] = []
        for priority in priorities {
            var pool = trunks.filter { $0.priority == priority }
            while !pool.isEmpty {
                let total = pool.reduce(0) { $0 + max(0, $1.weight) }
                var index = 0
                if total > 0 {
                    var draw = Int.random(in: 1...total, using: &generator)
                    index = pool.firstIndex { trunk in
                        draw -= max(0, trunk.weight)
                        return draw <= 0
                    } ?? 0
                }
                result.append(pool.remove(at: index))
            }
        }
        return result
    }

    /// Whether the trunk is taking calls at `now`.
    public func isHealthy(_ name: String, at now: ContinuousClock.Instant) -> Bool {
        guard let state = states[name] else { return false }
        return isHealthy(state, at: now)
    }

    private func isHealthy(_ state: State, at now: ContinuousClock.Instant) -> Bool {
        guard state.consecutiveFailures >= health.failureThreshold, let last = state.lastFailureAt else { return true }
        return now - last >= health.cooldown
    }

    /// Takes a call slot on the trunk. Returns when the INVITE may be sent (now, or later when the
    /// CPS limit queues it), or why the trunk must be skipped. Every granted slot must be released.
    public mutating func acquire(_ name: String, at now: ContinuousClock.Instant) -> Result<ContinuousClock.Instant, Refusal> {
        guard var state = states[name] else { return .failure(.atCapacity) }
        guard isHealthy(state, at: now) else { return .failure(.unhealthy) }
        if let limit = state.trunk.maxConcurrentCalls, state.activeCalls >= limit { return .failure(.atCapacity) }
        var start = now
        if let rate = state.trunk.maxCallsPerSecond, rate > 0 {
            // A token bucket of depth one: INVITEs leave at most every 1/rate seconds, in acquisition order.
            start = max(now, state.nextSendSlot ?? now)
            state.nextSendSlot = start + .nanoseconds(Int64(1e9 / rate))
        }
        state.activeCalls += 1
        states[name] = state
        return .success(start)
    }

    /// Gives back a slot without an attempt (the call was abandoned while queued).
    public mutating func release(_ name: String) {
        states[name]?.activeCalls -= 1
    }

    /// Gives back a slot and records the attempt's result.
    public mutating func release(
        _ name: String, outcome: CallOutcome, finalStatus: Int?, talkSeconds: Double,
        at now: ContinuousClock.Instant, date: Date = Date()
    ) {
        guard var state = states[name] else { return }
        state.activeCalls -= 1
        state.attempts += 1
        state.talkSeconds += talkSeconds
        if outcome.failsOver {
            state.consecutiveFailures += 1
            state.lastFailureAt = now
            state.lastFailureDate = date
            state.lastFailureStatus = finalStatus
        } else {
            state.successes += 1
            state.consecutiveFailures = 0
        }
        states[name] = state
    }

    /// Records an OPTIONS probe: any final response proves the trunk alive and closes the breaker;
    /// no response counts as a failure.
    public mutating func recordProbe(_ name: String, reachable: Bool, at now: ContinuousClock.Instant, date: Date = Date()) {
        guard var state = states[name] else { return }
        if reachable {
            state.consecutiveFailures = 0
        } else {
            state.consecutiveFailures += 1
            state.lastFailureAt = now
            state.lastFailureDate = date
            state.lastFailureStatus = nil
        }
        states[name] = state
    }

    /// Counters for every trunk, in configuration order.
    public func statistics(at now: ContinuousClock.Instant) -> [TrunkStatistics] {
        order.compactMap { states[$0] }.map { state in
            TrunkStatistics(
                name: state.trunk.name, attempts: state.attempts, successes: state.successes,
                failures: state.attempts - state.successes, consecutiveFailures: state.consecutiveFailures,
                lastFailure: state.lastFailureDate, lastFailureStatus: state.lastFailureStatus,
                successRate: state.attempts == 0 ? nil : Double(state.successes) / Double(state.attempts),
                activeCalls: state.activeCalls, talkSeconds: state.talkSeconds,
                cost: Self.cost(talkSeconds: state.talkSeconds, perMinute: state.trunk.costPerMinute),
                isHealthy: isHealthy(state, at: now))
        }
    }

    static func cost(talkSeconds: Double, perMinute: Decimal) -> Decimal {
        // Per-second billing; rounding to the carrier's increment belongs to the billing system.
        Decimal(talkSeconds) * perMinute / 60
    }
}
