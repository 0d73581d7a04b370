#ifndef WAIHU_C_MEMORY_HINTS_H
#define WAIHU_C_MEMORY_HINTS_H

#if defined(__has_include) && __has_include(<malloc.h>)
#include <malloc.h>  // defines __GLIBC__ (through <features.h>) on glibc
#endif

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

/// Sets glibc malloc's heap growth padding (M_TOP_PAD) and the free memory kept at a heap's top before
/// it is returned (M_TRIM_THRESHOLD); Swift's Glibc module does not export <malloc.h>. Returns 0 when
/// either setting is refused, and 1 off glibc, where there is nothing to set.
static inline int waihu_set_heap_growth(int padding, int trim_threshold) {
#if defined(__GLIBC__)
    return mallopt(M_TOP_PAD, padding) && mallopt(M_TRIM_THRESHOLD, trim_threshold);
#else
    (void)padding;
    (void)trim_threshold;
    return 1;
#endif
}

#endif
