import Foundation
import NIOCore
import SIP
import Testing

@testable import SIPUserAgent

@Suite("Trunk selection, limits and health")
struct TrunkSetTests {
    let start = ContinuousClock.now

    func at(_ seconds: Double) -> ContinuousClock.Instant {
        start + .milliseconds(Int(seconds * 1000))
    }

    @Test("priority first, then weight; zero weight comes last within its priority")
    func ordering() throws {
        let set = TrunkSet([
            Trunk(name: "backup", host: "192.0.2.3", priority: 1),
            Trunk(name: "spare", host: "192.0.2.2", priority: 0, weight: 0),
            Trunk(name: "main", host: "192.0.2.1", priority: 0, weight: 5),
        ])
        var random = SplitMix64(seed: 1)
        for _ in 0..<20 {
            #expect(try set.candidates(for: "075512345678", using: &random).map(\.name) == ["main", "spare", "backup"])
        }
    }

    @Test("equal priorities share first place in proportion to weight")
    func weights() throws {
        let set = TrunkSet([
            Trunk(name: "heavy", host: "192.0.2.1", weight: 3),
            Trunk(name: "light", host: "192.0.2.2", weight: 1),
        ])
        var random = SplitMix64(seed: 42)
        var firsts: [String: Int] = [:]
        for _ in 0..<4000 {
            firsts[try set.candidates(for: "1", using: &random)[0].name, default: 0] += 1
        }
        let heavyShare = Double(firsts["heavy", default: 0]) / 4000
        #expect(abs(heavyShare - 0.75) < 0.03)
    }

    @Test("named routes keep their order; caller ranges filter; unknown names are errors")
    func namedRoutesAndRanges() throws {
        let set = TrunkSet([
            Trunk(name: "beijing", host: "192.0.2.1", callerNumberRanges: ["010", "+8610"]),
            Trunk(name: "shenzhen", host: "192.0.2.2", callerNumberRanges: ["0755", "+86755"]),
            Trunk(name: "anywhere", host: "192.0.2.3"),
        ])
        var random = SplitMix64(seed: 3)
        #expect(try set.candidates(for: "075512345678", names: ["anywhere", "shenzhen", "beijing"], using: &random).map(\.name)
            == ["anywhere", "shenzhen"])
        #expect(try set.candidates(for: "+8675512345678", names: ["beijing", "shenzhen"], using: &random).map(\.name) == ["shenzhen"])
        #expect(throws: SIPUserAgentError.noTrunkForCaller("02112345678")) {
            try set.candidates(for: "02112345678", names: ["beijing", "shenzhen"], using: &random)
        }
        #expect(throws: SIPUserAgentError.unknownTrunk("nowhere")) {
            try set.candidates(for: "010", names: ["nowhere"], using: &random)
        }
    }

    @Test("a full trunk is skipped until a call releases its slot")
    func concurrencyLimit() {
        var set = TrunkSet([Trunk(name: "A", host: "192.0.2.1", maxConcurrentCalls: 2)])
        #expect(set.acquire("A", at: at(0)) == .success(at(0)))
        #expect(set.acquire("A", at: at(0)) == .success(at(0)))
        #expect(set.acquire("A", at: at(0)) == .failure(.atCapacity))
        set.release("A", outcome: .answered, finalStatus: 200, talkSeconds: 10, at: at(1))
        #expect(set.acquire("A", at: at(1)) == .success(at(1)))
        #expect(set.statistics(at: at(1)).first?.activeCalls == 2)
    }

    @Test("the CPS limit queues calls at 1/rate intervals")
    func callsPerSecond() {
        var set = TrunkSet([Trunk(name: "A", host: "192.0.2.1", maxCallsPerSecond: 4)])
        #expect(set.acquire("A", at: at(0)) == .success(at(0)))
        #expect(set.acquire("A", at: at(0)) == .success(at(0.25)))
        #expect(set.acquire("A", at: at(0.1)) == .success(at(0.5)))
        // After an idle spell the next call goes at once.
        #expect(set.acquire("A", at: at(5)) == .success(at(5)))
    }

    @Test("consecutive failures take a trunk out for the cooldown; a success or a probe answer restores it")
    func health() {
        var set = TrunkSet(
            [Trunk(name: "A", host: "192.0.2.1")], health: TrunkHealthPolicy(failureThreshold: 2, cooldown: .seconds(10)))
        for second in [0.0, 1.0] {
            _ = set.acquire("A", at: at(second))
            set.release("A", outcome: .trunkFailure, finalStatus: 503, talkSeconds: 0, at: at(second))
        }
        #expect(!set.isHealthy("A", at: at(2)))
        #expect(set.acquire("A", at: at(2)) == .failure(.unhealthy))
        #expect(set.isHealthy("A", at: at(11)))
        // Half-open: one more failure takes it straight back out.
        _ = set.acquire("A", at: at(11))
        set.release("A", outcome: .trunkFailure, finalStatus: nil, talkSeconds: 0, at: at(11))
        #expect(!set.isHealthy("A", at: at(12)))
        set.recordProbe("A", reachable: true, at: at(12))
        #expect(set.isHealthy("A", at: at(12)))
        let statistics = set.statistics(at: at(12))[0]
        #expect(statistics.attempts == 3)
        #expect(statistics.failures == 3)
        #expect(statistics.consecutiveFailures == 0)
        #expect(statistics.lastFailureStatus == nil)
        #expect(statistics.successRate == 0)
    }

    @Test("busy, no answer and declined are the trunk doing its job: they count as successes")
    func nonFailoverOutcomesAreSuccesses() {
        var set = TrunkSet([Trunk(name: "A", host: "192.0.2.1")])
        for outcome in [CallOutcome.busy, .noAnswer, .declined, .invalidNumber] {
            _ = set.acquire("A", at: at(0))
            set.release("A", outcome: outcome, finalStatus: nil, talkSeconds: 0, at: at(0))
        }
        #expect(set.statistics(at: at(0))[0].successRate == 1)
    }

    @Test("a trunk's textual forms never show its password")
    func passwordRedacted() {
        let trunk = Trunk(name: "carrier", host: "192.0.2.9", username: "alice", password: "hunter2")
        var dumped = ""
        dump(trunk, to: &dumped)
        for text in [trunk.description, String(reflecting: trunk), "\(trunk)", dumped] {
            #expect(!text.contains("hunter2"))
            #expect(text.contains("carrier"))
        }
    }

    @Test("cost is talk time times the per-minute price, per second")
    func cost() {
        var set = TrunkSet([Trunk(name: "A", host: "192.0.2.1", costPerMinute: Decimal(string: "0.12")!)])
        _ = set.acquire("A", at: at(0))
        set.release("A", outcome: .answered, finalStatus: 200, talkSeconds: 90, at: at(90))
        let statistics = set.statistics(at: at(90))[0]
        #expect(statistics.talkSeconds == 90)
        #expect(statistics.cost == Decimal(string: "0.18")!)
    }
}

