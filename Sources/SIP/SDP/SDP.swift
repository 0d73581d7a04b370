/// Why a session description cannot be used.
public enum SDPError: Error, Hashable, Sendable {
    /// The body is not UTF-8 text.
    case notText
    /// A line is not `<type>=<value>` (RFC 4566 §5); `line` counts from 1.
    case malformedLine(line: Int, String)
    /// The first line is not `v=0` (RFC 4566 §5.1).
    case unsupportedVersion(String)
    /// A mandatory session-level line (`o`, `s`, `t`) is absent (RFC 4566 §5).
    case missingField(String)
    /// No `m=audio` line.
    case noAudioStream
    /// The audio `m=` line is malformed.
    case invalidMediaLine(String)
    /// A `c=` line is malformed.
    case invalidConnection(String)
    /// Neither the session nor the audio stream has a `c=` line (RFC 4566 §5.7).
    case missingConnection
    /// The answer refused the audio stream with port 0 (RFC 3264 §6).
    case audioRejected
    /// The answer's audio formats share no codec with the offer (RFC 3264 §6.1).
    case noCommonCodec([UInt8])
}

/// G.711 codecs with static payload types (RFC 3551 §6 Table 4).
public enum AudioCodec: String, Hashable, Sendable, CaseIterable {
    /// G.711 μ-law, payload type 0.
    case pcmu = "PCMU"
    /// G.711 A-law, payload type 8.
    case pcma = "PCMA"

    /// The static RTP payload type.
    public var payloadType: UInt8 {
        switch self {
        case .pcmu: 0
        case .pcma: 8
        }
    }

    /// The RTP clock rate.
    public var clockRate: Int { 8000 }
}

/// Media direction attributes (RFC 4566 §6, RFC 3264 §5.1).
public enum MediaDirection: String, Hashable, Sendable, CaseIterable {
    case sendrecv, sendonly, recvonly, inactive
}

/// An audio offer for one outbound call (RFC 4566, RFC 3264 §5).
public struct SDPOffer: Hashable, Sendable {
    /// The `o=` session id (RFC 4566 §5.2).
    public var sessionID: UInt64
    /// The `o=` session version; bump it for every new offer in the session.
    public var sessionVersion: UInt64
    /// Our RTP address (IPv4 or IPv6, without brackets).
    public var address: String
    /// Our RTP port.
    public var port: Int
    /// Codecs in preference order.
    public var codecs: [AudioCodec]
    /// The telephone-event payload type (RFC 4733 §2.1), nil to offer no DTMF events.
    public var telephoneEventPayloadType: UInt8?
    /// Packetisation time in milliseconds (RFC 4566 §6).
    public var ptime: Int
    /// The direction we offer.
    public var direction: MediaDirection

    /// Creates an offer; defaults are PCMU, PCMA, telephone-event 101, 20 ms, sendrecv.
    public init(
        sessionID: UInt64,
        sessionVersion: UInt64 = 1,
        address: String,
        port: Int,
        codecs: [AudioCodec] = [.pcmu, .pcma],
        telephoneEventPayloadType: UInt8? = 101,
        ptime: Int = 20,
        direction: MediaDirection = .sendrecv
    ) {
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.address = address
        self.port = port
        self.codecs = codecs
        self.telephoneEventPayloadType = telephoneEventPayloadType
        self.ptime = ptime
        self.direction = direction
    }

    private var addressType: String { address.contains(":") ? "IP6" : "IP4" }

