import ArgumentParser
import Foundation
import WaihuCore
import WaihuStore

struct DoNotCallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dnc", abstract: "Do-not-call lists (RULES C7–C9): add, import, remove, show.",
        subcommands: [Add.self, Import.self, Remove.self, Show.self])

    static func reason(_ text: String) throws -> DoNotCallReason {
        guard let reason = DoNotCallReason(rawValue: text) else {
            throw ValidationError("reason '\(text)' is unknown; use refusal, complaint, invalid or imported")
        }
        return reason
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a number.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The number.") var phone: String
        @Option(help: "refusal, complaint, invalid or imported.") var reason: String
        @Option(help: "A note kept with the listing.") var note: String?

        func run() async throws {
            let reason = try DoNotCallCommand.reason(reason)
            let number = try parsePhone(phone)
            let database = try store.resolve().openStore()
            let added = try await database.addToDoNotCall([DoNotCallEntry(phone: number, reason: reason, addedAt: Date(), source: "cli", note: note)])
            print(added > 0 ? "\(number.e164) listed (\(reason.rawValue), RULES \(reason.rule))" : "\(number.e164) was already listed for \(reason.rawValue)")
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a list: CSV with a phone column, or one number per line. Bad lines are listed; good lines land.",
            discussion: "Exit status: 0 all lines listed, 2 some lines rejected.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The file.") var file: String
        @Option(help: "refusal, complaint, invalid or imported.") var reason = "imported"
        @Option(help: "Name of the list, kept with each listing (default: the file name).") var source: String?

        func run() async throws {
            let reason = try DoNotCallCommand.reason(reason)
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
            let configuration = try store.resolve()
            let database = try configuration.openStore()
            let gate = ComplianceGate(store: database, policy: try configuration.policy(), index: ComplianceIndex())
            let bar = ProgressBar(label: "importing")
            let report: DoNotCallImportReport
            do {
                report = try await gate.importDoNotCall(
                    [UInt8](data), reason: reason, source: "import:\(source ?? (file as NSString).lastPathComponent)", now: Date(),
                    progress: { bar.update($0) })
            } catch let error as ImportFileError {
                bar.finish()
                printError("waihu: \(file): \(error)")
                throw ExitCode.failure
            }
            bar.finish()
            print("\(file): \(report.lines) lines — \(report.added) listed, \(report.alreadyListed) already listed, \(report.rejected) rejected")
            for problem in report.problems.prefix(50) { print("  \(problem)") }
            if report.problems.count > 50 { print("  … and \(report.problems.count - 50) more") }
            if report.rejected > 0 { throw ExitCode(2) }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a number's listings (all, or one reason).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The number.") var phone: String
        @Option(help: "Only this reason.") var reason: String?

        func run() async throws {
            let reason = try reason.map(DoNotCallCommand.reason)
            let number = try parsePhone(phone)
            let removed = try await store.resolve().openStore().removeFromDoNotCall(number, reason: reason)
            guard !removed.isEmpty else {
                printError("waihu: \(ComplianceInputError.notOnList(number.e164))")
                throw ExitCode.failure
            }
            print("\(number.e164): removed \(removed.map(\.rawValue).joined(separator: ", "))")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a number's listings.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The number.") var phone: String

        func run() async throws {
            let number = try parsePhone(phone)
            let entries = try await store.resolve().openStore().doNotCallEntries(number)
            if entries.isEmpty { print("\(number.e164) is not listed") }
            for entry in entries {
                print("\(number.e164)  \(entry.reason.rawValue) (RULES \(entry.reason.rule))  since \(Timestamp(entry.addedAt))  by \(entry.source)\(entry.note.map { "  \($0)" } ?? "")")
            }
        }
    }
}
