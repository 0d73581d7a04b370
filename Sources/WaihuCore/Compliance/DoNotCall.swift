import CMemoryHints
import Foundation

/// Why a number is on the do-not-call list.
public enum DoNotCallReason: String, Sendable, Codable, CaseIterable, Hashable {
    /// The customer refused further calls ("不需要,别打了", SMS N/3): RULES C7.
    case refusal
    /// The customer complained: RULES C8.
    case complaint
    /// The number is empty, stopped or invalid (空号, 停机): RULES C9.
    case invalid
    /// From an imported do-not-call list (another system's refusals, a national list): RULES C7.
    case imported

    /// The rulebook id the reason enforces.
    public var rule: String {
        switch self {
        case .refusal, .imported: "C7"
        case .complaint: "C8"
        case .invalid: "C9"
        }
    }

    /// The reason's bit in a `DoNotCallSet`.
    public var bit: UInt8 {
        switch self {
        case .refusal: 1
        case .complaint: 2
        case .invalid: 4
        case .imported: 8
        }
    }
}

/// One listing of a number.
public struct DoNotCallEntry: Sendable, Hashable {
    public let phone: PhoneNumber
    public let reason: DoNotCallReason
    public let addedAt: Date
    /// Who listed it: `api`, `cli`, `sms_reply`, `call_outcome`, `import:<name>` …
    public let source: String
    public let note: String?
    /// For a complaint: the caller number complained about (a number-health signal).
    public let caller: PhoneNumber?

    public init(phone: PhoneNumber, reason: DoNotCallReason, addedAt: Date, source: String, note: String? = nil, caller: PhoneNumber? = nil) {
        self.phone = phone
        self.reason = reason
        self.addedAt = addedAt
        self.source = source
        self.note = note
        self.caller = caller
    }
}

/// The do-not-call list in memory: millions of numbers at a few bytes each, answered in nanoseconds.
///
/// Chinese mobile numbers — nearly all of any list — are bucketed by their 7-digit prefix (号段): the bucket
/// index is a table of offsets, and each number keeps only its last four digits (2 bytes) and its reasons
/// (1 byte). Other numbers sit in a sorted array of E.164 digits. Writes after the last build go to a small
/// overlay that is consulted first; bulk imports rebuild the compact part.
public struct DoNotCallSet: Sendable {
    private static let firstMobilePrefix: UInt64 = 1_000_000  // 7-digit prefixes 1000000…1999999
    private static let chineseMobileBase: UInt64 = 86 * 100_000_000_000

    /// bucketStart[p] … bucketStart[p+1] are the entries of prefix 1000000 + p. Empty until a mobile is added.
    private var bucketStart: [UInt32] = []
    private var suffixes: [UInt16] = []
    private var mobileReasons: [UInt8] = []
    private var others: [UInt64] = []
    private var otherReasons: [UInt8] = []
    /// Reasons changed since the last build; 0 means "removed".
    private var overlay: [UInt64: UInt8] = [:]

    public init() {}

    /// Builds the compact set from (E.164 digits, reason bits) pairs; duplicates are merged.
    public init(entries: [(number: UInt64, reasons: UInt8)]) {
        var mobile: [UInt64] = []
        var other: [(UInt64, UInt8)] = []
        mobile.reserveCapacity(entries.count)
        for (number, reasons) in entries where reasons != 0 {
            if let key = DoNotCallSet.mobileKey(number) {
                mobile.append(key << 8 | UInt64(reasons))
            } else {
                other.append((number, reasons))
            }
        }
        mobile.sort()
        // Merge duplicates in place: reasons of one number are ORed.
        var unique = 0
        for packed in mobile {
            if unique > 0 && mobile[unique - 1] >> 8 == packed >> 8 {
                mobile[unique - 1] |= packed & 0xFF
            } else {
                mobile[unique] = packed
                unique += 1
            }
        }
        if unique > 0 {
            var counts = [UInt32](repeating: 0, count: 1_000_000)
            for packed in mobile[..<unique] { counts[Int((packed >> 8) / 10_000)] += 1 }
            bucketStart = hugePageArray(repeating: 0, count: 1_000_001)
            var running: UInt32 = 0
            for bucket in 0..<1_000_000 {
                bucketStart[bucket] = running
                running += counts[bucket]
            }
            bucketStart[1_000_000] = running
            suffixes = hugePageArray(repeating: 0, count: unique)
            mobileReasons = hugePageArray(repeating: 0, count: unique)
            for (index, packed) in mobile[..<unique].enumerated() {
                suffixes[index] = UInt16((packed >> 8) % 10_000)
                mobileReasons[index] = UInt8(truncatingIfNeeded: packed)
            }
        }
        other.sort { $0.0 < $1.0 }
        for (number, reasons) in other {
            if others.last == number {
                otherReasons[otherReasons.count - 1] |= reasons
            } else {
                others.append(number)
                otherReasons.append(reasons)
            }
        }
    }

