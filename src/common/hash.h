// Content hashes for fingerprints (schemas, build configurations): BLAKE2b digests as
// lowercase hex. Stable across platforms and releases: the values are stored in tables.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cpglake {

// Lowercase hex of the BLAKE2b digest of `data`, `digest_bytes` long (1..64; 16 gives 32 hex
// characters).
std::string Blake2bHex(std::string_view data, size_t digest_bytes = 16);

}  // namespace cpglake
