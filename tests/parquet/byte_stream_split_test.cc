#include "parquet/byte_stream_split.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"

namespace cpglake::parquet {
namespace {

constexpr int64_t kLengths[] = {0, 1, 7, 8, 9, 127, 128, 129, 1000, 100000};

// Reference transposition, byte by byte.
std::vector<uint8_t> ReferenceEncode(const std::vector<uint8_t>& values, int width) {
  const size_t n = values.size() / static_cast<size_t>(width);
  std::vector<uint8_t> out(values.size());
  for (size_t i = 0; i < n; ++i) {
    for (int k = 0; k < width; ++k) out[k * n + i] = values[i * width + k];
  }
  return out;
}

std::vector<uint8_t> RandomBytes(std::mt19937_64& rng, size_t n) {
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

void CheckRoundTrip(const std::vector<uint8_t>& values, int width) {
  const auto n = static_cast<int64_t>(values.size() / static_cast<size_t>(width));
  std::string encoded = "ab";
  EncodeByteStreamSplit(values.data(), width, n, &encoded);
  ASSERT_EQ(encoded.size(), 2 + values.size());
  std::vector<uint8_t> body(encoded.begin() + 2, encoded.end());
  ASSERT_EQ(body, ReferenceEncode(values, width)) << "width " << width << " n " << n;
  std::vector<uint8_t> decoded(values.size() + 1, 0xEE);
  DecodeByteStreamSplit(body.data(), body.size(), width, n, decoded.data());
  EXPECT_EQ(decoded.back(), 0xEE) << "wrote past the end";
  decoded.pop_back();
  ASSERT_EQ(decoded, values) << "width " << width << " n " << n;
}

// Encodings.md: three floats AA BB CC DD | 00 11 22 33 | A3 B4 C5 D6.
TEST(ByteStreamSplitTest, SpecExample) {
  const std::vector<uint8_t> values = {0xAA, 0xBB, 0xCC, 0xDD, 0x00, 0x11,
                                       0x22, 0x33, 0xA3, 0xB4, 0xC5, 0xD6};
  const std::vector<uint8_t> expected = {0xAA, 0x00, 0xA3, 0xBB, 0x11, 0xB4,
                                         0xCC, 0x22, 0xC5, 0xDD, 0x33, 0xD6};
  std::string encoded;
  EncodeByteStreamSplit(values.data(), 4, 3, &encoded);
  EXPECT_EQ(std::vector<uint8_t>(encoded.begin(), encoded.end()), expected);
  std::vector<uint8_t> decoded(12);
  DecodeByteStreamSplit(expected.data(), expected.size(), 4, 3, decoded.data());
  EXPECT_EQ(decoded, values);
}

// FLOAT16 (as its bits), FLOAT, DOUBLE, INT32, INT64.
template <typename T>
class ByteStreamSplitTypedTest : public ::testing::Test {};
using BssTypes = ::testing::Types<uint16_t, float, double, int32_t, int64_t>;
TYPED_TEST_SUITE(ByteStreamSplitTypedTest, BssTypes);

TYPED_TEST(ByteStreamSplitTypedTest, RoundTrip) {
  std::mt19937_64 rng(51);
  for (int64_t n : kLengths) {
    std::vector<TypeParam> typed(static_cast<size_t>(n));
    for (size_t i = 0; i < typed.size(); ++i) {
      if constexpr (std::is_floating_point_v<TypeParam>) {
        typed[i] = static_cast<TypeParam>(std::uniform_real_distribution<double>(-1e6, 1e6)(rng));
      } else {
        typed[i] = static_cast<TypeParam>(rng());
      }
    }
    std::vector<uint8_t> bytes(typed.size() * sizeof(TypeParam));
    if (!bytes.empty()) std::memcpy(bytes.data(), typed.data(), bytes.size());
    CheckRoundTrip(bytes, sizeof(TypeParam));
  }
}

TEST(ByteStreamSplitTest, FixedLenByteArrayWidths) {
  std::mt19937_64 rng(53);
  for (int width : {1, 3, 5, 6, 7, 12, 16, 33, 300}) {
    for (int64_t n : kLengths) {
      if (n * width > 4'000'000) continue;
      CheckRoundTrip(RandomBytes(rng, static_cast<size_t>(n * width)), width);
    }
  }
}

TEST(ByteStreamSplitTest, RangesMatchTheFullDecode) {
  std::mt19937_64 rng(57);
  for (int width : {2, 4, 8, 5}) {
    const int64_t n = 1000;
    const auto values = RandomBytes(rng, static_cast<size_t>(n * width));
    std::string encoded;
    EncodeByteStreamSplit(values.data(), width, n, &encoded);
    const auto* in = reinterpret_cast<const uint8_t*>(encoded.data());
    for (int iter = 0; iter < 50; ++iter) {
      const int64_t start = static_cast<int64_t>(rng() % (n + 1));
      const int64_t count = static_cast<int64_t>(rng() % (n - start + 1));
      std::vector<uint8_t> out(static_cast<size_t>(count * width));
      DecodeByteStreamSplitRange(in, encoded.size(), width, n, start, count, out.data());
      ASSERT_TRUE(std::equal(out.begin(), out.end(), values.begin() + start * width));
    }
  }
}

TEST(ByteStreamSplitHostileTest, SizeMustMatch) {
  std::vector<uint8_t> in(12);
  std::vector<uint8_t> out(16);
  EXPECT_THROW(DecodeByteStreamSplit(in.data(), 11, 4, 3, out.data()), CorruptData);
  EXPECT_THROW(DecodeByteStreamSplit(in.data(), 12, 4, 4, out.data()), CorruptData);
  EXPECT_THROW(DecodeByteStreamSplit(in.data(), 12, 8, 1, out.data()), CorruptData);
  EXPECT_THROW(DecodeByteStreamSplit(in.data(), 12, 0, 3, out.data()), InvalidInput);
  EXPECT_THROW(DecodeByteStreamSplit(in.data(), 12, 4, -3, out.data()), InvalidInput);
  EXPECT_THROW(DecodeByteStreamSplitRange(in.data(), 12, 4, 3, 2, 2, out.data()), InvalidInput);
  EXPECT_THROW(DecodeByteStreamSplitRange(in.data(), 12, 4, 3, -1, 1, out.data()), InvalidInput);
  // A width * count that overflows must not pass the size check.
  EXPECT_THROW(DecodeByteStreamSplit(in.data(), 12, 1 << 30, int64_t{1} << 62, out.data()),
               CorruptData);
  DecodeByteStreamSplit(nullptr, 0, 4, 0, nullptr);  // empty page
  std::string encoded;
  EXPECT_THROW(EncodeByteStreamSplit(in.data(), 0, 3, &encoded), InvalidInput);
}

}  // namespace
}  // namespace cpglake::parquet
