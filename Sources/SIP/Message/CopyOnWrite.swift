/// A value kept behind one reference and copied only when written while shared.
///
/// A value type that is copied into many places (a URI into every request, address and dialog; a
/// request into its call, its transaction and the action that sends it; a configuration into every
/// call) stores its parts in one of these, so a copy retains one reference instead of each string and
/// list it holds.
struct CopyOnWrite<Value: Sendable>: @unchecked Sendable {
    // Written only through `value`'s `_modify`, which replaces a shared box first, so a box seen by
    // more than one holder is never written: that is what makes the `@unchecked Sendable` sound.
    private final class Box {
        var value: Value

        init(_ value: Value) {
            self.value = value
        }
    }

    private var box: Box

    init(_ value: Value) {
        box = Box(value)
    }

    /// The value; reading a part borrows it without copying the others.
    var value: Value {
        _read { yield box.value }
        _modify {
            if !isKnownUniquelyReferenced(&box) { box = Box(box.value) }
            yield &box.value
        }
    }

    /// Whether both hold the very same box, and so equal values.
    func isIdentical(to other: CopyOnWrite) -> Bool {
        box === other.box
    }
}
