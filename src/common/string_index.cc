#include "common/string_index.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace cpglake {

uint64_t StringIndex::Hash(std::string_view s) {
  return XXH3_64bits(s.data(), s.size());
}

uint32_t StringIndex::Find(std::string_view s, uint64_t hash) const {
  if (slots_.empty()) return kAbsent;
  const size_t mask = slots_.size() - 1;
  for (size_t h = hash & mask;; h = (h + 1) & mask) {
    const uint32_t i = slots_[h];
    if (i == kAbsent) return kAbsent;
    if (hashes_[i] == hash && keys_[i] == s) return i;
  }
}

uint32_t StringIndex::Add(std::string_view s, uint64_t hash) {
  // At most half full: short probe runs.
  if (2 * (keys_.size() + 1) > slots_.size()) Grow();
  const auto i = static_cast<uint32_t>(keys_.size());
  keys_.push_back(s);
  hashes_.push_back(hash);
  const size_t mask = slots_.size() - 1;
  size_t h = hash & mask;
  while (slots_[h] != kAbsent) h = (h + 1) & mask;
  slots_[h] = i;
  return i;
}

void StringIndex::Grow() {
  const size_t capacity = slots_.empty() ? 16 : 2 * slots_.size();
  slots_.assign(capacity, kAbsent);
  const size_t mask = capacity - 1;
  for (uint32_t i = 0; i < keys_.size(); ++i) {
    size_t h = hashes_[i] & mask;
    while (slots_[h] != kAbsent) h = (h + 1) & mask;
    slots_[h] = i;
  }
}

}  // namespace cpglake
