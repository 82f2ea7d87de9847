#include "common/hash.h"

#include <xxhash.h>

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

struct FieldHasher::State {
  XXH3_state_t* xxh = XXH3_createState();
  ~State() { XXH3_freeState(xxh); }
};

FieldHasher::FieldHasher() : state_(std::make_unique<State>()) {
  XXH3_128bits_reset(state_->xxh);
}
FieldHasher::~FieldHasher() = default;

void FieldHasher::Str(std::string_view s) {
  Num(static_cast<int64_t>(s.size()));
  XXH3_128bits_update(state_->xxh, s.data(), s.size());
}
void FieldHasher::Num(int64_t v) {
  XXH3_128bits_update(state_->xxh, &v, sizeof v);
}
void FieldHasher::Tag(char c) {
  XXH3_128bits_update(state_->xxh, &c, 1);
}

std::string FieldHasher::Hex() const {
  const XXH128_hash_t h = XXH3_128bits_digest(state_->xxh);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    const uint64_t word = i < 8 ? h.high64 : h.low64;
    const auto byte = static_cast<unsigned>((word >> (8 * (7 - i % 8))) & 0xFF);
    out[static_cast<size_t>(2 * i)] = kHex[byte >> 4];
    out[static_cast<size_t>(2 * i + 1)] = kHex[byte & 15];
  }
  return out;
}

}  // namespace cpglake
