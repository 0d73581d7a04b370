import Foundation
import Testing
import WaihuCore
@testable import WaihuConfig

/// Writes `text` to a new temporary file and returns its path.
func temporaryFile(_ text: String, name: String = "waihu.yaml") throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("waihu-config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let url = folder.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url.path
}

@Suite("Configuration")
struct ConfigurationTests {
    @Test("defaults apply without a file, environment or flags")
    func defaults() throws {
        let configuration = try WaihuConfiguration.resolve(configPath: nil, environment: [:], flags: .init())
        #expect(configuration == WaihuConfiguration())
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.databasePath == "waihu-data/waihu.sqlite")
        #expect(try configuration.loadPolicy() == .defaults)
    }

    @Test("file, then environment, then flags; paths in the file are relative to it")
    func precedence() throws {
        let path = try temporaryFile("""
            server:
              host: 0.0.0.0
              port: 9000
            database:
              path: data/pool.sqlite
            policy: policy.yaml
            log:
              level: debug
            """)
        let folder = (path as NSString).deletingLastPathComponent
        let fromFile = try WaihuConfiguration.resolve(configPath: path, environment: [:], flags: .init())
        #expect(fromFile.host == "0.0.0.0")
        #expect(fromFile.port == 9000)
        #expect(fromFile.databasePath == "\(folder)/data/pool.sqlite")
        #expect(fromFile.policyPath == "\(folder)/policy.yaml")
        #expect(fromFile.logLevel == "debug")

        let environment = ["WAIHU_CONFIG": path, "WAIHU_PORT": "9100", "WAIHU_DB": "/tmp/env.sqlite"]
        let fromEnvironment = try WaihuConfiguration.resolve(configPath: nil, environment: environment, flags: .init())
        #expect(fromEnvironment.port == 9100)
        #expect(fromEnvironment.databasePath == "/tmp/env.sqlite")
        #expect(fromEnvironment.host == "0.0.0.0")

        let fromFlags = try WaihuConfiguration.resolve(
            configPath: nil, environment: environment, flags: .init(port: 9200, databasePath: "flag.sqlite"))
        #expect(fromFlags.port == 9200)
        #expect(fromFlags.databasePath == "flag.sqlite")
    }

    @Test("bad settings are refused, naming the file, line and key", arguments: [
        ("server:\n  port: eighty\n", "waihu.yaml:2: 'server.port' must be a whole number, not 'eighty'"),
        ("server:\n  port: 70000\n", "'server.port' is 70000; it must be between 1 and 65535"),
        ("server:\n  hots: x\n", "unknown key 'server.hots'"),
        ("databse:\n  path: x\n", "unknown key 'databse'"),
        ("log:\n  level: loud\n", "'log.level' is 'loud'"),
        ("server: 8080\n", "'server' must be a mapping"),
        ("sip:\n  password: hunter2\n", "'password' looks like a secret; secrets are read from the environment only"),
        ("server: [\n", "not valid YAML"),
    ])
    func badFile(_ text: String, _ message: String) throws {
        let path = try temporaryFile(text)
        #expect { try WaihuConfiguration.resolve(configPath: path, environment: [:], flags: .init()) } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test("bad environment values and flags are refused")
    func badEnvironment() {
        #expect { try WaihuConfiguration.resolve(configPath: nil, environment: ["WAIHU_PORT": "http"], flags: .init()) } throws: {
            "\($0)".contains("WAIHU_PORT=http is not a port")
        }
        #expect { try WaihuConfiguration.resolve(configPath: nil, environment: [:], flags: .init(port: 0)) } throws: {
            "\($0)".contains("--port 0 is out of range")
        }
        #expect { try WaihuConfiguration.resolve(configPath: nil, environment: ["WAIHU_LOG_LEVEL": "chatty"], flags: .init()) } throws: {
            "\($0)".contains("WAIHU_LOG_LEVEL 'chatty' is not a log level")
        }
        #expect { try WaihuConfiguration.resolve(configPath: "/nonexistent/waihu.yaml", environment: [:], flags: .init()) } throws: {
            "\($0)".contains("cannot be read")
        }
    }
}

