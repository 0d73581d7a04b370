import Foundation
import Synchronization

/// How close a caller number is to the callee (RULES P2: local numbers are answered 20–30% more often).
public enum MatchLevel: String, Sendable, Codable, CaseIterable, Hashable {
    case city
    case province
    case regionGroup
    case national
}

/// A caller number chosen for a call, with one unit of its daily cap reserved.
public struct CallerSelection: Sendable, Hashable {
    public let number: PhoneNumber
    public let matchLevel: MatchLevel
    /// The callee was called from this number within the sticky window (call-backs reach the company).
    public let sticky: Bool
    /// Units used today, this reservation included.
    public let usedToday: Int
    /// Today's cap (warm-up and throttling applied).
    public let cap: Int
    public let health: Int
    public let reservation: ReservationID
    /// The reservation is released if the call is not dialled by then.
    public let expiresAt: Date
}

/// A reservation's handle: slot and generation, so that a stale id never touches a reused slot.
public struct ReservationID: Sendable, Hashable, CustomStringConvertible {
    let slot: Int32
    let generation: UInt32

    public var description: String { "rsv_\(slot)_\(generation)" }

    public init?(_ text: String) {
        let parts = text.split(separator: "_")
        guard parts.count == 3, parts[0] == "rsv", let slot = Int32(parts[1]), let generation = UInt32(parts[2]) else { return nil }
        self.slot = slot
        self.generation = generation
    }

    init(slot: Int32, generation: UInt32) {
        self.slot = slot
        self.generation = generation
    }
}

/// A durable grant of daily-cap units to one number for one day (see `CallerSelector`).
public struct LeaseRequest: Sendable, Hashable {
    public let number: PhoneNumber
    /// Local (Beijing) day number.
    public let day: Int64
    /// Units granted in all for the day.
    public let leased: Int

    public init(number: PhoneNumber, day: Int64, leased: Int) {
        self.number = number
        self.day = day
        self.leased = leased
    }
}

/// What the selector is built from: the pool, today's durable leases and dials, and who called whom lately.
public struct SelectorSeed: Sendable {
    public struct Number: Sendable {
        public let number: CallerNumber
        public let health: Int
        /// Today's cap with warm-up and throttling applied.
        public let todayCap: Int
        public let leasedToday: Int
        public let dialledToday: Int

        public init(number: CallerNumber, health: Int, todayCap: Int, leasedToday: Int, dialledToday: Int) {
            self.number = number
            self.health = health
            self.todayCap = todayCap
            self.leasedToday = leasedToday
            self.dialledToday = dialledToday
        }
    }

    public var numbers: [Number] = []
    /// Latest caller number (E.164 digits) per callee (E.164 digits) within the sticky window.
    public var lastCaller: [(callee: UInt64, caller: UInt64)] = []
    /// Agent id → trained (RULES P6).
    public var agents: [String: Bool] = [:]
    /// The local day the seed is for.
    public var day: Int64

    public init(day: Int64) {
        self.day = day
    }
}

/// Chooses caller numbers (RULES P2–P8, P14) from an in-memory pool, and reserves a unit of the chosen
/// number's daily cap atomically.
///
/// Caps are made durable by leases: a number is selected only within units already written to the store for
/// today (`leased`). Leases are topped up in batches, ahead of need, by `LeaseWriterService`; after a crash
/// every leased unit counts as used, so no crash can let a number exceed its cap — at most a lease block of
/// units per number is lost for the day.
public final class CallerSelector: Sendable {
    struct Entry: Sendable {
        let number: PhoneNumber
        let purpose: NumberPurpose
        let kind: PhoneNumberKind
        let status: CallerNumberStatus
        let provinceCode: Int
        let city: String?
        let group: RegionGroup?
        let health: Int
        let dailyCap: Int
        let todayCap: Int
        var used: Int
        var leased: Int
        var busy: Int
        var hour: Int64
        var hourUsed: Int
        var leaseWanted: Bool
    }

