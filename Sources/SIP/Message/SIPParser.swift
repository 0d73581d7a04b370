#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a datagram is not an acceptable SIP message. Line numbers count from 1 at the start line.
public enum SIPParseError: Error, Hashable, Sendable {
    /// The input holds nothing but CRLFs (RFC 3261 §7.5 keep-alives) or nothing at all.
    case emptyMessage
    /// The header section is not terminated by an empty line (RFC 3261 §7).
    case missingEmptyLine
    /// The Request-Line is not `Method SP Request-URI SP SIP-Version` (RFC 3261 §7.1).
    case malformedRequestLine(String)
    /// The Status-Line is not `SIP-Version SP Status-Code SP Reason-Phrase` (RFC 3261 §7.2).
    case malformedStatusLine(String)
    /// The method is not a token.
    case invalidMethod(String)
    /// The Request-URI does not parse.
    case invalidRequestURI(String, SIPSyntaxError)
    /// The version is not SIP/2.0 (RFC 3261 §7.1).
    case unsupportedVersion(String)
    /// The status code is not three digits in 100...699 (RFC 3261 §7.2).
    case invalidStatusCode(String)
    /// A header line has no colon, an invalid name, or a bare CR.
    case malformedHeaderLine(line: Int, String)
    /// A folded continuation line has no header line before it.
    case continuationWithoutHeader(line: Int)
    /// A header value violates its grammar.
    case invalidHeaderValue(header: String, line: Int, SIPSyntaxError)
    /// A mandatory header is absent (RFC 3261 §8.1.1).
    case missingHeader(String)
    /// A header that may appear once appears again at `line` (RFC 3261 §7.3.1).
    case duplicateHeader(String, line: Int)
    /// Content-Length promises more bytes than the datagram holds (RFC 3261 §18.3).
    case contentLengthExceedsBody(contentLength: Int, bodyLength: Int)
    /// The CSeq method differs from the request method (RFC 3261 §8.1.1.5).
    case cseqMethodMismatch(method: String, cseqMethod: String)
}

extension SIPMessage {
    /// Parses one message from a datagram.
    ///
    /// Bytes beyond Content-Length are discarded and a missing Content-Length means the body is the
    /// rest of the datagram (RFC 3261 §18.3). Compact header names are expanded, folded lines are
    /// joined with a single space, and list headers (Via, Contact, Route…) are split into one field
    /// per element.
    public init(parsing bytes: some Collection<UInt8>) throws(SIPParseError) {
        var memo = SIPHeaderMemo.disabled
        self = try SIPMessageParser.parse(Array(bytes), memo: &memo)
    }

    /// Parses one message from a datagram like ``init(parsing:)``, taking From, To, Via, Contact, Route
    /// and Record-Route values that `memo` has seen before from it instead of parsing them again, and
    /// remembering the others there.
    public init(parsing bytes: some Collection<UInt8>, memo: inout SIPHeaderMemo) throws(SIPParseError) {
        self = try SIPMessageParser.parse(Array(bytes), memo: &memo)
    }
}

enum SIPMessageParser {
    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")

    private enum StartLine {
        case request(SIPMethod, AnyURI)
        case status(Int, String)
    }

    private struct Field {
        let name: SIPHeaderName
        /// The value's UTF-8 bytes: a slice of the datagram, or of the joined lines of a folded value, or
        /// one element of a list value.
        let valueBytes: ArraySlice<UInt8>
        let line: Int

        /// The header field the message keeps.
        var field: SIPHeaders.Field { SIPHeaders.Field(name, bytes: valueBytes) }
    }

    /// The lines of a message's start line and headers as ranges of its bytes without their line end
    /// (LF, or CR LF), read one at a time up to the empty line that ends them.
    private struct HeadLines {
        let buffer: UnsafeBufferPointer<UInt8>
        private var index: Int
        /// Where the body starts, once the empty line has been read.
        private(set) var bodyStart: Int?

        init(_ buffer: UnsafeBufferPointer<UInt8>, from index: Int) {
            self.buffer = buffer
            self.index = index
        }

        /// The next line; nil at the empty line, or at the end of a message without one.
        mutating func next() -> Range<Int>? {
            guard bodyStart == nil, index < buffer.count, let lineFeed = buffer[index...].firstIndexUsingMemchr(of: lf) else {
                return nil
            }
            let end = lineFeed > index && buffer[lineFeed - 1] == cr ? lineFeed - 1 : lineFeed
            let start = index
            index = lineFeed + 1
            if start == end {
                bodyStart = index
                return nil
            }
            return start..<end
        }
    }

