/// A SIP request (RFC 3261 §7.1).
///
/// The parts live in one copy-on-write box: a request is held by its call, its transaction and the
/// action that sends it, and a copy then retains one reference instead of each of its parts.
///
/// The requests a call sends are written straight to bytes (see ``OutboundCall``): sending one copies
/// its bytes, and its parts are built, exactly as they serialize to those bytes, only when read. Each read
/// builds them again, so code that reads several parts of such a request changes a copy first (any
/// change keeps the built parts) or, inside this module, reads `withBuiltParts`.
public struct SIPRequest: Hashable, Sendable, SIPMessageProtocol {
    private struct Parts: Sendable {
        var method: SIPMethod
        var uri: AnyURI
        var headers: SIPHeaders
        var body: [UInt8]
        var parsedHeaders: ParsedHeaders?
        var uriText: String?
    }

    /// A request written as bytes, and what it was written from, to build its parts (see `model()`).
    /// The values are kept here rather than captured by a closure, which would be a second allocation
    /// for every request a call sends.
    final class Written: Sendable {
        let method: SIPMethod
        /// The request in canonical wire form.
        let bytes: [UInt8]
        let uri: AnyURI
        let uriText: String
        let fields: RequestFields
        let trailerFields: SIPHeaders
        let body: [UInt8]

        init(
            method: SIPMethod, bytes: [UInt8], uri: AnyURI, uriText: String, fields: RequestFields,
            trailerFields: SIPHeaders, body: [UInt8]
        ) {
            self.method = method
            self.bytes = bytes
            self.uri = uri
            self.uriText = uriText
            self.fields = fields
            self.trailerFields = trailerFields
            self.body = body
        }
    }

    /// The request's own parts; for a written request a shared placeholder until a change builds them.
    private var parts: CopyOnWrite<Parts>
    /// Set while the request is the bytes it was written as.
    private(set) var written: Written?

    private static let placeholder = CopyOnWrite(Parts(
        method: .invite, uri: .other(scheme: "", specific: ""), headers: [], body: [], parsedHeaders: nil, uriText: nil))

    /// The parts to read: the request's own, or those its writer builds.
    private var readable: CopyOnWrite<Parts> {
        written.map { $0.model().parts } ?? parts
    }

    /// The request with its parts built once, for a reader of several of them.
    var withBuiltParts: SIPRequest {
        written?.model() ?? self
    }

    /// Turns a written request into parts before a change.
    private mutating func materialize() {
        guard let written else { return }
        parts = written.model().parts
        self.written = nil
    }

    /// The method.
    public var method: SIPMethod {
        get { written?.method ?? parts.value.method }
        set {
            materialize()
            parts.value.method = newValue
        }
    }
    /// The Request-URI.
    public var uri: AnyURI {
        get { readable.value.uri }
        set {
            materialize()
            parts.value.uri = newValue
            parts.value.uriText = nil
        }
    }
    /// Header fields, in order, without Content-Length.
    public var headers: SIPHeaders {
        get { readable.value.headers }
        _modify {
            materialize()
            parts.value.parsedHeaders = nil
            yield &parts.value.headers
        }
    }
    /// The message body.
    public var body: [UInt8] {
        get { readable.value.body }
        _modify {
            materialize()
            yield &parts.value.body
        }
    }
    /// What the parser parsed of the headers; nil once they change.
    public internal(set) var parsedHeaders: ParsedHeaders? {
        get { written == nil ? parts.value.parsedHeaders : nil }
        set {
            materialize()
            parts.value.parsedHeaders = newValue
        }
    }
    /// `uri` as text, when whoever built the request had it rendered already (a call's INVITE and its
    /// in-dialog requests go to the same URI every time); nil once `uri` changes.
    var uriText: String? {
        get { readable.value.uriText }
        set {
            materialize()
            parts.value.uriText = newValue
        }
    }

    /// Creates a request.
    public init(method: SIPMethod, uri: AnyURI, headers: SIPHeaders = [], body: [UInt8] = []) {
        parts = CopyOnWrite(Parts(method: method, uri: uri, headers: headers, body: body, parsedHeaders: nil, uriText: nil))
    }

    /// Creates a request whose URI is already rendered as `uriText`.
    init(method: SIPMethod, uri: AnyURI, uriText: String, headers: SIPHeaders, body: [UInt8] = []) {
        parts = CopyOnWrite(Parts(method: method, uri: uri, headers: headers, body: body, parsedHeaders: nil, uriText: uriText))
    }

