import Foundation
import GRDB
import WaihuCore
import WaihuStore

/// Caller-ID selection over 10,000 numbers in 31 provinces: the in-memory selector (with its leases made
/// durable in batches by a writer on the other core, as in the server) against the same choice made by one
/// SQL query and update per call, the way a database-backed dialler does it.
struct PoolBenchmark {
    let numbers: Int
    let selections: Int
    let folder: String

    func run() async throws {
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let directory = PhoneDirectory.bundled
        var rng = SplitMix(state: 31)

        // 7-digit mobile prefixes by province, from the directory itself.
        var prefixes: [Int: [UInt64]] = [:]
        for prefix in stride(from: UInt64(1_300_000), to: 2_000_000, by: 7) {
            if let info = try? directory.lookup(String(prefix) + "0000"), info.kind == .mobile, let province = info.province {
                prefixes[province.code, default: []].append(prefix)
            }
        }
        let provinces = prefixes.keys.sorted()
        print("pool: \(numbers) numbers over \(provinces.count) provinces, \(selections) selections")

        var policy = Policy.defaults
        policy.pool.leaseBlock = 16
        let store = try SQLiteStore(path: folder + "/pool.sqlite")
        let now = Timestamp(iso8601: "2026-11-19T10:30:00+08:00")!.date
        var csv = "number,purpose,filing_ref,status,daily_cap\n"
        var added = Set<UInt64>()
        while added.count < numbers {
            let province = provinces[added.count % provinces.count]
            let prefix = prefixes[province]!.randomElement(using: &rng)!
            let number = prefix * 10_000 + UInt64.random(in: 0..<10_000, using: &rng)
            guard added.insert(number).inserted else { continue }
            csv += "\(number),service,F-\(number),active,200\n"
        }
        let report = try await store.importCSV(Array(csv.utf8), directory: directory, policy: policy.pool, at: now, actor: "bench")
        print("  imported \(report.created) numbers (\(report.rejected) rejected)")

        // Callees in every province, looked up once (lookups are measured by `waihu-bench lookup`).
        let callees: [PhoneInfo] = (0..<100_000).map { _ in
            let province = provinces.randomElement(using: &rng)!
            return directory.info(for: try! directory.parse(String(prefixes[province]!.randomElement(using: &rng)! * 10_000 + UInt64.random(in: 0..<10_000, using: &rng))))
        }

        let selector = try await PoolService.makeSelector(store: store, policy: policy, now: now)
        let first = selector.leaseRequests()
        try await store.writeLeases(first)
        selector.leasesWritten(first)
        // The lease writer, on the other core, as `LeaseWriterService` runs it in the server.
        let writer = Task.detached {
            var batches = 0
            for await _ in selector.leaseNeeded {
                let leases = selector.leaseRequests()
                guard !leases.isEmpty else { continue }
                try? await store.writeLeases(leases)
                selector.leasesWritten(leases)
                batches += 1
            }
            return batches
        }
        // Each selection is dialled and finished: a unit of cap is spent every time, so leases keep being written.
        let start = ContinuousClock.now
        var made = 0, refused = 0
        for index in 0..<selections {
            do {
                let selection = try selector.select(callee: callees[index % callees.count], purpose: .service, agent: nil, now: now)
                _ = try selector.dial(selection.reservation, now: now)
                try selector.finish(selection.reservation)
                made += 1
            } catch {
                refused += 1
                if refused % 1024 == 0 { await Task.yield() }
            }
        }
        let elapsed = seconds(ContinuousClock.now - start)
        writer.cancel()
        let rate = Double(made) / elapsed
        let sql = try DatabaseQueue(path: folder + "/pool.sqlite")
        let leased = try await sql.read { db in try Int.fetchOne(db, sql: "SELECT sum(leased) FROM number_lease") ?? 0 }
        print("  in-memory selector, 1 core   \(format(rate)) selections/s (select + dial + finish), \(refused) waited for a lease — target ≥ 1M")
        print("    units leased durably meanwhile: \(leased) (lease block \(policy.pool.leaseBlock)), covering all \(made) dials: \(leased >= made)")

        // The same choice as one SQL transaction per call: an indexed query per match level, nearest first.
        try await sql.write { db in
            try db.execute(sql: "CREATE TABLE bench_usage (caller_number_id INTEGER PRIMARY KEY, used INTEGER NOT NULL)")
            try db.execute(sql: "INSERT INTO bench_usage SELECT id, 0 FROM caller_number")
            try db.execute(sql: "CREATE INDEX bench_city ON caller_number(purpose, city)")
            try db.execute(sql: "CREATE INDEX bench_province ON caller_number(purpose, province_code)")
            try db.execute(sql: "CREATE INDEX bench_group ON caller_number(purpose, region_group)")
        }
        let sample = min(5_000, selections)
        let sqlStart = ContinuousClock.now
        var sqlMade = 0
        for index in 0..<sample {
            let callee = callees[index % callees.count]
            var levels: [(condition: String, arguments: StatementArguments)] = []
            if let city = callee.city { levels.append(("c.city = ?", [city])) }
            if let province = callee.province { levels.append(("c.province_code = ?", [province.code])) }
            if let group = callee.regionGroup { levels.append(("c.region_group = ?", [group.rawValue])) }
            levels.append(("1", []))
            let chosen = try await sql.write { [levels] db -> Int64? in
                for (condition, arguments) in levels {
                    guard let id = try Int64.fetchOne(db, sql: """
                        SELECT c.id FROM caller_number c JOIN bench_usage u ON u.caller_number_id = c.id
                        WHERE c.purpose = 'service' AND (\(condition)) AND c.status IN ('active', 'warming') AND u.used < c.daily_cap
                        ORDER BY u.used, c.health DESC LIMIT 1
                        """, arguments: arguments) else { continue }
                    try db.execute(sql: "UPDATE bench_usage SET used = used + 1 WHERE caller_number_id = ?", arguments: [id])
                    return id
                }
                return nil
            }
            if chosen != nil { sqlMade += 1 }
        }
        let sqlRate = Double(sqlMade) / seconds(ContinuousClock.now - sqlStart)
        print("  one SQL query + update per call \(format(sqlRate)) selections/s")
        print("  ratio                         \(String(format: "%.0f", rate / sqlRate))×")
        print("RESULT selections_per_second=\(Int(rate)) sql_selections_per_second=\(Int(sqlRate)) ratio=\(Int(rate / sqlRate))")
    }
}
