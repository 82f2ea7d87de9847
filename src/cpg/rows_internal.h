// Helpers shared by the row code of cpg/ (rows.cc, derived_rows.cc); not part of the API.
#pragma once

#include <cstdint>

namespace cpglake::cpg::internal {

// The 8 bytes at `p` as a big-endian integer: digests compared as integers keep byte order.
inline uint64_t LoadBigEndian(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace cpglake::cpg::internal
