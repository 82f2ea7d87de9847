#include "parquet/compression.h"

#include <gtest/gtest.h>
#include <lz4.h>
#include <lz4frame.h>
#include <zlib.h>
#include <zstd.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"

namespace cpglake::parquet {
namespace {

const Codec kCodecs[] = {Codec::kUncompressed, Codec::kSnappy, Codec::kGzip,  Codec::kBrotli,
                         Codec::kLz4,          Codec::kZstd,   Codec::kLz4Raw};

const Codec kCompressingCodecs[] = {Codec::kSnappy, Codec::kGzip, Codec::kBrotli,
                                    Codec::kLz4,    Codec::kZstd, Codec::kLz4Raw};

const uint8_t* U8(const std::string& s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

// Text-like data that compresses a few times over.
std::string Compressible(std::mt19937_64& rng, size_t n) {
  static const char* kWords[] = {"def ",    "class ", "return ", "self", ".", "(",  ")",
                                 "import ", "node",   "edge",    ", ",   ":", "\n", "    "};
  std::string s;
  s.reserve(n + 16);
  while (s.size() < n) s += kWords[rng() % (sizeof(kWords) / sizeof(kWords[0]))];
  s.resize(n);
  return s;
}

std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

std::string CompressString(Codec codec, const std::string& in, int level = 0) {
  std::string out;
  Compress(codec, U8(in), in.size(), &out, level);
  return out;
}

// Decompresses into an exactly sized heap buffer followed by guard bytes that must survive.
std::string DecompressChecked(Codec codec, const std::string& compressed, size_t out_size) {
  constexpr size_t kGuard = 64;
  std::vector<uint8_t> in(compressed.begin(), compressed.end());  // exact size for ASan
  std::vector<uint8_t> out(out_size + kGuard, 0xA5);
  auto check_guard = [&] {
    for (size_t i = out_size; i < out.size(); ++i) {
      if (out[i] != 0xA5) ADD_FAILURE() << CodecName(codec) << " wrote past out_size";
    }
  };
  try {
    Decompress(codec, in.data(), in.size(), out.data(), out_size);
  } catch (...) {
    check_guard();
    throw;
  }
  check_guard();
  return std::string(out.begin(), out.begin() + static_cast<ptrdiff_t>(out_size));
}

class CodecTest : public ::testing::TestWithParam<Codec> {};

std::string CodecParamName(const ::testing::TestParamInfo<Codec>& info) {
  return std::string(CodecName(info.param));
}

TEST_P(CodecTest, RoundTripSizes) {
  const Codec codec = GetParam();
  std::mt19937_64 rng(61);
  for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{100}, size_t{4096}, size_t{100000},
                   size_t{1} << 20}) {
    for (const std::string& input : {Compressible(rng, n), RandomBytes(rng, n)}) {
      // Compress appends.
      std::string out = "keep";
      Compress(codec, U8(input), input.size(), &out);
      ASSERT_EQ(out.substr(0, 4), "keep");
      const std::string compressed = out.substr(4);
      ASSERT_EQ(DecompressChecked(codec, compressed, input.size()), input)
          << CodecName(codec) << " n " << n;
    }
  }
}

TEST_P(CodecTest, RoundTrip10MB) {
  const Codec codec = GetParam();
  std::mt19937_64 rng(67);
  const std::string input = Compressible(rng, 10 << 20);
  const std::string compressed = CompressString(codec, input);
  if (codec != Codec::kUncompressed) {
    EXPECT_LT(compressed.size(), input.size() / 2);
  }
  EXPECT_EQ(DecompressChecked(codec, compressed, input.size()), input);
}

TEST_P(CodecTest, EmptyInputForEmptyPage) {
  // Some writers emit empty pages with no compressed bytes at all.
  Decompress(GetParam(), nullptr, 0, nullptr, 0);
}

TEST_P(CodecTest, WrongOutSizeIsCorrupt) {
  const Codec codec = GetParam();
  std::mt19937_64 rng(71);
  for (size_t n : {size_t{1}, size_t{1000}, size_t{300000}}) {
    const std::string input = Compressible(rng, n);
    const std::string compressed = CompressString(codec, input);
    for (size_t wrong : {n - 1, n + 1, n / 2, n * 2, size_t{0}}) {
      if (wrong == n) continue;
      EXPECT_THROW(DecompressChecked(codec, compressed, wrong), CorruptData)
          << CodecName(codec) << " n " << n << " out_size " << wrong;
    }
  }
}

TEST_P(CodecTest, TruncatedAtEveryOffset) {
  const Codec codec = GetParam();
  std::mt19937_64 rng(73);
  const std::string input = Compressible(rng, 3000);
  const std::string compressed = CompressString(codec, input);
  for (size_t cut = 0; cut < compressed.size(); ++cut) {
    EXPECT_THROW(DecompressChecked(codec, compressed.substr(0, cut), input.size()), CorruptData)
        << CodecName(codec) << " cut at " << cut;
  }
}

TEST_P(CodecTest, CorruptedBytesNeverCrash) {
  const Codec codec = GetParam();
  std::mt19937_64 rng(79);
  const std::string input = Compressible(rng, 5000);
  const std::string compressed = CompressString(codec, input);
  for (int iter = 0; iter < 3000; ++iter) {
    std::string bad = compressed;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) bad[rng() % bad.size()] = static_cast<char>(rng());
    const size_t out_size = iter % 2 == 0 ? input.size() : rng() % 10000;
    try {
      DecompressChecked(codec, bad, out_size);  // formats without checksums may "succeed"
    } catch (const CorruptData&) {
    }
  }
  for (int iter = 0; iter < 3000; ++iter) {
    const std::string garbage = RandomBytes(rng, rng() % 100);
    try {
      DecompressChecked(codec, garbage, rng() % 1000);
    } catch (const CorruptData&) {
    }
  }
}

