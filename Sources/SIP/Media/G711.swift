/// ITU-T G.711 companding, bit-exact with the CCITT reference implementation (Sun `g711.c`).
public enum G711 {
    private static let muLawBias = 0x84
    private static let muLawClip = 8159
    // ITU-T G.711 Tables 1a/2a: segment end points of the scaled magnitudes.
    private static let muLawSegmentEnds = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF]
    private static let aLawSegmentEnds = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF]

    private static let muLawTable: [Int16] = (0...255).map { muLawExpand(UInt8($0)) }
    private static let aLawTable: [Int16] = (0...255).map { aLawExpand(UInt8($0)) }

    /// Encodes one 16-bit linear sample to μ-law (ITU-T G.711 Table 2a).
    public static func muLawEncode(_ sample: Int16) -> UInt8 {
        var magnitude = Int(sample) >> 2  // 14-bit linear input
        let mask: Int
        if magnitude < 0 {
            magnitude = -magnitude
            mask = 0x7F
        } else {
            mask = 0xFF
        }
        magnitude = min(magnitude, muLawClip) + (muLawBias >> 2)
        guard let segment = muLawSegmentEnds.firstIndex(where: { magnitude <= $0 }) else {
            return UInt8(0x7F ^ mask)
        }
        return UInt8(((segment << 4) | ((magnitude >> (segment + 1)) & 0x0F)) ^ mask)
    }

    /// Decodes one μ-law byte to a 16-bit linear sample (ITU-T G.711 Table 2a).
    public static func muLawDecode(_ byte: UInt8) -> Int16 {
        muLawTable[Int(byte)]
    }

    /// Encodes one 16-bit linear sample to A-law (ITU-T G.711 Table 1a), even bits inverted.
    public static func aLawEncode(_ sample: Int16) -> UInt8 {
        var magnitude = Int(sample) >> 3  // 13-bit linear input
        let mask: Int
        if magnitude >= 0 {
            mask = 0xD5
        } else {
            mask = 0x55
            magnitude = -magnitude - 1
        }
        guard let segment = aLawSegmentEnds.firstIndex(where: { magnitude <= $0 }) else {
            return UInt8(0x7F ^ mask)
        }
        let quantized = segment < 2 ? (magnitude >> 1) & 0x0F : (magnitude >> segment) & 0x0F
        return UInt8(((segment << 4) | quantized) ^ mask)
    }

    /// Decodes one A-law byte to a 16-bit linear sample (ITU-T G.711 Table 1a).
    public static func aLawDecode(_ byte: UInt8) -> Int16 {
        aLawTable[Int(byte)]
    }

    /// Encodes samples to μ-law.
    public static func muLawEncode(_ samples: [Int16]) -> [UInt8] { samples.map(muLawEncode) }
    /// Decodes μ-law bytes.
    public static func muLawDecode(_ bytes: [UInt8]) -> [Int16] { bytes.map(muLawDecode) }
    /// Encodes samples to A-law.
    public static func aLawEncode(_ samples: [Int16]) -> [UInt8] { samples.map(aLawEncode) }
    /// Decodes A-law bytes.
    public static func aLawDecode(_ bytes: [UInt8]) -> [Int16] { bytes.map(aLawDecode) }

    private static func muLawExpand(_ byte: UInt8) -> Int16 {
        let value = Int(~byte)
        var magnitude = ((value & 0x0F) << 3) + muLawBias
        magnitude <<= (value & 0x70) >> 4
        return Int16(value & 0x80 != 0 ? muLawBias - magnitude : magnitude - muLawBias)
    }

    private static func aLawExpand(_ byte: UInt8) -> Int16 {
        let value = Int(byte ^ 0x55)
        var magnitude = (value & 0x0F) << 4
        let segment = (value & 0x70) >> 4
        switch segment {
        case 0: magnitude += 8
        case 1: magnitude += 0x108
        default: magnitude = (magnitude + 0x108) << (segment - 1)
        }
        return Int16(value & 0x80 != 0 ? magnitude : -magnitude)
    }
}

extension AudioCodec {
    /// Encodes linear samples with this codec (ITU-T G.711).
    public func encode(_ samples: [Int16]) -> [UInt8] {
        switch self {
        case .pcmu: G711.muLawEncode(samples)
        case .pcma: G711.aLawEncode(samples)
        }
    }

    /// Decodes one byte of this codec to a linear sample (ITU-T G.711).
    public func decode(_ byte: UInt8) -> Int16 {
        switch self {
        case .pcmu: G711.muLawDecode(byte)
        case .pcma: G711.aLawDecode(byte)
        }
    }

    /// The codec with this static payload type (RFC 3551 §6 Table 4), if it is G.711.
    public init?(staticPayloadType: UInt8) {
        switch staticPayloadType {
        case 0: self = .pcmu
        case 8: self = .pcma
        default: return nil
        }
    }
}
