import ArgumentParser
import Foundation
import Logging
import SIPUserAgent
import WaihuConfig

struct TrunksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trunks",
        abstract: "The configured SIP trunks (sip.trunks).",
        subcommands: [List.self, Test.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the trunks as configured (never their passwords).")

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let trunks = try store.resolve().sip.trunks
            guard !trunks.isEmpty else {
                print("no trunk is configured: add sip.trunks to the configuration file (see README)")
                return
            }
            let rows = trunks.map { trunk in
                [trunk.name, "\(trunk.host):\(trunk.port)", String(trunk.priority), String(trunk.weight),
                 trunk.maxConcurrentCalls.map(String.init) ?? "-", trunk.maxCallsPerSecond.map { String(format: "%g", $0) } ?? "-",
                 trunk.callerNumberRanges.isEmpty ? "any" : trunk.callerNumberRanges.joined(separator: " "), "\(trunk.costPerMinute)",
                 trunk.username.map { "\($0) (\(trunk.password == nil ? "no password: set \(trunk.passwordVariable)" : "password set"))" } ?? "-"]
            }
            print(TextTable(headers: ["trunk", "address", "priority", "weight", "max calls", "max cps", "callers", "cost/min", "user"], rows: rows).render())
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send OPTIONS to each trunk and print whether it answers, with the status and round-trip time.",
            discussion: "Exit status 0 when every trunk answered, 5 when one did not.")

        @OptionGroup var store: StoreOptions

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let configuration = try store.resolve()
            let trunks = configuration.sip.trunks
            guard let first = trunks.first else {
                throw ValidationError("no trunk is configured: add sip.trunks to the configuration file (see README)")
            }
            var logger = Logger(label: "waihu.trunks")
            logger.logLevel = Logger.Level(rawValue: store.logLevel ?? ProcessInfo.processInfo.environment["WAIHU_LOG_LEVEL"] ?? "warning") ?? .warning
            let agent = OneShotUserAgent(settings: configuration.sip, logger: logger)
            let results = try await agent.run(toward: (first.host, first.port)) { agent in
                var results: [Probe] = []
                for trunk in trunks {
                    let probe = await agent.probe(trunk: trunk.trunk)
                    results.append(Probe(trunk: trunk.name, address: "\(trunk.host):\(trunk.port)", reachable: probe.isReachable,
                                         sipStatus: probe.statusCode, roundTripMilliseconds: probe.roundTripMilliseconds.map { ($0 * 10).rounded() / 10 }))
                }
                return results
            }
            if json {
                print(try jsonText(results))
            } else {
                print(TextTable(headers: ["trunk", "address", "answers", "SIP status", "round trip"], rows: results.map {
                    [$0.trunk, $0.address, $0.reachable ? "yes" : "NO", $0.sipStatus.map(String.init) ?? "timeout",
                     $0.roundTripMilliseconds.map { String(format: "%.1f ms", $0) } ?? "-"]
                }).render())
            }
            if results.contains(where: { !$0.reachable }) { throw ExitCode(5) }
        }
    }

    struct Probe: Encodable, Sendable {
        let trunk: String
        let address: String
        let reachable: Bool
        let sipStatus: Int?
        let roundTripMilliseconds: Double?
    }
}
