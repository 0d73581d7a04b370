import Foundation
import Logging
import ServiceLifecycle
import WaihuCore

/// Keeps the compliance gate's index in step with writes made by other processes (the CLI, another node):
/// polls the store's change counter and rebuilds the index when it moved.
struct IndexRefreshService: Service {
    let gate: ComplianceGate
    let store: any ChangeWatching
    let interval: Duration
    let logger: Logger

    func run() async throws {
        var seen = try await store.externalChangeToken()
        while !Task.isCancelledOrShuttingDown {
            try? await Task.sleep(for: interval)
            guard !Task.isCancelledOrShuttingDown else { return }
            do {
                let token = try await store.externalChangeToken()
                guard token != seen else { continue }
                let started = ContinuousClock.now
                try await gate.reload(now: Date())
                seen = token
                logger.info("compliance index reloaded after an outside write", metadata: ["took": "\(ContinuousClock.now - started)"])
            } catch {
                logger.error("compliance index reload failed: \(error)")
            }
        }
    }
}

/// Deletes records past their retention once a day (RULES C3, D3).
struct RetentionService: Service {
    let store: any RetentionStore
    let policy: CompliancePolicy
    let logger: Logger

    func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            do {
                let report = try await store.purge(RetentionCutoffs(policy: policy, now: Date()))
                logger.info("retention purge", metadata: [
                    "attempts": "\(report.attempts)", "consents": "\(report.consents)", "decisions": "\(report.decisions)",
                    "optIns": "\(report.optIns)", "messages": "\(report.messages)",
                ])
            } catch {
                logger.error("retention purge failed: \(error)")
            }
            try? await Task.sleep(for: .seconds(86_400))
        }
    }
}

extension Task where Success == Never, Failure == Never {
    /// Whether the current task was cancelled or the service group is shutting down gracefully.
    static var isCancelledOrShuttingDown: Bool { isCancelled || isShuttingDownGracefully }
}