@Suite("Timer wheel")
struct TimerWheelTests {
    @Test("entries fire once their tick has passed, in tick order, including past a whole revolution")
    func firing() {
        let origin = NIODeadline.now()
        var wheel = TimerWheel<String>(origin: origin, resolution: .milliseconds(10), slotCount: 8)
        wheel.schedule("late", at: origin + .milliseconds(500))  // 6 revolutions of 80 ms
        wheel.schedule("b", at: origin + .milliseconds(25))
        wheel.schedule("a", at: origin + .milliseconds(5))
        #expect(wheel.count == 3)
        #expect(wheel.nextDeadline == origin + .milliseconds(10))
        #expect(wheel.advance(to: origin + .milliseconds(9)).isEmpty)
        #expect(wheel.advance(to: origin + .milliseconds(10)) == ["a"])
        #expect(wheel.advance(to: origin + .milliseconds(100)) == ["b"])
        #expect(wheel.advance(to: origin + .milliseconds(499)).isEmpty)
        #expect(wheel.advance(to: origin + .milliseconds(510)) == ["late"])
        #expect(wheel.count == 0)
        #expect(wheel.nextDeadline == nil)
    }

    @Test("a deadline already past goes into the next tick, never a processed one")
    func pastDeadline() {
        let origin = NIODeadline.now()
        var wheel = TimerWheel<Int>(origin: origin, resolution: .milliseconds(10), slotCount: 4)
        _ = wheel.advance(to: origin + .milliseconds(55))
        wheel.schedule(1, at: origin)
        #expect(wheel.advance(to: origin + .milliseconds(59)).isEmpty)
        #expect(wheel.advance(to: origin + .milliseconds(60)) == [1])
    }
}
