import Foundation
import HTTPTypes
import OpenAPIRuntime
import Prometheus
import WaihuCore

/// The handlers of `openapi.yaml`. They translate between the generated wire types and the core; the
/// rules themselves live in WaihuCore and the data behind the store port.
struct WaihuAPI: APIProtocol {
    let dependencies: WaihuServerDependencies

    var directory: PhoneDirectory { dependencies.directory }
    private var store: any CallerNumberStore { dependencies.callerNumbers }
    private var policy: PoolPolicy { dependencies.policy.pool }
    var now: Date { dependencies.clock() }

    // MARK: - Operations

    func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        do {
            try await store.checkHealth()
        } catch {
            return .serviceUnavailable(.init(body: .applicationProblemJson(APIProblem(
                status: .serviceUnavailable, slug: "store-unavailable", title: "Store unavailable",
                detail: "the store does not answer: \(error)").body)))
        }
        return .ok(.init(body: .json(.init(status: .ok, store: .ok, version: dependencies.version))))
    }

    func getMetrics(_ input: Operations.GetMetrics.Input) async throws -> Operations.GetMetrics.Output {
        .ok(.init(body: .plainText(HTTPBody(dependencies.metrics.emitToBuffer()))))
    }

    func lookupPhone(_ input: Operations.LookupPhone.Input) async throws -> Operations.LookupPhone.Output {
        let text = input.path.phone
        do {
            return .ok(.init(body: .json(.init(try directory.lookup(text)))))
        } catch {
            return .unprocessableContent(.init(body: .applicationProblemJson(APIProblem.invalidNumber(text, error).body)))
        }
    }

    func listCallerNumbers(_ input: Operations.ListCallerNumbers.Input) async throws -> Operations.ListCallerNumbers.Output {
        let query = input.query
        var filter = CallerNumberQuery(
            statuses: (query.status ?? []).map { CallerNumberStatus($0) }, purpose: query.purpose.map(NumberPurpose.init),
            after: query.cursor, limit: query.limit ?? 50)
        if let text = query.province {
            guard let province = Province(parsing: text) else {
                throw APIProblem.badRequest("province '\(text)' is unknown; give a name such as 广东 or Guangdong, or a code such as 44")
            }
            filter.province = province
        }
        if let text = query.regionGroup {
            guard let group = RegionGroup(parsing: text) else {
                throw APIProblem.badRequest("region group '\(text)' is unknown; use 华北, 东北, 华东, 华中, 华南, 西南 or 西北")
            }
            filter.regionGroup = group
        }
        guard (1...1000).contains(filter.limit) else {
            throw APIProblem.badRequest("limit \(filter.limit) is out of range; give 1 to 1000")
        }
        let page = try await store.callerNumbers(matching: filter)
        return .ok(.init(body: .json(.init(
            items: page.items.map(Components.Schemas.CallerNumber.init), total: page.total, nextCursor: page.nextCursor))))
    }

    func createCallerNumber(_ input: Operations.CreateCallerNumber.Input) async throws -> Operations.CreateCallerNumber.Output {
        guard case let .json(body) = input.body else { throw APIProblem.badRequest("send the number as JSON") }
        let info: PhoneInfo
        do {
            info = try directory.lookup(body.number)
        } catch {
            throw APIProblem.invalidNumber(body.number, error)
        }
        let draft = try CallerNumberDraft(
            info: info, purpose: NumberPurpose(body.purpose), filingReference: body.filingRef,
            displayName: body.displayName, status: body.status.map(CallerNumberStatus.init), dailyCap: body.dailyCap,
            policy: policy)
        let number = try await store.add(draft, policy: policy, at: now, actor: "api")
        try await dependencies.pool.reloadSelector(now: now, sticky: false)
        return .created(.init(
            headers: .init(location: "/v1/caller-numbers/\(number.number.e164)"),
            body: .json(.init(number))))
    }

    func importCallerNumbers(_ input: Operations.ImportCallerNumbers.Input) async throws -> Operations.ImportCallerNumbers.Output {
        let body: HTTPBody
        switch input.body {
        case let .csv(csv): body = csv
        case let .textTabSeparatedValues(tsv): body = tsv
        }
        let bytes = try await collect(body, limit: dependencies.importLimitBytes)
        do {
            let report = try await store.importCSV(bytes, directory: directory, policy: policy, at: now, actor: "api")
            if report.created + report.updated > 0 { try await dependencies.pool.reloadSelector(now: now, sticky: false) }
            return .ok(.init(body: .json(.init(report))))
        } catch let error as ImportFileError {
            throw APIProblem.badRequest(error.description)
        }
    }

    func getCallerNumber(_ input: Operations.GetCallerNumber.Input) async throws -> Operations.GetCallerNumber.Output {
        let number = try parse(input.path.number)
        guard let stored = try await store.callerNumber(number) else { throw CallerNumberError.notFound(number.e164) }
        return .ok(.init(body: .json(.init(stored))))
    }

    func updateCallerNumber(_ input: Operations.UpdateCallerNumber.Input) async throws -> Operations.UpdateCallerNumber.Output {
        let number = try parse(input.path.number)
        guard case let .json(patch) = input.body else { throw APIProblem.badRequest("send the change as JSON") }
        let change = CallerNumberChange(
            status: patch.status.map(CallerNumberStatus.init), purpose: patch.purpose.map(NumberPurpose.init),
            dailyCap: patch.dailyCap, displayName: patch.displayName.map { .some($0) },
            filingReference: patch.filingRef, reason: patch.reason)
        guard change != CallerNumberChange(reason: patch.reason) else {
            throw APIProblem.badRequest("the change is empty; give at least one of status, purpose, dailyCap, displayName, filingRef")
        }
        let changed = try await store.change(number, change, policy: policy, at: now, actor: "api")
        try await dependencies.pool.reloadSelector(now: now, sticky: false)
        return .ok(.init(body: .json(.init(changed))))
    }

    func getCallerNumberHistory(_ input: Operations.GetCallerNumberHistory.Input) async throws -> Operations.GetCallerNumberHistory.Output {
        let number = try parse(input.path.number)
        guard try await store.callerNumber(number) != nil else { throw CallerNumberError.notFound(number.e164) }
        let events = try await store.history(of: number)
        return .ok(.init(body: .json(events.map(Components.Schemas.CallerNumberEvent.init))))
    }

    // MARK: - Helpers

    private func parse(_ text: String) throws(APIProblem) -> PhoneNumber {
        do {
            return try directory.parse(text)
        } catch {
            throw APIProblem.invalidNumber(text, error)
        }
    }

    func collect(_ body: HTTPBody, limit: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in body {
            guard bytes.count + chunk.count <= limit else {
                throw APIProblem(
                    status: .contentTooLarge, slug: "too-large", title: "File too large",
                    detail: "the file is larger than the import limit of \(limit) bytes; split it or raise server.importLimitBytes")
            }
            bytes.append(contentsOf: chunk)
        }
        return bytes
    }
}

