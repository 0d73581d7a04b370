import Foundation
import HTTPTypes
import OpenAPIRuntime
import WaihuCore

/// The number pool's operations (RULES §1): selection, reservations, agents, marks, health, jobs, appeals.
extension WaihuAPI {
    private var poolService: PoolService { dependencies.pool }
    private var selector: CallerSelector { dependencies.pool.selector }

    func selectCallerNumber(_ input: Operations.SelectCallerNumber.Input) async throws -> Operations.SelectCallerNumber.Output {
        guard case let .json(body) = input.body else { throw APIProblem.badRequest("send the request as JSON") }
        let callee = directory.info(for: try phone(body.callee, field: "callee"))
        let selection = try await poolService.select(callee: callee, purpose: NumberPurpose(body.purpose), agent: body.agent, now: now)
        return .ok(.init(body: .json(.init(
            number: selection.number.e164, matchLevel: .init(rawValue: selection.matchLevel.rawValue)!, sticky: selection.sticky,
            usedToday: selection.usedToday, cap: selection.cap, health: selection.health,
            reservationId: selection.reservation.description, expiresAt: selection.expiresAt))))
    }

    func dialReservation(_ input: Operations.DialReservation.Input) async throws -> Operations.DialReservation.Output {
        let number = try selector.dial(try reservation(input.path.id), now: now)
        return .ok(.init(body: .json(.init(reservationId: input.path.id, number: number.e164))))
    }

    func finishReservation(_ input: Operations.FinishReservation.Input) async throws -> Operations.FinishReservation.Output {
        try selector.finish(try reservation(input.path.id))
        return .noContent(.init())
    }

    private func reservation(_ text: String) throws(PoolInputError) -> ReservationID {
        guard let id = ReservationID(text) else { throw .unknownReservation(text) }
        return id
    }

    // MARK: - Agents (RULES P6)

    func listAgents(_ input: Operations.ListAgents.Input) async throws -> Operations.ListAgents.Output {
        .ok(.init(body: .json(try await poolService.store.agents().map { .init(id: $0.id, name: $0.name, trained: $0.trained) })))
    }

    func putAgent(_ input: Operations.PutAgent.Input) async throws -> Operations.PutAgent.Output {
        guard case let .json(body) = input.body else { throw APIProblem.badRequest("send the agent as JSON") }
        let id = input.path.id.trimmingCharacters(in: .whitespaces)
        guard !id.isEmpty else { throw APIProblem.badRequest("the agent id is empty") }
        try await poolService.store.upsertAgent(Agent(id: id, name: body.name, trained: body.trained))
        selector.setAgent(id, trained: body.trained)
        return .ok(.init(body: .json(.init(id: id, name: body.name, trained: body.trained))))
    }

    // MARK: - Marks (RULES P9, P10)

    func recordMarks(_ input: Operations.RecordMarks.Input) async throws -> Operations.RecordMarks.Output {
        guard case let .json(body) = input.body else { throw APIProblem.badRequest("send the marks as JSON") }
        var marks: [MarkObservation] = []
        var problems: [Components.Schemas.MarkReport.ProblemsPayloadPayload] = []
        for (index, mark) in body.enumerated() {
            do {
                let number = try phone(mark.number, field: "number")
                guard try await poolService.store.callerNumber(number) != nil else { throw PoolInputError.notInPool(number.e164) }
                marks.append(try MarkObservation(
                    number: number, platform: MarkPlatform(rawValue: mark.platform.rawValue)!,
                    kind: MarkKind(rawValue: mark.kind.rawValue)!, count: mark.count,
                    observedAt: try time(mark.observedAt, field: "observedAt") ?? now, source: "api"))
            } catch let problem as APIProblem {
                problems.append(.init(index: index, reason: problem.detail))
            } catch {
                problems.append(.init(index: index, reason: "\(error)"))
            }
        }
        let actions = try await poolService.recordMarks(marks, now: now)
        return .ok(.init(body: .json(.init(
            recorded: marks.count,
            actions: actions.sorted { $0.key < $1.key }.flatMap { number, list in list.map { Components.Schemas.PoolActionItem($0, number: number) } },
            problems: problems))))
    }

