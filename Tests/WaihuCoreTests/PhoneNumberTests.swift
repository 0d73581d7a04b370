import Foundation
import Testing
@testable import WaihuCore

let directory = PhoneDirectory.bundled

/// One line of the vectors computed by scripts/gen-phone-data.py through phonenumbers' own API.
struct LibphonenumberVector: CustomTestStringConvertible, Sendable {
    let national, kind, e164, location, carrier, province, city, areaCode: String
    var testDescription: String { "\(national) \(location)" }

    static let all: [LibphonenumberVector] = {
        let url = Bundle.module.url(forResource: "libphonenumber-vectors", withExtension: "tsv", subdirectory: "Fixtures")!
        let text = try! String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return LibphonenumberVector(
                national: f[0], kind: f[1], e164: f[2], location: f[3], carrier: f[4], province: f[5], city: f[6],
                areaCode: f[7])
        }
    }()
}

@Suite("Phone numbers")
struct PhoneNumberTests {
    @Test("the vectors cover every province and both geographic kinds")
    func vectorsCoverage() {
        let vectors = LibphonenumberVector.all
        #expect(vectors.count >= 120)
        #expect(Set(vectors.map(\.province)) == Set(Province.all.map(\.name)))
        #expect(vectors.filter { $0.kind == "fixed_line" }.count >= 31)
    }

    @Test("agrees with libphonenumber on e164, carrier, province, city and area code", arguments: LibphonenumberVector.all)
    func agreesWithLibphonenumber(_ vector: LibphonenumberVector) throws {
        let info = try directory.lookup(vector.national)
        #expect(info.e164 == vector.e164)
        #expect(info.location == vector.location)
        #expect(info.province?.name == vector.province)
        #expect(info.city == vector.city)
        #expect((info.areaCode ?? "") == vector.areaCode)
        #expect(info.regionGroup == Province(parsing: vector.province)?.regionGroup)
        if vector.kind == "fixed_line" {
            #expect(info.kind == .fixedLine)
            #expect(info.carrier == nil)
        } else if ["170", "171", "162", "165", "167"].contains(String(vector.national.prefix(3))) {
            #expect(info.kind == .virtualOperator)
            #expect(info.carrier == PhoneInfo.virtualOperatorCarrier)
            #expect(info.network == (vector.carrier.isEmpty ? nil : vector.carrier))
        } else {
            #expect(info.kind == .mobile)
            #expect(info.carrier == (vector.carrier.isEmpty ? nil : vector.carrier))
        }
    }

    @Test("the issue's examples")
    func issueExamples() throws {
        let mobile = try directory.lookup("13800138000")
        #expect(mobile.kind == .mobile)
        #expect(mobile.carrier == "中国移动")
        #expect(mobile.province?.name == "北京")
        #expect(mobile.city == "北京")
        #expect(mobile.areaCode == "010")
        #expect(mobile.regionGroup == .north)

        let shenzhen = try directory.lookup("0755-8888-1234")
        #expect(shenzhen.kind == .fixedLine)
        #expect(shenzhen.province?.name == "广东")
        #expect(shenzhen.city == "深圳")
        #expect(shenzhen.areaCode == "0755")
        #expect(shenzhen.regionGroup == .south)
        #expect(shenzhen.e164 == "+8675588881234")
        #expect(shenzhen.national == "0755-88881234")

        #expect(try directory.lookup("17012345678").kind == .virtualOperator)
        #expect(try directory.lookup("95566").kind == .enterpriseService)
        #expect(throws: PhoneNumberError.shortServiceNumber("12345")) { try directory.parse("12345") }
    }

    @Test("every form operators paste gives the same E.164", arguments: [
        "13800138000", "+86 138-0013-8000", "008613800138000", "86-138-0013-8000", "8613800138000",
        "+86 (0) 138 0013 8000", "１３８００１３８０００", "＋８６ １３８ ００１３ ８０００", " 138 0013 8000 ",
        "138.0013.8000", "tel:+86-138-0013-8000", "138\u{3000}0013\u{3000}8000", "(+86)13800138000",
        "\u{FEFF}13800138000", "138–0013–8000", "013800138000",
    ])
    func mobileForms(_ text: String) throws {
        #expect(try directory.parse(text).e164 == "+8613800138000")
    }