// MARK: - Wire types

extension Components.Schemas.PhoneInfo {
    init(_ info: PhoneInfo) {
        self.init(
            e164: info.e164, national: info.national, kind: .init(info.kind), carrier: info.carrier,
            network: info.network, province: info.province?.name, city: info.city, areaCode: info.areaCode,
            regionGroup: info.regionGroup?.rawValue, location: info.location, countryCode: info.number.countryCode,
            region: info.region, timeZones: info.timeZones)
    }
}

extension Components.Schemas.PhoneNumberKind {
    init(_ kind: PhoneNumberKind) { self = Self(rawValue: kind.rawValue)! }
}

extension Components.Schemas.CallerNumber {
    init(_ number: CallerNumber) {
        self.init(
            number: number.number.e164, kind: .init(number.kind), carrier: number.carrier,
            province: number.province?.name, city: number.city, areaCode: number.areaCode,
            regionGroup: number.regionGroup?.rawValue, purpose: .init(rawValue: number.purpose.rawValue)!,
            filingRef: number.filingReference, displayName: number.displayName,
            status: .init(rawValue: number.status.rawValue)!, dailyCap: number.dailyCap,
            createdAt: number.createdAt, updatedAt: number.updatedAt)
    }
}

extension Components.Schemas.CallerNumberEvent {
    init(_ event: CallerNumberEvent) {
        self.init(
            field: .init(rawValue: event.field)!, oldValue: event.oldValue, newValue: event.newValue, at: event.at,
            actor: event.actor, reason: event.reason)
    }
}

extension Components.Schemas.ImportReport {
    init(_ report: ImportReport) {
        self.init(
            rows: report.rows, created: report.created, updated: report.updated, unchanged: report.unchanged,
            rejected: report.rejected,
            problems: report.problems.map { .init(line: $0.line, number: $0.number, field: $0.field, reason: $0.reason) })
    }
}

extension CallerNumberStatus {
    init(_ status: Components.Schemas.CallerNumberStatus) { self = Self(rawValue: status.rawValue)! }
}

extension NumberPurpose {
    init(_ purpose: Components.Schemas.NumberPurpose) { self = Self(rawValue: purpose.rawValue)! }
}
