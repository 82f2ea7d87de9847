// Parquet split-block Bloom filters (SBBF), as specified in parquet-format BloomFilter.md.
//
// A filter is z blocks of 256 bits, each block eight 32-bit words. A value is hashed with
// XXH64 (seed 0) of its PLAIN encoding: BYTE_ARRAY without the 4-byte length prefix,
// FIXED_LEN_BYTE_ARRAY as is, INT32/INT64/FLOAT/DOUBLE as their little-endian bytes.
// The hash's upper 32 bits choose the block ((h >> 32) * z >> 32); its lower 32 bits,
// multiplied by each of eight odd SALT constants, choose one bit (the product's top 5
// bits) in each of the block's eight words. Insert sets those bits; Check tests them:
// false means the value was certainly never inserted, true means "probably".
//
// On disk (one per column chunk, addressed by ColumnMetaData.bloom_filter_offset and
// bloom_filter_length): a Thrift BloomFilterHeader {1: numBytes, 2: algorithm = BLOCK,
// 3: hash = XXHASH, 4: compression = UNCOMPRESSED} followed by numBytes of bitset, words
// little-endian. Parsing treats the bytes as hostile (CorruptData, never a crash).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cpglake::parquet {

// The decoded BloomFilterHeader. The three unions are kept as "is it the one member this
// reader knows" flags: a filter with another algorithm, hash or compression is valid
// Parquet that this reader cannot interpret.
struct BloomFilterHeader {
  int32_t num_bytes = 0;
  bool split_block = false;   // algorithm: BLOCK
  bool xxhash = false;        // hash: XXHASH
  bool uncompressed = false;  // compression: UNCOMPRESSED

  bool supported() const { return split_block && xxhash && uncompressed; }
};

// Decodes the header at the start of [data, data + size) and stores its encoded length in
// *header_size (the bitset follows it). CorruptData for malformed Thrift, a missing
// required field, a union without exactly one member, or a negative size.
BloomFilterHeader DecodeBloomFilterHeader(const uint8_t* data, size_t size, size_t* header_size);

class BloomFilter {
 public:
  static constexpr uint32_t kBytesPerBlock = 32;
  static constexpr uint32_t kMinBytes = 32;
  static constexpr uint32_t kMaxBytes = 128u << 20;  // 128 MiB, as parquet-mr and Arrow

  // Bitset bytes for `ndv` distinct values at false-positive probability `fpp` (in (0, 1)):
  // m = -8 * ndv / ln(1 - fpp^(1/8)) bits (the SBBF's fpp with 8 bits set per value),
  // rounded up to a power of two bytes in [kMinBytes, kMaxBytes]. fpp 0.01 needs about
  // 9.7 bits per value before rounding.
  static uint32_t OptimalNumBytes(int64_t ndv, double fpp);

  // The hash of a value's PLAIN encoding (XXH64, seed 0).
  static uint64_t HashBytes(std::string_view bytes);  // BYTE_ARRAY payload, FLBA
  static uint64_t HashInt32(int32_t v);
  static uint64_t HashInt64(int64_t v);
  static uint64_t HashFloat(float v);
  static uint64_t HashDouble(double v);

  // An empty filter. `num_bytes` is rounded up to a power of two in [kMinBytes, kMaxBytes].
  explicit BloomFilter(uint32_t num_bytes = kMinBytes);

  void InsertHash(uint64_t hash);
  // False: no value with this hash was ever inserted. True: probably one was.
  bool CheckHash(uint64_t hash) const;

  uint32_t num_bytes() const { return static_cast<uint32_t>(words_.size() * 4); }
  uint32_t num_blocks() const { return static_cast<uint32_t>(words_.size() / 8); }
  const std::vector<uint32_t>& words() const { return words_; }

  // Appends the BloomFilterHeader and the bitset to *out.
  void Serialize(std::string* out) const;

  // Parses a serialised filter from [data, data + size): a header, then its bitset, which
  // must fit in the span (trailing bytes are ignored). CorruptData for a malformed header,
  // a bitset size that is not a positive multiple of 32 bytes or exceeds kMaxBytes, or a
  // truncated bitset; Unsupported for an algorithm, hash or compression other than
  // BLOCK / XXHASH / UNCOMPRESSED.
  static BloomFilter Deserialize(const uint8_t* data, size_t size);
  // The filter of a bitset (any positive multiple of 32 bytes up to kMaxBytes, not
  // necessarily a power of two: other writers may size it freely). CorruptData otherwise.
  static BloomFilter FromBitset(const uint8_t* data, size_t size);

  bool operator==(const BloomFilter&) const = default;

 private:
  struct Raw {};
  BloomFilter(Raw, size_t num_words) : words_(num_words, 0) {}
  std::vector<uint32_t> words_;  // num_blocks * 8
};

}  // namespace cpglake::parquet