TEST_P(CodecTest, DecompressionBombIsCorrupt) {
  const Codec codec = GetParam();
  // 10 MB of zeros, claimed to be 1 MB: the decoder must stop at out_size.
  const std::string zeros(10 << 20, '\0');
  const std::string compressed = CompressString(codec, zeros);
  EXPECT_THROW(DecompressChecked(codec, compressed, 1 << 20), CorruptData);
  // A page header claiming more than kMaxPageSize is refused before anything is written.
  std::vector<uint8_t> small(16);
  EXPECT_THROW(Decompress(codec, U8(compressed), compressed.size(), small.data(), kMaxPageSize + 1),
               CorruptData);
  EXPECT_THROW(CheckDecompressedSize(codec, U8(compressed), compressed.size(), kMaxPageSize + 1),
               CorruptData);
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, CodecTest, ::testing::ValuesIn(kCodecs), CodecParamName);

// ---- Names -------------------------------------------------------------------------------------

TEST(CodecNameTest, NamesAndParsing) {
  EXPECT_EQ(CodecName(Codec::kLz4Raw), "LZ4_RAW");
  EXPECT_EQ(CodecName(Codec::kLzo), "LZO");
  EXPECT_EQ(CodecName(static_cast<Codec>(42)), "UNKNOWN");
  EXPECT_EQ(ParseCodec("none"), Codec::kUncompressed);
  EXPECT_EQ(ParseCodec("Uncompressed"), Codec::kUncompressed);
  EXPECT_EQ(ParseCodec("SNAPPY"), Codec::kSnappy);
  EXPECT_EQ(ParseCodec("gzip"), Codec::kGzip);
  EXPECT_EQ(ParseCodec("Brotli"), Codec::kBrotli);
  EXPECT_EQ(ParseCodec("lz4"), Codec::kLz4);
  EXPECT_EQ(ParseCodec("LZ4_raw"), Codec::kLz4Raw);
  EXPECT_EQ(ParseCodec("zstd"), Codec::kZstd);
  for (const Codec c : kCodecs) {
    if (c != Codec::kUncompressed) {
      EXPECT_EQ(ParseCodec(CodecName(c)), c);
    }
  }
  EXPECT_THROW(ParseCodec("lzo"), InvalidInput);
  EXPECT_THROW(ParseCodec(""), InvalidInput);
  EXPECT_THROW(ParseCodec("zstd "), InvalidInput);
  EXPECT_THROW(ParseCodec("bzip2"), InvalidInput);
}

TEST(CodecNameTest, LzoAndUnknownAreUnsupported) {
  std::string out;
  uint8_t buf[4] = {1, 2, 3, 4};
  try {
    Decompress(Codec::kLzo, buf, 4, buf, 4);
    FAIL();
  } catch (const Unsupported& e) {
    EXPECT_STREQ(e.what(), "LZO compression is not supported");
  }
  EXPECT_THROW(Compress(Codec::kLzo, buf, 4, &out), Unsupported);
  EXPECT_THROW(Decompress(static_cast<Codec>(42), buf, 4, buf, 4), Unsupported);
  EXPECT_THROW(Compress(static_cast<Codec>(-1), buf, 4, &out), Unsupported);
}

// ---- Levels ------------------------------------------------------------------------------------