    @Test("fixed-line forms", arguments: [
        ("010-5888-1234", "+861058881234"), ("(010) 5888 1234", "+861058881234"), ("+86 10 5888 1234", "+861058881234"),
        ("(0755) 8888 1234", "+8675588881234"), ("075588881234", "+8675588881234"), ("0086 755 8888 1234", "+8675588881234"),
        ("86-755-88881234", "+8675588881234"), ("（０７５５）８８８８１２３４", "+8675588881234"), ("021-6888 1234", "+862168881234"),
        ("0571-8888123", "+865718888123"), ("+86 (0)755 8888 1234", "+8675588881234"),
    ])
    func fixedLineForms(_ text: String, _ e164: String) throws {
        let number = try directory.parse(text)
        #expect(number.e164 == e164)
        #expect(number.kind == .fixedLine)
    }

    @Test("kinds", arguments: [
        ("13800138000", PhoneNumberKind.mobile), ("19212345678", .mobile), ("17012345678", .virtualOperator),
        ("17112345678", .virtualOperator), ("16212345678", .virtualOperator), ("16512345678", .virtualOperator),
        ("16712345678", .virtualOperator), ("95566", .enterpriseService), ("95588", .enterpriseService),
        ("9501234567", .enterpriseService), ("96123", .enterpriseService), ("0755-96123", .enterpriseService),
        ("1069000012345", .enterpriseSMS), ("1069012345", .enterpriseSMS), ("400-810-8888", .hotline400),
        ("800-810-8888", .freephone800), ("+852 2123 4567", .international), ("+1 202 555 0100", .international),
        ("01058881234", .fixedLine), ("+44 20 7946 0958", .international),
    ])
    func kinds(_ text: String, _ kind: PhoneNumberKind) throws {
        #expect(try directory.parse(text).kind == kind)
    }

    @Test("non-geographic numbers carry no province")
    func nonGeographic() throws {
        let hotline = try directory.lookup("400-810-8888")
        #expect(hotline.e164 == "+864008108888")
        #expect(hotline.national == "400-810-8888")
        #expect(hotline.province == nil)
        #expect(hotline.regionGroup == nil)
        let bank = try directory.lookup("95566")
        #expect(bank.e164 == "+8695566")
        #expect(bank.province == nil)
        let local = try directory.lookup("0755-96123")
        #expect(local.province?.name == "广东")
        #expect(local.areaCode == "0755")
    }

    @Test("virtual-operator numbers show their host network")
    func virtualNetwork() throws {
        let info = try directory.lookup("17012345678")
        #expect(info.carrier == "虚拟运营商")
        #expect(info.network == "中国电信")  // libphonenumber: 1700-1702 run on China Telecom
    }

    @Test("international numbers get their region and time zone")
    func international() throws {
        let hongKong = try directory.lookup("+852 2123 4567")
        #expect(hongKong.region == "HK")
        #expect(hongKong.timeZones == ["Asia/Hong_Kong"])
        let newYork = try directory.lookup("+1 212 555 0100")
        #expect(newYork.region == "US")
        #expect(newYork.timeZones == ["America/New_York"])
        #expect(try directory.lookup("13800138000").timeZones == ["Asia/Shanghai"])
    }

