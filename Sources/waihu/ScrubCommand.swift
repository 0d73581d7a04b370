import ArgumentParser
import Synchronization
import Foundation
import WaihuCore
import WaihuStore

struct ScrubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scrub",
        abstract: "Decide for every contact of a list before a campaign: per-row decisions and a summary.",
        discussion: """
            The list is a CSV with a header naming its phone column (phone, number, mobile, 号码 …) and optionally
            elderly and age columns, or one number per line. The per-row report (line,input,e164,category,rules,
            reasons,next_allowed_at) is written to --output (default: FILE.scrubbed.csv).
            """)

    @OptionGroup var store: StoreOptions
    @Argument(help: "The contact list.") var file: String
    @Option(help: "marketing, service, notification or urgent.") var purpose: String
    @Option(help: "Decide for this time (ISO 8601; default now).") var at: String?
    @Option(help: "Where to write the per-row report.") var output: String?
    @Flag(help: "Print the summary as JSON.") var json = false

    func run() async throws {
        guard let callPurpose = CallPurpose(parsing: purpose) else {
            throw ValidationError("purpose '\(purpose)' is unknown; use marketing, service, notification or urgent")
        }
        let moment = try parseTime(at, option: "--at") ?? Date()
        guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
        let configuration = try store.resolve()
        let database = try configuration.openStore()
        let gate = try await ComplianceGate.load(store: database, policy: try configuration.policy(), now: moment)
        let bar = ProgressBar(label: "scrubbing")
        let started = ContinuousClock.now
        let result: ScrubResult
        do {
            result = try await ComplianceScrub.run([UInt8](data), gate: gate, purpose: callPurpose, at: moment, progress: { bar.update($0) })
        } catch let error as ImportFileError {
            bar.finish()
            printError("waihu: \(file): \(error)")
            throw ExitCode.failure
        }
        bar.finish()
        let elapsed = ContinuousClock.now - started
        let destination = output ?? ((file as NSString).deletingPathExtension + ".scrubbed.csv")
        try Data(result.csv).write(to: URL(fileURLWithPath: destination))
        let summary = result.summary
        if json {
            print(try jsonText(ScrubSummaryView(summary, output: destination)))
            return
        }
        print("\(file): \(summary.rows) contacts, \(callPurpose.rawValue), at \(Timestamp(moment).iso8601(offsetSeconds: 8 * 3600)) — \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow)))")
        var table = TextTable(headers: ["when", "contacts", "share"])
        for category in ScrubCategory.allCases {
            let count = summary.counts[category, default: 0]
            table.rows.append([category.rawValue, String(count), String(format: "%.1f%%", summary.share(category) * 100)])
        }
        print(table.render())
        if !summary.byReason.isEmpty {
            print("\nblocked by")
            var reasons = TextTable(headers: ["rule", "reason", "contacts", "example"])
            for (code, count) in summary.byReason.sorted(by: { $0.value > $1.value }) {
                reasons.rows.append([summary.rulesByCode[code] ?? "", code, String(count), summary.explanations[code] ?? ""])
            }
            print(reasons.render())
        }
        print("\nper-row report: \(destination)")
    }
}

struct ScrubSummaryView: Encodable {
    let rows: Int
    let counts: [String: Int]
    let shares: [String: Double]
    let byReason: [String: Int]
    let byRule: [String: Int]
    let output: String

    init(_ summary: ScrubSummary, output: String) {
        rows = summary.rows
        counts = Dictionary(uniqueKeysWithValues: ScrubCategory.allCases.map { ($0.rawValue, summary.counts[$0, default: 0]) })
        shares = Dictionary(uniqueKeysWithValues: ScrubCategory.allCases.map { ($0.rawValue, summary.share($0)) })
        byReason = summary.byReason
        byRule = summary.byRule
        self.output = output
    }
}

/// A progress bar on standard error, drawn only when it is a terminal.
final class ProgressBar: Sendable {
    private let label: String
    private let enabled = isatty(STDERR_FILENO) == 1
    private let last = Mutex(-1)

    init(label: String) {
        self.label = label
    }

    func update(_ fraction: Double) {
        guard enabled else { return }
        let percent = Int(min(1, max(0, fraction)) * 100)
        let changed = last.withLock { last in
            defer { last = percent }
            return last != percent
        }
        guard changed else { return }
        let filled = percent * 30 / 100
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: 30 - filled)
        FileHandle.standardError.write(Data("\r\(label) \(bar) \(percent)%".utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