TEST(CompressionLevelTest, ValidLevelsRoundTrip) {
  std::mt19937_64 rng(83);
  const std::string input = Compressible(rng, 200000);
  auto check = [&](Codec codec, int level) {
    const std::string compressed = CompressString(codec, input, level);
    EXPECT_EQ(DecompressChecked(codec, compressed, input.size()), input)
        << CodecName(codec) << " level " << level;
  };
  for (int level = 1; level <= 9; ++level) check(Codec::kGzip, level);
  for (int level : {1, 5, 9, 11}) check(Codec::kBrotli, level);
  for (int level : {-5, 1, 3, 9, 19}) check(Codec::kZstd, level);
  for (int level : {1, 3, 9, 12}) {
    check(Codec::kLz4, level);
    check(Codec::kLz4Raw, level);
  }
}

TEST(CompressionLevelTest, InvalidLevels) {
  std::string out;
  uint8_t buf[4] = {1, 2, 3, 4};
  EXPECT_THROW(Compress(Codec::kGzip, buf, 4, &out, 10), InvalidInput);
  EXPECT_THROW(Compress(Codec::kGzip, buf, 4, &out, -1), InvalidInput);
  EXPECT_THROW(Compress(Codec::kBrotli, buf, 4, &out, 12), InvalidInput);
  EXPECT_THROW(Compress(Codec::kZstd, buf, 4, &out, 100), InvalidInput);
  EXPECT_THROW(Compress(Codec::kLz4Raw, buf, 4, &out, 13), InvalidInput);
  EXPECT_THROW(Compress(Codec::kSnappy, buf, 4, &out, 1), InvalidInput);
  EXPECT_THROW(Compress(Codec::kUncompressed, buf, 4, &out, 1), InvalidInput);
  EXPECT_TRUE(out.empty());
}

// ---- Format specifics --------------------------------------------------------------------------

