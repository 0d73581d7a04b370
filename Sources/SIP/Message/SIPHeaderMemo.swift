#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Header values the parser has already parsed, remembered by their exact bytes.
///
/// The responses of one call repeat their From, To and Via byte for byte, and a gateway sends the same
/// Contact on every call. Parsing a header is a pure function of its bytes, so a value found here is
/// exactly what parsing would produce; comparing the bytes costs a small part of parsing them again.
/// Only values that parsed cleanly are remembered: a malformed value is parsed, and rejected, every time.
///
/// The memo is a fixed table indexed by a hash of the header name and bytes, so a new value simply
/// replaces whatever shared its slot. Values longer than ``maximumValueLength`` bytes and headers without
/// a well-known name are never remembered, so a peer cannot make the memo hold more than a few hundred
/// kilobytes. Keep one per thread of parsing (a user agent keeps one on its event loop) and pass it to
/// ``SIPMessage/init(parsing:memo:)``.
public struct SIPHeaderMemo: Sendable {
    /// Where a looked-up value lives or would live, and whether it lives there.
    ///
    /// A look-up returns this rather than the value: a value is a large enum, and an optional of it (or a
    /// tuple holding one) is destroyed through generic value witnesses, for every header looked up.
    struct Slot {
        fileprivate let index: Int
        /// Whether the slot holds the value of the bytes looked up; read it with `value(at:)`.
        let isStored: Bool
    }

    // One array per part, so that a look-up compares a name and bytes in place and copies a value
    // (retaining its strings) only when it is found.
    private var names: [Int]
    private var keys: [[UInt8]]
    /// An empty slot's name is `Int.min`, which no look-up matches, so its value is never read: `.none`
    /// stands in, as an optional would be replaced through generic value witnesses on every store.
    private var values: [SIPMessageParser.ParsedValue]
    private let mask: Int
    /// Look-ups answered from the memo.
    public private(set) var hits = 0
    /// Look-ups that had to parse.
    public private(set) var misses = 0
    /// Values parsed only in part: the part before their parameters (an address's display name and URI,
    /// a Via's protocol and sent-by) was found. Values that differ from earlier ones only in a tag or a
    /// branch, as every new call's do, are parsed so.
    public private(set) var headHits = 0

    /// The longest value remembered, in bytes: real From, To and Via values are far shorter.
    public static let maximumValueLength = 256
    /// The most values a memo holds.
    public static let maximumCapacity = 1 << 16

    /// A memo of `capacity` values, rounded up to a power of two and at most ``maximumCapacity``;
    /// 0 remembers nothing.
    public init(capacity: Int = 1024) {
        let capacity = min(capacity, Self.maximumCapacity)
        let size = capacity <= 0 ? 0 : 1 << (Int.bitWidth - (capacity - 1).leadingZeroBitCount)
        names = Array(repeating: Int.min, count: size)
        keys = Array(repeating: [], count: size)
        values = Array(repeating: .none, count: size)
        mask = size - 1
    }

    /// A memo that remembers nothing: parsing without one.
    static var disabled: SIPHeaderMemo { SIPHeaderMemo(capacity: 0) }

    /// The slot of header `name` with these bytes: holding their value, or where to remember it; nil for a
    /// value the memo cannot hold (too long, or under an unknown name), which is neither hit nor miss.
    mutating func lookUp(_ name: SIPHeaderName, _ bytes: ArraySlice<UInt8>) -> Slot? {
        let found = lookUp(key: name.wellKnownIndex, bytes)
        if let found {
            if found.isStored { hits += 1 } else { misses += 1 }
        }
        return found
    }

    /// The slot of the head (see `remember(head:_:_:in:)`) of a header `name` value.
    mutating func lookUp(head name: SIPHeaderName, _ bytes: ArraySlice<UInt8>) -> Slot? {
        let found = lookUp(key: Self.headKey(name), bytes)
        if found?.isStored == true { headHits += 1 }
        return found
    }

    /// The value a slot holds; only for a slot that `isStored`.
    func value(at slot: Slot) -> SIPMessageParser.ParsedValue {
        values[slot.index]
    }

    /// Remembers the head of a header `name` value: the value these bytes start with, without its parameters.
    mutating func remember(head: SIPMessageParser.ParsedValue, _ name: SIPHeaderName, _ bytes: ArraySlice<UInt8>, in slot: Slot) {
        store(head, key: Self.headKey(name), bytes, in: slot)
    }

    /// Heads share the table with whole values under keys no well-known name index reaches.
    private static func headKey(_ name: SIPHeaderName) -> Int {
        name.wellKnownIndex < 0 ? -1 : name.wellKnownIndex + 1 << 16
    }

    private func lookUp(key nameIndex: Int, _ bytes: ArraySlice<UInt8>) -> Slot? {
        // Unknown names all have index -1, so they are never remembered rather than told apart.
        guard mask >= 0, nameIndex >= 0, bytes.count <= Self.maximumValueLength else { return nil }
        let (index, isStored) = bytes.withUnsafeBytes { raw in
            let index = Self.hash(raw, nameIndex) & mask
            let isStored = names[index] == nameIndex && keys[index].withUnsafeBytes { key in
                key.count == raw.count && (raw.isEmpty || memcmp(key.baseAddress!, raw.baseAddress!, raw.count) == 0)
            }
            return (index, isStored)
        }
        // `store` sets a slot's name, key and value together, so a matching name and key mean a value.
        return Slot(index: index, isStored: isStored)
    }

    /// Remembers what parsing these bytes gave, in the slot `lookUp` returned.
    mutating func remember(_ value: SIPMessageParser.ParsedValue, _ name: SIPHeaderName, _ bytes: ArraySlice<UInt8>, in slot: Slot) {
        store(value, key: name.wellKnownIndex, bytes, in: slot)
    }

    private mutating func store(_ value: SIPMessageParser.ParsedValue, key nameIndex: Int, _ bytes: ArraySlice<UInt8>, in slot: Slot) {
        names[slot.index] = nameIndex
        // The slot's old key makes room for the new one: a slot keeps its buffer rather than allocating
        // one for every value it takes.
        keys[slot.index].removeAll(keepingCapacity: true)
        keys[slot.index].append(contentsOf: bytes)
        values[slot.index] = value
    }

    // Eight bytes at a time, each word mixed by a multiply and a shift (the SplitMix64 finaliser's
    // constants); every byte of the value counts, because values often differ only in a trailing tag.
    private static func hash(_ bytes: UnsafeRawBufferPointer, _ seed: Int) -> Int {
        var state = UInt64(truncatingIfNeeded: seed) ^ (UInt64(bytes.count) &* 0x9E37_79B9_7F4A_7C15)
        func mix(_ word: UInt64) {
            state = (state ^ word) &* 0xBF58_476D_1CE4_E5B9
            state ^= state >> 31
        }
        var offset = 0
        while offset + 8 <= bytes.count {
            mix(bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            offset += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while offset < bytes.count {
            tail |= UInt64(bytes[offset]) << shift
            shift += 8
            offset += 1
        }
        mix(tail)
        state = (state ^ (state >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int(truncatingIfNeeded: state ^ (state >> 31))
    }
}