    @Test("malformed input is refused with the reason", arguments: [
        ("", PhoneNumberError.empty),
        ("  - ", .empty),
        ("1380013800a", .invalidCharacter("a", position: 11)),
        ("abc", .invalidCharacter("a", position: 1)),
        ("138+00138000", .misplacedPlus(position: 4)),
        ("1380013800", .wrongLength(kind: "mobile (手机)", expected: "11", actual: 10)),
        ("138001380001", .wrongLength(kind: "mobile (手机)", expected: "11", actual: 12)),
        ("14012345678", .unallocatedMobilePrefix("140")),
        ("17412345678", .unallocatedMobilePrefix("17412")),
        ("0265888123", .unknownAreaCode("0265")),
        ("010-0888-1234", .invalidSubscriberNumber(areaCode: "010", subscriber: "08881234")),
        ("010-588-1234", .invalidSubscriberNumber(areaCode: "010", subscriber: "5881234")),
        ("12345", .shortServiceNumber("12345")),
        ("10086", .shortServiceNumber("10086")),
        ("110", .shortServiceNumber("110")),
        ("88881234", .unrecognised("88881234")),
        ("400-810-888", .wrongLength(kind: "400 hotline", expected: "10", actual: 9)),
        ("9556", .wrongLength(kind: "enterprise service (95…)", expected: "5 to 6 (or 10 to 11 for 950…)", actual: 4)),
        ("+999 1234 5678", .unknownCountryCode("999")),
        ("010-5888-1234 转 123", .hasExtension),
        ("13800138000 ext 12", .hasExtension),
        ("12345678901234567890", .tooLong(digits: 20)),
        ("+44 123 456 789 012 345", .tooLong(digits: 17)),
    ])
    func malformed(_ text: String, _ error: PhoneNumberError) {
        #expect(throws: error) { try directory.parse(text) }
    }

    @Test("error messages name what is wrong")
    func messages() {
        #expect(PhoneNumberError.wrongLength(kind: "mobile (手机)", expected: "11", actual: 10).description
            == "mobile (手机) numbers have 11 digits; this one has 10")
        #expect(PhoneNumberError.invalidCharacter("a", position: 11).description.contains("'a' at position 11"))
        #expect(PhoneNumberError.unknownAreaCode("0265").description.contains("0265"))
    }

    @Test("restoring stored numbers keeps identity and kind")
    func restoring() throws {
        for text in ["13800138000", "0755-88881234", "95566", "+852 2123 4567", "17012345678"] {
            let number = try directory.parse(text)
            let restored = try #require(PhoneNumber(restoring: number.e164, kind: number.kind))
            #expect(restored == number)
            #expect(restored.kind == number.kind)
            #expect(restored.countryCode == number.countryCode)
        }
        #expect(PhoneNumber(restoring: "8613800138000", kind: .mobile) == nil)
        #expect(PhoneNumber(restoring: "+4420", kind: .mobile) == nil)
    }

    @Test("masking shows only the last four digits (RULES D1)")
    func masking() throws {
        #expect(try directory.parse("13800138000").masked == "****8000")
    }

    @Test("every province has one region group, seven groups in all")
    func provinces() {
        #expect(Province.all.count == 31)
        #expect(Set(Province.all.map(\.regionGroup)) == Set(RegionGroup.allCases))
        #expect(Province(parsing: "广东省")?.code == 44)
        #expect(Province(parsing: "guangdong")?.name == "广东")
        #expect(Province(parsing: "44")?.name == "广东")
        #expect(Province(parsing: "内蒙古自治区")?.regionGroup == .north)
        #expect(Province(parsing: "火星") == nil)
        #expect(RegionGroup(parsing: "south") == .south)
        #expect(RegionGroup(parsing: "South China") == .south)
    }

    @Test("a corrupt directory file is refused, not trusted")
    func corruptDirectory() throws {
        #expect(throws: PhoneDirectoryFormatError.self) { try PhoneDirectory(encoded: Array("WPD0".utf8)) }
        let url = try #require(PhoneDirectory.resourceURL)
        let bytes = try [UInt8](Data(contentsOf: url))
        #expect(throws: PhoneDirectoryFormatError.self) { try PhoneDirectory(encoded: Array(bytes.dropLast(10))) }
        _ = try PhoneDirectory(encoded: bytes)
    }
}

