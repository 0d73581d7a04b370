import Foundation
import WaihuCore

/// How waihu runs: where it listens, where it keeps its data, which policy it applies.
///
/// Each setting has a default and is read, later sources winning, from the configuration file (YAML), the
/// environment (`WAIHU_*`) and command-line flags. Secrets are read from the environment only; a file that
/// holds one is refused.
///
/// ```yaml
/// server:
///   host: 127.0.0.1
///   port: 8080
///   importLimitBytes: 67108864
/// database:
///   path: waihu-data/waihu.sqlite
/// policy: policy.yaml            # relative to this file
/// sms:
///   gatewayURL: https://sms.example.com/send   # token: WAIHU_SMS_TOKEN
/// marks:
///   providerURL: https://marks.example.com/query   # token: WAIHU_MARKS_TOKEN
///   dropFolder: marks-inbox                        # CSV/JSON mark files imported daily
/// sip:
///   host: 0.0.0.0
///   port: 5060
///   advertisedHost: 203.0.113.7      # the address carriers reach us at; required with 0.0.0.0
///   ringTimeoutSeconds: 30           # never below 15
///   trunks:
///     - name: telecom-gz             # password: WAIHU_TRUNK_TELECOM_GZ_PASSWORD
///       host: 192.0.2.10
///       port: 5060
///       username: waihu
///       priority: 0                  # lower first; a 5xx or timeout fails over to the next (RULES E1)
///       weight: 1
///       maxConcurrentCalls: 60
///       maxCallsPerSecond: 10
///       callerNumberRanges: ["020", "0755"]   # national-number prefixes it may present; empty: any
///       costPerMinute: 0.06
/// log:
///   level: info
/// ```
public struct WaihuConfiguration: Sendable, Equatable {
    /// The folder waihu keeps its data in unless told otherwise.
    public static let defaultDataFolder = "waihu-data"

    public var host = "127.0.0.1"
    public var port = 8080
    /// The SQLite database file.
    public var databasePath = "\(WaihuConfiguration.defaultDataFolder)/waihu.sqlite"
    /// The policy file; nil applies the rulebook's defaults.
    public var policyPath: String?
    /// trace, debug, info, notice, warning, error or critical.
    public var logLevel = "info"
    /// The largest CSV body an import accepts.
    public var importLimitBytes = 64 << 20
    /// Where opt-in SMS are POSTed; nil: opt-ins are refused.
    public var smsGatewayURL: URL?
    /// The SMS gateway's bearer token, from `WAIHU_SMS_TOKEN` only.
    public var smsToken: String?
    /// The mark-query service polled daily for the whole pool (RULES P9); nil: no polling.
    public var marksProviderURL: URL?
    /// Its bearer token, from `WAIHU_MARKS_TOKEN` only.
    public var marksToken: String?
    /// A folder whose mark files (CSV or JSON) are imported daily and moved to `processed/`.
    public var marksDropFolder: String?
    /// The SIP user agent and the carrier trunks it dials through.
    public var sip = SIPSettings()

    public init() {}

    /// The settings given on the command line; nil means "not given".
    public struct Flags: Sendable, Equatable {
        public var host: String?
        public var port: Int?
        public var databasePath: String?
        public var policyPath: String?
        public var logLevel: String?

        public init(host: String? = nil, port: Int? = nil, databasePath: String? = nil, policyPath: String? = nil, logLevel: String? = nil) {
            self.host = host
            self.port = port
            self.databasePath = databasePath
            self.policyPath = policyPath
            self.logLevel = logLevel
        }
    }

    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
    static let secretWords = ["password", "secret", "token", "apikey", "api_key", "credential", "privatekey"]

    /// Resolves the configuration: defaults, then the file (`configPath`, or `WAIHU_CONFIG`), then the
    /// environment, then `flags`. Conflicting or invalid settings are refused with the source named.
    public static func resolve(
        configPath: String?, environment: [String: String], flags: Flags
    ) throws(ConfigurationError) -> WaihuConfiguration {
        var configuration = WaihuConfiguration()
        if let path = configPath ?? environment["WAIHU_CONFIG"] {
            try configuration.apply(file: path)
        }
        try configuration.apply(environment: environment)
        try configuration.apply(flags: flags)
        return configuration
    }

