/// One Via header value (RFC 3261 §20.42, §25.1 via-parm).
public struct Via: Hashable, Sendable, CustomStringConvertible {
    /// The transport token (`UDP`, `TCP`, `TLS`, `SCTP`, or an extension) as written.
    public var transport: String
    /// The sent-by host; IPv6 references keep their brackets.
    public var host: String
    /// The sent-by port, when present.
    public var port: Int?
    /// Via parameters (`branch`, `received`, `rport`, `maddr`, `ttl`, extensions).
    public var parameters: SIPParameters

    /// Creates a Via value.
    public init(transport: String, host: String, port: Int? = nil, parameters: SIPParameters = []) {
        self.transport = transport
        self.host = host
        self.port = port
        self.parameters = parameters
    }

    /// Creates a Via with a `branch` parameter.
    public init(transport: String, host: String, port: Int? = nil, branch: String) {
        self.init(transport: transport, host: host, port: port, parameters: [SIPParameter("branch", branch)])
    }

    /// The transaction branch (RFC 3261 §8.1.1.7).
    public var branch: String? {
        get { parameters["branch"]?.value }
        set {
            if let newValue { parameters.set("branch", newValue) } else { parameters.remove("branch") }
        }
    }

    /// The `received` parameter a server adds (RFC 3261 §18.2.1).
    public var received: String? { parameters["received"]?.value }

    /// The `rport` parameter (RFC 3581 §4): `.some(nil)` when requested without a value, `.some(port)` when filled in.
    public var rport: Int?? {
        guard let parameter = parameters["rport"] else { return nil }
        guard let value = parameter.value else { return .some(nil) }
        return .some(try? DecimalNumber.parsePort(Array(value.utf8)))
    }

    /// Parses `sent-protocol LWS sent-by *( SEMI via-params )`.
    public init(parsing text: String) throws(SIPSyntaxError) {
        try self.init(parsing: Array(text.utf8)[...])
    }

    /// Parses a Via value from UTF-8 bytes, such as a slice of a datagram.
    init(parsing bytes: ArraySlice<UInt8>) throws(SIPSyntaxError) {
        var scanner = ByteScanner(bytes)
        try self.init(head: Self.scanHead(&scanner), parametersFrom: &scanner)
    }

    /// `head` (a Via without parameters, as `scanHead` returns it) with the via-params that `scanner`
    /// holds next, which must end the value.
    init(head: Via, parametersFrom scanner: inout ByteScanner) throws(SIPSyntaxError) {
        self = head
        parameters = try HeaderParameterParser.parseToEnd(&scanner)
    }

    /// Scans sent-protocol and sent-by, leaving `scanner` where the parameters start; the result has no
    /// parameters. Nothing past the sent-by is read but the next byte, to see whether a port follows.
    static func scanHead(_ scanner: inout ByteScanner) throws(SIPSyntaxError) -> Via {
        var head = Via(transport: "", host: "")
        try head.scanHead(&scanner)
        return head
    }

    private mutating func scanHead(_ scanner: inout ByteScanner) throws(SIPSyntaxError) {
        scanner.skipWhitespace()
        // RFC 3261 §25.1: sent-protocol = protocol-name SLASH protocol-version SLASH transport (SLASH = SWS "/" SWS)
        let name = scanner.scan(while: CharacterClass.isToken)
        guard !name.isEmpty else {
            throw .expected("protocol-name", found: scanner.remainder)
        }
        guard scanner.consumeSeparator(UInt8(ascii: "/")), case let version = scanner.scan(while: CharacterClass.isToken), !version.isEmpty else {
            throw .expected("/protocol-version", found: scanner.remainder)
        }
        guard name.equalsIgnoringASCIICase("SIP"), version.elementsEqual("2.0".utf8) else {
            throw .unsupportedProtocol(String(decoding: name, as: UTF8.self) + "/" + String(decoding: version, as: UTF8.self))
        }
        guard scanner.consumeSeparator(UInt8(ascii: "/")), let transport = scanner.scanToken() else {
            throw .expected("/transport", found: scanner.remainder)
        }
        self.transport = transport
        let beforeSpace = scanner.index
        scanner.skipWhitespace()
        guard scanner.index > beforeSpace else {
            throw .expected("LWS before sent-by", found: scanner.remainder)
        }
        host = try SIPURI.scanHost(&scanner)
        if scanner.consumeSeparator(UInt8(ascii: ":")) {
            port = try DecimalNumber.parsePort(scanner.scan(while: CharacterClass.isDigit))
        }
    }

    /// The value in canonical form, e.g. `SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK…`.
    public var description: String {
        var text = "SIP/2.0/"
        text.reserveCapacity(96)
        text += transport
        text += " "
        text += host
        if let port {
            text += ":"
            text += String(port)
        }
        parameters.appendHeaderParameterText(to: &text)
        return text
    }
}

/// The CSeq header value (RFC 3261 §20.16).
public struct CSeq: Hashable, Sendable, CustomStringConvertible {
    /// The sequence number; RFC 3261 §20.16 requires it to fit 32 bits unsigned.
    public var sequenceNumber: UInt32
    /// The request method.
    public var method: SIPMethod

    /// Creates a CSeq value.
    public init(_ sequenceNumber: UInt32, _ method: SIPMethod) {
        self.sequenceNumber = sequenceNumber
        self.method = method
    }

    /// Parses `1*DIGIT LWS Method`.
    public init(parsing text: String) throws(SIPSyntaxError) {
        try self.init(parsing: Array(text.utf8)[...])
    }

    /// Parses a CSeq value from UTF-8 bytes, such as a slice of a datagram.
    init(parsing bytes: ArraySlice<UInt8>) throws(SIPSyntaxError) {
        var scanner = ByteScanner(bytes)
        scanner.skipWhitespace()
        let digits = scanner.scan(while: CharacterClass.isDigit)
        guard !digits.isEmpty else { throw .invalidNumber(scanner.remainder) }
        sequenceNumber = UInt32(try DecimalNumber.parse(digits, maximum: UInt64(UInt32.max)))
        let beforeSpace = scanner.index
        scanner.skipWhitespace()
        guard scanner.index > beforeSpace, let method = scanner.scanToken() else {
            throw .expected("LWS Method", found: scanner.remainder)
        }
        self.method = SIPMethod(method)
        scanner.skipWhitespace()
        try scanner.expectEnd()
    }

    /// `"<number> <method>"`.
    public var description: String {
        String(concatenating: String(sequenceNumber), " ", method.rawValue)
    }
}
