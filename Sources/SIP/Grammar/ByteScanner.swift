/// A bounds-checked cursor over the UTF-8 bytes of one header value or URI.
///
/// Every read is checked, so malformed input produces a `SIPSyntaxError` rather than a trap.
struct ByteScanner {
    /// The bytes scanned; a slice of a larger value keeps that value's indices.
    let bytes: ArraySlice<UInt8>
    var index: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    init(_ bytes: [UInt8]) {
        self.init(bytes[...])
    }

    init(_ string: String) {
        self.init(Array(string.utf8))
    }

    var isAtEnd: Bool { index >= bytes.endIndex }

    var peek: UInt8? { index < bytes.endIndex ? bytes[index] : nil }

    /// The unread text, for error messages.
    var remainder: String {
        String(decoding: bytes[min(index, bytes.endIndex)...], as: UTF8.self)
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        index += 1
        return true
    }

    mutating func skipWhitespace() {
        while let byte = peek, CharacterClass.isWhitespace(byte) { index += 1 }
    }

    /// Consumes `SWS separator SWS` (RFC 3261 §25.1 SEMI, EQUAL, COLON, SLASH, COMMA); restores the position when absent.
    mutating func consumeSeparator(_ separator: UInt8) -> Bool {
        let start = index
        skipWhitespace()
        if consume(separator) {
            skipWhitespace()
            return true
        }
        index = start
        return false
    }

    mutating func scan(while predicate: (UInt8) -> Bool) -> ArraySlice<UInt8> {
        let start = index
        while let byte = peek, predicate(byte) { index += 1 }
        return bytes[start..<index]
    }

    mutating func scanToken() -> String? {
        let token = scan(while: CharacterClass.isToken)
        return token.isEmpty ? nil : String(decoding: token, as: UTF8.self)
    }

    /// Consumes a token without making a string of it; false when there is none.
    mutating func skipToken() -> Bool {
        !scan(while: CharacterClass.isToken).isEmpty
    }

    /// Scans a quoted-string starting at `"` (RFC 3261 §25.1) and returns the raw text including the quotes.
    mutating func scanQuotedString() throws(SIPSyntaxError) -> ArraySlice<UInt8> {
        let start = index
        guard consume(UInt8(ascii: "\"")) else {
            throw .expected("quoted-string", found: remainder)
        }
        while let byte = peek {
            index += 1
            if byte == UInt8(ascii: "\\") {
                // RFC 3261 §25.1 quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
                guard index < bytes.endIndex else { break }
                index += 1
            } else if byte == UInt8(ascii: "\"") {
                return bytes[start..<index]
            }
        }
        throw .unterminatedQuotedString
    }

    /// Throws unless every byte has been consumed.
    func expectEnd() throws(SIPSyntaxError) {
        guard isAtEnd else { throw .trailingCharacters(remainder) }
    }
}

/// Quoted-string helpers (RFC 3261 §25.1).
enum QuotedString {
    /// Removes the surrounding quotes and resolves quoted-pairs; `raw` must come from `ByteScanner.scanQuotedString`.
    static func unquote(_ raw: ArraySlice<UInt8>) -> String {
        var result: [UInt8] = []
        result.reserveCapacity(raw.count)
        var index = raw.startIndex + 1
        let end = raw.endIndex - 1
        while index < end {
            if raw[index] == UInt8(ascii: "\\"), index + 1 < end {
                index += 1
            }
            result.append(raw[index])
            index += 1
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// Quotes `text`, escaping `"` and `\` and dropping CR/LF, which no quoted-pair can carry.
    static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\r", "\n":
                result.unicodeScalars.append(" ")
            case "\"", "\\":
                result.unicodeScalars.append("\\")
                result.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                // RFC 3261 §25.1: control characters are only allowed as quoted-pairs.
                result.unicodeScalars.append("\\")
                result.unicodeScalars.append(scalar)
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        result.unicodeScalars.append("\"")
        return result
    }
}

/// `%HH` escaping (RFC 3261 §25.1 escaped).
enum PercentEncoding {
    static func decode(_ bytes: ArraySlice<UInt8>) throws(SIPSyntaxError) -> String {
        // Most values hold no escapes: decode them without an intermediate buffer.
        guard bytes.contains(UInt8(ascii: "%")) else { return String(decoding: bytes, as: UTF8.self) }
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.endIndex,
                      let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) else {
                    throw .invalidEscape(String(decoding: bytes[index...].prefix(3), as: UTF8.self))
                }
                result.append(high << 4 | low)
                index += 3
            } else {
                result.append(byte)
                index += 1
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// Appends `text`'s UTF-8 bytes with those `isAllowed` rejects written as `%HH`, as `encode` does.
    static func append(_ text: String, allowing isAllowed: (UInt8) -> Bool, to bytes: inout [UInt8]) {
        let appended = text.utf8.withContiguousStorageIfAvailable { utf8 in
            // Most values need no escaping: copy them whole.
            if utf8.allSatisfy(isAllowed) {
                bytes.append(contentsOf: utf8)
            } else {
                for byte in utf8 { appendEscaping(byte, allowing: isAllowed, to: &bytes) }
            }
        }
        if appended == nil {
            for byte in text.utf8 { appendEscaping(byte, allowing: isAllowed, to: &bytes) }
        }
    }

    private static func appendEscaping(_ byte: UInt8, allowing isAllowed: (UInt8) -> Bool, to bytes: inout [UInt8]) {
        if isAllowed(byte) {
            bytes.append(byte)
        } else {
            bytes.append(UInt8(ascii: "%"))
            bytes.append(hexDigits[Int(byte >> 4)])
            bytes.append(hexDigits[Int(byte & 0x0F)])
        }
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    static func encode(_ text: String, allowing isAllowed: (UInt8) -> Bool) -> String {
        // Most values need no escaping: return them as they are.
        guard !text.utf8.allSatisfy(isAllowed) else { return text }
        var result: [UInt8] = []
        for byte in text.utf8 { appendEscaping(byte, allowing: isAllowed, to: &result) }
        return String(decoding: result, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
