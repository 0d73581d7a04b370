/// The seven regional groups (大区) that the pool uses as sub-pools between province and nation (RULES P2).
public enum RegionGroup: String, Sendable, Codable, CaseIterable, Hashable {
    case north = "华北"
    case northeast = "东北"
    case east = "华东"
    case central = "华中"
    case south = "华南"
    case southwest = "西南"
    case northwest = "西北"

    /// The English name, also accepted when parsing.
    public var englishName: String {
        switch self {
        case .north: "North China"
        case .northeast: "Northeast China"
        case .east: "East China"
        case .central: "Central China"
        case .south: "South China"
        case .southwest: "Southwest China"
        case .northwest: "Northwest China"
        }
    }

    /// Accepts the Chinese name (`华南`), the case name (`south`) or the English name (`South China`).
    public init?(parsing text: String) {
        let trimmed = text.trimmingWhitespace()
        if let group = RegionGroup(rawValue: trimmed) {
            self = group
            return
        }
        let lower = trimmed.lowercased()
        guard let group = RegionGroup.allCases.first(where: {
            "\($0)" == lower || $0.englishName.lowercased() == lower
        }) else { return nil }
        self = group
    }
}

/// A province-level division of mainland China, identified by its GB/T 2260 code.
public struct Province: Sendable, Hashable, Codable, CustomStringConvertible {
    /// GB/T 2260 code: 11 北京 … 65 新疆.
    public let code: Int
    /// The short name operators use: `广东`, `内蒙古`.
    public let name: String
    /// The official name: `广东省`, `内蒙古自治区`.
    public let officialName: String
    /// The English name as libphonenumber writes it: `Guangdong`, `Inner Mongolia`.
    public let englishName: String
    /// The regional group the province belongs to.
    public let regionGroup: RegionGroup

    public var description: String { name }

    /// All 31 province-level divisions of the mainland, in GB/T 2260 order.
    public static let all: [Province] = [
        .init(11, "北京", "北京市", "Beijing", .north), .init(12, "天津", "天津市", "Tianjin", .north),
        .init(13, "河北", "河北省", "Hebei", .north), .init(14, "山西", "山西省", "Shanxi", .north),
        .init(15, "内蒙古", "内蒙古自治区", "Inner Mongolia", .north),
        .init(21, "辽宁", "辽宁省", "Liaoning", .northeast), .init(22, "吉林", "吉林省", "Jilin", .northeast),
        .init(23, "黑龙江", "黑龙江省", "Heilongjiang", .northeast),
        .init(31, "上海", "上海市", "Shanghai", .east), .init(32, "江苏", "江苏省", "Jiangsu", .east),
        .init(33, "浙江", "浙江省", "Zhejiang", .east), .init(34, "安徽", "安徽省", "Anhui", .east),
        .init(35, "福建", "福建省", "Fujian", .east), .init(36, "江西", "江西省", "Jiangxi", .east),
        .init(37, "山东", "山东省", "Shandong", .east),
        .init(41, "河南", "河南省", "Henan", .central), .init(42, "湖北", "湖北省", "Hubei", .central),
        .init(43, "湖南", "湖南省", "Hunan", .central),
        .init(44, "广东", "广东省", "Guangdong", .south), .init(45, "广西", "广西壮族自治区", "Guangxi", .south),
        .init(46, "海南", "海南省", "Hainan", .south),
        .init(50, "重庆", "重庆市", "Chongqing", .southwest), .init(51, "四川", "四川省", "Sichuan", .southwest),
        .init(52, "贵州", "贵州省", "Guizhou", .southwest), .init(53, "云南", "云南省", "Yunnan", .southwest),
        .init(54, "西藏", "西藏自治区", "Tibet", .southwest),
        .init(61, "陕西", "陕西省", "Shaanxi", .northwest), .init(62, "甘肃", "甘肃省", "Gansu", .northwest),
        .init(63, "青海", "青海省", "Qinghai", .northwest), .init(64, "宁夏", "宁夏回族自治区", "Ningxia", .northwest),
        .init(65, "新疆", "新疆维吾尔自治区", "Xinjiang", .northwest),
    ]

    private init(_ code: Int, _ name: String, _ officialName: String, _ englishName: String, _ group: RegionGroup) {
        self.code = code
        self.name = name
        self.officialName = officialName
        self.englishName = englishName
        self.regionGroup = group
    }

    private static let byCode: [Int: Province] = Dictionary(uniqueKeysWithValues: all.map { ($0.code, $0) })

    /// The province with this GB/T 2260 code.
    public init?(code: Int) {
        guard let province = Province.byCode[code] else { return nil }
        self = province
    }

    /// Accepts the short name (`广东`), the official name (`广东省`), the English name (any case) or the code.
    public init?(parsing text: String) {
        let trimmed = text.trimmingWhitespace()
        let lower = trimmed.lowercased()
        if let code = Int(trimmed), let province = Province(code: code) {
            self = province
            return
        }
        guard let province = Province.all.first(where: {
            $0.name == trimmed || $0.officialName == trimmed || $0.englishName.lowercased() == lower
        }) else { return nil }
        self = province
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let province = Province(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "unknown province '\(text)'"))
        }
        self = province
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}