    static func parse(_ bytes: [UInt8], memo: inout SIPHeaderMemo) throws(SIPParseError) -> SIPMessage {
        // The lines are read as they are parsed rather than listed first. Errors keep the order a check of
        // the whole head first gives: a missing empty line, then the start line, then the header lines.
        let (startRange, fields, bodyStart, headerError) = try bytes.withUnsafeBufferPointer {
            (buffer) throws(SIPParseError) -> (Range<Int>, [Field], Int, SIPParseError?) in
            var index = 0
            // RFC 3261 §7.5: CRLFs before the start line are ignored.
            while index < buffer.count, buffer[index] == cr || buffer[index] == lf { index += 1 }
            guard index < buffer.count else { throw .emptyMessage }
            var lines = HeadLines(buffer, from: index)
            // The first byte is neither CR nor LF, so there is no start line only when no LF ends one.
            guard let startRange = lines.next() else { throw .missingEmptyLine }
            var fields: [Field] = []
            var headerError: SIPParseError?
            do throws(SIPParseError) {
                fields = try headerFields(bytes, lines: &lines)
            } catch {
                headerError = error
                while lines.next() != nil {}
            }
            guard let bodyStart = lines.bodyStart else { throw .missingEmptyLine }
            return (startRange, fields, bodyStart, headerError)
        }
        let startLine = bytes[startRange]

        // "SIP/" in any letter case starts a Status-Line (RFC 3261 §7.2).
        let first = startRange.lowerBound
        let isResponse = startRange.count >= 4 && bytes[first] | 0x20 == UInt8(ascii: "s") && bytes[first + 1] | 0x20 == UInt8(ascii: "i")
            && bytes[first + 2] | 0x20 == UInt8(ascii: "p") && bytes[first + 3] == UInt8(ascii: "/")
        let start: StartLine = isResponse
            ? try parseStatusLine(startLine)
            : try parseRequestLine(startLine)
        if let headerError { throw headerError }

        let parsed = try validate(fields, rules: isResponse ? responseRules : requestRules, memo: &memo)
        var headers = SIPHeaders()
        headers.reserveCapacity(fields.count)
        // Fields are read in place through the buffer, not copied out of the array one by one: each copy
        // would retain and release the field's bytes and name.
        let contentLength = fields.withUnsafeBufferPointer { fields in
            var contentLength: Int?
            for index in fields.indices {
                if fields[index].name.isContentLength {
                    contentLength = contentLength ?? index
                } else {
                    // headerFields already split list headers into one element per field.
                    headers.appendElement(fields[index].field)
                }
            }
            return contentLength
        }
        let body = try frameBody(bytes, from: bodyStart, contentLength: contentLength.map { fields[$0] })

        switch start {
        case .request(let method, let uri):
            if parsed.cseq.method != method {
                throw .cseqMethodMismatch(method: method.rawValue, cseqMethod: parsed.cseq.method.rawValue)
            }
            var request = SIPRequest(method: method, uri: uri, headers: headers, body: body)
            request.parsedHeaders = parsed
            return .request(request)
        case .status(let code, let reason):
            var response = SIPResponse(statusCode: code, reasonPhrase: reason, headers: headers, body: body)
            response.parsedHeaders = parsed
            return .response(response)
        }
    }

