/// A header field name, compared case-insensitively (RFC 3261 §7.3.1).
///
/// Compact forms (RFC 3261 §7.3.3) are expanded and well-known names take their canonical
/// spelling, so `i`, `call-id` and `Call-ID` are the same name and all print as `Call-ID`.
/// Unknown names keep the spelling they were created with.
public struct SIPHeaderName: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The spelling and case-folded key of a name that is not well known.
    private final class OtherName: Sendable {
        let spelling: String
        let key: String

        init(spelling: String, key: String) {
            self.spelling = spelling
            self.key = key
        }
    }

    /// The position of a well-known name in `wellKnownNames`, or -1 for any other name, so that
    /// comparing two well-known names (every lookup the parser and the call engine make) compares
    /// integers instead of text, and copying one (every header field copy) touches no reference count.
    private let index: Int
    /// Set exactly when `index` is -1.
    private let other: OtherName?

    /// The canonical spelling.
    public var description: String {
        other?.spelling ?? Self.wellKnownNames[index]
    }

    private var key: String {
        other?.key ?? Self.wellKnownKeys[index]
    }

    /// A small number standing for a well-known name (-1 for any other), cheaper to hash than the text.
    var wellKnownIndex: Int { index }

    /// Whether this is Content-Length, which the parser and serializer treat apart; an integer
    /// comparison rather than an equality check against a copied static name.
    var isContentLength: Bool { index == 14 }  // "Content-Length" in wellKnownNames; a literal needs no lazy global

    /// Appends `Name: ` as a header line starts (RFC 3261 §7.3.1), from bytes prepared once for well-known names.
    func appendLineStart(to bytes: inout [UInt8]) {
        if let other {
            bytes.append(utf8Of: other.spelling)
            bytes.append(UInt8(ascii: ":"))
            bytes.append(UInt8(ascii: " "))
        } else {
            bytes.append(contentsOf: Self.wellKnownLineStarts[index])
        }
    }

    private static let wellKnownLineStarts = wellKnownNames.map { Array(($0 + ": ").utf8) }

    /// Whether the grammar of this header is a comma-separated list (RFC 3261 §7.3.1).
    var isList: Bool {
        index >= 0 && Self.listMask >> UInt64(index) & 1 != 0
    }

    /// Whether this is a list of tokens (methods, option tags, codings), which the serializer writes on
    /// one line as peers commonly do: shorter to send and to scan than a line per element. Lists of
    /// addresses and Via stay a line per element.
    var isTokenList: Bool {
        index >= 0 && Self.tokenListMask >> UInt64(index) & 1 != 0
    }

    // Bit n stands for wellKnownNames[n]. Literals, so that reading one (the parser does for every header
    // line) costs no lazy global's once-check; HeaderNameTests derives both from the lists of names.
    static let listMask: UInt64 = 0x001A_4289_0044_363F
    static let tokenListMask: UInt64 = 0x0002_4081_0000_3037

    /// Normalises `name`.
    public init(_ name: String) {
        if let known = Self.canonicalSpellings[name] {
            self = known
            return
        }
        let lowercased = name.lowercased()
        if let known = Self.knownNames[lowercased] {
            self = known
        } else {
            index = -1
            other = OtherName(spelling: name, key: lowercased)
        }
    }

    /// Normalises a literal name.
    public init(stringLiteral value: String) {
        self.init(value)
    }

    /// Names are equal when they are the same header, whatever their case or compact form.
    public static func == (lhs: SIPHeaderName, rhs: SIPHeaderName) -> Bool {
        // A well-known name never equals an unknown one, whose key is not a well-known key.
        lhs.index == rhs.index && (lhs.index >= 0 || lhs.key == rhs.key)
    }

    /// Hashes the case-folded canonical name.
    public func hash(into hasher: inout Hasher) { hasher.combine(key) }

    private static let wellKnownKeys = wellKnownNames.map { $0.lowercased() }

    // RFC 3261 §7.3.3 compact forms, plus those registered by later RFCs cited beside them.
    private static let compactForms: [String: String] = [
        "i": "Call-ID",
        "m": "Contact",
        "e": "Content-Encoding",
        "l": "Content-Length",
        "c": "Content-Type",
        "f": "From",
        "s": "Subject",
        "k": "Supported",
        "t": "To",
        "v": "Via",
        "r": "Refer-To",  // RFC 3515 §2.1
        "b": "Referred-By",  // RFC 3892 §3
        "o": "Event",  // RFC 6665 §8.2.1
        "u": "Allow-Events",  // RFC 6665 §8.2.2
        "x": "Session-Expires",  // RFC 4028 §4
    ]

    private static let wellKnownNames = [
        "Accept", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow", "Allow-Events",
        "Authentication-Info", "Authorization", "Call-ID", "Call-Info", "Contact",
        "Content-Disposition", "Content-Encoding", "Content-Language", "Content-Length",
        "Content-Type", "CSeq", "Date", "Error-Info", "Event", "Expires", "From", "In-Reply-To",
        "Max-Forwards", "Min-Expires", "MIME-Version", "Organization", "P-Asserted-Identity",
        "Priority", "Privacy", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Require",
        "RAck", "Reason", "Record-Route", "Refer-To", "Referred-By", "Reply-To", "Require",
        "Retry-After", "Route", "RSeq", "Server", "Session-Expires", "Subject", "Supported",
        "Timestamp", "To", "Unsupported", "User-Agent", "Via", "Warning", "WWW-Authenticate",
    ]

    private init(wellKnown index: Int) {
        self.index = index
        other = nil
    }

    // Names as they are usually written, so parsing the common case needs no case folding.
    private static let canonicalSpellings: [String: SIPHeaderName] = Dictionary(
        uniqueKeysWithValues: wellKnownNames.indices.map { (wellKnownNames[$0], SIPHeaderName(wellKnown: $0)) })

    /// The well-known name spelled exactly `bytes` (canonical spelling or compact form), found without
    /// making a string: the parser meets a handful of names in every message.
    static func wellKnown(spelledAs bytes: Slice<UnsafeBufferPointer<UInt8>>) -> SIPHeaderName? {
        guard bytes.count < spellingsByLength.count else { return nil }
        for (spelling, name) in spellingsByLength[bytes.count] where spelling.elementsEqual(bytes) {
            return name
        }
        return nil
    }

    // Canonical spellings and compact forms, grouped by length.
    private static let spellingsByLength: [[(spelling: [UInt8], name: SIPHeaderName)]] = {
        var groups = Array(repeating: [(spelling: [UInt8], name: SIPHeaderName)](), count: 32)
        let spellings = canonicalSpellings.map { ($0.key, $0.value) } + compactForms.compactMap { compact, canonical in
            canonicalSpellings[canonical].map { (compact, $0) }
        }
        for (spelling, name) in spellings where spelling.utf8.count < groups.count {
            groups[spelling.utf8.count].append((Array(spelling.utf8), name))
        }
        return groups
    }()

    // Well-known names by their case-folded spelling and by compact form.
    private static let knownNames: [String: SIPHeaderName] = {
        var names = Dictionary(uniqueKeysWithValues: canonicalSpellings.values.map { ($0.key, $0) })
        for (compact, canonical) in compactForms {
            names[compact] = canonicalSpellings[canonical]
        }
        return names
    }()

    /// `Accept`.
    public static let accept: SIPHeaderName = "Accept"
    /// `Allow`.
    public static let allow: SIPHeaderName = "Allow"
    /// `Authorization`.
    public static let authorization: SIPHeaderName = "Authorization"
    /// `Call-ID`.
    public static let callID: SIPHeaderName = "Call-ID"
    /// `Contact`.
    public static let contact: SIPHeaderName = "Contact"
    /// `Content-Length`.
    public static let contentLength: SIPHeaderName = "Content-Length"
    /// `Content-Type`.
    public static let contentType: SIPHeaderName = "Content-Type"
    /// `CSeq`.
    public static let cseq: SIPHeaderName = "CSeq"
    /// `Date`.
    public static let date: SIPHeaderName = "Date"
    /// `From`.
    public static let from: SIPHeaderName = "From"
    /// `Max-Forwards`.
    public static let maxForwards: SIPHeaderName = "Max-Forwards"
    /// `Proxy-Authenticate`.
    public static let proxyAuthenticate: SIPHeaderName = "Proxy-Authenticate"
    /// `Proxy-Authorization`.
    public static let proxyAuthorization: SIPHeaderName = "Proxy-Authorization"
    /// `Record-Route`.
    public static let recordRoute: SIPHeaderName = "Record-Route"
    /// `Route`.
    public static let route: SIPHeaderName = "Route"
    /// `Supported`.
    public static let supported: SIPHeaderName = "Supported"
    /// `To`.
    public static let to: SIPHeaderName = "To"
    /// `User-Agent`.
    public static let userAgent: SIPHeaderName = "User-Agent"
    /// `Via`.
    public static let via: SIPHeaderName = "Via"
    /// `WWW-Authenticate`.
    public static let wwwAuthenticate: SIPHeaderName = "WWW-Authenticate"
}

