#include "columnar/bitmap.h"

#include <bit>

namespace cpglake::columnar {

void Bitmap::AppendN(int64_t n, bool v) {
  if (n <= 0) return;
  if (!v) {
    // New bits are already zero once their words exist.
    length_ += n;
    words_.resize((length_ + 63) / 64, 0);
    return;
  }
  while (n > 0 && (length_ & 63) != 0) {
    Append(true);
    --n;
  }
  while (n >= 64) {
    words_.push_back(~uint64_t{0});
    length_ += 64;
    n -= 64;
  }
  while (n-- > 0) Append(true);
}

void Bitmap::Resize(int64_t length, bool value) {
  if (length < length_) {
    length_ = length;
    words_.resize((length + 63) / 64);
    if (length & 63) words_.back() &= (uint64_t{1} << (length & 63)) - 1;
    return;
  }
  AppendN(length - length_, value);
}

int64_t Bitmap::CountSet() const {
  int64_t n = 0;
  for (uint64_t w : words_) n += std::popcount(w);
  return n;
}

}  // namespace cpglake::columnar
