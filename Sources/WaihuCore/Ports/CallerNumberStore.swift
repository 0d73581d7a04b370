import Foundation

/// Which caller numbers to list, and which page.
public struct CallerNumberQuery: Sendable, Hashable {
    /// Only numbers in one of these states; empty means all.
    public var statuses: [CallerNumberStatus] = []
    public var purpose: NumberPurpose?
    public var province: Province?
    public var regionGroup: RegionGroup?
    /// Continue after this E.164 number (the `nextCursor` of the previous page).
    public var after: String?
    /// At most this many numbers (1–1000).
    public var limit = 50

    public init(
        statuses: [CallerNumberStatus] = [], purpose: NumberPurpose? = nil, province: Province? = nil,
        regionGroup: RegionGroup? = nil, after: String? = nil, limit: Int = 50
    ) {
        self.statuses = statuses
        self.purpose = purpose
        self.province = province
        self.regionGroup = regionGroup
        self.after = after
        self.limit = limit
    }
}

/// One page of caller numbers, in E.164 order.
public struct CallerNumberPage: Sendable, Hashable {
    public let items: [CallerNumber]
    /// How many numbers match the filters, over all pages.
    public let total: Int
    /// Pass as `after` to get the next page; nil on the last page.
    public let nextCursor: String?

    public init(items: [CallerNumber], total: Int, nextCursor: String?) {
        self.items = items
        self.total = total
        self.nextCursor = nextCursor
    }
}

/// Where the caller-number pool is kept. The SQLite and PostgreSQL stores implement it.
public protocol CallerNumberStore: Sendable {
    /// The number, or nil if it is not in the pool.
    func callerNumber(_ number: PhoneNumber) async throws -> CallerNumber?
    /// A page of numbers matching `query`.
    func callerNumbers(matching query: CallerNumberQuery) async throws -> CallerNumberPage
    /// Adds a new number. Throws `CallerNumberError.alreadyExists` if it is in the pool.
    func add(_ draft: CallerNumberDraft, policy: PoolPolicy, at now: Date, actor: String) async throws -> CallerNumber
    /// Changes a number in one transaction, recording each changed field in its history.
    /// Throws `CallerNumberError.notFound` or the rule the change breaks.
    func change(_ number: PhoneNumber, _ change: CallerNumberChange, policy: PoolPolicy, at now: Date, actor: String)
        async throws -> CallerNumber
    /// Applies import rows in one transaction (see `CallerNumberCSV.decide`); returns each row's outcome.
    func importCallerNumbers(_ rows: [CallerNumberImportRow], policy: PoolPolicy, at now: Date, actor: String)
        async throws -> [(line: Int, outcome: ImportOutcome, reason: String?)]
    /// Every recorded change of the number, oldest first.
    func history(of number: PhoneNumber) async throws -> [CallerNumberEvent]
    /// Throws if the store cannot be reached.
    func checkHealth() async throws
}

extension CallerNumberStore {
    /// Imports a CSV file: reads it, applies the good rows, and reports every row that was not applied.
    public func importCSV(
        _ bytes: [UInt8], directory: PhoneDirectory, policy: PoolPolicy, at now: Date, actor: String
    ) async throws -> ImportReport {
        var (rows, report) = try CallerNumberCSV.read(bytes, directory: directory, policy: policy)
        let numbers = Dictionary(uniqueKeysWithValues: rows.map { ($0.line, $0.draft.info.e164) })
        for result in try await importCallerNumbers(rows, policy: policy, at: now, actor: actor) {
            report.record(result.outcome, problem: result.reason.map {
                ImportProblem(line: result.line, number: numbers[result.line], field: nil, reason: $0)
            })
        }
        report.finish()
        return report
    }
}
