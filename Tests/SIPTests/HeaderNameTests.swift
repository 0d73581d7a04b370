@testable import SIP
import Testing

/// `isList` and `isTokenList` read mask literals; each must hold exactly the well-known headers listed here.
@Suite("Header names")
struct HeaderNameTests {
    /// Headers whose grammar is a comma-separated list, so `a, b` equals two header lines (RFC 3261 §7.3.1).
    /// Authentication headers are excluded because their parameters are comma-separated (RFC 3261 §7.3.1).
    static let listNames: Set<String> = [
        "Accept", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow", "Allow-Events", "Call-Info",
        "Contact", "Content-Encoding", "Content-Language", "Error-Info", "In-Reply-To", "Proxy-Require",
        "Record-Route", "Require", "Route", "Supported", "Unsupported", "Via", "Warning",
    ]

    /// RFC 3261 §20: list headers whose elements are tokens or media types, with no URI; the serializer
    /// joins only elements without quotes (Accept's parameters may quote), see `isPlainListElement`.
    static let tokenListNames: Set<String> = [
        "Accept", "Accept-Encoding", "Accept-Language", "Allow", "Allow-Events", "Content-Encoding",
        "Content-Language", "Proxy-Require", "Require", "Supported", "Unsupported",
    ]

    @Test("the list masks have a bit for each listed name and no other")
    func listMasks() {
        for (mask, names) in [(SIPHeaderName.listMask, Self.listNames), (SIPHeaderName.tokenListMask, Self.tokenListNames)] {
            let indexes = names.map { SIPHeaderName($0).wellKnownIndex }
            #expect(indexes.allSatisfy { (0..<64).contains($0) }, "every listed name is well known")
            #expect(mask == indexes.reduce(UInt64(0)) { $0 | 1 << UInt64($1) })
        }
    }

    @Test("compact forms and any letter case are lists like their full names; unknown names are not")
    func listsByAnySpelling() {
        #expect(SIPHeaderName("v").isList && !SIPHeaderName("v").isTokenList)
        #expect(SIPHeaderName("m").isList)
        #expect(SIPHeaderName("ALLOW").isList && SIPHeaderName("allow").isTokenList)
        #expect(!SIPHeaderName("From").isList && !SIPHeaderName("WWW-Authenticate").isList)
        #expect(!SIPHeaderName("X-Custom").isList && !SIPHeaderName("X-Custom").isTokenList)
    }
}