    /// The offer as SDP text with CRLF line ends.
    public var text: String {
        var text = "v=0\r\n"  // RFC 4566 §5.1
        text += "o=- \(sessionID) \(sessionVersion) IN \(addressType) \(address)\r\n"  // RFC 4566 §5.2
        text += "s=-\r\n"  // RFC 4566 §5.3
        text += "c=IN \(addressType) \(address)\r\n"  // RFC 4566 §5.7
        text += "t=0 0\r\n"  // RFC 4566 §5.9
        text += "m=audio \(port) RTP/AVP"  // RFC 4566 §5.14
        for codec in codecs { text += " \(codec.payloadType)" }
        if let event = telephoneEventPayloadType { text += " \(event)" }
        text += "\r\n"
        for codec in codecs { text += "a=rtpmap:\(codec.payloadType) \(codec.rawValue)/\(codec.clockRate)\r\n" }
        if let event = telephoneEventPayloadType {
            text += "a=rtpmap:\(event) telephone-event/8000\r\n"  // RFC 4733 §2.4.1
            text += "a=fmtp:\(event) 0-15\r\n"  // RFC 4733 §2.4.1 DTMF events 0-15
        }
        text += "a=ptime:\(ptime)\r\n"
        text += "a=\(direction.rawValue)\r\n"
        return text
    }

    /// The offer as a message body.
    public var body: [UInt8] { Array(text.utf8) }
}

/// The audio part of a remote session description (an answer, or early media in a 183).
public struct SDPAnswer: Hashable, Sendable {
    /// The RTP address from the audio `c=` line, or the session `c=` line.
    public var connectionAddress: String
    /// The RTP port of the first audio stream; 0 means the stream was refused.
    public var mediaPort: Int
    /// The transport protocol, e.g. `RTP/AVP`.
    public var transportProtocol: String
    /// Payload types in the order of the `m=` line, i.e. the answerer's preference.
    public var payloadTypes: [UInt8]
    /// `a=rtpmap` encodings by payload type, e.g. `8: "PCMA/8000"`.
    public var rtpMaps: [UInt8: String]
    /// The telephone-event payload type, when the answer carries one (RFC 4733 §2.4.1).
    public var telephoneEventPayloadType: UInt8?
    /// The media direction; the stream's attribute wins over the session's (RFC 4566 §6).
    public var direction: MediaDirection
    /// `a=ptime`, when present.
    public var ptime: Int?

