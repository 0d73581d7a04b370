/// A small deterministic random generator (SplitMix64), so state machines that need random
/// identifiers stay value types and tests can replay them. Seed it from `SystemRandomNumberGenerator`.
public struct SplitMix64: RandomNumberGenerator, Hashable, Sendable {
    private var state: UInt64

    /// Creates a generator from a seed.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random protocol identifiers.
public enum SIPIdentifiers {
    /// The RFC 3261 §8.1.1.7 branch prefix that marks RFC 3261-compliant branches.
    public static let magicCookie = "z9hG4bK"

    /// A new branch: the magic cookie plus 96 random bits (RFC 3261 §8.1.1.7).
    public static func branch(using generator: inout some RandomNumberGenerator) -> String {
        let high = generator.next(), low = generator.next() >> 32
        return text(count: 31) { bytes, index in
            write(magicCookie, to: bytes, at: &index)
            writeHex(high, digits: 16, to: bytes, at: &index)
            writeHex(low, digits: 8, to: bytes, at: &index)
        }
    }

    /// A new From/To tag with 60 random bits (RFC 3261 §19.3 asks for at least 32): 15 hex digits, the
    /// most a Swift string holds without allocating, so neither making the tag nor reading it back from
    /// every response to the call allocates.
    public static func tag(using generator: inout some RandomNumberGenerator) -> String {
        hex(generator.next(), digits: 15)
    }

    /// A new Call-ID: 128 random bits at `host` (RFC 3261 §8.1.1.4).
    public static func callID(host: String, using generator: inout some RandomNumberGenerator) -> String {
        let high = generator.next(), low = generator.next()
        return text(count: 33 + host.utf8.count) { bytes, index in
            writeHex(high, digits: 16, to: bytes, at: &index)
            writeHex(low, digits: 16, to: bytes, at: &index)
            write("@", to: bytes, at: &index)
            write(host, to: bytes, at: &index)
        }
    }

    /// A new digest client nonce (RFC 2617 §3.2.2).
    public static func clientNonce(using generator: inout some RandomNumberGenerator) -> String {
        hex(generator.next())
    }

    /// The low `digits` hex digits of `value`, lower-case and zero-padded.
    static func hex(_ value: UInt64, digits: Int = 16) -> String {
        text(count: digits) { bytes, index in writeHex(value, digits: digits, to: bytes, at: &index) }
    }

    // Identifiers are made for every request, so they are written straight into the string's storage.
    private static func text(count: Int, _ write: (UnsafeMutableBufferPointer<UInt8>, inout Int) -> Void) -> String {
        String(unsafeUninitializedCapacity: count) { bytes in
            var index = 0
            write(bytes, &index)
            return index
        }
    }

    private static func write(_ text: String, to bytes: UnsafeMutableBufferPointer<UInt8>, at index: inout Int) {
        index = bytes.initialize(at: index, withUTF8Of: text)
    }

    // Digits are written from the last up through a pointer, one shift per digit and no bounds check per
    // byte: identifiers take about 120 hex digits per call.
    private static func writeHex(_ value: UInt64, digits: Int, to bytes: UnsafeMutableBufferPointer<UInt8>, at index: inout Int) {
        precondition(digits <= 16 && index + digits <= bytes.count)
        let start = bytes.baseAddress! + index
        var rest = value
        var position = digits
        while position > 0 {
            position -= 1
            let nibble = UInt8(truncatingIfNeeded: rest) & 0xF
            start[position] = nibble &+ (nibble < 10 ? UInt8(ascii: "0") : UInt8(ascii: "a") &- 10)
            rest >>= 4
        }
        index += digits
    }
}

extension String {
    /// The strings joined, written into one new string: a `+` or `+=` chain checks capacity and copies once
    /// per part, and the call engine joins header texts for every request it sends.
    init(concatenating first: String, _ second: String, _ third: String, _ fourth: String = "") {
        let count = first.utf8.count + second.utf8.count + third.utf8.count + fourth.utf8.count
        self.init(unsafeUninitializedCapacity: count) { bytes in
            var index = bytes.initialize(at: 0, withUTF8Of: first)
            index = bytes.initialize(at: index, withUTF8Of: second)
            index = bytes.initialize(at: index, withUTF8Of: third)
            return bytes.initialize(at: index, withUTF8Of: fourth)
        }
    }
}

extension UnsafeMutableBufferPointer<UInt8> {
    /// Copies `text`'s UTF-8 into the buffer from `index` on and returns the index after it. A native
    /// string's UTF-8 is contiguous, so this is one memcpy where initializing from its view goes byte by byte.
    func initialize(at index: Int, withUTF8Of text: String) -> Int {
        let count = text.utf8.count
        guard count > 0 else { return index }
        precondition(index + count <= self.count)
        let target = baseAddress! + index
        if text.utf8.withContiguousStorageIfAvailable({ target.initialize(from: $0.baseAddress!, count: count) }) == nil {
            _ = self[index...].initialize(fromContentsOf: text.utf8)
        }
        return index + count
    }
}