@Suite("SIP settings")
struct SIPSettingsTests {
    static let file = """
        sip:
          host: 10.0.0.5
          port: 5070
          advertisedHost: 203.0.113.7
          ringTimeoutSeconds: 25
          trunks:
            - name: telecom-gz
              host: 192.0.2.10
              username: waihu
              priority: 0
              weight: 3
              maxConcurrentCalls: 60
              maxCallsPerSecond: 2.5
              callerNumberRanges: ["020", "0755"]
              costPerMinute: 0.06
            - name: unicom
              host: sip.unicom.example
              port: 5080
              priority: 1
        """

    @Test("trunks come from the file, their passwords from the environment only")
    func trunks() throws {
        let path = try temporaryFile(Self.file)
        let configuration = try WaihuConfiguration.resolve(
            configPath: path, environment: ["WAIHU_TRUNK_TELECOM_GZ_PASSWORD": "s3cret", "WAIHU_SIP_PORT": "5090"], flags: .init())
        let sip = configuration.sip
        #expect(sip.host == "10.0.0.5" && sip.port == 5090 && sip.advertisedHost == "203.0.113.7" && sip.ringTimeoutSeconds == 25)
        #expect(sip.trunks.map(\.name) == ["telecom-gz", "unicom"])
        let first = sip.trunks[0]
        #expect(first.host == "192.0.2.10" && first.port == 5060 && first.username == "waihu" && first.password == "s3cret")
        #expect(first.weight == 3 && first.maxConcurrentCalls == 60 && first.maxCallsPerSecond == 2.5)
        #expect(first.callerNumberRanges == ["020", "0755"] && first.costPerMinute == Decimal(string: "0.06"))
        #expect(sip.trunks[1].port == 5080 && sip.trunks[1].priority == 1 && sip.trunks[1].password == nil)
        try sip.validate()
        // Without the password in the environment, a trunk with a username cannot work: refused, naming the variable.
        let missing = try WaihuConfiguration.resolve(configPath: path, environment: [:], flags: .init()).sip
        #expect { try missing.validate() } throws: { "\($0)".contains("set WAIHU_TRUNK_TELECOM_GZ_PASSWORD in the environment") }
    }

    @Test("bad trunk settings are refused, naming the trunk and key", arguments: [
        ("sip:\n  trunks:\n    - host: 192.0.2.1\n", "'sip.trunks[0].name' is required"),
        ("sip:\n  trunks:\n    - name: a\n", "'sip.trunks[0].host' is required"),
        ("sip:\n  trunks:\n    - name: a\n      host: h\n    - name: a\n      host: h\n", "'a' names two trunks"),
        ("sip:\n  trunks:\n    - name: a\n      host: h\n      password: x\n", "'password' looks like a secret"),
        ("sip:\n  trunks:\n    - name: a\n      host: h\n      maxCallsPerSecond: fast\n", "'sip.trunks[0].maxCallsPerSecond' is 'fast'"),
        ("sip:\n  trunks:\n    - name: a\n      host: h\n      callerNumberRanges: [\"+86 755\"]\n", "national-number prefixes"),
        ("sip:\n  trunks:\n    - name: a\n      host: h\n      prio: 1\n", "unknown key 'sip.trunks[0].prio'"),
        ("sip:\n  ringTimeoutSeconds: 5\n", "'sip.ringTimeoutSeconds' is 5; it must be between 15 and 600"),
    ])
    func badTrunks(_ text: String, _ message: String) throws {
        let path = try temporaryFile(text)
        #expect { try WaihuConfiguration.resolve(configPath: path, environment: [:], flags: .init()) } throws: { error in
            "\(error)".contains(message)
        }
    }
}

