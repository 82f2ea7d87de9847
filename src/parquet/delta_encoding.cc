#include "parquet/delta_encoding.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/error.h"
#include "parquet/bit_util.h"
#include "parquet/rle_bit_packed.h"

namespace cpglake::parquet {

namespace {

// Largest block size we accept (Arrow reads it as a 32-bit value too).
constexpr uint64_t kMaxBlockSize = uint64_t{1} << 31;

[[noreturn]] void ThrowDelta(const std::string& what) {
  throw CorruptData("DELTA_BINARY_PACKED: " + what);
}

// out[i] = last += min_delta + deltas[i] for 32 values, wrapping; returns the new last value.
// The running sum is a serial dependency; SSE2 computes it four (or two) lanes at a time.
inline uint32_t PrefixSum32(const uint32_t* deltas, uint32_t min_delta, uint32_t last,
                            uint32_t* out) {
#if defined(__SSE2__)
  const __m128i md = _mm_set1_epi32(static_cast<int>(min_delta));
  __m128i carry = _mm_set1_epi32(static_cast<int>(last));
  for (int i = 0; i < 32; i += 4) {
    __m128i x = _mm_add_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(deltas + i)), md);
    x = _mm_add_epi32(x, _mm_slli_si128(x, 4));
    x = _mm_add_epi32(x, _mm_slli_si128(x, 8));
    x = _mm_add_epi32(x, carry);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), x);
    carry = _mm_shuffle_epi32(x, 0xFF);
  }
  return static_cast<uint32_t>(_mm_cvtsi128_si32(carry));
#else
  for (int i = 0; i < 32; ++i) out[i] = last += min_delta + deltas[i];
  return last;
#endif
}

inline uint64_t PrefixSum32(const uint64_t* deltas, uint64_t min_delta, uint64_t last,
                            uint64_t* out) {
#if defined(__SSE2__)
  const __m128i md = _mm_set1_epi64x(static_cast<int64_t>(min_delta));
  __m128i carry = _mm_set1_epi64x(static_cast<int64_t>(last));
  for (int i = 0; i < 32; i += 2) {
    __m128i x = _mm_add_epi64(_mm_loadu_si128(reinterpret_cast<const __m128i*>(deltas + i)), md);
    x = _mm_add_epi64(x, _mm_slli_si128(x, 8));
    x = _mm_add_epi64(x, carry);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), x);
    carry = _mm_shuffle_epi32(x, 0xEE);
  }
  return static_cast<uint64_t>(_mm_cvtsi128_si64(carry));
#else
  for (int i = 0; i < 32; ++i) out[i] = last += min_delta + deltas[i];
  return last;
#endif
}

// Decodes `count` values (a multiple of 32) from a miniblock of W-bit relative deltas. Returns
// the last value. `in_size` is the readable bytes at `in` (at least count * W / 8).
template <typename U, int W>
U DecodeMiniblock(const uint8_t* in, size_t in_size, int64_t count, U min_delta, U last, U* out) {
  constexpr size_t kChunkBytes = 4 * W;
  for (int64_t done = 0; done < count; done += 32) {
    if constexpr (W == 0) {
      for (int i = 0; i < 32; ++i) out[done + i] = last += min_delta;
    } else {
      U deltas[32];
      bit_util::Unpack32Safe<U, W>(in, in_size, deltas);
      last = PrefixSum32(deltas, min_delta, last, out + done);
      in += kChunkBytes;
      in_size -= kChunkBytes;
    }
  }
  return last;
}

template <typename U>
using MiniblockFn = U (*)(const uint8_t*, size_t, int64_t, U, U, U*);

template <typename U, int... W>
constexpr std::array<MiniblockFn<U>, sizeof...(W)> MakeMiniblockTable(
    std::integer_sequence<int, W...>) {
  return {&DecodeMiniblock<U, W>...};
}

template <typename U>
constexpr auto kMiniblockTable =
    MakeMiniblockTable<U>(std::make_integer_sequence<int, static_cast<int>(sizeof(U) * 8) + 1>{});

}  // namespace

