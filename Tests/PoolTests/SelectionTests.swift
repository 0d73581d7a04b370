import Foundation
import GRDB
import Synchronization
import Testing
import WaihuCore
@testable import WaihuStore

let monday = beijing("2025-03-03 10:00")
let callee = (shenzhen: "13802551234", dongguan: "13802371234", haikou: "13800891234", harbin: "13800451234", changsha: "13807311234")

@Suite("Caller-ID selection")
struct SelectionTests {
    /// A service pool across regions: 深圳 and 广州 (广东, 华南), 长沙 (华中), 北京 (华北); a 95 number nationwide.
    static let regionalPool: [(String, NumberPurpose, CallerNumberStatus, Int?)] = [
        ("0755-83201001", .service, .active, nil), ("020-83601001", .service, .active, nil),
        ("0731-84401001", .service, .active, nil), ("010-58001001", .service, .active, nil), ("95500", .service, .active, nil),
    ]

    func select(_ service: PoolService, _ number: String, _ purpose: NumberPurpose = .service, agent: String? = nil) throws -> CallerSelection {
        let selection = try service.selector.select(callee: directory.info(for: phone(number)), purpose: purpose, agent: agent, now: monday)
        try service.selector.finish(selection.reservation)
        return selection
    }

    @Test("city, then province, then region group, then national (RULES P2)")
    func regionPreference() async throws {
        let pool = try TestPool()
        defer { pool.remove() }
        try await pool.add(Self.regionalPool, at: monday)
        let service = try await pool.service(now: monday)
        let shenzhen = try select(service, callee.shenzhen)
        #expect(shenzhen.number.e164 == "+8675583201001")
        #expect(shenzhen.matchLevel == .city)
        let dongguan = try select(service, callee.dongguan)
        #expect(["+8675583201001", "+862083601001"].contains(dongguan.number.e164))
        #expect(dongguan.matchLevel == .province)
        let haikou = try select(service, callee.haikou)
        #expect(["+8675583201001", "+862083601001"].contains(haikou.number.e164))
        #expect(haikou.matchLevel == .regionGroup)
        let harbin = try select(service, callee.harbin)
        #expect(harbin.matchLevel == .national)
        let changsha = try select(service, callee.changsha)
        #expect(changsha.number.e164 == "+8673184401001")
        #expect(changsha.cap == 20)
    }

