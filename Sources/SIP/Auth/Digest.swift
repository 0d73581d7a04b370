import Crypto
import Foundation

/// Why a digest challenge cannot be answered.
public enum DigestError: Error, Hashable, Sendable {
    /// The challenge scheme is not `Digest` (the value is the scheme found).
    case notDigest(String)
    /// A parameter the challenge needs is absent (RFC 2617 §3.2.1).
    case missingParameter(String)
    /// The parameter list does not follow `name=value *(, name=value)`.
    case malformedParameters(String)
    /// The algorithm is not MD5, MD5-sess, SHA-256 or SHA-256-sess.
    case unsupportedAlgorithm(String)
    /// The challenge offers only qop values other than `auth` and `auth-int`.
    case unsupportedQop([String])
}

/// Digest hash algorithms (RFC 2617 §3.2.1, RFC 7616 §3.3, RFC 8760 §2).
public enum DigestAlgorithm: String, Hashable, Sendable, CaseIterable {
    case md5 = "MD5"
    case md5Session = "MD5-sess"
    case sha256 = "SHA-256"
    case sha256Session = "SHA-256-sess"

    /// Matches an algorithm token case-insensitively.
    public init?(token: String) {
        guard let match = Self.allCases.first(where: { $0.rawValue.lowercased() == token.lowercased() }) else {
            return nil
        }
        self = match
    }

    /// Lower-case hex digest of `text` (RFC 2617 §3.2.1 H, RFC 7616 §3.4.1).
    func hash(_ bytes: some DataProtocol) -> String {
        switch self {
        case .md5, .md5Session: Insecure.MD5.hash(data: bytes).map { SIPIdentifiers.hex(UInt64($0), digits: 2) }.joined()
        case .sha256, .sha256Session: SHA256.hash(data: bytes).map { SIPIdentifiers.hex(UInt64($0), digits: 2) }.joined()
        }
    }

    func hash(_ text: String) -> String {
        hash(Array(text.utf8))
    }

    var isSession: Bool { self == .md5Session || self == .sha256Session }
}

/// A `WWW-Authenticate` / `Proxy-Authenticate` Digest challenge (RFC 2617 §3.2.1, RFC 3261 §22.4).
public struct DigestChallenge: Hashable, Sendable {
    /// The protection space.
    public var realm: String
    /// The server nonce.
    public var nonce: String
    /// Opaque data to echo back.
    public var opaque: String?
    /// The algorithm; MD5 when the challenge names none (RFC 2617 §3.2.1).
    public var algorithm: DigestAlgorithm
    /// The qop values offered, empty for RFC 2069-style challenges.
    public var qopOptions: [String]
    /// `stale=true`: the nonce expired but the credentials were right (RFC 2617 §3.2.1).
    public var isStale: Bool

    /// Parses a challenge header value such as `Digest realm="x", nonce="y", qop="auth"`.
    public init(parsing value: String) throws(DigestError) {
        var scanner = ByteScanner(value)
        scanner.skipWhitespace()
        let scheme = scanner.scanToken() ?? ""
        guard scheme.lowercased() == "digest" else { throw .notDigest(scheme) }
        let parameters = try Self.parseParameters(&scanner, text: value)
        guard let realm = parameters["realm"] else { throw .missingParameter("realm") }
        guard let nonce = parameters["nonce"] else { throw .missingParameter("nonce") }
        let algorithmToken = parameters["algorithm"] ?? "MD5"
        guard let algorithm = DigestAlgorithm(token: algorithmToken) else { throw .unsupportedAlgorithm(algorithmToken) }
        self.realm = realm
        self.nonce = nonce
        self.opaque = parameters["opaque"]
        self.algorithm = algorithm
        self.qopOptions = (parameters["qop"] ?? "").split(separator: ",").map { String($0).trimmingSIPWhitespace() }.filter { !$0.isEmpty }
        self.isStale = parameters["stale"]?.lowercased() == "true"
    }

