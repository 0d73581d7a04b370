#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A Call-ID as the key the core routes messages by.
///
/// Stored keys hold their session's Call-ID text. A received message is looked up with a key that
/// borrows its Call-ID's bytes from the datagram for the length of the look-up, so routing a message
/// makes no String of its Call-ID. Both kinds hash and compare the same bytes, so they find each other.
struct CallIDKey: Hashable {
    private enum Bytes {
        case text(String)
        /// Valid only inside `withBorrowedBytes`; never stored.
        case borrowed(UnsafeRawBufferPointer)
    }

    private let bytes: Bytes

    /// The key a session is stored under.
    init(_ callID: String) {
        bytes = .text(callID)
    }

    private init(borrowing raw: UnsafeRawBufferPointer) {
        bytes = .borrowed(raw)
    }

    /// Calls `body` with a key for these bytes; the key must not outlive the call.
    static func withBorrowedBytes<Result>(_ raw: UnsafeRawBufferPointer, _ body: (CallIDKey) -> Result) -> Result {
        body(CallIDKey(borrowing: raw))
    }

    private func withRawBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        switch bytes {
        // Borrowed, not copied into a `var` for `withUTF8`: a stored key's text is a native, contiguous string.
        case .text(let text):
            text.utf8.withContiguousStorageIfAvailable { body(UnsafeRawBufferPointer($0)) }
                ?? Array(text.utf8).withUnsafeBytes(body)
        case .borrowed(let raw): body(raw)
        }
    }

    static func == (lhs: CallIDKey, rhs: CallIDKey) -> Bool {
        lhs.withRawBytes { left in
            rhs.withRawBytes { right in
                left.count == right.count && (left.isEmpty || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0)
            }
        }
    }

    func hash(into hasher: inout Hasher) {
        withRawBytes { hasher.combine(bytes: $0) }
    }
}
