import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import WaihuCore

/// Asks a mark-query service what the marking platforms say about the pool (RULES P9: daily):
/// `POST {"numbers": ["+86…", …]}` → `{"marks": [{"number", "platform", "kind", "count", "observedAt"?}, …]}`,
/// with `Authorization: Bearer <token>` when a token is set.
public struct HTTPMarkProvider: Sendable {
    public let url: URL
    private let token: String?
    private let session: URLSession

    /// - Parameter token: from the environment (`WAIHU_MARKS_TOKEN`), never from a file.
    public init(url: URL, token: String?, timeout: TimeInterval = 60) {
        self.url = url
        self.token = token
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        session = URLSession(configuration: configuration)
    }

    /// The marks the service reports for `numbers`; entries that do not read are returned as problems.
    public func fetch(_ numbers: [PhoneNumber], directory: PhoneDirectory, now: Date) async throws -> (marks: [MarkObservation], problems: [String]) {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        request.httpBody = try JSONEncoder().encode(["numbers": numbers.map(\.e164)])
        let (data, response) = try await session.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            throw MarkProviderError.status(status, String(decoding: data.prefix(300), as: UTF8.self))
        }
        return try MarkFile.read(data, format: .json, directory: directory, source: "poll", now: now)
    }
}

/// The mark service answered with an error status or an unreadable body.
public enum MarkProviderError: Error, Sendable, CustomStringConvertible {
    case status(Int, String)
    case unreadable(String)

    public var description: String {
        switch self {
        case let .status(code, body): "the mark service answered HTTP \(code): \(body)"
        case let .unreadable(reason): "the mark file or answer cannot be read: \(reason)"
        }
    }
}

/// Mark files: JSON as the mark service answers, or CSV `number,platform,kind,count,observed_at` (a file
/// dropped by whoever queries the platforms by hand).
public enum MarkFile {
    public enum Format: Sendable {
        case json
        case csv
    }

    struct Entry: Decodable {
        let number: String
        let platform: String
        let kind: String
        let count: Int
        let observedAt: String?
    }

    struct Envelope: Decodable {
        let marks: [Entry]
    }

    /// Reads marks; rows that do not read are returned as problems naming the row.
    public static func read(_ data: Data, format: Format, directory: PhoneDirectory, source: String, now: Date) throws
        -> (marks: [MarkObservation], problems: [String])
    {
        var entries: [(label: String, entry: Entry)] = []
        switch format {
        case .json:
            do {
                let envelope = try JSONDecoder().decode(Envelope.self, from: data)
                entries = envelope.marks.enumerated().map { ("entry \($0.offset)", $0.element) }
            } catch {
                throw MarkProviderError.unreadable("\(error)")
            }
        case .csv:
            var reader = CSVReader(bytes: [UInt8](data))
            _ = reader.next()  // header
            var problems: [String] = []
            while let next = reader.next() {
                switch next {
                case let .failure(error): problems.append(error.description)
                case let .success(record):
                    guard record.fields.count >= 4, let count = Int(record.fields[3]) else {
                        problems.append("line \(record.line): expected number,platform,kind,count[,observed_at]")
                        continue
                    }
                    entries.append(("line \(record.line)", Entry(
                        number: record.fields[0], platform: record.fields[1], kind: record.fields[2], count: count,
                        observedAt: record.fields.count > 4 && !record.fields[4].isEmpty ? record.fields[4] : nil)))
                }
            }
            let read = convert(entries, directory: directory, source: source, now: now)
            return (read.marks, problems + read.problems)
        }
        return convert(entries, directory: directory, source: source, now: now)
    }

    static func convert(_ entries: [(label: String, entry: Entry)], directory: PhoneDirectory, source: String, now: Date)
        -> (marks: [MarkObservation], problems: [String])
    {
        var marks: [MarkObservation] = []
        var problems: [String] = []
        for (label, entry) in entries {
            do {
                let number = try directory.parse(entry.number)
                guard let platform = MarkPlatform(rawValue: entry.platform) else {
                    problems.append("\(label): platform '\(entry.platform)' is unknown; use \(MarkPlatform.allCases.map(\.rawValue).joined(separator: ", "))")
                    continue
                }
                guard let kind = MarkKind(rawValue: entry.kind) else {
                    problems.append("\(label): kind '\(entry.kind)' is unknown; use harassment, sales, fraud or other")
                    continue
                }
                let observed = entry.observedAt.flatMap { Timestamp(iso8601: $0)?.date } ?? now
                marks.append(try MarkObservation(number: number, platform: platform, kind: kind, count: entry.count, observedAt: observed, source: source))
            } catch {
                problems.append("\(label): \(error)")
            }
        }
        return (marks, problems)
    }
}
