// Small inline helpers shared by the Parquet encodings: unaligned little/big-endian loads and
// stores, bit widths, ULEB128 varints and zigzag, and the 32-value bit-unpacking kernels.
// Header-only; nothing here allocates except the Append* helpers, which grow the caller's
// string.
//
// The bounds-checked readers (ReadUleb128*) never read past `end`; they report failure by
// returning false so that each decoder can throw CorruptData naming what it was reading.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

namespace cpglake::parquet::bit_util {

static_assert(std::endian::native == std::endian::little,
              "cpglake's Parquet code assumes a little-endian host");

inline uint16_t LoadLE16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline uint32_t LoadLE32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline uint64_t LoadLE64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline uint32_t LoadBE32(const uint8_t* p) {
  return __builtin_bswap32(LoadLE32(p));
}
inline uint64_t LoadBE64(const uint8_t* p) {
  return __builtin_bswap64(LoadLE64(p));
}

inline void StoreLE32(uint8_t* p, uint32_t v) {
  std::memcpy(p, &v, sizeof v);
}
inline void StoreLE64(uint8_t* p, uint64_t v) {
  std::memcpy(p, &v, sizeof v);
}
inline void StoreBE32(uint8_t* p, uint32_t v) {
  StoreLE32(p, __builtin_bswap32(v));
}

// Reads `nbytes` (0..8) little-endian bytes into the low bits of a word.
inline uint64_t LoadLEPartial(const uint8_t* p, int nbytes) {
  uint64_t v = 0;
  std::memcpy(&v, p, static_cast<size_t>(nbytes));
  return v;
}

// Number of bits needed to represent `max_value`: 0 for 0, 1 for 1, 2 for 2..3, ... 64.
inline int BitWidth(uint64_t max_value) {
  return static_cast<int>(std::bit_width(max_value));
}

// Bytes needed to hold `bits` bits.
constexpr int64_t BytesForBits(int64_t bits) {
  return (bits + 7) >> 3;
}

// Mask with the low `bit_width` bits set (bit_width 0..64).
constexpr uint64_t LowMask(int bit_width) {
  return bit_width >= 64 ? ~uint64_t{0} : (uint64_t{1} << bit_width) - 1;
}

constexpr uint64_t ZigZagEncode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
constexpr int64_t ZigZagDecode(uint64_t v) {
  return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
}

// Reads a ULEB128 varint of at most 64 bits. Advances *p. Returns false (leaving *p unspecified)
// if the input ends first, the varint is longer than 10 bytes, or its value overflows 64 bits.
inline bool ReadUleb128(const uint8_t** p, const uint8_t* end, uint64_t* out) {
  const uint8_t* q = *p;
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (q == end) return false;
    uint8_t byte = *q++;
    uint64_t bits = byte & 0x7f;
    if (shift == 63 && bits > 1) return false;  // would overflow 64 bits
    result |= bits << shift;
    if ((byte & 0x80) == 0) {
      *p = q;
      *out = result;
      return true;
    }
  }
  return false;
}

// Same for a varint that must fit in 32 bits (at most 5 bytes).
inline bool ReadUleb128_32(const uint8_t** p, const uint8_t* end, uint32_t* out) {
  const uint8_t* q = *p;
  // Fast path: one byte.
  if (q != end && (*q & 0x80) == 0) {
    *out = *q;
    *p = q + 1;
    return true;
  }
  uint32_t result = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (q == end) return false;
    uint8_t byte = *q++;
    uint32_t bits = byte & 0x7f;
    if (shift == 28 && bits > 0xf) return false;  // would overflow 32 bits
    result |= bits << shift;
    if ((byte & 0x80) == 0) {
      *p = q;
      *out = result;
      return true;
    }
  }
  return false;
}

inline bool ReadZigZag(const uint8_t** p, const uint8_t* end, int64_t* out) {
  uint64_t u;
  if (!ReadUleb128(p, end, &u)) return false;
  *out = ZigZagDecode(u);
  return true;
}

// Writes `v` as ULEB128 into `buf` (at least 10 bytes); returns the number of bytes written.
inline int WriteUleb128(uint8_t* buf, uint64_t v) {
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<uint8_t>(v);
  return n;
}

inline void AppendUleb128(std::string* out, uint64_t v) {
  uint8_t buf[10];
  int n = WriteUleb128(buf, v);
  out->append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
}

inline void AppendZigZag(std::string* out, int64_t v) {
  AppendUleb128(out, ZigZagEncode(v));
}

inline void AppendLE32(std::string* out, uint32_t v) {
  uint8_t buf[4];
  StoreLE32(buf, v);
  out->append(reinterpret_cast<const char*>(buf), 4);
}

// ---- Bit-unpacking kernels ---------------------------------------------------------------------
//
// LSB-first packed values (RLE hybrid, DELTA_BINARY_PACKED) are unpacked 32 at a time: 32 values
// of W bits are exactly 4*W bytes, so every chunk starts on a byte boundary. With W a template
// parameter, the byte offset and shift of every value are compile-time constants, so each value
// is one unaligned 64-bit load, a shift and a mask. Values wider than 56 bits can straddle 9
// bytes and take one more byte load. UnpackBits (rle_bit_packed.h) dispatches on the width.

// Bytes from the chunk start that Unpack32<T, w> reads (it may read past the chunk's 4*w bytes).
constexpr size_t Unpack32ReadBytes(int w) {
  size_t extent = 0;
  for (int i = 0; w > 0 && i < 32; ++i) {
    const int bit = i * w;
    extent = std::max(extent, static_cast<size_t>(bit / 8) + ((bit % 8) + w <= 64 ? 8 : 9));
  }
  return extent;
}

constexpr size_t kMaxUnpack32ReadBytes = [] {
  size_t extent = 0;
  for (int w = 0; w <= 64; ++w) extent = std::max(extent, Unpack32ReadBytes(w));
  return extent;
}();

template <typename T, int W, int I>
inline T UnpackOne(const uint8_t* in) {
  constexpr int kBit = I * W;
  constexpr int kByte = kBit / 8;
  constexpr int kShift = kBit % 8;
  if constexpr (W == 0) {
    return 0;
  } else if constexpr (kShift + W <= 64) {
    return static_cast<T>((LoadLE64(in + kByte) >> kShift) & LowMask(W));
  } else {
    const uint64_t lo = LoadLE64(in + kByte) >> kShift;
    const uint64_t hi = static_cast<uint64_t>(in[kByte + 8]) << (64 - kShift);
    return static_cast<T>((lo | hi) & LowMask(W));
  }
}

// Unpacks 32 values of W bits. Reads Unpack32ReadBytes(W) bytes from `in`.
template <typename T, int W>
inline void Unpack32(const uint8_t* in, T* out) {
  [&]<int... I>(std::integer_sequence<int, I...>) {
    ((out[I] = UnpackOne<T, W, I>(in)), ...);
  }
  (std::make_integer_sequence<int, 32>{});
}

// Same, reading at most `in_size` bytes (missing bytes read as zero): for the end of a buffer.
template <typename T, int W>
inline void Unpack32Safe(const uint8_t* in, size_t in_size, T* out) {
  if (in_size >= Unpack32ReadBytes(W)) {
    Unpack32<T, W>(in, out);
  } else {
    uint8_t padded[kMaxUnpack32ReadBytes] = {};
    std::memcpy(padded, in, std::min(in_size, static_cast<size_t>(4 * W)));
    Unpack32<T, W>(padded, out);
  }
}

}  // namespace cpglake::parquet::bit_util
