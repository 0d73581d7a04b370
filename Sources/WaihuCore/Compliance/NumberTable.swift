import CMemoryHints

/// A hash table keyed by E.164 digits, for the compliance index's per-callee records.
///
/// Open addressing with linear probing; each slot holds its key beside its value, so a lookup usually reads
/// one cache line. A multiplicative hash is mapped onto the capacity by a 128-bit multiply. Phone numbers are
/// never 0, which marks an empty slot. No SipHash, no per-entry allocation.
public struct NumberTable<Value: Sendable>: Sendable {
    struct Slot: Sendable {
        var key: UInt64
        var value: Value?
    }

    private var slots: [Slot] = []
    public private(set) var count = 0

    public init() {}

    @inline(__always)
    private func slot(for key: UInt64) -> Int {
        let hash = key &* 0x9E37_79B9_7F4A_7C15
        return Int(hash.multipliedFullWidth(by: UInt64(slots.count)).high)
    }

    /// The value for `key`, if any.
    @inline(__always)
    public subscript(key: UInt64) -> Value? {
        guard !slots.isEmpty else { return nil }
        return lookup(key, from: slot(for: key))
    }

    /// The home slot of `key`, with its cache lines on their way (see `ComplianceIndex.facts(for:_:)`);
    /// -1 when the table is empty.
    @inline(__always)
    func prefetchHome(of key: UInt64) -> Int {
        guard !slots.isEmpty else { return -1 }
        let index = slot(for: key)
        slots.withUnsafeBufferPointer { buffer in
            let start = UnsafeRawPointer(buffer.baseAddress! + index)
            waihu_prefetch(start)
            waihu_prefetch(start + (MemoryLayout<Slot>.size - 1))  // a slot may straddle two lines
        }
        return index
    }

    /// Calls `body` with the value stored at `home` when that slot holds `key`, in place (no copy).
    @inline(__always)
    func withValue(at home: Int, key: UInt64, _ body: (borrowing Value) -> Void) {
        guard home >= 0 else { return }
        slots.withUnsafeBufferPointer { buffer in
            if buffer[home].key == key, let value = buffer[home].value { body(value) }
        }
    }

    /// The value for `key`, probing from its home slot.
    @inline(__always)
    func lookup(_ key: UInt64, from home: Int) -> Value? {
        guard home >= 0 else { return nil }
        var index = home
        while true {
            let found = slots[index].key
            if found == key { return slots[index].value }
            if found == 0 { return nil }
            index += 1
            if index == slots.count { index = 0 }
        }
    }

    /// Applies `change` to the value for `key` (`nil` if absent) and stores the result.
    public mutating func update(_ key: UInt64, _ change: (inout Value?) -> Void) {
        precondition(key != 0, "phone numbers are never 0")
        if (count + 1) * 10 > slots.count * 7 { grow() }
        var index = slot(for: key)
        while slots[index].key != key && slots[index].key != 0 {
            index += 1
            if index == slots.count { index = 0 }
        }
        if slots[index].key == 0 {
            var value: Value?
            change(&value)
            guard let value else { return }
            slots[index] = Slot(key: key, value: value)
            count += 1
        } else {
            change(&slots[index].value)
            precondition(slots[index].value != nil, "NumberTable does not remove entries")
        }
    }

    private mutating func grow() {
        let old = slots
        slots = hugePageArray(repeating: Slot(key: 0, value: nil), count: max(64, slots.count * 2))
        count = 0
        for slot in old where slot.key != 0 {
            var index = self.slot(for: slot.key)
            while slots[index].key != 0 {
                index += 1
                if index == slots.count { index = 0 }
            }
            slots[index] = slot
            count += 1
        }
    }

    /// Bytes held by the table.
    public var bytes: Int { slots.capacity * MemoryLayout<Slot>.stride }
}
