/// Any URI that may appear in a Request-URI or a name-addr (RFC 3261 §19, §25.1 absoluteURI).
public enum AnyURI: Hashable, Sendable, CustomStringConvertible {
    /// A `sip:` or `sips:` URI.
    case sip(SIPURI)
    /// A `tel:` URI (RFC 3966).
    case tel(TelURI)
    /// Any other absolute URI, kept verbatim (e.g. RFC 4475 §3.3.15 `nobodyKnowsThisScheme:…`).
    case other(scheme: String, specific: String)

    /// Parses a URI; `sip`, `sips` and `tel` are parsed structurally, other schemes are validated and kept verbatim.
    public init(parsing text: String) throws(SIPSyntaxError) {
        try self.init(bytes: Array(text.utf8)[...])
    }

    init(bytes: ArraySlice<UInt8>) throws(SIPSyntaxError) {
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else {
            throw .invalidScheme(String(decoding: bytes, as: UTF8.self))
        }
        let scheme = bytes[bytes.startIndex..<colon]
        // RFC 3261 §25.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
        guard let first = scheme.first, CharacterClass.isAlpha(first),
              scheme.allSatisfy({ CharacterClass.isAlphanumeric($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") })
        else {
            throw .invalidScheme(String(decoding: scheme, as: UTF8.self))
        }
        let specific = bytes[(colon + 1)...]
        // Schemes are case-insensitive (RFC 3261 §19.1.4); compare letters by folding ASCII case.
        func isScheme(_ name: StaticString) -> Bool {
            scheme.count == name.utf8CodeUnitCount
                && name.withUTF8Buffer { name in zip(scheme, name).allSatisfy { $0 | 0x20 == $1 } }
        }
        if isScheme("sip") {
            self = .sip(try SIPURI(isSecure: false, specific: specific))
        } else if isScheme("sips") {
            self = .sip(try SIPURI(isSecure: true, specific: specific))
        } else if isScheme("tel") {
            self = .tel(try TelURI(specific: specific))
        } else {
            let schemeText = String(decoding: scheme, as: UTF8.self)
            // RFC 3261 §25.1: absoluteURI parts are uric = reserved / unreserved / escaped
            guard !specific.isEmpty else { throw .empty("URI") }
            if let bad = specific.first(where: { !(CharacterClass.isReserved($0) || CharacterClass.isUnreserved($0) || $0 == UInt8(ascii: "%")) }) {
                throw .expected("URI character", found: String(decoding: [bad], as: UTF8.self))
            }
            self = .other(scheme: schemeText, specific: String(decoding: specific, as: UTF8.self))
        }
    }

    /// The SIP URI, when this is one.
    public var sipURI: SIPURI? {
        if case .sip(let uri) = self { uri } else { nil }
    }

    /// The URI as it is written on the wire.
    public var description: String {
        switch self {
        case .sip(let uri): uri.description
        case .tel(let uri): uri.description
        case .other(let scheme, let specific): "\(scheme):\(specific)"
        }
    }
}

/// A `sip:`/`sips:` URI (RFC 3261 §19.1). User, password and parameters are stored percent-decoded.
///
/// The parts live in one copy-on-write box: a URI is copied into every request, address, dialog and
/// configuration that names it, and copying it then retains one reference instead of each of its strings
/// and lists.
public struct SIPURI: Hashable, Sendable, CustomStringConvertible {
    private struct Parts: Sendable {
        var isSecure: Bool
        var user: String?
        var password: String?
        var host: String
        var port: Int?
        var parameters: SIPParameters
        var headers: SIPParameters
    }

    private var parts: CopyOnWrite<Parts>

    /// `true` for `sips:`.
    public var isSecure: Bool {
        get { parts.value.isSecure }
        set { parts.value.isSecure = newValue }
    }
    /// The user part, decoded.
    public var user: String? {
        get { parts.value.user }
        set { parts.value.user = newValue }
    }
    /// The password, decoded; nil when the userinfo has no `:`.
    public var password: String? {
        get { parts.value.password }
        set { parts.value.password = newValue }
    }
    /// The host as written: a hostname, an IPv4 address, or an IPv6 reference including its brackets.
    public var host: String {
        get { parts.value.host }
        set { parts.value.host = newValue }
    }
    /// The port, when present.
    public var port: Int? {
        get { parts.value.port }
        set { parts.value.port = newValue }
    }
    /// URI parameters (`;transport=udp;lr`), decoded.
    public var parameters: SIPParameters {
        get { parts.value.parameters }
        _modify { yield &parts.value.parameters }
    }
    /// URI headers (`?Subject=x`), decoded; values are never nil.
    public var headers: SIPParameters {
        get { parts.value.headers }
        _modify { yield &parts.value.headers }
    }

    /// Creates a SIP URI.
    public init(
        user: String? = nil,
        password: String? = nil,
        host: String,
        port: Int? = nil,
        isSecure: Bool = false,
        parameters: SIPParameters = [],
        headers: SIPParameters = []
    ) {
        parts = CopyOnWrite(Parts(
            isSecure: isSecure, user: user, password: password, host: host, port: port, parameters: parameters, headers: headers))
    }

    /// URIs are equal when every part is; two copies of one URI compare without reading the parts.
    public static func == (lhs: SIPURI, rhs: SIPURI) -> Bool {
        lhs.parts.isIdentical(to: rhs.parts) || (lhs.isSecure == rhs.isSecure && lhs.user == rhs.user && lhs.password == rhs.password
            && lhs.host == rhs.host && lhs.port == rhs.port && lhs.parameters == rhs.parameters && lhs.headers == rhs.headers)
    }

    /// Hashes every part.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(isSecure)
        hasher.combine(user)
        hasher.combine(password)
        hasher.combine(host)
        hasher.combine(port)
        hasher.combine(parameters)
        hasher.combine(headers)
    }

    /// Parses a `sip:` or `sips:` URI.
    public init(parsing text: String) throws(SIPSyntaxError) {
        guard case .sip(let uri) = try AnyURI(parsing: text) else {
            throw .invalidScheme(text)
        }
        self = uri
    }

    init(isSecure: Bool, specific: ArraySlice<UInt8>) throws(SIPSyntaxError) {
        var user: String?
        var password: String?
        var port: Int?
        var hostPart = specific
        // RFC 3261 §19.1.1: userinfo ends at the only unescaped "@"; no later component may contain one.
        if let at = specific.firstIndex(of: UInt8(ascii: "@")) {
            let userinfo = specific[specific.startIndex..<at]
            let userBytes: ArraySlice<UInt8>
            if let colon = userinfo.firstIndex(of: UInt8(ascii: ":")) {
                userBytes = userinfo[userinfo.startIndex..<colon]
                let passwordBytes = userinfo[(colon + 1)...]
                try Self.validate(passwordBytes, element: "password", allowing: CharacterClass.isPasswordUnescaped)
                password = try PercentEncoding.decode(passwordBytes)
            } else {
                userBytes = userinfo
            }
            guard !userBytes.isEmpty else { throw .empty("user") }
            try Self.validate(userBytes, element: "user", allowing: CharacterClass.isUserUnescaped)
            user = try PercentEncoding.decode(userBytes)
            hostPart = specific[(at + 1)...]
        }

        var scanner = ByteScanner(hostPart)
        let host = try Self.scanHost(&scanner)
        if scanner.consume(UInt8(ascii: ":")) {
            port = try DecimalNumber.parsePort(scanner.scan(while: CharacterClass.isDigit))
        }
        var parameters = SIPParameters()
        while scanner.consume(UInt8(ascii: ";")) {
            let name = scanner.scan(while: Self.isParameterByte)
            guard !name.isEmpty else { throw .expected("uri-parameter", found: scanner.remainder) }
            var value: String?
            if scanner.consume(UInt8(ascii: "=")) {
                let valueBytes = scanner.scan(while: Self.isParameterByte)
                guard !valueBytes.isEmpty else { throw .expected("uri-parameter value", found: scanner.remainder) }
                value = try PercentEncoding.decode(valueBytes)
            }
            parameters.append(SIPParameter(try PercentEncoding.decode(name), value))
        }
        var headers = SIPParameters()
        if scanner.consume(UInt8(ascii: "?")) {
            repeat {
                let name = scanner.scan(while: Self.isHeaderByte)
                guard !name.isEmpty, scanner.consume(UInt8(ascii: "=")) else {
                    throw .expected("uri-header name=value", found: scanner.remainder)
                }
                let value = scanner.scan(while: Self.isHeaderByte)
                headers.append(SIPParameter(try PercentEncoding.decode(name), try PercentEncoding.decode(value)))
            } while scanner.consume(UInt8(ascii: "&"))
        }
        try scanner.expectEnd()
        parts = CopyOnWrite(Parts(
            isSecure: isSecure, user: user, password: password, host: host, port: port, parameters: parameters, headers: headers))
    }

    /// Scans `host` (RFC 3261 §25.1): hostname / IPv4address / IPv6reference.
    static func scanHost(_ scanner: inout ByteScanner) throws(SIPSyntaxError) -> String {
        if scanner.peek == UInt8(ascii: "[") {
            let start = scanner.index
            scanner.index += 1
            let address = scanner.scan { CharacterClass.isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }
            guard !address.isEmpty, scanner.consume(UInt8(ascii: "]")) else {
                throw .invalidHost(String(decoding: scanner.bytes[start...], as: UTF8.self))
            }
            return String(decoding: scanner.bytes[start..<scanner.index], as: UTF8.self)
        }
        let host = scanner.scan(while: CharacterClass.isHostname)
        guard let first = host.first, CharacterClass.isAlphanumeric(first) else {
            throw .invalidHost(host.isEmpty ? scanner.remainder : String(decoding: host, as: UTF8.self))
        }
        return String(decoding: host, as: UTF8.self)
    }

    private static func validate(
        _ bytes: ArraySlice<UInt8>, element: String, allowing isAllowed: (UInt8) -> Bool
    ) throws(SIPSyntaxError) {
        if let bad = bytes.first(where: { !isAllowed($0) && $0 != UInt8(ascii: "%") }) {
            throw .expected("\(element) character", found: String(decoding: [bad], as: UTF8.self))
        }
    }

    private static func isParameterByte(_ byte: UInt8) -> Bool {
        CharacterClass.isParameterUnescaped(byte) || byte == UInt8(ascii: "%")
    }

    private static func isHeaderByte(_ byte: UInt8) -> Bool {
        CharacterClass.isHeaderUnescaped(byte) || byte == UInt8(ascii: "%")
    }

    /// `true` when the `lr` parameter is present (RFC 3261 §19.1.1 loose routing).
    public var isLooseRouter: Bool { parameters.contains("lr") }

    /// The URI in canonical wire form, escaping whatever the grammar requires.
    public var description: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        appendText(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `description`'s UTF-8 bytes: written into one buffer rather than joined as strings, which
    /// checks capacity and copies once per part.
    func appendText(to bytes: inout [UInt8]) {
        bytes.append(utf8Of: isSecure ? "sips:" : "sip:")
        if let user {
            PercentEncoding.append(user, allowing: CharacterClass.isUserUnescaped, to: &bytes)
            if let password {
                bytes.append(UInt8(ascii: ":"))
                PercentEncoding.append(password, allowing: CharacterClass.isPasswordUnescaped, to: &bytes)
            }
            bytes.append(UInt8(ascii: "@"))
        }
        bytes.append(utf8Of: host)
        if let port {
            bytes.append(UInt8(ascii: ":"))
            SIPSerializer.appendDecimal(port, to: &bytes)
        }
        for parameter in parameters {
            bytes.append(UInt8(ascii: ";"))
            PercentEncoding.append(parameter.name, allowing: CharacterClass.isParameterUnescaped, to: &bytes)
            if let value = parameter.value {
                bytes.append(UInt8(ascii: "="))
                PercentEncoding.append(value, allowing: CharacterClass.isParameterUnescaped, to: &bytes)
            }
        }
        for (index, header) in headers.enumerated() {
            bytes.append(index == 0 ? UInt8(ascii: "?") : UInt8(ascii: "&"))
            PercentEncoding.append(header.name, allowing: CharacterClass.isHeaderUnescaped, to: &bytes)
            bytes.append(UInt8(ascii: "="))
            PercentEncoding.append(header.value ?? "", allowing: CharacterClass.isHeaderUnescaped, to: &bytes)
        }
    }
}

/// A `tel:` URI (RFC 3966 §3): a telephone number with parameters such as `phone-context`.
public struct TelURI: Hashable, Sendable, CustomStringConvertible {
    /// The number as written, including a leading `+` for global numbers and any visual separators.
    public var number: String
    /// Parameters (`;phone-context=…;ext=…`), decoded.
    public var parameters: SIPParameters

    /// Creates a tel URI.
    public init(number: String, parameters: SIPParameters = []) {
        self.number = number
        self.parameters = parameters
    }

    init(specific: ArraySlice<UInt8>) throws(SIPSyntaxError) {
        var scanner = ByteScanner(specific)
        let number = scanner.scan { $0 != UInt8(ascii: ";") }
        try Self.validateNumber(number)
        self.number = String(decoding: number, as: UTF8.self)
        parameters = SIPParameters()
        while scanner.consume(UInt8(ascii: ";")) {
            // RFC 3966 §3: pname = 1*( alphanum / "-" ); pvalue = 1*paramchar
            let name = scanner.scan { CharacterClass.isAlphanumeric($0) || $0 == UInt8(ascii: "-") }
            guard !name.isEmpty else { throw .expected("tel parameter name", found: scanner.remainder) }
            var value: String?
            if scanner.consume(UInt8(ascii: "=")) {
                let valueBytes = scanner.scan { CharacterClass.isParameterUnescaped($0) || $0 == UInt8(ascii: "%") }
                guard !valueBytes.isEmpty else { throw .expected("tel parameter value", found: scanner.remainder) }
                value = try PercentEncoding.decode(valueBytes)
            }
            parameters.append(SIPParameter(String(decoding: name, as: UTF8.self), value))
        }
        try scanner.expectEnd()
    }

    // RFC 3966 §3: global-number-digits = "+" *phonedigit DIGIT *phonedigit;
    // local-number-digits = *phonedigit-hex (HEXDIG / "*" / "#") *phonedigit-hex
    private static func validateNumber(_ number: ArraySlice<UInt8>) throws(SIPSyntaxError) {
        let isVisualSeparator = { (byte: UInt8) in
            byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "(") || byte == UInt8(ascii: ")")
        }
        let text = String(decoding: number, as: UTF8.self)
        if number.first == UInt8(ascii: "+") {
            let digits = number.dropFirst()
            guard digits.contains(where: CharacterClass.isDigit),
                  digits.allSatisfy({ CharacterClass.isDigit($0) || isVisualSeparator($0) })
            else { throw .expected("global telephone number", found: text) }
        } else {
            let isDialable = { (byte: UInt8) in
                CharacterClass.isHexDigit(byte) || byte == UInt8(ascii: "*") || byte == UInt8(ascii: "#")
            }
            guard number.contains(where: isDialable),
                  number.allSatisfy({ isDialable($0) || isVisualSeparator($0) })
            else { throw .expected("local telephone number", found: text) }
        }
    }

    /// The URI in wire form.
    public var description: String {
        var text = "tel:" + number
        for parameter in parameters {
            text += ";" + parameter.name
            if let value = parameter.value {
                text += "=" + PercentEncoding.encode(value, allowing: CharacterClass.isParameterUnescaped)
            }
        }
        return text
    }
}
