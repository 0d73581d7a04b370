import ArgumentParser
import Foundation
import WaihuCore
import WaihuStore

struct ConsentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consent", abstract: "The consent ledger (RULES C1–C3): add, revoke, list.",
        subcommands: [Add.self, Revoke.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a consent with its evidence.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The phone that consented.") var phone: String
        @Option(help: "marketing, service or notification.") var scope: String
        @Option(help: "sms_reply, app, web_checkbox, voice or written.") var channel: String
        @Option(help: "The text agreed to, or a reference to the signed form or recording.") var evidence: String
        @Option(help: "When it was given (ISO 8601; default now).") var grantedAt: String?
        @Option(help: "When it ends (ISO 8601); absent: no expiry.") var expiresAt: String?
        @Flag(help: "It was a clause of another agreement, not separate consent (单独同意); it will not count for marketing.")
        var notSeparate = false
        @Flag(help: "The phone is an organisation's official contact.") var organisation = false

        func run() async throws {
            let configuration = try store.resolve()
            guard let scope = ConsentScope(rawValue: scope) else { throw ValidationError("scope '\(scope)' is unknown; use marketing, service or notification") }
            guard let channel = ConsentChannel(rawValue: channel) else {
                throw ValidationError("channel '\(channel)' is unknown; use \(ConsentChannel.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let now = Date()
            let draft: ConsentDraft
            do {
                draft = try ConsentDraft(
                    phone: parsePhone(phone), scope: scope, channel: channel, evidence: evidence, separate: !notSeparate,
                    organisationContact: organisation, grantedAt: parseTime(grantedAt, option: "--granted-at") ?? now,
                    expiresAt: parseTime(expiresAt, option: "--expires-at"), now: now)
            } catch let error as ComplianceInputError {
                throw ValidationError(error.description)
            }
            let database = try configuration.openStore()
            let consent = try await database.addConsent(draft, recordedAt: now, source: "cli")
            print("consent \(consent.id): \(consent.phone.e164) \(consent.scope.rawValue) via \(consent.channel.rawValue), evidence sha256 \(consent.evidenceSHA256)")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a consent; it stops counting at once.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The consent id.") var id: Int64
        @Option(help: "Why.") var reason: String?

        func run() async throws {
            let database = try store.resolve().openStore()
            do {
                let consent = try await database.revokeConsent(id: id, at: Date(), reason: reason)
                print("consent \(consent.id) of \(consent.phone.e164) revoked at \(Timestamp(consent.revokedAt ?? Date()))")
            } catch let error as ComplianceInputError {
                printError("waihu: \(error)")
                throw ExitCode.failure
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The consents of a phone.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The phone.") var phone: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let number = try parsePhone(phone)
            let consents = try await store.resolve().openStore().consents(phone: number)
            let now = Date()
            if json {
                print(try jsonText(consents.map { ConsentView($0, now: now) }))
                return
            }
            var table = TextTable(headers: ["id", "scope", "channel", "separate", "granted", "expires", "revoked", "in force"])
            for consent in consents {
                table.rows.append([
                    String(consent.id), consent.scope.rawValue, consent.channel.rawValue, consent.separate ? "yes" : "no",
                    "\(Timestamp(consent.grantedAt))", consent.expiresAt.map { "\(Timestamp($0))" } ?? "—",
                    consent.revokedAt.map { "\(Timestamp($0))" } ?? "—", consent.isValid(at: now) ? "yes" : "no",
                ])
            }
            print(table.render())
        }
    }
}

struct ConsentView: Encodable {
    let id: Int64
    let phone, scope, channel, evidence, evidenceSha256, source: String
    let separate, organisationContact, active: Bool
    let grantedAt: Date
    let expiresAt, revokedAt: Date?

    init(_ consent: Consent, now: Date) {
        id = consent.id
        phone = consent.phone.e164
        scope = consent.scope.rawValue
        channel = consent.channel.rawValue
        evidence = consent.evidence
        evidenceSha256 = consent.evidenceSHA256
        source = consent.source
        separate = consent.separate
        organisationContact = consent.organisationContact
        active = consent.isValid(at: now)
        grantedAt = consent.grantedAt
        expiresAt = consent.expiresAt
        revokedAt = consent.revokedAt
    }
}