    /// The mobile key (7-digit prefix − 1,000,000) × 10,000 + last four digits, for +86 1xxxxxxxxxx.
    @inline(__always)
    private static func mobileKey(_ number: UInt64) -> UInt64? {
        guard number >= chineseMobileBase + 10_000_000_000, number < chineseMobileBase + 20_000_000_000 else { return nil }
        return number - chineseMobileBase - firstMobilePrefix * 10_000
    }

    /// The reasons a number is listed for, as `DoNotCallReason` bits (0: not listed).
    @inline(__always)
    public func reasons(_ number: UInt64) -> UInt8 {
        if !overlay.isEmpty, let reasons = overlay[number] { return reasons }
        return compactReasons(number)
    }

    private func compactReasons(_ number: UInt64) -> UInt8 {
        if let key = DoNotCallSet.mobileKey(number) {
            guard !bucketStart.isEmpty else { return 0 }
            let bucket = Int(key / 10_000)
            return mobileReasons(suffix: UInt16(key % 10_000), low: Int(bucketStart[bucket]), high: Int(bucketStart[bucket + 1]))
        }
        var low = 0, high = others.count
        while low < high {
            let middle = (low + high) >> 1
            let value = others[middle]
            if value == number { return otherReasons[middle] }
            if value < number { low = middle + 1 } else { high = middle }
        }
        return 0
    }

    /// For batches, step 1: the bucket of a mobile kept in buckets, with its bounds on their way; nil for
    /// other numbers (`reasons(_:)` answers for them).
    @inline(__always)
    func prefetchBucket(of number: UInt64) -> (bucket: Int, suffix: UInt16)? {
        guard overlay.isEmpty || overlay[number] == nil, !bucketStart.isEmpty, let key = DoNotCallSet.mobileKey(number) else { return nil }
        let bucket = Int(key / 10_000)
        bucketStart.withUnsafeBufferPointer { waihu_prefetch($0.baseAddress! + bucket) }
        return (bucket, UInt16(key % 10_000))
    }

    /// For batches, step 2: the entries of a bucket from step 1, with their suffixes and reasons on their way.
    @inline(__always)
    func prefetchEntries(ofBucket bucket: Int) -> (low: Int, high: Int) {
        let low = Int(bucketStart[bucket]), high = Int(bucketStart[bucket + 1])
        if low < high {
            suffixes.withUnsafeBufferPointer { waihu_prefetch($0.baseAddress! + low); waihu_prefetch($0.baseAddress! + (high - 1)) }
            mobileReasons.withUnsafeBufferPointer { waihu_prefetch($0.baseAddress! + low); waihu_prefetch($0.baseAddress! + (high - 1)) }
        }
        return (low, high)
    }

    /// The reasons of a mobile within its bucket.
    @inline(__always)
    func mobileReasons(suffix: UInt16, low: Int, high: Int) -> UInt8 {
        var low = low, high = high
        while low < high {
            let middle = (low + high) >> 1
            let value = suffixes[middle]
            if value == suffix { return mobileReasons[middle] }
            if value < suffix { low = middle + 1 } else { high = middle }
        }
        return 0
    }

    /// Sets the reasons of one number (0 removes it from the list).
    public mutating func set(_ number: UInt64, reasons: UInt8) {
        overlay[number] = reasons
    }

    /// Every listed number with its reasons, overlay applied, in no particular order.
    public func allEntries() -> [(number: UInt64, reasons: UInt8)] {
        var result: [(number: UInt64, reasons: UInt8)] = []
        result.reserveCapacity(count + overlay.count)
        if !bucketStart.isEmpty {
            for bucket in 0..<1_000_000 {
                let prefix = DoNotCallSet.chineseMobileBase + (DoNotCallSet.firstMobilePrefix + UInt64(bucket)) * 10_000
                for index in Int(bucketStart[bucket])..<Int(bucketStart[bucket + 1]) {
                    let number = prefix + UInt64(suffixes[index])
                    if overlay[number] == nil { result.append((number, mobileReasons[index])) }
                }
            }
        }
        for (index, number) in others.enumerated() where overlay[number] == nil {
            result.append((number, otherReasons[index]))
        }
        for (number, reasons) in overlay where reasons != 0 { result.append((number, reasons)) }
        return result
    }

    /// Folds the overlay and `additions` into a new compact set.
    public func rebuilt(adding additions: [(number: UInt64, reasons: UInt8)] = []) -> DoNotCallSet {
        var merged = allEntries()
        merged.append(contentsOf: additions)
        return DoNotCallSet(entries: merged)
    }

    /// Numbers in the compact part (the overlay not counted).
    public var count: Int { suffixes.count + others.count }

    /// Bytes held by the compact part.
    public var compactBytes: Int {
        bucketStart.capacity * 4 + suffixes.capacity * 2 + mobileReasons.capacity + others.capacity * 8 + otherReasons.capacity
    }

    /// Entries written since the last build.
    public var overlayCount: Int { overlay.count }
}
