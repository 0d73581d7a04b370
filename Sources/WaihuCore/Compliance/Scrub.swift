import Foundation
import Synchronization

/// When a contact of a scrubbed list may be called.
public enum ScrubCategory: String, Sendable, Codable, CaseIterable, Hashable {
    /// Allowed at the scrub's time.
    case now
    /// Allowed later on the same day (callee's time).
    case laterToday = "later_today"
    /// Allowed within 7 days.
    case thisWeek = "this_week"
    /// Allowed, but more than 7 days away.
    case later
    /// Never, as things stand (refusal, complaint, no consent …).
    case never
    /// The row holds no valid phone number.
    case invalid
}

/// One row of a scrub: the decision for one contact.
public struct ScrubRow: Sendable, Hashable {
    public let line: Int
    public let input: String
    public let e164: String?
    public let category: ScrubCategory
    /// Violation codes (`consent_missing`, `outside_hours` …), empty when allowed.
    public let codes: [String]
    /// Rule ids, in the order of `codes`.
    public let rules: [String]
    public let nextAllowedAt: Timestamp?
    /// Offset of the callee's zone, for showing `nextAllowedAt` in local time.
    public let offsetSeconds: Int64
    /// Why the row is invalid, for invalid rows.
    public let problem: String?
}

/// The pre-launch report of a scrub: how much of a list is callable when, and what blocks the rest.
public struct ScrubSummary: Sendable, Hashable, Codable {
    public var rows = 0
    public var counts: [ScrubCategory: Int] = [:]
    /// Rows blocked by each violation code (a row may have several).
    public var byReason: [String: Int] = [:]
    /// Rows blocked by each rule id.
    public var byRule: [String: Int] = [:]
    /// One explanation per violation code.
    public var explanations: [String: String] = [:]
    /// The rule id of each violation code.
    public var rulesByCode: [String: String] = [:]

    public init() {}

    /// The share of rows in `category` (0…1).
    public func share(_ category: ScrubCategory) -> Double {
        rows == 0 ? 0 : Double(counts[category, default: 0]) / Double(rows)
    }

    mutating func merge(_ other: ScrubSummary) {
        rows += other.rows
        counts.merge(other.counts, uniquingKeysWith: +)
        byReason.merge(other.byReason, uniquingKeysWith: +)
        byRule.merge(other.byRule, uniquingKeysWith: +)
        explanations.merge(other.explanations) { first, _ in first }
        rulesByCode.merge(other.rulesByCode) { first, _ in first }
    }
}

/// The result of a scrub: the summary, and every row as CSV (`line,input,e164,category,rules,reasons,next_allowed_at`).
public struct ScrubResult: Sendable {
    public let summary: ScrubSummary
    public let csv: [UInt8]
    /// The rows, kept only when asked for (an API answer); a million-row scrub keeps the CSV alone.
    public let rows: [ScrubRow]
}

/// Turns a contact list into per-row decisions and a summary (bulk scrub before a campaign).
///
/// The list is a CSV with a header naming its phone column (`phone`, `number`, `mobile`, `号码` …) and
/// optionally `elderly` (true/false, 是/否, 1/0) and `age`; or plain text with one number per line.
/// Decisions run on a snapshot of the gate's index, split across the processor's cores.
public enum ComplianceScrub {
    static let elderlyColumns: Set<String> = ["elderly", "senior", "老年", "老人", "是否老年"]
    static let ageColumns: Set<String> = ["age", "年龄"]

    public static let csvHeader = "line,input,e164,category,rules,reasons,next_allowed_at\n"

