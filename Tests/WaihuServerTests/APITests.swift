import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import WaihuCore
import WaihuServer
import WaihuStore

/// An application on a fresh SQLite file with a fixed clock.
func withAPI(
    importLimitBytes: Int = 1 << 20, _ test: @escaping @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("waihu-api-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let store = try SQLiteStore(path: folder.appendingPathComponent("waihu.sqlite").path)
    // Thursday 2026-11-19, 23:06:40 in Beijing: outside calling hours.
    let now = Timestamp(iso8601: "2026-11-19T23:06:40+08:00")!.date
    let gate = try await ComplianceGate.load(store: store, policy: .defaults, now: now)
    let selector = try await PoolService.makeSelector(store: store, policy: .defaults, now: now)
    let dependencies = WaihuServerDependencies(
        callerNumbers: store, compliance: gate, optIns: OptInService(gate: gate, store: store, gateway: nil),
        pool: PoolService(store: store, selector: selector, policy: .defaults), clock: { now }, importLimitBytes: importLimitBytes)
    var logger = Logger(label: "waihu.test")
    logger.logLevel = .warning
    let app = try buildApplication(host: "127.0.0.1", port: 0, dependencies: dependencies, logger: logger)
    try await app.test(.router, test)
}

/// The JSON object of a response body.
func json(_ response: TestResponse) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
}

extension TestClientProtocol {
    @discardableResult
    func send(_ method: HTTPRequest.Method, _ uri: String, json body: String? = nil, contentType: String = "application/json")
        async throws -> TestResponse
    {
        var headers: HTTPFields = [:]
        if body != nil { headers[.contentType] = contentType }
        return try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }
}

@Suite("HTTP API")
struct APITests {
    @Test("lookup: the number's kind, carrier and region; invalid numbers are a 422 problem naming the reason")
    func lookup() async throws {
        try await withAPI { client in
            let mobile = try await client.send(.get, "/v1/lookup/13800138000")
            #expect(mobile.status == .ok)
            let info = try json(mobile)
            #expect(info["e164"] as? String == "+8613800138000")
            #expect(info["kind"] as? String == "mobile")
            #expect(info["carrier"] as? String == "中国移动")
            #expect(info["province"] as? String == "北京")
            #expect(info["regionGroup"] as? String == "华北")

            let fixed = try json(try await client.send(.get, "/v1/lookup/%2B86%20755%208888%201234"))
            #expect(fixed["e164"] as? String == "+8675588881234")
            #expect(fixed["city"] as? String == "深圳")
            #expect(fixed["areaCode"] as? String == "0755")

            let invalid = try await client.send(.get, "/v1/lookup/12345")
            #expect(invalid.status == .unprocessableContent)
            #expect(invalid.headers[.contentType]?.hasPrefix("application/problem+json") == true)
            let problem = try json(invalid)
            #expect(problem["status"] as? Int == 422)
            #expect((problem["detail"] as? String)?.contains("short service number") == true)
        }
    }

