// The RLE / bit-packing hybrid encoding of Parquet (Encodings.md, "RLE = 3"), the LSB-first
// bit packing it shares with DELTA_BINARY_PACKED, and the deprecated MSB-first BIT_PACKED
// encoding (4) that very old writers used for levels.
//
// Used for repetition/definition levels, dictionary indices and RLE-encoded BOOLEAN values.
//
//   encoded-data   := <run>*
//   run            := <bit-packed-run> | <rle-run>
//   bit-packed-run := varint(groups << 1 | 1) <groups * 8 values, bit_width bits each, LSB first>
//   rle-run        := varint(count << 1) <value in ceil(bit_width / 8) little-endian bytes>
//
// Example, bit width 3, values 0..7 as one bit-packed group: 03 88 C6 FA.
//
// Framing (which the decoder does not do itself): v1 data pages prefix definition/repetition
// levels with a 4-byte little-endian length (ReadLengthPrefixedRle); v2 pages give the level
// lengths in the page header; dictionary-index data starts with one byte holding the bit width;
// RLE-encoded BOOLEAN values always carry the 4-byte length (DecodeRleBooleans).
//
// Every decoder here is safe on arbitrary bytes: bad input throws CorruptData and nothing is
// read outside the given buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace cpglake::parquet {

// ---- LSB-first bit packing (shared with DELTA_BINARY_PACKED) -----------------------------------

// Unpacks `count` values of `bit_width` bits, packed LSB-first starting at `in`, into `out`.
// `in_size` is the number of readable bytes at `in`; it must be at least
// BytesForBits(count * bit_width). Bytes beyond that (e.g. the rest of the page) are only used
// to run the word-at-a-time path to the end and never change the result.
// Widths: 0..8 for uint8_t, 0..16 for uint16_t, 0..32 for uint32_t, 0..64 for uint64_t.
// Violating these preconditions is a bug in the caller (InternalError).
void UnpackBits(const uint8_t* in, size_t in_size, int bit_width, int64_t count, uint8_t* out);
void UnpackBits(const uint8_t* in, size_t in_size, int bit_width, int64_t count, uint16_t* out);
void UnpackBits(const uint8_t* in, size_t in_size, int bit_width, int64_t count, uint32_t* out);
void UnpackBits(const uint8_t* in, size_t in_size, int bit_width, int64_t count, uint64_t* out);

// Packs `count` values (a multiple of 8) LSB-first and appends count * bit_width / 8 bytes.
// Each value must already fit in `bit_width` bits (higher bits are not masked off).
void PackBits(const uint32_t* values, int64_t count, int bit_width, std::string* out);
void PackBits(const uint64_t* values, int64_t count, int bit_width, std::string* out);

// ---- RLE / bit-packing hybrid ------------------------------------------------------------------

// Streaming decoder over one buffer of encoded runs (without any length prefix).
//
// GetBatch returns how many values it wrote: fewer than asked when the encoded runs end
// (the caller decides whether that is an error). It throws CorruptData when the bytes are
// malformed: a truncated run header or RLE value, an RLE value wider than bit_width, or a
// bit-packed run whose values are asked for but are not all present.
//
// A bit-packed run may declare more groups than the buffer holds (its padding may be missing);
// that is only an error if the caller asks for the missing values.
class RleBitPackedDecoder {
 public:
  // bit_width must be 0..32 (CorruptData otherwise: it usually comes from the page bytes).
  RleBitPackedDecoder(const uint8_t* data, size_t size, int bit_width);

  int bit_width() const { return bit_width_; }

  int64_t GetBatch(uint32_t* out, int64_t n);
  // For levels: requires bit_width <= 16 (InvalidInput otherwise).
  int64_t GetBatch(int16_t* out, int64_t n);
  // For booleans and small values: requires bit_width <= 8 (InvalidInput otherwise).
  int64_t GetBatch(uint8_t* out, int64_t n);

  // For dictionary indices: like GetBatch, but throws CorruptData if any value it returns is
  // >= num_dictionary_values.
  int64_t GetIndices(uint32_t* out, int64_t n, uint32_t num_dictionary_values);

 private:
  template <typename T, bool kCheckBound>
  int64_t GetBatchImpl(T* out, int64_t n, uint32_t bound);
  bool NextRun();

  const uint8_t* pos_;  // next run header
  const uint8_t* end_;
  int bit_width_;
  int value_bytes_;  // bytes of an RLE run's value

  int64_t rle_left_ = 0;  // values left in the current RLE run
  uint32_t rle_value_ = 0;

