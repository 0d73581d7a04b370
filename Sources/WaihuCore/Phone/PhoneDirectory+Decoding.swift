/// The phone directory file could not be read; the message says which part is broken.
public struct PhoneDirectoryFormatError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

extension PhoneDirectory {
    /// Decodes the "WPD1" format written by `scripts/gen-phone-data.py` (its header documents the layout).
    public init(encoded bytes: [UInt8]) throws(PhoneDirectoryFormatError) {
        var reader = ByteReader(bytes: bytes)
        guard try reader.bytes(4) == Array("WPD1".utf8) else {
            throw PhoneDirectoryFormatError(description: "not a waihu phone directory (magic WPD1 missing)")
        }
        notice = try reader.string()
        let strings = try (0..<reader.varint()).map { _ throws(PhoneDirectoryFormatError) in try reader.string() }
        func string(_ index: Int) throws(PhoneDirectoryFormatError) -> String {
            guard index < strings.count else {
                throw PhoneDirectoryFormatError(description: "string index \(index) out of range")
            }
            return strings[index]
        }

        var locations: [Location] = []
        for _ in 0..<(try reader.varint()) {
            let code = try reader.varint()
            guard let province = Province(code: code) else {
                throw PhoneDirectoryFormatError(description: "unknown province code \(code)")
            }
            locations.append(Location(
                province: province, city: try string(reader.varint()),
                areaCode: try string(reader.varint()), description: try string(reader.varint())))
        }
        self.locations = locations

        var carrierNames: [String] = []
        var carriers = [UInt8](repeating: 0, count: 1_000)
        var carrierPrefixes: [(prefix: String, carrier: Int)] = []
        for _ in 0..<(try reader.varint()) {
            let prefix = try string(reader.varint())
            let name = try string(reader.varint())
            if !carrierNames.contains(name) { carrierNames.append(name) }
            carrierPrefixes.append((prefix, carrierNames.firstIndex(of: name)!))
        }
        // Shorter prefixes first, so that longer (more specific) ones overwrite them.
        for (prefix, carrier) in carrierPrefixes.sorted(by: { $0.prefix.count < $1.prefix.count }) {
            guard let value = Int(prefix), (2...4).contains(prefix.count), prefix.hasPrefix("1") else {
                throw PhoneDirectoryFormatError(description: "carrier prefix '\(prefix)' is not 2–4 digits starting with 1")
            }
            let span = Int(pow10(4 - prefix.count))
            for first4 in value * span..<(value + 1) * span {
                carriers[first4 - 1_000] = UInt8(carrier + 1)
            }
        }
        self.carrierNames = carrierNames
        self.mobileCarriers = carriers

        var mobile = [UInt16](repeating: 0, count: 1_000_000)
        for _ in 0..<(try reader.varint()) {
            let segment = try reader.varint()
            guard (100...199).contains(segment) else {
                throw PhoneDirectoryFormatError(description: "mobile segment \(segment) out of range")
            }
            let runCount = try reader.varint()
            var runs: [(start: Int, location: Int)] = []
            var start = 0
            for _ in 0..<runCount {
                start += try reader.varint()
                let location = try reader.varint()
                guard start < 10_000, location <= locations.count else {
                    throw PhoneDirectoryFormatError(description: "mobile run of segment \(segment) out of range")
                }
                runs.append((start, location))
            }
            let base = segment * 10_000 - 1_000_000
            for (index, run) in runs.enumerated() {
                let end = index + 1 < runs.count ? runs[index + 1].start : 10_000
                for suffix in run.start..<end { mobile[base + suffix] = UInt16(run.location) }
            }
        }
        self.mobileLocations = mobile
        self.validMobilePrefixes = try reader.bytes(1_250)

        var fixed: [UInt64: UInt16] = [:]
        for _ in 0..<(try reader.varint()) {
            let prefix = try string(reader.varint())
            let location = try reader.varint()
            guard let value = UInt64(prefix), location < locations.count else {
                throw PhoneDirectoryFormatError(description: "fixed-line prefix '\(prefix)' is malformed")
            }
            fixed[PrefixKey.make(value, length: prefix.count)] = UInt16(location)
        }
        self.fixedLinePrefixes = fixed

        var countries: [Int: String] = [:]
        for _ in 0..<(try reader.varint()) {
            countries[try reader.varint()] = try string(reader.varint())
        }
        self.countries = countries

        var zones: [UInt64: [String]] = [:]
        for _ in 0..<(try reader.varint()) {
            let prefix = try string(reader.varint())
            let names = try (0..<reader.varint()).map { _ throws(PhoneDirectoryFormatError) in
                try string(reader.varint())
            }
            guard let value = UInt64(prefix) else {
                throw PhoneDirectoryFormatError(description: "time-zone prefix '\(prefix)' is malformed")
            }
            zones[PrefixKey.make(value, length: prefix.count)] = names
        }
        self.timeZonesByPrefix = zones
        guard reader.isAtEnd else {
            throw PhoneDirectoryFormatError(description: "trailing bytes after the time-zone table")
        }
    }
}

private struct ByteReader {
    let bytes: [UInt8]
    var offset = 0

    var isAtEnd: Bool { offset == bytes.count }

    mutating func varint() throws(PhoneDirectoryFormatError) -> Int {
        var result = 0
        var shift = 0
        while true {
            guard offset < bytes.count else {
                throw PhoneDirectoryFormatError(description: "truncated at byte \(offset)")
            }
            let byte = bytes[offset]
            offset += 1
            result |= Int(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            guard shift < 56 else { throw PhoneDirectoryFormatError(description: "varint too long at byte \(offset)") }
        }
    }

    mutating func bytes(_ count: Int) throws(PhoneDirectoryFormatError) -> [UInt8] {
        guard offset + count <= bytes.count else {
            throw PhoneDirectoryFormatError(description: "truncated at byte \(offset)")
        }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func string() throws(PhoneDirectoryFormatError) -> String {
        String(decoding: try bytes(varint()), as: UTF8.self)
    }
}
