#include "parquet/delta_encoding.h"

#include <gtest/gtest.h>

#include <algorithm>
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

std::string Str(const std::vector<uint8_t>& v) {
  return {v.begin(), v.end()};
}

// An exactly sized heap copy, so that ASan sees any read past the end.
std::vector<uint8_t> Exact(const std::string& s, size_t n) {
  return {s.begin(), s.begin() + static_cast<ptrdiff_t>(n)};
}

template <typename T>
std::string EncodeInts(const std::vector<T>& values, int block_size = 128, int miniblocks = 4) {
  DeltaBitPackEncoder<T> encoder(block_size, miniblocks);
  encoder.Put(values.data(), static_cast<int64_t>(values.size()));
  EXPECT_EQ(encoder.num_values(), static_cast<int64_t>(values.size()));
  std::string out;
  encoder.Finish(&out);
  return out;
}

template <typename T>
std::vector<T> DecodeInts(const std::vector<uint8_t>& in, int64_t n, size_t* consumed = nullptr) {
  DeltaBitPackDecoder<T> decoder(in.data(), in.size());
  std::vector<T> out(static_cast<size_t>(n));
  EXPECT_EQ(decoder.GetBatch(out.data(), n), n);
  if (consumed != nullptr) *consumed = decoder.bytes_consumed();
  return out;
}

// ---- Spec examples -----------------------------------------------------------------------------
//
// Encodings.md's examples use a block size of 8 "to keep the examples short, but in real cases
// it would be invalid". These are the same examples with the smallest valid layout (blocks of
// 128, 4 miniblocks of 32); the miniblock bytes hold the spec's relative deltas.

const std::vector<uint8_t> kSpecExample1 = {
    0x80, 0x01, 0x04, 0x05, 0x02,  // block 128, 4 miniblocks, 5 values, first value 1
    0x02,                          // min delta 1
    0x00, 0x00, 0x00, 0x00,        // bit widths: 0 (relative deltas 0,0,0,0), unused
};

const std::vector<uint8_t> kSpecExample2 = {
    0x80, 0x01, 0x04, 0x08, 0x0E,  // block 128, 4 miniblocks, 8 values, first value 7
    0x03,                          // min delta -2
    0x02, 0x00, 0x00, 0x00,        // bit widths: 2, then unused miniblocks
    0xC0, 0x3F, 0x00, 0x00,        // 0,0,0,3,3,3,3 on 2 bits, padded to 32 values
    0x00, 0x00, 0x00, 0x00,
};

TEST(DeltaBinaryPackedTest, SpecExample1) {
  const std::vector<int32_t> values = {1, 2, 3, 4, 5};
  EXPECT_EQ(Bytes(EncodeInts(values)), kSpecExample1);
  size_t consumed;
  EXPECT_EQ(DecodeInts<int32_t>(kSpecExample1, 5, &consumed), values);
  EXPECT_EQ(consumed, kSpecExample1.size());
  EXPECT_EQ(DecodeInts<int64_t>(kSpecExample1, 5), (std::vector<int64_t>{1, 2, 3, 4, 5}));
}

TEST(DeltaBinaryPackedTest, SpecExample2) {
  const std::vector<int64_t> values = {7, 5, 3, 1, 2, 3, 4, 5};
  EXPECT_EQ(Bytes(EncodeInts(values)), kSpecExample2);
  size_t consumed;
  EXPECT_EQ(DecodeInts<int64_t>(kSpecExample2, 8, &consumed), values);
  EXPECT_EQ(consumed, kSpecExample2.size());
}

TEST(DeltaBinaryPackedTest, SpecExampleWithBlockSize8IsRejected) {
  // Literally as in Encodings.md: block size 8, 1 miniblock, 5 values, first 1, min delta 1.
  const std::vector<uint8_t> literal = {0x08, 0x01, 0x05, 0x02, 0x02, 0x00};
  EXPECT_THROW(DeltaBitPackDecoder<int32_t>(literal.data(), literal.size()), CorruptData);
}

// ---- Round trips -------------------------------------------------------------------------------

template <typename T>
class DeltaBinaryPackedTest : public ::testing::Test {
 protected:
  using U = std::make_unsigned_t<T>;

