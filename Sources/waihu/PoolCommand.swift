import ArgumentParser
import Foundation
import WaihuCore
import WaihuGateways
import WaihuStore

struct PoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool",
        abstract: "Number-pool intelligence: select, evaluate, review, plan, marks, agents, appeals (RULES §1).",
        subcommands: [Select.self, Evaluate.self, Review.self, Plan.self, Marks.self, Agent.self, Agents.self, Appeals.self, Health.self])

    /// The pool service over the configured store.
    static func service(_ options: StoreOptions, now: Date) async throws -> PoolService {
        let configuration = try options.resolve()
        let policy = try configuration.policy()
        let database = try configuration.openStore()
        let selector = try await PoolService.makeSelector(store: database, policy: policy, now: now)
        return PoolService(store: database, selector: selector, policy: policy)
    }

    struct Select: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Choose the caller number for a callee (and release the reservation at once).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The callee.") var callee: String
        @Option(help: "service or marketing.") var purpose: String
        @Option(help: "The agent placing the call (marketing needs a trained one, RULES P6).") var agent: String?

        func run() async throws {
            guard let purpose = NumberPurpose(parsing: purpose) else { throw ValidationError(CallerNumberError.unknownPurpose(purpose).description) }
            let now = Date()
            let pool = try await PoolCommand.service(store, now: now)
            let info = PhoneDirectory.bundled.info(for: try parsePhone(callee))
            do {
                let selection = try await pool.select(callee: info, purpose: purpose, agent: agent, now: now)
                try pool.selector.finish(selection.reservation)
                print("\(selection.number.e164)  \(selection.matchLevel.rawValue)\(selection.sticky ? " (sticky)" : "")  used \(selection.usedToday)/\(selection.cap) today  health \(selection.health)")
            } catch {
                printError("waihu: \(error)")
                throw ExitCode.failure
            }
        }
    }

    struct Evaluate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the daily health evaluation now (RULES P4, P9–P11, P14).")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let now = Date()
            let report = try await PoolCommand.service(store, now: now).evaluate(now: now)
            if report.entries.isEmpty { print("no number needs action") }
            for entry in report.entries {
                for action in entry.actions { print("\(entry.number.e164)  \(action.rule)  \(describe(action))\(entry.promoted.map { "  → \($0.e164) promoted" } ?? "")") }
            }
            for (group, missing) in report.standbyShortfall.sorted(by: { $0.key < $1.key }) {
                print("standby short by \(missing) in \(group) (RULES P4)")
            }
        }
    }

    struct Review: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lifecycle review of the numbers due (RULES P13).")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Only report.") var dryRun = false

        func run() async throws {
            let now = Date()
            let pool = try await PoolCommand.service(store, now: now)
            let decisions = dryRun ? try await pool.reviewDecisions(now: now) : try await pool.review(now: now)
            if decisions.isEmpty { print("no number is due for review") }
            for decision in decisions { print("\(decision.number.number.e164)  \(decision.retire ? "retire" : "keep")  \(decision.reason)") }
        }
    }

    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Numbers needed for a daily call volume: active, standby, to add, to retire.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Calls per day.") var dailyCalls: Int
        @Option(help: "service or marketing (default service).") var purpose = "service"
        @Flag(help: "Break the plan down by region group, by where the last 30 days' callees were.") var byRegion = false

        func run() async throws {
            guard dailyCalls > 0 else { throw ValidationError("--daily-calls must be at least 1") }
            guard let purpose = NumberPurpose(parsing: purpose) else { throw ValidationError(CallerNumberError.unknownPurpose(purpose).description) }
            let now = Date()
            let pool = try await PoolCommand.service(store, now: now)
            let shares = byRegion ? try await pool.store.calleeRegionShares(since: now.addingTimeInterval(-30 * 86_400)) : [:]
            let plan = try await pool.plan(dailyCalls: [purpose: dailyCalls], byRegion: byRegion, calleeShares: shares, now: now)
            var table = TextTable(headers: ["purpose", "region", "calls/day", "active needed", "standby needed", "active now", "standby now", "add this month"])
            for line in plan.lines {
                table.rows.append([
                    line.purpose.rawValue, line.regionGroup?.rawValue ?? "all", String(line.dailyCalls), String(line.activeNeeded),
                    String(line.standbyNeeded), String(line.activeNow), String(line.standbyNow),
                    "\(line.replenish.lowerBound)–\(line.replenish.upperBound)",
                ])
            }
            print(table.render())
            print(plan.toRetire.isEmpty ? "nothing to retire at review" : "to retire at review: \(plan.toRetire.joined(separator: ", "))")
        }
    }

    struct Marks: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import marks from a file: CSV number,platform,kind,count[,observed_at] or the mark service's JSON.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The file.") var file: String

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
            let now = Date()
            let pool = try await PoolCommand.service(store, now: now)
            let (marks, problems) = try MarkFile.read(data, format: file.hasSuffix(".json") ? .json : .csv, directory: .bundled,
                                                      source: "file:\((file as NSString).lastPathComponent)", now: now)
            var known: [MarkObservation] = []
            var unknown = Set<String>()
            for mark in marks {
                if try await pool.store.callerNumber(mark.number) != nil { known.append(mark) } else { unknown.insert(mark.number.e164) }
            }
            let actions = try await pool.recordMarks(known, now: now)
            print("\(file): \(known.count) marks recorded, \(problems.count) rows unreadable, \(unknown.count) numbers not in the pool")
            for problem in problems { print("  \(problem)") }
            for (number, list) in actions.sorted(by: { $0.key < $1.key }) {
                for action in list { print("  \(number.e164)  \(action.rule)  \(describe(action))") }
            }
            if !problems.isEmpty { throw ExitCode(2) }
        }
    }

    struct Agent: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register or update an agent (RULES P6: marketing needs trained agents).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Agent id.") var id: String
        @Option(help: "Display name.") var name: String?
        @Flag(inversion: .prefixedNo, help: "Trained for marketing.") var trained: Bool

        func run() async throws {
            try await store.resolve().openStore().upsertAgent(WaihuCore.Agent(id: id, name: name, trained: trained))
            print("agent \(id): \(trained ? "trained" : "not trained")")
        }
    }

    struct Agents: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Each agent's monthly mark rate (RULES P15; below 5% is good).")
        @OptionGroup var store: StoreOptions
        @Option(help: "The month, YYYY-MM (default this month).") var month: String?

        func run() async throws {
            let now = Date()
            let text = month ?? String(CivilDate(dayNumber: CalleeZone.china.localDay(at: Timestamp(now))).description.prefix(7))
            guard let first = CivilDate(text + "-01") else { throw ValidationError("--month '\(text)' is not YYYY-MM") }
            let report = try await PoolCommand.service(store, now: now).agentReport(month: first)
            var table = TextTable(headers: ["agent", "calls", "numbers used", "newly marked", "mark rate", ""])
            for row in report {
                table.rows.append([row.agent, String(row.calls), String(row.numbersUsed), String(row.numbersNewlyMarked),
                                   String(format: "%.1f%%", row.markRate * 100), row.good ? "good" : "over 5%"])
            }
            print(report.isEmpty ? "no calls by agents in \(text)" : table.render())
        }
    }

    struct Health: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A number's health: score, what took points off, marks, last days.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The number.") var number: String

        func run() async throws {
            let phone = try parsePhone(number)
            let now = Date()
            let pool = try await PoolCommand.service(store, now: now)
            guard let state = try await pool.store.numberState(phone) else {
                printError("waihu: \(CallerNumberError.notFound(phone.e164))")
                throw ExitCode.failure
            }
            print("\(phone.e164)  health \(state.health.score)/100")
            for (cause, points) in state.health.deductions.sorted(by: { $0.value > $1.value }) { print("  -\(points)  \(cause)") }
            if let reason = state.flagReason { print("  flagged: \(reason)") }
            let marks = try await pool.store.markSummaries()[phone] ?? MarkSummary()
            for (platform, kinds) in marks.counts { print("  marks on \(platform.rawValue): \(kinds.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", "))") }
            let today = CalleeZone.china.localDay(at: Timestamp(now))
            for day in try await pool.store.dailyStats(sinceDay: today - 14, shortCallSeconds: pool.policy.pool.shortCallSeconds)[phone] ?? [] {
                print("  \(CivilDate(dayNumber: day.day))  \(day.attempts) calls, connect \(Int((day.connectRate * 100).rounded()))%, short \(day.short), declined \(day.declined)")
            }
        }
    }

    struct Appeals: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Appeals to marking platforms (RULES P12): list, open, move.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Open an appeal for this number…") var open: String?
        @Option(help: "…with this platform.") var platform: String?
        @Option(help: "Move appeal ID …") var move: Int64?
        @Option(help: "… to this state: submitted, accepted or rejected.") var to: String?

        func run() async throws {
            let now = Date()
            let pool = try await PoolCommand.service(store, now: now)
            if let open {
                guard let platform = platform.flatMap(MarkPlatform.init(rawValue:)) else { throw ValidationError("--platform: one of \(MarkPlatform.allCases.map(\.rawValue).joined(separator: ", "))") }
                let appeal = try await pool.store.openAppeal(number: try parsePhone(open), platform: platform, urgent: false, reason: "opened by an operator", at: now)
                print("appeal \(appeal.id) opened (draft)")
                print(try jsonText(try await pool.evidence(for: appeal, now: now)))
            } else if let move {
                guard let state = to.flatMap(AppealState.init(rawValue:)) else { throw ValidationError("--to: submitted, accepted or rejected") }
                let appeal = try await pool.move(appeal: move, to: state, note: nil, now: now)
                print("appeal \(appeal.id): \(appeal.state.rawValue)\(appeal.dueAt.map { ", answer due \(Timestamp($0).iso8601(offsetSeconds: 28_800))" } ?? "")")
            } else {
                var table = TextTable(headers: ["id", "number", "platform", "state", "urgent", "due", "reason"])
                for appeal in try await pool.store.appeals(of: nil) {
                    table.rows.append([String(appeal.id), appeal.number.e164, appeal.platform.rawValue, appeal.state.rawValue, appeal.urgent ? "yes" : "",
                                       appeal.dueAt.map { Timestamp($0).iso8601(offsetSeconds: 28_800) } ?? "", appeal.reason])
                }
                print(table.render())
            }
        }
    }
}

/// An action in words.
func describe(_ action: PoolAction) -> String {
    switch action {
    case let .suspend(_, reason): "suspended: \(reason)"
    case let .openUrgentAppeal(platform): "urgent appeal opened with \(platform.rawValue)"
    case let .flag(reason): "flagged for review: \(reason)"
    case let .throttle(cap, reason): "throttled to \(cap) today: \(reason)"
    case let .rest(until, reason): "resting until \(CivilDate(dayNumber: until)): \(reason)"
    case .activate: "warm-up done: active"
    case .returnToStandby: "cool-down over: standby"
    }
}
