import ArgumentParser
import Foundation
import Logging
import WaihuConfig
import WaihuCore
import WaihuStore

/// Where the data is and which policy applies; shared by every command that touches the store.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (YAML). Also WAIHU_CONFIG.")
    var config: String?

    @Option(name: .customLong("db"), help: "SQLite database file (default waihu-data/waihu.sqlite). Also WAIHU_DB.")
    var databasePath: String?

    @Option(name: .long, help: "Policy file (YAML); without one the rulebook's defaults apply. Also WAIHU_POLICY.")
    var policy: String?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical. Also WAIHU_LOG_LEVEL.")
    var logLevel: String?

    func resolve(host: String? = nil, port: Int? = nil) throws -> WaihuConfiguration {
        do {
            return try WaihuConfiguration.resolve(
                configPath: config, environment: ProcessInfo.processInfo.environment,
                flags: .init(host: host, port: port, databasePath: databasePath, policyPath: policy, logLevel: logLevel))
        } catch {
            throw ValidationError(error.description)
        }
    }
}

extension WaihuConfiguration {
    /// Opens the store, creating its folder on first use.
    func openStore() throws -> SQLiteStore {
        let folder = (databasePath as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        return try SQLiteStore(path: databasePath)
    }

    /// The policy, or a usage error naming what is wrong with the file.
    func policy() throws -> Policy {
        do {
            return try loadPolicy()
        } catch {
            throw ValidationError(error.description)
        }
    }
}

/// Writes a line to standard output at once, also when standard output is a pipe (print buffers there).
func printNow(_ message: String) {
    FileHandle.standardOutput.write(Data((message + "\n").utf8))
}

/// Writes a line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Encodes a value as pretty, key-sorted JSON with Chinese text left readable.
func jsonText(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
