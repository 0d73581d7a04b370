/// One `;name=value` parameter; `value` is nil for a flag parameter such as `;lr`.
public struct SIPParameter: Hashable, Sendable {
    /// The parameter name as written.
    public var name: String
    /// The value, or nil for a parameter without `=`.
    public var value: String?

    /// Creates a parameter.
    public init(_ name: String, _ value: String? = nil) {
        self.name = name
        self.value = value
    }
}

/// An ordered parameter list with case-insensitive name lookup (RFC 3261 §7.3.1, §19.1.4).
///
/// For header parameters (`tag`, `branch`, `expires`…) values are kept as they appear on the
/// wire, so a quoted-string value keeps its quotes. For URI parameters values are percent-decoded.
public struct SIPParameters: Hashable, Sendable, RandomAccessCollection, ExpressibleByArrayLiteral {
    /// The parameters in order.
    public private(set) var elements: [SIPParameter]

    /// Creates a parameter list.
    public init(_ elements: [SIPParameter] = []) {
        self.elements = elements
    }

    /// Creates a parameter list from a literal.
    public init(arrayLiteral elements: SIPParameter...) {
        self.elements = elements
    }

    /// The first position.
    public var startIndex: Int { elements.startIndex }
    /// One past the last position.
    public var endIndex: Int { elements.endIndex }
    /// The parameter at `position`.
    public subscript(position: Int) -> SIPParameter { elements[position] }

    /// The first parameter named `name` (case-insensitive).
    public subscript(name: String) -> SIPParameter? {
        elements.first { Self.namesMatch($0.name, name) }
    }

    /// Whether a parameter named `name` is present, with or without a value.
    public func contains(_ name: String) -> Bool {
        self[name] != nil
    }

    /// Sets `name` to `value`, replacing the first parameter of that name in place or appending a new one.
    public mutating func set(_ name: String, _ value: String?) {
        if let index = elements.firstIndex(where: { Self.namesMatch($0.name, name) }) {
            elements[index].value = value
        } else {
            elements.append(SIPParameter(name, value))
        }
    }

    /// Removes every parameter named `name`.
    public mutating func remove(_ name: String) {
        elements.removeAll { Self.namesMatch($0.name, name) }
    }

    /// Case-insensitive equality of parameter names (RFC 3261 §7.3.1), without allocating: names are
    /// tokens, so ASCII case folding is enough.
    static func namesMatch(_ lhs: String, _ rhs: String) -> Bool {
        guard lhs.utf8.count == rhs.utf8.count else { return false }
        // Compare contiguous UTF-8 (every native or literal string is), not the generic views.
        var lhs = lhs
        var rhs = rhs
        return lhs.withUTF8 { left in
            rhs.withUTF8 { right in
                zip(left, right).allSatisfy { left, right in
                    left == right || (left | 0x20 == right | 0x20 && (left | 0x20) >= UInt8(ascii: "a") && (left | 0x20) <= UInt8(ascii: "z"))
                }
            }
        }
    }

    /// Makes room for `count` parameters.
    mutating func reserveCapacity(_ count: Int) {
        elements.reserveCapacity(count)
    }

    /// Appends a parameter, keeping any existing one with the same name.
    public mutating func append(_ parameter: SIPParameter) {
        elements.append(parameter)
    }

    /// Appends `;name=value` for each header parameter, values written as stored.
    func appendHeaderParameterText(to text: inout String) {
        for parameter in elements {
            text += ";"
            text += parameter.name
            if let value = parameter.value {
                text += "="
                text += value
            }
        }
    }
}

/// Parses `*( SEMI generic-param )` after a header value (RFC 3261 §25.1).
enum HeaderParameterParser {
    /// The parameters that end a header value: nothing but whitespace may follow them.
    static func parseToEnd(_ scanner: inout ByteScanner) throws(SIPSyntaxError) -> SIPParameters {
        let parameters = try parse(&scanner)
        scanner.skipWhitespace()
        try scanner.expectEnd()
        return parameters
    }

    static func parse(_ scanner: inout ByteScanner) throws(SIPSyntaxError) -> SIPParameters {
        var parameters = SIPParameters()
        while scanner.consumeSeparator(UInt8(ascii: ";")) {
            guard let name = scanner.scanToken() else {
                throw .expected("parameter name", found: scanner.remainder)
            }
            var value: String?
            if scanner.consumeSeparator(UInt8(ascii: "=")) {
                value = try scanValue(&scanner)
            }
            // Headers carry a few parameters (tag, branch, rport…): one allocation instead of regrowing.
            if parameters.isEmpty { parameters.reserveCapacity(4) }
            parameters.append(SIPParameter(name, value))
        }
        return parameters
    }

    // RFC 3261 §25.1: gen-value = token / host / quoted-string
    private static func scanValue(_ scanner: inout ByteScanner) throws(SIPSyntaxError) -> String {
        if scanner.peek == UInt8(ascii: "\"") {
            return String(decoding: try scanner.scanQuotedString(), as: UTF8.self)
        }
        let value = scanner.scan { byte in
            CharacterClass.isToken(byte) || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]")
                || byte == UInt8(ascii: ":")
        }
        guard !value.isEmpty else {
            throw .expected("parameter value", found: scanner.remainder)
        }
        return String(decoding: value, as: UTF8.self)
    }
}
