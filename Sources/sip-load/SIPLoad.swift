import Foundation
import Logging
import SIP
import SIPUserAgent

/// `sip-load`: short answered calls against a UAS at a target rate; prints one `key=value` line.
///
///     sip-load --target sip:127.0.0.1:5060 --rate 1000 --duration 10 [--max-in-flight 20000] [--agents N]
///              [--talk-ms 0] [--drain 10] [--host 127.0.0.1] [--floor 1]
///
/// `--floor 1` places the same calls without waihu's SIP stack, on one event loop (see `TransportFloor`);
/// it takes `--target` as an IP address and ignores `--agents`, `--talk-ms` and `--max-in-flight`.
///
/// Exits 0 when every attempted call succeeded and at least 99% of the planned calls were attempted.
@main
struct SIPLoad {
    static func main() async {
        HeapTuning.applyForCallLoad()
        var arguments: [String: String] = [:]
        var iterator = CommandLine.arguments.dropFirst().makeIterator()
        while let option = iterator.next() {
            guard option.hasPrefix("--"), let value = iterator.next() else { fail("unexpected argument \(option)") }
            arguments[String(option.dropFirst(2))] = value
        }
        guard let targetText = arguments["target"], let target = try? SIPURI(parsing: targetText),
              let rate = arguments["rate"].flatMap(Double.init), rate > 0
        else { fail("usage: sip-load --target sip:HOST:PORT --rate CPS [--duration S] [--max-in-flight N] [--agents N] [--talk-ms MS] [--drain S] [--host HOST] [--floor 1]") }
        let plan = LoadPlan(
            target: target, callsPerSecond: rate,
            duration: .milliseconds(Int((arguments["duration"].flatMap(Double.init) ?? 10) * 1000)),
            maxInFlight: arguments["max-in-flight"].flatMap(Int.init) ?? 20_000,
            agents: arguments["agents"].flatMap(Int.init) ?? ProcessInfo.processInfo.activeProcessorCount,
            talkTime: .milliseconds(arguments["talk-ms"].flatMap(Int.init) ?? 0),
            drainTimeout: .seconds(arguments["drain"].flatMap(Int.init) ?? 10),
            host: arguments["host"] ?? "127.0.0.1")
        if arguments["floor"] == "1" {
            do {
                let report = try await TransportFloor.run(
                    host: plan.host, targetHost: target.host, targetPort: target.port ?? 5060, callsPerSecond: rate,
                    duration: Double(plan.duration.components.seconds) + Double(plan.duration.components.attoseconds) / 1e18,
                    drain: Double(plan.drainTimeout.components.seconds))
                print(report)
                exit(report.succeeded == report.planned ? 0 : 1)
            } catch {
                fail("floor run failed: \(error)")
            }
        }
        var logger = Logger(label: "sip-load")
        logger.logLevel = .warning
        do {
            let report = try await LoadGenerator.run(plan, logger: logger)
            print(report)
            exit(report.failed == 0 && Double(report.attempted) >= 0.99 * Double(report.planned) ? 0 : 1)
        } catch {
            fail("load failed: \(error)")
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(2)
    }
}