    /// Reads the header lines: unfolds continuation lines (RFC 3261 §7.3.1) and splits list headers into
    /// elements. Line numbers count the start line as 1.
    private static func headerFields(_ bytes: [UInt8], lines: inout HeadLines) throws(SIPParseError) -> [Field] {
        let buffer = lines.buffer
        func text(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: bytes), as: UTF8.self)
        }
        var fields: [Field] = []
        fields.reserveCapacity(16)
        // The header being read: its value may continue on the following (folded) lines.
        var name: SIPHeaderName?
        var nameLine = 0
        var valueRange = 0..<0
        var folded: [UInt8]?

        func addPending() {
            guard let name else { return }
            let value: ArraySlice<UInt8>
            let isSeveral: Bool
            if let folded {
                value = folded[...].trimmingSIPWhitespace()
                isSeveral = name.isList && value.contains(UInt8(ascii: ","))
            } else {
                let trimmed = buffer[valueRange].trimmingSIPWhitespace()
                value = bytes[trimmed.startIndex..<trimmed.endIndex]
                // memchr on the datagram: `contains` on a slice checks bounds for every byte of a Via.
                isSeveral = name.isList && trimmed.firstIndexUsingMemchr(of: UInt8(ascii: ",")) != nil
            }
            if isSeveral {
                for element in HeaderListSplitter.split(String(decoding: value, as: UTF8.self)) {
                    fields.append(Field(name: name, valueBytes: Array(element.utf8)[...], line: nameLine))
                }
            } else {
                fields.append(Field(name: name, valueBytes: value, line: nameLine))
            }
        }

        var number = 1
        while let range = lines.next() {
            number += 1
            let line = buffer[range]
            guard line.firstIndexUsingMemchr(of: cr) == nil else { throw .malformedHeaderLine(line: number, text(line)) }
            if CharacterClass.isWhitespace(buffer[range.lowerBound]) {
                guard name != nil else { throw .continuationWithoutHeader(line: number) }
                // RFC 3261 §7.3.1: a fold (LWS = [*WSP CRLF] 1*WSP) is equivalent to a single SP.
                var joined = folded ?? Array(buffer[valueRange])
                while let last = joined.last, CharacterClass.isWhitespace(last) { joined.removeLast() }
                joined.append(UInt8(ascii: " "))
                joined.append(contentsOf: line.drop(while: CharacterClass.isWhitespace))
                folded = joined
                continue
            }
            addPending()
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                throw .malformedHeaderLine(line: number, text(line))
            }
            // RFC 3261 §25.1: HCOLON = *( SP / HTAB ) ":" SWS
            var nameEnd = colon
            while nameEnd > range.lowerBound, CharacterClass.isWhitespace(buffer[nameEnd - 1]) { nameEnd -= 1 }
            let nameBytes = buffer[range.lowerBound..<nameEnd]
            // A well-known spelling is a token; only another name needs its bytes checked.
            if let known = SIPHeaderName.wellKnown(spelledAs: nameBytes) {
                name = known
            } else {
                guard !nameBytes.isEmpty, nameBytes.allSatisfy(CharacterClass.isToken) else {
                    throw .malformedHeaderLine(line: number, text(line))
                }
                name = SIPHeaderName(text(nameBytes))
            }
            nameLine = number
            valueRange = (colon + 1)..<range.upperBound
            folded = nil
        }
        addPending()
        return fields
    }

    private static func parseRequestLine(_ line: ArraySlice<UInt8>) throws(SIPParseError) -> StartLine {
        var text: String { String(decoding: line, as: UTF8.self) }
        // RFC 3261 §7.1: elements are separated by single SP characters; no other whitespace is allowed.
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }), !line.contains(cr) else {
            throw .malformedRequestLine(text)
        }
        guard parts[0].allSatisfy(CharacterClass.isToken) else {
            throw .invalidMethod(String(decoding: parts[0], as: UTF8.self))
        }
        guard parts[2].equalsIgnoringASCIICase("SIP/2.0") else {
            throw .unsupportedVersion(String(decoding: parts[2], as: UTF8.self))
        }
        var uriText: String { String(decoding: parts[1], as: UTF8.self) }
        let uri: AnyURI
        do {
            uri = try AnyURI(bytes: parts[1])
        } catch {
            throw .invalidRequestURI(uriText, error)
        }
        // RFC 3261 §19.1.1 table 1: URI headers are not allowed in a Request-URI.
        if case .sip(let sipURI) = uri, !sipURI.headers.isEmpty {
            throw .invalidRequestURI(uriText, .uriHeadersNotAllowed(uriText))
        }
        return .request(SIPMethod(String(decoding: parts[0], as: UTF8.self)), uri)
    }

    private static func parseStatusLine(_ line: ArraySlice<UInt8>) throws(SIPParseError) -> StartLine {
        var text: String { String(decoding: line, as: UTF8.self) }
        guard !line.contains(cr), let firstSpace = line.firstIndex(of: UInt8(ascii: " ")) else {
            throw .malformedStatusLine(text)
        }
        let version = line[line.startIndex..<firstSpace]
        guard version.equalsIgnoringASCIICase("SIP/2.0") else {
            throw .unsupportedVersion(String(decoding: version, as: UTF8.self))
        }
        let rest = line[(firstSpace + 1)...]
        let secondSpace = rest.firstIndex(of: UInt8(ascii: " ")) ?? rest.endIndex
        let codeBytes = rest[rest.startIndex..<secondSpace]
        // RFC 3261 §25.1: Status-Code = 3DIGIT; §7.2 limits the first digit to 1-6.
        guard codeBytes.count == 3, let code = try? DecimalNumber.parse(codeBytes, maximum: 699), code >= 100 else {
            throw .invalidStatusCode(String(decoding: codeBytes, as: UTF8.self))
        }
        let reason = secondSpace < rest.endIndex ? rest[(secondSpace + 1)...] : []
        return .status(Int(code), String(decoding: reason, as: UTF8.self))
    }

    // RFC 3261 §18.3: extra datagram bytes beyond Content-Length are discarded; a shorter body is an error;
    // without Content-Length on a datagram the body runs to the end.
    private static func frameBody(_ bytes: [UInt8], from start: Int, contentLength field: Field?) throws(SIPParseError) -> [UInt8] {
        let available = bytes.count - start
        guard let field else {
            return Array(bytes[start...])
        }
        let length: Int
        do {
            length = try contentLength(field.valueBytes)
        } catch {
            throw .invalidHeaderValue(header: field.name.description, line: field.line, error)
        }
        guard length <= available else {
            throw .contentLengthExceedsBody(contentLength: length, bodyLength: available)
        }
        return Array(bytes[start..<(start + length)])
    }

    /// A header value as its rule parsed it, when the message keeps it (see `ParsedHeaders`).
    enum ParsedValue: Sendable {
        case none
        case address(SIPAddress)
        case cseq(CSeq)
        case via(Via)
    }

    private struct Rule {
        /// Where an address value goes in `ParsedHeaders`.
        enum Address {
            case to, from, other
        }

        /// A value whose part before its parameters is looked up in the memo on its own: the values of
        /// one call differ from another call's only in their parameters (tag, branch), and that part
        /// (display name and URI, or protocol and sent-by) is what costs most to parse.
        enum Head {
            /// A name-addr, as in `SIPAddress.scanHead`; `keepsValue` says whether the message keeps the
            /// address or only checks it.
            case address(keepsValue: Bool)
            /// A Via, as in `Via.scanHead`.
            case via
        }

        let name: SIPHeaderName
        let required: Bool
        let single: Bool
        var parsedAs = Address.other
        /// Values with a head (those that cost a full address or Via parse) are looked up in the memo.
        var head: Head?
        let validate: @Sendable (ArraySlice<UInt8>) throws(SIPSyntaxError) -> ParsedValue
    }

    /// Checks the headers against the rules and returns the values the message keeps parsed.
    private static func validate(_ fields: [Field], rules: [Rule], memo: inout SIPHeaderMemo) throws(SIPParseError) -> ParsedHeaders {
        // One pass over the fields, then errors in rule order: missing, duplicate, then the first
        // invalid value, exactly as checking each rule against every field would report them.
        // Problems are rare, so their lists stay empty (unallocated) for a good message. Which rules have
        // matched a field is a bit per rule (`ruleSet` keeps them within 64), so no array is allocated for it.
        var seen: UInt64 = 0
        var duplicates: [(rule: Int, line: Int)] = []
        var invalid: [(rule: Int, error: SIPParseError)] = []
        var topVia: Via?, cseq: CSeq?, from: SIPAddress?, to: SIPAddress?
        var contacts: [SIPAddress] = []
        // Fields and rules are read in place through their buffers: copying each out of its array would
        // retain and release its bytes, name and closure.
        fields.withUnsafeBufferPointer { fields in
            rules.withUnsafeBufferPointer { rules in
                for field in fields.indices {
                    let name = fields[field].name.wellKnownIndex
                    // Every rule names a well-known header, so an unknown name (index -1) matches none.
                    guard name >= 0, let index = rules.firstIndex(where: { $0.name.wellKnownIndex == name }) else { continue }
                    let bit: UInt64 = 1 << index
                    // RFC 3261 §7.3.1: only a single-valued header may not repeat.
                    if seen & bit != 0, rules[index].single, !duplicates.contains(where: { $0.rule == index }) {
                        duplicates.append((index, fields[field].line))
                    }
                    seen |= bit
                    guard !invalid.contains(where: { $0.rule == index }) else { continue }
                    do throws(SIPSyntaxError) {
                        let slot = rules[index].head != nil ? memo.lookUp(fields[field].name, fields[field].valueBytes) : nil
                        let value: ParsedValue
                        if let slot, slot.isStored {
                            value = memo.value(at: slot)
                        } else {
                            if let head = rules[index].head {
                                value = try parse(
                                    fields[field].valueBytes, head: head, name: fields[field].name, memo: &memo,
                                    whole: rules[index].validate)
                            } else {
                                value = try rules[index].validate(fields[field].valueBytes)
                            }
                            if let slot {
                                memo.remember(value, fields[field].name, fields[field].valueBytes, in: slot)
                            }
                        }
                        switch consume value {
                        case .none: break
                        case .via(let via): if topVia == nil { topVia = via }
                        case .cseq(let value): cseq = value
                        case .address(let address):
                            switch rules[index].parsedAs {
                            case .to: to = address
                            case .from: from = address
                            case .other: contacts.append(address)
                            }
                        }
                    } catch {
                        invalid.append((index, .invalidHeaderValue(header: rules[index].name.description, line: fields[field].line, error)))
                    }
                }
            }
        }
        // Read in place, and the problem lists searched only when they hold something: each search's
        // optional result is an error to destroy, for every rule of every good message.
        try rules.withUnsafeBufferPointer { rules throws(SIPParseError) in
            for index in rules.indices {
                if seen & (1 << index) == 0, rules[index].required { throw .missingHeader(rules[index].name.description) }
                if !duplicates.isEmpty, rules[index].single, let duplicate = duplicates.first(where: { $0.rule == index }) {
                    throw .duplicateHeader(rules[index].name.description, line: duplicate.line)
                }
                if !invalid.isEmpty, let problem = invalid.first(where: { $0.rule == index }) { throw problem.error }
            }
        }
        // Every rule passed and Via, CSeq, From and To are required, so all four were parsed.
        guard let topVia, let cseq, let from, let to else { throw .missingHeader("Via") }
        return ParsedHeaders(topVia: topVia, cseq: cseq, from: from, to: to, contacts: contacts)
    }

    /// Parses a value of a rule with a `head`, taking the head from the memo when its bytes were seen
    /// before and remembering it otherwise; a value that cannot have a head of that kind (a Contact of `*`,
    /// an address without `>`) is parsed `whole` by the rule. Never an optional: one is destroyed through
    /// generic value witnesses.
    ///
    /// The result, and any error, is exactly what the rule gives. A head is remembered only when the scan
    /// ended exactly where the bytes are cut: after the first `>` of an address, before the whitespace and
    /// `;` that start a Via's parameters. The scan of those bytes reads nothing after them (the angle
    /// bracket search stops at the first `<`; a Via's sent-by only looks past its end for a `:`, which
    /// cannot follow there), so any value that starts with them scans the same way to the same place.
    private static func parse(
        _ bytes: ArraySlice<UInt8>, head: Rule.Head, name: SIPHeaderName, memo: inout SIPHeaderMemo,
        whole: (ArraySlice<UInt8>) throws(SIPSyntaxError) -> ParsedValue
    ) throws(SIPSyntaxError) -> ParsedValue {
        // Where the head would end (sent-by holds no `;`).
        let headEnd: Int
        switch head {
        case .address:
            guard let closing = bytes.firstIndex(of: UInt8(ascii: ">")) else { return try whole(bytes) }
            headEnd = closing + 1
        case .via:
            var end = bytes.firstIndex(of: UInt8(ascii: ";")) ?? bytes.endIndex
            while end > bytes.startIndex, CharacterClass.isWhitespace(bytes[end - 1]) { end -= 1 }
            headEnd = end
        }
        let headBytes = bytes[..<headEnd]
        let slot = memo.lookUp(head: name, headBytes)
        var scanner = ByteScanner(bytes)
        switch head {
        case .address(let keepsValue):
            let address: SIPAddress
            if let slot, slot.isStored, case .address(let knownHead) = memo.value(at: slot) {
                scanner.index = headEnd
                address = try SIPAddress(head: knownHead, parametersFrom: &scanner)
            } else {
                let scanned = try SIPAddress.scanHead(&scanner)
                if let slot, scanner.index == headEnd { memo.remember(head: .address(scanned), name, headBytes, in: slot) }
                address = try SIPAddress(head: scanned, parametersFrom: &scanner)
            }
            return keepsValue ? .address(address) : ParsedValue.none
        case .via:
            if let slot, slot.isStored, case .via(let knownHead) = memo.value(at: slot) {
                scanner.index = headEnd
                return .via(try Via(head: knownHead, parametersFrom: &scanner))
            }
            let scanned = try Via.scanHead(&scanner)
            if let slot, scanner.index == headEnd { memo.remember(head: .via(scanned), name, headBytes, in: slot) }
            return .via(try Via(head: scanned, parametersFrom: &scanner))
        }
    }

    private static let commonRules: [Rule] = [
        Rule(name: .contentLength, required: false, single: true) { value throws(SIPSyntaxError) in
            _ = try contentLength(value)
            return .none
        },
        Rule(name: .to, required: true, single: true, parsedAs: .to, head: .address(keepsValue: true)) { value throws(SIPSyntaxError) in
            .address(try SIPAddress(parsing: value))
        },
        Rule(name: .from, required: true, single: true, parsedAs: .from, head: .address(keepsValue: true)) { value throws(SIPSyntaxError) in
            .address(try SIPAddress(parsing: value))
        },
        Rule(name: .cseq, required: true, single: true) { value throws(SIPSyntaxError) in
            .cseq(try CSeq(parsing: value))
        },
        Rule(name: .callID, required: true, single: true) { value throws(SIPSyntaxError) in
            try validateCallID(value)
            return .none
        },
    ]

    private static let trailingRules: [Rule] = [
        Rule(name: .via, required: true, single: false, head: .via) { value throws(SIPSyntaxError) in
            .via(try Via(parsing: value))
        },
        Rule(name: .contact, required: false, single: false, head: .address(keepsValue: true)) { value throws(SIPSyntaxError) in
            // RFC 3261 §20.10: Contact: * is the REGISTER wildcard (and no address).
            value.elementsEqual("*".utf8) ? .none : .address(try SIPAddress(parsing: value))
        },
        Rule(name: .route, required: false, single: false, head: .address(keepsValue: false)) { value throws(SIPSyntaxError) in
            _ = try SIPAddress(parsing: value)
            return .none
        },
        Rule(name: .recordRoute, required: false, single: false, head: .address(keepsValue: false)) { value throws(SIPSyntaxError) in
            _ = try SIPAddress(parsing: value)
            return .none
        },
        Rule(name: .contentType, required: false, single: true) { value throws(SIPSyntaxError) in
            try validateMediaType(value)
            return .none
        },
        Rule(name: .date, required: false, single: true) { value throws(SIPSyntaxError) in
            try validateDate(String(decoding: value, as: UTF8.self))
            return .none
        },
    ]

    private static let requestRules: [Rule] = ruleSet(commonRules + [
        // RFC 3261 §20.22: Max-Forwards is 0-255.
        Rule(name: .maxForwards, required: true, single: true) { value throws(SIPSyntaxError) in
            _ = try DecimalNumber.parse(value, maximum: 255)
            return .none
        },
    ] + trailingRules)

    private static let responseRules: [Rule] = ruleSet(commonRules + trailingRules)

    /// Checks once what `validate` relies on: a rule matches fields by well-known name index, and which
    /// rules matched is a bit per rule in a `UInt64`.
    private static func ruleSet(_ rules: [Rule]) -> [Rule] {
        precondition(rules.count <= UInt64.bitWidth, "validate keeps a bit per rule")
        precondition(rules.allSatisfy { $0.name.wellKnownIndex >= 0 }, "validate matches rules by well-known name")
        return rules
    }

    // RFC 3261 §20.14: Content-Length is 1*DIGIT; anything past 2^31-1 cannot describe a datagram.
    private static func contentLength(_ value: ArraySlice<UInt8>) throws(SIPSyntaxError) -> Int {
        Int(try DecimalNumber.parse(value, maximum: UInt64(Int32.max)))
    }

    // RFC 3261 §25.1: callid = word [ "@" word ]
    private static func validateCallID(_ value: ArraySlice<UInt8>) throws(SIPSyntaxError) {
        var problem: SIPSyntaxError { .expected("word [\"@\" word]", found: String(decoding: value, as: UTF8.self)) }
        // Read through the buffer: iterating the slice checks bounds for every byte of a 40-byte value.
        let isCallID = value.withUnsafeBufferPointer { bytes in
            var ats = 0
            var previous = UInt8(ascii: "@")  // the start counts as a separator: no empty first word
            for byte in bytes {
                if byte == UInt8(ascii: "@") {
                    ats += 1
                    guard ats == 1, previous != byte else { return false }
                } else if !CharacterClass.isWord(byte) {
                    return false
                }
                previous = byte
            }
            return previous != UInt8(ascii: "@")
        }
        guard isCallID else { throw problem }
    }

    // RFC 3261 §20.15: m-type SLASH m-subtype *(SEMI m-parameter)
    private static func validateMediaType(_ value: ArraySlice<UInt8>) throws(SIPSyntaxError) {
        var problem: SIPSyntaxError { .invalidMediaType(String(decoding: value, as: UTF8.self)) }
        var scanner = ByteScanner(value)
        guard scanner.skipToken(), scanner.consumeSeparator(UInt8(ascii: "/")), scanner.skipToken() else {
            throw problem
        }
        do {
            _ = try HeaderParameterParser.parseToEnd(&scanner)
        } catch {
            throw problem
        }
    }

    // RFC 3261 §25.1: rfc1123-date = wkday "," SP date1 SP time SP "GMT"
    private static func validateDate(_ value: String) throws(SIPSyntaxError) {
        let weekdays: Set<String> = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        let months: Set<String> = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let parts = value.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        let isDigits = { (text: String, count: Int) in text.utf8.count == count && text.utf8.allSatisfy(CharacterClass.isDigit) }
        guard parts.count == 6 else { throw .invalidDate(value) }
        let time = parts[4].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts[0].count == 4, parts[0].hasSuffix(","), weekdays.contains(String(parts[0].prefix(3))),
              isDigits(parts[1], 2), months.contains(parts[2]), isDigits(parts[3], 4),
              time.count == 3, time.allSatisfy({ isDigits($0, 2) }),
              parts[5] == "GMT"
        else { throw .invalidDate(value) }
    }
}