  // Named value distributions of length n.
  static std::vector<std::pair<std::string, std::vector<T>>> Datasets(std::mt19937_64& rng,
                                                                      int64_t n) {
    std::vector<std::pair<std::string, std::vector<T>>> sets;
    const auto size = static_cast<size_t>(n);
    std::vector<T> v(size);
    for (auto& x : v) x = static_cast<T>(rng());
    sets.emplace_back("random", v);
    T base = static_cast<T>(rng());
    for (auto& x : v) x = static_cast<T>(static_cast<U>(base) + rng() % 100);
    sets.emplace_back("small deltas", v);
    U t = 1700000000;
    for (auto& x : v) x = static_cast<T>(t += rng() % 1000);
    sets.emplace_back("increasing", v);
    std::fill(v.begin(), v.end(), static_cast<T>(-5));
    sets.emplace_back("constant", v);
    for (size_t i = 0; i < size; ++i) {
      v[i] = i % 2 ? std::numeric_limits<T>::max() : std::numeric_limits<T>::min();
    }
    sets.emplace_back("extremes (overflowing deltas)", v);
    return sets;
  }

  static void CheckRoundTrip(const std::vector<T>& values, std::mt19937_64& rng,
                             int block_size = 128, int miniblocks = 4) {
    const auto n = static_cast<int64_t>(values.size());
    std::string encoded = EncodeInts(values, block_size, miniblocks);
    const size_t encoded_size = encoded.size();
    encoded += "TRAILING";  // the page may continue (DELTA_LENGTH_BYTE_ARRAY data)
    auto in = Exact(encoded, encoded.size());
    DeltaBitPackDecoder<T> decoder(in.data(), in.size());
    ASSERT_EQ(decoder.total_values(), n);
    std::vector<T> out(values.size());
    int64_t done = 0;
    while (done < n) {
      const int64_t batch = std::min<int64_t>(n - done, static_cast<int64_t>(rng() % 200 + 1));
      ASSERT_EQ(decoder.GetBatch(out.data() + done, batch), batch);
      done += batch;
    }
    ASSERT_EQ(out, values);
    EXPECT_EQ(decoder.values_left(), 0);
    EXPECT_EQ(decoder.GetBatch(out.data(), 10), 0);
    EXPECT_EQ(decoder.bytes_consumed(), encoded_size);
  }
};
using DeltaTypes = ::testing::Types<int32_t, int64_t>;
TYPED_TEST_SUITE(DeltaBinaryPackedTest, DeltaTypes);

TYPED_TEST(DeltaBinaryPackedTest, RoundTripManyLengthsAndDistributions) {
  std::mt19937_64 rng(17);
  for (int64_t n : kLengths) {
    for (const auto& [name, values] : this->Datasets(rng, n)) {
      SCOPED_TRACE(name + ", n = " + std::to_string(n));
      this->CheckRoundTrip(values, rng);
    }
  }
}

TYPED_TEST(DeltaBinaryPackedTest, EveryBitWidth) {
  using U = typename TestFixture::U;
  std::mt19937_64 rng(23);
  for (int width = 0; width <= static_cast<int>(sizeof(TypeParam) * 8); ++width) {
    const U mask = static_cast<U>(bit_util::LowMask(width));
    for (int64_t n : {1, 33, 129, 1000}) {
      // Each miniblock holds relative deltas 0 and 2^width - 1, so it needs exactly `width`.
      std::vector<TypeParam> values(static_cast<size_t>(n));
      U v = static_cast<U>(rng());
      for (int64_t i = 0; i < n; ++i) {
        const U delta = i % 32 == 1 ? 0 : i % 32 == 2 ? mask : static_cast<U>(rng()) & mask;
        v += delta;
        values[i] = static_cast<TypeParam>(v);
      }
      SCOPED_TRACE("width " + std::to_string(width) + ", n = " + std::to_string(n));
      this->CheckRoundTrip(values, rng);
    }
  }
}

TYPED_TEST(DeltaBinaryPackedTest, OtherBlockLayouts) {
  std::mt19937_64 rng(29);
  for (auto [block, miniblocks] : {std::pair{128, 1}, {256, 8}, {1024, 4}, {512, 16}}) {
    for (int64_t n : {0, 1, 300, 5000}) {
      for (const auto& [name, values] : this->Datasets(rng, n)) {
        SCOPED_TRACE(name + ", block " + std::to_string(block));
        this->CheckRoundTrip(values, rng, block, miniblocks);
      }
    }
  }
  EXPECT_THROW(DeltaBitPackEncoder<TypeParam>(100, 4), InvalidInput);
  EXPECT_THROW(DeltaBitPackEncoder<TypeParam>(128, 8), InvalidInput);
  EXPECT_THROW(DeltaBitPackEncoder<TypeParam>(128, 0), InvalidInput);
}

