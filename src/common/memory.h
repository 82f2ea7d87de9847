// Memory hints for large, short-lived arrays.
#pragma once

#include <cstddef>

namespace cpglake {

// Asks the kernel to back [p, p + bytes) with transparent huge pages where it can (Linux
// MADV_HUGEPAGE on the 2 MiB-aligned interior; a no-op elsewhere or for small ranges). Call it
// before the memory is first touched: a 100 MB array then costs ~50 page faults instead of
// ~25,000, and page faults dominate building large in-memory indexes on virtual machines.
void AdviseHugePages(void* p, size_t bytes);

// Keeps freed memory in the process for reuse instead of handing it back to the kernel at
// once: allocations up to 32 MiB come from the heap (glibc would otherwise mmap and munmap
// every buffer above its adaptive threshold) and the heap top is trimmed only above 256 MiB.
// A scan decodes one page or row group after another into buffers of the same sizes; without
// this each one is faulted in afresh, and page faults were ~40% of the CPU time of a Delta
// point lookup. Code that frees a lot on purpose still returns it with malloc_trim. Call once,
// early in main(), before other threads start; a no-op where glibc's mallopt is missing.
void TuneAllocator();

}  // namespace cpglake
