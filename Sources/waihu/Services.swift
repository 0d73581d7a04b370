import Foundation
import Logging
import ServiceLifecycle
import WaihuCore
import WaihuGateways

/// Keeps the compliance gate's index in step with writes made by other processes (the CLI, another node):
/// polls the store's change counter and rebuilds the index when it moved.
struct IndexRefreshService: Service {
    let gate: ComplianceGate
    let pool: PoolService
    let store: any ChangeWatching
    let interval: Duration
    let logger: Logger

    func run() async throws {
        var seen = try await store.externalChangeToken()
        while !Task.isCancelledOrShuttingDown {
            await pause(for: interval)
            guard !Task.isCancelledOrShuttingDown else { return }
            do {
                let token = try await store.externalChangeToken()
                guard token != seen else { continue }
                let started = ContinuousClock.now
                try await gate.reload(now: Date())
                try await pool.reloadSelector(now: Date())
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
            await pause(for: .seconds(86_400))
        }
    }
}

/// Sleeps, waking early when the service group shuts down gracefully or the task is cancelled.
func pause(for duration: Duration) async {
    _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
}

extension Task where Success == Never, Failure == Never {
    /// Whether the current task was cancelled or the service group is shutting down gracefully.
    static var isCancelledOrShuttingDown: Bool { isCancelled || isShuttingDownGracefully }
}

/// Makes the selector's leases durable as they are wanted, in batches (see `CallerSelector`).
struct LeaseWriterService: Service {
    let selector: CallerSelector
    let store: any PoolStore
    let logger: Logger

    func run() async throws {
        for await _ in selector.leaseNeeded.cancelOnGracefulShutdown() {
            let requests = selector.leaseRequests()
            guard !requests.isEmpty else { continue }
            do {
                try await store.writeLeases(requests)
                selector.leasesWritten(requests)
            } catch {
                logger.error("lease write failed, numbers stay unselectable until it succeeds: \(error)")
                await pause(for: .seconds(1))
            }
        }
    }
}

/// Releases reservations not dialled in time and frees numbers of calls never reported finished.
struct ReservationSweepService: Service {
    let selector: CallerSelector

    func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            await pause(for: .seconds(1))
            selector.expire(now: Date())
        }
    }
}

/// The pool's daily jobs at their configured Beijing times: mark polling and mark files (RULES P9),
/// health evaluation (P4, P9–P11, P14), lifecycle review (P13).
struct PoolJobsService: Service {
    let pool: PoolService
    let marks: MarkIntake
    let logger: Logger

    func run() async throws {
        let jobs: [(name: String, at: Int64, run: @Sendable (Date) async throws -> String)] = [
            ("marks", pool.policy.pool.markPollAt, { try await marks.run(now: $0) }),
            ("evaluation", pool.policy.pool.evaluateAt, { now in
                let report = try await pool.evaluate(now: now)
                return "\(report.entries.count) numbers acted on; standby short: \(report.standbyShortfall)"
            }),
            ("review", pool.policy.pool.reviewAt, { now in
                let decisions = try await pool.review(now: now)
                return "\(decisions.count) reviewed, \(decisions.filter(\.retire).count) retired"
            }),
        ]
        var lastRun: [String: Int64] = [:]
        while !Task.isCancelledOrShuttingDown {
            let now = Date()
            let moment = Timestamp(now)
            let today = CalleeZone.china.localDay(at: moment), second = CalleeZone.china.secondOfDay(at: moment)
            for job in jobs where second >= job.at && lastRun[job.name] != today {
                lastRun[job.name] = today
                do {
                    let outcome = try await job.run(now)
                    logger.info("pool job \(job.name): \(outcome)")
                } catch {
                    logger.error("pool job \(job.name) failed: \(error)")
                }
            }
            await pause(for: .seconds(30))
        }
    }
}

/// Takes marks in from the mark service and from the drop folder.
struct MarkIntake: Sendable {
    let pool: PoolService
    let provider: HTTPMarkProvider?
    let dropFolder: String?
    let directory: PhoneDirectory

    /// Polls the provider for the whole pool and imports dropped files; returns a summary.
    func run(now: Date) async throws -> String {
        var summary: [String] = []
        if let provider {
            var numbers: [PhoneNumber] = []
            var cursor: String?
            repeat {
                let page = try await pool.store.callerNumbers(matching: CallerNumberQuery(after: cursor, limit: 1000))
                numbers += page.items.filter { $0.status != .retired }.map(\.number)
                cursor = page.nextCursor
            } while cursor != nil
            let (marks, problems) = try await provider.fetch(numbers, directory: directory, now: now)
            let actions = try await pool.recordMarks(marks.filter { numbers.contains($0.number) }, now: now)
            summary.append("polled \(numbers.count) numbers: \(marks.count) marks, \(actions.count) numbers acted on, \(problems.count) unreadable")
        }
        if let dropFolder { summary.append(try await importDropFolder(dropFolder, now: now)) }
        return summary.isEmpty ? "no mark source configured" : summary.joined(separator: "; ")
    }

    /// Imports every CSV/JSON file of the folder and moves it to `processed/` (or `failed/`).
    func importDropFolder(_ folder: String, now: Date) async throws -> String {
        let files = FileManager.default
        let names = (try? files.contentsOfDirectory(atPath: folder)) ?? []
        var imported = 0, marksSeen = 0
        for name in names.sorted() where name.hasSuffix(".csv") || name.hasSuffix(".json") {
            let path = (folder as NSString).appendingPathComponent(name)
            var target = "processed"
            do {
                guard let data = files.contents(atPath: path) else { continue }
                let (marks, _) = try MarkFile.read(data, format: name.hasSuffix(".json") ? .json : .csv, directory: directory,
                                                    source: "file:\(name)", now: now)
                var known: [MarkObservation] = []
                for mark in marks where try await pool.store.callerNumber(mark.number) != nil { known.append(mark) }
                _ = try await pool.recordMarks(known, now: now)
                marksSeen += known.count
                imported += 1
            } catch {
                target = "failed"
            }
            let destination = (folder as NSString).appendingPathComponent(target)
            try? files.createDirectory(atPath: destination, withIntermediateDirectories: true)
            try? files.moveItem(atPath: path, toPath: (destination as NSString).appendingPathComponent(name))
        }
        return "drop folder: \(imported) files, \(marksSeen) marks"
    }
}