TYPED_TEST(DeltaBinaryPackedTest, TruncatedAtEveryOffset) {
  std::mt19937_64 rng(31);
  for (const auto& [name, values] : this->Datasets(rng, 300)) {
    const std::string encoded = EncodeInts(values);
    for (size_t cut = 0; cut < encoded.size(); ++cut) {
      auto in = Exact(encoded, cut);
      std::vector<TypeParam> out(values.size());
      EXPECT_THROW(
          {
            DeltaBitPackDecoder<TypeParam> decoder(in.data(), in.size());
            decoder.GetBatch(out.data(), static_cast<int64_t>(out.size()));
          },
          CorruptData)
          << name << " cut at " << cut;
    }
  }
}

TYPED_TEST(DeltaBinaryPackedTest, BitWidthBeyondTheTypeIsCorrupt) {
  const int bits = sizeof(TypeParam) * 8;
  std::vector<uint8_t> in = {0x80, 0x01, 0x04, 0x05, 0x02, 0x00, static_cast<uint8_t>(bits + 1),
                             0x00, 0x00, 0x00};
  in.resize(in.size() + 32 * (bits + 1) / 8, 0xff);
  DeltaBitPackDecoder<TypeParam> decoder(in.data(), in.size());
  std::vector<TypeParam> out(5);
  EXPECT_THROW(decoder.GetBatch(out.data(), 5), CorruptData);
  in[6] = 0xff;
  DeltaBitPackDecoder<TypeParam> decoder2(in.data(), in.size());
  EXPECT_THROW(decoder2.GetBatch(out.data(), 5), CorruptData);
}

TYPED_TEST(DeltaBinaryPackedTest, RandomBytesNeverCrash) {
  std::mt19937_64 rng(37);
  std::vector<TypeParam> out(3000);
  for (int iter = 0; iter < 20000; ++iter) {
    // A valid-looking header most of the time, so that the block decoding gets exercised.
    std::vector<uint8_t> in;
    if (iter % 4 != 0) in = {0x80, 0x01, 0x04, static_cast<uint8_t>(rng() % 128), 0x02};
    const size_t extra = rng() % 200;
    for (size_t i = 0; i < extra; ++i) {
      in.push_back(static_cast<uint8_t>(i % 7 == 1 ? rng() % 70 : rng()));
    }
    auto exact = Exact(Str(in), in.size());
    try {
      DeltaBitPackDecoder<TypeParam> decoder(exact.data(), exact.size());
      const int64_t got = decoder.GetBatch(out.data(), static_cast<int64_t>(rng() % 3000));
      EXPECT_GE(got, 0);
      EXPECT_LE(decoder.bytes_consumed(), exact.size());
    } catch (const CorruptData&) {
    }
  }
}

// ---- Hostile headers ---------------------------------------------------------------------------

