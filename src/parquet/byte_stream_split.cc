#include "parquet/byte_stream_split.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"

namespace cpglake::parquet {

namespace {

template <typename Word>
void DecodeFixed(const uint8_t* in, int64_t stride, int64_t count, uint8_t* out) {
  constexpr int kWidth = sizeof(Word);
  const uint8_t* streams[kWidth];
  for (int k = 0; k < kWidth; ++k) streams[k] = in + k * stride;
  for (int64_t i = 0; i < count; ++i) {
    Word v = 0;
    for (int k = 0; k < kWidth; ++k) v |= static_cast<Word>(streams[k][i]) << (8 * k);
    std::memcpy(out + i * kWidth, &v, kWidth);
  }
}

template <typename Word>
void EncodeFixed(const uint8_t* in, int64_t count, uint8_t* out) {
  constexpr int kWidth = sizeof(Word);
  uint8_t* streams[kWidth];
  for (int k = 0; k < kWidth; ++k) streams[k] = out + k * count;
  for (int64_t i = 0; i < count; ++i) {
    Word v;
    std::memcpy(&v, in + i * kWidth, kWidth);
    for (int k = 0; k < kWidth; ++k) streams[k][i] = static_cast<uint8_t>(v >> (8 * k));
  }
}

// Any width: transpose in blocks so that the output block stays in cache.
void DecodeGeneric(const uint8_t* in, int64_t stride, int width, int64_t count, uint8_t* out) {
  constexpr int64_t kBlock = 256;
  for (int64_t b = 0; b < count; b += kBlock) {
    const int64_t n = std::min(kBlock, count - b);
    for (int k = 0; k < width; ++k) {
      const uint8_t* s = in + k * stride + b;
      uint8_t* o = out + b * width + k;
      for (int64_t i = 0; i < n; ++i) o[i * width] = s[i];
    }
  }
}

void EncodeGeneric(const uint8_t* in, int width, int64_t count, uint8_t* out) {
  constexpr int64_t kBlock = 256;
  for (int64_t b = 0; b < count; b += kBlock) {
    const int64_t n = std::min(kBlock, count - b);
    for (int k = 0; k < width; ++k) {
      const uint8_t* s = in + b * width + k;
      uint8_t* o = out + k * count + b;
      for (int64_t i = 0; i < n; ++i) o[i] = s[i * width];
    }
  }
}

void CheckShape(int width, int64_t num_values) {
  if (width < 1) throw InvalidInput("BYTE_STREAM_SPLIT: width must be positive");
  if (num_values < 0) throw InvalidInput("BYTE_STREAM_SPLIT: negative value count");
}

}  // namespace

void DecodeByteStreamSplitRange(const uint8_t* in, size_t in_size, int width, int64_t num_values,
                                int64_t start, int64_t count, uint8_t* out) {
  CheckShape(width, num_values);
  if (in_size % static_cast<size_t>(width) != 0 ||
      in_size / static_cast<size_t>(width) != static_cast<uint64_t>(num_values)) {
    throw CorruptData("BYTE_STREAM_SPLIT: " + std::to_string(in_size) + " bytes is not " +
                      std::to_string(num_values) + " values of " + std::to_string(width) +
                      " bytes");
  }
  if (start < 0 || count < 0 || start > num_values || count > num_values - start) {
    throw InvalidInput("BYTE_STREAM_SPLIT: range outside the page");
  }
  if (count == 0) return;
  const uint8_t* first = in + start;
  switch (width) {
    case 1:
      std::memcpy(out, first, static_cast<size_t>(count));
      break;
    case 2:
      DecodeFixed<uint16_t>(first, num_values, count, out);
      break;
    case 4:
      DecodeFixed<uint32_t>(first, num_values, count, out);
      break;
    case 8:
      DecodeFixed<uint64_t>(first, num_values, count, out);
      break;
    default:
      DecodeGeneric(first, num_values, width, count, out);
      break;
  }
}

void DecodeByteStreamSplit(const uint8_t* in, size_t in_size, int width, int64_t num_values,
                           uint8_t* out) {
  DecodeByteStreamSplitRange(in, in_size, width, num_values, 0, num_values, out);
}

void EncodeByteStreamSplit(const uint8_t* in, int width, int64_t num_values, std::string* out) {
  CheckShape(width, num_values);
  if (num_values == 0) return;
  const size_t old_size = out->size();
  out->resize(old_size + static_cast<size_t>(num_values) * static_cast<size_t>(width));
  auto* dst = reinterpret_cast<uint8_t*>(out->data()) + old_size;
  switch (width) {
    case 1:
      std::memcpy(dst, in, static_cast<size_t>(num_values));
      break;
    case 2:
      EncodeFixed<uint16_t>(in, num_values, dst);
      break;
    case 4:
      EncodeFixed<uint32_t>(in, num_values, dst);
      break;
    case 8:
      EncodeFixed<uint64_t>(in, num_values, dst);
      break;
    default:
      EncodeGeneric(in, width, num_values, dst);
      break;
  }
}

}  // namespace cpglake::parquet
