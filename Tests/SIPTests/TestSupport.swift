import SIP

/// Builds wire bytes from a multi-line literal, turning each `\n` into CRLF.
func wire(_ text: String) -> [UInt8] {
    Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)
}

/// Parses wire text that must be a request.
func request(_ text: String) throws -> SIPRequest {
    guard case .request(let request) = try SIPMessage(parsing: wire(text)) else {
        throw TestFailure.unexpectedKind
    }
    return request
}

/// Parses wire text that must be a response.
func response(_ text: String) throws -> SIPResponse {
    guard case .response(let response) = try SIPMessage(parsing: wire(text)) else {
        throw TestFailure.unexpectedKind
    }
    return response
}

/// The typed parse error for wire bytes, or nil when they parse.
func parseError(_ bytes: [UInt8]) -> SIPParseError? {
    do {
        _ = try SIPMessage(parsing: bytes)
        return nil
    } catch {
        return error
    }
}

enum TestFailure: Error {
    case unexpectedKind
}

/// A minimal valid OPTIONS request; `extraHeaders` lines go before the blank line.
func options(extraHeaders: String = "", body: String = "") -> String {
    let head = """
        OPTIONS sip:bob@example.com SIP/2.0
        Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKabc
        Max-Forwards: 70
        To: <sip:bob@example.com>
        From: <sip:alice@example.com>;tag=1
        Call-ID: c1@example.com
        CSeq: 1 OPTIONS
        """
    return (extraHeaders.isEmpty ? head : head + "\n" + extraHeaders) + "\n\n" + body
}
