/// Why bytes are not a WAV file this module can use.
public enum WAVError: Error, Hashable, Sendable {
    /// The file does not start with `RIFF`.
    case notRIFF
    /// The RIFF form type is not `WAVE`.
    case notWAVE
    /// A chunk (named) runs past the end of the file.
    case truncated(String)
    /// A required chunk (`fmt ` or `data`) is absent.
    case missingChunk(String)
    /// The format tag is not PCM (1), A-law (6) or μ-law (7).
    case unsupportedFormat(UInt16)
    /// Only mono is supported.
    case unsupportedChannelCount(UInt16)
    /// Only 8000 Hz is supported.
    case unsupportedSampleRate(UInt32)
    /// PCM must be 16-bit and G.711 8-bit.
    case unsupportedBitsPerSample(UInt16)
}

/// The sample encoding of a WAV file.
public enum WAVEncoding: Hashable, Sendable {
    /// 16-bit signed little-endian PCM (format tag 1).
    case pcm16
    /// G.711 A-law (format tag 6).
    case aLaw
    /// G.711 μ-law (format tag 7).
    case muLaw
}

/// Decoded WAV audio: 8 kHz mono samples and the encoding they were stored in.
public struct WAVAudio: Hashable, Sendable {
    /// How the file stored the samples.
    public var encoding: WAVEncoding
    /// Linear 16-bit samples.
    public var samples: [Int16]

    /// Creates decoded audio.
    public init(encoding: WAVEncoding, samples: [Int16]) {
        self.encoding = encoding
        self.samples = samples
    }
}

/// RIFF/WAVE reading and writing for 8 kHz mono telephony prompts.
public enum WAV {
    /// The only sample rate telephony prompts use here.
    public static let sampleRate: UInt32 = 8000

    /// Decodes a PCM 16-bit, A-law or μ-law mono 8 kHz WAV file.
    public static func decode(_ bytes: some Collection<UInt8>) throws(WAVError) -> WAVAudio {
        let data = Array(bytes)
        guard data.count >= 12, data[0..<4].elementsEqual("RIFF".utf8) else { throw .notRIFF }
        guard data[8..<12].elementsEqual("WAVE".utf8) else { throw .notWAVE }
        var format: WAVEncoding?
        var samples: ArraySlice<UInt8>?
        var offset = 12
        while offset + 8 <= data.count {
            let id = String(decoding: data[offset..<(offset + 4)], as: UTF8.self)
            let declared = Int(uint32(data, at: offset + 4))
            let start = offset + 8
            let available = data.count - start
            // A streaming writer that did not know the length leaves 0xFFFFFFFF in the data chunk.
            let size = id == "data" && declared == Int(UInt32.max) ? available : declared
            guard size <= available else { throw .truncated(id) }
            let body = data[start..<(start + size)]
            if id == "fmt " {
                format = try parseFormat(body)
            } else if id == "data" {
                samples = body
            }
            offset = start + size + (size & 1)  // RIFF chunks are padded to even sizes.
        }
        guard let format else { throw .missingChunk("fmt ") }
        guard let samples else { throw .missingChunk("data") }
        switch format {
        case .pcm16:
            let pairs = stride(from: samples.startIndex, to: samples.endIndex - 1, by: 2)
            return WAVAudio(encoding: .pcm16, samples: pairs.map { Int16(bitPattern: UInt16(samples[$0]) | UInt16(samples[$0 + 1]) << 8) })
        case .aLaw:
            return WAVAudio(encoding: .aLaw, samples: samples.map(G711.aLawDecode))
        case .muLaw:
            return WAVAudio(encoding: .muLaw, samples: samples.map(G711.muLawDecode))
        }
    }

    /// Encodes samples as a PCM 16-bit mono 8 kHz WAV file.
    public static func encode(_ samples: [Int16]) -> [UInt8] {
        let dataSize = UInt32(truncatingIfNeeded: samples.count * 2)
        var bytes = Array("RIFF".utf8) + le32(36 &+ dataSize) + Array("WAVE".utf8)
        bytes += Array("fmt ".utf8) + le32(16)
        bytes += le16(1) + le16(1) + le32(sampleRate) + le32(sampleRate * 2) + le16(2) + le16(16)
        bytes += Array("data".utf8) + le32(dataSize)
        bytes.reserveCapacity(bytes.count + samples.count * 2)
        for sample in samples {
            let bits = UInt16(bitPattern: sample)
            bytes += [UInt8(bits & 0xFF), UInt8(bits >> 8)]
        }
        return bytes
    }

    // WAVE fmt chunk: format tag, channels, sample rate, byte rate, block align, bits per sample,
    // then for WAVE_FORMAT_EXTENSIBLE (0xFFFE) a sub-format GUID whose first two bytes are the real tag.
    private static func parseFormat(_ body: ArraySlice<UInt8>) throws(WAVError) -> WAVEncoding {
        let chunk = Array(body)
        guard chunk.count >= 16 else { throw .truncated("fmt ") }
        var tag = uint16(chunk, at: 0)
        if tag == 0xFFFE {
            guard chunk.count >= 26 else { throw .truncated("fmt ") }
            tag = uint16(chunk, at: 24)
        }
        let channels = uint16(chunk, at: 2)
        let rate = uint32(chunk, at: 4)
        let bits = uint16(chunk, at: 14)
        let encoding: WAVEncoding
        let expectedBits: UInt16
        switch tag {
        case 1: (encoding, expectedBits) = (.pcm16, 16)
        case 6: (encoding, expectedBits) = (.aLaw, 8)
        case 7: (encoding, expectedBits) = (.muLaw, 8)
        default: throw .unsupportedFormat(tag)
        }
        guard channels == 1 else { throw .unsupportedChannelCount(channels) }
        guard rate == sampleRate else { throw .unsupportedSampleRate(rate) }
        guard bits == expectedBits else { throw .unsupportedBitsPerSample(bits) }
        return encoding
    }

    private static func uint16(_ data: [UInt8], at offset: Int) -> UInt16 {
        UInt16(data[offset]) | UInt16(data[offset + 1]) << 8
    }

    private static func uint32(_ data: [UInt8], at offset: Int) -> UInt32 {
        UInt32(uint16(data, at: offset)) | UInt32(uint16(data, at: offset + 2)) << 16
    }

    private static func le16(_ value: UInt16) -> [UInt8] {
        [UInt8(value & 0xFF), UInt8(value >> 8)]
    }

    private static func le32(_ value: UInt32) -> [UInt8] {
        le16(UInt16(value & 0xFFFF)) + le16(UInt16(value >> 16))
    }
}
