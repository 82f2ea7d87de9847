#include "common/hash.h"

#include <blake2.h>

#include <cstdint>

#include "common/error.h"

namespace cpglake {

std::string Blake2bHex(std::string_view data, size_t digest_bytes) {
  if (digest_bytes == 0 || digest_bytes > BLAKE2B_OUTBYTES) {
    throw InvalidInput("BLAKE2b digest length must be 1..64 bytes");
  }
  uint8_t digest[BLAKE2B_OUTBYTES];
  if (blake2b(digest, data.data(), nullptr, digest_bytes, data.size(), 0) != 0) {
    throw InternalError("BLAKE2b failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * digest_bytes, '0');
  for (size_t i = 0; i < digest_bytes; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 15];
  }
  return out;
}

}  // namespace cpglake