TEST(DeltaBinaryPackedHostileTest, InvalidHeaders) {
  const std::vector<std::vector<uint8_t>> bad = {
      {},                                                // empty
      {0x80, 0x01, 0x04},                                // truncated
      {0x00, 0x04, 0x05, 0x02},                          // block size 0
      {0x64, 0x04, 0x05, 0x02},                          // block size 100
      {0x80, 0x80, 0x80, 0x80, 0x10, 0x04, 0x05, 0x02},  // block size 2^32
      {0x80, 0x01, 0x00, 0x05, 0x02},                    // no miniblocks
      {0x80, 0x01, 0x03, 0x05, 0x02},                    // 128 / 3
      {0x80, 0x01, 0x08, 0x05, 0x02},                    // 16 values per miniblock
      {0x80, 0x01, 0x04, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
      {0x80, 0x01, 0x04, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02},
  };
  for (const auto& b : bad) {
    auto in = Exact(Str(b), b.size());
    EXPECT_THROW(DeltaBitPackDecoder<int64_t>(in.data(), in.size()), CorruptData)
        << ::testing::PrintToString(b);
  }
}

TEST(DeltaBinaryPackedHostileTest, LyingValueCount) {
  // 2^32 - 1 values declared, one block of zero-width miniblocks present.
  std::vector<uint8_t> in = {0x80, 0x01, 0x04, 0xff, 0xff, 0xff, 0xff,
                             0x0f, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00};
  DeltaBitPackDecoder<int32_t> decoder(in.data(), in.size());
  EXPECT_EQ(decoder.total_values(), 0xffffffffLL);
  std::vector<int32_t> out(1000);
  EXPECT_EQ(decoder.GetBatch(out.data(), 129), 129);  // first value + one block
  EXPECT_THROW(decoder.GetBatch(out.data(), 1000), CorruptData);
}

TEST(DeltaBinaryPackedHostileTest, ArbitraryWidthsOfUnusedMiniblocksAndPadding) {
  // The spec says readers must accept any bit width byte for unused miniblocks, and any bits
  // in the padding of the last miniblock.
  std::vector<uint8_t> in = {0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0x01,
                             0xff, 0xee, 0xdd, 0xf0, 0xff, 0xff, 0xff};
  DeltaBitPackDecoder<int32_t> decoder(in.data(), in.size());
  std::vector<int32_t> out(5);
  ASSERT_EQ(decoder.GetBatch(out.data(), 5), 5);
  // Deltas are 1 + relative deltas 0,0,0,0 (low 4 bits of 0xf0 are zero).
  EXPECT_EQ(out, (std::vector<int32_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(decoder.bytes_consumed(), in.size());
}

TEST(DeltaBinaryPackedHostileTest, WrapsLikeTwosComplement) {
  // min delta and deltas that overflow int32 arithmetic must wrap, not trap.
  const std::vector<int32_t> values = {std::numeric_limits<int32_t>::min(),
                                       std::numeric_limits<int32_t>::max(),
                                       -1,
                                       0,
                                       std::numeric_limits<int32_t>::min(),
                                       1};
  const std::string encoded = EncodeInts(values);
  EXPECT_EQ(DecodeInts<int32_t>(Bytes(encoded), 6), values);
}

// ---- Byte arrays -------------------------------------------------------------------------------

TEST(DeltaLengthByteArrayTest, SpecExample) {
  DeltaLengthByteArrayEncoder encoder;
  for (const char* s : {"Hello", "World", "Foobar", "ABCDEF"}) encoder.Put(s);
  std::string encoded;
  encoder.Finish(&encoded);
  // DeltaEncoding(5, 5, 6, 6): deltas 0, 1, 0 at min delta 0 need 1 bit.
  std::vector<uint8_t> expected = {0x80, 0x01, 0x04, 0x04, 0x0A, 0x00, 0x01,
                                   0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00};
  const std::string data = "HelloWorldFoobarABCDEF";
  expected.insert(expected.end(), data.begin(), data.end());
  EXPECT_EQ(Bytes(encoded), expected);

  DeltaLengthByteArrayDecoder decoder(expected.data(), expected.size(), 4);
  std::string out;
  std::vector<int64_t> offsets = {0};
  EXPECT_EQ(decoder.GetBatch(&out, &offsets, 10), 4);
  EXPECT_EQ(out, data);
  EXPECT_EQ(offsets, (std::vector<int64_t>{0, 5, 10, 16, 22}));
  EXPECT_EQ(decoder.bytes_consumed(), expected.size());
}

TEST(DeltaByteArrayTest, SpecExample) {
  DeltaByteArrayEncoder encoder;
  for (const char* s : {"axis", "axle", "babble", "babyhood"}) encoder.Put(s);
  std::string encoded;
  encoder.Finish(&encoded);
  // DeltaEncoding(0, 2, 0, 3), DeltaEncoding(4, 2, 6, 5), "axislebabbleyhood".
  std::vector<uint8_t> expected = {
      0x80, 0x01, 0x04, 0x04, 0x00, 0x03, 0x03, 0x00, 0x00, 0x00,  // prefixes: min -2, width 3
      0x44, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // 4, 0, 5
      0x80, 0x01, 0x04, 0x04, 0x08, 0x03, 0x03, 0x00, 0x00, 0x00,  // suffixes: min -2, width 3
      0x70, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // 0, 6, 1
  };
  const std::string data = "axislebabbleyhood";
  expected.insert(expected.end(), data.begin(), data.end());
  EXPECT_EQ(Bytes(encoded), expected);

  DeltaByteArrayDecoder decoder(expected.data(), expected.size(), 4);
  std::string out;
  std::vector<int64_t> offsets = {0};
  EXPECT_EQ(decoder.GetBatch(&out, &offsets, 10), 4);
  EXPECT_EQ(out, "axisaxlebabblebabyhood");
  EXPECT_EQ(offsets, (std::vector<int64_t>{0, 4, 8, 14, 22}));
  EXPECT_EQ(decoder.bytes_consumed(), expected.size());
}

struct DeltaLengthCodec {
  using Encoder = DeltaLengthByteArrayEncoder;
  using Decoder = DeltaLengthByteArrayDecoder;
};
struct DeltaByteArrayCodec {
  using Encoder = DeltaByteArrayEncoder;
  using Decoder = DeltaByteArrayDecoder;
};

template <typename C>
class DeltaByteArrayCodecTest : public ::testing::Test {
 protected:
  static std::string Encode(const std::vector<std::string>& values) {
    typename C::Encoder encoder;
    for (const auto& v : values) encoder.Put(v);
    EXPECT_EQ(encoder.num_values(), static_cast<int64_t>(values.size()));
    std::string out;
    encoder.Finish(&out);
    return out;
  }

  // Sorted strings over a small alphabet share long prefixes; empty strings included.
  static std::vector<std::string> Values(std::mt19937_64& rng, int64_t n, size_t fixed_len = 0) {
    std::vector<std::string> v(static_cast<size_t>(n));
    for (auto& s : v) {
      const size_t len = fixed_len != 0 ? fixed_len : rng() % 5 == 0 ? 0 : rng() % 40;
      s.resize(len);
      for (auto& c : s) c = static_cast<char>('a' + rng() % 3);
    }
    std::sort(v.begin(), v.end());
    if (n > 2 && fixed_len == 0) v[static_cast<size_t>(n / 2)] = std::string(3000, 'z');
    return v;
  }
};
using ByteArrayCodecs = ::testing::Types<DeltaLengthCodec, DeltaByteArrayCodec>;
TYPED_TEST_SUITE(DeltaByteArrayCodecTest, ByteArrayCodecs);

TYPED_TEST(DeltaByteArrayCodecTest, RoundTripInBatches) {
  std::mt19937_64 rng(41);
  for (int64_t n : kLengths) {
    for (size_t fixed_len : {size_t{0}, size_t{16}}) {
      const auto values = this->Values(rng, n, fixed_len);
      std::string encoded = this->Encode(values);
      const size_t encoded_size = encoded.size();
      encoded += "more page";
      auto in = Exact(encoded, encoded.size());
      typename TypeParam::Decoder decoder(in.data(), in.size(), n);
      ASSERT_EQ(decoder.num_values(), n);
      EXPECT_EQ(decoder.bytes_consumed(), encoded_size);
      // Output is appended after what the caller already has.
      std::string data = "xyz";
      std::vector<int64_t> offsets = {0, 3};
      int64_t done = 0;
      while (done < n) {
        const int64_t batch = std::min<int64_t>(n - done, static_cast<int64_t>(rng() % 500 + 1));
        ASSERT_EQ(decoder.GetBatch(&data, &offsets, batch), batch);
        done += batch;
      }
      EXPECT_EQ(decoder.GetBatch(&data, &offsets, 5), 0);
      EXPECT_EQ(decoder.values_left(), 0);
      ASSERT_EQ(offsets.size(), values.size() + 2);
      for (size_t i = 0; i < values.size(); ++i) {
        ASSERT_EQ(data.substr(static_cast<size_t>(offsets[i + 1]),
                              static_cast<size_t>(offsets[i + 2] - offsets[i + 1])),
                  values[i])
            << i;
      }
      EXPECT_EQ(static_cast<int64_t>(data.size()), offsets.back());
    }
  }
}

TYPED_TEST(DeltaByteArrayCodecTest, TruncatedAtEveryOffset) {
  std::mt19937_64 rng(43);
  const auto values = this->Values(rng, 200);
  const std::string encoded = this->Encode(values);
  for (size_t cut = 0; cut < encoded.size(); ++cut) {
    auto in = Exact(encoded, cut);
    EXPECT_THROW((typename TypeParam::Decoder(in.data(), in.size(), 200)), CorruptData)
        << "cut at " << cut;
  }
}

TYPED_TEST(DeltaByteArrayCodecTest, MoreValuesThanThePageIsCorrupt) {
  const std::string encoded = this->Encode({"a", "b", "c"});
  auto in = Exact(encoded, encoded.size());
  EXPECT_THROW((typename TypeParam::Decoder(in.data(), in.size(), 2)), CorruptData);
  EXPECT_THROW((typename TypeParam::Decoder(in.data(), in.size(), -1)), CorruptData);
  typename TypeParam::Decoder ok(in.data(), in.size(), 3);
  EXPECT_EQ(ok.num_values(), 3);
}

TYPED_TEST(DeltaByteArrayCodecTest, RandomBytesNeverCrash) {
  std::mt19937_64 rng(47);
  const std::string valid = this->Encode(this->Values(rng, 50));
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s = valid;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) s[rng() % s.size()] = static_cast<char>(rng());
    s.resize(rng() % (s.size() + 1));
    auto in = Exact(s, s.size());
    try {
      typename TypeParam::Decoder decoder(in.data(), in.size(), 60);
      std::string data;
      std::vector<int64_t> offsets = {0};
      decoder.GetBatch(&data, &offsets, 60);
      EXPECT_EQ(static_cast<int64_t>(data.size()), offsets.back());
    } catch (const CorruptData&) {
    }
  }
}

std::string Lengths(const std::vector<int32_t>& lengths) {
  return EncodeInts(lengths);
}

TEST(DeltaLengthByteArrayHostileTest, LyingLengths) {
  auto check = [](const std::string& encoded) {
    auto in = Exact(encoded, encoded.size());
    EXPECT_THROW(DeltaLengthByteArrayDecoder(in.data(), in.size(), 10), CorruptData);
  };
  check(Lengths({-1}) + "abc");         // negative
  check(Lengths({2, -1, 2}) + "abcd");  // negative in the middle
  check(Lengths({5}) + "abc");          // runs past the buffer
  check(Lengths({std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::max()}) +
        "x");                                   // sum overflows int32
  check(Lengths(std::vector<int32_t>(11, 0)));  // more values than the page
}

TEST(DeltaByteArrayHostileTest, BadPrefixes) {
  auto check = [](const std::vector<int32_t>& prefixes, const std::vector<std::string>& suffixes) {
    DeltaLengthByteArrayEncoder suffix_encoder;
    for (const auto& s : suffixes) suffix_encoder.Put(s);
    std::string encoded = Lengths(prefixes);
    suffix_encoder.Finish(&encoded);
    auto in = Exact(encoded, encoded.size());
    EXPECT_THROW(DeltaByteArrayDecoder(in.data(), in.size(), 10), CorruptData);
  };
  check({1}, {"a"});              // the first value has no previous value
  check({0, 3}, {"ab", "c"});     // prefix longer than the previous value
  check({0, -1}, {"ab", "c"});    // negative prefix
  check({0, 1, 2}, {"ab", "c"});  // more prefixes than suffixes
  check({0}, {"ab", "c"});        // fewer prefixes than suffixes
}

TEST(DeltaByteArrayHostileTest, ExpansionBombIsRefused) {
  // One 1 MiB value, then 1100 values that each repeat it as their prefix: 1.1 GiB of output
  // from 1 MiB of input.
  constexpr int32_t kMiB = 1 << 20;
  constexpr int kRepeats = 1100;
  std::vector<int32_t> prefixes(kRepeats + 1, kMiB);
  prefixes[0] = 0;
  DeltaLengthByteArrayEncoder suffixes;
  suffixes.Put(std::string(kMiB, 'b'));
  for (int i = 0; i < kRepeats; ++i) suffixes.Put("");
  std::string encoded = Lengths(prefixes);
  suffixes.Finish(&encoded);
  auto in = Exact(encoded, encoded.size());
  EXPECT_THROW(DeltaByteArrayDecoder(in.data(), in.size(), kRepeats + 1), CorruptData);
}

}  // namespace
}  // namespace cpglake::parquet
