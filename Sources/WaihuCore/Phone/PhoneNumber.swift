/// What kind of number a phone number is, as a Chinese operator classifies it (RULES P1).
public enum PhoneNumberKind: String, Sendable, Codable, CaseIterable, Hashable {
    /// 11-digit mobile number of 中国移动, 联通, 电信 or 广电 (1[3-9]…).
    case mobile
    /// Fixed line: area code (区号) and subscriber number — the most trusted caller ID for service calls.
    case fixedLine = "fixed_line"
    /// Mobile number of a virtual operator (虚拟运营商, 号段 170/171/162/165/167) — high mark risk.
    case virtualOperator = "virtual_operator"
    /// Enterprise service number: nationwide 95xxx or local 96xxx, approved by MIIT.
    case enterpriseService = "enterprise_service"
    /// Enterprise / SMS port number (106…, including 1069).
    case enterpriseSMS = "enterprise_sms"
    /// 400 hotline number (callee-paid), 10 digits.
    case hotline400 = "hotline_400"
    /// 800 freephone number, 10 digits.
    case freephone800 = "freephone_800"
    /// A number outside mainland China (+852, +1 …).
    case international

    /// The Chinese name used on screens.
    public var chineseName: String {
        switch self {
        case .mobile: "手机"
        case .fixedLine: "固话"
        case .virtualOperator: "虚拟运营商"
        case .enterpriseService: "企业服务号(95/96)"
        case .enterpriseSMS: "企业短信号(106)"
        case .hotline400: "400号码"
        case .freephone800: "800号码"
        case .international: "境外号码"
        }
    }
}

/// A phone number normalised to E.164, with its kind.
///
/// Two numbers are equal when their E.164 forms are equal. The E.164 digits are held in one integer:
/// a country code never starts with 0, so the digits determine the number.
public struct PhoneNumber: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The E.164 digits without `+`: 8613800138000.
    public let e164Digits: UInt64
    /// How many digits the country calling code has (1–3).
    let countryCodeLength: UInt8
    /// What kind of number this is.
    public let kind: PhoneNumberKind

    init(e164Digits: UInt64, countryCodeLength: UInt8, kind: PhoneNumberKind) {
        self.e164Digits = e164Digits
        self.countryCodeLength = countryCodeLength
        self.kind = kind
    }

    /// Restores a number that waihu stored earlier, from its E.164 text and kind.
    /// Returns nil if the text is not `+` and 2–15 digits. Input from people goes through `PhoneDirectory.parse`.
    public init?(restoring e164: String, kind: PhoneNumberKind, directory: PhoneDirectory = .bundled) {
        guard e164.hasPrefix("+"), (3...16).contains(e164.utf8.count),
              let digits = UInt64(e164.dropFirst()), !e164.dropFirst().hasPrefix("0") else { return nil }
        let total = decimalDigitCount(digits)
        var codeLength = 2
        if kind == .international {
            guard let length = (1...3).first(where: {
                directory.countries[Int(digits / pow10(total - $0))] != nil
            }) else { return nil }
            codeLength = length
        } else if digits / pow10(total - 2) != 86 {
            return nil
        }
        self.init(e164Digits: digits, countryCodeLength: UInt8(codeLength), kind: kind)
    }

    /// The E.164 form: `+8613800138000`.
    public var e164: String { "+" + String(e164Digits) }

    /// The country calling code: 86 for mainland China.
    public var countryCode: Int {
        Int(e164Digits / pow10(digitCount - Int(countryCodeLength)))
    }

    /// The national significant number (without country code and trunk prefix 0).
    public var nationalSignificantNumber: String {
        String(e164.dropFirst(1 + Int(countryCodeLength)))
    }

    /// Whether the number belongs to mainland China (+86).
    public var isChinese: Bool { countryCode == 86 }

    /// The last four digits, for masked display (`****8000`, RULES D1).
    public var masked: String { "****" + String(e164.suffix(4)) }

    var digitCount: Int { decimalDigitCount(e164Digits) }

    public var description: String { e164 }

    public static func == (lhs: PhoneNumber, rhs: PhoneNumber) -> Bool { lhs.e164Digits == rhs.e164Digits }
    public func hash(into hasher: inout Hasher) { hasher.combine(e164Digits) }
    public static func < (lhs: PhoneNumber, rhs: PhoneNumber) -> Bool { lhs.e164 < rhs.e164 }
}

/// Why a text is not a usable phone number. The description says what is wrong and what to do.
public enum PhoneNumberError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    case invalidCharacter(Character, position: Int)
    case misplacedPlus(position: Int)
    case hasExtension
    case tooLong(digits: Int)
    case unknownCountryCode(String)
    case wrongLength(kind: String, expected: String, actual: Int)
    case unallocatedMobilePrefix(String)
    case unknownAreaCode(String)
    case invalidSubscriberNumber(areaCode: String, subscriber: String)
    case shortServiceNumber(String)
    case unrecognised(String)

    public var description: String {
        switch self {
        case .empty:
            "the number is empty"
        case let .invalidCharacter(character, position):
            "character '\(character)' at position \(position) is not part of a phone number; use digits, spaces, '-', '(', ')' and a leading '+'"
        case let .misplacedPlus(position):
            "'+' at position \(position) may only start the number (+86 …)"
        case .hasExtension:
            "the number has an extension (转/ext); give the number without it — extensions cannot be dialled directly"
        case let .tooLong(digits):
            "\(digits) digits is longer than any phone number (E.164 allows 15 including the country code)"
        case let .unknownCountryCode(digits):
            "no country has the calling code starting '+\(digits)'"
        case let .wrongLength(kind, expected, actual):
            "\(kind) numbers have \(expected) digits; this one has \(actual)"
        case let .unallocatedMobilePrefix(prefix):
            "mobile prefix (号段) \(prefix) is not allocated to any operator"
        case let .unknownAreaCode(code):
            "no area code (区号) \(code) exists; fixed-line numbers start with a valid area code such as 010 or 0755"
        case let .invalidSubscriberNumber(areaCode, subscriber):
            "subscriber number \(subscriber) after area code \(areaCode) is not valid: it must have 7–8 digits (8 after a 2-digit area code) and not start with 0 or 1"
        case let .shortServiceNumber(digits):
            "\(digits) is a public or carrier short service number (1xxxx), not a subscriber number; it can neither be called nor used as caller ID"
        case let .unrecognised(digits):
            "\(digits) matches no Chinese number plan (mobile 1[3-9]…, 0+area code, 95/96, 106, 400, 800)"
        }
    }
}

@inline(__always)
func pow10(_ exponent: Int) -> UInt64 {
    var value: UInt64 = 1
    for _ in 0..<max(0, exponent) { value &*= 10 }
    return value
}

@inline(__always)
func decimalDigitCount(_ value: UInt64) -> Int {
    var count = 1
    var rest = value
    while rest >= 10 {
        rest /= 10
        count += 1
    }
    return count
}