extension SIPMessage {
    /// The message in canonical form: CRLF line ends, one field per line but for adjacent elements of a
    /// token list such as Allow, which share one line, and a trailing `Content-Length` equal to the body
    /// size (RFC 3261 §7, §7.3.1, §20.14).
    public func serialized() -> [UInt8] {
        var bytes: [UInt8] = []
        serialize(into: &bytes)
        return bytes
    }

    /// Appends the message in canonical form to `bytes`; a buffer kept for many messages saves an
    /// allocation for each.
    public func serialize(into bytes: inout [UInt8]) {
        switch self {
        case .request(let request): request.serialize(into: &bytes)
        case .response(let response): response.serialize(into: &bytes)
        }
    }
}

extension SIPRequest {
    /// The request in canonical wire form.
    public func serialized() -> [UInt8] {
        var bytes: [UInt8] = []
        serialize(into: &bytes)
        return bytes
    }

    /// Appends the request in canonical wire form to `bytes`.
    public func serialize(into bytes: inout [UInt8]) {
        if let written {
            bytes.append(contentsOf: written.bytes)
            return
        }
        let uri = uriText ?? uri.description
        SIPSerializer.serialize(into: &bytes, startLineCount: method.rawValue.utf8.count + uri.utf8.count + 9, headers: headers, body: body) { bytes in
            Self.appendRequestLine(method, uri, to: &bytes)
        }
    }

