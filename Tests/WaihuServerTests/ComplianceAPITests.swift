import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The API's clock (see `withAPI`) says Thursday 2026-11-19, 23:06:40 in Beijing — outside calling hours.
@Suite("HTTP API: compliance")
struct ComplianceAPITests {
    @Test("check: reasons with rule ids, next allowed time in the callee's zone, null when never")
    func check() async throws {
        try await withAPI { client in
            let night = try json(try await client.send(.post, "/v1/compliance/check", json: #"{"callee": "13800138000", "purpose": "service"}"#))
            #expect(night["allowed"] as? Bool == false)
            #expect((night["reasons"] as? [[String: Any]])?.map { $0["rule"] as? String } == ["C4"])
            #expect(night["nextAllowedAt"] as? String == "2026-11-20T08:00:00+08:00")
            #expect(night["localTime"] as? String == "2026-11-19T23:06:40+08:00")
            #expect(night["policyVersion"] as? String == "default")

            let marketing = try await client.send(.post, "/v1/compliance/check", json: #"{"callee": "13800138000", "purpose": "marketing", "at": "2026-11-20 10:00"}"#)
            let body = try json(marketing)
            #expect(body["allowed"] as? Bool == false)
            #expect((body["reasons"] as? [[String: Any]])?.first?["code"] as? String == "consent_missing")
            // null, not absent: the call may never be placed as things stand.
            #expect(String(buffer: marketing.body).contains(#""nextAllowedAt" : null"#))

            let morning = try json(try await client.send(.post, "/v1/compliance/check", json: #"{"callee": "13800138000", "purpose": "service", "at": "2026-11-20T10:00:00+08:00"}"#))
            #expect(morning["allowed"] as? Bool == true)
            #expect((morning["advice"] as? [String: Any])?["golden"] as? Bool == true)

            let badTime = try await client.send(.post, "/v1/compliance/check", json: #"{"callee": "13800138000", "purpose": "service", "at": "tomorrow"}"#)
            #expect(badTime.status == .unprocessableContent)
            #expect((try json(badTime)["detail"] as? String)?.contains("at 'tomorrow' is not a time") == true)
            let badPhone = try await client.send(.post, "/v1/compliance/check", json: #"{"callee": "123", "purpose": "service"}"#)
            #expect(badPhone.status == .unprocessableContent)
            #expect((try json(badPhone)["detail"] as? String)?.hasPrefix("callee: '123'") == true)
            let badPurpose = try await client.send(.post, "/v1/compliance/check", json: #"{"callee": "13800138000", "purpose": "sales"}"#)
            #expect(badPurpose.status == .badRequest)
        }
    }

    @Test("consent, then an admitted call kept with its consent, then the frequency limit")
    func consentAndAdmission() async throws {
        try await withAPI { client in
            let created = try await client.send(.post, "/v1/consents", json: """
                {"phone": "13800138000", "scope": "marketing", "channel": "web_checkbox", "evidence": "勾选《营销信息接收协议》v3", "grantedAt": "2026-11-01 10:00"}
                """)
            #expect(created.status == .created)
            let consent = try json(created)
            let consentId = try #require(consent["id"] as? Int)
            #expect((consent["evidenceSha256"] as? String)?.count == 64)
            #expect(consent["active"] as? Bool == true)

            let admitted = try json(try await client.send(.post, "/v1/compliance/check", json: """
                {"callee": "13800138000", "purpose": "marketing", "at": "2026-11-20 10:00", "record": true, "caller": "010-58001001", "campaign": "spring"}
                """))
            #expect(admitted["allowed"] as? Bool == true)
            #expect(admitted["consentId"] as? Int == consentId)
            let decisionId = try #require(admitted["decisionId"] as? Int)

            let second = try json(try await client.send(.post, "/v1/compliance/check", json: """
                {"callee": "13800138000", "purpose": "marketing", "at": "2026-11-20 10:05", "record": true, "caller": "021-63501001"}
                """))
            #expect(second["allowed"] as? Bool == false)
            #expect((second["reasons"] as? [[String: Any]])?.allSatisfy { $0["rule"] as? String == "C6" } == true)

            let noCaller = try await client.send(.post, "/v1/compliance/check", json: #"{"callee": "13800138000", "purpose": "service", "record": true}"#)
            #expect(noCaller.status == .unprocessableContent)

            let decisions = try #require(JSONSerialization.jsonObject(
                with: Data(buffer: try await client.send(.get, "/v1/compliance/decisions?phone=13800138000").body)) as? [[String: Any]])
            #expect(decisions.count == 2)
            #expect(decisions.last?["id"] as? Int == decisionId)
            #expect(decisions.last?["consentId"] as? Int == consentId)
            #expect(decisions.last?["campaign"] as? String == "spring")

            let outcome = try json(try await client.send(.post, "/v1/call-records", json: """
                {"callee": "13800138000", "caller": "010-58001001", "purpose": "marketing", "startedAt": "2026-11-20 10:00:03",
                 "outcome": "answered", "durationSeconds": 95, "decisionId": \(decisionId)}
                """))
            #expect(outcome["recorded"] as? Int == 0)
            #expect(outcome["duplicates"] as? Int == 1)

            let revoked = try await client.send(.post, "/v1/consents/\(consentId)/revoke", json: #"{"reason": "customer asked"}"#)
            #expect(revoked.status == .ok)
            #expect(try json(revoked)["revokedAt"] != nil)
            #expect(try await client.send(.post, "/v1/consents/\(consentId)/revoke", json: "{}").status == .conflict)
            #expect(try await client.send(.post, "/v1/consents/4242/revoke", json: "{}").status == .notFound)
            let list = try #require(JSONSerialization.jsonObject(
                with: Data(buffer: try await client.send(.get, "/v1/consents?phone=%2B8613800138000").body)) as? [[String: Any]])
            #expect(list.first?["active"] as? Bool == false)

            let futureGrant = try await client.send(.post, "/v1/consents", json: """
                {"phone": "13800138000", "scope": "marketing", "channel": "app", "evidence": "x", "grantedAt": "2027-01-01 10:00"}
                """)
            #expect(futureGrant.status == .unprocessableContent)
            #expect(try json(futureGrant)["rule"] as? String == "C1")
        }
    }

    @Test("do-not-call: add, show, import with line errors, remove")
    func doNotCall() async throws {
        try await withAPI { client in
            let added = try await client.send(.post, "/v1/dnc", json: #"{"phone": "13800138000", "reason": "refusal", "note": "说别再打了"}"#)
            #expect(added.status == .created)
            #expect(try json(added)["added"] as? Bool == true)
            #expect(try json(try await client.send(.post, "/v1/dnc", json: #"{"phone": "13800138000", "reason": "refusal"}"#))["added"] as? Bool == false)
            let entries = try #require(JSONSerialization.jsonObject(with: Data(buffer: try await client.send(.get, "/v1/dnc/13800138000").body)) as? [[String: Any]])
            #expect(entries.first?["rule"] as? String == "C7")

            let report = try json(try await client.send(.post, "/v1/dnc/import?reason=imported&source=national", json: "13900139000\nabc\n13700137000\n", contentType: "text/plain"))
            #expect(report["added"] as? Int == 2)
            #expect((report["problems"] as? [[String: Any]])?.first?["line"] as? Int == 2)

            let check = try json(try await client.send(.post, "/v1/compliance/check", json: #"{"callee": "13900139000", "purpose": "marketing", "at": "2026-11-20 10:00"}"#))
            #expect(Set((check["reasons"] as? [[String: Any]] ?? []).map { $0["rule"] as? String }) == ["C1", "C7"])

            let removed = try await client.send(.delete, "/v1/dnc/13900139000")
            #expect(try json(removed)["removed"] as? [String] == ["imported"])
            #expect(try await client.send(.delete, "/v1/dnc/13900139000").status == .notFound)
        }
    }

    @Test("call records: one or many; bad records are listed by index and do not land; they count at once")
    func callRecords() async throws {
        try await withAPI { client in
            let single = try json(try await client.send(.post, "/v1/call-records", json: """
                {"callee": "13800138000", "caller": "010-58001001", "purpose": "service", "startedAt": "2026-11-20 09:00", "outcome": "no_answer"}
                """))
            #expect(single["recorded"] as? Int == 1)
            let batch = try json(try await client.send(.post, "/v1/call-records", json: """
                [{"callee": "13900139000", "caller": "010-58001001", "purpose": "service", "startedAt": "2026-11-20 09:00", "outcome": "busy"},
                 {"callee": "12345", "caller": "010-58001001", "purpose": "service", "startedAt": "2026-11-20 09:00", "outcome": "busy"},
                 {"callee": "13700137000", "caller": "010-58001001", "purpose": "service", "startedAt": "yesterday", "outcome": "busy"},
                 {"callee": "13600136000", "caller": "010-58001001", "purpose": "service", "startedAt": "2026-11-20 09:00", "outcome": "busy", "durationSeconds": -1},
                 {"callee": "13800138000", "caller": "010-58001001", "purpose": "service", "startedAt": "2026-11-20 09:00", "outcome": "no_answer"}]
                """))
            #expect(batch["recorded"] as? Int == 1)
            #expect(batch["duplicates"] as? Int == 1)
            #expect(batch["rejected"] as? Int == 3)
            let problems = try #require(batch["problems"] as? [[String: Any]])
            #expect(problems.map { $0["index"] as? Int } == [1, 2, 3])
            #expect(problems.map { $0["field"] as? String } == ["callee", "startedAt", "durationSeconds"])

            let check = try json(try await client.send(.post, "/v1/compliance/check", json: #"{"callee": "13900139000", "purpose": "service", "at": "2026-11-20 15:00"}"#))
            #expect(check["allowed"] as? Bool == false)
            #expect(check["nextAllowedAt"] as? String == "2026-11-21T09:00:00+08:00")
        }
    }

    @Test("scrub: JSON summary by default, CSV on request")
    func scrub() async throws {
        try await withAPI { client in
            _ = try await client.send(.post, "/v1/dnc", json: #"{"phone": "13900139000", "reason": "complaint"}"#)
            let list = "phone,age\n13800138000,30\n13900139000,40\n13700137000,70\n12345,\n"
            let report = try json(try await client.send(.post, "/v1/compliance/scrub?purpose=service&at=2026-11-20T08:30:00%2B08:00", json: list, contentType: "text/csv"))
            let summary = try #require(report["summary"] as? [String: Any])
            #expect(summary["rows"] as? Int == 4)
            #expect(summary["callableNow"] as? Int == 1)
            #expect(summary["laterToday"] as? Int == 1)
            #expect(summary["never"] as? Int == 1)
            #expect(summary["invalid"] as? Int == 1)
            #expect((summary["shares"] as? [String: Double])?["now"] == 0.25)
            let reasons = try #require(summary["byReason"] as? [[String: Any]])
            #expect(Set(reasons.map { $0["code"] as? String }) == ["dnc_complaint", "elderly_hours"])
            let rows = try #require(report["rows"] as? [[String: Any]])
            #expect(rows.map { $0["line"] as? Int } == [2, 3, 4, 5])
            #expect(rows[2]["nextAllowedAt"] as? String == "2026-11-20T09:00:00+08:00")

            let csv = try await client.execute(
                uri: "/v1/compliance/scrub?purpose=service&at=2026-11-20T08:30:00%2B08:00", method: .post,
                headers: [.contentType: "text/csv", .accept: "text/csv"], body: ByteBuffer(string: list))
            let lines = String(buffer: csv.body).split(separator: "\n")
            #expect(lines.first == "line,input,e164,category,rules,reasons,next_allowed_at")
            #expect(lines.count == 5)
            #expect(lines.contains("3,13900139000,+8613900139000,never,C8,dnc_complaint,"))

            let noHeader = try await client.send(.post, "/v1/compliance/scrub?purpose=service", json: "a,b\n1,2\n", contentType: "text/csv")
            #expect(noHeader.status == .badRequest)
        }
    }

    @Test("opt-in without a configured gateway is a 503 that says so; inbound SMS is always answered")
    func smsWithoutGateway() async throws {
        try await withAPI { client in
            let optIn = try await client.send(.post, "/v1/optins", json: #"{"phone": "13800138000", "scope": "marketing", "offer": "优惠"}"#)
            #expect(optIn.status == .serviceUnavailable)
            #expect((try json(optIn)["detail"] as? String)?.contains("sms.gatewayURL") == true)
            let inbound = try json(try await client.send(.post, "/v1/sms/inbound", json: #"{"from": "13800138000", "text": "N"}"#))
            #expect(inbound["result"] as? String == "refusal_recorded")
            let garbage = try json(try await client.send(.post, "/v1/sms/inbound", json: #"{"from": "13800138000", "text": "🙂"}"#))
            #expect(garbage["result"] as? String == "unrecognised")
        }
    }
}
