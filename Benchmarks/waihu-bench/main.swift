import Foundation
import WaihuCore

// waihu-bench: figures for the hot paths, each next to a baseline measured in the same run.
// Run through scripts/bench (release build). Usage: waihu-bench lookup [count] | compliance [scale] | pool [selections]

/// Runs `body` `rounds` times and returns the best rate in operations per second.
func bestRate(rounds: Int = 5, operations: Int, _ body: () -> Int) -> (rate: Double, checksum: Int) {
    var best = 0.0
    var checksum = 0
    for _ in 0..<rounds {
        let start = ContinuousClock.now
        checksum &+= body()
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        best = max(best, Double(operations) / seconds)
    }
    return (best, checksum)
}

func format(_ rate: Double) -> String {
    rate >= 1e6 ? String(format: "%.2fM", rate / 1e6) : rate >= 1e4 ? String(format: "%.0fk", rate / 1e3) : String(format: "%.0f", rate)
}

/// The numbers operators paste, in the proportions a contact list has them.
func sampleInputs(count: Int) -> [String] {
    var generator = SystemRandomNumberGenerator()
    let mobilePrefixes = ["138", "139", "135", "186", "189", "177", "150", "158", "199", "182"]
    let areaCodes = ["010", "021", "020", "0755", "0571", "028", "027", "025", "029", "0531"]
    return (0..<count).map { index in
        let subscriber = String(Int.random(in: 10_000_000...99_999_999, using: &generator))
        switch index % 10 {
        case 0...4: return mobilePrefixes[index % mobilePrefixes.count] + subscriber
        case 5: return "+86 " + mobilePrefixes[index % mobilePrefixes.count] + "-" + subscriber.prefix(4) + "-" + subscriber.suffix(4)
        case 6: return "0086" + mobilePrefixes[index % mobilePrefixes.count] + subscriber
        case 7, 8: return areaCodes[index % areaCodes.count] + "-" + String(Int.random(in: 2_000_0000...8_999_9999, using: &generator))
        default: return "(" + areaCodes[index % areaCodes.count] + ") " + String(Int.random(in: 2_000_0000...8_999_9999, using: &generator))
        }
    }
}

/// The usual port of libphonenumber's geocoder: strip non-digits, strip prefixes with string operations,
/// then try ever shorter prefixes as keys of a string dictionary.
struct StringPrefixBaseline {
    var table: [String: String] = [:]

    init(directory: PhoneDirectory) {
        for segment in 130...199 {
            for block in 0..<10_000 {
                let prefix = "\(segment)\(String(format: "%04d", block))"
                if let info = try? directory.lookup(prefix + "0000"), let location = info.location {
                    table[prefix] = location
                }
            }
        }
        for areaCode in ["10", "20", "21", "22", "23", "24", "25", "27", "28", "29"] + (310...999).map(String.init) {
            if let info = try? directory.lookup("0\(areaCode)88881234"), let location = info.location {
                table[areaCode] = location
            }
        }
    }

    func lookup(_ text: String) -> String? {
        var digits = String(text.unicodeScalars.filter { ("0"..."9").contains($0) }.map(Character.init))
        if digits.hasPrefix("0086") { digits.removeFirst(4) } else if digits.hasPrefix("86") && digits.count > 11 { digits.removeFirst(2) }
        if digits.hasPrefix("0") { digits.removeFirst() }
        for length in stride(from: min(7, digits.count), through: 2, by: -1) {
            if let location = table[String(digits.prefix(length))] { return location }
        }
        return nil
    }
}

func benchmarkLookup(count: Int) {
    let directory = PhoneDirectory.bundled
    let inputs = sampleInputs(count: count)
    let baseline = StringPrefixBaseline(directory: directory)
    var agreed = 0
    for text in inputs.prefix(10_000) where (try? directory.lookup(text))?.location == baseline.lookup(text) { agreed += 1 }

    let waihu = bestRate(operations: inputs.count) {
        var found = 0
        for text in inputs {
            if let info = try? directory.lookup(text), info.province != nil { found &+= 1 }
        }
        return found
    }
    let naive = bestRate(operations: inputs.count) {
        var found = 0
        for text in inputs where baseline.lookup(text) != nil { found &+= 1 }
        return found
    }
    print("lookup: \(inputs.count) numbers in pasted forms (mobile, +86, 0086, fixed line with area code)")
    print("  waihu PhoneDirectory.lookup      \(format(waihu.rate)) lookups/s (parse + kind + carrier + province/city)")
    print("  baseline string-prefix geocoder  \(format(naive.rate)) lookups/s (location only)")
    print("  ratio waihu / baseline           \(String(format: "%.1f", waihu.rate / naive.rate))×")
    print("  agreement on location            \(agreed) of 10000; checksums \(waihu.checksum) \(naive.checksum)")
    print("RESULT lookup_per_second=\(Int(waihu.rate)) baseline_per_second=\(Int(naive.rate))")
}

let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "lookup":
    benchmarkLookup(count: arguments.dropFirst().first.flatMap(Int.init) ?? 1_000_000)
case "compliance":
    let scale = arguments.dropFirst().first.flatMap(Double.init) ?? 1
    try await ComplianceBenchmark(scale: scale, folder: NSTemporaryDirectory() + "waihu-bench-compliance").run()
case "pool":
    try await PoolBenchmark(numbers: 10_000, selections: arguments.dropFirst().first.flatMap(Int.init) ?? 2_000_000,
                            folder: NSTemporaryDirectory() + "waihu-bench-pool").run()
case "profile-decisions":
    profileDecisions(scale: arguments.dropFirst().first.flatMap(Double.init) ?? 1)
case "profile-scrub":
    try await profileScrub()
case "sip-engine":
    guard let kind = SIPEngineCallKind(rawValue: arguments.dropFirst(3).first ?? "answered") else {
        print("sip-engine: the call kind is answered or busy")
        exit(2)
    }
    profileSIPEngine(
        calls: arguments.dropFirst().first.flatMap(Int.init) ?? 100_000,
        rounds: arguments.dropFirst(2).first.flatMap(Int.init) ?? 5, kind: kind)
default:
    print("usage: waihu-bench lookup [count] | compliance [scale] | pool [selections] | sip-engine [calls [rounds [answered|busy]]]")
    exit(2)
}
