import SIP
import Testing

@Suite("Digest authentication")
struct DigestTests {
    @Test("RFC 2617 §3.5 worked example (MD5, qop=auth)")
    func rfc2617Example() {
        let response = Digest.response(
            algorithm: .md5, credentials: DigestCredentials(username: "Mufasa", password: "Circle Of Life"),
            realm: "testrealm@host.com", method: "GET", uri: "/dir/index.html",
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093", clientNonce: "0a4f113b", nonceCount: "00000001", qop: "auth")
        #expect(response == "6629fae49393a05397450978507c4ef1")
    }

    @Test("RFC 7616 §3.9.1 example with MD5 and SHA-256")
    func rfc7616Example() {
        let credentials = DigestCredentials(username: "Mufasa", password: "Circle of Life")
        let arguments = (realm: "http-auth@example.org", nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
                         cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")
        let md5 = Digest.response(
            algorithm: .md5, credentials: credentials, realm: arguments.realm, method: "GET", uri: "/dir/index.html",
            nonce: arguments.nonce, clientNonce: arguments.cnonce, nonceCount: "00000001", qop: "auth")
        let sha256 = Digest.response(
            algorithm: .sha256, credentials: credentials, realm: arguments.realm, method: "GET", uri: "/dir/index.html",
            nonce: arguments.nonce, clientNonce: arguments.cnonce, nonceCount: "00000001", qop: "auth")
        #expect(md5 == "8ca523f5e9506fed4657c9700eebdbec")
        #expect(sha256 == "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")
    }

    @Test("challenge parsing: quoted and token values, qop list, stale, opaque")
    func challenge() throws {
        let challenge = try DigestChallenge(parsing: "Digest realm=\"atlanta.example.com\", nonce=\"84a4cc6f3082121f32b42a2187831a9e\", opaque=\"5ccc\", qop=\"auth,auth-int\", algorithm=MD5, stale=TRUE")
        #expect(challenge.realm == "atlanta.example.com")
        #expect(challenge.nonce == "84a4cc6f3082121f32b42a2187831a9e")
        #expect(challenge.opaque == "5ccc")
        #expect(challenge.algorithm == .md5)
        #expect(challenge.qopOptions == ["auth", "auth-int"])
        #expect(challenge.isStale)
        #expect(try DigestChallenge(parsing: "digest realm=r,nonce=abc/def=").nonce == "abc/def=")
    }

    @Test("challenge errors")
    func challengeErrors() {
        #expect(throws: DigestError.notDigest("Basic")) { try DigestChallenge(parsing: "Basic realm=\"x\"") }
        #expect(throws: DigestError.missingParameter("nonce")) { try DigestChallenge(parsing: "Digest realm=\"x\"") }
        #expect(throws: DigestError.unsupportedAlgorithm("SHA-512-256")) { try DigestChallenge(parsing: "Digest realm=\"x\", nonce=\"n\", algorithm=SHA-512-256") }
        #expect(throws: DigestError.malformedParameters("Digest realm")) { try DigestChallenge(parsing: "Digest realm") }
    }

    @Test("the first supported challenge wins, in server order (RFC 8760 §2.4)")
    func preference() {
        let chosen = Digest.preferredChallenge(among: [
            "Digest realm=\"r\", nonce=\"1\", algorithm=SHA-512-256",
            "Digest realm=\"r\", nonce=\"2\", algorithm=SHA-256",
            "Digest realm=\"r\", nonce=\"3\", algorithm=MD5",
        ])
        #expect(chosen?.algorithm == .sha256)
        #expect(chosen?.nonce == "2")
    }

    @Test("Authorization header carries every field and a verifiable response")
    func authorizationHeader() throws {
        let challenge = try DigestChallenge(parsing: "Digest realm=\"testrealm@host.com\", qop=\"auth\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"")
        let value = try Digest.authorization(
            answering: challenge, credentials: DigestCredentials(username: "Mufasa", password: "Circle Of Life"),
            method: SIPMethod("GET"), uri: "/dir/index.html", clientNonce: "0a4f113b")
        #expect(value == "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", response=\"6629fae49393a05397450978507c4ef1\", algorithm=MD5, opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", qop=auth, nc=00000001, cnonce=\"0a4f113b\"")
    }

    @Test("RFC 2069 challenges without qop and auth-int-only challenges")
    func otherQops() throws {
        let legacy = try DigestChallenge(parsing: "Digest realm=\"r\", nonce=\"n\"")
        let value = try Digest.authorization(answering: legacy, credentials: DigestCredentials(username: "u", password: "p"), method: .invite, uri: "sip:a@b", clientNonce: "c")
        #expect(!value.contains("qop="))
        #expect(!value.contains("cnonce="))
        let integrity = try DigestChallenge(parsing: "Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\", algorithm=MD5-sess")
        let protected = try Digest.authorization(answering: integrity, credentials: DigestCredentials(username: "u", password: "p"), method: .invite, uri: "sip:a@b", body: Array("v=0".utf8), clientNonce: "c")
        #expect(protected.contains("qop=auth-int"))
        #expect(protected.contains("algorithm=MD5-sess"))
        let unknown = try DigestChallenge(parsing: "Digest realm=\"r\", nonce=\"n\", qop=\"auth-conf\"")
        #expect(throws: DigestError.unsupportedQop(["auth-conf"])) {
            try Digest.authorization(answering: unknown, credentials: DigestCredentials(username: "u", password: "p"), method: .invite, uri: "sip:a@b", clientNonce: "c")
        }
    }
}
