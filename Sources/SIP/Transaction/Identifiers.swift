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
        magicCookie + hex(generator.next()) + hex(UInt64(truncatingIfNeeded: generator.next() >> 32), digits: 8)
    }

    /// A new From/To tag with 64 random bits (RFC 3261 §19.3 asks for at least 32).
    public static func tag(using generator: inout some RandomNumberGenerator) -> String {
        hex(generator.next())
    }

    /// A new Call-ID: 128 random bits at `host` (RFC 3261 §8.1.1.4).
    public static func callID(host: String, using generator: inout some RandomNumberGenerator) -> String {
        hex(generator.next()) + hex(generator.next()) + "@" + host
    }

    /// A new digest client nonce (RFC 2617 §3.2.2).
    public static func clientNonce(using generator: inout some RandomNumberGenerator) -> String {
        hex(generator.next())
    }

    static func hex(_ value: UInt64, digits: Int = 16) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
