// The delta encodings of Parquet (Encodings.md):
//
//   DELTA_BINARY_PACKED (5)      INT32, INT64
//     <block size> <miniblocks per block> <total count> <first value, zigzag>   (ULEB128 each)
//     then blocks: <min delta, zigzag> <one bit-width byte per miniblock> <miniblocks>
//     where each miniblock holds (delta - min delta) bit-packed LSB-first. The block size is a
//     multiple of 128 and a miniblock holds a multiple of 32 values. The last miniblock used is
//     padded to full size; unused miniblocks of the last block have a width byte but no body.
//     Arithmetic wraps (two's complement), so we compute in the unsigned domain.
//   DELTA_LENGTH_BYTE_ARRAY (6)  BYTE_ARRAY
//     <lengths, DELTA_BINARY_PACKED int32> <all value bytes back to back>
//   DELTA_BYTE_ARRAY (7)         BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY
//     <prefix lengths, DELTA_BINARY_PACKED int32> <suffixes, DELTA_LENGTH_BYTE_ARRAY>
//     value[i] = value[i-1][0, prefix[i]) + suffix[i]
//
// Byte-array output convention: decoders APPEND value bytes to `std::string* data` and push the
// END offset of each value (an absolute position in *data) onto `std::vector<int64_t>* offsets`;
// the caller keeps the leading 0 in offsets.
//
// Every decoder is safe on arbitrary bytes: malformed input throws CorruptData, and nothing is
// read outside the given buffer. Byte-array decoders take `max_values` (the page's value count)
// and refuse streams that declare more, which bounds what they allocate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace cpglake::parquet {

// DELTA_BYTE_ARRAY values may expand far beyond their encoded size (every value can repeat the
// previous one as its prefix); a stream that would expand to more than this is refused.
constexpr int64_t kMaxDeltaByteArrayExpandedBytes = int64_t{1} << 30;

// ---- DELTA_BINARY_PACKED -----------------------------------------------------------------------

// T is int32_t or int64_t.
template <typename T>
class DeltaBitPackDecoder {
 public:
  // Reads the header; CorruptData if it is truncated or invalid (block size not a positive
  // multiple of 128, miniblock size not a multiple of 32, ...).
  DeltaBitPackDecoder(const uint8_t* data, size_t size);

  // The value count declared in the header.
  int64_t total_values() const { return total_values_; }
  int64_t values_left() const { return values_left_; }

  // Decodes up to n values; returns how many (fewer only when the stream is exhausted).
  // CorruptData when a block header or miniblock is truncated or a bit width is larger than T.
  int64_t GetBatch(T* out, int64_t n);

  // Bytes of the stream read so far. Once all total_values() values have been read, this is the
  // size of the whole encoded stream (where DELTA_LENGTH_BYTE_ARRAY data begins).
  size_t bytes_consumed() const { return static_cast<size_t>(pos_ - begin_); }

 private:
  using U = std::make_unsigned_t<T>;
  void ReadBlockHeader();
  void NextMiniblock();

  const uint8_t* begin_;
  const uint8_t* pos_;  // next unread byte (block header or miniblock body)
  const uint8_t* end_;
  uint64_t miniblocks_per_block_ = 0;
  uint64_t values_per_miniblock_ = 0;
  int64_t total_values_ = 0;
  int64_t values_left_ = 0;  // not yet returned, including the first value
  bool first_pending_ = true;
  U last_ = 0;  // the last value decoded
  U min_delta_ = 0;
  const uint8_t* widths_ = nullptr;  // bit widths of the current block's miniblocks
  uint64_t miniblock_index_ = 0;     // next miniblock of the current block
  const uint8_t* mb_pos_ = nullptr;  // next unread bits of the current miniblock
  int mb_width_ = 0;
  int64_t mb_left_ = 0;  // values left in the current miniblock (a multiple of 32)
  int buf_pos_ = 0;      // values decoded ahead of the caller
  int buf_len_ = 0;
  U buf_[32];
};

// Encoder; T is int32_t or int64_t. Defaults are those of parquet-mr and Arrow.
template <typename T>
class DeltaBitPackEncoder {
 public:
  // InvalidInput unless block_size is a positive multiple of 128 and block_size /
  // miniblocks_per_block a multiple of 32.
  explicit DeltaBitPackEncoder(int block_size = 128, int miniblocks_per_block = 4);