    /// Appends `Method SP Request-URI SP SIP-Version` without its CRLF (RFC 3261 §7.1).
    static func appendRequestLine(_ method: SIPMethod, _ uriText: String, to bytes: inout [UInt8]) {
        bytes.append(utf8Of: method.rawValue)
        bytes.append(UInt8(ascii: " "))
        bytes.append(utf8Of: uriText)
        bytes.append(utf8Of: " SIP/2.0")
    }
}

extension SIPResponse {
    /// The response in canonical wire form.
    public func serialized() -> [UInt8] {
        var bytes: [UInt8] = []
        serialize(into: &bytes)
        return bytes
    }

    /// Appends the response in canonical wire form to `bytes`.
    public func serialize(into bytes: inout [UInt8]) {
        // RFC 3261 §7.2: Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF
        SIPSerializer.serialize(into: &bytes, startLineCount: reasonPhrase.utf8.count + 16, headers: headers, body: body) { bytes in
            bytes.append(utf8Of: "SIP/2.0 ")
            SIPSerializer.appendDecimal(statusCode, to: &bytes)
            bytes.append(UInt8(ascii: " "))
            SIPSerializer.appendSingleLine(reasonPhrase, to: &bytes)
        }
    }
}

enum SIPSerializer {
    /// Appends the start line written by `startLine` (about `startLineCount` bytes without its CRLF), then
    /// the headers and the body.
    static func serialize(
        into bytes: inout [UInt8], startLineCount: Int, headers: SIPHeaders, body: [UInt8], startLine: (inout [UInt8]) -> Void
    ) {
        bytes.reserveCapacity(bytes.count + startLineCount + headers.count * 48 + body.count + 32)
        startLine(&bytes)
        bytes.append(0x0D)
        bytes.append(0x0A)
        appendHeaders(headers, to: &bytes)
        appendBody(body, to: &bytes)
    }