    public static func run(
        _ bytes: [UInt8], gate: ComplianceGate, purpose: CallPurpose, at: Date, keepRows: Bool = false,
        progress: (@Sendable (Double) -> Void)? = nil
    ) async throws -> ScrubResult {
        let records = try readRecords(bytes)
        let index = gate.snapshot()
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        let chunk = max(4096, (records.rows.count + workers * 8 - 1) / (workers * 8))
        let chunks = stride(from: 0, to: records.rows.count, by: chunk).map { $0..<min($0 + chunk, records.rows.count) }
        let done = ProgressCounter(total: records.rows.count, report: progress)

        var parts = [(summary: ScrubSummary, csv: [UInt8], rows: [ScrubRow])?](repeating: nil, count: chunks.count)
        try await withThrowingTaskGroup(of: (Int, ScrubSummary, [UInt8], [ScrubRow]).self) { group in
            var next = 0
            func launch(_ position: Int) {
                let range = chunks[position]
                group.addTask {
                    let part = scrub(records.rows[range], columns: records.columns, gate: gate, index: index,
                                     purpose: purpose, at: at, keepRows: keepRows)
                    done.add(range.count)
                    return (position, part.0, part.1, part.2)
                }
            }
            while next < min(workers, chunks.count) { launch(next); next += 1 }
            while let (position, summary, csv, rows) = try await group.next() {
                parts[position] = (summary, csv, rows)
                if next < chunks.count { launch(next); next += 1 }
            }
        }
        var summary = records.summary
        var csv = Array(csvHeader.utf8)
        csv.reserveCapacity(csv.count + parts.reduce(0) { $0 + ($1?.csv.count ?? 0) } + records.invalidRows.count * 64)
        var rows: [ScrubRow] = records.invalidRows
        for part in parts.compactMap({ $0 }) {
            summary.merge(part.summary)
            csv.append(contentsOf: part.csv)
            rows.append(contentsOf: part.rows)
        }
        for row in records.invalidRows { appendInvalidLine(row, to: &csv) }
        if keepRows { rows.sort { $0.line < $1.line } } else { rows = [] }
        return ScrubResult(summary: summary, csv: csv, rows: rows)
    }

    struct Columns: Sendable {
        var phone = 0
        var elderly: Int?
        var age: Int?
    }

    struct Records: Sendable {
        var columns = Columns()
        var rows: [CSVRecord] = []
        var invalidRows: [ScrubRow] = []
        var summary = ScrubSummary()
    }

    static func readRecords(_ bytes: [UInt8]) throws(ImportFileError) -> Records {
        var reader = CSVReader(bytes: bytes)
        var records = Records()
        records.rows.reserveCapacity(bytes.count / 14)
        var first = true
        while let next = reader.next() {
            switch next {
            case let .failure(error):
                let row = ScrubRow(line: error.line, input: "", e164: nil, category: .invalid, codes: [], rules: [],
                                   nextAllowedAt: nil, offsetSeconds: 0, problem: error.message)
                records.invalidRows.append(row)
                records.summary.rows += 1
                records.summary.counts[.invalid, default: 0] += 1
            case let .success(record):
                if first {
                    first = false
                    let names = record.fields.map { $0.trimmingWhitespace().lowercased() }
                    if let phone = names.firstIndex(where: DoNotCallList.phoneColumns.contains) {
                        records.columns.phone = phone
                        records.columns.elderly = names.firstIndex(where: elderlyColumns.contains)
                        records.columns.age = names.firstIndex(where: ageColumns.contains)
                        continue
                    }
                    if record.fields.count > 1 {
                        throw ImportFileError(description: "line 1: the list needs a header naming its phone column (phone, number, mobile, 号码 …)")
                    }
                }
                records.rows.append(record)
            }
        }
        return records
    }