@Suite("Policy file")
struct PolicyFileTests {
    @Test("values override the rulebook's defaults; version and SHA-256 are stamped")
    func values() throws {
        let text = """
            version: "2026-11-01"
            pool:
              defaultDailyCap: 15
              maximumDailyCap: 30
              initialStatus: standby
              allowVirtualForMarketing: true
            """
        let policy = try PolicyFile.parse(Data(text.utf8), file: "policy.yaml")
        #expect(policy.version == "2026-11-01")
        #expect(policy.pool.defaultDailyCap == 15)
        #expect(policy.pool.maximumDailyCap == 30)
        #expect(policy.pool.initialStatus == .standby)
        #expect(policy.pool.allowVirtualForMarketing)
        // SHA-256 of the exact bytes: the same file gives the same digest, any change another.
        #expect(policy.digest.count == 64)
        #expect(try PolicyFile.parse(Data(text.utf8), file: "policy.yaml").digest == policy.digest)
        #expect(try PolicyFile.parse(Data((text + "\n").utf8), file: "policy.yaml").digest != policy.digest)
    }

    @Test("missing keys keep the defaults")
    func defaultsKept() throws {
        let policy = try PolicyFile.parse(Data("version: v1\n".utf8), file: "policy.yaml")
        #expect(policy.pool == PoolPolicy())
        #expect(policy.pool.defaultDailyCap == 20)  // RULES P3
    }

    @Test("bad policies are refused with the key and the problem", arguments: [
        ("pool:\n  defaultDailyCap: 20\n", "'version' is required"),
        ("version: v1\npool:\n  defaultDailyCap: twenty\n", "policy.yaml:3: 'pool.defaultDailyCap' must be a whole number, not 'twenty'"),
        ("version: v1\npool:\n  defaultDailyCap: 50\n  maximumDailyCap: 40\n", "'pool.defaultDailyCap' (50) is above 'pool.maximumDailyCap' (40)"),
        ("version: v1\npool:\n  initialStatus: retired\n", "new numbers start warming, active or standby"),
        ("version: v1\npool:\n  initialStatus: sleeping\n", "'pool.initialStatus' is 'sleeping'"),
        ("version: v1\npool:\n  allowVirtualForMarketing: maybe\n", "'pool.allowVirtualForMarketing' must be true or false"),
        ("version: v1\npool:\n  dailyCap: 20\n", "unknown key 'pool.dailyCap'"),
        ("version: v1\nnonsense: {}\n", "unknown key 'nonsense'"),
    ])
    func bad(_ text: String, _ message: String) {
        #expect { try PolicyFile.parse(Data(text.utf8), file: "policy.yaml") } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test("policy.example.yaml holds exactly the rulebook's defaults")
    func exampleIsDefaults() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("policy.example.yaml")
        let example = try PolicyFile.load(path: url.path)
        #expect(example.version == "example")
        #expect(example.pool == Policy.defaults.pool)
        #expect(example.compliance == Policy.defaults.compliance)
        #expect(example.calendar == Policy.defaults.calendar)
    }

