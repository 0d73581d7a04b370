/// A From/To/Contact/Route value: `name-addr` or `addr-spec` plus header parameters (RFC 3261 §20.10, §25.1).
public struct SIPAddress: Hashable, Sendable, CustomStringConvertible {
    /// The display name, unquoted and unescaped; nil when absent.
    public var displayName: String?
    /// The address URI.
    public var uri: AnyURI
    /// Header parameters such as `tag`, `expires`, `q` (values as on the wire).
    public var parameters: SIPParameters

    /// Creates an address.
    public init(displayName: String? = nil, uri: AnyURI, parameters: SIPParameters = []) {
        self.displayName = displayName
        self.uri = uri
        self.parameters = parameters
    }

    /// The `tag` parameter (RFC 3261 §19.3).
    public var tag: String? {
        get { parameters["tag"]?.value }
        set {
            if let newValue { parameters.set("tag", newValue) } else { parameters.remove("tag") }
        }
    }

    /// Parses one name-addr or addr-spec with its parameters.
    public init(parsing text: String) throws(SIPSyntaxError) {
        try self.init(parsing: Array(text.utf8)[...])
    }

    /// Parses one name-addr or addr-spec with its parameters from UTF-8 bytes, such as a slice of a datagram.
    init(parsing bytes: ArraySlice<UInt8>) throws(SIPSyntaxError) {
        var scanner = ByteScanner(bytes)
        try self.init(head: Self.scanHead(&scanner), parametersFrom: &scanner)
    }

    /// `head` (an address without parameters, as `scanHead` returns it) with the header parameters that
    /// `scanner` holds next, which must end the value.
    init(head: SIPAddress, parametersFrom scanner: inout ByteScanner) throws(SIPSyntaxError) {
        self = head
        parameters = try HeaderParameterParser.parseToEnd(&scanner)
    }

    /// Scans the display name and URI, leaving `scanner` where the header parameters start; the result
    /// has no parameters. A name-addr is read up to its `>` and no further, so the same bytes give the
    /// same result whatever follows them.
    static func scanHead(_ scanner: inout ByteScanner) throws(SIPSyntaxError) -> SIPAddress {
        var head = SIPAddress(uri: .other(scheme: "", specific: ""))
        try head.scanHead(&scanner)
        return head
    }

    private mutating func scanHead(_ scanner: inout ByteScanner) throws(SIPSyntaxError) {
        scanner.skipWhitespace()
        guard !scanner.isAtEnd else { throw .empty("address") }
        if scanner.peek == UInt8(ascii: "\"") {
            displayName = QuotedString.unquote(try scanner.scanQuotedString())
            scanner.skipWhitespace()
            guard scanner.peek == UInt8(ascii: "<") else {
                throw .expected("<", found: scanner.remainder)
            }
            uri = try Self.scanAngleBracketedURI(&scanner)
        } else if scanner.peek == UInt8(ascii: "<") {
            uri = try Self.scanAngleBracketedURI(&scanner)
        } else if let angle = Self.firstUnquotedAngleBracket(in: scanner) {
            // RFC 3261 §25.1: display-name = *(token LWS) / quoted-string
            let name = scanner.bytes[scanner.index..<angle]
            guard name.allSatisfy({ CharacterClass.isToken($0) || CharacterClass.isWhitespace($0) }) else {
                throw .invalidDisplayName(String(decoding: name, as: UTF8.self).trimmingSIPWhitespace())
            }
            let trimmed = String(decoding: name, as: UTF8.self).trimmingSIPWhitespace()
            displayName = trimmed.isEmpty ? nil : trimmed
            scanner.index = angle
            uri = try Self.scanAngleBracketedURI(&scanner)
        } else {
            // RFC 3261 §20.10: without <>, parameters after the URI are header parameters.
            let uriBytes = scanner.scan { $0 != UInt8(ascii: ";") && !CharacterClass.isWhitespace($0) }
            if uriBytes.contains(UInt8(ascii: ",")) || uriBytes.contains(UInt8(ascii: "?")) {
                throw .uriRequiresAngleBrackets(String(decoding: uriBytes, as: UTF8.self))
            }
            uri = try AnyURI(bytes: uriBytes)
        }
    }

    private static func scanAngleBracketedURI(_ scanner: inout ByteScanner) throws(SIPSyntaxError) -> AnyURI {
        guard scanner.consume(UInt8(ascii: "<")) else {
            throw .expected("<", found: scanner.remainder)
        }
        let uriBytes = scanner.scan { $0 != UInt8(ascii: ">") }
        guard scanner.consume(UInt8(ascii: ">")) else { throw .unterminatedAngleBracket }
        // RFC 3261 §25.1: LAQUOT = SWS "<" and RAQUOT = ">" SWS, so no whitespace inside the brackets.
        if uriBytes.contains(where: CharacterClass.isWhitespace) {
            throw .whitespaceInURI(String(decoding: uriBytes, as: UTF8.self))
        }
        return try AnyURI(bytes: uriBytes)
    }

    private static func firstUnquotedAngleBracket(in scanner: ByteScanner) -> Int? {
        var probe = scanner
        while let byte = probe.peek {
            if byte == UInt8(ascii: "<") { return probe.index }
            if byte == UInt8(ascii: "\"") {
                guard (try? probe.scanQuotedString()) != nil else { return nil }
            } else {
                probe.index += 1
            }
        }
        return nil
    }

    /// The address in name-addr form: `"Display" <uri>;params`.
    public var description: String {
        var text = displayName.map { QuotedString.quote($0) + " " } ?? ""
        text.reserveCapacity(text.utf8.count + 96)
        text += "<"
        text += uri.description
        text += ">"
        parameters.appendHeaderParameterText(to: &text)
        return text
    }
}

extension BidirectionalCollection where Element == UInt8, SubSequence == Self {
    /// Trims SP and HTAB, the only whitespace SIP's LWS allows after unfolding.
    func trimmingSIPWhitespace() -> Self {
        guard let first = firstIndex(where: { !CharacterClass.isWhitespace($0) }),
              let last = lastIndex(where: { !CharacterClass.isWhitespace($0) })
        else { return self[endIndex...] }
        return self[first...last]
    }
}

extension String {
    /// Trims SP and HTAB, the only whitespace SIP's LWS allows after unfolding.
    func trimmingSIPWhitespace() -> String {
        String(decoding: Array(utf8)[...].trimmingSIPWhitespace(), as: UTF8.self)
    }
}
