@testable import SIP
import Testing

/// The byte classes are mask literals; each must hold exactly the characters the RFC 3261 §25.1 ABNF lists.
@Suite("Character classes")
struct CharacterClassTests {
    static let alphanumeric = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    static let mark = "-_.!~*'()"
    static let unreserved = alphanumeric + mark

    /// Each class as its predicate and the characters the ABNF puts in it.
    static let classes: [(name: String, predicate: @Sendable (UInt8) -> Bool, members: String)] = [
        ("alpha", CharacterClass.isAlpha, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
        ("digit", CharacterClass.isDigit, "0123456789"),
        ("alphanum", CharacterClass.isAlphanumeric, alphanumeric),
        ("hex", CharacterClass.isHexDigit, "0123456789abcdefABCDEF"),
        ("whitespace", CharacterClass.isWhitespace, " \t"),
        ("token", CharacterClass.isToken, alphanumeric + "-.!%*_+`'~"),
        ("word", CharacterClass.isWord, alphanumeric + "-.!%*_+`'~" + "()<>:\\\"/[]?{}"),
        ("unreserved", CharacterClass.isUnreserved, unreserved),
        ("reserved", CharacterClass.isReserved, ";/?:@&=+$,"),
        ("user", CharacterClass.isUserUnescaped, unreserved + "&=+$,;?/"),
        ("password", CharacterClass.isPasswordUnescaped, unreserved + "&=+$,"),
        ("paramchar", CharacterClass.isParameterUnescaped, unreserved + "[]/:&+$"),
        ("hnv", CharacterClass.isHeaderUnescaped, unreserved + "[]/?:+$"),
        ("hostname", CharacterClass.isHostname, alphanumeric + "-."),
    ]

    @Test("every byte 0-255 is in a class exactly when the ABNF lists it", arguments: classes.indices)
    func matchesABNF(index: Int) {
        let (name, predicate, members) = Self.classes[index]
        let expected = Set(members.utf8)
        for byte in UInt8.min...UInt8.max {
            #expect(predicate(byte) == expected.contains(byte), "\(name): byte 0x\(String(byte, radix: 16))")
        }
    }
}