    static func scrub(
        _ records: ArraySlice<CSVRecord>, columns: Columns, gate: ComplianceGate, index: ComplianceIndex,
        purpose: CallPurpose, at: Date, keepRows: Bool
    ) -> (ScrubSummary, [UInt8], [ScrubRow]) {
        var summary = ScrubSummary()
        var csv: [UInt8] = []
        csv.reserveCapacity(records.count * 64)
        var rows: [ScrubRow] = []
        let moment = Timestamp(at)
        // Parse every row first, so that the index is read in batches (see `ComplianceIndex.facts(for:_:)`).
        var requests: [ComplianceRequest] = []
        var positions: [Int] = []
        var invalid: [(position: Int, row: ScrubRow)] = []
        requests.reserveCapacity(records.count)
        positions.reserveCapacity(records.count)
        for (position, record) in records.enumerated() {
            summary.rows += 1
            switch request(record, columns: columns, gate: gate, purpose: purpose, at: moment) {
            case let .success(request):
                positions.append(position)
                requests.append(request)
            case let .failure(row):
                summary.counts[.invalid, default: 0] += 1
                invalid.append((position, row.row))
            }
        }
        var tally = ReasonTally()
        var nextInvalid = 0
        // Rows go out in input order: the facts arrive in order, and invalid rows are written as they are passed.
        func writeInvalid(before position: Int) {
            while nextInvalid < invalid.count, invalid[nextInvalid].position < position {
                appendInvalidLine(invalid[nextInvalid].row, to: &csv)
                if keepRows { rows.append(invalid[nextInvalid].row) }
                nextInvalid += 1
            }
        }
        index.facts(for: requests.map(\.callee)) { position, facts in
            let request = requests[position]
            let decision = gate.engine.decide(request, facts: facts)
            let record = records[records.startIndex + positions[position]]
            writeInvalid(before: positions[position])
            let category = category(of: decision, for: request)
            summary.counts[category, default: 0] += 1
            let input = columns.phone < record.fields.count ? record.fields[columns.phone] : ""
            let offset = request.zone.offset(at: request.at)
            appendLineStart(line: record.line, input: input, e164Digits: request.callee.e164Digits, category: category, to: &csv)
            tally.count(decision.violations, writingRulesAndCodesTo: &csv)
            appendLineEnd(nextAllowedAt: decision.nextAllowedAt, offsetSeconds: offset, to: &csv)
            if keepRows {
                rows.append(ScrubRow(
                    line: record.line, input: input, e164: request.callee.e164, category: category,
                    codes: tally.rowCodes, rules: tally.rowRules, nextAllowedAt: decision.nextAllowedAt,
                    offsetSeconds: offset, problem: nil))
            }
        }
        writeInvalid(before: Int.max)
        tally.add(to: &summary)
        return (summary, csv, rows)
    }

    /// The request a row asks for, or the row's report when it holds no valid number.
    static func request(_ record: CSVRecord, columns: Columns, gate: ComplianceGate, purpose: CallPurpose, at moment: Timestamp)
        -> Result<ComplianceRequest, InvalidRow>
    {
        let input = columns.phone < record.fields.count ? record.fields[columns.phone] : ""
        let number: PhoneNumber
        do {
            number = try gate.directory.parse(input)
        } catch {
            return .failure(InvalidRow(row: ScrubRow(
                line: record.line, input: input, e164: nil, category: .invalid, codes: [], rules: [], nextAllowedAt: nil,
                offsetSeconds: 0, problem: error.description)))
        }
        var elderly = false
        if let column = columns.elderly, column < record.fields.count {
            elderly = ["true", "yes", "y", "1", "是", "老年"].contains(record.fields[column].trimmingWhitespace().lowercased())
        }
        if let column = columns.age, column < record.fields.count, let age = Int(record.fields[column].trimmingWhitespace()),
           age >= gate.policy.compliance.hours.elderlyAge {
            elderly = true  // RULES C5
        }
        let zones = number.isChinese ? chinaZones : gate.zones(for: number)
        return .success(ComplianceRequest(callee: number, zones: zones, purpose: purpose, at: moment, elderly: elderly))
    }

    // One array for every Chinese row, instead of one allocated per row.
    private static let chinaZones = [CalleeZone.china]

    /// A row that holds no valid number, already reported.
    struct InvalidRow: Error {
        let row: ScrubRow
    }

    /// When a decided row may be called.
    static func category(of decision: ComplianceDecision, for request: ComplianceRequest) -> ScrubCategory {
        guard let next = decision.nextAllowedAt else { return .never }
        let moment = request.at
        if next == moment { return .now }
        if request.zone.localDay(at: next) == request.zone.localDay(at: moment) { return .laterToday }
        return next.seconds - moment.seconds <= 7 * 86_400 ? .thisWeek : .later
    }

    /// The violation codes and rules of a part of a scrub, counted in short arrays: a list meets a handful
    /// of codes, so comparing a row's few codes with them costs less than hashing each into a dictionary.
    struct ReasonTally {
        private var codes: [String] = []
        private var rules: [String] = []
        private var messages: [String] = []
        private var rowsByCode: [Int] = []
        private var ruleNames: [String] = []
        private var rowsByRule: [Int] = []
        /// The current row's distinct codes, as positions in `codes`.
        private var row: [Int] = []

