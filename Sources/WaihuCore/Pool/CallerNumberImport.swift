import Foundation

/// One good row of a caller-number import, ready for the store.
public struct CallerNumberImportRow: Sendable, Hashable {
    /// The line of the file the row starts on.
    public let line: Int
    public let draft: CallerNumberDraft
    /// Whether the file gave a status for this row (an import never changes an existing number's status).
    public let hasStatus: Bool
    /// Whether the file gave a daily cap for this row.
    public let hasDailyCap: Bool

    public init(line: Int, draft: CallerNumberDraft, hasStatus: Bool, hasDailyCap: Bool) {
        self.line = line
        self.draft = draft
        self.hasStatus = hasStatus
        self.hasDailyCap = hasDailyCap
    }
}

/// What happened to one row of an import.
public enum ImportOutcome: String, Sendable, Codable, Hashable {
    /// A new number was added to the pool.
    case created
    /// An existing number got a new filing reference, display name or cap.
    case updated
    /// The number is already in the pool exactly as the row says.
    case unchanged
    /// The row was not applied; `ImportProblem` says why.
    case rejected
}

/// A row that was not applied, and why.
public struct ImportProblem: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The line of the file (the header is line 1).
    public let line: Int
    /// The number as written in the row, when there is one.
    public let number: String?
    /// The column at fault, when one is.
    public let field: String?
    public let reason: String

    public init(line: Int, number: String?, field: String?, reason: String) {
        self.line = line
        self.number = number
        self.field = field
        self.reason = reason
    }

    public var description: String {
        "line \(line)" + (field.map { " (\($0))" } ?? "") + (number.map { " \($0)" } ?? "") + ": \(reason)"
    }
}

/// The report of one import: counts and every row that was not applied.
public struct ImportReport: Sendable, Hashable, Codable {
    /// Data rows read (header and blank lines not counted).
    public var rows = 0
    public var created = 0
    public var updated = 0
    public var unchanged = 0
    public var rejected = 0
    /// Each rejected row with its line and reason, in file order.
    public var problems: [ImportProblem] = []

    public init() {}

    mutating func reject(_ problem: ImportProblem) {
        rejected += 1
        problems.append(problem)
    }

    /// Counts the store's outcome for a row; rejected outcomes carry their problem.
    public mutating func record(_ outcome: ImportOutcome, problem: ImportProblem? = nil) {
        switch outcome {
        case .created: created += 1
        case .updated: updated += 1
        case .unchanged: unchanged += 1
        case .rejected: if let problem { reject(problem) }
        }
    }

    /// Sorts problems by line (the file reader and the store each report theirs).
    public mutating func finish() {
        problems.sort { $0.line < $1.line }
    }
}

/// The file as a whole cannot be imported (no header, no number column …).
public struct ImportFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
}

/// Reads caller numbers from CSV: a header row naming the columns (English or Chinese, any order), then one
/// number per row. Bad rows are reported with line and reason; good rows are returned for the store.
public enum CallerNumberCSV {
    /// The columns and the header names accepted for each.
    static let columns: [(name: String, aliases: Set<String>)] = [
        ("number", ["number", "phone", "caller", "caller_number", "callernumber", "e164", "号码", "电话", "主叫号码", "外显号码"]),
        ("purpose", ["purpose", "pool", "用途", "类型"]),
        ("filing_ref", ["filing_ref", "filingref", "filing", "filing_reference", "备案号", "备案"]),
        ("display_name", ["display_name", "displayname", "name", "企业名片", "显示名称", "名称"]),
        ("status", ["status", "状态"]),
        ("daily_cap", ["daily_cap", "dailycap", "cap", "日上限", "每日上限"]),
    ]