    // MARK: - Health

    func getNumberHealth(_ input: Operations.GetNumberHealth.Input) async throws -> Operations.GetNumberHealth.Output {
        let number = try phone(input.path.number, field: "number")
        guard let stored = try await poolService.store.callerNumber(number),
              let state = try await poolService.store.numberState(number) else { throw CallerNumberError.notFound(number.e164) }
        let today = CalleeZone.china.localDay(at: Timestamp(now))
        let days = try await poolService.store.dailyStats(sinceDay: today - 14, shortCallSeconds: dependencies.policy.pool.shortCallSeconds)[number] ?? []
        let marks = try await poolService.store.markSummaries()[number] ?? MarkSummary()
        let usage = selector.usage(of: number)
        return .ok(.init(body: .json(.init(
            number: number.e164, status: .init(rawValue: stored.status.rawValue)!, score: state.health.score,
            deductions: .init(additionalProperties: state.health.deductions), todayCap: usage?.cap ?? 0, usedToday: usage?.used ?? 0,
            flagged: state.flagReason, restingUntil: state.restingUntil,
            marks: .init(additionalProperties: Dictionary(uniqueKeysWithValues: marks.counts.map { platform, kinds in
                (platform.rawValue, .init(additionalProperties: Dictionary(uniqueKeysWithValues: kinds.map { ($0.key.rawValue, $0.value) })))
            })),
            days: days.map {
                .init(date: CivilDate(dayNumber: $0.day).description, attempts: $0.attempts, answered: $0.answered, short: $0.short,
                      declined: $0.declined, connectRate: $0.connectRate)
            }))))
    }

    // MARK: - Jobs

    func evaluatePool(_ input: Operations.EvaluatePool.Input) async throws -> Operations.EvaluatePool.Output {
        let report = try await poolService.evaluate(now: now)
        return .ok(.init(body: .json(.init(
            actions: report.entries.flatMap { entry in
                entry.actions.map { Components.Schemas.PoolActionItem($0, number: entry.number, promoted: entry.promoted) }
            },
            standbyShortfall: .init(additionalProperties: report.standbyShortfall)))))
    }

    func reviewPool(_ input: Operations.ReviewPool.Input) async throws -> Operations.ReviewPool.Output {
        let decisions = input.query.dryRun == true
            ? try await poolService.reviewDecisions(now: now) : try await poolService.review(now: now)
        return .ok(.init(body: .json(decisions.map {
            .init(number: $0.number.number.e164, decision: $0.retire ? .retire : .keep, reason: $0.reason)
        })))
    }

    func planPool(_ input: Operations.PlanPool.Input) async throws -> Operations.PlanPool.Output {
        let calls = input.query.dailyCalls
        guard calls > 0 else { throw APIProblem.badRequest("dailyCalls must be at least 1") }
        let purposes = input.query.purpose.map { [NumberPurpose($0)] } ?? [.service]
        let plan = try await poolService.plan(
            dailyCalls: Dictionary(uniqueKeysWithValues: purposes.map { ($0, calls) }), byRegion: input.query.byRegion ?? false,
            calleeShares: [:], now: now)
        return .ok(.init(body: .json(.init(
            lines: plan.lines.map {
                .init(purpose: .init(rawValue: $0.purpose.rawValue)!, regionGroup: $0.regionGroup?.rawValue, dailyCalls: $0.dailyCalls,
                      activeNeeded: $0.activeNeeded, standbyNeeded: $0.standbyNeeded, activeNow: $0.activeNow, standbyNow: $0.standbyNow,
                      replenishLow: $0.replenish.lowerBound, replenishHigh: $0.replenish.upperBound)
            },
            toRetire: plan.toRetire))))
    }

    // MARK: - Appeals (RULES P12)

    func listAppeals(_ input: Operations.ListAppeals.Input) async throws -> Operations.ListAppeals.Output {
        let number = try input.query.number.map { text throws(APIProblem) in try phone(text, field: "number") }
        return .ok(.init(body: .json(try await poolService.store.appeals(of: number).map { Components.Schemas.Appeal($0, evidence: nil) })))
    }

