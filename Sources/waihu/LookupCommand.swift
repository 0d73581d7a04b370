import ArgumentParser
import WaihuCore

struct LookupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lookup",
        abstract: "Normalise a phone number and tell its kind, carrier, province, city and region group.")

    @Argument(help: "The number in any form: 13800138000, +86 138-0013-8000, 0755-8888-1234, 95566 …")
    var phone: String

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let info: PhoneInfo
        do {
            info = try PhoneDirectory.bundled.lookup(phone)
        } catch {
            printError("waihu: '\(phone)' is not a valid phone number: \(error)")
            throw ExitCode.failure
        }
        if json {
            print(try jsonText(info))
            return
        }
        let place = [info.province?.name, info.city].compactMap { $0 }
        var rows: [(String, String)] = [
            ("E.164", info.e164), ("national", info.national), ("kind", "\(info.kind.rawValue) (\(info.kind.chineseName))"),
        ]
        if let carrier = info.carrier { rows.append(("carrier", carrier + (info.network.map { " (\($0))" } ?? ""))) }
        if !place.isEmpty { rows.append(("归属地", place.joined(separator: " "))) }
        if let areaCode = info.areaCode { rows.append(("area code", areaCode)) }
        if let group = info.regionGroup { rows.append(("region group", group.rawValue)) }
        if let region = info.region, region != "CN" { rows.append(("region", region)) }
        if !info.timeZones.isEmpty { rows.append(("time zone", info.timeZones.joined(separator: ", "))) }
        for (label, value) in rows { print(label.padding(to: 13) + value) }
    }
}
