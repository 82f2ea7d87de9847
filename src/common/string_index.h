// StringIndex: strings → dense indexes (0, 1, 2, … in the order they were first added), for
// the interning tables of hot paths (the graph rows' symbols, the front-end codec's string
// table). Open addressing with linear probing over 32-bit slots, XXH3 hashes kept beside the
// keys, so a lookup touches one slot array and compares a string only on a full hash match —
// about twice as fast as std::unordered_map<std::string_view, …>, which allocates a node per
// key. The strings are not copied: each added view must stay valid as long as the index.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace cpglake {

class StringIndex {
 public:
  static constexpr uint32_t kAbsent = 0xFFFFFFFFu;

  // The hash Find and Add take (computed once when both are called).
  static uint64_t Hash(std::string_view s);

  // The index of `s`, or kAbsent.
  uint32_t Find(std::string_view s) const { return Find(s, Hash(s)); }
  uint32_t Find(std::string_view s, uint64_t hash) const;

  // Adds `s` (not present: check with Find) as index size(); `s` must outlive the index.
  uint32_t Add(std::string_view s, uint64_t hash);

  // Find, else Add.
  uint32_t FindOrAdd(std::string_view s) {
    const uint64_t h = Hash(s);
    const uint32_t i = Find(s, h);
    return i != kAbsent ? i : Add(s, h);
  }

  size_t size() const { return keys_.size(); }
  std::string_view key(uint32_t i) const { return keys_[i]; }

 private:
  void Grow();

  std::vector<std::string_view> keys_;  // by index
  std::vector<uint64_t> hashes_;        // by index
  std::vector<uint32_t> slots_;         // index, or kAbsent; size a power of two (or 0)
};

}  // namespace cpglake
