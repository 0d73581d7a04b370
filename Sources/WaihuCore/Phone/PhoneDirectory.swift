import Foundation

/// Everything known about China's numbering plan: which 号段 and area codes exist, where each number is
/// registered (归属地) and which carrier runs it. Parses what operators paste and answers lookups.
///
/// The data is derived from libphonenumber (see `Resources/README.md`). Lookups are table reads: the
/// 7-digit mobile prefix indexes a dense table, fixed lines match the longest known prefix.
public struct PhoneDirectory: Sendable {
    struct Location: Sendable {
        let province: Province
        let city: String
        let areaCode: String
        let description: String
    }

    /// The provenance notice carried by the data file.
    public let notice: String
    let locations: [Location]
    /// Index: the first 7 digits of a mobile number − 1,000,000. Value: location index + 1, 0 = unknown.
    let mobileLocations: [UInt16]
    /// Index: the first 4 digits of a mobile number − 1,000. Value: carrier index + 1, 0 = unknown.
    let mobileCarriers: [UInt8]
    let carrierNames: [String]
    /// Bit n set: mobile numbers starting with 10000 + n exist (libphonenumber's mobile pattern).
    let validMobilePrefixes: [UInt8]
    /// Key: `PrefixKey` of a fixed-line national prefix (area code or a sub-range). Value: location index.
    let fixedLinePrefixes: [UInt64: UInt16]
    /// Country calling code (not 86) → ISO 3166 region.
    let countries: [Int: String]
    /// Key: `PrefixKey` of an E.164 prefix outside +86. Value: IANA time zones.
    let timeZonesByPrefix: [UInt64: [String]]

    static let china = "CN"
    static let chinaTimeZones = ["Asia/Shanghai"]

    /// Where the bundled directory file is installed.
    static var resourceURL: URL? { Bundle.module.url(forResource: "phone-directory", withExtension: "bin") }

    /// The directory bundled with waihu, read once from the package resource.
    public static let bundled: PhoneDirectory = {
        guard let url = resourceURL, let data = try? Data(contentsOf: url) else {
            fatalError("waihu's phone directory resource (phone-directory.bin) is missing from the installation")
        }
        do {
            return try PhoneDirectory(encoded: [UInt8](data))
        } catch {
            fatalError("waihu's phone directory resource is corrupt: \(error)")
        }
    }()

    // MARK: - Parsing

    /// Parses a number in any form operators paste — `13800138000`, `+86 138-0013-8000`, `0086…`, `86-…`,
    /// `010-5888-1234`, `(0755) 8888 1234`, `95566`, `400-810-8888`, full-width digits — into E.164.
    public func parse(_ text: some StringProtocol) throws(PhoneNumberError) -> PhoneNumber {
        var scan = try DigitScan(text)
        if scan.count == 0 { throw .empty }
        if scan.count > 19 { throw .tooLong(digits: scan.count) }
        if !scan.plus && scan.count >= 2 && scan.digit(0) == 0 && scan.digit(1) == 0 {
            scan.dropFirst(2)  // 00 international prefix
            scan.plus = true
        }
        if scan.count == 0 { throw .empty }
        if scan.plus {
            if scan.count >= 2 && scan.digit(0) == 8 && scan.digit(1) == 6 {
                scan.dropFirst(2)
                return try parseChinese(&scan, hasCountryCode: true)
            }
            return try parseInternational(scan)
        }
        if scan.count >= 3 && scan.digit(0) == 8 && scan.digit(1) == 6 {
            scan.dropFirst(2)  // 86 without + (national numbers never start with 86)
            return try parseChinese(&scan, hasCountryCode: true)
        }
        return try parseChinese(&scan, hasCountryCode: false)
    }

    private func parseInternational(_ scan: DigitScan) throws(PhoneNumberError) -> PhoneNumber {
        if scan.count > 15 { throw .tooLong(digits: scan.count) }
        for length in 1...3 where length < scan.count {
            let code = Int(scan.prefix(length))
            if countries[code] != nil {
                let national = scan.count - length
                if national < 4 {
                    throw .wrongLength(kind: "international (+\(code))", expected: "at least 4 national", actual: national)
                }
                return PhoneNumber(e164Digits: scan.value, countryCodeLength: UInt8(length), kind: .international)
            }
        }
        throw .unknownCountryCode(String(scan.prefix(min(3, scan.count))))
    }