    // RFC 2617 §3.2.1: auth-param = token "=" ( token | quoted-string ), comma-separated.
    private static func parseParameters(_ scanner: inout ByteScanner, text: String) throws(DigestError) -> [String: String] {
        var parameters: [String: String] = [:]
        repeat {
            scanner.skipWhitespace()
            guard let name = scanner.scanToken(), scanner.consumeSeparator(UInt8(ascii: "=")) else {
                throw .malformedParameters(text)
            }
            let value: String
            if scanner.peek == UInt8(ascii: "\"") {
                guard let quoted = try? scanner.scanQuotedString() else { throw .malformedParameters(text) }
                value = QuotedString.unquote(quoted)
            } else {
                // Servers send unquoted nonces with "/" or "="; accept anything up to the next separator.
                let raw = scanner.scan { $0 != UInt8(ascii: ",") && !CharacterClass.isWhitespace($0) }
                guard !raw.isEmpty else { throw .malformedParameters(text) }
                value = String(decoding: raw, as: UTF8.self)
            }
            parameters[name.lowercased()] = value
        } while scanner.consumeSeparator(UInt8(ascii: ","))
        scanner.skipWhitespace()
        guard scanner.isAtEnd else { throw .malformedParameters(text) }
        return parameters
    }
}

/// A username and password for digest authentication.
public struct DigestCredentials: Hashable, Sendable {
    /// The username.
    public var username: String
    /// The password.
    public var password: String

    /// Creates credentials.
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
}

/// Digest response computation (RFC 2617 §3.2.2, RFC 7616 §3.4, RFC 8760).
public enum Digest {
    /// The first challenge whose algorithm is supported, honouring the server's order (RFC 8760 §2.4).
    public static func preferredChallenge(among values: [String]) -> DigestChallenge? {
        values.lazy.compactMap { try? DigestChallenge(parsing: $0) }.first
    }

    /// The `request-digest` (RFC 2617 §3.2.2.1). `qop` nil selects the RFC 2069 form.
    public static func response(
        algorithm: DigestAlgorithm,
        credentials: DigestCredentials,
        realm: String,
        method: String,
        uri: String,
        nonce: String,
        clientNonce: String,
        nonceCount: String,
        qop: String?,
        body: [UInt8] = []
    ) -> String {
        // RFC 2617 §3.2.2.2 A1, with the -sess variant.
        var ha1 = algorithm.hash("\(credentials.username):\(realm):\(credentials.password)")
        if algorithm.isSession {
            ha1 = algorithm.hash("\(ha1):\(nonce):\(clientNonce)")
        }
        // RFC 2617 §3.2.2.3 A2; auth-int adds H(entity-body).
        let a2 = qop == "auth-int" ? "\(method):\(uri):\(algorithm.hash(body))" : "\(method):\(uri)"
        let ha2 = algorithm.hash(a2)
        guard let qop else {
            return algorithm.hash("\(ha1):\(nonce):\(ha2)")
        }
        return algorithm.hash("\(ha1):\(nonce):\(nonceCount):\(clientNonce):\(qop):\(ha2)")
    }

    /// The `Authorization` / `Proxy-Authorization` value answering `challenge` (RFC 3261 §22.4).
    public static func authorization(
        answering challenge: DigestChallenge,
        credentials: DigestCredentials,
        method: SIPMethod,
        uri: String,
        body: [UInt8] = [],
        clientNonce: String,
        nonceCount: UInt32 = 1
    ) throws(DigestError) -> String {
        let qop: String?
        if challenge.qopOptions.isEmpty {
            qop = nil
        } else if challenge.qopOptions.contains("auth") {
            qop = "auth"
        } else if challenge.qopOptions.contains("auth-int") {
            qop = "auth-int"
        } else {
            throw .unsupportedQop(challenge.qopOptions)
        }
        let count = SIPIdentifiers.hex(UInt64(nonceCount), digits: 8)
        let digest = response(
            algorithm: challenge.algorithm, credentials: credentials, realm: challenge.realm,
            method: method.rawValue, uri: uri, nonce: challenge.nonce, clientNonce: clientNonce,
            nonceCount: count, qop: qop, body: body)
        var parts = [
            "username=\(QuotedString.quote(credentials.username))",
            "realm=\(QuotedString.quote(challenge.realm))",
            "nonce=\(QuotedString.quote(challenge.nonce))",
            "uri=\(QuotedString.quote(uri))",
            "response=\"\(digest)\"",
            "algorithm=\(challenge.algorithm.rawValue)",
        ]
        if let opaque = challenge.opaque { parts.append("opaque=\(QuotedString.quote(opaque))") }
        if let qop { parts += ["qop=\(qop)", "nc=\(count)", "cnonce=\(QuotedString.quote(clientNonce))"] }
        return "Digest " + parts.joined(separator: ", ")
    }
}
