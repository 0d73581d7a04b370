/// What is wrong with a single SIP grammar element (a URI, an address, a Via, a CSeq…).
///
/// Values are reported as text so a log line shows exactly what the peer sent.
public enum SIPSyntaxError: Error, Hashable, Sendable {
    /// A required element (named by the associated value, e.g. `"host"`) is empty.
    case empty(String)
    /// Something other than the expected element was found.
    case expected(String, found: String)
    /// The element parsed, but more text follows it.
    case trailingCharacters(String)
    /// A quoted-string has no closing `"`.
    case unterminatedQuotedString
    /// A `<` has no matching `>`.
    case unterminatedAngleBracket
    /// A `%` is not followed by two hexadecimal digits.
    case invalidEscape(String)
    /// The URI scheme is syntactically invalid.
    case invalidScheme(String)
    /// The host is not a hostname, IPv4 address or bracketed IPv6 reference.
    case invalidHost(String)
    /// The port is not a number in 0...65535.
    case invalidPort(String)
    /// A numeric field is not a decimal number.
    case invalidNumber(String)
    /// A numeric field is larger than its grammar allows.
    case numberOutOfRange(String)
    /// A display name is neither a quoted-string nor a sequence of tokens.
    case invalidDisplayName(String)
    /// A URI contains whitespace (e.g. `< sip:a@b >`).
    case whitespaceInURI(String)
    /// An addr-spec contains `,`, `?` or `;` that only a `<>`-enclosed URI may carry (RFC 3261 §20).
    case uriRequiresAngleBrackets(String)
    /// URI headers (`?name=value`) appear where RFC 3261 §19.1.1 forbids them (the Request-URI).
    case uriHeadersNotAllowed(String)
    /// The Via sent-protocol is not `SIP/2.0/<transport>`.
    case unsupportedProtocol(String)
    /// A Date header is not an RFC 1123 date in GMT.
    case invalidDate(String)
    /// A Content-Type is not `type/subtype *(;param)`.
    case invalidMediaType(String)
}