    /// Creates a request from its wire form, which `written.model().serialized()` must equal.
    init(written: Written) {
        parts = Self.placeholder
        self.written = written
    }

    /// Requests are equal when their method, URI, headers and body are.
    public static func == (lhs: SIPRequest, rhs: SIPRequest) -> Bool {
        if let left = lhs.written, let right = rhs.written, left === right { return true }
        if lhs.written == nil, rhs.written == nil, lhs.parts.isIdentical(to: rhs.parts) { return true }
        let left = lhs.readable.value, right = rhs.readable.value
        return left.method == right.method && left.uri == right.uri && left.headers == right.headers && left.body == right.body
    }

    /// Hashes what `==` compares.
    public func hash(into hasher: inout Hasher) {
        let parts = readable.value
        hasher.combine(parts.method)
        hasher.combine(parts.uri)
        hasher.combine(parts.headers)
        hasher.combine(parts.body)
    }
}

/// A SIP response (RFC 3261 §7.2).
public struct SIPResponse: Hashable, Sendable, SIPMessageProtocol {
    /// The status code, 100...699.
    public var statusCode: Int
    /// The reason phrase as sent (may be empty, RFC 4475 §3.1.1.13).
    public var reasonPhrase: String
    /// Header fields, in order, without Content-Length.
    public var headers: SIPHeaders {
        didSet { parsedHeaders = nil }
    }
    /// The message body.
    public var body: [UInt8]
    /// What the parser parsed of the headers; nil once they change.
    public internal(set) var parsedHeaders: ParsedHeaders?

    /// Creates a response; the reason phrase defaults to the RFC 3261 §21 phrase for the code.
    public init(statusCode: Int, reasonPhrase: String? = nil, headers: SIPHeaders = [], body: [UInt8] = []) {
        self.statusCode = statusCode
        self.reasonPhrase = reasonPhrase ?? SIPStatus.reasonPhrase(for: statusCode)
        self.headers = headers
        self.body = body
    }

    /// Builds a response to `request` (RFC 3261 §8.2.6.2): Via, From, To, Call-ID and CSeq are copied
    /// and `toTag` is added to To when it has none.
    public init(replyingTo request: SIPRequest, statusCode: Int, reasonPhrase: String? = nil, toTag: String? = nil) {
        var headers = SIPHeaders()
        for field in request.headers where [.via, .from, .to, .callID, .cseq].contains(field.name) {
            if field.name == .to, let toTag, var to = try? SIPAddress(parsing: field.value), to.tag == nil {
                to.tag = toTag
                headers.append(.to, to.description)
            } else {
                headers.append(field.name, field.value)
            }
        }
        self.init(statusCode: statusCode, reasonPhrase: reasonPhrase, headers: headers)
    }

    /// Responses are equal when their status, reason phrase, headers and body are.
    public static func == (lhs: SIPResponse, rhs: SIPResponse) -> Bool {
        lhs.statusCode == rhs.statusCode && lhs.reasonPhrase == rhs.reasonPhrase && lhs.headers == rhs.headers
            && lhs.body == rhs.body
    }

    /// Hashes what `==` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(statusCode)
        hasher.combine(reasonPhrase)
        hasher.combine(headers)
        hasher.combine(body)
    }

    /// `true` for 1xx.
    public var isProvisional: Bool { (100...199).contains(statusCode) }
    /// `true` for 2xx.
    public var isSuccess: Bool { (200...299).contains(statusCode) }
}

/// Either kind of SIP message.
public enum SIPMessage: Hashable, Sendable {
    /// A request.
    case request(SIPRequest)
    /// A response.
    case response(SIPResponse)
}

/// The headers the parser parses anyway while validating a message (RFC 3261 §8.1.1 mandatory headers
/// and Contact), kept with the message so that the transaction and dialog layers, which read them for
/// every message, do not parse the text again. Messages built in code have none. A class, so that a
/// message stays small to copy.
public final class ParsedHeaders: Sendable {
    let topVia: Via
    let cseq: CSeq
    let from: SIPAddress
    let to: SIPAddress
    let contacts: [SIPAddress]

    init(topVia: Via, cseq: CSeq, from: SIPAddress, to: SIPAddress, contacts: [SIPAddress]) {
        self.topVia = topVia
        self.cseq = cseq
        self.from = from
        self.to = to
        self.contacts = contacts
    }
}

