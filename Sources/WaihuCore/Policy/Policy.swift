/// Every number of the domain that an operator may change, versioned. Defaults are the rulebook's; the
/// policy file overrides them. Decisions are stamped with `version` and `digest` so that each can be
/// traced to the exact policy that made it (RULES C12).
public struct Policy: Sendable, Hashable {
    /// The version the operator gave the policy file (`2026-11-01`, `v3` …); `default` without a file.
    public var version = "default"
    /// SHA-256 of the policy file's bytes (hex), or of nothing for the built-in defaults.
    public var digest = "builtin"
    /// The number pool's settings (RULES §1).
    public var pool = PoolPolicy()
    /// The compliance gate's settings (RULES §2–3).
    public var compliance = CompliancePolicy()
    /// Statutory holidays and make-up workdays: the bundled years plus the policy file's extra days.
    public var calendar = HolidayCalendar.bundled

    public init() {}

    /// The built-in policy: the rulebook's defaults.
    public static let defaults = Policy()
}