    mutating func apply(file path: String) throws(ConfigurationError) {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError("configuration file \(path) cannot be read")
        }
        var root = try YAMLSection.document(text, file: path)
        try YAMLSection.refuseSecrets(in: root, file: path)
        if var server = try root.section("server") {
            if let host = try server.string("host") { self.host = try Self.checkHost(host, source: "\(path): 'server.host'") }
            if let port = try server.int("port", in: 1...65_535) { self.port = port }
            if let limit = try server.int("importLimitBytes", in: 1_024...(4 << 30)) { importLimitBytes = limit }
            try server.finish()
        }
        if var database = try root.section("database") {
            if let databasePath = try database.string("path") { self.databasePath = Self.relative(databasePath, to: path) }
            try database.finish()
        }
        if let policy = try root.string("policy") { policyPath = Self.relative(policy, to: path) }
        if var marks = try root.section("marks") {
            if let text = try marks.string("providerURL") { marksProviderURL = try Self.checkURL(text, source: "\(path): 'marks.providerURL'") }
            if let folder = try marks.string("dropFolder") { marksDropFolder = Self.relative(folder, to: path) }
            try marks.finish()
        }
        if var sip = try root.section("sip") {
            try self.sip.apply(&sip, file: path)
            try sip.finish()
        }
        if var sms = try root.section("sms") {
            if let text = try sms.string("gatewayURL") { smsGatewayURL = try Self.checkURL(text, source: "\(path): 'sms.gatewayURL'") }
            try sms.finish()
        }
        if var log = try root.section("log") {
            if let level = try log.choice("level", { Self.logLevels.contains($0) ? $0 : nil }, allowed: Self.logLevels.joined(separator: ", ")) {
                logLevel = level
            }
            try log.finish()
        }
        try root.finish()
    }

    mutating func apply(environment: [String: String]) throws(ConfigurationError) {
        if let host = environment["WAIHU_HOST"] { self.host = try Self.checkHost(host, source: "WAIHU_HOST") }
        if let text = environment["WAIHU_PORT"] { port = try Self.checkPort(text, source: "WAIHU_PORT") }
        if let path = environment["WAIHU_DB"] { databasePath = path }
        if let path = environment["WAIHU_POLICY"] { policyPath = path }
        if let level = environment["WAIHU_LOG_LEVEL"] { logLevel = try Self.checkLevel(level, source: "WAIHU_LOG_LEVEL") }
        if let text = environment["WAIHU_SMS_GATEWAY_URL"] { smsGatewayURL = try Self.checkURL(text, source: "WAIHU_SMS_GATEWAY_URL") }
        if let token = environment["WAIHU_SMS_TOKEN"], !token.isEmpty { smsToken = token }
        if let text = environment["WAIHU_MARKS_URL"] { marksProviderURL = try Self.checkURL(text, source: "WAIHU_MARKS_URL") }
        if let token = environment["WAIHU_MARKS_TOKEN"], !token.isEmpty { marksToken = token }
        if let folder = environment["WAIHU_MARKS_DROP"] { marksDropFolder = folder }
        if let host = environment["WAIHU_SIP_HOST"] { sip.host = try Self.checkHost(host, source: "WAIHU_SIP_HOST") }
        if let text = environment["WAIHU_SIP_PORT"] { sip.port = try Self.checkPort(text, source: "WAIHU_SIP_PORT") }
        if let host = environment["WAIHU_SIP_ADVERTISED_HOST"] { sip.advertisedHost = try Self.checkHost(host, source: "WAIHU_SIP_ADVERTISED_HOST") }
        for index in sip.trunks.indices {
            if let password = environment[sip.trunks[index].passwordVariable], !password.isEmpty { sip.trunks[index].password = password }
        }
    }

    mutating func apply(flags: Flags) throws(ConfigurationError) {
        if let host = flags.host { self.host = try Self.checkHost(host, source: "--host") }
        if let port = flags.port {
            guard (1...65_535).contains(port) else { throw ConfigurationError("--port \(port) is out of range; give 1 to 65535") }
            self.port = port
        }
        if let path = flags.databasePath { databasePath = path }
        if let path = flags.policyPath { policyPath = path }
        if let level = flags.logLevel { logLevel = try Self.checkLevel(level, source: "--log-level") }
    }

    /// Loads the policy this configuration names, or the rulebook's defaults.
    public func loadPolicy() throws(ConfigurationError) -> Policy {
        guard let policyPath else { return .defaults }
        return try PolicyFile.load(path: policyPath)
    }

    static func checkHost(_ host: String, source: String) throws(ConfigurationError) -> String {
        guard !host.isEmpty, !host.contains(" ") else { throw ConfigurationError("\(source) '\(host)' is not a host name or address") }
        return host
    }

    private static func checkURL(_ text: String, source: String) throws(ConfigurationError) -> URL {
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw ConfigurationError("\(source) '\(text)' is not an http(s) URL")
        }
        return url
    }

    static func checkPort(_ text: String, source: String) throws(ConfigurationError) -> Int {
        guard let port = Int(text), (1...65_535).contains(port) else {
            throw ConfigurationError("\(source)=\(text) is not a port; give 1 to 65535")
        }
        return port
    }

    private static func checkLevel(_ level: String, source: String) throws(ConfigurationError) -> String {
        guard logLevels.contains(level) else {
            throw ConfigurationError("\(source) '\(level)' is not a log level; use \(logLevels.joined(separator: ", "))")
        }
        return level
    }

    /// A path in a file is relative to the file's folder.
    private static func relative(_ path: String, to file: String) -> String {
        if path.hasPrefix("/") { return path }
        let folder = (file as NSString).deletingLastPathComponent
        return folder.isEmpty ? path : (folder as NSString).appendingPathComponent(path)
    }
}

extension YAMLSection {
    /// Secrets come from the environment only: a key that looks like one is refused wherever it is.
    static func refuseSecrets(in section: YAMLSection, file: String) throws(ConfigurationError) {
        for (keyNode, value) in section.mapping {
            let name = keyNode.scalar?.string ?? ""
            let lower = name.lowercased()
            if WaihuConfiguration.secretWords.contains(where: { lower.contains($0) }) {
                throw ConfigurationError("\(file)\(line(keyNode)): '\(name)' looks like a secret; secrets are read from the environment only (WAIHU_…), never from a file")
            }
            if value.mapping != nil {
                try refuseSecrets(in: YAMLSection(file: file, path: name, node: value), file: file)
            }
        }
    }
}
