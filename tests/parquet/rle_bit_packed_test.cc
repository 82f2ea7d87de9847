#include "parquet/rle_bit_packed.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "parquet/bit_util.h"

namespace cpglake::parquet {
namespace {

constexpr int64_t kLengths[] = {0, 1, 7, 8, 9, 127, 128, 129, 1000, 100000};

std::vector<uint8_t> Bytes(const std::string& s) {
  return {s.begin(), s.end()};
}

// Copies into an exactly sized heap buffer so that ASan sees any read past the end.
std::vector<uint8_t> Exact(const uint8_t* p, size_t n) {
  return {p, p + n};
}

// Reference: value i of an LSB-first packing, bit by bit.
uint64_t ReferenceUnpack(const std::vector<uint8_t>& in, int width, int64_t i) {
  uint64_t v = 0;
  for (int b = 0; b < width; ++b) {
    const uint64_t bit = static_cast<uint64_t>(i) * width + b;
    v |= static_cast<uint64_t>((in[bit / 8] >> (bit % 8)) & 1) << b;
  }
  return v;
}

// Values with long runs and random stretches, all < 2^width.
std::vector<uint32_t> MixedValues(std::mt19937_64& rng, int width, int64_t n) {
  const uint64_t mask = bit_util::LowMask(width);
  std::vector<uint32_t> v;
  v.reserve(static_cast<size_t>(n));
  while (static_cast<int64_t>(v.size()) < n) {
    const int64_t run =
        std::min<int64_t>(n - static_cast<int64_t>(v.size()), static_cast<int64_t>(rng() % 40 + 1));
    if (rng() % 2 == 0) {
      const auto value = static_cast<uint32_t>(rng() & mask);
      v.insert(v.end(), static_cast<size_t>(run), value);
    } else {
      for (int64_t i = 0; i < run; ++i) v.push_back(static_cast<uint32_t>(rng() & mask));
    }
  }
  return v;
}

std::string Encode(const std::vector<uint32_t>& values, int width) {
  RleBitPackedEncoder encoder(width);
  encoder.PutBatch(values.data(), static_cast<int64_t>(values.size()));
  EXPECT_EQ(encoder.num_values(), static_cast<int64_t>(values.size()));
  std::string out;
  encoder.Finish(&out);
  return out;
}

// ---- bit_util ----------------------------------------------------------------------------------

TEST(BitUtilTest, ZigZagAndWidths) {
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{63}, int64_t{-64},
                    std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}) {
    EXPECT_EQ(bit_util::ZigZagDecode(bit_util::ZigZagEncode(v)), v);
  }
  EXPECT_EQ(bit_util::ZigZagEncode(-1), 1u);
  EXPECT_EQ(bit_util::ZigZagEncode(1), 2u);
  EXPECT_EQ(bit_util::BitWidth(0), 0);
  EXPECT_EQ(bit_util::BitWidth(1), 1);
  EXPECT_EQ(bit_util::BitWidth(7), 3);
  EXPECT_EQ(bit_util::BitWidth(8), 4);
  EXPECT_EQ(bit_util::BitWidth(~uint64_t{0}), 64);
}

TEST(BitUtilTest, Uleb128Bounds) {
  std::string s;
  bit_util::AppendUleb128(&s, ~uint64_t{0});
  ASSERT_EQ(s.size(), 10u);
  auto b = Bytes(s);
  const uint8_t* p = b.data();
  uint64_t v;
  ASSERT_TRUE(bit_util::ReadUleb128(&p, b.data() + b.size(), &v));
  EXPECT_EQ(v, ~uint64_t{0});
  // Every truncation fails.
  for (size_t n = 0; n < b.size(); ++n) {
    const uint8_t* q = b.data();
    EXPECT_FALSE(bit_util::ReadUleb128(&q, b.data() + n, &v));
  }
  // Overflowing the 64th bit and 11-byte varints fail.
  std::vector<uint8_t> over = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
  p = over.data();
  EXPECT_FALSE(bit_util::ReadUleb128(&p, over.data() + over.size(), &v));
  std::vector<uint8_t> eleven(10, 0x80);
  eleven.push_back(0);
  p = eleven.data();
  EXPECT_FALSE(bit_util::ReadUleb128(&p, eleven.data() + eleven.size(), &v));
  // 32-bit variant.
  std::vector<uint8_t> max32 = {0xff, 0xff, 0xff, 0xff, 0x0f};
  p = max32.data();
  uint32_t v32;
  ASSERT_TRUE(bit_util::ReadUleb128_32(&p, max32.data() + 5, &v32));
  EXPECT_EQ(v32, 0xffffffffu);
  std::vector<uint8_t> over32 = {0xff, 0xff, 0xff, 0xff, 0x1f};
  p = over32.data();
  EXPECT_FALSE(bit_util::ReadUleb128_32(&p, over32.data() + 5, &v32));
}

