#ifndef WAIHU_C_MEMORY_HINTS_H
#define WAIHU_C_MEMORY_HINTS_H

/// Asks the processor to start loading the cache line holding `address`, without waiting for it and
/// without faulting: the compliance index issues these for a batch of callees before reading any of them,
/// so that their cache misses overlap. Swift has no prefetch of its own.
static inline __attribute__((always_inline)) void waihu_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/// The same for a line about to be written (an object whose reference count will change).
static inline __attribute__((always_inline)) void waihu_prefetch_for_write(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

#endif
