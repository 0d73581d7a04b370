import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("HTTP API: pool")
struct PoolAPITests {
    static let pool = """
        number,purpose,filing_ref,display_name,status
        0755-83201001,service,SZ-1,示例银行,active
        020-83601001,service,GZ-1,示例银行,active
        13802551111,marketing,SZ-2,示例银行,active
        0755-83201009,service,SZ-9,,standby
        """

    @Test("select, dial and finish; marketing needs a trained agent")
    func selection() async throws {
        try await withAPI { client in
            _ = try await client.send(.post, "/v1/caller-numbers/import", json: Self.pool, contentType: "text/csv")
            let selected = try await client.send(.post, "/v1/caller-numbers/select", json: #"{"callee": "13802551234", "purpose": "service"}"#)
            #expect(selected.status == .ok)
            let body = try json(selected)
            #expect(body["number"] as? String == "+8675583201001")
            #expect(body["matchLevel"] as? String == "city")
            #expect(body["usedToday"] as? Int == 1)
            #expect(body["cap"] as? Int == 20)
            let reservation = try #require(body["reservationId"] as? String)
            let dialled = try await client.send(.post, "/v1/reservations/\(reservation)/dial")
            #expect(try json(dialled)["number"] as? String == "+8675583201001")
            #expect(try await client.send(.post, "/v1/reservations/\(reservation)/finish").status == .noContent)
            #expect(try await client.send(.post, "/v1/reservations/\(reservation)/finish").status == .notFound)

            let noAgent = try await client.send(.post, "/v1/caller-numbers/select", json: #"{"callee": "13802551234", "purpose": "marketing"}"#)
            #expect(noAgent.status == .unprocessableContent)
            #expect(try json(noAgent)["rule"] as? String == "P6")
            _ = try await client.send(.put, "/v1/agents/wang", json: #"{"name": "王", "trained": true}"#)
            let marketing = try await client.send(.post, "/v1/caller-numbers/select", json: #"{"callee": "13802551234", "purpose": "marketing", "agent": "wang"}"#)
            #expect(try json(marketing)["number"] as? String == "+8613802551111")
        }
    }

    @Test("marks: a fraud mark suspends at once and opens an urgent appeal; health, appeals and evidence")
    func marksAndAppeals() async throws {
        try await withAPI { client in
            _ = try await client.send(.post, "/v1/caller-numbers/import", json: Self.pool, contentType: "text/csv")
            let report = try json(try await client.send(.post, "/v1/marks", json: """
                [{"number": "0755-83201001", "platform": "tencent", "kind": "fraud", "count": 1},
                 {"number": "13900139000", "platform": "360", "kind": "sales", "count": 1},
                 {"number": "020-83601001", "platform": "360", "kind": "sales", "count": -1}]
                """))
            #expect(report["recorded"] as? Int == 1)
            #expect((report["problems"] as? [[String: Any]])?.map { $0["index"] as? Int } == [1, 2])
            #expect((report["actions"] as? [[String: Any]])?.map { $0["rule"] as? String } == ["P10", "P10"])
            let number = try json(try await client.send(.get, "/v1/caller-numbers/0755-83201001"))
            #expect(number["status"] as? String == "suspended")
            let health = try json(try await client.send(.get, "/v1/caller-numbers/0755-83201001/health"))
            #expect(health["score"] as? Int == 0)
            #expect(((health["marks"] as? [String: Any])?["tencent"] as? [String: Int])?["fraud"] == 1)

            let appeals = try #require(JSONSerialization.jsonObject(with: Data(buffer: try await client.send(.get, "/v1/appeals").body)) as? [[String: Any]])
            #expect(appeals.count == 1)
            #expect(appeals.first?["urgent"] as? Bool == true)
            let id = try #require(appeals.first?["id"] as? Int)
            let detail = try json(try await client.send(.get, "/v1/appeals/\(id)"))
            #expect((detail["evidence"] as? [String: Any])?["filingRef"] as? String == "SZ-1")
            let submitted = try json(try await client.send(.patch, "/v1/appeals/\(id)", json: #"{"state": "submitted"}"#))
            #expect(submitted["dueAt"] != nil)
            let wrong = try await client.send(.patch, "/v1/appeals/\(id)", json: #"{"state": "draft"}"#)
            #expect(wrong.status == .conflict)
            #expect(try await client.send(.post, "/v1/appeals", json: #"{"number": "0755-83201001", "platform": "tencent"}"#).status == .conflict)
        }
    }

    @Test("plan, evaluation, review and agents' report")
    func jobs() async throws {
        try await withAPI { client in
            _ = try await client.send(.post, "/v1/caller-numbers/import", json: Self.pool, contentType: "text/csv")
            let plan = try json(try await client.send(.get, "/v1/pool/plan?dailyCalls=1000"))
            let line = try #require((plan["lines"] as? [[String: Any]])?.first)
            #expect(line["activeNeeded"] as? Int == 50)
            #expect(line["standbyNeeded"] as? Int == 13)
            #expect(line["activeNow"] as? Int == 2)
            let evaluation = try json(try await client.send(.post, "/v1/pool/evaluate"))
            #expect((evaluation["standbyShortfall"] as? [String: Int])?["marketing/华南"] == 1)
            let review = try await client.send(.post, "/v1/pool/review?dryRun=true")
            #expect(review.status == .ok)
            #expect(try await client.send(.get, "/v1/reports/agents?month=2026-11").status == .ok)
            #expect(try await client.send(.get, "/v1/reports/agents?month=November").status == .badRequest)
        }
    }
}