// ---- DeltaBitPackDecoder -----------------------------------------------------------------------

template <typename T>
DeltaBitPackDecoder<T>::DeltaBitPackDecoder(const uint8_t* data, size_t size)
    : begin_(data), pos_(data), end_(data + size) {
  uint64_t block_size, miniblocks, total;
  int64_t first;
  if (!bit_util::ReadUleb128(&pos_, end_, &block_size) ||
      !bit_util::ReadUleb128(&pos_, end_, &miniblocks) ||
      !bit_util::ReadUleb128(&pos_, end_, &total) || !bit_util::ReadZigZag(&pos_, end_, &first)) {
    ThrowDelta("truncated or malformed header");
  }
  if (block_size == 0 || block_size % 128 != 0 || block_size > kMaxBlockSize) {
    ThrowDelta("block size " + std::to_string(block_size) + " is not a positive multiple of 128");
  }
  if (miniblocks == 0 || block_size % miniblocks != 0 || (block_size / miniblocks) % 32 != 0) {
    ThrowDelta(std::to_string(miniblocks) + " miniblocks per block of " +
               std::to_string(block_size) + " values do not give a multiple of 32 per miniblock");
  }
  if (total > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    ThrowDelta("value count " + std::to_string(total) + " is out of range");
  }
  miniblocks_per_block_ = miniblocks;
  values_per_miniblock_ = block_size / miniblocks;
  miniblock_index_ = miniblocks;  // the first GetBatch past the first value reads a block header
  total_values_ = values_left_ = static_cast<int64_t>(total);
  last_ = static_cast<U>(first);  // wraps for INT32, as the spec's arithmetic does
}

template <typename T>
void DeltaBitPackDecoder<T>::ReadBlockHeader() {
  int64_t min_delta;
  if (!bit_util::ReadZigZag(&pos_, end_, &min_delta)) ThrowDelta("truncated block header");
  if (static_cast<uint64_t>(end_ - pos_) < miniblocks_per_block_) {
    ThrowDelta("truncated miniblock bit widths");
  }
  min_delta_ = static_cast<U>(min_delta);
  widths_ = pos_;
  pos_ += miniblocks_per_block_;
  miniblock_index_ = 0;
}

template <typename T>
inline void DeltaBitPackDecoder<T>::NextMiniblock() {
  if (miniblock_index_ >= miniblocks_per_block_) ReadBlockHeader();
  const int width = widths_[miniblock_index_++];
  if (width > static_cast<int>(sizeof(T) * 8)) [[unlikely]] {
    ThrowDelta("miniblock bit width " + std::to_string(width) + " exceeds " +
               std::to_string(sizeof(T) * 8));
  }
  const uint64_t bytes = values_per_miniblock_ / 8 * static_cast<uint64_t>(width);
  if (bytes > static_cast<uint64_t>(end_ - pos_)) [[unlikely]] {
    ThrowDelta("truncated miniblock");
  }
  mb_pos_ = pos_;
  pos_ += bytes;
  mb_width_ = width;
  mb_left_ = static_cast<int64_t>(values_per_miniblock_);
}

