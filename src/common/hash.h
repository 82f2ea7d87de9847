// Content hashes for fingerprints (schemas, build configurations): BLAKE2b digests as
// lowercase hex. Stable across platforms and releases: the values are stored in tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace cpglake {

// Lowercase hex of the BLAKE2b digest of `data`, `digest_bytes` long (1..64; 16 gives 32 hex
// characters).
std::string Blake2bHex(std::string_view data, size_t digest_bytes = 16);

// A streaming 128-bit hash (XXH3) of typed fields, for fingerprints compared between builds:
// each string is fed with its length and each number as 8 bytes, so no two field sequences
// feed the same bytes. Much faster than BLAKE2b; not for ids (those are BLAKE2b, CPG_MODEL.md).
class FieldHasher {
 public:
  FieldHasher();
  ~FieldHasher();
  FieldHasher(const FieldHasher&) = delete;
  FieldHasher& operator=(const FieldHasher&) = delete;
  void Str(std::string_view s);
  void Num(int64_t v);
  void Tag(char c);
  // 32 lowercase hex characters.
  std::string Hex() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace cpglake