    /// Parses a session description, keeping the first `m=audio` stream.
    public init(parsing body: some Collection<UInt8>) throws(SDPError) {
        let text = SDPText(Array(body))
        guard text.bytes.allSatisfy({ $0 < 0x80 }) || String(validating: text.bytes, as: UTF8.self) != nil else { throw .notText }
        let lines = try text.lines()
        guard let first = lines.first, first.type == UInt8(ascii: "v"), text.value(of: first).equals("0") else {
            throw .unsupportedVersion(lines.first.map { "\(Character(Unicode.Scalar($0.type)))=\(text.string(of: $0))" } ?? "")
        }
        let firstMedia = lines.firstIndex { $0.type == UInt8(ascii: "m") } ?? lines.endIndex
        let session = lines[..<firstMedia]
        for required in [UInt8(ascii: "o"), UInt8(ascii: "s"), UInt8(ascii: "t")] where !session.contains(where: { $0.type == required }) {
            throw .missingField(String(Character(Unicode.Scalar(required))))
        }
        guard let audioStart = lines.firstIndex(where: { $0.type == UInt8(ascii: "m") && text.value(of: $0).hasPrefix("audio ") }) else {
            throw .noAudioStream
        }
        let audioEnd = lines[(audioStart + 1)...].firstIndex { $0.type == UInt8(ascii: "m") } ?? lines.endIndex
        let media = lines[(audioStart + 1)..<audioEnd]

        // RFC 4566 §5.14: m=<media> <port>[/<number of ports>] <proto> <fmt> ...
        let mediaLine = lines[audioStart]
        var fields = SDPText.Words(text.value(of: mediaLine), separator: UInt8(ascii: " "))
        _ = fields.next()  // "audio"
        guard let portField = fields.next(), let proto = fields.next(),
              let port = SDPText.decimal(portField.prefix { $0 != UInt8(ascii: "/") }, maximum: 65535)
        else { throw .invalidMediaLine(text.string(of: mediaLine)) }
        var payloadTypes: [UInt8] = []
        while let format = fields.next() {
            guard let payloadType = SDPText.decimal(format, maximum: 127) else { throw .invalidMediaLine(text.string(of: mediaLine)) }
            payloadTypes.append(UInt8(payloadType))
        }
        guard !payloadTypes.isEmpty else { throw .invalidMediaLine(text.string(of: mediaLine)) }
        mediaPort = port
        transportProtocol = String(decoding: proto, as: UTF8.self)
        self.payloadTypes = payloadTypes

        let connection = media.last(where: { $0.type == UInt8(ascii: "c") }) ?? session.last(where: { $0.type == UInt8(ascii: "c") })
        guard let connection else { throw .missingConnection }
        connectionAddress = try text.connectionAddress(connection)

        var rtpMaps: [UInt8: String] = [:]
        var ptime: Int?
        var direction: MediaDirection?
        var sessionDirection: MediaDirection?
        for line in session where line.type == UInt8(ascii: "a") {
            sessionDirection = MediaDirection(attribute: text.value(of: line)) ?? sessionDirection
        }
        for line in media where line.type == UInt8(ascii: "a") {
            let attribute = text.value(of: line)
            if attribute.hasPrefix("rtpmap:") {
                // RFC 4566 §6: a=rtpmap:<payload type> <encoding name>/<clock rate>[/<parameters>]
                let value = attribute.dropFirst(7)
                if let space = value.firstIndex(of: UInt8(ascii: " ")), space + 1 < value.endIndex,
                   let payloadType = SDPText.decimal(value[..<space], maximum: 255) {
                    rtpMaps[UInt8(payloadType)] = String(decoding: value[(space + 1)...], as: UTF8.self)
                }
            } else if attribute.hasPrefix("ptime:") {
                ptime = SDPText.decimal(attribute.dropFirst(6), maximum: 100_000)
            } else if let stated = MediaDirection(attribute: attribute) {
                direction = stated
            }
        }
        self.rtpMaps = rtpMaps
        self.ptime = ptime
        telephoneEventPayloadType = payloadTypes.first { rtpMaps[$0].map { $0.utf8.hasPrefixIgnoringASCIICase("telephone-event/".utf8) } == true }
        self.direction = direction ?? sessionDirection ?? .sendrecv
    }

    /// Picks the codec to send: the answerer's first format that we offered (RFC 3264 §6.1, §7).
    public func negotiate(with offer: SDPOffer) throws(SDPError) -> NegotiatedAudio {
        guard mediaPort != 0 else { throw .audioRejected }
        for payloadType in payloadTypes where payloadType != telephoneEventPayloadType {
            let codec = offer.codecs.first { codec in
                if let encoding = rtpMaps[payloadType] {
                    return encoding.utf8.hasPrefixIgnoringASCIICase(codec.rawValue.utf8) && encoding.utf8.dropFirst(codec.rawValue.utf8.count).first == UInt8(ascii: "/")
                }
                return codec.payloadType == payloadType  // RFC 3551 §6: static types need no rtpmap.
            }
            if let codec {
                let events = offer.telephoneEventPayloadType == nil ? nil : telephoneEventPayloadType
                return NegotiatedAudio(
                    address: connectionAddress, port: mediaPort, codec: codec, payloadType: payloadType,
                    telephoneEventPayloadType: events, direction: direction, ptime: ptime ?? offer.ptime)
            }
        }
        throw .noCommonCodec(payloadTypes)
    }
}

/// The media a call uses once offer and answer agree.
public struct NegotiatedAudio: Hashable, Sendable {
    /// Where to send RTP.
    public var address: String
    /// The remote RTP port.
    public var port: Int
    /// The codec to send.
    public var codec: AudioCodec
    /// The payload type the answer uses for `codec`.
    public var payloadType: UInt8
    /// The payload type for RFC 4733 events, when both sides support them.
    public var telephoneEventPayloadType: UInt8?
    /// The remote party's direction.
    public var direction: MediaDirection
    /// Packetisation time in milliseconds.
    public var ptime: Int