/// Typed access to the headers every SIP message carries. Accessors return nil when a header is
/// absent or malformed; `SIPMessage(parsing:)` has already rejected malformed mandatory headers.
public protocol SIPMessageProtocol {
    /// Header fields.
    var headers: SIPHeaders { get set }
    /// Body bytes.
    var body: [UInt8] { get set }
    /// The values the parser already parsed, nil for messages built in code or changed since.
    var parsedHeaders: ParsedHeaders? { get }
}

extension SIPMessageProtocol {
    /// The Call-ID.
    public var callID: String? { headers[.callID] }
    /// The parsed CSeq.
    public var cseq: CSeq? { parsedHeaders?.cseq ?? headers[.cseq].flatMap { try? CSeq(parsing: $0) } }
    /// The parsed From.
    public var from: SIPAddress? { parsedHeaders?.from ?? headers[.from].flatMap { try? SIPAddress(parsing: $0) } }
    /// The parsed To.
    public var to: SIPAddress? { parsedHeaders?.to ?? headers[.to].flatMap { try? SIPAddress(parsing: $0) } }
    /// Every Via, top first.
    public var vias: [Via] { headers.values(.via).compactMap { try? Via(parsing: $0) } }
    /// The top Via, which identifies the transaction (RFC 3261 §17.1.3).
    public var topVia: Via? { parsedHeaders?.topVia ?? headers[.via].flatMap { try? Via(parsing: $0) } }
    /// Contact addresses (a `*` wildcard is skipped).
    public var contacts: [SIPAddress] {
        parsedHeaders?.contacts ?? headers.values(.contact).compactMap { try? SIPAddress(parsing: $0) }
    }
    /// Record-Route addresses in message order.
    public var recordRoutes: [SIPAddress] { headers.values(.recordRoute).compactMap { try? SIPAddress(parsing: $0) } }
    /// Route addresses in message order.
    public var routes: [SIPAddress] { headers.values(.route).compactMap { try? SIPAddress(parsing: $0) } }
    /// The Content-Type value.
    public var contentType: String? { headers[.contentType] }
}

/// Default reason phrases (RFC 3261 §21 and the RFCs cited beside the others).
public enum SIPStatus {
    /// The default reason phrase for `code`, or a class-level phrase for unknown codes.
    public static func reasonPhrase(for code: Int) -> String {
        if let phrase = phrases[code] { return phrase }
        switch code {
        case 100...199: return "Session Progress"
        case 200...299: return "OK"
        case 300...399: return "Redirection"
        case 400...499: return "Client Error"
        case 500...599: return "Server Error"
        default: return "Global Failure"
        }
    }

    private static let phrases: [Int: String] = [
        100: "Trying", 180: "Ringing", 181: "Call Is Being Forwarded", 182: "Queued",
        183: "Session Progress", 200: "OK", 202: "Accepted",  // RFC 6665 §8.3.1
        300: "Multiple Choices", 301: "Moved Permanently", 302: "Moved Temporarily", 305: "Use Proxy",
        380: "Alternative Service", 400: "Bad Request", 401: "Unauthorized", 402: "Payment Required",
        403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
        407: "Proxy Authentication Required", 408: "Request Timeout", 410: "Gone",
        413: "Request Entity Too Large", 414: "Request-URI Too Long", 415: "Unsupported Media Type",
        416: "Unsupported URI Scheme", 420: "Bad Extension", 421: "Extension Required",
        423: "Interval Too Brief", 480: "Temporarily Unavailable", 481: "Call/Transaction Does Not Exist",
        482: "Loop Detected", 483: "Too Many Hops", 484: "Address Incomplete", 485: "Ambiguous",
        486: "Busy Here", 487: "Request Terminated", 488: "Not Acceptable Here", 491: "Request Pending",
        493: "Undecipherable", 500: "Server Internal Error", 501: "Not Implemented", 502: "Bad Gateway",
        503: "Service Unavailable", 504: "Server Time-out", 505: "Version Not Supported",
        513: "Message Too Large", 600: "Busy Everywhere", 603: "Decline", 604: "Does Not Exist Anywhere",
        606: "Not Acceptable", 607: "Unwanted",  // RFC 8197 §3
        608: "Rejected",  // RFC 8688 §3
    ]
}