/// The header fields of a message, in order (RFC 3261 §7.3).
///
/// List headers (Via, Contact, Route, Allow…) hold one element per field: appending
/// `Allow: ACK, BYE` stores two fields, exactly as parsing that line does (RFC 3261 §7.3.1).
/// `Content-Length` is not stored by the parser: it is framing, carried by the body's size and
/// written by the serializer.
public struct SIPHeaders: Hashable, Sendable, RandomAccessCollection, ExpressibleByArrayLiteral {
    /// One header field line.
    public struct Field: Hashable, Sendable {
        /// The field name.
        public var name: SIPHeaderName
        /// The field value with surrounding whitespace removed and line folds replaced by a space.
        public var value: String {
            get {
                switch storage {
                case .text(let text): text
                case .bytes(let bytes): String(decoding: bytes, as: UTF8.self)
                }
            }
            set { storage = .text(newValue) }
        }

        // A parsed message keeps most values as the datagram's bytes: the call engine reads few of them
        // as text (the parser has already parsed Via, CSeq, From, To and Contact), so making a string of
        // every value on arrival would be wasted work.
        private enum Storage: Sendable {
            case text(String)
            case bytes(ArraySlice<UInt8>)
        }

        private var storage: Storage

        /// Creates a field.
        public init(_ name: SIPHeaderName, _ value: String) {
            self.name = name
            self.storage = .text(value)
        }

