/// One record of a CSV file and the line it starts on (the header is line 1).
public struct CSVRecord: Sendable, Hashable {
    public let line: Int
    public let fields: [String]
}

/// A record that could not be read. The rest of the file is still read.
public struct CSVRowError: Error, Sendable, Hashable, CustomStringConvertible {
    public let line: Int
    public let message: String
    public var description: String { "line \(line): \(message)" }
}

/// Reads RFC 4180 CSV from UTF-8 bytes: with or without a byte-order mark, comma, tab or semicolon
/// separated (detected from the first line), quoted fields with `""` escapes and line breaks, CRLF or LF.
/// Blank lines (or lines of empty fields) are skipped. A broken record is reported with its line and the
/// reader carries on with the next line.
public struct CSVReader: Sendable {
    private let bytes: [UInt8]
    private var offset: Int
    private var line = 1
    /// The field separator in use: `,`, tab or `;`.
    public let delimiter: UInt8

    private static let quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")

    public init(bytes: [UInt8]) {
        self.bytes = bytes
        offset = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        delimiter = CSVReader.detectDelimiter(bytes, from: offset)
    }

    private static func detectDelimiter(_ bytes: [UInt8], from start: Int) -> UInt8 {
        var counts: [UInt8: Int] = [UInt8(ascii: ","): 0, UInt8(ascii: "\t"): 0, UInt8(ascii: ";"): 0]
        var index = start
        var quoted = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == quote { quoted.toggle() }
            if !quoted && (byte == lf || byte == cr) { break }
            if !quoted, let count = counts[byte] { counts[byte] = count + 1 }
            index += 1
        }
        let best = counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }!
        return best.value > 0 ? best.key : UInt8(ascii: ",")
    }

    /// The next record, a row error, or nil at the end of the input.
    public mutating func next() -> Result<CSVRecord, CSVRowError>? {
        while offset < bytes.count {
            let startLine = line
            let startOffset = offset
            switch readRecord() {
            case let .success(fields):
                if fields.allSatisfy({ $0.isEmpty }) { continue }
                return .success(CSVRecord(line: startLine, fields: fields))
            case let .failure(failure):
                skipPhysicalLine(from: startOffset, line: startLine)
                return .failure(CSVRowError(line: startLine, message: failure.message))
            }
        }
        return nil
    }

    /// After a broken record, resume at the line after the one the record started on.
    private mutating func skipPhysicalLine(from start: Int, line startLine: Int) {
        var index = start
        while index < bytes.count && bytes[index] != CSVReader.lf && bytes[index] != CSVReader.cr { index += 1 }
        if index < bytes.count && bytes[index] == CSVReader.cr { index += 1 }
        if index < bytes.count && bytes[index] == CSVReader.lf { index += 1 }
        offset = index
        line = startLine + 1
    }

    private struct RecordFailure: Error {
        let message: String
    }

    private mutating func readRecord() -> Result<[String], RecordFailure> {
        var fields: [String] = []
        var field: [UInt8] = []
        field.reserveCapacity(32)
        while true {
            field.removeAll(keepingCapacity: true)
            let column = fields.count + 1
            if offset < bytes.count && bytes[offset] == CSVReader.quote {
                let quoteLine = line
                offset += 1
                var closed = false
                while offset < bytes.count {
                    let byte = bytes[offset]
                    if byte == CSVReader.quote {
                        if offset + 1 < bytes.count && bytes[offset + 1] == CSVReader.quote {
                            field.append(CSVReader.quote)
                            offset += 2
                            continue
                        }
                        offset += 1
                        closed = true
                        break
                    }
                    if byte == CSVReader.lf { line += 1 }
                    field.append(byte)
                    offset += 1
                }
                guard closed else {
                    return .failure(RecordFailure(message: "field \(column) opens a quote on line \(quoteLine) that is never closed"))
                }
                if offset < bytes.count, bytes[offset] != delimiter, bytes[offset] != CSVReader.lf, bytes[offset] != CSVReader.cr {
                    if quoteLine != line {
                        return .failure(RecordFailure(message: "field \(column) opens a quote on line \(quoteLine) that is not closed on that line (the next quote, on line \(line), is followed by more text)"))
                    }
                    return .failure(RecordFailure(message: "field \(column) has text after its closing quote; double a quote inside a quoted field (\"\")"))
                }
            } else {
                let start = offset
                while offset < bytes.count {
                    let byte = bytes[offset]
                    if byte == delimiter || byte == CSVReader.lf || byte == CSVReader.cr { break }
                    offset += 1
                }
                field.append(contentsOf: bytes[start..<offset])
            }
            // ASCII (most fields: numbers, dates) is valid UTF-8 as it stands; only the rest is validated.
            guard let text = field.allSatisfy({ $0 < 0x80 }) ? String(decoding: field, as: UTF8.self) : String(validating: field, as: UTF8.self) else {
                return .failure(RecordFailure(message: "field \(column) is not UTF-8 text; save the file as UTF-8 (in Excel: \"CSV UTF-8\")"))
            }
            fields.append(text)
            if offset >= bytes.count { return .success(fields) }
            let byte = bytes[offset]
            offset += 1
            if byte == delimiter { continue }
            if byte == CSVReader.cr && offset < bytes.count && bytes[offset] == CSVReader.lf { offset += 1 }
            line += 1
            return .success(fields)
        }
    }
}