template <typename T>
int64_t DeltaBitPackDecoder<T>::GetBatch(T* out, int64_t n) {
  n = std::min(n, values_left_);
  if (n <= 0) return 0;
  U* uout = reinterpret_cast<U*>(out);
  int64_t done = 0;
  if (first_pending_) {
    uout[0] = last_;
    first_pending_ = false;
    done = 1;
  }
  while (done < n) {
    if (buf_pos_ < buf_len_) {
      const int64_t k = std::min<int64_t>(n - done, buf_len_ - buf_pos_);
      std::memcpy(uout + done, buf_ + buf_pos_, static_cast<size_t>(k) * sizeof(U));
      buf_pos_ += static_cast<int>(k);
      done += k;
      continue;
    }
    if (mb_left_ == 0) NextMiniblock();
    const auto avail = static_cast<size_t>(end_ - mb_pos_);
    const MiniblockFn<U> decode = kMiniblockTable<U>[mb_width_];
    // mb_left_ is a multiple of 32 and we always take whole chunks of 32 from the miniblock.
    const int64_t want = n - done;
    int64_t k;
    if (want >= 32) {
      k = std::min(want, mb_left_) & ~int64_t{31};
      last_ = decode(mb_pos_, avail, k, min_delta_, last_, uout + done);
      done += k;
    } else {
      k = 32;
      last_ = decode(mb_pos_, avail, k, min_delta_, last_, buf_);
      buf_pos_ = 0;
      buf_len_ = 32;
    }
    mb_pos_ += k / 8 * mb_width_;
    mb_left_ -= k;
  }
  values_left_ -= n;
  return n;
}

// ---- DeltaBitPackEncoder -----------------------------------------------------------------------

template <typename T>
DeltaBitPackEncoder<T>::DeltaBitPackEncoder(int block_size, int miniblocks_per_block)
    : block_size_(block_size), miniblocks_per_block_(miniblocks_per_block) {
  if (block_size <= 0 || block_size % 128 != 0 || miniblocks_per_block <= 0 ||
      block_size % miniblocks_per_block != 0 || (block_size / miniblocks_per_block) % 32 != 0) {
    throw InvalidInput("DELTA_BINARY_PACKED: invalid block size " + std::to_string(block_size) +
                       " / miniblocks " + std::to_string(miniblocks_per_block));
  }
  deltas_.resize(static_cast<size_t>(block_size));
  miniblock_.resize(static_cast<size_t>(block_size / miniblocks_per_block));
}

template <typename T>
void DeltaBitPackEncoder<T>::FlushBlock() {
  if (block_len_ == 0) return;
  T min_delta = static_cast<T>(deltas_[0]);
  for (size_t i = 1; i < block_len_; ++i)
    min_delta = std::min(min_delta, static_cast<T>(deltas_[i]));
  bit_util::AppendZigZag(&blocks_, static_cast<int64_t>(min_delta));
  const auto umin = static_cast<U>(min_delta);
  const size_t per_miniblock = miniblock_.size();
  const size_t widths_at = blocks_.size();
  blocks_.append(static_cast<size_t>(miniblocks_per_block_), '\0');  // unused ones stay 0
  for (size_t mb = 0; mb * per_miniblock < block_len_; ++mb) {
    const size_t start = mb * per_miniblock;
    const size_t n = std::min(per_miniblock, block_len_ - start);
    U bits = 0;
    for (size_t i = 0; i < n; ++i) {
      miniblock_[i] = static_cast<U>(deltas_[start + i] - umin);
      bits |= miniblock_[i];
    }
    std::fill(miniblock_.begin() + static_cast<ptrdiff_t>(n), miniblock_.end(), U{0});
    const int width = bit_util::BitWidth(bits);
    blocks_[widths_at + mb] = static_cast<char>(width);
    PackBits(miniblock_.data(), static_cast<int64_t>(per_miniblock), width, &blocks_);
  }
  block_len_ = 0;
}

template <typename T>
void DeltaBitPackEncoder<T>::Finish(std::string* out) {
  FlushBlock();
  bit_util::AppendUleb128(out, static_cast<uint64_t>(block_size_));
  bit_util::AppendUleb128(out, static_cast<uint64_t>(miniblocks_per_block_));
  bit_util::AppendUleb128(out, static_cast<uint64_t>(count_));
  bit_util::AppendZigZag(out, static_cast<int64_t>(static_cast<T>(first_)));
  out->append(blocks_);
  blocks_.clear();
  count_ = 0;
  first_ = last_ = 0;
}

template class DeltaBitPackDecoder<int32_t>;
template class DeltaBitPackDecoder<int64_t>;
template class DeltaBitPackEncoder<int32_t>;
template class DeltaBitPackEncoder<int64_t>;