// ---- UnpackBits / PackBits ---------------------------------------------------------------------

template <typename T>
class UnpackBitsTest : public ::testing::Test {};
using UnpackTypes = ::testing::Types<uint8_t, uint16_t, uint32_t, uint64_t>;
TYPED_TEST_SUITE(UnpackBitsTest, UnpackTypes);

TYPED_TEST(UnpackBitsTest, MatchesReferenceForEveryWidthAndLength) {
  std::mt19937_64 rng(42);
  constexpr int kMaxWidth = sizeof(TypeParam) * 8;
  for (int width = 0; width <= kMaxWidth; ++width) {
    for (int64_t n : {0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1000}) {
      const auto bytes = static_cast<size_t>(bit_util::BytesForBits(n * width));
      std::vector<uint8_t> in(bytes);
      for (auto& b : in) b = static_cast<uint8_t>(rng());
      std::vector<TypeParam> out(static_cast<size_t>(n) + 1, 0x5a);
      UnpackBits(in.data(), in.size(), width, n, out.data());
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(out[i], static_cast<TypeParam>(ReferenceUnpack(in, width, i)))
            << "width " << width << " n " << n << " i " << i;
      }
      EXPECT_EQ(out[n], static_cast<TypeParam>(0x5a)) << "wrote past the end";
    }
  }
}

TEST(PackBitsTest, RoundTripsEveryWidth) {
  std::mt19937_64 rng(7);
  for (int width = 0; width <= 64; ++width) {
    for (int64_t n : {0, 8, 16, 32, 40, 1000, 4096}) {
      std::vector<uint64_t> values(static_cast<size_t>(n));
      for (auto& v : values) v = rng() & bit_util::LowMask(width);
      std::string packed = "prefix";
      PackBits(values.data(), n, width, &packed);
      ASSERT_EQ(packed.size(), 6 + static_cast<size_t>(n * width / 8));
      auto bytes = Exact(reinterpret_cast<const uint8_t*>(packed.data()) + 6, packed.size() - 6);
      std::vector<uint64_t> back(static_cast<size_t>(n));
      UnpackBits(bytes.data(), bytes.size(), width, n, back.data());
      ASSERT_EQ(back, values) << "width " << width;
      if (width <= 32) {
        std::vector<uint32_t> v32(values.begin(), values.end());
        std::string packed32;
        PackBits(v32.data(), n, width, &packed32);
        EXPECT_EQ(packed32, packed.substr(6));
      }
    }
  }
}

// Encodings.md: "The numbers 1 through 7 using bit width 3" -> 10001000 11000110 11111010.
TEST(PackBitsTest, SpecExample) {
  const std::vector<uint32_t> values = {0, 1, 2, 3, 4, 5, 6, 7};
  std::string packed;
  PackBits(values.data(), 8, 3, &packed);
  EXPECT_EQ(Bytes(packed), (std::vector<uint8_t>{0x88, 0xC6, 0xFA}));
}

// ---- RLE / bit-packing hybrid ------------------------------------------------------------------

