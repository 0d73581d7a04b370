/// Byte classes of the RFC 3261 §25.1 ABNF.
enum CharacterClass {
    static func isAlpha(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= 0x30 && byte <= 0x39
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isAlpha(byte) || isDigit(byte)
    }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)
    }

    /// SP / HTAB; line folds are already unfolded by the message parser.
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09
    }

    // RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
    static func isToken(_ byte: UInt8) -> Bool {
        if isAlphanumeric(byte) { return true }
        switch byte {
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "!"), UInt8(ascii: "%"),
             UInt8(ascii: "*"), UInt8(ascii: "_"), UInt8(ascii: "+"), UInt8(ascii: "`"),
             UInt8(ascii: "'"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    // RFC 3261 §25.1: word = 1*(token chars / "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}")
    static func isWord(_ byte: UInt8) -> Bool {
        if isToken(byte) { return true }
        switch byte {
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "<"), UInt8(ascii: ">"),
             UInt8(ascii: ":"), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "/"),
             UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "?"), UInt8(ascii: "{"),
             UInt8(ascii: "}"):
            return true
        default:
            return false
        }
    }

    // RFC 3261 §25.1: unreserved = alphanum / mark; mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")"
    static func isUnreserved(_ byte: UInt8) -> Bool {
        if isAlphanumeric(byte) { return true }
        switch byte {
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "!"),
             UInt8(ascii: "~"), UInt8(ascii: "*"), UInt8(ascii: "'"), UInt8(ascii: "("),
             UInt8(ascii: ")"):
            return true
        default:
            return false
        }
    }

    // RFC 3261 §25.1: reserved = ";" / "/" / "?" / ":" / "@" / "&" / "=" / "+" / "$" / ","
    static func isReserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: ";"), UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: ":"),
             UInt8(ascii: "@"), UInt8(ascii: "&"), UInt8(ascii: "="), UInt8(ascii: "+"),
             UInt8(ascii: "$"), UInt8(ascii: ","):
            return true
        default:
            return false
        }
    }

    // RFC 3261 §25.1: user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/"
    static func isUserUnescaped(_ byte: UInt8) -> Bool {
        if isUnreserved(byte) { return true }
        switch byte {
        case UInt8(ascii: "&"), UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "$"),
             UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "?"), UInt8(ascii: "/"):
            return true
        default:
            return false
        }
    }

    // RFC 3261 §25.1: password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," )
    static func isPasswordUnescaped(_ byte: UInt8) -> Bool {
        if isUnreserved(byte) { return true }
        switch byte {
        case UInt8(ascii: "&"), UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "$"),
             UInt8(ascii: ","):
            return true
        default:
            return false
        }
    }

    // RFC 3261 §25.1: param-unreserved = "[" / "]" / "/" / ":" / "&" / "+" / "$"
    static func isParameterUnescaped(_ byte: UInt8) -> Bool {
        if isUnreserved(byte) { return true }
        switch byte {
        case UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "/"), UInt8(ascii: ":"),
             UInt8(ascii: "&"), UInt8(ascii: "+"), UInt8(ascii: "$"):
            return true
        default:
            return false
        }
    }

    // RFC 3261 §25.1: hnv-unreserved = "[" / "]" / "/" / "?" / ":" / "+" / "$"
    static func isHeaderUnescaped(_ byte: UInt8) -> Bool {
        if isUnreserved(byte) { return true }
        switch byte {
        case UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "/"), UInt8(ascii: "?"),
             UInt8(ascii: ":"), UInt8(ascii: "+"), UInt8(ascii: "$"):
            return true
        default:
            return false
        }
    }

    // RFC 3261 §25.1: hostname chars (alphanum / "-" / "."); IPv4 addresses use the same bytes.
    static func isHostname(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }
}

extension Collection where Element == UInt8 {
    /// Whether these bytes spell `text` in any letter case, compared without making strings: SIP's
    /// version, protocol name and similar tokens are case-insensitive (RFC 3261 §7.1, §7.3.1).
    func equalsIgnoringASCIICase(_ text: StaticString) -> Bool {
        text.withUTF8Buffer { expected in count == expected.count && hasPrefixIgnoringASCIICase(expected) }
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
