#include "malloc_tuning.h"

#include <stdlib.h>  // defines __GLIBC__ on glibc systems

#if defined(__GLIBC__)
#include <malloc.h>

// Indicator columns and candle series are arrays of hundreds of kilobytes that are built and dropped again and
// again (every backtest pass, every scan). By default glibc maps each one fresh from the kernel and unmaps or trims
// it on release, so every reuse pays a page fault per 4 KiB: more than half the time of a batch indicator pass.
// Serving them from the heap and not trimming it lets freed memory be reused.
int kestrel_keep_freed_memory(void) {
    int mapped = mallopt(M_MMAP_THRESHOLD, 16 << 20);
    int trimmed = mallopt(M_TRIM_THRESHOLD, 256 << 20);
    return mapped == 1 && trimmed == 1;
}
#else
int kestrel_keep_freed_memory(void) { return 0; }
#endif
