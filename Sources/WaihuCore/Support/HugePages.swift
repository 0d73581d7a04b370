#if canImport(Glibc)
import Glibc
#endif

/// An array whose memory the kernel is asked to back with huge pages (Linux transparent huge pages, mode
/// `madvise`). Tables of millions of entries are read at random; with 4 KiB pages nearly every read also
/// misses the TLB, which in a virtual machine costs a nested page walk.
func hugePageArray<Element>(repeating value: Element, count: Int) -> [Element] {
    [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
        adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
        buffer.initialize(repeating: value)
        initialized = count
    }
}

/// Advises huge pages for the 2 MiB-aligned part of `buffer`, before its pages are first touched.
func adviseHugePages(_ buffer: UnsafeMutableRawBufferPointer) {
    #if os(Linux)
    let hugePage = 2 << 20
    guard let base = buffer.baseAddress, buffer.count >= 2 * hugePage else { return }
    let start = (Int(bitPattern: base) + hugePage - 1) & ~(hugePage - 1)
    let end = (Int(bitPattern: base) + buffer.count) & ~(hugePage - 1)
    guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
    _ = madvise(pointer, end - start, MADV_HUGEPAGE)
    #endif
}
