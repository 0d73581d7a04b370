/// What the directory knows about one number: the answer of `waihu lookup`.
public struct PhoneInfo: Sendable, Hashable, Encodable {
    /// The carrier shown for virtual-operator numbers; their host network is in `network`.
    public static let virtualOperatorCarrier = "虚拟运营商"

    /// The number itself.
    public let number: PhoneNumber
    /// 中国移动, 中国联通, 中国电信, 中国广电, or 虚拟运营商; nil where unknown (fixed lines, 400 …).
    public let carrier: String?
    /// For virtual-operator numbers: the host network the number runs on.
    public let network: String?
    /// The province of registration (归属地), for mobile and fixed-line numbers.
    public let province: Province?
    /// The city of registration, short form (`深圳`, `北京`).
    public let city: String?
    /// The area code (区号) of the city, with its leading 0: `0755`.
    public let areaCode: String?
    /// libphonenumber's own description of the place, in Chinese (`广东省深圳市`).
    public let location: String?
    /// ISO 3166 region of the number: `CN`, `HK`, `US` …
    public let region: String?
    /// IANA time zones the number may be in (one for China: Asia/Shanghai).
    public let timeZones: [String]

    /// Digits of the area code within the national number (2 or 3); 0 for numbers without one.
    let areaCodeLength: Int

    init(
        number: PhoneNumber, carrier: String?, network: String?, location: PhoneDirectory.Location?,
        areaCode: String?, areaCodeLength: Int, region: String?, timeZones: [String]
    ) {
        self.number = number
        self.areaCodeLength = areaCodeLength
        self.carrier = carrier
        self.network = network
        self.province = location?.province
        self.city = location?.city
        self.areaCode = areaCode
        self.location = location?.description
        self.region = region
        self.timeZones = timeZones
    }

    /// The E.164 form: `+8613800138000`.
    public var e164: String { number.e164 }

    /// The number as written at home: `138 0013 8000`, `0755-88881234`, `400-810-8888`.
    public var national: String {
        let digits = number.nationalSignificantNumber
        guard number.isChinese else { return "+\(number.countryCode) \(digits)" }
        if areaCodeLength > 0 {
            return "0\(digits.prefix(areaCodeLength))-\(digits.dropFirst(areaCodeLength))"
        }
        switch kind {
        case .mobile, .virtualOperator:
            return "\(digits.prefix(3)) \(digits.dropFirst(3).prefix(4)) \(digits.suffix(4))"
        case .hotline400, .freephone800:
            return "\(digits.prefix(3))-\(digits.dropFirst(3).prefix(3))-\(digits.suffix(4))"
        default:
            return digits
        }
    }
    /// The kind of number.
    public var kind: PhoneNumberKind { number.kind }
    /// The regional group (大区) of the province.
    public var regionGroup: RegionGroup? { province?.regionGroup }

    enum CodingKeys: String, CodingKey {
        case e164, national, kind, carrier, network, province, city, areaCode, regionGroup, location
        case countryCode, region, timeZones
    }

    /// Encodes every field, unknown ones as `null`, so that consumers see the full shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(e164, forKey: .e164)
        try container.encode(national, forKey: .national)
        try container.encode(kind, forKey: .kind)
        try container.encode(carrier, forKey: .carrier)
        try container.encode(network, forKey: .network)
        try container.encode(province?.name, forKey: .province)
        try container.encode(city, forKey: .city)
        try container.encode(areaCode, forKey: .areaCode)
        try container.encode(regionGroup, forKey: .regionGroup)
        try container.encode(location, forKey: .location)
        try container.encode(number.countryCode, forKey: .countryCode)
        try container.encode(region, forKey: .region)
        try container.encode(timeZones, forKey: .timeZones)
    }
}
