// ParallelFor: runs fn(0..n-1) on up to `threads` threads (the caller's included). Work
// items are claimed in order; after all threads finish, the exception of the lowest failing
// index is rethrown (every index below it has run, so which error is reported does not
// depend on timing). Results must be written to per-index slots so output stays deterministic.
#pragma once

#include <cstddef>
#include <functional>

namespace cpglake {

void ParallelFor(size_t n, int threads, const std::function<void(size_t)>& fn);

// One thread per hardware core (at least 1).
int DefaultThreads();

}  // namespace cpglake