    /// Appends a line per header field but Content-Length, and one line for adjacent plain elements of a
    /// token list.
    static func appendHeaders(_ headers: SIPHeaders, to bytes: inout [UInt8]) {
        // Fields are read in place: copying each out of the array would retain and release its value.
        headers.fields.withUnsafeBufferPointer { fields in
            // The previous field's name when its line may take this field's element too.
            var openList: SIPHeaderName?
            for index in fields.indices where !fields[index].name.isContentLength {
                let joinable = fields[index].name.isTokenList && fields[index].isPlainListElement
                if joinable, openList == fields[index].name {
                    // RFC 3261 §7.3.1: `Allow: ACK` and `Allow: BYE` equal `Allow: ACK, BYE`.
                    bytes.removeLast(2)
                    bytes.append(UInt8(ascii: ","))
                    bytes.append(UInt8(ascii: " "))
                } else {
                    fields[index].name.appendLineStart(to: &bytes)
                }
                let start = bytes.count
                fields[index].appendValue(to: &bytes)
                replaceLineBreaks(in: &bytes, from: start)
                bytes.append(0x0D)
                bytes.append(0x0A)
                openList = joinable ? fields[index].name : nil
            }
        }
    }

    /// Appends the line `name: value` as `appendHeaders` writes a field that joins no list.
    static func appendField(_ name: SIPHeaderName, _ value: String, to bytes: inout [UInt8]) {
        name.appendLineStart(to: &bytes)
        appendSingleLine(value, to: &bytes)
        bytes.append(0x0D)
        bytes.append(0x0A)
    }

