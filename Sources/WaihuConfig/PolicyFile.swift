import Crypto
import Foundation
import WaihuCore

/// Reads the policy file (YAML). Every key is optional: a missing key keeps the rulebook's default.
///
/// ```yaml
/// version: "2026-11-01"
/// pool:
///   defaultDailyCap: 20          # RULES P3
///   maximumDailyCap: 200
///   initialStatus: warming       # RULES P14
///   allowVirtualForMarketing: false   # RULES P8
/// ```
public enum PolicyFile {
    /// Loads and validates the policy at `path`; its version and SHA-256 are stamped on the result.
    public static func load(path: String) throws(ConfigurationError) -> Policy {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("policy file \(path) cannot be read; check the path given by --policy, WAIHU_POLICY or 'policy' in the configuration")
        }
        return try parse(data, file: path)
    }

    /// Parses policy YAML from `data`; `file` names it in errors.
    public static func parse(_ data: Data, file: String) throws(ConfigurationError) -> Policy {
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError("\(file): not UTF-8 text")
        }
        var root = try YAMLSection.document(text, file: file)
        var policy = Policy()
        policy.digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        guard let version = try root.string("version"), !version.isEmpty else {
            throw ConfigurationError("\(file): 'version' is required; name this policy (a date or a number) so that decisions can be traced to it")
        }
        policy.version = version
        if var pool = try root.section("pool") {
            try read(&pool, into: &policy.pool)
            try pool.finish()
        }
        try root.finish()
        return policy
    }

    private static func read(_ section: inout YAMLSection, into pool: inout PoolPolicy) throws(ConfigurationError) {
        if let cap = try section.int("maximumDailyCap", in: 1...10_000) { pool.maximumDailyCap = cap }
        if let cap = try section.int("defaultDailyCap", in: 1...10_000) { pool.defaultDailyCap = cap }
        guard pool.defaultDailyCap <= pool.maximumDailyCap else {
            throw ConfigurationError("\(section.file): 'pool.defaultDailyCap' (\(pool.defaultDailyCap)) is above 'pool.maximumDailyCap' (\(pool.maximumDailyCap))")
        }
        if let status = try section.choice("initialStatus", CallerNumberStatus.init(parsing:),
                                           allowed: "warming, active or standby") {
            guard [.warming, .active, .standby].contains(status) else {
                throw ConfigurationError("\(section.file): 'pool.initialStatus' is '\(status.rawValue)'; new numbers start warming, active or standby")
            }
            pool.initialStatus = status
        }
        if let allow = try section.bool("allowVirtualForMarketing") { pool.allowVirtualForMarketing = allow }
    }
}