    /// Creates a negotiated media description.
    public init(address: String, port: Int, codec: AudioCodec, payloadType: UInt8, telephoneEventPayloadType: UInt8?, direction: MediaDirection, ptime: Int) {
        self.address = address
        self.port = port
        self.codec = codec
        self.payloadType = payloadType
        self.telephoneEventPayloadType = telephoneEventPayloadType
        self.direction = direction
        self.ptime = ptime
    }
}

extension MediaDirection {
    /// The direction an `a=` line states, if it is one of the four direction attributes (RFC 4566 §6).
    init?(attribute: ArraySlice<UInt8>) {
        // All four are eight letters; most attributes (rtpmap, ptime…) are not, and are passed over at once.
        guard attribute.count == 8, let direction = Self.allCases.first(where: { attribute.elementsEqual($0.rawValue.utf8) }) else {
            return nil
        }
        self = direction
    }
}

/// The bytes of a session description, read as `<type>=<value>` lines without copying them into strings.
private struct SDPText {
    /// One line: its number from 1, its type letter and where its value lies in `bytes`.
    struct Line {
        var number: Int
        var type: UInt8
        var value: Range<Int>
    }

    let bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    func value(of line: Line) -> ArraySlice<UInt8> { bytes[line.value] }

    /// A line's value as text, for errors.
    func string(of line: Line) -> String { String(decoding: bytes[line.value], as: UTF8.self) }

    /// The non-empty lines; "\r\n" and "\n" both end a line (split on bytes: "\r\n" is one Character).
    func lines() throws(SDPError) -> [Line] {
        var lines: [Line] = []
        lines.reserveCapacity(16)
        var start = 0
        var number = 0
        while start < bytes.count {
            number += 1
            let newline = bytes.withUnsafeBufferPointer { $0[start...].firstIndexUsingMemchr(of: UInt8(ascii: "\n")) } ?? bytes.endIndex
            let end = newline > start && bytes[newline - 1] == UInt8(ascii: "\r") ? newline - 1 : newline
            defer { start = newline + 1 }
            if end == start { continue }
            // RFC 4566 §5: <type>=<value>, type is one lower-case letter, no whitespace around "=".
            let type = bytes[start]
            guard end - start >= 2, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(type), bytes[start + 1] == UInt8(ascii: "=") else {
                throw .malformedLine(line: number, String(decoding: bytes[start..<end], as: UTF8.self))
            }
            lines.append(Line(number: number, type: type, value: (start + 2)..<end))
        }
        return lines
    }

    // RFC 4566 §5.7: c=<nettype> <addrtype> <connection-address>[/ttl][/count]
    func connectionAddress(_ line: Line) throws(SDPError) -> String {
        var fields = Words(value(of: line), separator: UInt8(ascii: " "))
        guard let network = fields.next(), network.equals("IN"),
              let type = fields.next(), type.equals("IP4") || type.equals("IP6"),
              let address = fields.next()?.prefix(while: { $0 != UInt8(ascii: "/") }), !address.isEmpty,
              fields.next() == nil
        else { throw .invalidConnection(string(of: line)) }
        return String(decoding: address, as: UTF8.self)
    }

    /// The non-empty pieces of a value between separators.
    struct Words: IteratorProtocol {
        private var rest: ArraySlice<UInt8>
        private let separator: UInt8

        init(_ value: ArraySlice<UInt8>, separator: UInt8) {
            self.rest = value
            self.separator = separator
        }

        mutating func next() -> ArraySlice<UInt8>? {
            guard let start = rest.firstIndex(where: { $0 != separator }) else { return nil }
            let end = rest[start...].firstIndex(of: separator) ?? rest.endIndex
            defer { rest = rest[end...] }
            return rest[start..<end]
        }
    }

    /// A decimal number of digits only, at most `maximum`.
    static func decimal(_ digits: ArraySlice<UInt8>, maximum: Int) -> Int? {
        (try? DecimalNumber.parse(digits, maximum: UInt64(maximum))).map(Int.init)
    }

}
