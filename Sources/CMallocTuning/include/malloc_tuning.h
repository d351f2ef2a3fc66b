#ifndef KESTREL_MALLOC_TUNING_H
#define KESTREL_MALLOC_TUNING_H

/// Keeps large freed blocks on the heap instead of returning them to the kernel (glibc only; elsewhere a no-op).
/// Returns 1 when the allocator accepted the settings.
int kestrel_keep_freed_memory(void);

#endif