  int64_t bp_left_ = 0;              // undecoded values left in the current bit-packed run
  const uint8_t* bp_pos_ = nullptr;  // where they start (always byte aligned)
  bool bp_truncated_ = false;        // the run declared more values than the buffer holds

  // Values already unpacked from the bit-packed run but not yet returned.
  int buf_pos_ = 0;
  int buf_len_ = 0;
  uint32_t buf_[32];
};

// Encoder. Runs of at least 8 equal values (aligned to the 8-value groups of the current
// literal stretch) become RLE runs; everything else is bit-packed in groups of 8, at most 63
// groups per run so the run header is one byte (as parquet-mr and Arrow write it). The final
// group is padded with zeros. The output is readable by any Parquet reader.
class RleBitPackedEncoder {
 public:
  // bit_width must be 0..32 (InvalidInput otherwise).
  explicit RleBitPackedEncoder(int bit_width);

  // InvalidInput if `value` does not fit in bit_width bits.
  void Put(uint32_t value) {
    if (value > max_value_) ThrowTooWide(value);
    ++num_values_;
    if (value == current_ && repeat_ > 0) {
      if (++repeat_ > 8) {
        if (repeat_ == kMaxRunLength) FlushRepeated();
        return;
      }
    } else {
      if (repeat_ >= 8) FlushRepeated();
      repeat_ = 1;
      current_ = value;
    }
    group_[group_len_++] = value;
    if (group_len_ == 8) FlushGroup();
  }
  void PutBatch(const uint32_t* values, int64_t n) {
    for (int64_t i = 0; i < n; ++i) Put(values[i]);
  }

  // Values Put since the last Finish.
  int64_t num_values() const { return num_values_; }

  // Appends the encoded runs of everything Put so far to *out and resets the encoder.
  void Finish(std::string* out);
  // Same, preceded by the 4-byte little-endian length (v1 levels, RLE booleans).
  void FinishWithLengthPrefix(std::string* out);

 private:
  static constexpr int64_t kMaxRunLength = (int64_t{1} << 31) - 1;
  static constexpr int kMaxLiteralValues = 63 * 8;

  [[noreturn]] void ThrowTooWide(uint32_t value) const;
  void FlushGroup();
  void FlushRepeated();
  void FlushLiteral();
  void Reset();

  int bit_width_;
  uint32_t max_value_;
  std::string buffer_;  // finished runs
  int64_t num_values_ = 0;
  uint32_t current_ = 0;  // value of the current repetition
  int64_t repeat_ = 0;    // its length so far (0: none)
  int group_len_ = 0;     // values in group_
  uint32_t group_[8];
  int literal_len_ = 0;  // values in literal_, a multiple of 8
  uint32_t literal_[kMaxLiteralValues];
};

// ---- Framing helpers ---------------------------------------------------------------------------

// Reads the "<4-byte little-endian length><bytes>" framing of v1 data-page levels and of
// RLE-encoded booleans. Returns the framed bytes; the framing occupies 4 + result.size() bytes
// from `data`. CorruptData if the buffer is too short for the length or the length it states.
std::span<const uint8_t> ReadLengthPrefixedRle(const uint8_t* data, size_t size);

// Decodes `num_values` BOOLEAN values of the RLE encoding (4-byte length, then RLE/bit-packed
// runs of bit width 1) into `out` as bytes 0 or 1. Returns the bytes consumed (4 + length).
// CorruptData if fewer than num_values values are encoded or the bytes are malformed.
size_t DecodeRleBooleans(const uint8_t* data, size_t size, int64_t num_values, uint8_t* out);

// The encoder for the above: appends the 4-byte length and the runs. Values must be 0 or 1.
void EncodeRleBooleans(const uint8_t* values, int64_t num_values, std::string* out);

// ---- Deprecated BIT_PACKED (encoding 4) --------------------------------------------------------

// Decodes `num_values` values of `bit_width` (0..16) bits packed MSB-first, back to back.
// Returns the bytes consumed, BytesForBits(num_values * bit_width). CorruptData if `size` is
// smaller or bit_width is out of range.
size_t DecodeLegacyBitPacked(const uint8_t* data, size_t size, int bit_width, int64_t num_values,
                             int16_t* out);

// The encoder for the above (tests, and completeness). Values must fit in bit_width bits.
void EncodeLegacyBitPacked(const int16_t* values, int64_t num_values, int bit_width,
                           std::string* out);

}  // namespace cpglake::parquet
