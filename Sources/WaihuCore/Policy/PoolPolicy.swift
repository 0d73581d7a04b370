/// The pool's numbers, from the policy file. Defaults are the rulebook's (RULES §1); operators change
/// them in the policy file, never in code.
public struct PoolPolicy: Sendable, Hashable {
    /// Calls per number per day unless a number says otherwise (RULES P3: 20).
    public var defaultDailyCap: Int = 20
    /// The highest daily cap a number may be given; a guard against typos such as 2000.
    public var maximumDailyCap: Int = 200
    /// Status of a number added without one: new numbers warm up first (RULES P14).
    public var initialStatus: CallerNumberStatus = .warming
    /// Whether virtual-operator numbers may serve marketing (RULES P8: barred by default).
    public var allowVirtualForMarketing = false

    public init() {}
}