TEST(RleBitPackedTest, SpecExampleAsBitPackedRun) {
  const std::vector<uint32_t> values = {0, 1, 2, 3, 4, 5, 6, 7};
  const std::string encoded = Encode(values, 3);
  // One bit-packed run of one group: header (1 << 1 | 1), then the spec's three bytes.
  EXPECT_EQ(Bytes(encoded), (std::vector<uint8_t>{0x03, 0x88, 0xC6, 0xFA}));
  auto in = Bytes(encoded);
  RleBitPackedDecoder decoder(in.data(), in.size(), 3);
  std::vector<uint32_t> out(8);
  EXPECT_EQ(decoder.GetBatch(out.data(), 8), 8);
  EXPECT_EQ(out, values);
  EXPECT_EQ(decoder.GetBatch(out.data(), 8), 0);
}

TEST(RleBitPackedTest, KnownRleRuns) {
  // 100 zeros at bit width 1: header varint(100 << 1) = C8 01, value 00.
  std::vector<uint32_t> zeros(100, 0);
  EXPECT_EQ(Bytes(Encode(zeros, 1)), (std::vector<uint8_t>{0xC8, 0x01, 0x00}));
  // A run of a 2-byte value at bit width 12: little-endian value bytes.
  std::vector<uint32_t> run(9, 0xABC);
  EXPECT_EQ(Bytes(Encode(run, 12)), (std::vector<uint8_t>{0x12, 0xBC, 0x0A}));
  // A hand-written stream: 5 x 4 (RLE), then 8 values bit-packed, at width 3.
  std::vector<uint8_t> in = {0x0A, 0x04, 0x03, 0x88, 0xC6, 0xFA};
  RleBitPackedDecoder decoder(in.data(), in.size(), 3);
  std::vector<uint32_t> out(20);
  ASSERT_EQ(decoder.GetBatch(out.data(), 20), 13);
  EXPECT_EQ(std::vector<uint32_t>(out.begin(), out.begin() + 13),
            (std::vector<uint32_t>{4, 4, 4, 4, 4, 0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(RleBitPackedTest, LiteralRunsAreAtMost63Groups) {
  std::vector<uint32_t> values(1000);
  for (size_t i = 0; i < values.size(); ++i) values[i] = i % 2;
  const std::string encoded = Encode(values, 1);
  EXPECT_EQ(static_cast<uint8_t>(encoded[0]), 0x7F);  // 63 groups, bit-packed
  EXPECT_EQ(encoded.size(), 1 + 63u + 1 + 62u);       // 504 values, then 496
}

TEST(RleBitPackedTest, RepeatsBecomeRuns) {
  std::vector<uint32_t> values;
  for (int i = 0; i < 100; ++i) values.insert(values.end(), 1000, static_cast<uint32_t>(i % 7));
  const std::string encoded = Encode(values, 3);
  EXPECT_LE(encoded.size(), 100u * 3);  // each run is a 2-byte header and 1 value byte
}

template <typename T>
class RleRoundTripTest : public ::testing::Test {};
using LevelTypes = ::testing::Types<uint32_t, int16_t, uint8_t>;
TYPED_TEST_SUITE(RleRoundTripTest, LevelTypes);

TYPED_TEST(RleRoundTripTest, EveryWidthAndLength) {
  constexpr int kMaxWidth = std::is_same_v<TypeParam, uint32_t>  ? 32
                            : std::is_same_v<TypeParam, int16_t> ? 16
                                                                 : 8;
  std::mt19937_64 rng(1234);
  for (int width = 0; width <= kMaxWidth; ++width) {
    for (int64_t n : kLengths) {
      const std::vector<uint32_t> values = MixedValues(rng, width, n);
      const std::string encoded = Encode(values, width);
      auto in = Exact(reinterpret_cast<const uint8_t*>(encoded.data()), encoded.size());
      RleBitPackedDecoder decoder(in.data(), in.size(), width);
      std::vector<TypeParam> out(static_cast<size_t>(n));
      // Read in uneven batches to cross run and chunk boundaries.
      int64_t done = 0;
      while (done < n) {
        const int64_t batch = std::min<int64_t>(n - done, static_cast<int64_t>(rng() % 300 + 1));
        ASSERT_EQ(decoder.GetBatch(out.data() + done, batch), batch);
        done += batch;
      }
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(static_cast<uint32_t>(out[i]) & static_cast<uint32_t>(bit_util::LowMask(width)),
                  values[i])
            << "width " << width << " n " << n << " i " << i;
      }
      // Only zero padding of the last group may follow.
      std::vector<TypeParam> rest(16);
      const int64_t extra = decoder.GetBatch(rest.data(), 16);
      EXPECT_LT(extra, 8);
      for (int64_t i = 0; i < extra; ++i) EXPECT_EQ(rest[i], 0);
    }
  }
}

TEST(RleBitPackedTest, AllEqualAndAllDistinct) {
  std::mt19937_64 rng(5);
  for (int width : {1, 5, 8, 13, 20, 32}) {
    for (int64_t n : kLengths) {
      std::vector<uint32_t> same(static_cast<size_t>(n),
                                 static_cast<uint32_t>(bit_util::LowMask(width)));
      std::vector<uint32_t> distinct(static_cast<size_t>(n));
      for (auto& v : distinct) v = static_cast<uint32_t>(rng() & bit_util::LowMask(width));
      for (const auto* values : {&same, &distinct}) {
        const std::string encoded = Encode(*values, width);
        auto in = Exact(reinterpret_cast<const uint8_t*>(encoded.data()), encoded.size());
        RleBitPackedDecoder decoder(in.data(), in.size(), width);
        std::vector<uint32_t> out(static_cast<size_t>(n));
        ASSERT_EQ(decoder.GetBatch(out.data(), n), n);
        ASSERT_EQ(out, *values);
      }
    }
  }
}

TEST(RleBitPackedTest, FinishResetsAndLengthPrefix) {
  RleBitPackedEncoder encoder(2);
  for (uint32_t v : {1u, 2u, 3u}) encoder.Put(v);
  std::string first;
  encoder.FinishWithLengthPrefix(&first);
  EXPECT_EQ(encoder.num_values(), 0);
  for (uint32_t v : {1u, 2u, 3u}) encoder.Put(v);
  std::string second;
  encoder.FinishWithLengthPrefix(&second);
  EXPECT_EQ(first, second);
  auto in = Bytes(first);
  auto runs = ReadLengthPrefixedRle(in.data(), in.size());
  EXPECT_EQ(runs.size() + 4, in.size());
  RleBitPackedDecoder decoder(runs.data(), runs.size(), 2);
  std::vector<int16_t> out(3);
  ASSERT_EQ(decoder.GetBatch(out.data(), 3), 3);
  EXPECT_EQ(out, (std::vector<int16_t>{1, 2, 3}));
}

TEST(RleBitPackedTest, RunsThatEndEarlyReturnFewerValues) {
  std::vector<uint32_t> values(10, 3);
  const std::string encoded = Encode(values, 2);
  auto in = Bytes(encoded);
  RleBitPackedDecoder decoder(in.data(), in.size(), 2);
  std::vector<uint32_t> out(20);
  EXPECT_EQ(decoder.GetBatch(out.data(), 20), 10);
  EXPECT_EQ(decoder.GetBatch(out.data(), 20), 0);
  RleBitPackedDecoder empty(nullptr, 0, 5);
  EXPECT_EQ(empty.GetBatch(out.data(), 20), 0);
}

TEST(RleBitPackedTest, DictionaryIndicesAreBounded) {
  std::vector<uint32_t> values = {0, 1, 2, 3, 4, 5, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7};
  const std::string encoded = Encode(values, 3);
  auto in = Bytes(encoded);
  std::vector<uint32_t> out(values.size());
  {
    RleBitPackedDecoder decoder(in.data(), in.size(), 3);
    EXPECT_EQ(decoder.GetIndices(out.data(), static_cast<int64_t>(out.size()), 8),
              static_cast<int64_t>(out.size()));
    EXPECT_EQ(out, values);
  }
  {  // bit-packed value 7 is out of range
    RleBitPackedDecoder decoder(in.data(), in.size(), 3);
    EXPECT_THROW(decoder.GetIndices(out.data(), 8, 7), CorruptData);
  }
  {  // the RLE run of 7s is out of range; the bit-packed part before it is fine
    std::vector<uint32_t> small = {0, 1, 2, 3, 4, 5, 6, 6};
    small.insert(small.end(), 9, 7);
    const std::string enc = Encode(small, 3);
    auto bytes = Bytes(enc);
    RleBitPackedDecoder decoder(bytes.data(), bytes.size(), 3);
    EXPECT_EQ(decoder.GetIndices(out.data(), 8, 7), 8);
    EXPECT_THROW(decoder.GetIndices(out.data(), 1, 7), CorruptData);
  }
  {  // zero-entry dictionary: any index is out of range
    RleBitPackedDecoder decoder(in.data(), in.size(), 3);
    EXPECT_THROW(decoder.GetIndices(out.data(), 1, 0), CorruptData);
  }
}

TEST(RleBitPackedTest, BitWidthZero) {
  // Width 0: RLE runs carry no value bytes, bit-packed runs no payload.
  std::vector<uint8_t> in = {0x0A, 0x03, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
  RleBitPackedDecoder decoder(in.data(), in.size(), 0);
  std::vector<uint32_t> out(1000, 9);
  EXPECT_EQ(decoder.GetBatch(out.data(), 1000), 1000);  // 5 + 8 + a huge bit-packed run
  EXPECT_TRUE(std::all_of(out.begin(), out.end(), [](uint32_t v) { return v == 0; }));
  std::vector<uint32_t> zeros(300, 0);
  EXPECT_EQ(Encode(zeros, 0).size(), 2u);  // one RLE run, no value byte
}

TEST(RleBitPackedTest, ZeroLengthRunsAreSkipped) {
  std::vector<uint8_t> in = {0x00, 0x01, 0x01, 0x04, 0x01};  // RLE 0, bit-packed 0, RLE 2 x 1
  RleBitPackedDecoder decoder(in.data(), in.size(), 1);
  std::vector<uint32_t> out(4);
  EXPECT_EQ(decoder.GetBatch(out.data(), 4), 2);
  EXPECT_EQ(out[0], 1u);
  EXPECT_EQ(out[1], 1u);
}

// ---- Hostile input -----------------------------------------------------------------------------

TEST(RleBitPackedHostileTest, BadBitWidths) {
  std::vector<uint8_t> in = {0x02, 0x01};
  EXPECT_THROW(RleBitPackedDecoder(in.data(), in.size(), 33), CorruptData);
  EXPECT_THROW(RleBitPackedDecoder(in.data(), in.size(), -1), CorruptData);
  RleBitPackedDecoder wide(in.data(), in.size(), 17);
  std::vector<int16_t> levels(1);
  EXPECT_THROW(wide.GetBatch(levels.data(), 1), InvalidInput);
  std::vector<uint8_t> bytes(1);
  RleBitPackedDecoder nine(in.data(), in.size(), 9);
  EXPECT_THROW(nine.GetBatch(bytes.data(), 1), InvalidInput);
  EXPECT_THROW(RleBitPackedEncoder(33), InvalidInput);
  RleBitPackedEncoder encoder(3);
  EXPECT_THROW(encoder.Put(8), InvalidInput);
}

TEST(RleBitPackedHostileTest, MalformedRuns) {
  std::vector<uint32_t> out(64);
  auto expect_corrupt = [&](std::vector<uint8_t> in, int width) {
    auto exact = Exact(in.data(), in.size());
    RleBitPackedDecoder decoder(exact.data(), exact.size(), width);
    EXPECT_THROW(decoder.GetBatch(out.data(), 64), CorruptData);
  };
  expect_corrupt({0x80}, 3);                                 // header ends inside its varint
  expect_corrupt({0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 3);   // header wider than 32 bits
  expect_corrupt({0x04}, 3);                                 // RLE run without its value
  expect_corrupt({0x04, 0x01}, 12);                          // RLE value needs 2 bytes
  expect_corrupt({0x04, 0x08}, 3);                           // RLE value 8 at width 3
  expect_corrupt({0x04, 0xff, 0xff, 0xff, 0xff}, 31);        // 2^32-1 at width 31
  expect_corrupt({0x03, 0x88, 0xC6}, 3);                     // bit-packed group cut short
  expect_corrupt({0xff, 0xff, 0xff, 0xff, 0x0f, 0x00}, 32);  // lying group count
}

TEST(RleBitPackedHostileTest, MissingPaddingIsOnlyAnErrorIfNeeded) {
  // One group declared (8 values at width 3 = 3 bytes) but only 2 bytes present: the 5 values
  // whose bits are all there can be read; the 6th cannot.
  std::vector<uint8_t> in = {0x03, 0x88, 0xC6};
  auto exact = Exact(in.data(), in.size());
  std::vector<uint32_t> out(8);
  RleBitPackedDecoder decoder(exact.data(), exact.size(), 3);
  ASSERT_EQ(decoder.GetBatch(out.data(), 5), 5);
  EXPECT_EQ(std::vector<uint32_t>(out.begin(), out.begin() + 5),
            (std::vector<uint32_t>{0, 1, 2, 3, 4}));
  EXPECT_THROW(decoder.GetBatch(out.data(), 1), CorruptData);
}

TEST(RleBitPackedHostileTest, TruncatedAtEveryOffset) {
  std::mt19937_64 rng(99);
  for (int width : {1, 3, 8, 17, 32}) {
    const std::vector<uint32_t> values = MixedValues(rng, width, 700);
    const std::string encoded = Encode(values, width);
    for (size_t cut = 0; cut < encoded.size(); ++cut) {
      auto in = Exact(reinterpret_cast<const uint8_t*>(encoded.data()), cut);
      RleBitPackedDecoder decoder(in.data(), in.size(), width);
      std::vector<uint32_t> out(values.size());
      try {
        // Cut at a run boundary (or only into the last group's padding): the values that are
        // there, all correct.
        const int64_t got = decoder.GetBatch(out.data(), static_cast<int64_t>(values.size()));
        ASSERT_LE(got, static_cast<int64_t>(values.size())) << "cut " << cut;
        for (int64_t i = 0; i < got; ++i) ASSERT_EQ(out[i], values[i]) << "cut " << cut;
      } catch (const CorruptData&) {
      }
    }
  }
}

TEST(RleBitPackedHostileTest, RandomBytesNeverCrash) {
  std::mt19937_64 rng(2024);
  std::vector<uint32_t> out(5000);
  std::vector<int16_t> levels(5000);
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<uint8_t> in(rng() % 64);
    for (auto& b : in) b = static_cast<uint8_t>(rng());
    const int width = static_cast<int>(rng() % 33);
    const auto n = static_cast<int64_t>(rng() % 5000);
    try {
      RleBitPackedDecoder decoder(in.data(), in.size(), width);
      if (width <= 16 && iter % 2 == 0) {
        EXPECT_LE(decoder.GetBatch(levels.data(), n), n);
      } else if (iter % 3 == 0) {
        EXPECT_LE(decoder.GetIndices(out.data(), n, static_cast<uint32_t>(rng() % 100)), n);
      } else {
        EXPECT_LE(decoder.GetBatch(out.data(), n), n);
      }
    } catch (const CorruptData&) {
    }
  }
}

// ---- Framing and booleans ----------------------------------------------------------------------

TEST(RleFramingTest, LengthPrefix) {
  std::vector<uint8_t> ok = {0x02, 0x00, 0x00, 0x00, 0xAA, 0xBB, 0xCC};
  auto span = ReadLengthPrefixedRle(ok.data(), ok.size());
  EXPECT_EQ(span.data(), ok.data() + 4);
  EXPECT_EQ(span.size(), 2u);
  std::vector<uint8_t> lying = {0x04, 0x00, 0x00, 0x00, 0xAA, 0xBB, 0xCC};
  EXPECT_THROW(ReadLengthPrefixedRle(lying.data(), lying.size()), CorruptData);
  std::vector<uint8_t> huge = {0xff, 0xff, 0xff, 0xff, 0xAA};
  EXPECT_THROW(ReadLengthPrefixedRle(huge.data(), huge.size()), CorruptData);
  EXPECT_THROW(ReadLengthPrefixedRle(ok.data(), 3), CorruptData);
}

TEST(RleFramingTest, BooleansRoundTrip) {
  std::mt19937_64 rng(11);
  for (int64_t n : kLengths) {
    std::vector<uint8_t> values(static_cast<size_t>(n));
    for (size_t i = 0; i < values.size(); ++i) values[i] = (rng() % 10 < 3) || (i / 50) % 2;
    std::string encoded = "xy";
    EncodeRleBooleans(values.data(), n, &encoded);
    encoded += "trailing";
    auto in = Exact(reinterpret_cast<const uint8_t*>(encoded.data()) + 2, encoded.size() - 2);
    std::vector<uint8_t> out(static_cast<size_t>(n));
    EXPECT_EQ(DecodeRleBooleans(in.data(), in.size(), n, out.data()), in.size() - 8);
    EXPECT_EQ(out, values);
    // Asking for more values than encoded (beyond the last group's padding) is corrupt.
    std::vector<uint8_t> more(static_cast<size_t>(n) + 8);
    EXPECT_THROW(DecodeRleBooleans(in.data(), in.size(), n + 8, more.data()), CorruptData);
  }
}

// ---- Deprecated BIT_PACKED ---------------------------------------------------------------------

// Encodings.md: 0..7 at width 3 -> 00000101 00111001 01110111.
TEST(LegacyBitPackedTest, SpecExample) {
  const std::vector<int16_t> values = {0, 1, 2, 3, 4, 5, 6, 7};
  std::string encoded;
  EncodeLegacyBitPacked(values.data(), 8, 3, &encoded);
  EXPECT_EQ(Bytes(encoded), (std::vector<uint8_t>{0x05, 0x39, 0x77}));
  auto in = Bytes(encoded);
  std::vector<int16_t> out(8);
  EXPECT_EQ(DecodeLegacyBitPacked(in.data(), in.size(), 3, 8, out.data()), 3u);
  EXPECT_EQ(out, values);
}

TEST(LegacyBitPackedTest, RoundTripAndTruncation) {
  std::mt19937_64 rng(3);
  for (int width = 0; width <= 16; ++width) {
    for (int64_t n : {0, 1, 7, 8, 9, 127, 128, 129, 1000}) {
      std::vector<int16_t> values(static_cast<size_t>(n));
      for (auto& v : values) v = static_cast<int16_t>(rng() & bit_util::LowMask(width));
      std::string encoded;
      EncodeLegacyBitPacked(values.data(), n, width, &encoded);
      ASSERT_EQ(encoded.size(), static_cast<size_t>(bit_util::BytesForBits(n * width)));
      auto in = Exact(reinterpret_cast<const uint8_t*>(encoded.data()), encoded.size());
      std::vector<int16_t> out(static_cast<size_t>(n));
      EXPECT_EQ(DecodeLegacyBitPacked(in.data(), in.size(), width, n, out.data()), in.size());
      ASSERT_EQ(out, values) << "width " << width;
      if (!in.empty()) {
        auto short_in = Exact(in.data(), in.size() - 1);
        EXPECT_THROW(DecodeLegacyBitPacked(short_in.data(), short_in.size(), width, n, out.data()),
                     CorruptData);
      }
    }
  }
  std::vector<int16_t> out(1);
  std::vector<uint8_t> in(8);
  EXPECT_THROW(DecodeLegacyBitPacked(in.data(), in.size(), 17, 1, out.data()), CorruptData);
}

}  // namespace
}  // namespace cpglake::parquet
