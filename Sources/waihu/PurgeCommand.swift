import ArgumentParser
import Foundation
import WaihuCore

struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Delete records past their retention (RULES C3, D3); `waihu serve` does it daily.",
        discussion: "Attempts and SMS after retention.personalDataDays (365), consents retention days after they end (1096), decisions after retention.decisionDays (1096).")

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let configuration = try store.resolve()
        let policy = try configuration.policy()
        let report = try await configuration.openStore().purge(RetentionCutoffs(policy: policy.compliance, now: Date()))
        print("deleted \(report.attempts) attempts, \(report.consents) consents, \(report.decisions) decisions, \(report.optIns) opt-ins, \(report.messages) inbound SMS")
    }
}
