/// Overflow-checked decimal parsing for scalar header fields (RFC 4475 §3.1.2.4 sends values past 2^64).
enum DecimalNumber {
    static func parse(_ digits: some Collection<UInt8>, maximum: UInt64) throws(SIPSyntaxError) -> UInt64 {
        // Only an error needs the text.
        var text: String { String(decoding: digits, as: UTF8.self) }
        guard !digits.isEmpty, digits.allSatisfy(CharacterClass.isDigit) else {
            throw .invalidNumber(text)
        }
        var value: UInt64 = 0
        for byte in digits {
            let digit = UInt64(byte - UInt8(ascii: "0"))
            guard digit <= maximum, value <= (maximum - digit) / 10 else {
                throw .numberOutOfRange(text)
            }
            value = value * 10 + digit
        }
        return value
    }

    static func parsePort(_ digits: some Collection<UInt8>) throws(SIPSyntaxError) -> Int {
        do {
            return Int(try parse(digits, maximum: UInt64(UInt16.max)))
        } catch {
            throw .invalidPort(String(decoding: digits, as: UTF8.self))
        }
    }
}
