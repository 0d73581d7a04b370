import Foundation
import HTTPTypes
import OpenAPIRuntime
import WaihuCore

/// The compliance gate's operations (RULES §2): decisions, consent, opt-in, lists, call records, scrub.
extension WaihuAPI {
    private var gate: ComplianceGate { dependencies.compliance }

    func checkCompliance(_ input: Operations.CheckCompliance.Input) async throws -> Operations.CheckCompliance.Output {
        guard case let .json(body) = input.body else { throw APIProblem.badRequest("send the check as JSON") }
        let callee = try phone(body.callee, field: "callee")
        let at = try time(body.at, field: "at") ?? now
        let request = gate.request(for: callee, purpose: CallPurpose(body.purpose), at: at, elderly: body.elderly ?? false, age: body.age)
        if body.record == true {
            guard let callerText = body.caller else {
                throw APIProblem(status: .unprocessableContent, slug: "caller-required", title: "Caller required",
                                 detail: "a decision for a real call (record: true) names the caller number that will place it")
            }
            let context = DecisionContext(
                caller: try phone(callerText, field: "caller"), campaign: body.campaign, agent: body.agent, actor: "api")
            let (decision, id) = try await gate.admit(request, context: context, now: now)
            return .ok(.init(body: .json(.init(decision, zone: request.zone, id: id, advice: nil))))
        }
        let decision = gate.check(request, advice: true)
        return .ok(.init(body: .json(.init(decision, zone: request.zone, id: nil, advice: decision.advice))))
    }

    func listComplianceDecisions(_ input: Operations.ListComplianceDecisions.Input) async throws -> Operations.ListComplianceDecisions.Output {
        let number = try phone(input.query.phone, field: "phone")
        let limit = input.query.limit ?? 100
        guard (1...1000).contains(limit) else { throw APIProblem.badRequest("limit \(limit) is out of range; give 1 to 1000") }
        let decisions = try await gate.decisions(phone: number, limit: limit)
        return .ok(.init(body: .json(decisions.map(Components.Schemas.StoredDecision.init))))
    }

    func scrubContacts(_ input: Operations.ScrubContacts.Input) async throws -> Operations.ScrubContacts.Output {
        let body: HTTPBody
        switch input.body {
        case let .csv(csv): body = csv
        case let .plainText(text): body = text
        }
        let at = try time(input.query.at, field: "at") ?? now
        let bytes = try await collect(body, limit: dependencies.importLimitBytes)
        let wantsCSV = input.headers.accept.sortedByQuality().first?.contentType == .csv
        let result: ScrubResult
        do {
            result = try await ComplianceScrub.run(bytes, gate: gate, purpose: CallPurpose(input.query.purpose), at: at, keepRows: !wantsCSV)
        } catch let error as ImportFileError {
            throw APIProblem.badRequest(error.description)
        }
        if wantsCSV { return .ok(.init(body: .csv(HTTPBody(result.csv)))) }
        return .ok(.init(body: .json(.init(summary: .init(result.summary), rows: result.rows.map(Components.Schemas.ScrubRow.init)))))
    }

    // MARK: - Consent (RULES C1–C3)

    func listConsents(_ input: Operations.ListConsents.Input) async throws -> Operations.ListConsents.Output {
        let number = try phone(input.query.phone, field: "phone")
        let at = now
        return .ok(.init(body: .json(try await gate.consents(phone: number).map { .init($0, at: at) })))
    }

    func createConsent(_ input: Operations.CreateConsent.Input) async throws -> Operations.CreateConsent.Output {
        guard case let .json(body) = input.body else { throw APIProblem.badRequest("send the consent as JSON") }
        guard let grantedAt = try time(body.grantedAt, field: "grantedAt") else { throw APIProblem.badRequest("'grantedAt' is required") }
        let draft = try ConsentDraft(
            phone: phone(body.phone, field: "phone"), scope: ConsentScope(rawValue: body.scope.rawValue)!,
            channel: ConsentChannel(rawValue: body.channel.rawValue)!, evidence: body.evidence, separate: body.separate ?? true,
            organisationContact: body.organisationContact ?? false, grantedAt: grantedAt,
            expiresAt: time(body.expiresAt, field: "expiresAt"), now: now)
        let consent = try await gate.addConsent(draft, source: "api", now: now)
        return .created(.init(body: .json(.init(consent, at: now))))
    }