    @Test("least used first among equals; then the next level when the city is used up")
    func leastUsed() async throws {
        var policy = Policy.defaults
        policy.pool.leaseBlock = 100
        let pool = try TestPool(policy: policy)
        defer { pool.remove() }
        try await pool.add([("0755-83201001", .service, .active, 2), ("0755-83201002", .service, .active, 2), ("020-83601001", .service, .active, 2)], at: monday)
        let service = try await pool.service(now: monday)
        var picks: [String] = []
        for index in 0..<6 {
            // Different callees: none is sticky to a number yet.
            let selection = try service.selector.select(callee: directory.info(for: phone("1380255123\(index)")), purpose: .service, agent: nil, now: monday)
            _ = try service.selector.dial(selection.reservation, now: monday)
            try service.selector.finish(selection.reservation)
            picks.append(selection.number.e164 + "/" + selection.matchLevel.rawValue)
        }
        // The two 深圳 numbers alternate (least used first) until both reach their cap, then 广州 (province).
        #expect(Set(picks.prefix(2)) == ["+8675583201001/city", "+8675583201002/city"])
        #expect(Set(picks[2..<4]) == ["+8675583201001/city", "+8675583201002/city"])
        #expect(picks[4...] == ["+862083601001/province", "+862083601001/province"])
        #expect(throws: PoolInputError.noNumberAvailable(purpose: .service)) {
            try service.selector.select(callee: directory.info(for: phone(callee.shenzhen)), purpose: .service, agent: nil, now: monday)
        }
    }

    @Test("purposes never mix (RULES P5); marketing needs a trained agent (P6); virtual numbers never market (P8)")
    func purposes() async throws {
        let pool = try TestPool()
        defer { pool.remove() }
        try await pool.add([("0755-83201001", .service, .active, nil), ("13802551111", .marketing, .active, nil), ("17012345678", .service, .active, nil)], at: monday)
        try await pool.store.upsertAgent(Agent(id: "wang", name: "王", trained: true))
        try await pool.store.upsertAgent(Agent(id: "li", name: "李", trained: false))
        let service = try await pool.service(now: monday)
        #expect(try select(service, callee.shenzhen, .service).number.e164 != "+8613802551111")
        #expect(try select(service, callee.shenzhen, .marketing, agent: "wang").number.e164 == "+8613802551111")
        #expect(throws: PoolInputError.agentRequired) { try select(service, callee.shenzhen, .marketing) }
        #expect(throws: PoolInputError.untrainedAgent("li")) { try select(service, callee.shenzhen, .marketing, agent: "li") }
        #expect(throws: PoolInputError.unknownAgent("zhao")) { try select(service, callee.shenzhen, .marketing, agent: "zhao") }
        // Only service numbers are left for service calls, the virtual one included; it is never offered for marketing.
        for _ in 0..<10 { #expect(try select(service, callee.harbin, .service).number.e164 != "+8613802551111") }
    }

    @Test("sticky caller ID: a callee called lately gets the same number while it can dial")
    func sticky() async throws {
        let pool = try TestPool()
        defer { pool.remove() }
        try await pool.add([("0755-83201001", .service, .active, nil), ("0755-83201002", .service, .active, nil)], at: monday)
        // Called by …002 five days ago (any system): the callee knows that number.
        _ = try await pool.store.recordAttempts([try CallAttempt(
            callee: phone(callee.shenzhen), caller: phone("0755-83201002"), purpose: .service,
            startedAt: monday.addingTimeInterval(-5 * 86_400), outcome: .answered, durationSeconds: 40, source: "crm")], recordedAt: monday)
        let service = try await pool.service(now: monday)
        for _ in 0..<3 {
            let selection = try select(service, callee.shenzhen)
            #expect(selection.number.e164 == "+8675583201002")
            #expect(selection.sticky)
        }
        // Another callee in 深圳 is not sticky and gets the least used.
        #expect(try !select(service, "13802551235").sticky)
        // A dial makes the choice sticky for the callee from then on.
        let fresh = try service.selector.select(callee: directory.info(for: phone(callee.dongguan)), purpose: .service, agent: nil, now: monday)
        _ = try service.selector.dial(fresh.reservation, now: monday)
        try service.selector.finish(fresh.reservation)
        #expect(try select(service, callee.dongguan).number == fresh.number)
    }

    @Test("8 concurrent selectors on a small pool never exceed caps, warm-up caps or one call per number")
    func concurrentCaps() async throws {
        let pool = try TestPool()
        defer { pool.remove() }
        try await pool.add([
            ("0755-83201001", .service, .active, 3), ("0755-83201002", .service, .active, 4), ("020-83601001", .service, .active, 2),
            ("0755-83201003", .service, .warming, 20),  // warm-up: 5 on its first day (RULES P14)
            ("0755-83201004", .service, .standby, 20),  // standby: never selected
        ], at: monday)
        let service = try await pool.service(now: monday)
        let selector = service.selector
        let inCall = Shared<[PhoneNumber: Int]>([:])
        let dials = Shared<[PhoneNumber: Int]>([:])
        let overlaps = Shared(0)
        let writer = Task {
            // The lease writer keeps running beside the selectors, as in the server.
            for await _ in selector.leaseNeeded {
                let leases = selector.leaseRequests()
                try? await pool.store.writeLeases(leases)
                selector.leasesWritten(leases)
            }
        }
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for attempt in 0..<400 {
                        let info = directory.info(for: phone("1380255\(String(format: "%04d", worker * 400 + attempt))"))
                        guard let selection = try? selector.select(callee: info, purpose: .service, agent: nil, now: monday) else {
                            try? await Task.sleep(for: .milliseconds(2))  // all busy or waiting for a lease
                            continue
                        }
                        let concurrent = inCall.withLock { $0[selection.number, default: 0] += 1; return $0[selection.number]! }
                        if concurrent > 1 { overlaps.withLock { $0 += 1 } }
                        if attempt % 3 == 0 {
                            try? selector.finish(selection.reservation)  // not dialled: the unit goes back
                        } else if (try? selector.dial(selection.reservation, now: monday)) != nil {
                            dials.withLock { $0[selection.number, default: 0] += 1 }
                            try? selector.finish(selection.reservation)
                        }
                        inCall.withLock { $0[selection.number, default: 0] -= 1 }
                        await Task.yield()
                    }
                }
            }
        }
        writer.cancel()
        let counted = dials.withLock { $0 }
        #expect(overlaps.withLock { $0 } == 0)
        #expect(counted[phone("0755-83201001"), default: 0] == 3)
        #expect(counted[phone("0755-83201002"), default: 0] == 4)
        #expect(counted[phone("020-83601001"), default: 0] == 2)
        #expect(counted[phone("0755-83201003"), default: 0] == 5)
        #expect(counted[phone("0755-83201004"), default: 0] == 0)
        for (number, used) in counted { #expect(used <= (selector.usage(of: number)?.cap ?? 0)) }
        // The durable leases never exceed the caps either, and cover every dial.
        let leases = try await pool.store.database.read { db in
            try Row.fetchAll(db, sql: "SELECT n.e164, l.leased, n.daily_cap FROM number_lease l JOIN caller_number n ON n.id = l.caller_number_id")
        }
        for row in leases {
            let e164: String = row[0]
            #expect((row[1] as Int) <= (row[2] as Int))
            #expect((row[1] as Int) >= counted[phone(e164), default: 0])
        }
    }

    @Test("after a restart every leased unit counts as used: a crash never lets a number exceed its cap")
    func restartIsConservative() async throws {
        var policy = Policy.defaults
        policy.pool.leaseBlock = 3
        let pool = try TestPool(policy: policy)
        defer { pool.remove() }
        try await pool.add([("0755-83201001", .service, .active, 5)], at: monday)
        let before = try await pool.service(now: monday)
        let selection = try select(before, callee.shenzhen)  // one unit taken, then released; 3 leased
        #expect(selection.usedToday == 1)
        #expect(before.selector.usage(of: phone("0755-83201001"))?.leased == 3)
        // "Crash": a new selector from the store. The 3 leased units count as used; 2 remain of the cap of 5.
        let after = try await pool.service(now: monday)
        #expect(after.selector.usage(of: phone("0755-83201001"))?.used == 3)
        var taken = 0
        while (try? select(after, callee.shenzhen)) != nil {
            let usage = after.selector.usage(of: phone("0755-83201001"))!
            if usage.used == usage.leased { try await pool.writeLeases(after.selector) }
            taken += 1
            if taken > 10 { break }
        }
        #expect(after.selector.usage(of: phone("0755-83201001"))?.used ?? 0 <= 5)
        // The schema refuses a lease above the cap, whatever writes it.
        await #expect(throws: (any Error).self) {
            try await pool.store.writeLeases([LeaseRequest(number: phone("0755-83201001"), day: CalleeZone.china.localDay(at: Timestamp(monday)), leased: 6)])
        }
    }

    @Test("every choice is the least used eligible number at the nearest level, through calls held, undialled units given back and leases written late")
    func leastUsedAgainstReference() async throws {
        var policy = Policy.defaults
        policy.pool.leaseBlock = 2  // leases run short often, so numbers wait for them and come back
        let pool = try TestPool(policy: policy)
        defer { pool.remove() }
        let numbers: [(String, NumberPurpose, CallerNumberStatus, Int?)] = [
            ("0755-83201001", .service, .active, 6), ("0755-83201002", .service, .active, 9), ("0755-83201003", .service, .active, 4),
            ("020-83601001", .service, .active, 7), ("020-83601002", .service, .active, 5), ("0731-84401001", .service, .active, 8),
            ("010-58001001", .service, .active, 6), ("010-58001002", .service, .active, 3),
        ]
        try await pool.add(numbers, at: monday)
        let service = try await pool.service(now: monday)
        let selector = service.selector
        let infos = numbers.map { directory.info(for: phone($0.0)) }
        let callees = [callee.shenzhen, callee.dongguan, callee.haikou, callee.harbin, callee.changsha]
        var held: [ReservationID] = []
        var choices = 0
        for step in 0..<400 {
            let action = (step &* 7919 &+ 13) % 100
            if action < 10 {
                try await pool.writeLeases(selector)
            } else if action < 30, !held.isEmpty {
                // A held call ends, or a reservation is given back undialled.
                let id = held.remove(at: (step * 31) % held.count)
                try selector.finish(id)
            } else {
                // A fresh callee each time in the same 号段 as one of five: nobody is sticky.
                let target = directory.info(for: phone(callees[(step * 17) % callees.count].prefix(7) + String(format: "%04d", step)))
                let usage = numbers.map { selector.usage(of: phone($0.0))! }
                let eligible = usage.indices.filter { usage[$0].used < usage[$0].cap && usage[$0].used < usage[$0].leased && usage[$0].busy == 0 }
                func matches(_ index: Int, _ level: MatchLevel) -> Bool {
                    switch level {
                    case .city: infos[index].city == target.city
                    case .province: infos[index].province == target.province
                    case .regionGroup: infos[index].regionGroup == target.regionGroup
                    case .national: true
                    }
                }
                let level = MatchLevel.allCases.first { level in eligible.contains { matches($0, level) } }
                guard let level else {
                    #expect(throws: PoolInputError.noNumberAvailable(purpose: .service)) {
                        try selector.select(callee: target, purpose: .service, agent: nil, now: monday)
                    }
                    continue
                }
                let least = eligible.filter { matches($0, level) }.map { usage[$0].used }.min()!
                let selection = try selector.select(callee: target, purpose: .service, agent: nil, now: monday)
                let chosen = numbers.firstIndex { phone($0.0) == selection.number }!
                #expect(selection.matchLevel == level, "step \(step)")
                #expect(usage[chosen].used == least && eligible.contains(chosen), "step \(step): chose \(selection.number.e164) at \(usage[chosen].used) units, least was \(least)")
                choices += 1
                if action % 3 == 0 { _ = try selector.dial(selection.reservation, now: monday) }
                if action % 2 == 0 { held.append(selection.reservation) } else { try selector.finish(selection.reservation) }
            }
        }
        #expect(choices > 100)
    }

    @Test("reservations expire; a dialled call frees its number when finished; stale ids are refused")
    func reservations() async throws {
        let pool = try TestPool()
        defer { pool.remove() }
        try await pool.add([("0755-83201001", .service, .active, nil)], at: monday)
        let service = try await pool.service(now: monday)
        let selector = service.selector
        let first = try selector.select(callee: directory.info(for: phone(callee.shenzhen)), purpose: .service, agent: nil, now: monday)
        // One call at a time: the only number is busy.
        #expect(throws: PoolInputError.noNumberAvailable(purpose: .service)) {
            try selector.select(callee: directory.info(for: phone(callee.harbin)), purpose: .service, agent: nil, now: monday)
        }
        #expect(selector.expire(now: monday.addingTimeInterval(119)) == 0)
        #expect(selector.expire(now: monday.addingTimeInterval(121)) == 1)
        #expect(throws: PoolInputError.unknownReservation(first.reservation.description)) { try selector.dial(first.reservation, now: monday) }
        #expect(selector.usage(of: phone("0755-83201001"))?.used == 0)
        let second = try selector.select(callee: directory.info(for: phone(callee.shenzhen)), purpose: .service, agent: nil, now: monday)
        #expect(second.reservation != first.reservation)
        _ = try selector.dial(second.reservation, now: monday)
        try selector.finish(second.reservation)
        #expect(selector.usage(of: phone("0755-83201001"))?.used == 1)
        #expect(selector.usage(of: phone("0755-83201001"))?.busy == 0)
        #expect(ReservationID("rsv_x") == nil)
    }
}

/// A value shared by concurrent tasks.
final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func withLock<Result>(_ body: (inout Value) -> Result) -> Result { value.withLock { body(&$0) } }
}