// ---- DELTA_LENGTH_BYTE_ARRAY -------------------------------------------------------------------

namespace {

// Decodes a DELTA_BINARY_PACKED int32 stream of at most max_values lengths; *bytes receives its
// encoded size.
std::vector<int32_t> DecodeLengths(const uint8_t* data, size_t size, int64_t max_values,
                                   const char* what, size_t* bytes) {
  DeltaBitPackDecoder<int32_t> decoder(data, size);
  const int64_t count = decoder.total_values();
  if (count > std::max<int64_t>(max_values, 0)) {
    throw CorruptData(std::string(what) + ": " + std::to_string(count) +
                      " values declared, more than the " + std::to_string(max_values) +
                      " of the page");
  }
  std::vector<int32_t> lengths(static_cast<size_t>(count));
  decoder.GetBatch(lengths.data(), count);
  int32_t min = 0;
  for (int32_t len : lengths) min = std::min(min, len);
  if (min < 0) throw CorruptData(std::string(what) + ": negative length " + std::to_string(min));
  *bytes = decoder.bytes_consumed();
  return lengths;
}

}  // namespace

DeltaLengthByteArrayDecoder::DeltaLengthByteArrayDecoder(const uint8_t* data, size_t size,
                                                         int64_t max_values) {
  size_t header_bytes;
  lengths_ = DecodeLengths(data, size, max_values, "DELTA_LENGTH_BYTE_ARRAY", &header_bytes);
  uint64_t sum = 0;
  for (int32_t len : lengths_) sum += static_cast<uint64_t>(len);
  if (sum > size - header_bytes) {
    throw CorruptData("DELTA_LENGTH_BYTE_ARRAY: lengths add up to " + std::to_string(sum) +
                      " bytes, only " + std::to_string(size - header_bytes) + " follow");
  }
  values_ = data + header_bytes;
  bytes_consumed_ = header_bytes + static_cast<size_t>(sum);
}

int64_t DeltaLengthByteArrayDecoder::GetBatch(std::string* data, std::vector<int64_t>* offsets,
                                              int64_t n) {
  const int64_t k = std::min(n, values_left());
  if (k <= 0) return 0;
  const auto base = static_cast<int64_t>(data->size());
  const size_t first_offset = offsets->size();
  offsets->resize(first_offset + static_cast<size_t>(k));
  int64_t total = 0;
  for (int64_t i = 0; i < k; ++i) {
    total += lengths_[static_cast<size_t>(next_ + i)];
    (*offsets)[first_offset + static_cast<size_t>(i)] = base + total;
  }
  data->append(reinterpret_cast<const char*>(values_) + values_pos_, static_cast<size_t>(total));
  values_pos_ += static_cast<size_t>(total);
  next_ += k;
  return k;
}

void DeltaLengthByteArrayEncoder::Put(std::string_view value) {
  if (value.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw InvalidInput("DELTA_LENGTH_BYTE_ARRAY: value of " + std::to_string(value.size()) +
                       " bytes is too long");
  }
  lengths_.Put(static_cast<int32_t>(value.size()));
  data_.append(value);
}

void DeltaLengthByteArrayEncoder::Finish(std::string* out) {
  lengths_.Finish(out);
  out->append(data_);
  data_.clear();
}

// ---- DELTA_BYTE_ARRAY --------------------------------------------------------------------------

namespace {

struct PrefixLengths {
  std::vector<int32_t> lengths;
  size_t bytes;
};

PrefixLengths ReadPrefixLengths(const uint8_t* data, size_t size, int64_t max_values) {
  PrefixLengths p;
  p.lengths = DecodeLengths(data, size, max_values, "DELTA_BYTE_ARRAY prefixes", &p.bytes);
  return p;
}

}  // namespace