std::string ZlibCompress(const std::string& input, int window_bits) {
  z_stream s{};
  EXPECT_EQ(deflateInit2(&s, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&s, input.size()), '\0');
  s.next_in = const_cast<Bytef*>(U8(input));
  s.avail_in = static_cast<uInt>(input.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

TEST(GzipTest, ConcatenatedMembersAndZlibStreams) {
  std::mt19937_64 rng(89);
  const std::string a = Compressible(rng, 50000);
  const std::string b = RandomBytes(rng, 3000);
  const std::string c = "";
  // Three gzip members back to back.
  const std::string members = CompressString(Codec::kGzip, a) + CompressString(Codec::kGzip, b) +
                              CompressString(Codec::kGzip, c);
  EXPECT_EQ(DecompressChecked(Codec::kGzip, members, a.size() + b.size()), a + b);
  EXPECT_THROW(DecompressChecked(Codec::kGzip, members, a.size()), CorruptData);
  // A zlib-wrapped stream (some writers mislabel it GZIP).
  EXPECT_EQ(DecompressChecked(Codec::kGzip, ZlibCompress(a, 15), a.size()), a);
  // Our output is real gzip: magic 1f 8b.
  const std::string ours = CompressString(Codec::kGzip, a);
  EXPECT_EQ(static_cast<uint8_t>(ours[0]), 0x1f);
  EXPECT_EQ(static_cast<uint8_t>(ours[1]), 0x8b);
  EXPECT_EQ(DecompressChecked(Codec::kGzip, ZlibCompress(a, 31), a.size()), a);
  // Garbage after the last member.
  EXPECT_THROW(DecompressChecked(Codec::kGzip, ours + "garbage", a.size()), CorruptData);
}

TEST(Lz4Test, WritesHadoopFramingInBlocks) {
  std::mt19937_64 rng(97);
  const std::string input = Compressible(rng, 300000);
  const std::string out = CompressString(Codec::kLz4, input);
  auto be32 = [&](size_t at) {
    return static_cast<uint32_t>(static_cast<uint8_t>(out[at])) << 24 |
           static_cast<uint32_t>(static_cast<uint8_t>(out[at + 1])) << 16 |
           static_cast<uint32_t>(static_cast<uint8_t>(out[at + 2])) << 8 |
           static_cast<uint32_t>(static_cast<uint8_t>(out[at + 3]));
  };
  size_t pos = 0;
  size_t total = 0;
  int blocks = 0;
  while (pos < out.size()) {
    const uint32_t uncompressed = be32(pos);
    const uint32_t compressed = be32(pos + 4);
    EXPECT_LE(uncompressed, 128u * 1024);
    pos += 8 + compressed;
    total += uncompressed;
    ++blocks;
  }
  EXPECT_EQ(pos, out.size());
  EXPECT_EQ(total, input.size());
  EXPECT_EQ(blocks, 3);
}

TEST(Lz4Test, FallsBackToRawBlockAndFrame) {
  std::mt19937_64 rng(101);
  for (size_t n : {size_t{1}, size_t{10}, size_t{1000}, size_t{200000}}) {
    const std::string input = Compressible(rng, n);
    // A bare LZ4 block, as old parquet-cpp wrote for codec LZ4.
    std::string block(static_cast<size_t>(LZ4_compressBound(static_cast<int>(n))), '\0');
    block.resize(static_cast<size_t>(LZ4_compress_default(
        input.data(), block.data(), static_cast<int>(n), static_cast<int>(block.size()))));
    EXPECT_EQ(DecompressChecked(Codec::kLz4, block, n), input);
    // The same block is what LZ4_RAW is.
    EXPECT_EQ(DecompressChecked(Codec::kLz4Raw, block, n), input);
    // An LZ4 frame.
    std::string frame(LZ4F_compressFrameBound(n, nullptr), '\0');
    frame.resize(LZ4F_compressFrame(frame.data(), frame.size(), input.data(), n, nullptr));
    EXPECT_EQ(DecompressChecked(Codec::kLz4, frame, n), input);
    EXPECT_THROW(DecompressChecked(Codec::kLz4, frame, n + 1), CorruptData);
    EXPECT_THROW(DecompressChecked(Codec::kLz4, frame.substr(0, frame.size() - 1), n), CorruptData);
  }
}

TEST(ZstdTest, ConcatenatedFrames) {
  std::mt19937_64 rng(103);
  const std::string a = Compressible(rng, 40000);
  const std::string b = Compressible(rng, 7000);
  const std::string frames = CompressString(Codec::kZstd, a) + CompressString(Codec::kZstd, b);
  EXPECT_EQ(DecompressChecked(Codec::kZstd, frames, a.size() + b.size()), a + b);
}

TEST(SnappyTest, LyingPreambleIsRefusedBeforeDecoding) {
  // Preamble says 2^32 - 1 bytes: refused by the size check, not by running out of buffer.
  const std::string lying = std::string("\xff\xff\xff\xff\x0f", 5) + "\x00\x61";
  std::vector<uint8_t> out(8);
  EXPECT_THROW(CheckDecompressedSize(Codec::kSnappy, U8(lying), lying.size(), 2), CorruptData);
  EXPECT_THROW(Decompress(Codec::kSnappy, U8(lying), lying.size(), out.data(), 2), CorruptData);
}

TEST(DecompressionBombTest, ImplausibleRatiosAreRefusedBeforeDecoding) {
  // A few hundred bytes cannot hold 900 MB with these codecs; the check runs before the
  // caller allocates, so a small buffer is never touched.
  std::mt19937_64 rng(107);
  const std::string input = Compressible(rng, 1000);
  std::vector<uint8_t> small(8);
  for (const Codec codec : {Codec::kGzip, Codec::kLz4, Codec::kLz4Raw, Codec::kZstd, Codec::kSnappy,
                            Codec::kUncompressed}) {
    const std::string compressed = CompressString(codec, input);
    EXPECT_THROW(CheckDecompressedSize(codec, U8(compressed), compressed.size(), 900 << 20),
                 CorruptData)
        << CodecName(codec);
    EXPECT_THROW(Decompress(codec, U8(compressed), compressed.size(), small.data(), 900 << 20),
                 CorruptData)
        << CodecName(codec);
    CheckDecompressedSize(codec, U8(compressed), compressed.size(), input.size());
  }
}

TEST(CompressionThreadsTest, PerThreadContextsAreIndependent) {
  std::mt19937_64 rng(109);
  const std::string a = Compressible(rng, 500000);
  const std::string b = RandomBytes(rng, 200000);
  auto work = [](const std::string& input, int seed, bool* ok) {
    *ok = true;
    for (int i = 0; i < 20; ++i) {
      for (const Codec codec : kCompressingCodecs) {
        const int level = codec == Codec::kSnappy ? 0 : 1 + (seed + i) % 5;
        std::string compressed;
        Compress(codec, U8(input), input.size(), &compressed, level);
        std::string out(input.size(), '\0');
        Decompress(codec, U8(compressed), compressed.size(), reinterpret_cast<uint8_t*>(out.data()),
                   out.size());
        if (out != input) *ok = false;
      }
    }
  };
  bool ok_a = false;
  bool ok_b = false;
  std::thread ta(work, std::cref(a), 1, &ok_a);
  std::thread tb(work, std::cref(b), 2, &ok_b);
  ta.join();
  tb.join();
  EXPECT_TRUE(ok_a);
  EXPECT_TRUE(ok_b);
}

}  // namespace
}  // namespace cpglake::parquet