    struct Reservation: Sendable {
        var entry: Int32
        var callee: UInt64
        var expires: Int64
        var dialled: Bool
        var generation: UInt32
        var live: Bool
    }

    /// The numbers of one purpose that share a city, a province, a region group, or the whole country.
    ///
    /// Selection wants the least used eligible member, healthiest first among equals. Rather than scanning
    /// every member for each call, the group keeps a floor and a cursor: no eligible member is used less
    /// than `level` units, and no eligible member before `cursor` is used exactly `level` units. A member
    /// that becomes selectable again (a call ends, a unit goes back, a lease is written) moves them back.
    struct Group: Sendable {
        /// Entry indices, healthiest first.
        var members: [Int32] = []
        var level = 0
        var cursor = 0
        /// The highest cap of any member: at this level the group has nothing left today.
        var ceiling = 0
    }

    /// Where each purpose's groups are in `State.groups`.
    struct GroupIndex: Sendable {
        var city: [String: Int32] = [:]
        var province: [Int: Int32] = [:]
        var regionGroup: [RegionGroup: Int32] = [:]
        var national: Int32?
    }

    /// An entry's place in one of its (up to four) groups.
    struct Membership: Sendable {
        var group: Int32 = -1
        var position: Int32 = 0
    }

    struct State: ~Copyable {
        var day: Int64
        var entries: [Entry] = []
        var byNumber: [UInt64: Int32] = [:]
        var groups: [Group] = []
        var groupIndex: [NumberPurpose: GroupIndex] = [:]
        /// Four per entry: city, province, region group, national.
        var memberships: [Membership] = []
        /// The hour the groups were last reset for the hourly cap.
        var hour: Int64 = -1
        /// Callee → the caller number (E.164 digits) that last called them.
        var sticky = NumberTable<UInt64>()
        var reservations: [Reservation] = []
        var freeSlots: [Int32] = []
        var wanted: [Int32] = []
        var agents: [String: Bool] = [:]
    }

    public let policy: PoolPolicy
    private let state: Mutex<State>
    private let leaseSignal: AsyncStream<Void>.Continuation
    /// Yields whenever leases are wanted; `LeaseWriterService` waits on it.
    public let leaseNeeded: AsyncStream<Void>

