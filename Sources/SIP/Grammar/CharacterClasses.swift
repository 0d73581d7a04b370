/// A set of ASCII bytes as a 128-bit mask: testing a byte is a shift and a mask, where a chain of
/// comparisons would cost a branch per range or mark. Bytes from 0x80 are in no set.
struct ByteSet {
    /// Bit `n` stands for byte `n`, 0-63.
    let low: UInt64
    /// Bit `n` stands for byte `64 + n`, 64-127.
    let high: UInt64

    @inline(__always)
    func contains(_ byte: UInt8) -> Bool {
        let mask = byte < 64 ? low : byte < 128 ? high : 0
        return mask >> UInt64(byte & 63) & 1 != 0
    }
}

/// Byte classes of the RFC 3261 §25.1 ABNF. The masks are literals, so a test costs no lazy global;
/// CharacterClassTests derives each one from the ABNF's character lists.
enum CharacterClass {
    static func isAlpha(_ byte: UInt8) -> Bool {
        byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= 0x30 && byte <= 0x39
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        ByteSet(low: 0x03FF_0000_0000_0000, high: 0x07FF_FFFE_07FF_FFFE).contains(byte)
    }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x66)
    }

    /// SP / HTAB; line folds are already unfolded by the message parser.
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09
    }

    // RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
    static func isToken(_ byte: UInt8) -> Bool {
        ByteSet(low: 0x03FF_6CA2_0000_0000, high: 0x47FF_FFFF_87FF_FFFE).contains(byte)
    }

    // RFC 3261 §25.1: word = 1*(token chars / "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}")
    static func isWord(_ byte: UInt8) -> Bool {
        ByteSet(low: 0xD7FF_EFA6_0000_0000, high: 0x6FFF_FFFF_BFFF_FFFE).contains(byte)
    }

    // RFC 3261 §25.1: unreserved = alphanum / mark; mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")"
    static func isUnreserved(_ byte: UInt8) -> Bool {
        ByteSet(low: 0x03FF_6782_0000_0000, high: 0x47FF_FFFE_87FF_FFFE).contains(byte)
    }

    // RFC 3261 §25.1: reserved = ";" / "/" / "?" / ":" / "@" / "&" / "=" / "+" / "$" / ","
    static func isReserved(_ byte: UInt8) -> Bool {
        ByteSet(low: 0xAC00_9850_0000_0000, high: 0x0000_0000_0000_0001).contains(byte)
    }

    // RFC 3261 §25.1: user = 1*( unreserved / escaped / user-unreserved ),
    // user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/"
    static func isUserUnescaped(_ byte: UInt8) -> Bool {
        ByteSet(low: 0xABFF_FFD2_0000_0000, high: 0x47FF_FFFE_87FF_FFFE).contains(byte)
    }

    // RFC 3261 §25.1: password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," )
    static func isPasswordUnescaped(_ byte: UInt8) -> Bool {
        ByteSet(low: 0x23FF_7FD2_0000_0000, high: 0x47FF_FFFE_87FF_FFFE).contains(byte)
    }

    // RFC 3261 §25.1: paramchar = param-unreserved / unreserved / escaped,
    // param-unreserved = "[" / "]" / "/" / ":" / "&" / "+" / "$"
    static func isParameterUnescaped(_ byte: UInt8) -> Bool {
        ByteSet(low: 0x07FF_EFD2_0000_0000, high: 0x47FF_FFFE_AFFF_FFFE).contains(byte)
    }

    // RFC 3261 §25.1: hnv-unreserved / unreserved / escaped,
    // hnv-unreserved = "[" / "]" / "/" / "?" / ":" / "+" / "$"
    static func isHeaderUnescaped(_ byte: UInt8) -> Bool {
        ByteSet(low: 0x87FF_EF92_0000_0000, high: 0x47FF_FFFE_AFFF_FFFE).contains(byte)
    }

    // RFC 3261 §25.1: hostname chars (alphanum / "-" / "."); IPv4 addresses use the same bytes.
    static func isHostname(_ byte: UInt8) -> Bool {
        ByteSet(low: 0x03FF_6000_0000_0000, high: 0x07FF_FFFE_07FF_FFFE).contains(byte)
    }
}

extension Collection where Element == UInt8 {
    /// Whether these bytes spell `text` in any letter case, compared without making strings: SIP's
    /// version, protocol name and similar tokens are case-insensitive (RFC 3261 §7.1, §7.3.1).
    func equalsIgnoringASCIICase(_ text: StaticString) -> Bool {
        text.withUTF8Buffer { expected in count == expected.count && hasPrefixIgnoringASCIICase(expected) }
    }

    /// Whether these bytes spell `text` exactly, compared without making strings.
    func equals(_ text: StaticString) -> Bool {
        text.withUTF8Buffer { expected in count == expected.count && elementsEqual(expected) }
    }

    /// Whether these bytes start with `prefix` exactly, compared without making strings.
    func hasPrefix(_ prefix: StaticString) -> Bool {
        prefix.withUTF8Buffer { expected in count >= expected.count && self.prefix(expected.count).elementsEqual(expected) }
    }

    /// Whether these bytes start with `prefix` in any letter case, such as a media type or an encoding
    /// name (case-insensitive by RFC 3261 §20.15 and RFC 4855 §3).
    func hasPrefixIgnoringASCIICase(_ prefix: some Collection<UInt8>) -> Bool {
        var bytes = makeIterator()
        for wanted in prefix {
            guard let byte = bytes.next(), byte == wanted || (CharacterClass.isAlpha(byte) && byte | 0x20 == wanted | 0x20) else {
                return false
            }
        }
        return true
    }
}