    func openAppeal(_ input: Operations.OpenAppeal.Input) async throws -> Operations.OpenAppeal.Output {
        guard case let .json(body) = input.body else { throw APIProblem.badRequest("send the appeal as JSON") }
        let number = try phone(body.number, field: "number")
        let appeal = try await poolService.store.openAppeal(
            number: number, platform: MarkPlatform(rawValue: body.platform.rawValue)!, urgent: false,
            reason: body.reason ?? "opened by an operator", at: now)
        return .created(.init(body: .json(.init(appeal, evidence: try await poolService.evidence(for: appeal, now: now)))))
    }

    func getAppeal(_ input: Operations.GetAppeal.Input) async throws -> Operations.GetAppeal.Output {
        guard let appeal = try await poolService.store.appeal(id: input.path.id) else { throw PoolInputError.appealNotFound(input.path.id) }
        return .ok(.init(body: .json(.init(appeal, evidence: try await poolService.evidence(for: appeal, now: now)))))
    }

    func updateAppeal(_ input: Operations.UpdateAppeal.Input) async throws -> Operations.UpdateAppeal.Output {
        guard case let .json(body) = input.body else { throw APIProblem.badRequest("send the change as JSON") }
        let appeal = try await poolService.move(appeal: input.path.id, to: AppealState(rawValue: body.state.rawValue)!, note: body.note, now: now)
        return .ok(.init(body: .json(.init(appeal, evidence: nil))))
    }

    func agentReport(_ input: Operations.AgentReport.Input) async throws -> Operations.AgentReport.Output {
        guard let month = CivilDate(input.query.month + "-01") else {
            throw APIProblem.badRequest("month '\(input.query.month)' is not a month; use YYYY-MM such as 2026-11")
        }
        return .ok(.init(body: .json(try await poolService.agentReport(month: month).map {
            .init(agent: $0.agent, calls: $0.calls, numbersUsed: $0.numbersUsed, numbersNewlyMarked: $0.numbersNewlyMarked,
                  markRate: $0.markRate, good: $0.good)
        })))
    }
}

extension Components.Schemas.PoolActionItem {
    init(_ action: PoolAction, number: PhoneNumber, promoted: PhoneNumber? = nil) {
        let (name, detail): (String, String?) = switch action {
        case let .suspend(_, reason): ("suspend", reason)
        case let .openUrgentAppeal(platform): ("open_urgent_appeal", platform.rawValue)
        case let .flag(reason): ("flag", reason)
        case let .throttle(cap, reason): ("throttle", "cap \(cap) today: \(reason)")
        case let .rest(until, reason): ("rest", "until \(CivilDate(dayNumber: until)): \(reason)\(promoted.map { "; \($0.e164) promoted from standby" } ?? "")")
        case .activate: ("activate", nil)
        case .returnToStandby: ("return_to_standby", nil)
        }
        self.init(number: number.e164, action: name, rule: action.rule, detail: detail)
    }
}

extension Components.Schemas.Appeal {
    init(_ appeal: Appeal, evidence: AppealEvidence?) {
        self.init(
            id: appeal.id, number: appeal.number.e164, platform: .init(rawValue: appeal.platform.rawValue)!,
            state: .init(rawValue: appeal.state.rawValue)!, urgent: appeal.urgent, reason: appeal.reason, openedAt: appeal.openedAt,
            submittedAt: appeal.submittedAt, dueAt: appeal.dueAt, decidedAt: appeal.decidedAt, note: appeal.note,
            evidence: evidence.map {
                .init(number: $0.number, platform: $0.platform, filingRef: $0.filingReference, displayName: $0.displayName,
                      purpose: $0.purpose, carrier: $0.carrier, region: $0.region,
                      dailyVolume: $0.dailyVolume.map { .init(date: $0.date, attempts: $0.attempts, answered: $0.answered) },
                      connectRate: $0.connectRate, consentShare: $0.consentShare, marketingAttempts: $0.marketingAttempts,
                      complaints: $0.complaints, marks: .init(additionalProperties: $0.marks), generatedAt: $0.generatedAt)
            })
    }
}
