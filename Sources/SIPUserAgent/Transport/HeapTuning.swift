import CMemoryHints

/// Process-wide allocator settings for a process that places calls at a high rate.
///
/// A busy user agent keeps every finished call for Timer K and every timer on its wheel for seconds, so
/// its heap rises and falls by megabytes all the time. glibc's defaults grow an event-loop thread's heap a
/// page range at a time and hand freed tops back at once, which costs an `mprotect` system call about
/// twice per call (measured with `strace -c` under `sip-load`). Growing in large steps and keeping what
/// was freed removes those calls; the memory stays available to the process.
public enum HeapTuning {
    /// Extra heap requested whenever a heap grows.
    public static let growthPadding = 64 << 20
    /// Free memory at the top of a heap kept rather than returned to the system.
    public static let retainedFreeMemory = 256 << 20

    /// Applies the settings; call once at start, before the event loops run. Does nothing off glibc.
    /// Returns false when the allocator refused them.
    @discardableResult
    public static func applyForCallLoad() -> Bool {
        waihu_set_heap_growth(Int32(growthPadding), Int32(retainedFreeMemory)) != 0
    }
}
