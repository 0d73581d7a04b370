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
        let bytes = Array(body)
        guard bytes.allSatisfy({ $0 < 0x80 }) || String(validating: bytes, as: UTF8.self) != nil else { throw .notText }
        var lines: [(number: Int, type: UInt8, value: String)] = []
        // Split bytes, not Characters: "\r\n" is a single Character in Swift.
        for (offset, rawLine) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let lineBytes = rawLine.last == UInt8(ascii: "\r") ? rawLine.dropLast() : rawLine
            if lineBytes.isEmpty { continue }
            // RFC 4566 §5: <type>=<value>, type is one lower-case letter, no whitespace around "=".
            guard lineBytes.count >= 2, let type = lineBytes.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(type),
                  lineBytes[lineBytes.startIndex + 1] == UInt8(ascii: "=")
            else { throw .malformedLine(line: offset + 1, String(decoding: lineBytes, as: UTF8.self)) }
            lines.append((offset + 1, type, String(decoding: lineBytes.dropFirst(2), as: UTF8.self)))
        }
        guard let first = lines.first, first.type == UInt8(ascii: "v"), first.value == "0" else {
            throw .unsupportedVersion(lines.first.map { "\(Character(Unicode.Scalar($0.type)))=\($0.value)" } ?? "")
        }
        let firstMedia = lines.firstIndex { $0.type == UInt8(ascii: "m") } ?? lines.endIndex
        let session = lines[..<firstMedia]
        for required in [UInt8(ascii: "o"), UInt8(ascii: "s"), UInt8(ascii: "t")] where !session.contains(where: { $0.type == required }) {
            throw .missingField(String(Character(Unicode.Scalar(required))))
        }
        guard let audioStart = lines.firstIndex(where: { $0.type == UInt8(ascii: "m") && $0.value.hasPrefix("audio ") }) else {
            throw .noAudioStream
        }
        let audioEnd = lines[(audioStart + 1)...].firstIndex { $0.type == UInt8(ascii: "m") } ?? lines.endIndex
        let media = lines[(audioStart + 1)..<audioEnd]

        // RFC 4566 §5.14: m=<media> <port>[/<number of ports>] <proto> <fmt> ...
        let mediaLine = lines[audioStart].value
        let fields = Self.words(mediaLine, separator: UInt8(ascii: " "))
        guard fields.count >= 4,
              let port = Int(Self.words(fields[1], separator: UInt8(ascii: "/")).first ?? ""), (0...65535).contains(port)
        else { throw .invalidMediaLine(mediaLine) }
        var payloadTypes: [UInt8] = []
        for format in fields.dropFirst(3) {
            guard let payloadType = UInt8(format), payloadType < 128 else { throw .invalidMediaLine(mediaLine) }
            payloadTypes.append(payloadType)
        }
        mediaPort = port
        transportProtocol = String(fields[2])
        self.payloadTypes = payloadTypes

        let connection = media.last(where: { $0.type == UInt8(ascii: "c") }) ?? session.last(where: { $0.type == UInt8(ascii: "c") })
        guard let connection else { throw .missingConnection }
        connectionAddress = try Self.parseConnection(connection.value)

        var rtpMaps: [UInt8: String] = [:]
        var ptime: Int?
        for attribute in media where attribute.type == UInt8(ascii: "a") {
            let (name, value) = Self.splitAttribute(attribute.value)
            if name == "rtpmap", let value {
                // RFC 4566 §6: a=rtpmap:<payload type> <encoding name>/<clock rate>[/<parameters>]
                if let space = value.utf8.firstIndex(of: UInt8(ascii: " ")),
                   let payloadType = UInt8(value[..<space]), value.utf8.index(after: space) < value.endIndex {
                    rtpMaps[payloadType] = String(value[value.utf8.index(after: space)...])
                }
            } else if name == "ptime", let value {
                ptime = Int(value)
            }
        }
        self.rtpMaps = rtpMaps
        self.ptime = ptime
        telephoneEventPayloadType = payloadTypes.first { rtpMaps[$0]?.lowercased().hasPrefix("telephone-event/") == true }
        let directionOf = { (slice: ArraySlice<(number: Int, type: UInt8, value: String)>) in
            slice.lazy.filter { $0.type == UInt8(ascii: "a") }.compactMap { MediaDirection(rawValue: $0.value) }.last
        }
        direction = directionOf(media) ?? directionOf(session) ?? .sendrecv
    }

    // RFC 4566 §5.7: c=<nettype> <addrtype> <connection-address>[/ttl][/count]
    private static func parseConnection(_ value: String) throws(SDPError) -> String {
        let fields = words(value, separator: UInt8(ascii: " "))
        guard fields.count == 3, fields[0] == "IN", fields[1] == "IP4" || fields[1] == "IP6",
              let address = words(fields[2], separator: UInt8(ascii: "/")).first, !address.isEmpty
        else { throw .invalidConnection(value) }
        return String(address)
    }

    private static func splitAttribute(_ value: String) -> (String, String?) {
        guard let colon = value.utf8.firstIndex(of: UInt8(ascii: ":")) else { return (value, nil) }
        return (String(value[..<colon]), String(value[value.utf8.index(after: colon)...]))
    }

    /// The non-empty pieces of `text` between separators, split on UTF-8 bytes rather than Characters.
    private static func words(_ text: some StringProtocol, separator: UInt8) -> [Substring] {
        let whole = Substring(text)
        return whole.utf8.split(separator: separator).map { Substring($0) }
    }

    /// Picks the codec to send: the answerer's first format that we offered (RFC 3264 §6.1, §7).
    public func negotiate(with offer: SDPOffer) throws(SDPError) -> NegotiatedAudio {
        guard mediaPort != 0 else { throw .audioRejected }
        for payloadType in payloadTypes where payloadType != telephoneEventPayloadType {
            let codec = offer.codecs.first { codec in
                if let encoding = rtpMaps[payloadType] {
                    return encoding.uppercased().hasPrefix(codec.rawValue + "/")
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