  void Put(T value) {
    const auto v = static_cast<U>(value);
    if (count_ == 0) {
      first_ = v;
    } else {
      deltas_[block_len_++] = v - last_;
      if (block_len_ == deltas_.size()) FlushBlock();
    }
    last_ = v;
    ++count_;
  }
  void Put(const T* values, int64_t n) {
    for (int64_t i = 0; i < n; ++i) Put(values[i]);
  }
  int64_t num_values() const { return count_; }

  // Appends the header and all blocks to *out and resets the encoder.
  void Finish(std::string* out);

 private:
  using U = std::make_unsigned_t<T>;
  void FlushBlock();

  int block_size_;
  int miniblocks_per_block_;
  int64_t count_ = 0;
  U first_ = 0;
  U last_ = 0;
  std::vector<U> deltas_;  // block_size entries
  size_t block_len_ = 0;
  std::vector<U> miniblock_;  // scratch
  std::string blocks_;
};

extern template class DeltaBitPackDecoder<int32_t>;
extern template class DeltaBitPackDecoder<int64_t>;
extern template class DeltaBitPackEncoder<int32_t>;
extern template class DeltaBitPackEncoder<int64_t>;

// ---- DELTA_LENGTH_BYTE_ARRAY -------------------------------------------------------------------

class DeltaLengthByteArrayDecoder {
 public:
  // Decodes all lengths up front. CorruptData if the stream declares more than max_values
  // values, a length is negative, or the lengths add up to more bytes than follow them.
  DeltaLengthByteArrayDecoder(const uint8_t* data, size_t size, int64_t max_values);

  int64_t num_values() const { return static_cast<int64_t>(lengths_.size()); }
  int64_t values_left() const { return num_values() - next_; }

  // Appends up to n values (see the output convention above); returns how many.
  int64_t GetBatch(std::string* data, std::vector<int64_t>* offsets, int64_t n);

  // Size of the whole encoded stream: the lengths plus all value bytes.
  size_t bytes_consumed() const { return bytes_consumed_; }

 private:
  friend class DeltaByteArrayDecoder;

  std::vector<int32_t> lengths_;
  const uint8_t* values_;  // value bytes, back to back
  size_t values_pos_ = 0;  // bytes of values_ already returned
  int64_t next_ = 0;       // next value to return
  size_t bytes_consumed_;
};

class DeltaLengthByteArrayEncoder {
 public:
  // InvalidInput if the value is longer than 2^31 - 1 bytes.
  void Put(std::string_view value);
  int64_t num_values() const { return lengths_.num_values(); }
  // Appends the encoded lengths and value bytes to *out and resets the encoder.
  void Finish(std::string* out);

 private:
  DeltaBitPackEncoder<int32_t> lengths_;
  std::string data_;
};

// ---- DELTA_BYTE_ARRAY --------------------------------------------------------------------------

class DeltaByteArrayDecoder {
 public:
  // Decodes all prefix and suffix lengths up front. CorruptData if the two counts differ or
  // exceed max_values, a prefix is negative or longer than the previous value, the suffixes
  // run past the buffer, or the values would expand past kMaxDeltaByteArrayExpandedBytes.
  DeltaByteArrayDecoder(const uint8_t* data, size_t size, int64_t max_values);

  int64_t num_values() const { return static_cast<int64_t>(prefix_lengths_.size()); }
  int64_t values_left() const { return num_values() - next_; }

  // Appends up to n values (see the output convention above); returns how many.
  int64_t GetBatch(std::string* data, std::vector<int64_t>* offsets, int64_t n);

  // Size of the whole encoded stream.
  size_t bytes_consumed() const { return prefix_bytes_ + suffixes_.bytes_consumed(); }

 private:
  std::vector<int32_t> prefix_lengths_;
  size_t prefix_bytes_;
  DeltaLengthByteArrayDecoder suffixes_;
  int64_t next_ = 0;
  std::string last_;  // the previous value, across batches
};

class DeltaByteArrayEncoder {
 public:
  // InvalidInput if the value is longer than 2^31 - 1 bytes.
  void Put(std::string_view value);
  int64_t num_values() const { return prefix_lengths_.num_values(); }
  // Appends the encoded prefix lengths and suffixes to *out and resets the encoder.
  void Finish(std::string* out);

 private:
  DeltaBitPackEncoder<int32_t> prefix_lengths_;
  DeltaLengthByteArrayEncoder suffixes_;
  std::string last_;
};

}  // namespace cpglake::parquet