        /// Counts one row's violations, each code and each rule once per row, and writes the row's report
        /// columns `rules,reasons`.
        mutating func count(_ violations: [ComplianceViolation], writingRulesAndCodesTo csv: inout [UInt8]) {
            row.removeAll(keepingCapacity: true)
            for violation in violations {
                let code = violation.code
                let position: Int
                if let known = codes.firstIndex(of: code) {
                    position = known
                } else {
                    position = codes.count
                    codes.append(code)
                    rules.append(violation.rule)
                    messages.append(violation.message)  // the first explanation met stands for the code
                    rowsByCode.append(0)
                }
                guard !row.contains(position) else { continue }
                row.append(position)
                rowsByCode[position] += 1
                let rule = rules[position]
                if !row.dropLast().contains(where: { rules[$0] == rule }) {
                    if let known = ruleNames.firstIndex(of: rule) {
                        rowsByRule[known] += 1
                    } else {
                        ruleNames.append(rule)
                        rowsByRule.append(1)
                    }
                }
            }
            for (index, position) in row.enumerated() {
                if index > 0 { csv.append(0x3B) }  // ;
                csv.append(contentsOf: rules[position].utf8)
            }
            csv.append(comma)
            for (index, position) in row.enumerated() {
                if index > 0 { csv.append(0x3B) }
                csv.append(contentsOf: codes[position].utf8)
            }
        }

        /// The current row's codes.
        var rowCodes: [String] { row.map { codes[$0] } }
        /// The current row's rules, in the order of its codes.
        var rowRules: [String] { row.map { rules[$0] } }

        /// Adds the counts to a summary.
        func add(to summary: inout ScrubSummary) {
            for position in codes.indices {
                summary.byReason[codes[position], default: 0] += rowsByCode[position]
                if summary.explanations[codes[position]] == nil {
                    summary.explanations[codes[position]] = messages[position]
                    summary.rulesByCode[codes[position]] = rules[position]
                }
            }
            for position in ruleNames.indices {
                summary.byRule[ruleNames[position], default: 0] += rowsByRule[position]
            }
        }
    }

    // A line of the per-row report is `line,input,e164,category,rules,reasons,next_allowed_at`, written byte
    // by byte (a million rows leave no room for strings built per line): the start and the end here, the
    // middle columns by whoever knows the row's rules.

    /// `line,input,e164,category,`.
    static func appendLineStart(line: Int, input: String, e164Digits: UInt64?, category: ScrubCategory, to csv: inout [UInt8]) {
        appendDigits(Int64(line), to: &csv)
        csv.append(comma)
        appendField(input, to: &csv)
        csv.append(comma)
        if let e164Digits {
            csv.append(UInt8(ascii: "+"))
            appendDigits(Int64(e164Digits), to: &csv)
        }
        csv.append(comma)
        csv.append(contentsOf: category.rawValue.utf8)
        csv.append(comma)
    }

    /// `,next_allowed_at` and the line's end.
    static func appendLineEnd(nextAllowedAt: Timestamp?, offsetSeconds: Int64, to csv: inout [UInt8]) {
        csv.append(comma)
        nextAllowedAt?.appendISO8601(offsetSeconds: offsetSeconds, to: &csv)
        csv.append(0x0A)
    }

    /// The line of a row without a valid number: no rules, and its problem in the reasons column.
    static func appendInvalidLine(_ row: ScrubRow, to csv: inout [UInt8]) {
        appendLineStart(line: row.line, input: row.input, e164Digits: nil, category: .invalid, to: &csv)
        csv.append(comma)
        appendField(row.problem ?? "", to: &csv)
        appendLineEnd(nextAllowedAt: nil, offsetSeconds: 0, to: &csv)
    }

    fileprivate static let comma: UInt8 = 0x2C

    /// A field quoted as RFC 4180 asks when it holds a comma, quote or line break.
    fileprivate static func appendField(_ field: String, to csv: inout [UInt8]) {
        guard field.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else {
            csv.append(contentsOf: field.utf8)
            return
        }
        csv.append(0x22)
        for byte in field.utf8 {
            if byte == 0x22 { csv.append(0x22) }
            csv.append(byte)
        }
        csv.append(0x22)
    }
}

/// Counts finished rows across workers and reports the fraction done.
final class ProgressCounter: Sendable {
    private let total: Int
    private let report: (@Sendable (Double) -> Void)?
    private let done = Mutex(0)

    init(total: Int, report: (@Sendable (Double) -> Void)?) {
        self.total = total
        self.report = report
    }

    func add(_ count: Int) {
        guard let report else { return }
        let value = done.withLock { done in
            done += count
            return done
        }
        report(Double(value) / Double(max(1, total)))
    }
}