        /// A field whose value is these UTF-8 bytes, as parsed.
        init(_ name: SIPHeaderName, bytes: ArraySlice<UInt8>) {
            self.name = name
            self.storage = .bytes(bytes)
        }

        /// Calls `body` with the value's UTF-8 bytes, without making a String of bytes the parser kept.
        /// The buffer is valid only while `body` runs and must not escape it.
        public func withValueBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
            switch storage {
            case .text(let text):
                // Borrowed, not copied into a `var` for `withUTF8`: a native string's UTF-8 is contiguous.
                if let result = try text.utf8.withContiguousStorageIfAvailable({ try body(UnsafeRawBufferPointer($0)) }) {
                    return result
                }
                return try Array(text.utf8).withUnsafeBytes(body)
            case .bytes(let bytes):
                return try bytes.withUnsafeBytes(body)
            }
        }

        /// Whether the value can share a line with its neighbours in a list and still read back as the
        /// same element: not empty, and without a comma, quote, backslash or angle bracket, which the list
        /// splitter reads as a separator or as the start of a quoted string or URI.
        var isPlainListElement: Bool {
            withValueBytes { bytes in
                !bytes.isEmpty && !bytes.contains { byte in
                    byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
                        || byte == UInt8(ascii: "<")
                }
            }
        }

        /// Appends the value's UTF-8 bytes.
        func appendValue(to output: inout [UInt8]) {
            // Copying from the contiguous bytes is a memcpy; appending a UTF-8 view goes element by element.
            withValueBytes { raw in raw.withMemoryRebound(to: UInt8.self) { output.append(contentsOf: $0) } }
        }

        /// Fields are equal when their names are and their values are equal strings.
        public static func == (lhs: Field, rhs: Field) -> Bool {
            lhs.name == rhs.name && lhs.value == rhs.value
        }

