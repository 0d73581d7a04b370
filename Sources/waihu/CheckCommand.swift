import ArgumentParser
import Foundation
import WaihuCore
import WaihuStore

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "May this number be called for this purpose now (or at --at)? Reasons with rule ids and the next allowed time.",
        discussion: "A what-if: nothing is recorded. Exit status 0 allowed, 3 not allowed, 1 error.")

    @OptionGroup var store: StoreOptions

    @Argument(help: "The callee, in any form.")
    var phone: String

    @Option(help: "marketing, service, notification or urgent.")
    var purpose: String

    @Option(help: "ISO 8601 time (default now); without a zone, Beijing time: 2026-11-23T09:30.")
    var at: String?

    @Flag(help: "Elderly callee (RULES C5).")
    var elderly = false

    @Option(help: "The callee's age; at or above the policy's threshold counts as elderly.")
    var age: Int?

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let configuration = try store.resolve()
        guard let callPurpose = CallPurpose(parsing: purpose) else {
            throw ValidationError("purpose '\(purpose)' is unknown; use marketing, service, notification or urgent")
        }
        let number = try parsePhone(phone)
        let moment = try parseTime(at, option: "--at") ?? Date()
        let policy = try configuration.policy()
        let database = try configuration.openStore()
        // One callee: query its facts directly instead of loading the whole index.
        let since = moment.addingTimeInterval(-TimeInterval(policy.compliance.frequency.horizon))
        let facts = try await database.calleeFacts(for: number, attemptsSince: since)
        let gate = ComplianceGate(store: database, policy: policy, index: ComplianceIndex())
        let request = gate.request(for: number, purpose: callPurpose, at: moment, elderly: elderly, age: age)
        let decision = gate.engine.decide(request, facts: facts, advice: true)
        let zone = request.zone
        if json {
            print(try jsonText(DecisionView(decision, zone: zone)))
        } else {
            print(decision.allowed ? "ALLOWED" : "NOT ALLOWED", "—", number.e164, callPurpose.rawValue, "at", decision.at.iso8601(offsetSeconds: zone.offset(at: decision.at)))
            for reason in decision.reasons { print("  \(reason.rule)  \(reason.message)") }
            if !decision.allowed {
                print("  next allowed: \(decision.nextAllowedAt.map { $0.iso8601(offsetSeconds: zone.offset(at: $0)) } ?? "never, as things stand")")
            }
            if let advice = decision.advice {
                print("  golden hours: \(advice.isGolden ? "now" : advice.nextGoldenAt.map { "next at \($0.iso8601(offsetSeconds: zone.offset(at: $0)))" } ?? "none within 30 days")")
            }
            for warning in decision.warnings { print("  warning: \(warning)") }
            print("  policy \(decision.policyVersion) (\(decision.policyDigest.prefix(12)))")
        }
        if !decision.allowed { throw ExitCode(3) }
    }
}

/// A decision as the CLI prints it in JSON.
struct DecisionView: Encodable {
    let allowed: Bool
    let reasons: [Reason]
    let nextAllowedAt: String?
    let policyVersion: String
    let policyDigest: String
    let callee: String
    let purpose: String
    let at: String
    let goldenNow: Bool?
    let nextGoldenAt: String?
    let warnings: [String]

    struct Reason: Encodable {
        let rule: String
        let code: String
        let message: String
    }

    init(_ decision: ComplianceDecision, zone: CalleeZone) {
        allowed = decision.allowed
        reasons = decision.violations.map { Reason(rule: $0.rule, code: $0.code, message: $0.message) }
        nextAllowedAt = decision.nextAllowedAt.map { $0.iso8601(offsetSeconds: zone.offset(at: $0)) }
        policyVersion = decision.policyVersion
        policyDigest = decision.policyDigest
        callee = decision.callee.e164
        purpose = decision.purpose.rawValue
        at = decision.at.iso8601(offsetSeconds: zone.offset(at: decision.at))
        goldenNow = decision.advice?.isGolden
        nextGoldenAt = decision.advice?.nextGoldenAt.map { $0.iso8601(offsetSeconds: zone.offset(at: $0)) }
        warnings = decision.warnings
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(allowed, forKey: .allowed)
        try container.encode(reasons, forKey: .reasons)
        try container.encode(nextAllowedAt, forKey: .nextAllowedAt)  // null when never
        try container.encode(policyVersion, forKey: .policyVersion)
        try container.encode(policyDigest, forKey: .policyDigest)
        try container.encode(callee, forKey: .callee)
        try container.encode(purpose, forKey: .purpose)
        try container.encode(at, forKey: .at)
        try container.encodeIfPresent(goldenNow, forKey: .goldenNow)
        try container.encodeIfPresent(nextGoldenAt, forKey: .nextGoldenAt)
        try container.encode(warnings, forKey: .warnings)
    }

    enum CodingKeys: String, CodingKey {
        case allowed, reasons, nextAllowedAt, policyVersion, policyDigest, callee, purpose, at, goldenNow, nextGoldenAt, warnings
    }
}

/// Parses a phone argument, or exits with the reason.
func parsePhone(_ text: String) throws -> PhoneNumber {
    do {
        return try PhoneDirectory.bundled.parse(text)
    } catch {
        printError("waihu: '\(text)' is not a valid phone number: \(error)")
        throw ExitCode.failure
    }
}

/// Parses an ISO 8601 option (Beijing time without a zone).
func parseTime(_ text: String?, option: String) throws -> Date? {
    guard let text else { return nil }
    guard let moment = Timestamp(iso8601: text) else {
        throw ValidationError("\(option) '\(text)' is not a time; use ISO 8601 such as 2026-11-23T09:30 or 2026-11-23T09:30:00+08:00")
    }
    return moment.date
}