    /// Classifies a Chinese national number. `scan` holds the digits after +86 or as dialled at home.
    private func parseChinese(_ scan: inout DigitScan, hasCountryCode: Bool) throws(PhoneNumberError) -> PhoneNumber {
        var trunkZero = false
        if scan.count > 0 && scan.digit(0) == 0 {
            scan.dropFirst(1)  // trunk prefix 0 (also tolerated after +86: "+86 (0)755 …")
            trunkZero = true
        }
        let n = scan.count
        guard n > 0 else { throw .empty }
        let d0 = scan.digit(0), d1 = n > 1 ? scan.digit(1) : -1, d2 = n > 2 ? scan.digit(2) : -1
        let kind: PhoneNumberKind
        if d0 == 1 && d1 >= 3 {  // also after a 0: PBXs dial other cities' mobiles with a leading 0
            kind = try mobileKind(scan)
        } else if trunkZero {
            kind = try fixedLineKind(scan)
        } else if d0 == 1 && d1 == 0 && n == 10 && hasCountryCode {
            kind = try fixedLineKind(scan)  // +86 10 …: Beijing without the trunk 0
        } else if d0 == 1 && d1 == 0 && d2 == 6 {
            guard (8...13).contains(n) else {
                throw .wrongLength(kind: "enterprise SMS (106…)", expected: "8 to 13", actual: n)
            }
            kind = .enterpriseSMS
        } else if d0 == 1 {
            throw .shortServiceNumber(scan.text)
        } else if d0 == 4 && d1 == 0 && d2 == 0 {
            guard n == 10 else { throw .wrongLength(kind: "400 hotline", expected: "10", actual: n) }
            kind = .hotline400
        } else if d0 == 8 && d1 == 0 && d2 == 0 {
            guard n == 10 else { throw .wrongLength(kind: "800 freephone", expected: "10", actual: n) }
            kind = .freephone800
        } else if d0 == 9 && d1 == 5 && ((5...6).contains(n) || (d2 == 0 && (10...11).contains(n))) {
            kind = .enterpriseService  // 95xxx(x) nationwide, 950xxxxxxx(x)
        } else if d0 == 9 && d1 == 6 && (5...6).contains(n) {
            kind = .enterpriseService  // 96xxx(x) local service number given without its area code
        } else if hasCountryCode {
            kind = try fixedLineKind(scan)
        } else if d0 == 9 && d1 == 5 {
            throw .wrongLength(kind: "enterprise service (95…)", expected: "5 to 6 (or 10 to 11 for 950…)", actual: n)
        } else {
            throw .unrecognised(scan.text)
        }
        return PhoneNumber(e164Digits: 86 &* pow10(n) &+ scan.value, countryCodeLength: 2, kind: kind)
    }

    private func mobileKind(_ scan: DigitScan) throws(PhoneNumberError) -> PhoneNumberKind {
        guard scan.count == 11 else {
            throw .wrongLength(kind: "mobile (手机)", expected: "11", actual: scan.count)
        }
        let first5 = Int(scan.prefix(5))
        guard isValidMobilePrefix(first5) else {
            let segment = first5 / 100
            let anyInSegment = (segment * 100..<(segment + 1) * 100).contains(where: isValidMobilePrefix)
            throw .unallocatedMobilePrefix(anyInSegment ? String(first5) : String(segment))
        }
        switch first5 / 100 {
        case 170, 171, 162, 165, 167: return .virtualOperator  // 虚拟运营商号段 (RULES P1)
        default: return .mobile
        }
    }

    private func isValidMobilePrefix(_ first5: Int) -> Bool {
        let bit = first5 - 10000
        guard bit >= 0 && bit < 10000 else { return false }
        return validMobilePrefixes[bit >> 3] & (1 << UInt8(bit & 7)) != 0
    }

