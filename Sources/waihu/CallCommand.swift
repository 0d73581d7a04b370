import ArgumentParser
import Foundation
import Logging
import SIP
import SIPUserAgent
import WaihuConfig
import WaihuCore
import WaihuStore

struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Place one call through a SIP trunk and print its outcome.",
        discussion: """
            The call passes the compliance gate first: when a rule forbids it, nothing is dialled. The caller \
            number must be in the pool, active or warming up; its display name (企业名片) is presented. The \
            outcome is recorded like any call: it counts for the callee's frequency (RULES C6), an empty number \
            (空号) is listed (C9), a decline counts against the caller number's health (P11).

            --trunk takes a configured trunk's name or a SIP URI such as sip:127.0.0.1:5080. Without --trunk the \
            configured trunks are tried by priority; a 5xx or a timeout fails over to the next (RULES E1). --lab \
            places a test call to a lab gateway: no compliance check, no pool check, nothing recorded.

            Exit status: 0 answered; 4 not answered (busy, no answer, declined, invalid number); 5 trunk \
            failure; 3 refused before dialling; 1 error.
            """)

    @OptionGroup var store: StoreOptions

    @Argument(help: "The number to call, in any form.")
    var to: String

    @Option(help: "The caller number to present (in From and P-Asserted-Identity).")
    var caller: String

    @Option(help: "A configured trunk's name, or a SIP URI such as sip:127.0.0.1:5080.")
    var trunk: String?

    @Option(help: "marketing, service, notification or urgent (default service).")
    var purpose = "service"

    @Option(help: "WAV prompt to play once answered (8 kHz mono, PCM16 or G.711); hang up after it.")
    var prompt: String?

    @Option(help: "Write what the callee sends to this WAV file (RULES C11).")
    var record: String?

    @Option(help: "Without a prompt: seconds to stay on the line once answered before hanging up (default 1).")
    var talk: Double?

    @Option(name: .customLong("ring-timeout"), help: "Seconds to ring before CANCEL (default sip.ringTimeoutSeconds, 30; never below 15).")
    var ringTimeout: Int?

    @Option(name: .customLong("display-name"), help: "Display name to present (default: the caller number's 企业名片 in the pool).")
    var displayName: String?

    @Flag(help: "A lab call to a test gateway: no compliance or pool check, nothing recorded.")
    var lab = false

    @Flag(help: "Print the SIP messages sent and received on standard error.")
    var trace = false

    @Flag(help: "Print JSON: outcome, sipStatus, ringSeconds, talkSeconds, trunk and more.")
    var json = false

    func validate() throws {
        if let ringTimeout, ringTimeout < SIPSettings.minimumRingTimeoutSeconds {
            throw ValidationError("--ring-timeout \(ringTimeout) is too short: a call must ring at least \(SIPSettings.minimumRingTimeoutSeconds) s")
        }
        if let talk, !(talk > 0 && talk <= 3600) { throw ValidationError("--talk \(talk) must be above 0 and at most 3600 seconds") }
        if prompt != nil && talk != nil { throw ValidationError("give --prompt or --talk, not both: the call ends after the prompt") }
    }

    func run() async throws {
        let configuration = try store.resolve()
        guard let callPurpose = CallPurpose(parsing: purpose) else {
            throw ValidationError("purpose '\(purpose)' is unknown; use marketing, service, notification or urgent")
        }
        let callee = try parsePhone(to)
        let callerNumber = try parsePhone(caller)
        let route = try route(configuration.sip)
        var logger = Logger(label: "waihu.call")
        // The outcome is the output; the user agent's own news only when asked for.
        logger.logLevel = Logger.Level(rawValue: store.logLevel ?? ProcessInfo.processInfo.environment["WAIHU_LOG_LEVEL"] ?? "warning") ?? .warning

        let admission = lab ? nil : try await admit(callee: callee, caller: callerNumber, purpose: callPurpose, configuration: configuration)
        var request = CallRequest(
            callee: callee.dialString, callerNumber: callerNumber.dialString, displayName: displayName ?? admission?.displayName,
            route: route.route, ringTimeout: .seconds(ringTimeout ?? configuration.sip.ringTimeoutSeconds), logger: logger)
        if let prompt { request.talk = .prompt(path: prompt) }
        if let talk { request.talk = .stayUp(.milliseconds(Int(talk * 1000))) }
        request.recordingPath = record

        let started = Date()
        let agent = OneShotUserAgent(settings: configuration.sip, logger: logger, trace: trace)
        let result: CallResult
        do {
            let finalRequest = request
            result = try await agent.run(toward: route.target) { agent in try await agent.placeCall(finalRequest) }
        } catch let error as SIPUserAgentError {
            // Nothing reached a callee's phone unless an INVITE went out; the attempt stays pending then, not retried.
            printError("waihu: the call was not placed: \(error)")
            throw ExitCode.failure
        }
        if let admission {
            let attempt = try CallAttempt(
                callee: callee, caller: callerNumber, purpose: callPurpose, startedAt: started, outcome: AttemptOutcome(result.outcome),
                durationSeconds: result.outcome == .answered ? Int(result.talkSeconds.rounded()) : nil, source: "waihu",
                decisionId: admission.decision, sipStatus: result.finalStatus)
            _ = try await admission.gate.recordAttempts([attempt], now: Date())
        }
        if json {
            print(try jsonText(CallView(result, callee: callee, caller: callerNumber, recorded: admission != nil)))
        } else {
            print("\(result.outcome.rawValue) — \(callee.e164) from \(callerNumber.e164) via \(result.trunk.isEmpty ? "-" : result.trunk)")
            print("  SIP status   \(result.finalStatus.map(String.init) ?? "none (timeout)")")
            print("  ring         \(String(format: "%.2f", result.ringSeconds)) s")
            print("  talk         \(String(format: "%.2f", result.talkSeconds)) s")
            if result.attempts.count > 1 {
                print("  trunks tried \(result.attempts.map { "\($0.trunk) → \($0.finalStatus.map(String.init) ?? "timeout")" }.joined(separator: ", "))")
            }
            if !result.digits.isEmpty { print("  DTMF         \(result.digits)") }
            if let path = result.recordingPath { print("  recording    \(path)") }
            if admission == nil { print("  lab call: not checked by the compliance gate, not counted in its ledger") }
        }
        switch result.outcome {
        case .answered: return
        case .trunkFailure: throw ExitCode(5)
        default: throw ExitCode(4)
        }
    }

    /// Where the call goes, and the address it is sent to (to choose the local address to advertise).
    private func route(_ settings: SIPSettings) throws -> (route: CallRoute, target: (host: String, port: Int)) {
        if let trunk, trunk.lowercased().hasPrefix("sip:") {
            guard let uri = try? SIPURI(parsing: trunk) else {
                throw ValidationError("--trunk '\(trunk)' is not a SIP URI; write it like sip:192.0.2.10:5060")
            }
            return (.direct(uri), (uri.host, uri.port ?? 5060))
        }
        if let trunk {
            guard let configured = settings.trunks.first(where: { $0.name == trunk }) else {
                let known = settings.trunks.map(\.name)
                throw ValidationError("no trunk named '\(trunk)'\(known.isEmpty ? "; none is configured (sip.trunks)" : "; configured: \(known.joined(separator: ", "))"). Or give a SIP URI such as sip:127.0.0.1:5080")
            }
            return (.trunks([trunk]), (configured.host, configured.port))
        }
        guard let first = settings.trunks.min(by: { $0.priority < $1.priority }) else {
            throw ValidationError("no trunk is configured (sip.trunks in the configuration file); or give --trunk sip:HOST:PORT")
        }
        return (.automatic, (first.host, first.port))
    }

    /// RULES C1–C12 through the gate, and the caller number checked against the pool (P5, P7, P8).
    private func admit(callee: PhoneNumber, caller: PhoneNumber, purpose: CallPurpose, configuration: WaihuConfiguration) async throws
        -> (gate: ComplianceGate, decision: Int64, displayName: String?)
    {
        let policy = try configuration.policy()
        let database = try configuration.openStore()
        guard let pooled = try await database.callerNumber(caller) else {
            printError("waihu: \(caller.e164) is not in the caller-number pool; add it (waihu numbers import) or use --lab for a lab gateway")
            throw ExitCode(3)
        }
        guard pooled.status == .active || pooled.status == .warming else {
            printError("waihu: caller \(caller.e164) is \(pooled.status.rawValue); only active or warming numbers dial")
            throw ExitCode(3)
        }
        if pooled.purpose != purpose.numberPurpose {
            printError("waihu: caller \(caller.e164) is a \(pooled.purpose.rawValue) number; \(purpose.rawValue) calls use \(purpose.numberPurpose.rawValue) numbers (RULES P5)")
            throw ExitCode(3)
        }
        let now = Date()
        let gate = ComplianceGate(store: database, policy: policy, index: ComplianceIndex())
        let facts = try await database.calleeFacts(for: callee, attemptsSince: now.addingTimeInterval(-TimeInterval(policy.compliance.frequency.horizon)))
        let decision = gate.engine.decide(gate.request(for: callee, purpose: purpose, at: now), facts: facts)
        let context = DecisionContext(caller: caller, actor: "cli")
        let id = try await database.recordDecision(decision, context: context, decidedAt: now)  // RULES C12
        guard decision.allowed else {
            printError("waihu: not dialled — the compliance gate refuses \(callee.e164) for \(purpose.rawValue) now:")
            for reason in decision.reasons { printError("  \(reason.rule)  \(reason.message)") }
            if let next = decision.nextAllowedAt { printError("  next allowed: \(next.iso8601(offsetSeconds: 8 * 3600))") }
            throw ExitCode(3)
        }
        // The attempt counts from now (RULES C6), whatever happens next.
        _ = try await database.recordAttempts([try CallAttempt(
            callee: callee, caller: caller, purpose: purpose, startedAt: now, outcome: .pending, durationSeconds: nil,
            source: "waihu", decisionId: id)], recordedAt: now)
        return (gate, id, pooled.displayName)
    }
}