    func revokeConsent(_ input: Operations.RevokeConsent.Input) async throws -> Operations.RevokeConsent.Output {
        var reason: String?
        if case let .json(body) = input.body { reason = body.reason }
        let consent = try await gate.revokeConsent(id: input.path.id, reason: reason, now: now)
        return .ok(.init(body: .json(.init(consent, at: now))))
    }

    // MARK: - SMS double opt-in (RULES C2)

    func createOptIn(_ input: Operations.CreateOptIn.Input) async throws -> Operations.CreateOptIn.Output {
        guard case let .json(body) = input.body else { throw APIProblem.badRequest("send the opt-in as JSON") }
        let number = try phone(body.phone, field: "phone")
        do {
            let optIn = try await dependencies.optIns.start(
                phone: number, scope: ConsentScope(rawValue: body.scope.rawValue)!, offer: body.offer, campaign: body.campaign, now: now)
            return .created(.init(body: .json(.init(optIn))))
        } catch let error as OptInError {
            switch error {
            case .noGateway:
                throw APIProblem(status: .serviceUnavailable, slug: "no-sms-gateway", title: "No SMS gateway", detail: error.description)
            case .emptyOffer:
                throw APIProblem(status: .unprocessableContent, slug: "empty-offer", title: "Empty offer", detail: error.description, rule: "C2")
            case .gatewayFailed:
                throw APIProblem(status: .badGateway, slug: "sms-gateway-failed", title: "SMS gateway failed", detail: error.description)
            }
        }
    }

    func receiveSMS(_ input: Operations.ReceiveSMS.Input) async throws -> Operations.ReceiveSMS.Output {
        guard case let .json(body) = input.body else { throw APIProblem.badRequest("send the message as JSON") }
        let receivedAt = try time(body.receivedAt, field: "receivedAt") ?? now
        let message = try await dependencies.optIns.receive(from: body.from, text: body.text, at: receivedAt)
        return .ok(.init(body: .json(.init(
            result: .init(rawValue: message.result.rawValue)!, reply: .init(rawValue: message.reply.rawValue)!,
            optInId: message.optInId))))
    }

    // MARK: - Do-not-call lists (RULES C7–C9)

    func addToDoNotCall(_ input: Operations.AddToDoNotCall.Input) async throws -> Operations.AddToDoNotCall.Output {
        guard case let .json(body) = input.body else { throw APIProblem.badRequest("send the listing as JSON") }
        let number = try phone(body.phone, field: "phone")
        let reason = DoNotCallReason(rawValue: body.reason.rawValue)!
        let caller = try body.caller.map { text throws(APIProblem) in try phone(text, field: "caller") }
        let added = try await gate.addToDoNotCall([DoNotCallEntry(phone: number, reason: reason, addedAt: now, source: "api", note: body.note, caller: caller)])
        return .created(.init(body: .json(.init(phone: number.e164, reason: body.reason, added: added > 0))))
    }

    func importDoNotCall(_ input: Operations.ImportDoNotCall.Input) async throws -> Operations.ImportDoNotCall.Output {
        let body: HTTPBody
        switch input.body {
        case let .csv(csv): body = csv
        case let .plainText(text): body = text
        }
        let bytes = try await collect(body, limit: dependencies.importLimitBytes)
        let reason = input.query.reason.map { DoNotCallReason(rawValue: $0.rawValue)! } ?? .imported
        do {
            let report = try await gate.importDoNotCall(bytes, reason: reason, source: "import:\(input.query.source ?? "api")", now: now)
            return .ok(.init(body: .json(.init(
                lines: report.lines, added: report.added, alreadyListed: report.alreadyListed, rejected: report.rejected,
                problems: report.problems.map { .init(line: $0.line, number: $0.number, field: $0.field, reason: $0.reason) }))))
        } catch let error as ImportFileError {
            throw APIProblem.badRequest(error.description)
        }
    }

    func getDoNotCall(_ input: Operations.GetDoNotCall.Input) async throws -> Operations.GetDoNotCall.Output {
        let number = try phone(input.path.phone, field: "phone")
        return .ok(.init(body: .json(try await gate.doNotCallEntries(number).map(Components.Schemas.DoNotCallEntry.init))))
    }