    private func fixedLineKind(_ scan: DigitScan) throws(PhoneNumberError) -> PhoneNumberKind {
        let n = scan.count
        let areaCodeLength: Int
        if n >= 2 && fixedLinePrefixes[PrefixKey.make(scan.prefix(2), length: 2)] != nil {
            areaCodeLength = 2
        } else if n >= 3 && fixedLinePrefixes[PrefixKey.make(scan.prefix(3), length: 3)] != nil {
            areaCodeLength = 3
        } else {
            throw .unknownAreaCode("0" + String(scan.text.prefix(3)))
        }
        let subscriberLength = n - areaCodeLength
        let first = subscriberLength > 0 ? scan.digit(areaCodeLength) : -1
        let second = subscriberLength > 1 ? scan.digit(areaCodeLength + 1) : -1
        if first == 9 && second == 6 && (5...6).contains(subscriberLength) {
            return .enterpriseService  // local 96xxx service number with its area code
        }
        let lengthOK = areaCodeLength == 2 ? subscriberLength == 8 : (7...8).contains(subscriberLength)
        guard lengthOK && first >= 2 else {
            let text = scan.text
            throw .invalidSubscriberNumber(
                areaCode: "0" + String(text.prefix(areaCodeLength)),
                subscriber: String(text.dropFirst(areaCodeLength)))
        }
        return .fixedLine
    }

    // MARK: - Lookup

    /// Parses `text` and describes the number.
    public func lookup(_ text: some StringProtocol) throws(PhoneNumberError) -> PhoneInfo {
        info(for: try parse(text))
    }

    /// Describes a parsed number: carrier, province, city, area code, region group, time zones.
    /// Strings come from the tables; nothing is allocated but the answer.
    public func info(for number: PhoneNumber) -> PhoneInfo {
        guard number.isChinese else {
            let code = number.countryCode
            return PhoneInfo(
                number: number, carrier: nil, network: nil, location: nil, areaCode: nil, areaCodeLength: 0,
                region: countries[code], timeZones: internationalTimeZones(number))
        }
        let nsnLength = number.digitCount - 2
        let nsn = number.e164Digits % pow10(nsnLength)
        // Local 96xxx service numbers carry an area code; nationwide 95xxx(x) and 950… do not.
        let hasAreaCode = number.kind == .fixedLine
            || (number.kind == .enterpriseService && nsnLength > 6 && nsn / pow10(nsnLength - 3) != 950)
        if hasAreaCode {
            let location = fixedLineLocation(nsn, length: nsnLength)
            let first = nsn / pow10(nsnLength - 1), firstTwo = nsn / pow10(nsnLength - 2)
            let areaCodeLength = firstTwo == 10 || first == 2 ? 2 : 3
            return PhoneInfo(
                number: number, carrier: nil, network: nil, location: location,
                areaCode: location?.areaCode ?? "0" + String(nsn / pow10(nsnLength - areaCodeLength)),
                areaCodeLength: areaCodeLength, region: Self.china, timeZones: Self.chinaTimeZones)
        }
        switch number.kind {
        case .mobile, .virtualOperator:
            let locationIndex = Int(mobileLocations[Int(nsn / 10_000) - 1_000_000])
            let carrierIndex = Int(mobileCarriers[Int(nsn / 10_000_000) - 1_000])
            let carrierName = carrierIndex == 0 ? nil : carrierNames[carrierIndex - 1]
            let location = locationIndex == 0 ? nil : locations[locationIndex - 1]
            let virtual = number.kind == .virtualOperator
            return PhoneInfo(
                number: number, carrier: virtual ? PhoneInfo.virtualOperatorCarrier : carrierName,
                network: virtual ? carrierName : nil, location: location,
                areaCode: location.flatMap { $0.areaCode.isEmpty ? nil : $0.areaCode }, areaCodeLength: 0,
                region: Self.china, timeZones: Self.chinaTimeZones)
        default:
            return PhoneInfo(
                number: number, carrier: nil, network: nil, location: nil, areaCode: nil, areaCodeLength: 0,
                region: Self.china, timeZones: Self.chinaTimeZones)
        }
    }

    private func fixedLineLocation(_ nsn: UInt64, length: Int) -> Location? {
        for prefixLength in stride(from: min(length, 7), through: 2, by: -1) {
            let prefix = nsn / pow10(length - prefixLength)
            if let index = fixedLinePrefixes[PrefixKey.make(prefix, length: prefixLength)] {
                return locations[Int(index)]
            }
        }
        return nil
    }