    @Test("create, read, change and history of a caller number")
    func lifecycle() async throws {
        try await withAPI { client in
            let created = try await client.send(.post, "/v1/caller-numbers", json: """
                {"number": "0755-8888-1234", "purpose": "service", "filingRef": "SZ-1", "displayName": "示例银行", "status": "active"}
                """)
            #expect(created.status == .created)
            #expect(created.headers[.location] == "/v1/caller-numbers/+8675588881234")
            let body = try json(created)
            #expect(body["number"] as? String == "+8675588881234")
            #expect(body["kind"] as? String == "fixed_line")
            #expect(body["province"] as? String == "广东")
            #expect(body["dailyCap"] as? Int == 20)  // RULES P3 default from the policy

            let again = try await client.send(.post, "/v1/caller-numbers", json: #"{"number": "075588881234", "purpose": "service", "filingRef": "SZ-1"}"#)
            #expect(again.status == .conflict)

            let fetched = try await client.send(.get, "/v1/caller-numbers/0755-88881234")
            #expect(fetched.status == .ok)
            #expect(try json(fetched)["displayName"] as? String == "示例银行")

            let changed = try await client.send(.patch, "/v1/caller-numbers/%2B8675588881234", json: #"{"status": "resting", "dailyCap": 15, "reason": "connect rate down"}"#)
            #expect(changed.status == .ok)
            #expect(try json(changed)["status"] as? String == "resting")

            let history = try await client.send(.get, "/v1/caller-numbers/+8675588881234/history")
            let events = try #require(JSONSerialization.jsonObject(with: Data(buffer: history.body)) as? [[String: Any]])
            #expect(events.map { $0["field"] as? String } == ["created", "status", "daily_cap"])
            #expect(events[1]["reason"] as? String == "connect rate down")

            _ = try await client.send(.patch, "/v1/caller-numbers/+8675588881234", json: #"{"status": "retired"}"#)
            let revived = try await client.send(.patch, "/v1/caller-numbers/+8675588881234", json: #"{"status": "active"}"#)
            #expect(revived.status == .conflict)
            #expect(try json(revived)["rule"] as? String == "P13")

            #expect(try await client.send(.get, "/v1/caller-numbers/13900139000").status == .notFound)
            #expect(try await client.send(.get, "/v1/caller-numbers/not-a-number").status == .unprocessableContent)
            #expect(try await client.send(.get, "/v1/caller-numbers/13900139000/history").status == .notFound)
        }
    }

    @Test("rule violations and malformed bodies are problems that say what is wrong")
    func problems() async throws {
        try await withAPI { client in
            let virtual = try await client.send(.post, "/v1/caller-numbers", json: #"{"number": "17012345678", "purpose": "marketing", "filingRef": "V-1"}"#)
            #expect(virtual.status == .unprocessableContent)
            let p8 = try json(virtual)
            #expect(p8["rule"] as? String == "P8")
            #expect((p8["detail"] as? String)?.contains("virtual") == true)

            let noFiling = try await client.send(.post, "/v1/caller-numbers", json: #"{"number": "13800138000", "purpose": "service", "filingRef": " "}"#)
            #expect(noFiling.status == .unprocessableContent)
            #expect(try json(noFiling)["rule"] as? String == "P8")

            let badNumber = try await client.send(.post, "/v1/caller-numbers", json: #"{"number": "138", "purpose": "service", "filingRef": "X"}"#)
            #expect(badNumber.status == .unprocessableContent)
            #expect((try json(badNumber)["detail"] as? String)?.contains("'138' is not a valid phone number") == true)

            let wrongType = try await client.send(.post, "/v1/caller-numbers", json: #"{"number": "13800138000", "purpose": "service", "filingRef": "X", "dailyCap": "many"}"#)
            #expect(wrongType.status == .badRequest)
            #expect((try json(wrongType)["detail"] as? String)?.contains("'dailyCap' must be a whole number") == true)

            let missing = try await client.send(.post, "/v1/caller-numbers", json: #"{"number": "13800138000", "filingRef": "X"}"#)
            #expect(missing.status == .badRequest)
            #expect((try json(missing)["detail"] as? String)?.contains("'purpose' is required") == true)

            let badEnum = try await client.send(.post, "/v1/caller-numbers", json: #"{"number": "13800138000", "purpose": "sales", "filingRef": "X"}"#)
            #expect(badEnum.status == .badRequest)
            #expect((try json(badEnum)["detail"] as? String)?.contains("'purpose'") == true)

            let notJSON = try await client.send(.post, "/v1/caller-numbers", json: "{number:")
            #expect(notJSON.status == .badRequest)
            #expect(notJSON.headers[.contentType]?.hasPrefix("application/problem+json") == true)

            _ = try await client.send(.post, "/v1/caller-numbers", json: #"{"number": "13800138000", "purpose": "service", "filingRef": "X"}"#)
            let emptyPatch = try await client.send(.patch, "/v1/caller-numbers/13800138000", json: #"{"reason": "nothing"}"#)
            #expect(emptyPatch.status == .badRequest)
            let capPatch = try await client.send(.patch, "/v1/caller-numbers/13800138000", json: #"{"dailyCap": 0}"#)
            #expect(capPatch.status == .unprocessableContent)
            #expect(try json(capPatch)["rule"] as? String == "P3")

            let unknownRoute = try await client.send(.get, "/v2/anything")
            #expect(unknownRoute.status == .notFound)
            #expect(unknownRoute.headers[.contentType]?.hasPrefix("application/problem+json") == true)
        }
    }

    @Test("listing filters and pages; bad filters are 400")
    func listing() async throws {
        try await withAPI { client in
            let csv = """
                number,purpose,filing_ref,status
                010-58001001,service,A,active
                010-58001002,service,B,standby
                020-83601001,service,C,active
                0755-83201001,marketing,D,active
                0755-83201002,marketing,E,suspended
                """
            _ = try await client.send(.post, "/v1/caller-numbers/import", json: csv, contentType: "text/csv")
            let active = try json(try await client.send(.get, "/v1/caller-numbers?status=active"))
            #expect(active["total"] as? Int == 3)
            let several = try json(try await client.send(.get, "/v1/caller-numbers?status=standby&status=suspended"))
            #expect(several["total"] as? Int == 2)
            let guangdong = try json(try await client.send(.get, "/v1/caller-numbers?province=%E5%B9%BF%E4%B8%9C&purpose=marketing"))
            #expect(guangdong["total"] as? Int == 2)
            let byGroup = try json(try await client.send(.get, "/v1/caller-numbers?regionGroup=north"))
            #expect(byGroup["total"] as? Int == 2)

            let first = try json(try await client.send(.get, "/v1/caller-numbers?limit=2"))
            #expect((first["items"] as? [Any])?.count == 2)
            let cursor = try #require(first["nextCursor"] as? String)
            let second = try json(try await client.send(.get, "/v1/caller-numbers?limit=2&cursor=\(cursor.replacingOccurrences(of: "+", with: "%2B"))"))
            let third = try json(try await client.send(.get, "/v1/caller-numbers?limit=2&cursor=\((second["nextCursor"] as? String ?? "").replacingOccurrences(of: "+", with: "%2B"))"))
            #expect((third["items"] as? [Any])?.count == 1)
            #expect(third["nextCursor"] == nil)

            #expect(try await client.send(.get, "/v1/caller-numbers?province=Atlantis").status == .badRequest)
            #expect(try await client.send(.get, "/v1/caller-numbers?limit=0").status == .badRequest)
            #expect(try await client.send(.get, "/v1/caller-numbers?status=sleeping").status == .badRequest)
        }
    }

    @Test("CSV import: per-row report, idempotent, whole-file errors and size limit")
    func importing() async throws {
        try await withAPI(importLimitBytes: 4096) { client in
            let csv = "number\tpurpose\tfiling_ref\n13800138000\tservice\tA\n12345\tservice\tB\n17012345678\tmarketing\tC\n"
            let first = try await client.send(.post, "/v1/caller-numbers/import", json: csv, contentType: "text/tab-separated-values")
            #expect(first.status == .ok)
            let report = try json(first)
            #expect(report["created"] as? Int == 1)
            #expect(report["rejected"] as? Int == 2)
            let problems = try #require(report["problems"] as? [[String: Any]])
            #expect(problems.map { $0["line"] as? Int } == [3, 4])
            #expect((problems[1]["reason"] as? String)?.contains("RULES P8") == true)

            let second = try json(try await client.send(.post, "/v1/caller-numbers/import", json: csv, contentType: "text/tab-separated-values"))
            #expect(second["created"] as? Int == 0)
            #expect(second["unchanged"] as? Int == 1)

            let noHeader = try await client.send(.post, "/v1/caller-numbers/import", json: "13800138000,service\n", contentType: "text/csv")
            #expect(noHeader.status == .badRequest)
            #expect((try json(noHeader)["detail"] as? String)?.contains("unknown column") == true)

            let large = "number,purpose,filing_ref\n" + String(repeating: "13800138000,service,A\n", count: 400)
            let tooLarge = try await client.send(.post, "/v1/caller-numbers/import", json: large, contentType: "text/csv")
            #expect(tooLarge.status == .contentTooLarge)
        }
    }

    @Test("health, metrics and the OpenAPI document")
    func operations() async throws {
        try await withAPI { client in
            let health = try await client.send(.get, "/healthz")
            #expect(health.status == .ok)
            #expect(try json(health)["store"] as? String == "ok")
            let metrics = try await client.send(.get, "/metrics")
            #expect(metrics.status == .ok)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            let spec = try await client.send(.get, "/openapi.yaml")
            #expect(String(buffer: spec.body).contains("operationId: importCallerNumbers"))
        }
    }
}