        /// Hashes the name and the value's string.
        public func hash(into hasher: inout Hasher) {
            hasher.combine(name)
            hasher.combine(value)
        }
    }

    /// The fields in message order.
    public private(set) var fields: [Field] = []

    /// Creates a header list.
    public init(_ fields: [Field] = []) {
        for field in fields { append(field.name, field.value) }
    }

    /// Creates a header list from `(name, value)` pairs.
    public init(arrayLiteral elements: (SIPHeaderName, String)...) {
        for (name, value) in elements { append(name, value) }
    }

    /// The first position.
    public var startIndex: Int { fields.startIndex }
    /// One past the last position.
    public var endIndex: Int { fields.endIndex }
    /// The field at `position`.
    public subscript(position: Int) -> Field { fields[position] }

    /// The value of the first field named `name`.
    public subscript(name: SIPHeaderName) -> String? {
        firstIndex(named: name).map { fields[$0].value }
    }

    /// The position of the first field named `name`. The fields are compared in place: `first(where:)`
    /// would copy every field it passes, retaining and releasing its value.
    private func firstIndex(named name: SIPHeaderName) -> Int? {
        fields.withUnsafeBufferPointer { fields in
            fields.indices.first { fields[$0].name == name }
        }
    }

    /// Calls `body` with the UTF-8 bytes of the first field named `name`; nil when there is none.
    /// The buffer is valid only while `body` runs and must not escape it.
    public func withFirstValueBytes<Result>(_ name: SIPHeaderName, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result? {
        guard let index = firstIndex(named: name) else { return nil }
        return try fields[index].withValueBytes(body)
    }

    /// The values of every field named `name`, in order.
    public func values(_ name: SIPHeaderName) -> [String] {
        fields.compactMap { $0.name == name ? $0.value : nil }
    }

    /// Whether any field is named `name`.
    public func contains(_ name: SIPHeaderName) -> Bool {
        firstIndex(named: name) != nil
    }

    /// Appends a field, or one field per element for a list header.
    public mutating func append(_ name: SIPHeaderName, _ value: String) {
        // Only a comma can separate list elements, so a value without one is a single field.
        if name.isList, value.containsComma {
            fields += HeaderListSplitter.split(value).map { Field(name, $0) }
        } else {
            fields.append(Field(name, value))
        }
    }

    /// Replaces every field named `name` with `value`, placed where the first one was.
    public mutating func set(_ name: SIPHeaderName, _ value: String) {
        let position = fields.firstIndex { $0.name == name }
        remove(name)
        var replacement = SIPHeaders()
        replacement.append(name, value)
        // Fields before the first match are untouched by the removal, so its index is still valid.
        fields.insert(contentsOf: replacement.fields, at: position ?? fields.endIndex)
    }

    /// Makes room for `count` fields.
    mutating func reserveCapacity(_ count: Int) {
        fields.reserveCapacity(count)
    }

    /// Appends one already-split field without list splitting.
    mutating func appendElement(_ field: Field) {
        fields.append(field)
    }

    /// Removes every field named `name`.
    public mutating func remove(_ name: SIPHeaderName) {
        fields.removeAll { $0.name == name }
    }
}

/// Splits a header value at commas that separate list elements (RFC 3261 §7.3.1), never inside a
/// quoted-string or a `<>`-enclosed URI.
enum HeaderListSplitter {
    static func split(_ value: String) -> [String] {
        guard value.containsComma else { return [value] }
        let bytes = Array(value.utf8)
        var elements: [String] = []
        var start = 0
        var index = 0
        var inQuotes = false
        var inAngleBrackets = false
        while index < bytes.count {
            let byte = bytes[index]
            if inQuotes {
                if byte == UInt8(ascii: "\\") {
                    index += 1
                } else if byte == UInt8(ascii: "\"") {
                    inQuotes = false
                }
            } else if inAngleBrackets {
                inAngleBrackets = byte != UInt8(ascii: ">")
            } else if byte == UInt8(ascii: "\"") {
                inQuotes = true
            } else if byte == UInt8(ascii: "<") {
                inAngleBrackets = true
            } else if byte == UInt8(ascii: ",") {
                elements.append(String(decoding: bytes[start..<index], as: UTF8.self).trimmingSIPWhitespace())
                start = index + 1
            }
            index += 1
        }
        elements.append(String(decoding: bytes[min(start, bytes.count)...], as: UTF8.self).trimmingSIPWhitespace())
        return elements
    }
}

extension String {
    /// Whether the text holds a comma, scanning contiguous UTF-8 directly.
    var containsComma: Bool {
        utf8.withContiguousStorageIfAvailable { $0.contains(UInt8(ascii: ",")) } ?? utf8.contains(UInt8(ascii: ","))
    }
}