    @Test("compliance settings are read with their units")
    func complianceValues() throws {
        let text = """
            version: v2
            hours:
              start: "08:30"
              end: "20:30"
              elderlyAge: 65
              goldenHours: ["10:00-11:30"]
              extraHolidays: ["2027-01-01", "2027-02-06..2027-02-08"]
              extraWorkdays: ["2027-02-14"]
            frequency:
              perCalendarDay: 2
              windows:
                - { days: 7, max: 4 }
                - { minutes: 10, max: 2 }
              minimumGapHours: 12
              purposeGapHours: { marketing: 72, service: 1 }
            consent:
              requiredFor: [marketing, service]
              requireSeparate: false
            lists:
              refusal: { blocks: [marketing, service], lockDays: 90 }
              invalid: { lockDays: forever }
            retention:
              personalDataDays: 180
            """
        let policy = try PolicyFile.parse(Data(text.utf8), file: "policy.yaml")
        let compliance = policy.compliance
        #expect(compliance.hours.start == 8 * 3600 + 1800)
        #expect(compliance.hours.end == 20 * 3600 + 1800)
        #expect(compliance.hours.elderlyAge == 65)
        #expect(compliance.hours.goldenHours == [36_000..<41_400])
        #expect(compliance.frequency.perCalendarDay == 2)
        #expect(compliance.frequency.windows == [.init(seconds: 7 * 86_400, limit: 4), .init(seconds: 600, limit: 2)])
        #expect(compliance.frequency.minimumGap == 12 * 3600)
        #expect(compliance.frequency.purposeGaps == [.marketing: 72 * 3600, .service: 3600])
        #expect(compliance.consent.requiredFor == CallPurposes([.marketing, .service]))
        #expect(!compliance.consent.requireSeparate)
        #expect(compliance.lists.refusalBlocks == CallPurposes([.marketing, .service]))
        #expect(compliance.lists.refusalLockDays == 90)
        #expect(compliance.lists.invalidLockDays == nil)
        #expect(compliance.retention.personalDataDays == 180)
        // Extra days extend the calendar without a new build.
        #expect(policy.calendar.kind(ofDay: CivilDate("2027-02-07")!.dayNumber) == .holiday("policy"))
        #expect(policy.calendar.kind(ofDay: CivilDate("2027-02-14")!.dayNumber) == .makeUpWorkday("policy"))
        #expect(policy.calendar.covers(day: CivilDate("2027-05-01")!.dayNumber))
        #expect(!Policy.defaults.calendar.covers(day: CivilDate("2027-05-01")!.dayNumber))
    }

    @Test("bad compliance settings are refused with the key", arguments: [
        ("version: v1\nhours:\n  start: \"8am\"\n", "'hours.start' is '8am'; give a time of day such as 08:00"),
        ("version: v1\nhours:\n  start: \"22:00\"\n", "'hours.start' must be before hours.end"),
        ("version: v1\nhours:\n  goldenHours: [\"12:00-09:00\"]\n", "give ranges such as 09:00-12:00"),
        ("version: v1\nhours:\n  extraHolidays: [\"2027-02-30\"]\n", "lists '2027-02-30'"),
        ("version: v1\nhours:\n  exemptPurposes: [emergency]\n", "'emergency', which is not a purpose"),
        ("version: v1\nfrequency:\n  windows:\n    - { days: 7 }\n", "'frequency.windows[0].max' is required"),
        ("version: v1\nfrequency:\n  windows:\n    - { days: 7, hours: 2, max: 3 }\n", "exactly one of days, hours or minutes"),
        ("version: v1\nfrequency:\n  windows:\n    - { days: 7, max: 20 }\n", "'frequency.windows[0].max' is 20; it must be between 1 and 8"),
        ("version: v1\nfrequency:\n  purposeGapHours: { sales: 48 }\n", "unknown key 'frequency.purposeGapHours.sales'"),
        ("version: v1\nconsent:\n  retentionDays: 30\n", "'consent.retentionDays' is 30"),
        ("version: v1\nlists:\n  refusal: { lockDays: soon }\n", "'lists.refusal.lockDays' is 'soon'"),
        ("version: v1\nlists:\n  complaint: { lockDays: 30 }\n", "unknown key 'lists.complaint.lockDays'"),
    ])
    func badCompliance(_ text: String, _ message: String) {
        #expect { try PolicyFile.parse(Data(text.utf8), file: "policy.yaml") } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test("a missing policy file is named")
    func missingFile() {
        #expect { try PolicyFile.load(path: "/nonexistent/policy.yaml") } throws: { error in
            "\(error)".contains("/nonexistent/policy.yaml cannot be read")
        }
    }
}
