// BYTE_STREAM_SPLIT (encoding 9, Encodings.md): N values of K bytes are stored as K streams of
// N bytes; stream k holds byte k of every value. Used for FLOAT16 (K = 2), FLOAT/INT32 (4),
// DOUBLE/INT64 (8) and FIXED_LEN_BYTE_ARRAY of any width K.
//
//   values  AA BB CC DD | 00 11 22 33 | A3 B4 C5 D6
//   encoded AA 00 A3 BB 11 B4 CC 22 C5 DD 33 D6
//
// There is no header: the page size gives N = size / K. Widths 2, 4 and 8 take specialised
// loops that the compiler vectorises; other widths take a generic loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace cpglake::parquet {

// Decodes `num_values` values of `width` bytes from `in` into `out` (num_values * width bytes).
// CorruptData unless in_size == width * num_values; InvalidInput if width < 1 or num_values < 0.
void DecodeByteStreamSplit(const uint8_t* in, size_t in_size, int width, int64_t num_values,
                           uint8_t* out);

// Decodes values [start, start + count) of a page of `num_values` values (for readers that
// decode a page in batches). Same checks as above, plus InvalidInput if the range is outside
// the page.
void DecodeByteStreamSplitRange(const uint8_t* in, size_t in_size, int width, int64_t num_values,
                                int64_t start, int64_t count, uint8_t* out);

// Encodes `num_values` values of `width` bytes, appending width * num_values bytes to *out.
void EncodeByteStreamSplit(const uint8_t* in, int width, int64_t num_values, std::string* out);

}  // namespace cpglake::parquet