    /// Appends `Content-Length` with the body's size, the empty line and the body (RFC 3261 §7.5, §20.14).
    static func appendBody(_ body: [UInt8], to bytes: inout [UInt8]) {
        bytes.append(utf8Of: "Content-Length: ")
        appendDecimal(body.count, to: &bytes)
        bytes.append(0x0D)
        bytes.append(0x0A)
        bytes.append(0x0D)
        bytes.append(0x0A)
        bytes.append(contentsOf: body)
    }

    /// Appends `text` with CR and LF replaced by spaces, so a value set by code cannot inject header lines.
    static func appendSingleLine(_ text: String, to bytes: inout [UInt8]) {
        let start = bytes.count
        bytes.append(utf8Of: text)
        replaceLineBreaks(in: &bytes, from: start)
    }

    /// Replaces CR and LF from `start` on with spaces.
    static func replaceLineBreaks(in bytes: inout [UInt8], from start: Int) {
        bytes.withUnsafeMutableBufferPointer { buffer in
            // Values almost never hold a line break: test every byte without branching, then fix the rare value.
            var seen: UInt8 = 0
            for byte in buffer[start...] { seen |= (byte == 0x0D ? 1 : 0) | (byte == 0x0A ? 1 : 0) }
            guard seen != 0 else { return }
            for index in start..<buffer.count where buffer[index] == 0x0D || buffer[index] == 0x0A {
                buffer[index] = UInt8(ascii: " ")
            }
        }
    }

    /// Appends a number in decimal.
    static func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        let magnitude = value.magnitude
        var divisor: UInt = 1
        while divisor <= magnitude / 10 { divisor *= 10 }
        var remaining = magnitude
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(remaining / divisor))
            remaining %= divisor
            divisor /= 10
        }
    }
}

extension Slice where Base == UnsafeBufferPointer<UInt8> {
    /// The position of the first `byte`, found with the C library's vectorised `memchr`.
    func firstIndexUsingMemchr(of byte: UInt8) -> Int? {
        guard !isEmpty, let start = base.baseAddress?.advanced(by: startIndex),
              let found = memchr(start, Int32(byte), count)
        else { return nil }
        return startIndex + UnsafeRawPointer(start).distance(to: UnsafeRawPointer(found))
    }
}

extension [UInt8] {
    /// Appends `text`'s UTF-8 bytes: one copy from a native string's contiguous storage, where appending
    /// its `utf8` view goes byte by byte.
    mutating func append(utf8Of text: String) {
        if text.utf8.withContiguousStorageIfAvailable({ append(contentsOf: $0) }) == nil {
            append(contentsOf: text.utf8)
        }
    }
}