    /// Reads `bytes` into good rows and a report holding every bad row.
    public static func read(
        _ bytes: [UInt8], directory: PhoneDirectory, policy: PoolPolicy
    ) throws(ImportFileError) -> (rows: [CallerNumberImportRow], report: ImportReport) {
        var reader = CSVReader(bytes: bytes)
        var report = ImportReport()
        guard let first = reader.next() else {
            throw ImportFileError(description: "the file is empty; the first line must be a header such as number,purpose,filing_ref,display_name,status,daily_cap")
        }
        let header: CSVRecord
        switch first {
        case let .success(record): header = record
        case let .failure(error): throw ImportFileError(description: "the header cannot be read: \(error)")
        }
        var index: [String: Int] = [:]
        for (position, name) in header.fields.enumerated() {
            let key = name.trimmingWhitespace().lowercased().replacingSpaces()
            guard let column = columns.first(where: { $0.aliases.contains(key) }) else {
                throw ImportFileError(description: "line \(header.line): unknown column '\(name)'; columns are \(columns.map(\.name).joined(separator: ", "))")
            }
            if index[column.name] != nil {
                throw ImportFileError(description: "line \(header.line): column '\(column.name)' appears twice")
            }
            index[column.name] = position
        }
        for required in ["number", "purpose", "filing_ref"] where index[required] == nil {
            throw ImportFileError(description: "line \(header.line): the header has no '\(required)' column; required columns are number, purpose, filing_ref")
        }

        var rows: [CallerNumberImportRow] = []
        var rowIndex: [PhoneNumber: Int] = [:]
        while let next = reader.next() {
            report.rows += 1
            let record: CSVRecord
            switch next {
            case let .success(value): record = value
            case let .failure(error):
                report.reject(ImportProblem(line: error.line, number: nil, field: nil, reason: error.message))
                continue
            }
            func value(_ column: String) -> String? {
                guard let position = index[column], position < record.fields.count else { return nil }
                let text = record.fields[position].trimmingWhitespace()
                return text.isEmpty ? nil : text
            }
            let rawNumber = value("number")
            func problem(_ field: String?, _ reason: String) -> ImportProblem {
                ImportProblem(line: record.line, number: rawNumber, field: field, reason: reason)
            }
            guard record.fields.count <= header.fields.count else {
                report.reject(problem(nil, "row has \(record.fields.count) fields but the header has \(header.fields.count); quote fields that contain '\(Character(Unicode.Scalar(reader.delimiter)))'"))
                continue
            }
            guard let rawNumber else {
                report.reject(problem("number", "the number is missing"))
                continue
            }
            let info: PhoneInfo
            do {
                info = try directory.lookup(rawNumber)
            } catch {
                report.reject(problem("number", error.description))
                continue
            }
            guard let purposeText = value("purpose") else {
                report.reject(problem("purpose", "the purpose is missing; use service or marketing (RULES P5)"))
                continue
            }
            guard let purpose = NumberPurpose(parsing: purposeText) else {
                report.reject(problem("purpose", CallerNumberError.unknownPurpose(purposeText).description))
                continue
            }
            var status: CallerNumberStatus?
            if let text = value("status") {
                guard let parsed = CallerNumberStatus(parsing: text) else {
                    report.reject(problem("status", CallerNumberError.unknownStatus(text).description))
                    continue
                }
                status = parsed
            }
            var cap: Int?
            if let text = value("daily_cap") {
                guard let parsed = Int(text) else {
                    report.reject(problem("daily_cap", CallerNumberError.invalidDailyCap(text).description))
                    continue
                }
                cap = parsed
            }
            let draft: CallerNumberDraft
            do {
                draft = try CallerNumberDraft(
                    info: info, purpose: purpose, filingReference: value("filing_ref"),
                    displayName: value("display_name"), status: status, dailyCap: cap, policy: policy)
            } catch {
                report.reject(problem(error.field, error.description))
                continue
            }
            if let earlier = rowIndex[info.number] {
                if rows[earlier].draft == draft {
                    report.unchanged += 1  // the same row twice in one file
                } else {
                    report.reject(problem("number", "\(info.e164) already appears on line \(rows[earlier].line) with different values"))
                }
                continue
            }
            rowIndex[info.number] = rows.count
            rows.append(CallerNumberImportRow(line: record.line, draft: draft, hasStatus: status != nil, hasDailyCap: cap != nil))
        }
        return (rows, report)
    }

    /// What importing `row` does to the pool, given the number as stored now (nil if new).
    public static func decide(_ row: CallerNumberImportRow, existing: CallerNumber?, policy: PoolPolicy, at now: Date)
        -> ImportDecision
    {
        guard let existing else { return .create(row.draft.callerNumber(at: now)) }
        let draft = row.draft
        let e164 = draft.info.e164
        if existing.purpose != draft.purpose {
            return .reject("\(e164) is already in the \(existing.purpose.rawValue) pool; an import never moves a number between sub-pools (RULES P5) — change it with PATCH /v1/caller-numbers/\(e164)")
        }
        if row.hasStatus && existing.status != draft.status {
            return .reject("\(e164) is already \(existing.status.rawValue); an import never changes a number's status — change it with PATCH /v1/caller-numbers/\(e164)")
        }
        let change = CallerNumberChange(
            dailyCap: row.hasDailyCap ? draft.dailyCap : nil, displayName: .some(draft.displayName),
            filingReference: draft.filingReference, reason: "import line \(row.line)")
        do {
            let changed = try change.applied(to: existing, policy: policy, at: now)
            return changed == existing ? .unchanged : .update(changed)
        } catch {
            return .reject(error.description)
        }
    }
}

/// What an import row does to the pool.
public enum ImportDecision: Sendable, Hashable {
    case create(CallerNumber)
    case update(CallerNumber)
    case unchanged
    case reject(String)
}

extension CallerNumberError {
    /// The import column an error is about, if any.
    var field: String? {
        switch self {
        case .invalidNumber, .notMainland, .virtualNumberForMarketing, .notFound, .alreadyExists: "number"
        case .missingFilingReference: "filing_ref"
        case let .tooLong(field, _): field == "filingRef" ? "filing_ref" : "display_name"
        case .dailyCapOutOfRange, .invalidDailyCap: "daily_cap"
        case .retiredIsFinal, .unknownStatus: "status"
        case .unknownPurpose: "purpose"
        }
    }
}

extension String {
    fileprivate func replacingSpaces() -> String {
        String(unicodeScalars.map { $0 == " " || $0 == "-" ? "_" : Character($0) })
    }
}
