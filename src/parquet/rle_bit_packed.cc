#include "parquet/rle_bit_packed.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <type_traits>
#include <utility>

#include "common/error.h"
#include "parquet/bit_util.h"

namespace cpglake::parquet {

namespace {

using bit_util::BytesForBits;
using bit_util::LowMask;

// ---- Unpacking ---------------------------------------------------------------------------------
//
// The 32-value kernels live in bit_util.h (DELTA_BINARY_PACKED fuses them with its prefix sum);
// here they are dispatched once per call on the bit width.

template <typename T, int W>
void UnpackLoop(const uint8_t* in, size_t in_size, int64_t count, T* out) {
  if constexpr (W == 0) {
    std::fill(out, out + count, T{0});
  } else {
    constexpr size_t kChunkBytes = 4 * W;
    while (count >= 32 && in_size >= bit_util::Unpack32ReadBytes(W)) {
      bit_util::Unpack32<T, W>(in, out);
      in += kChunkBytes;
      in_size -= kChunkBytes;
      out += 32;
      count -= 32;
    }
    // The last chunks, too close to the end of the buffer for whole-word loads.
    while (count > 0) {
      T tmp[32];
      bit_util::Unpack32Safe<T, W>(in, in_size, tmp);
      const int64_t k = std::min<int64_t>(count, 32);
      std::memcpy(out, tmp, static_cast<size_t>(k) * sizeof(T));
      const size_t used = std::min(in_size, kChunkBytes);
      in += used;
      in_size -= used;
      out += k;
      count -= k;
    }
  }
}

template <typename T>
using UnpackFn = void (*)(const uint8_t*, size_t, int64_t, T*);

template <typename T, int... W>
constexpr std::array<UnpackFn<T>, sizeof...(W)> MakeUnpackTable(std::integer_sequence<int, W...>) {
  return {&UnpackLoop<T, W>...};
}

template <typename T>
constexpr auto kUnpackTable =
    MakeUnpackTable<T>(std::make_integer_sequence<int, static_cast<int>(sizeof(T) * 8) + 1>{});

template <typename T>
void UnpackBitsImpl(const uint8_t* in, size_t in_size, int bit_width, int64_t count, T* out) {
  CPGLAKE_CHECK(bit_width >= 0 && bit_width <= static_cast<int>(sizeof(T) * 8),
                "UnpackBits: bit width out of range");
  CPGLAKE_CHECK(count >= 0 && static_cast<uint64_t>(BytesForBits(count * bit_width)) <= in_size,
                "UnpackBits: input too short");
  kUnpackTable<T>[bit_width](in, in_size, count, out);
}

// ---- Packing -----------------------------------------------------------------------------------

template <typename T>
void PackBitsImpl(const T* values, int64_t count, int bit_width, std::string* out) {
  CPGLAKE_CHECK(count % 8 == 0, "PackBits: count must be a multiple of 8");
  CPGLAKE_CHECK(bit_width >= 0 && bit_width <= static_cast<int>(sizeof(T) * 8),
                "PackBits: bit width out of range");
  if (bit_width == 0 || count == 0) return;
  const size_t nbytes = static_cast<size_t>(count / 8 * bit_width);
  const size_t old_size = out->size();
  out->resize(old_size + nbytes + 8);  // 8 bytes of slack for whole-word stores
  uint8_t* p = reinterpret_cast<uint8_t*>(out->data()) + old_size;
  uint64_t acc = 0;
  int bits = 0;
  for (int64_t i = 0; i < count; ++i) {
    uint64_t v = static_cast<uint64_t>(values[i]);
    acc |= v << bits;
    if (bits + bit_width >= 64) {
      bit_util::StoreLE64(p, acc);
      p += 8;
      acc = bits == 0 ? 0 : v >> (64 - bits);
      bits = bits + bit_width - 64;
    } else {
      bits += bit_width;
    }
  }
  if (bits > 0) bit_util::StoreLE64(p, acc);
  out->resize(old_size + nbytes);
}

}  // namespace

void UnpackBits(const uint8_t* in, size_t in_size, int bit_width, int64_t count, uint8_t* out) {
  UnpackBitsImpl(in, in_size, bit_width, count, out);
}
void UnpackBits(const uint8_t* in, size_t in_size, int bit_width, int64_t count, uint16_t* out) {
  UnpackBitsImpl(in, in_size, bit_width, count, out);
}
void UnpackBits(const uint8_t* in, size_t in_size, int bit_width, int64_t count, uint32_t* out) {
  UnpackBitsImpl(in, in_size, bit_width, count, out);
}
void UnpackBits(const uint8_t* in, size_t in_size, int bit_width, int64_t count, uint64_t* out) {
  UnpackBitsImpl(in, in_size, bit_width, count, out);
}

void PackBits(const uint32_t* values, int64_t count, int bit_width, std::string* out) {
  PackBitsImpl(values, count, bit_width, out);
}
void PackBits(const uint64_t* values, int64_t count, int bit_width, std::string* out) {
  PackBitsImpl(values, count, bit_width, out);
}

// ---- RleBitPackedDecoder -----------------------------------------------------------------------

RleBitPackedDecoder::RleBitPackedDecoder(const uint8_t* data, size_t size, int bit_width)
    : pos_(data), end_(data + size), bit_width_(bit_width), value_bytes_((bit_width + 7) / 8) {
  if (bit_width < 0 || bit_width > 32) {
    throw CorruptData("RLE/bit-packed: bit width " + std::to_string(bit_width) +
                      " is out of range 0..32");
  }
}

bool RleBitPackedDecoder::NextRun() {
  bp_truncated_ = false;
  while (pos_ < end_) {
    uint32_t header;
    if (!bit_util::ReadUleb128_32(&pos_, end_, &header)) {
      throw CorruptData("RLE/bit-packed: truncated or oversized run header");
    }
    if (header & 1) {
      const int64_t groups = header >> 1;
      if (groups == 0) continue;
      if (bit_width_ == 0) {  // all zeros, no payload
        rle_value_ = 0;
        rle_left_ = groups * 8;
        return true;
      }
      const int64_t bytes = groups * bit_width_;  // 8 values of W bits are W bytes
      const auto avail = static_cast<int64_t>(end_ - pos_);
      bp_pos_ = pos_;
      if (bytes <= avail) {
        bp_left_ = groups * 8;
        pos_ += bytes;
      } else {
        bp_left_ = avail * 8 / bit_width_;
        bp_truncated_ = true;
        pos_ = end_;
      }
      return true;
    }
    const int64_t count = header >> 1;
    if (end_ - pos_ < value_bytes_) throw CorruptData("RLE/bit-packed: truncated RLE run value");
    const auto value = static_cast<uint32_t>(bit_util::LoadLEPartial(pos_, value_bytes_));
    pos_ += value_bytes_;
    if (bit_width_ < 32 && (value >> bit_width_) != 0) {
      throw CorruptData("RLE/bit-packed: RLE run value " + std::to_string(value) +
                        " does not fit in bit width " + std::to_string(bit_width_));
    }
    if (count == 0) continue;
    rle_value_ = value;
    rle_left_ = count;
    return true;
  }
  return false;
}

template <typename T, bool kCheckBound>
int64_t RleBitPackedDecoder::GetBatchImpl(T* out, int64_t n, uint32_t bound) {
  auto check = [&](const T* values, int64_t k) {
    if constexpr (kCheckBound) {
      uint32_t bad = 0;
      for (int64_t i = 0; i < k; ++i) bad |= values[i] >= bound;  // vectorises
      if (bad != 0) {
        const uint32_t max = *std::max_element(values, values + k);
        throw CorruptData("dictionary index " + std::to_string(max) + " out of range (" +
                          std::to_string(bound) + " dictionary entries)");
      }
    }
  };
  int64_t done = 0;
  while (done < n) {
    if (buf_pos_ < buf_len_) {
      const int64_t k = std::min<int64_t>(n - done, buf_len_ - buf_pos_);
      for (int64_t i = 0; i < k; ++i) out[done + i] = static_cast<T>(buf_[buf_pos_ + i]);
      check(out + done, k);
      buf_pos_ += static_cast<int>(k);
      done += k;
    } else if (rle_left_ > 0) {
      const int64_t k = std::min(n - done, rle_left_);
      if constexpr (kCheckBound) {
        if (rle_value_ >= bound) {
          throw CorruptData("dictionary index " + std::to_string(rle_value_) + " out of range (" +
                            std::to_string(bound) + " dictionary entries)");
        }
      }
      std::fill(out + done, out + done + k, static_cast<T>(rle_value_));
      rle_left_ -= k;
      done += k;
    } else if (bp_left_ > 0) {
      const int64_t want = n - done;
      const auto avail = static_cast<size_t>(end_ - bp_pos_);
      if (want >= 32 && bp_left_ >= 32) {
        // Whole chunks of 32 straight into the output.
        const int64_t k = std::min(want, bp_left_) & ~int64_t{31};
        if constexpr (std::is_same_v<T, int16_t>) {
          UnpackBits(bp_pos_, avail, bit_width_, k, reinterpret_cast<uint16_t*>(out + done));
        } else {
          UnpackBits(bp_pos_, avail, bit_width_, k, out + done);
        }
        check(out + done, k);
        bp_pos_ += k / 8 * bit_width_;
        bp_left_ -= k;
        done += k;
      } else {
        const int64_t k = std::min<int64_t>(bp_left_, 32);
        UnpackBits(bp_pos_, avail, bit_width_, k, buf_);
        bp_pos_ += k / 8 * bit_width_;  // only used again when k == 32
        bp_left_ -= k;
        buf_pos_ = 0;
        buf_len_ = static_cast<int>(k);
      }
    } else if (bp_truncated_) {
      throw CorruptData("RLE/bit-packed: bit-packed run runs past the end of its data");
    } else if (!NextRun()) {
      break;
    }
  }
  return done;
}

int64_t RleBitPackedDecoder::GetBatch(uint32_t* out, int64_t n) {
  return GetBatchImpl<uint32_t, false>(out, n, 0);
}

int64_t RleBitPackedDecoder::GetBatch(int16_t* out, int64_t n) {
  if (bit_width_ > 16) {
    throw InvalidInput("RLE/bit-packed: 16-bit output needs bit width <= 16, not " +
                       std::to_string(bit_width_));
  }
  return GetBatchImpl<int16_t, false>(out, n, 0);
}

int64_t RleBitPackedDecoder::GetBatch(uint8_t* out, int64_t n) {
  if (bit_width_ > 8) {
    throw InvalidInput("RLE/bit-packed: 8-bit output needs bit width <= 8, not " +
                       std::to_string(bit_width_));
  }
  return GetBatchImpl<uint8_t, false>(out, n, 0);
}

int64_t RleBitPackedDecoder::GetIndices(uint32_t* out, int64_t n, uint32_t num_dictionary_values) {
  return GetBatchImpl<uint32_t, true>(out, n, num_dictionary_values);
}

// ---- RleBitPackedEncoder -----------------------------------------------------------------------

RleBitPackedEncoder::RleBitPackedEncoder(int bit_width) : bit_width_(bit_width) {
  if (bit_width < 0 || bit_width > 32) {
    throw InvalidInput("RLE/bit-packed: bit width " + std::to_string(bit_width) +
                       " is out of range 0..32");
  }
  max_value_ = static_cast<uint32_t>(LowMask(bit_width));
}

void RleBitPackedEncoder::ThrowTooWide(uint32_t value) const {
  throw InvalidInput("RLE/bit-packed: value " + std::to_string(value) + " does not fit in " +
                     std::to_string(bit_width_) + " bits");
}

// A group of 8 values is complete. If it is the start (or continuation) of a repetition of 8 or
// more, it belongs to that RLE run; otherwise it joins the current literal run.
void RleBitPackedEncoder::FlushGroup() {
  group_len_ = 0;
  if (repeat_ >= 8) {
    if (literal_len_ > 0) FlushLiteral();
    return;
  }
  std::memcpy(literal_ + literal_len_, group_, sizeof group_);
  literal_len_ += 8;
  repeat_ = 0;  // a repetition must start on a group boundary to become a run
  if (literal_len_ == kMaxLiteralValues) FlushLiteral();
}

void RleBitPackedEncoder::FlushLiteral() {
  bit_util::AppendUleb128(&buffer_, static_cast<uint64_t>(literal_len_ / 8) << 1 | 1);
  PackBits(literal_, literal_len_, bit_width_, &buffer_);
  literal_len_ = 0;
}

void RleBitPackedEncoder::FlushRepeated() {
  if (literal_len_ > 0) FlushLiteral();
  bit_util::AppendUleb128(&buffer_, static_cast<uint64_t>(repeat_) << 1);
  uint8_t value[4];
  bit_util::StoreLE32(value, current_);
  buffer_.append(reinterpret_cast<const char*>(value), static_cast<size_t>((bit_width_ + 7) / 8));
  repeat_ = 0;
  group_len_ = 0;
}

void RleBitPackedEncoder::Finish(std::string* out) {
  if (repeat_ >= 8) {
    FlushRepeated();
  } else if (group_len_ > 0) {
    if (repeat_ == group_len_) {
      // The partial group is one value repeated: an RLE run is shorter than padded literals.
      FlushRepeated();
    } else {
      std::memcpy(literal_ + literal_len_, group_, sizeof(uint32_t) * group_len_);
      std::fill(literal_ + literal_len_ + group_len_, literal_ + literal_len_ + 8, 0u);
      literal_len_ += 8;
    }
  }
  if (literal_len_ > 0) FlushLiteral();
  out->append(buffer_);
  Reset();
}

void RleBitPackedEncoder::FinishWithLengthPrefix(std::string* out) {
  const size_t prefix_at = out->size();
  bit_util::AppendLE32(out, 0);
  Finish(out);
  const size_t length = out->size() - prefix_at - 4;
  if (length > UINT32_MAX) throw InvalidInput("RLE/bit-packed: encoded data exceeds 4 GiB");
  bit_util::StoreLE32(reinterpret_cast<uint8_t*>(out->data()) + prefix_at,
                      static_cast<uint32_t>(length));
}

void RleBitPackedEncoder::Reset() {
  buffer_.clear();
  num_values_ = 0;
  current_ = 0;
  repeat_ = 0;
  group_len_ = 0;
  literal_len_ = 0;
}

// ---- Framing helpers ---------------------------------------------------------------------------

std::span<const uint8_t> ReadLengthPrefixedRle(const uint8_t* data, size_t size) {
  if (size < 4) throw CorruptData("RLE/bit-packed: missing 4-byte length prefix");
  const uint32_t length = bit_util::LoadLE32(data);
  if (length > size - 4) {
    throw CorruptData("RLE/bit-packed: length prefix " + std::to_string(length) + " exceeds the " +
                      std::to_string(size - 4) + " bytes available");
  }
  return {data + 4, length};
}

size_t DecodeRleBooleans(const uint8_t* data, size_t size, int64_t num_values, uint8_t* out) {
  const std::span<const uint8_t> runs = ReadLengthPrefixedRle(data, size);
  RleBitPackedDecoder decoder(runs.data(), runs.size(), 1);
  const int64_t got = decoder.GetBatch(out, num_values);
  if (got != num_values) {
    throw CorruptData("RLE booleans: expected " + std::to_string(num_values) + " values, found " +
                      std::to_string(got));
  }
  return 4 + runs.size();
}

void EncodeRleBooleans(const uint8_t* values, int64_t num_values, std::string* out) {
  RleBitPackedEncoder encoder(1);
  for (int64_t i = 0; i < num_values; ++i) encoder.Put(values[i]);
  encoder.FinishWithLengthPrefix(out);
}

// ---- Deprecated BIT_PACKED ---------------------------------------------------------------------

size_t DecodeLegacyBitPacked(const uint8_t* data, size_t size, int bit_width, int64_t num_values,
                             int16_t* out) {
  if (bit_width < 0 || bit_width > 16) {
    throw CorruptData("BIT_PACKED: bit width " + std::to_string(bit_width) +
                      " is out of range 0..16");
  }
  if (num_values < 0) throw InvalidInput("BIT_PACKED: negative value count");
  const auto needed = static_cast<uint64_t>(BytesForBits(num_values * bit_width));
  if (needed > size) {
    throw CorruptData("BIT_PACKED: " + std::to_string(num_values) + " values of " +
                      std::to_string(bit_width) + " bits need " + std::to_string(needed) +
                      " bytes, only " + std::to_string(size) + " available");
  }
  if (bit_width == 0) {
    std::fill(out, out + num_values, int16_t{0});
    return 0;
  }
  uint64_t bit = 0;
  for (int64_t i = 0; i < num_values; ++i, bit += static_cast<uint64_t>(bit_width)) {
    const uint64_t byte = bit / 8;
    uint64_t word;
    if (byte + 8 <= size) {
      word = bit_util::LoadBE64(data + byte);
    } else {
      uint8_t tmp[8] = {};
      std::memcpy(tmp, data + byte, size - byte);
      word = bit_util::LoadBE64(tmp);
    }
    out[i] = static_cast<int16_t>((word << (bit % 8)) >> (64 - bit_width));
  }
  return needed;
}

void EncodeLegacyBitPacked(const int16_t* values, int64_t num_values, int bit_width,
                           std::string* out) {
  if (bit_width < 0 || bit_width > 16) {
    throw InvalidInput("BIT_PACKED: bit width " + std::to_string(bit_width) +
                       " is out of range 0..16");
  }
  const size_t old_size = out->size();
  out->resize(old_size + static_cast<size_t>(BytesForBits(num_values * bit_width)), '\0');
  auto* p = reinterpret_cast<uint8_t*>(out->data()) + old_size;
  uint64_t bit = 0;
  for (int64_t i = 0; i < num_values; ++i) {
    const auto v = static_cast<uint16_t>(values[i]);
    if (bit_width < 16 && (v >> bit_width) != 0) {
      throw InvalidInput("BIT_PACKED: value " + std::to_string(values[i]) + " does not fit in " +
                         std::to_string(bit_width) + " bits");
    }
    for (int b = bit_width - 1; b >= 0; --b, ++bit) {
      if ((v >> b) & 1) p[bit / 8] |= static_cast<uint8_t>(0x80 >> (bit % 8));
    }
  }
}

}  // namespace cpglake::parquet
