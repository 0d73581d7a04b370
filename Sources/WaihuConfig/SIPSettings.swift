import Foundation
import WaihuCore

/// How waihu's SIP user agent listens and which carrier trunks it dials through (the `sip` section).
public struct SIPSettings: Sendable, Equatable {
    /// The address the SIP socket binds to.
    public var host = "0.0.0.0"
    /// The SIP port; 0 picks a free one (for one-off calls).
    public var port = 5060
    /// The address carriers reach us at, put in Via, Contact and SDP; required when binding 0.0.0.0.
    public var advertisedHost: String?
    /// How long a call may ring before waihu sends CANCEL; never below 15 seconds.
    public var ringTimeoutSeconds = 30
    public var trunks: [TrunkSettings] = []

    public init() {}

    /// The shortest ring timeout the settings accept: shorter rings hang up on people reaching for the phone.
    public static let minimumRingTimeoutSeconds = 15

    mutating func apply(_ section: inout YAMLSection, file: String) throws(ConfigurationError) {
        if let host = try section.string("host") { self.host = try WaihuConfiguration.checkHost(host, source: "\(file): 'sip.host'") }
        if let port = try section.int("port", in: 0...65_535) { self.port = port }
        if let host = try section.string("advertisedHost") {
            advertisedHost = try WaihuConfiguration.checkHost(host, source: "\(file): 'sip.advertisedHost'")
        }
        if let seconds = try section.int("ringTimeoutSeconds", in: Self.minimumRingTimeoutSeconds...600) { ringTimeoutSeconds = seconds }
        if let items = try section.sections("trunks") {
            trunks = []
            for var item in items {
                try YAMLSection.refuseSecrets(in: item, file: file)
                let trunk = try TrunkSettings(&item)
                try item.finish()
                guard !trunks.contains(where: { $0.name == trunk.name }) else {
                    throw item.problem("name", "'\(trunk.name)' names two trunks; trunk names must be unique")
                }
                trunks.append(trunk)
            }
        }
    }

    /// Refuses settings that cannot work together, naming what to change.
    public func validate() throws(ConfigurationError) {
        for trunk in trunks where trunk.username != nil && trunk.password == nil {
            throw ConfigurationError("trunk '\(trunk.name)' has a username but no password: set \(trunk.passwordVariable) in the environment")
        }
    }
}

/// A carrier trunk as configured. Its password is read from `WAIHU_TRUNK_<NAME>_PASSWORD` only.
public struct TrunkSettings: Sendable, Equatable {
    public var name: String
    public var host: String
    public var port = 5060
    public var username: String?
    public var password: String?
    /// Lower is tried first; a 5xx or a timeout fails over to the next (RULES E1).
    public var priority = 0
    /// Share among trunks of equal priority.
    public var weight = 1
    public var maxConcurrentCalls: Int?
    public var maxCallsPerSecond: Double?
    /// Prefixes of the national caller number (`0755`, `1380`) this trunk may present; empty allows any.
    public var callerNumberRanges: [String] = []
    /// Price per minute of talk time, kept per trunk (RULES E10).
    public var costPerMinute: Decimal = 0

    public init(name: String, host: String) {
        self.name = name
        self.host = host
    }

    /// The environment variable that holds the trunk's password: `WAIHU_TRUNK_` + the name in capitals with
    /// anything but letters and digits as `_`, + `_PASSWORD`.
    public var passwordVariable: String {
        let name = String(self.name.uppercased().unicodeScalars.map { ("A"..."Z").contains($0) || ("0"..."9").contains($0) ? Character($0) : "_" })
        return "WAIHU_TRUNK_\(name)_PASSWORD"
    }

    init(_ section: inout YAMLSection) throws(ConfigurationError) {
        guard let name = try section.string("name"), !name.isEmpty else { throw section.problem("name", "is required: every trunk needs a name") }
        guard let host = try section.string("host"), !host.isEmpty else { throw section.problem("host", "is required: the trunk's host name or address") }
        self.init(name: name, host: try WaihuConfiguration.checkHost(host, source: "trunk '\(name)' host"))
        if let port = try section.int("port", in: 1...65_535) { self.port = port }
        username = try section.string("username")
        if let priority = try section.int("priority", in: 0...1_000) { self.priority = priority }
        if let weight = try section.int("weight", in: 0...1_000) { self.weight = weight }
        maxConcurrentCalls = try section.int("maxConcurrentCalls", in: 1...100_000)
        if let text = try section.string("maxCallsPerSecond") {
            guard let rate = Double(text), rate > 0, rate <= 100_000 else {
                throw section.problem("maxCallsPerSecond", "is '\(text)'; give calls per second above 0, such as 10 or 0.5")
            }
            maxCallsPerSecond = rate
        }
        if let ranges = try section.strings("callerNumberRanges") {
            for range in ranges where range.isEmpty || !range.allSatisfy(\.isNumber) {
                throw section.problem("callerNumberRanges", "holds '\(range)'; give national-number prefixes made of digits, such as 0755")
            }
            callerNumberRanges = ranges
        }
        if let text = try section.string("costPerMinute") {
            guard let cost = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")), cost >= 0 else {
                throw section.problem("costPerMinute", "is '\(text)'; give a price such as 0.06")
            }
            costPerMinute = cost
        }
    }
}
