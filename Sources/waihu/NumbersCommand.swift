import ArgumentParser
import Foundation
import WaihuCore
import WaihuStore

struct NumbersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "numbers",
        abstract: "The caller-number pool (号码池): import, list, show.",
        subcommands: [Import.self, List.self, Show.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import caller numbers from CSV; good rows land, bad rows are listed with line and reason.",
            discussion: """
                Header columns, any order: number, purpose, filing_ref (required), display_name, status, daily_cap.
                Chinese headers (号码, 用途, 备案号 …) are accepted; UTF-8 with or without BOM; comma, tab or semicolon.
                Importing the same file again changes nothing. Exit status: 0 all rows applied, 2 some rows rejected.
                """)

        @OptionGroup var store: StoreOptions

        @Argument(help: "The CSV file.")
        var file: String

        @Flag(help: "Print the report as JSON.")
        var json = false

        func run() async throws {
            let configuration = try store.resolve()
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read \(file)")
            }
            let database = try configuration.openStore()
            let report: ImportReport
            do {
                report = try await database.importCSV(
                    [UInt8](data), directory: .bundled, policy: configuration.policy().pool, at: Date(), actor: "cli")
            } catch let error as ImportFileError {
                printError("waihu: \(file): \(error)")
                throw ExitCode.failure
            }
            if json {
                print(try jsonText(report))
            } else {
                print("\(file): \(report.rows) rows — \(report.created) created, \(report.updated) updated, \(report.unchanged) unchanged, \(report.rejected) rejected")
                for problem in report.problems { print("  \(problem)") }
            }
            if report.rejected > 0 { throw ExitCode(2) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List caller numbers.")

        @OptionGroup var store: StoreOptions

        @Option(help: "Only this status (repeat for several): warming, active, standby, resting, suspended, retired.")
        var status: [String] = []

        @Option(help: "service or marketing.")
        var purpose: String?

        @Option(help: "Province: 广东, 广东省, Guangdong or 44.")
        var province: String?

        @Option(help: "At most this many numbers.")
        var limit = 1000

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let configuration = try store.resolve()
            var query = CallerNumberQuery(limit: limit)
            query.statuses = try status.map { text in
                guard let status = CallerNumberStatus(parsing: text) else {
                    throw ValidationError(CallerNumberError.unknownStatus(text).description)
                }
                return status
            }
            if let purpose {
                guard let parsed = NumberPurpose(parsing: purpose) else {
                    throw ValidationError(CallerNumberError.unknownPurpose(purpose).description)
                }
                query.purpose = parsed
            }
            if let province {
                guard let parsed = Province(parsing: province) else { throw ValidationError("province '\(province)' is unknown") }
                query.province = parsed
            }
            let page = try await configuration.openStore().callerNumbers(matching: query)
            if json {
                print(try jsonText(page.items.map { CallerNumberView($0) }))
                return
            }
            var table = TextTable(headers: ["number", "kind", "归属地", "purpose", "status", "cap", "display name"])
            for number in page.items {
                table.rows.append([
                    number.number.e164, number.kind.rawValue,
                    [number.province?.name, number.city].compactMap { $0 }.joined(separator: " "),
                    number.purpose.rawValue, number.status.rawValue, String(number.dailyCap), number.displayName ?? "",
                ])
            }
            print(table.render())
            print("\(page.items.count) of \(page.total) numbers")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one caller number and its history.")

        @OptionGroup var store: StoreOptions

        @Argument(help: "The number in any form.")
        var number: String

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let configuration = try store.resolve()
            let phone: PhoneNumber
            do {
                phone = try PhoneDirectory.bundled.parse(number)
            } catch {
                printError("waihu: '\(number)' is not a valid phone number: \(error)")
                throw ExitCode.failure
            }
            let database = try configuration.openStore()
            guard let stored = try await database.callerNumber(phone) else {
                printError("waihu: \(CallerNumberError.notFound(phone.e164))")
                throw ExitCode.failure
            }
            let history = try await database.history(of: phone)
            if json {
                print(try jsonText(CallerNumberView(stored, history: history)))
                return
            }
            let fields: [(String, String)] = [
                ("number", stored.number.e164), ("kind", "\(stored.kind.rawValue) (\(stored.kind.chineseName))"),
                ("carrier", stored.carrier ?? "—"),
                ("归属地", [stored.province?.name, stored.city].compactMap { $0 }.joined(separator: " ").nonEmpty ?? "nationwide"),
                ("area code", stored.areaCode ?? "—"), ("region group", stored.regionGroup?.rawValue ?? "—"),
                ("purpose", stored.purpose.rawValue), ("status", stored.status.rawValue),
                ("daily cap", String(stored.dailyCap)), ("filing ref", stored.filingReference),
                ("display name", stored.displayName ?? "—"),
            ]
            for (label, value) in fields { print(label.padding(to: 13) + value) }
            print("\nhistory")
            var table = TextTable(headers: ["at", "change", "by", "reason"])
            for event in history {
                let change = event.field == "created"
                    ? "created (\(event.newValue ?? ""))"
                    : "\(event.field): \(event.oldValue ?? "—") → \(event.newValue ?? "—")"
                table.rows.append([event.at.formatted(.iso8601), change, event.actor, event.reason ?? ""])
            }
            print(table.render())
        }
    }
}

/// A caller number as the CLI prints it in JSON.
struct CallerNumberView: Encodable {
    let number: String
    let kind: String
    let carrier: String?
    let province: String?
    let city: String?
    let areaCode: String?
    let regionGroup: String?
    let purpose: String
    let filingRef: String
    let displayName: String?
    let status: String
    let dailyCap: Int
    let createdAt: Date
    let updatedAt: Date
    let history: [Event]?

    struct Event: Encodable {
        let field: String
        let oldValue: String?
        let newValue: String?
        let at: Date
        let actor: String
        let reason: String?
    }

    init(_ number: CallerNumber, history: [CallerNumberEvent]? = nil) {
        self.number = number.number.e164
        kind = number.kind.rawValue
        carrier = number.carrier
        province = number.province?.name
        city = number.city
        areaCode = number.areaCode
        regionGroup = number.regionGroup?.rawValue
        purpose = number.purpose.rawValue
        filingRef = number.filingReference
        displayName = number.displayName
        status = number.status.rawValue
        dailyCap = number.dailyCap
        createdAt = number.createdAt
        updatedAt = number.updatedAt
        self.history = history?.map {
            Event(field: $0.field, oldValue: $0.oldValue, newValue: $0.newValue, at: $0.at, actor: $0.actor, reason: $0.reason)
        }
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
