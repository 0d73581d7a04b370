import Testing
@testable import WaihuCore

@Suite("CSV reader")
struct CSVReaderTests {
    func read(_ text: String) -> [Result<CSVRecord, CSVRowError>] {
        read(Array(text.utf8))
    }

    func read(_ bytes: [UInt8]) -> [Result<CSVRecord, CSVRowError>] {
        var reader = CSVReader(bytes: bytes)
        var results: [Result<CSVRecord, CSVRowError>] = []
        while let next = reader.next() { results.append(next) }
        return results
    }

    func records(_ text: String) -> [CSVRecord] {
        read(text).compactMap { try? $0.get() }
    }

    @Test("comma, tab and semicolon are detected from the header")
    func delimiters() {
        #expect(records("a,b\n1,2\n").map(\.fields) == [["a", "b"], ["1", "2"]])
        #expect(records("a\tb\n1\t2\n").map(\.fields) == [["a", "b"], ["1", "2"]])
        #expect(records("a;b\n1;2\n").map(\.fields) == [["a", "b"], ["1", "2"]])
        #expect(records("a,b;c\n1,2;3\n").map(\.fields) == [["a", "b;c"], ["1", "2;3"]])
    }

    @Test("BOM, CRLF, blank lines and line numbers")
    func lines() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("a,b\r\n1,2\r\n\r\n,\r\n3,4".utf8)
        let result = read(bytes).compactMap { try? $0.get() }
        #expect(result.map(\.fields) == [["a", "b"], ["1", "2"], ["3", "4"]])
        #expect(result.map(\.line) == [1, 2, 5])
    }

    @Test("quoted fields hold delimiters, quotes and line breaks; lines keep counting")
    func quoting() {
        let result = records("a,b\n\"x, y\",\"say \"\"hi\"\"\"\n\"two\nlines\",z\nlast,row\n")
        #expect(result.map(\.fields) == [["a", "b"], ["x, y", "say \"hi\""], ["two\nlines", "z"], ["last", "row"]])
        #expect(result.map(\.line) == [1, 2, 3, 5])
    }

    @Test("a broken record is reported with its line and reading carries on")
    func recovery() {
        let results = read("a,b\n\"x\"y,1\ngood,2\n\"open,3\n")
        #expect(results.count == 4)
        guard case let .failure(afterQuote) = results[1] else { Issue.record("expected an error"); return }
        #expect(afterQuote.line == 2)
        #expect(afterQuote.message.contains("after its closing quote"))
        #expect((try? results[2].get())?.fields == ["good", "2"])
        guard case let .failure(unclosed) = results[3] else { Issue.record("expected an error"); return }
        #expect(unclosed.line == 4)
        #expect(unclosed.message.contains("never closed"))
    }

    @Test("text that is not UTF-8 (a GBK export) is named as such")
    func notUTF8() {
        let gbk: [UInt8] = Array("number,name\n13800138000,".utf8) + [0xD6, 0xD0, 0xCE, 0xC4] + Array("\n".utf8)
        let results = read(gbk)
        guard case let .failure(error) = results[1] else { Issue.record("expected an error"); return }
        #expect(error.line == 2)
        #expect(error.message.contains("UTF-8"))
    }

    @Test("a file without a final newline keeps its last row, with its trailing empty field")
    func noFinalNewline() {
        #expect(records("a,b\n1,").map(\.fields) == [["a", "b"], ["1", ""]])
    }
}
