// A growable bitmap: bit i set means value i is valid (not null).
#pragma once

#include <cstdint>
#include <vector>

namespace cpglake::columnar {

class Bitmap {
 public:
  Bitmap() = default;
  Bitmap(int64_t length, bool value) { Resize(length, value); }

  int64_t length() const { return length_; }
  bool Get(int64_t i) const { return (words_[i >> 6] >> (i & 63)) & 1; }
  void Set(int64_t i, bool v) {
    uint64_t mask = uint64_t{1} << (i & 63);
    if (v) {
      words_[i >> 6] |= mask;
    } else {
      words_[i >> 6] &= ~mask;
    }
  }
  void Append(bool v) {
    if ((length_ & 63) == 0) words_.push_back(0);
    if (v) words_[length_ >> 6] |= uint64_t{1} << (length_ & 63);
    ++length_;
  }
  // Appends `n` copies of `v`.
  void AppendN(int64_t n, bool v);
  void Resize(int64_t length, bool value);
  void Reserve(int64_t n) { words_.reserve((n + 63) / 64); }
  void Clear() {
    words_.clear();
    length_ = 0;
  }
  int64_t CountSet() const;
  const std::vector<uint64_t>& words() const { return words_; }

 private:
  std::vector<uint64_t> words_;  // bits past length_ are always zero
  int64_t length_ = 0;
};

}  // namespace cpglake::columnar