    func removeFromDoNotCall(_ input: Operations.RemoveFromDoNotCall.Input) async throws -> Operations.RemoveFromDoNotCall.Output {
        let number = try phone(input.path.phone, field: "phone")
        let reason = input.query.reason.map { DoNotCallReason(rawValue: $0.rawValue)! }
        let removed = try await gate.removeFromDoNotCall(number, reason: reason)
        guard !removed.isEmpty else {
            throw APIProblem(status: .notFound, slug: "not-listed", title: "Not listed",
                             detail: ComplianceInputError.notOnList(number.e164).description + (reason.map { " for \($0.rawValue)" } ?? ""))
        }
        return .ok(.init(body: .json(.init(removed: removed.map { .init(rawValue: $0.rawValue)! }))))
    }

    // MARK: - Call records (RULES C6)

    func recordCalls(_ input: Operations.RecordCalls.Input) async throws -> Operations.RecordCalls.Output {
        guard case let .json(body) = input.body else { throw APIProblem.badRequest("send the records as JSON") }
        let records: [Components.Schemas.CallRecord]
        switch body {
        case let .CallRecord(record): records = [record]
        case let .case2(list): records = list
        }
        var attempts: [CallAttempt] = []
        var problems: [Components.Schemas.CallRecordReport.ProblemsPayloadPayload] = []
        for (position, record) in records.enumerated() {
            do {
                guard let startedAt = try time(record.startedAt, field: "startedAt") else { throw APIProblem.badRequest("'startedAt' is required") }
                attempts.append(try CallAttempt(
                    callee: phone(record.callee, field: "callee"), caller: phone(record.caller, field: "caller"),
                    purpose: CallPurpose(record.purpose), startedAt: startedAt,
                    outcome: AttemptOutcome(rawValue: record.outcome.rawValue)!, durationSeconds: record.durationSeconds,
                    source: record.source ?? "api", decisionId: record.decisionId, agent: record.agent, campaign: record.campaign,
                    sipStatus: record.sipStatus))
            } catch let problem as APIProblem {
                problems.append(.init(index: position, field: problem.field, reason: problem.detail))
            } catch {
                problems.append(.init(index: position, field: "durationSeconds", reason: "\(error)"))
            }
        }
        let fresh = try await gate.recordAttempts(attempts, now: now)
        // Calls placed outside waihu's selection use up their caller number's cap too (RULES P3).
        for (attempt, isNew) in zip(attempts, fresh) where isNew && attempt.decisionId == nil {
            dependencies.pool.selector.recordOutsideDial(from: attempt.caller, at: attempt.startedAt)
        }
        let recorded = fresh.filter { $0 }.count
        return .ok(.init(body: .json(.init(
            recorded: recorded, duplicates: fresh.count - recorded, rejected: problems.count, problems: problems))))
    }

    // MARK: - Helpers

    /// Parses a phone field; a bad number is a 422 naming the field.
    func phone(_ text: String, field: String) throws(APIProblem) -> PhoneNumber {
        do {
            return try directory.parse(text)
        } catch {
            var problem = APIProblem(status: .unprocessableContent, slug: "invalid-number", title: "Invalid phone number",
                                     detail: "\(field): '\(text)' is not a valid phone number: \(error)")
            problem.field = field
            throw problem
        }
    }

    /// Parses an optional ISO 8601 field (Beijing time without a zone); a bad one is a 422 naming the field.
    func time(_ text: String?, field: String) throws(APIProblem) -> Date? {
        guard let text else { return nil }
        guard let moment = Timestamp(iso8601: text) else {
            var problem = APIProblem(status: .unprocessableContent, slug: "invalid-time", title: "Invalid time",
                                     detail: ComplianceInputError.invalidTimestamp(field: field, value: text).description)
            problem.field = field
            throw problem
        }
        return moment.date
    }
}

// MARK: - Wire types

extension CallPurpose {
    init(_ purpose: Components.Schemas.CallPurpose) { self = Self(rawValue: purpose.rawValue)! }
}