    private func internationalTimeZones(_ number: PhoneNumber) -> [String] {
        let length = number.digitCount
        for prefixLength in stride(from: min(length, 8), through: 1, by: -1) {
            let prefix = number.e164Digits / pow10(length - prefixLength)
            if let zones = timeZonesByPrefix[PrefixKey.make(prefix, length: prefixLength)] {
                return zones
            }
        }
        return []
    }
}

/// A digit prefix and its length packed into one key, so that `0755` and `755` stay distinct.
enum PrefixKey {
    @inline(__always)
    static func make(_ value: UInt64, length: Int) -> UInt64 { UInt64(length) << 56 | value }
}

/// The digits of a pasted number, with separators, full-width forms and a leading `+` understood.
struct DigitScan {
    private(set) var value: UInt64 = 0
    private(set) var count = 0
    var plus = false

    init(_ text: some StringProtocol) throws(PhoneNumberError) {
        // Native strings are scanned in place; others (bridged, lazily decoded) through a copy.
        let scanned = text.utf8.withContiguousStorageIfAvailable { bytes in
            Result { () throws(PhoneNumberError) in try scan(bytes) }
        } ?? Array(text.utf8).withUnsafeBufferPointer { bytes in
            Result { () throws(PhoneNumberError) in try scan(bytes) }
        }
        try scanned.get()
    }

    /// Reads UTF-8 bytes: ASCII directly, other scalars decoded (full-width digits, CJK separators).
    private mutating func scan(_ bytes: UnsafeBufferPointer<UInt8>) throws(PhoneNumberError) {
        var index = 0
        var position = 0
        if bytes.count >= 4, bytes[0] | 0x20 == 0x74, bytes[1] | 0x20 == 0x65, bytes[2] | 0x20 == 0x6C, bytes[3] == 0x3A {
            index = 4  // tel:
            position = 4
        }
        while index < bytes.count {
            let lead = bytes[index]
            var scalar = UInt32(lead)
            if lead < 0x80 {
                index += 1
            } else {
                let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
                guard index + length <= bytes.count else { throw .invalidCharacter("\u{FFFD}", position: position + 1) }
                scalar = UInt32(lead) & (0xFF >> (length + 1))
                for offset in 1..<length { scalar = scalar << 6 | UInt32(bytes[index + offset] & 0x3F) }
                index += length
            }
            position += 1
            try take(scalar, position: position)
        }
    }

    private mutating func take(_ v: UInt32, position: Int) throws(PhoneNumberError) {
        let digit: UInt64
        switch v {
        case 0x30...0x39: digit = UInt64(v - 0x30)
        case 0xFF10...0xFF19: digit = UInt64(v - 0xFF10)  // full-width ０-９
        case 0x2B, 0xFF0B:  // + ＋
            if count > 0 || plus { throw .misplacedPlus(position: position) }
            plus = true
            return
        case 0x20, 0x09, 0xA0, 0x3000, 0xFEFF, 0x200B,  // spaces, BOM, zero-width space
             0x2D, 0x2010...0x2015, 0x2212, 0xFF0D,  // hyphens and dashes
             0x2E, 0x2F, 0x28, 0x29, 0xFF08, 0xFF09, 0xFF0E:  // . / ( ) （ ） ．
            return
        default:
            if count > 0 && (v == 0x8F6C || v == 0x23 || v == 0x2C || v == 0x3B || v == 0x78 || v == 0x58
                || v == 0x65 || v == 0x45 || v == 0x5206 || v == 0x3001 || v == 0xFF0C) {
                throw .hasExtension  // 转, 分机, #, ',', ';', x, ext …
            }
            throw .invalidCharacter(Character(Unicode.Scalar(v) ?? "\u{FFFD}"), position: position)
        }
        count += 1
        if count <= 19 { value = value &* 10 &+ digit }
    }

    /// The digit at `index` (0-based), counting leading zeros.
    @inline(__always)
    func digit(_ index: Int) -> Int {
        Int((value / pow10(count - 1 - index)) % 10)
    }

    /// The first `length` digits as a number.
    @inline(__always)
    func prefix(_ length: Int) -> UInt64 { value / pow10(count - length) }

    mutating func dropFirst(_ length: Int) {
        count -= length
        value %= pow10(count)
    }

    /// The digits as text, leading zeros included.
    var text: String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, count - digits.count)) + digits
    }
}
