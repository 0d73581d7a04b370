import NIOCore

/// A hashed timer wheel (Varghese & Lauck) for the transaction timers of many concurrent calls.
///
/// SIP keeps several timers per call that are almost always cancelled (Timer B and F run for
/// 64*T1 = 32 s), so scheduling each one on the event loop would keep hundreds of thousands of
/// entries in its priority queue and make cancellation linear. The wheel schedules in O(1) and
/// cancels lazily: the owner forgets a timer's generation and the entry is skipped when its slot
/// comes round. Not thread-safe; the owner confines it to one event loop.
struct TimerWheel<Payload> {
    private struct Entry {
        let dueTick: Int64
        let payload: Payload
    }

    /// The wheel's resolution.
    let resolution: TimeAmount
    private let origin: NIODeadline
    private var slots: [[Entry]]
    /// The last tick whose slot has been processed.
    private var currentTick: Int64 = 0
    /// Entries held, including lazily cancelled ones.
    private(set) var count = 0

    /// Creates a wheel whose tick 0 is `origin`; `slotCount` ticks make one revolution. The default
    /// revolution (81.92 s) outlasts the longest timer a call runs (the 60 s ring timeout, 64*T1 = 32 s
    /// Timers B, D and F), so an entry is visited once, when it falls due, instead of once per revolution.
    init(origin: NIODeadline, resolution: TimeAmount = .milliseconds(10), slotCount: Int = 8192) {
        self.origin = origin
        self.resolution = resolution
        self.slots = Array(repeating: [], count: slotCount)
    }

    /// Adds `payload`, due at `deadline` rounded up to the next tick (and never in a tick already processed).
    mutating func schedule(_ payload: Payload, at deadline: NIODeadline) {
        let offset = (deadline - origin).nanoseconds
        let tick = max(currentTick + 1, (offset + resolution.nanoseconds - 1) / resolution.nanoseconds)
        slots[Int(tick % Int64(slots.count))].append(Entry(dueTick: tick, payload: payload))
        count += 1
    }

    /// When the next tick should be processed, or nil when the wheel is empty.
    var nextDeadline: NIODeadline? {
        count == 0 ? nil : origin + .nanoseconds((currentTick + 1) * resolution.nanoseconds)
    }

    /// Processes every tick up to `now` and returns the payloads that fell due, in tick order.
    mutating func advance(to now: NIODeadline) -> [Payload] {
        let nowTick = (now - origin).nanoseconds / resolution.nanoseconds
        guard nowTick > currentTick else { return [] }
        guard count > 0 else {
            currentTick = nowTick
            return []
        }
        var due: [Payload] = []
        // After a stall longer than a revolution, one pass over every slot finds everything due.
        let firstTick = max(currentTick + 1, nowTick - Int64(slots.count) + 1)
        for tick in firstTick...nowTick {
            let index = Int(tick % Int64(slots.count))
            guard !slots[index].isEmpty else { continue }
            // Take the slot out rather than copy it, so the entries kept for a later revolution are
            // written back into the same storage without a copy-on-write allocation.
            var entries: [Entry] = []
            swap(&entries, &slots[index])
            var kept = 0
            for position in entries.indices {
                let entry = entries[position]
                if entry.dueTick <= nowTick {
                    due.append(entry.payload)
                    count -= 1
                } else {
                    entries[kept] = entry
                    kept += 1
                }
            }
            entries.removeSubrange(kept...)
            slots[index] = entries
        }
        currentTick = nowTick
        return due
    }
}