    public init(seed: SelectorSeed, policy: PoolPolicy) {
        self.policy = policy
        (leaseNeeded, leaseSignal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        state = Mutex(State(day: seed.day))
        state.withLock { Self.load(seed, into: &$0, policy: policy) }
        leaseSignal.yield()
    }

    /// What a running selector knows about a number's day that the store does not: units used but not yet
    /// dialled, and calls in flight.
    struct Carry: Sendable {
        let used: Int
        let leased: Int
        let busy: Int
        let hour: Int64
        let hourUsed: Int
    }

    private static func load(
        _ seed: SelectorSeed, into state: inout State, policy: PoolPolicy, carry: [UInt64: Carry] = [:], keepSticky: Bool = false
    ) {
        state.day = seed.day
        state.entries = seed.numbers.map { seed in
            let number = seed.number
            let carried = carry[number.number.e164Digits]
            // From the store alone (a start, or a restart after a crash) every leased unit counts as used.
            let used = carried.map { max($0.used, seed.dialledToday) } ?? max(seed.leasedToday, seed.dialledToday)
            return Entry(
                number: number.number, purpose: number.purpose, kind: number.kind, status: number.status,
                provinceCode: number.province?.code ?? 0, city: number.city, group: number.regionGroup, health: seed.health,
                dailyCap: number.dailyCap, todayCap: seed.todayCap, used: used,
                leased: max(seed.leasedToday, carried?.leased ?? 0, carried == nil ? used : 0), busy: carried?.busy ?? 0,
                hour: carried?.hour ?? -1, hourUsed: carried?.hourUsed ?? 0, leaseWanted: false)
        }
        state.byNumber = Dictionary(uniqueKeysWithValues: state.entries.enumerated().map { ($0.element.number.e164Digits, Int32($0.offset)) })
        state.groups = []
        state.groupIndex = [:]
        state.memberships = Array(repeating: Membership(), count: state.entries.count * 4)
        let order = state.entries.indices.sorted { state.entries[$0].health > state.entries[$1].health }
        func join(_ index: Int, _ slot: Int, _ group: inout Int32?, in groups: inout [Group]) {
            if group == nil {
                group = Int32(groups.count)
                groups.append(Group())
            }
            let id = Int(group!)
            state.memberships[index * 4 + slot] = Membership(group: Int32(id), position: Int32(groups[id].members.count))
            groups[id].members.append(Int32(index))
            groups[id].ceiling = max(groups[id].ceiling, state.entries[index].todayCap)
        }
        var groups: [Group] = []
        for index in order {
            let entry = state.entries[index]
            guard entry.status == .active || entry.status == .warming else { continue }
            var purposeIndex = state.groupIndex[entry.purpose] ?? GroupIndex()
            if let city = entry.city { join(index, 0, &purposeIndex.city[city], in: &groups) }
            if entry.provinceCode != 0 { join(index, 1, &purposeIndex.province[entry.provinceCode], in: &groups) }
            if let group = entry.group { join(index, 2, &purposeIndex.regionGroup[group], in: &groups) }
            join(index, 3, &purposeIndex.national, in: &groups)
            state.groupIndex[entry.purpose] = purposeIndex
        }
        state.groups = groups
        if !keepSticky { state.sticky = NumberTable() }
        for (callee, caller) in seed.lastCaller { state.sticky.update(callee) { $0 = caller } }
        state.agents = seed.agents
        state.wanted = []
        for index in state.entries.indices where canDial(state.entries[index]) {
            state.entries[index].leaseWanted = true
            state.wanted.append(Int32(index))
        }
    }

    /// Replaces the pool (after an evaluation, a status change or an outside write), keeping what this
    /// process knows of today's use and its live reservations.
    /// - Parameter keepSticky: keep the sticky caller IDs known (the seed was read without them).
    public func reload(_ seed: SelectorSeed, keepSticky: Bool = false) {
        state.withLock { state in
            let live = state.reservations.enumerated().filter(\.element.live).map { (state.entries[Int($0.element.entry)].number.e164Digits, $0.offset) }
            var carry: [UInt64: Carry] = [:]
            if state.day == seed.day {
                for entry in state.entries {
                    carry[entry.number.e164Digits] = Carry(used: entry.used, leased: entry.leased, busy: entry.busy, hour: entry.hour, hourUsed: entry.hourUsed)
                }
            }
            Self.load(seed, into: &state, policy: policy, carry: carry, keepSticky: keepSticky)
            for (digits, slot) in live {
                if let index = state.byNumber[digits] {
                    state.reservations[slot].entry = index
                } else {
                    state.reservations[slot].live = false  // the number left the pool
                    state.freeSlots.append(Int32(slot))
                }
            }
        }
        leaseSignal.yield()
    }

    private static func canDial(_ entry: Entry) -> Bool {
        (entry.status == .active || entry.status == .warming) && entry.used < entry.todayCap
    }

    // MARK: - Selection

    /// Chooses a caller number for `callee` and reserves one unit of its cap.
    ///
    /// - Parameters:
    ///   - callee: the callee's number and where it is registered (归属地).
    ///   - agent: the agent placing the call; marketing needs a trained one (RULES P6).
    public func select(
        callee: PhoneInfo, purpose: NumberPurpose, agent: String?, now: Date
    ) throws(PoolInputError) -> CallerSelection {
        if purpose == .marketing {
            guard let agent else { throw .agentRequired }  // RULES P6
            let trained = state.withLock { $0.agents[agent] }
            guard let trained else { throw .unknownAgent(agent) }
            guard trained else { throw .untrainedAgent(agent) }
        }
        let moment = Timestamp(now)
        let result: CallerSelection? = state.withLock { state in
            rollOver(&state, at: moment)
            let hour = moment.seconds / 3600
            var chosen: (index: Int32, level: MatchLevel, sticky: Bool)?
            // Sticky caller ID: the number that called this callee lately, if it can still dial.
            if let caller = state.sticky[callee.number.e164Digits], let index = state.byNumber[caller],
               eligible(state.entries[Int(index)], purpose: purpose, hour: hour) {
                chosen = (index, level(of: state.entries[Int(index)], for: callee), true)
            }
            if chosen == nil, let groups = state.groupIndex[purpose] {
                if policy.hourlyCap != nil && state.hour != hour {
                    // Numbers that reached last hour's cap may dial again.
                    state.hour = hour
                    resetGroups(&state)
                }
                // RULES P2: same city, then province, then region group, then national.
                let candidates: (Int32?, Int32?, Int32?, Int32?) = (
                    callee.city.flatMap { groups.city[$0] },
                    callee.province.flatMap { groups.province[$0.code] },
                    callee.regionGroup.flatMap { groups.regionGroup[$0] },
                    groups.national)
                if let group = candidates.0, let index = best(in: group, state: &state, purpose: purpose, hour: hour) {
                    chosen = (index, .city, false)
                } else if let group = candidates.1, let index = best(in: group, state: &state, purpose: purpose, hour: hour) {
                    chosen = (index, .province, false)
                } else if let group = candidates.2, let index = best(in: group, state: &state, purpose: purpose, hour: hour) {
                    chosen = (index, .regionGroup, false)
                } else if let group = candidates.3, let index = best(in: group, state: &state, purpose: purpose, hour: hour) {
                    chosen = (index, .national, false)
                }
            }
            guard let chosen else { return nil }
            return take(&state, entry: chosen.index, callee: callee.number.e164Digits, level: chosen.level, sticky: chosen.sticky, at: moment)
        }
        guard let result else { throw .noNumberAvailable(purpose: purpose) }
        return result
    }

    /// The least used eligible member of a group, the healthiest among equals (members are in health order).
    /// The caller takes it, so the cursor moves past it.
    private func best(in id: Int32, state: inout State, purpose: NumberPurpose, hour: Int64) -> Int32? {
        let group = Int(id)
        let level = state.groups[group].level
        guard level < state.groups[group].ceiling else { return nil }
        let members = state.groups[group].members
        let cursor = state.groups[group].cursor
        // Usually the next member at the floor is close past the cursor.
        var least = (used: Int.max, position: Int.max)
        for position in cursor..<members.count {
            let index = members[position]
            guard eligible(state.entries[Int(index)], purpose: purpose, hour: hour) else { continue }
            let used = state.entries[Int(index)].used
            if used <= level {
                state.groups[group].cursor = position + 1
                return index
            }
            if used < least.used { least = (used, position) }
        }
        // None left at the floor: one pass finds the new floor and its healthiest member.
        for position in 0..<cursor {
            let index = members[position]
            guard eligible(state.entries[Int(index)], purpose: purpose, hour: hour) else { continue }
            let used = state.entries[Int(index)].used
            if used < least.used || (used == least.used && position < least.position) { least = (used, position) }
        }
        guard least.used != Int.max else {
            state.groups[group].level = state.groups[group].ceiling  // nothing selectable until `reconsider`
            return nil
        }
        state.groups[group].level = least.used
        state.groups[group].cursor = least.position + 1
        return members[least.position]
    }

    /// An entry may have become selectable (its call ended, a unit went back, a lease was written): its
    /// groups must look at it again.
    private func reconsider(_ state: inout State, entry index: Int) {
        let used = state.entries[index].used
        for membership in state.memberships[(index * 4)..<(index * 4 + 4)] where membership.group >= 0 {
            let group = Int(membership.group)
            let position = Int(membership.position)
            if used < state.groups[group].level {
                state.groups[group].level = used
                state.groups[group].cursor = position
            } else if used == state.groups[group].level {
                state.groups[group].cursor = min(state.groups[group].cursor, position)
            }
        }
    }

    private func resetGroups(_ state: inout State) {
        for group in state.groups.indices {
            state.groups[group].level = 0
            state.groups[group].cursor = 0
        }
    }

    @inline(__always)
    private func eligible(_ entry: Entry, purpose: NumberPurpose, hour: Int64) -> Bool {
        guard entry.purpose == purpose,  // RULES P5
              entry.status == .active || entry.status == .warming,
              entry.used < entry.todayCap, entry.used < entry.leased,  // RULES P3, P14; durable headroom
              entry.busy < policy.concurrentCallsPerNumber else { return false }
        if purpose == .marketing && entry.kind == .virtualOperator && !policy.allowVirtualForMarketing { return false }  // RULES P8
        if let hourly = policy.hourlyCap, entry.hour == hour, entry.hourUsed >= hourly { return false }
        return true
    }

    private func level(of entry: Entry, for callee: PhoneInfo) -> MatchLevel {
        if let city = callee.city, entry.city == city { return .city }
        if let province = callee.province, entry.provinceCode == province.code { return .province }
        if let group = callee.regionGroup, entry.group == group { return .regionGroup }
        return .national
    }

    private func take(_ state: inout State, entry index: Int32, callee: UInt64, level: MatchLevel, sticky: Bool, at moment: Timestamp) -> CallerSelection {
        let hour = moment.seconds / 3600
        var entry = state.entries[Int(index)]
        entry.used += 1
        entry.busy += 1
        if entry.hour != hour {
            entry.hour = hour
            entry.hourUsed = 0
        }
        entry.hourUsed += 1
        if !entry.leaseWanted && entry.leased - entry.used < max(1, policy.leaseBlock / 2) && entry.leased < entry.todayCap {
            entry.leaseWanted = true
            state.wanted.append(index)
            leaseSignal.yield()
        }
        state.entries[Int(index)] = entry
        let expires = moment.seconds + Int64(policy.reservationSeconds)
        let slot: Int32
        if let free = state.freeSlots.popLast() {
            slot = free
            state.reservations[Int(slot)].entry = index
            state.reservations[Int(slot)].callee = callee
            state.reservations[Int(slot)].expires = expires
            state.reservations[Int(slot)].dialled = false
            state.reservations[Int(slot)].generation &+= 1
            state.reservations[Int(slot)].live = true
        } else {
            slot = Int32(state.reservations.count)
            state.reservations.append(Reservation(entry: index, callee: callee, expires: expires, dialled: false, generation: 0, live: true))
        }
        return CallerSelection(
            number: entry.number, matchLevel: level, sticky: sticky, usedToday: entry.used, cap: entry.todayCap,
            health: entry.health, reservation: ReservationID(slot: slot, generation: state.reservations[Int(slot)].generation),
            expiresAt: Date(timeIntervalSince1970: TimeInterval(expires)))
    }

    /// A new Beijing day resets the day's counts; leases are asked for anew.
    private func rollOver(_ state: inout State, at moment: Timestamp) {
        let today = CalleeZone.china.localDay(at: moment)
        guard today != state.day else { return }
        state.day = today
        state.wanted = []
        for index in state.entries.indices {
            let live = state.entries[index].busy
            state.entries[index].used = live  // calls in flight at midnight count for the new day
            state.entries[index].leased = 0
            state.entries[index].leaseWanted = Self.canDial(state.entries[index])
            if state.entries[index].leaseWanted { state.wanted.append(Int32(index)) }
        }
        resetGroups(&state)
        leaseSignal.yield()
    }

    // MARK: - Reservations

    /// The call was dialled: the unit is spent; the number stays busy until `finish` (or `maxCallSeconds`).
    public func dial(_ id: ReservationID, now: Date) throws(PoolInputError) -> PhoneNumber {
        try state.withLock { state throws(PoolInputError) -> PhoneNumber in
            let slot = try live(id, in: state)
            guard state.reservations[slot].expires > Timestamp(now).seconds || state.reservations[slot].dialled else {
                release(&state, slot: slot)
                throw .reservationExpired(id.description)
            }
            state.reservations[slot].dialled = true
            state.reservations[slot].expires = Timestamp(now).seconds + Int64(policy.maxCallSeconds)
            let entry = state.entries[Int(state.reservations[slot].entry)]
            let callee = state.reservations[slot].callee
            state.sticky.update(callee) { $0 = entry.number.e164Digits }
            return entry.number
        }
    }

    /// The call ended (or was never dialled): the number is free again; an undialled unit goes back.
    public func finish(_ id: ReservationID) throws(PoolInputError) {
        try state.withLock { state throws(PoolInputError) in
            release(&state, slot: try live(id, in: state))
        }
    }

    /// Releases reservations not dialled in time and calls not finished within `maxCallSeconds`; returns how many.
    @discardableResult
    public func expire(now: Date) -> Int {
        let moment = Timestamp(now).seconds
        return state.withLock { state in
            var released = 0
            for slot in state.reservations.indices where state.reservations[slot].live && state.reservations[slot].expires <= moment {
                release(&state, slot: slot)
                released += 1
            }
            return released
        }
    }

    private func live(_ id: ReservationID, in state: borrowing State) throws(PoolInputError) -> Int {
        let slot = Int(id.slot)
        guard slot >= 0, slot < state.reservations.count, state.reservations[slot].live,
              state.reservations[slot].generation == id.generation else { throw .unknownReservation(id.description) }
        return slot
    }

    private func release(_ state: inout State, slot: Int) {
        let reservation = state.reservations[slot]
        let index = Int(reservation.entry)
        state.entries[index].busy -= 1
        if !reservation.dialled { state.entries[index].used -= 1 }
        state.reservations[slot].live = false
        state.freeSlots.append(Int32(slot))
        reconsider(&state, entry: index)
    }

    // MARK: - Leases

    /// Leases to write: for each number short of durable headroom, the units it should hold for today.
    public func leaseRequests() -> [LeaseRequest] {
        state.withLock { state in
            var requests: [LeaseRequest] = []
            for index in state.wanted {
                let entry = state.entries[Int(index)]
                let target = min(entry.todayCap, entry.dailyCap, entry.used + policy.leaseBlock)
                if target > entry.leased {
                    requests.append(LeaseRequest(number: entry.number, day: state.day, leased: target))
                } else {
                    state.entries[Int(index)].leaseWanted = false
                }
            }
            return requests
        }
    }

    /// Leases the store has made durable; the units become selectable.
    public func leasesWritten(_ requests: [LeaseRequest]) {
        state.withLock { state in
            for request in requests where request.day == state.day {
                guard let index = state.byNumber[request.number.e164Digits] else { continue }
                state.entries[Int(index)].leased = max(state.entries[Int(index)].leased, request.leased)
                state.entries[Int(index)].leaseWanted = false
                reconsider(&state, entry: Int(index))
            }
            state.wanted.removeAll { !state.entries[Int($0)].leaseWanted }
        }
    }

    /// A call placed from a pool number outside waihu's selection (another dialler, an agent's phone): it
    /// uses up the number's cap like any other.
    public func recordOutsideDial(from number: PhoneNumber, at moment: Date) {
        state.withLock { state in
            rollOver(&state, at: Timestamp(moment))
            guard CalleeZone.china.localDay(at: Timestamp(moment)) == state.day, let index = state.byNumber[number.e164Digits] else { return }
            state.entries[Int(index)].used += 1
        }
    }

    // MARK: - Agents

    /// Registers or updates an agent (RULES P6: marketing numbers only for trained agents).
    public func setAgent(_ id: String, trained: Bool) {
        state.withLock { $0.agents[id] = trained }
    }

    /// Today's use of a number: used units and today's cap.
    public func usage(of number: PhoneNumber) -> (used: Int, cap: Int, leased: Int, busy: Int)? {
        state.withLock { state in
            state.byNumber[number.e164Digits].map {
                let entry = state.entries[Int($0)]
                return (entry.used, entry.todayCap, entry.leased, entry.busy)
            }
        }
    }
}
