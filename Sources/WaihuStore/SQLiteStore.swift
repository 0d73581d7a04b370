import Foundation
import GRDB
import WaihuCore

/// waihu's embedded store: one SQLite file, in WAL mode, through GRDB.
///
/// Invariants live in the schema (NOT NULL, unique numbers, checked enums, RULES P8 as a CHECK, retired
/// numbers final by trigger), so that no code path, present or future, can store a broken pool.
public final class SQLiteStore: Sendable {
    let database: DatabasePool
    let directory: PhoneDirectory

    /// Opens (or creates) the database at `path` and brings its schema up to date.
    public init(path: String, directory: PhoneDirectory = .bundled) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        configuration.label = "waihu"
        configuration.prepareDatabase { db in
            // Pool tables and lists of millions of numbers: a larger page cache and memory-mapped reads keep
            // bulk imports and the index rebuild off the read/write system calls.
            try db.execute(sql: "PRAGMA cache_size = -65536; PRAGMA mmap_size = 1073741824")
        }
        database = try DatabasePool(path: path, configuration: configuration)
        self.directory = directory
        try SQLiteStore.migrator.migrate(database)
    }

    /// The migrations, in order. A shipped migration is never edited: add a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 caller numbers") { db in
            try db.execute(sql: """
                CREATE TABLE caller_number (
                    id INTEGER PRIMARY KEY,
                    e164 TEXT NOT NULL UNIQUE CHECK (e164 GLOB '+86[1-9]*' AND length(e164) BETWEEN 8 AND 16),
                    kind TEXT NOT NULL CHECK (kind IN ('mobile', 'fixed_line', 'virtual_operator',
                        'enterprise_service', 'enterprise_sms', 'hotline_400', 'freephone_800')),
                    carrier TEXT,
                    province_code INTEGER CHECK (province_code BETWEEN 11 AND 65),
                    city TEXT,
                    area_code TEXT CHECK (area_code GLOB '0[1-9]*'),
                    region_group TEXT CHECK (region_group IN ('华北', '东北', '华东', '华中', '华南', '西南', '西北')),
                    purpose TEXT NOT NULL CHECK (purpose IN ('service', 'marketing')),
                    filing_ref TEXT NOT NULL CHECK (length(trim(filing_ref)) > 0),
                    display_name TEXT CHECK (display_name IS NULL OR length(display_name) > 0),
                    status TEXT NOT NULL CHECK (status IN ('warming', 'active', 'standby', 'resting', 'suspended', 'retired')),
                    daily_cap INTEGER NOT NULL CHECK (daily_cap > 0),
                    created_at DATETIME NOT NULL,
                    updated_at DATETIME NOT NULL,
                    allow_virtual_marketing BOOLEAN NOT NULL DEFAULT 0,
                    -- RULES P8: virtual-operator numbers never serve marketing unless the policy allowed it.
                    CHECK (kind <> 'virtual_operator' OR purpose <> 'marketing' OR allow_virtual_marketing)
                );
                CREATE INDEX caller_number_by_status ON caller_number(status, purpose);
                CREATE INDEX caller_number_by_province ON caller_number(province_code, city);

                -- RULES P13: retirement is final.
                CREATE TRIGGER caller_number_retired_is_final
                BEFORE UPDATE OF status ON caller_number
                WHEN OLD.status = 'retired' AND NEW.status <> 'retired'
                BEGIN
                    SELECT RAISE(ABORT, 'a retired caller number never returns to the pool');
                END;

                CREATE TABLE caller_number_event (
                    id INTEGER PRIMARY KEY,
                    caller_number_id INTEGER NOT NULL REFERENCES caller_number(id) ON DELETE RESTRICT,
                    at DATETIME NOT NULL,
                    field TEXT NOT NULL CHECK (field IN ('created', 'status', 'purpose', 'daily_cap',
                        'display_name', 'filing_ref')),
                    old_value TEXT,
                    new_value TEXT,
                    actor TEXT NOT NULL CHECK (length(actor) > 0),
                    reason TEXT
                );
                CREATE INDEX caller_number_event_by_number ON caller_number_event(caller_number_id, id);
                """)
        }
        registerComplianceMigration(&migrator)
        registerPoolMigration(&migrator)
        return migrator
    }
}

/// A stored row could not be turned back into a domain value: the database was changed outside waihu.
public struct StoreCorruptionError: Error, Sendable, CustomStringConvertible {
    public let description: String
}