DeltaByteArrayDecoder::DeltaByteArrayDecoder(const uint8_t* data, size_t size, int64_t max_values)
    : prefix_lengths_(), prefix_bytes_(0), suffixes_([&] {
        PrefixLengths p = ReadPrefixLengths(data, size, max_values);
        prefix_lengths_ = std::move(p.lengths);
        prefix_bytes_ = p.bytes;
        return DeltaLengthByteArrayDecoder(data + p.bytes, size - p.bytes, max_values);
      }()) {
  const std::vector<int32_t>& suffix_lengths = suffixes_.lengths_;
  if (suffix_lengths.size() != prefix_lengths_.size()) {
    throw CorruptData("DELTA_BYTE_ARRAY: " + std::to_string(prefix_lengths_.size()) +
                      " prefix lengths but " + std::to_string(suffix_lengths.size()) + " suffixes");
  }
  int64_t previous = 0;
  int64_t total = 0;
  for (size_t i = 0; i < prefix_lengths_.size(); ++i) {
    const int64_t prefix = prefix_lengths_[i];
    if (prefix > previous) {
      throw CorruptData("DELTA_BYTE_ARRAY: prefix length " + std::to_string(prefix) + " of value " +
                        std::to_string(i) + " exceeds the previous value's " +
                        std::to_string(previous) + " bytes");
    }
    previous = prefix + suffix_lengths[i];
    total += previous;
    if (total > kMaxDeltaByteArrayExpandedBytes) {
      throw CorruptData("DELTA_BYTE_ARRAY: values expand to more than " +
                        std::to_string(kMaxDeltaByteArrayExpandedBytes) + " bytes");
    }
  }
}

int64_t DeltaByteArrayDecoder::GetBatch(std::string* data, std::vector<int64_t>* offsets,
                                        int64_t n) {
  const int64_t k = std::min(n, values_left());
  if (k <= 0) return 0;
  const auto first = static_cast<size_t>(next_);
  const int32_t* prefixes = prefix_lengths_.data() + first;
  const int32_t* suffixes = suffixes_.lengths_.data() + first;
  size_t total = 0;
  for (int64_t i = 0; i < k; ++i) {
    total += static_cast<size_t>(prefixes[i]) + static_cast<size_t>(suffixes[i]);
  }
  const size_t base = data->size();
  data->resize(base + total);
  char* const begin = data->data();
  char* cur = begin + base;
  const char* suffix = reinterpret_cast<const char*>(suffixes_.values_) + suffixes_.values_pos_;
  const char* prev = last_.data();
  size_t prev_len = last_.size();
  const size_t first_offset = offsets->size();
  offsets->resize(first_offset + static_cast<size_t>(k));
  int64_t* out_offsets = offsets->data() + first_offset;
  for (int64_t i = 0; i < k; ++i) {
    const auto p = static_cast<size_t>(prefixes[i]);
    const auto s = static_cast<size_t>(suffixes[i]);
    std::memcpy(cur, prev, p);
    std::memcpy(cur + p, suffix, s);
    suffix += s;
    prev = cur;
    prev_len = p + s;
    cur += prev_len;
    out_offsets[i] = cur - begin;
  }
  last_.assign(prev, prev_len);
  suffixes_.values_pos_ =
      static_cast<size_t>(suffix - reinterpret_cast<const char*>(suffixes_.values_));
  suffixes_.next_ += k;
  next_ += k;
  return k;
}

void DeltaByteArrayEncoder::Put(std::string_view value) {
  if (value.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw InvalidInput("DELTA_BYTE_ARRAY: value of " + std::to_string(value.size()) +
                       " bytes is too long");
  }
  const size_t limit = std::min(value.size(), last_.size());
  const size_t prefix = static_cast<size_t>(
      std::mismatch(value.begin(), value.begin() + static_cast<ptrdiff_t>(limit), last_.begin())
          .first -
      value.begin());
  suffixes_.Put(value.substr(prefix));
  prefix_lengths_.Put(static_cast<int32_t>(prefix));
  last_.assign(value);
}

void DeltaByteArrayEncoder::Finish(std::string* out) {
  prefix_lengths_.Finish(out);
  suffixes_.Finish(out);
  last_.clear();
}

}  // namespace cpglake::parquet