extension Components.Schemas.ComplianceDecision {
    init(_ decision: ComplianceDecision, zone: CalleeZone, id: Int64?, advice: GoldenHourAdvice?) {
        let offset = zone.offset(at: decision.at)
        self.init(
            allowed: decision.allowed,
            reasons: decision.violations.map { .init(rule: $0.rule, code: $0.code, message: $0.message) },
            nextAllowedAt: decision.nextAllowedAt.map { OpenAPIValueContainer(stringLiteral: $0.iso8601(offsetSeconds: zone.offset(at: $0))) } ?? nil,
            policyVersion: decision.policyVersion, policyDigest: decision.policyDigest, callee: decision.callee.e164,
            purpose: .init(rawValue: decision.purpose.rawValue)!, at: decision.at.date,
            localTime: decision.at.iso8601(offsetSeconds: offset), consentId: decision.consentId, decisionId: id,
            advice: advice.map { .init(golden: $0.isGolden, nextGoldenAt: $0.nextGoldenAt.map { $0.iso8601(offsetSeconds: zone.offset(at: $0)) }) },
            warnings: decision.warnings)
    }
}

extension Components.Schemas.StoredDecision {
    init(_ decision: StoredDecision) {
        self.init(
            id: decision.id, callee: decision.callee, purpose: .init(rawValue: decision.purpose.rawValue)!, at: decision.at,
            decidedAt: decision.decidedAt, allowed: decision.allowed,
            reasons: decision.reasons.map { .init(rule: $0.rule, message: $0.message) }, nextAllowedAt: decision.nextAllowedAt,
            policyVersion: decision.policyVersion, policyDigest: decision.policyDigest, consentId: decision.consentId,
            caller: decision.context.caller?.e164, campaign: decision.context.campaign, agent: decision.context.agent,
            actor: decision.context.actor)
    }
}

extension Components.Schemas.Consent {
    init(_ consent: Consent, at: Date) {
        self.init(
            id: consent.id, phone: consent.phone.e164, scope: .init(rawValue: consent.scope.rawValue)!,
            channel: .init(rawValue: consent.channel.rawValue)!, evidence: consent.evidence,
            evidenceSha256: consent.evidenceSHA256, separate: consent.separate, organisationContact: consent.organisationContact,
            grantedAt: consent.grantedAt, expiresAt: consent.expiresAt, revokedAt: consent.revokedAt,
            recordedAt: consent.recordedAt, source: consent.source, active: consent.isValid(at: at))
    }
}

extension Components.Schemas.OptIn {
    init(_ optIn: OptIn) {
        self.init(
            id: optIn.id, phone: optIn.phone.e164, scope: .init(rawValue: optIn.scope.rawValue)!, text: optIn.text,
            campaign: optIn.campaign, status: .init(rawValue: optIn.status.rawValue)!, createdAt: optIn.createdAt,
            expiresAt: optIn.expiresAt, gatewayReference: optIn.gatewayReference, consentId: optIn.consentId)
    }
}

extension Components.Schemas.DoNotCallEntry {
    init(_ entry: DoNotCallEntry) {
        self.init(
            phone: entry.phone.e164, reason: .init(rawValue: entry.reason.rawValue)!, rule: entry.reason.rule,
            addedAt: entry.addedAt, source: entry.source, note: entry.note)
    }
}

extension Components.Schemas.ScrubSummary {
    init(_ summary: ScrubSummary) {
        self.init(
            rows: summary.rows, callableNow: summary.counts[.now, default: 0], laterToday: summary.counts[.laterToday, default: 0],
            thisWeek: summary.counts[.thisWeek, default: 0], later: summary.counts[.later, default: 0],
            never: summary.counts[.never, default: 0], invalid: summary.counts[.invalid, default: 0],
            shares: .init(additionalProperties: Dictionary(uniqueKeysWithValues: ScrubCategory.allCases.map { ($0.rawValue, summary.share($0)) })),
            byReason: summary.byReason.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.map { code, rows in
                .init(code: code, rule: summary.rulesByCode[code] ?? "", rows: rows, message: summary.explanations[code] ?? "")
            },
            byRule: .init(additionalProperties: summary.byRule))
    }
}

extension Components.Schemas.ScrubRow {
    init(_ row: WaihuCore.ScrubRow) {
        self.init(
            line: row.line, input: row.input, e164: row.e164, category: .init(rawValue: row.category.rawValue)!,
            rules: row.rules, reasons: row.codes,
            nextAllowedAt: row.nextAllowedAt.map { $0.iso8601(offsetSeconds: row.offsetSeconds) }, problem: row.problem)
    }
}