extension AttemptOutcome {
    /// The compliance ledger's outcome for a SIP outcome.
    init(_ outcome: CallOutcome) {
        switch outcome {
        case .answered: self = .answered
        case .busy: self = .busy
        case .invalidNumber: self = .invalidNumber
        case .noAnswer: self = .noAnswer
        case .declined: self = .declined
        case .trunkFailure: self = .failed
        }
    }
}

/// A call's result as `waihu call --json` prints it.
struct CallView: Encodable {
    let outcome: String
    let sipStatus: Int?
    let ringSeconds: Double
    let talkSeconds: Double
    let trunk: String
    let callee: String
    let caller: String
    let attempts: [Attempt]
    let digits: String
    let recording: String?
    let recorded: Bool

    struct Attempt: Encodable {
        let trunk: String
        let outcome: String
        let sipStatus: Int?
        let callId: String
    }

    init(_ result: CallResult, callee: PhoneNumber, caller: PhoneNumber, recorded: Bool) {
        outcome = result.outcome.rawValue
        sipStatus = result.finalStatus
        ringSeconds = (result.ringSeconds * 100).rounded() / 100
        talkSeconds = (result.talkSeconds * 100).rounded() / 100
        trunk = result.trunk
        self.callee = callee.e164
        self.caller = caller.e164
        attempts = result.attempts.map { Attempt(trunk: $0.trunk, outcome: $0.outcome.rawValue, sipStatus: $0.finalStatus, callId: $0.callID) }
        digits = result.digits
        recording = result.recordingPath
        self.recorded = recorded
    }
}
