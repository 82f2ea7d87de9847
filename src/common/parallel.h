// ParallelFor: runs fn(0..n-1) on up to `threads` threads (the caller's included). Work
// items are claimed in order; the first exception thrown is rethrown after all threads
// finish. Results must be written to per-index slots so output stays deterministic.
#pragma once

#include <cstddef>
#include <functional>

namespace cpglake {

void ParallelFor(size_t n, int threads, const std::function<void(size_t)>& fn);

}  // namespace cpglake
