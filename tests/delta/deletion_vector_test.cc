#include "delta/deletion_vector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "common/error.h"
#include "test_util.h"

namespace cpglake::delta {
namespace {

using cpglake::testing::TempDir;
using cpglake::testing::TestDataDir;

std::string ToString(const std::vector<uint8_t>& v) {
  return std::string(v.begin(), v.end());
}

// Expects `fn` to throw CorruptData whose message contains `needle`.
template <typename Fn>
void ExpectCorrupt(Fn&& fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "expected CorruptData containing '" << needle << "'";
  } catch (const CorruptData& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

// The DV of the protocol's examples: rows 3, 4, 7, 11, 18, 29.
const std::vector<uint64_t> kSpecRows = {3, 4, 7, 11, 18, 29};
constexpr const char* kSpecInline = "wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L";

// ---- Z85 ----------------------------------------------------------------------------

TEST(Z85Test, ZeroMqSpecExample) {
  const std::vector<uint8_t> bytes = {0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B};
  EXPECT_EQ(Z85Encode(bytes), "HelloWorld");
  EXPECT_EQ(Z85Decode("HelloWorld"), bytes);
  EXPECT_EQ(Z85Encode({}), "");
  EXPECT_TRUE(Z85Decode("").empty());
}

TEST(Z85Test, RoundTripsRandomBytes) {
  std::mt19937 rng(1);
  for (int i = 0; i < 500; ++i) {
    std::vector<uint8_t> bytes((rng() % 64) * 4);
    for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    std::string text = Z85Encode(bytes);
    EXPECT_EQ(text.size(), bytes.size() / 4 * 5);
    EXPECT_EQ(Z85Decode(text), bytes);
  }
  std::vector<uint8_t> extremes = {0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
  EXPECT_EQ(Z85Encode(extremes), "00000%nSc0");
  EXPECT_EQ(Z85Decode("00000%nSc0"), extremes);
}

TEST(Z85Test, RejectsBadInput) {
  ExpectCorrupt([] { Z85Decode("abcd"); }, "multiple of 5");
  ExpectCorrupt([] { Z85Decode("Hello World"); }, "multiple of 5");
  ExpectCorrupt([] { Z85Decode("Hell World"); }, "invalid character");
  ExpectCorrupt([] { Z85Decode("Hell\"o"); }, "multiple of 5");
  for (char c : std::string(" \"',;\\_`|~\x7f")) {
    std::string text = "0000" + std::string(1, c);
    EXPECT_THROW(Z85Decode(text), CorruptData) << int(c);
  }
  ExpectCorrupt([] { Z85Decode("#####"); }, "final group");
  ExpectCorrupt([] { Z85Decode("#####HelloWorld"); }, "exceeds 32 bits");
  ExpectCorrupt([] { Z85Decode("%nSc1"); }, "exceeds 32 bits");  // 2^32
  EXPECT_THROW(Z85Encode(std::vector<uint8_t>(5)), InvalidInput);
}

TEST(Z85Test, PaddedTailOfTheRustZ85Crate) {
  // delta-kernel-rs writes unaligned inline DVs with the z85 crate's padding: the last group
  // "##093" is 2 bytes (03 00), two '#' standing for the two missing bytes.
  EXPECT_EQ(Z85Decode("##093"), (std::vector<uint8_t>{0x03, 0x00}));
  EXPECT_EQ(Z85Decode("HelloWorld#0000"),
            (std::vector<uint8_t>{0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B, 0, 0, 0}));
  EXPECT_EQ(Z85Decode("###2z"), (std::vector<uint8_t>{2 * 85 + 35}));
  ExpectCorrupt([] { Z85Decode("###%n"); }, "exceeds 8 bits");
  ExpectCorrupt([] { Z85Decode("####0"); }, "final group");
  ExpectCorrupt([] { Z85Decode("##093HelloWorld"); }, "exceeds 32 bits");  // not the last group
}

TEST(Z85Test, Uuids) {
  // PROTOCOL.md, "JSON Example 1": the UUID of "ab^-aqEH.-t@S}K{vb[*k^" after the prefix "ab".
  EXPECT_EQ(Z85ToUuid("^-aqEH.-t@S}K{vb[*k^"), "d2c639aa-8816-431a-aaf6-d3fe2512ff61");
  EXPECT_EQ(UuidToZ85("d2c639aa-8816-431a-aaf6-d3fe2512ff61"), "^-aqEH.-t@S}K{vb[*k^");
  EXPECT_EQ(UuidToZ85("D2C639AA-8816-431A-AAF6-D3FE2512FF61"), "^-aqEH.-t@S}K{vb[*k^");
  std::mt19937 rng(2);
  for (int i = 0; i < 100; ++i) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%04x%08x", static_cast<unsigned>(rng()),
                  static_cast<unsigned>(rng() & 0xffff), static_cast<unsigned>(rng() & 0xffff),
                  static_cast<unsigned>(rng() & 0xffff), static_cast<unsigned>(rng() & 0xffff),
                  static_cast<unsigned>(rng()));
    EXPECT_EQ(Z85ToUuid(UuidToZ85(buf)), buf);
  }
  EXPECT_THROW(UuidToZ85("d2c639aa88164-31a-aaf6-d3fe2512ff61"), InvalidInput);
  EXPECT_THROW(UuidToZ85("d2c639aa-8816-431a-aaf6-d3fe2512ff6"), InvalidInput);
  EXPECT_THROW(UuidToZ85("g2c639aa-8816-431a-aaf6-d3fe2512ff61"), InvalidInput);
  EXPECT_THROW(Z85ToUuid("^-aqEH.-t@S}K{vb[*k"), CorruptData);
}

// ---- descriptors --------------------------------------------------------------------

DeletionVectorDescriptor Descriptor(char type, std::string path, std::optional<int32_t> offset,
                                    int32_t size, int64_t cardinality) {
  DeletionVectorDescriptor d;
  d.storage_type = type;
  d.path_or_inline_dv = std::move(path);
  d.offset = offset;
  d.size_in_bytes = size;
  d.cardinality = cardinality;
  return d;
}

TEST(DescriptorTest, UniqueId) {
  EXPECT_EQ(Descriptor('u', "ab^-aqEH.-t@S}K{vb[*k^", 4, 40, 6).UniqueId(),
            "uab^-aqEH.-t@S}K{vb[*k^@4");
  EXPECT_EQ(Descriptor('i', kSpecInline, std::nullopt, 40, 6).UniqueId(),
            std::string("i") + kSpecInline);
  EXPECT_EQ(Descriptor('p', "s3://t/x.bin", 0, 40, 6).UniqueId(), "ps3://t/x.bin@0");
}

TEST(DescriptorTest, PathsFromTheProtocolExamples) {
  EXPECT_EQ(DeletionVectorPath(Descriptor('u', "ab^-aqEH.-t@S}K{vb[*k^", 4, 40, 6)),
            "ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin");
  EXPECT_EQ(DeletionVectorPath(Descriptor('u', "^-aqEH.-t@S}K{vb[*k^", 4, 40, 6)),
            "deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin");
  EXPECT_EQ(
      DeletionVectorPath(Descriptor(
          'p', "s3://mytable/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin", 4, 40, 6)),
      "s3://mytable/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin");
}

TEST(DescriptorTest, BadDescriptors) {
  ExpectCorrupt([] { DeletionVectorPath(Descriptor('u', "short", 1, 34, 1)); }, "20-character");
  ExpectCorrupt([] { DeletionVectorPath(Descriptor('u', "../^-aqEH.-t@S}K{vb[*k^", 1, 34, 1)); },
                "prefix");
  ExpectCorrupt([] { DeletionVectorPath(Descriptor('u', "/^-aqEH.-t@S}K{vb[*k^", 1, 34, 1)); },
                "prefix");
  ExpectCorrupt([] { DeletionVectorPath(Descriptor('u', "ab^-aqEH.-t@S}K{vb[*k ", 1, 34, 1)); },
                "bad UUID");
  ExpectCorrupt([] { DeletionVectorPath(Descriptor('x', "abc", 1, 34, 1)); }, "storageType 'x'");
  EXPECT_THROW(DeletionVectorPath(Descriptor('i', kSpecInline, std::nullopt, 40, 6)), InvalidInput);
}

// ---- the row set --------------------------------------------------------------------

std::set<uint64_t> RandomRows(std::mt19937_64& rng, int n, uint64_t max) {
  std::set<uint64_t> rows;
  while (static_cast<int>(rows.size()) < n) rows.insert(rng() % max);
  return rows;
}

TEST(DeletionVectorTest, Basics) {
  DeletionVector dv;
  EXPECT_TRUE(dv.Empty());
  EXPECT_EQ(dv.Cardinality(), 0);
  EXPECT_FALSE(dv.Contains(0));
  dv.Add(7);
  dv.Add(7);
  dv.Add(uint64_t{5} << 32 | 3);
  dv.AddRange(100, 110);
  EXPECT_EQ(dv.Cardinality(), 12);
  EXPECT_TRUE(dv.Contains(7));
  EXPECT_TRUE(dv.Contains(uint64_t{5} << 32 | 3));
  EXPECT_FALSE(dv.Contains(3));
  EXPECT_FALSE(dv.Contains(uint64_t{1} << 63));
  EXPECT_FALSE(dv.Contains(~uint64_t{0}));
  EXPECT_EQ(dv.CountInRange(0, 105), 6);
  EXPECT_EQ(dv.CountInRange(105, uint64_t{5} << 32 | 4), 6);
  EXPECT_EQ(dv.ToVector().back(), uint64_t{5} << 32 | 3);
  EXPECT_THROW(dv.Add(uint64_t{1} << 63), InvalidInput);
  EXPECT_THROW(dv.AddRange(0, (uint64_t{1} << 63) + 1), InvalidInput);

  DeletionVector copy = dv;
  copy.Add(8);
  EXPECT_FALSE(dv.Contains(8));
  EXPECT_FALSE(copy == dv);
  DeletionVector moved = std::move(copy);
  EXPECT_TRUE(moved.Contains(8));
  copy = moved;
  EXPECT_TRUE(copy == moved);
}

TEST(DeletionVectorTest, AddRangeAcrossBuckets) {
  DeletionVector dv;
  const uint64_t b = uint64_t{1} << 32;
  dv.AddRange(b - 5, 2 * b + 5);
  EXPECT_EQ(dv.Cardinality(), static_cast<int64_t>(b + 10));
  EXPECT_TRUE(dv.Contains(b - 5));
  EXPECT_FALSE(dv.Contains(b - 6));
  EXPECT_TRUE(dv.Contains(2 * b + 4));
  EXPECT_FALSE(dv.Contains(2 * b + 5));
  EXPECT_EQ(dv.CountInRange(b, 2 * b), static_cast<int64_t>(b));
  DeletionVector back =
      DeletionVector::DeserializeRoaringArray(dv.SerializeRoaringArray(), "test dv");
  EXPECT_TRUE(back == dv);
  EXPECT_LT(dv.SerializeRoaringArray().size(), 2'000'000u);  // run containers
}

TEST(DeletionVectorTest, UnionAndFromRows) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 20; ++i) {
    auto a = RandomRows(rng, 500, uint64_t{1} << 34);
    auto b = RandomRows(rng, 500, uint64_t{1} << 34);
    std::vector<uint64_t> va(a.begin(), a.end());
    std::vector<uint64_t> vb(b.begin(), b.end());
    DeletionVector da = DeletionVector::FromRows(va);
    da.Union(DeletionVector::FromRows(vb));
    std::set<uint64_t> all = a;
    all.insert(b.begin(), b.end());
    EXPECT_EQ(da.ToVector(), std::vector<uint64_t>(all.begin(), all.end()));
  }
}

TEST(DeletionVectorTest, SerializationRoundTripsRandomSets) {
  std::mt19937_64 rng(4);
  const std::vector<uint64_t> maxima = {
      10, 1000, 1 << 20, uint64_t{1} << 33, uint64_t{1} << 40, uint64_t{1} << 62};
  for (uint64_t max : maxima) {
    for (int n : {0, 1, 2, 100, 5000, 70000}) {
      if (static_cast<uint64_t>(n) > max) continue;
      SCOPED_TRACE("max " + std::to_string(max) + " n " + std::to_string(n));
      auto rows = RandomRows(rng, n, max);
      std::vector<uint64_t> expected(rows.begin(), rows.end());
      DeletionVector dv = DeletionVector::FromRows(expected);
      EXPECT_EQ(dv.Cardinality(), n);
      std::string bytes = dv.SerializeRoaringArray();
      DeletionVector back = DeletionVector::DeserializeRoaringArray(bytes, "test dv");
      EXPECT_TRUE(back == dv);
      EXPECT_EQ(back.ToVector(), expected);
      EXPECT_EQ(back.SerializeRoaringArray(), bytes);
      for (int probe = 0; probe < 200; ++probe) {
        uint64_t r = rng() % max;
        EXPECT_EQ(back.Contains(r), rows.count(r) == 1);
      }
      uint64_t lo = rng() % max;
      uint64_t hi = lo + rng() % (max - lo + 1);
      auto count = std::distance(rows.lower_bound(lo), rows.lower_bound(hi));
      EXPECT_EQ(back.CountInRange(lo, hi), count);
    }
  }
}

TEST(DeletionVectorTest, SerializedLayout) {
  // Empty: magic + zero buckets.
  std::string empty = DeletionVector().SerializeRoaringArray();
  EXPECT_EQ(empty, std::string("\xd1\xd3\x39\x64\0\0\0\0\0\0\0\0", 12));
  // Only non-empty buckets are written, keys ascending.
  DeletionVector dv = DeletionVector::FromRows(std::vector<uint64_t>{uint64_t{3} << 32 | 1, 5});
  std::string bytes = dv.SerializeRoaringArray();
  EXPECT_EQ(bytes.substr(4, 8), std::string("\x02\0\0\0\0\0\0\0", 8));
  EXPECT_EQ(bytes.substr(12, 4), std::string("\0\0\0\0", 4));
  // Rows 3, 4, 7, 11, 18, 29: one bucket holding one array container.
  const std::string expected(
      "\xd1\xd3\x39\x64"                       // magic 1681511377
      "\x01\0\0\0\0\0\0\0"                     // one bucket
      "\0\0\0\0"                               // key 0
      "\x3a\x30\0\0\x01\0\0\0"                 // cookie (no runs), one container
      "\0\0\x05\0"                             // container key 0, cardinality - 1 = 5
      "\x10\0\0\0"                             // offset of the container's data
      "\x03\0\x04\0\x07\0\x0b\0\x12\0\x1d\0",  // the values, uint16 LE
      44);
  EXPECT_EQ(DeletionVector::FromRows(kSpecRows).SerializeRoaringArray(), expected);
}

TEST(DeletionVectorTest, ContainerKindsFollowJavaRunOptimize) {
  auto size_of = [](const DeletionVector& dv) { return dv.SerializeRoaringArray().size(); };
  const size_t header = 16 + 8 + 4;  // array header, no-run cookie + count, key/cardinality
  // {0, 1, 2}: an array (6 bytes) is not larger than one run (6 bytes): stays an array.
  EXPECT_EQ(size_of(DeletionVector::FromRows(std::vector<uint64_t>{0, 1, 2})), header + 4 + 6);
  // Six consecutive rows: 12 bytes as an array, 6 as a run -> run (cookie + 1 flag byte, no
  // offsets below 4 containers).
  DeletionVector six;
  six.AddRange(10, 16);
  EXPECT_EQ(size_of(six), 16 + 4 + 1 + 4 + 6u);
  // 10000 rows added one by one (CRoaring holds a bitset) -> one run.
  DeletionVector dense;
  for (uint64_t r = 0; r < 10000; ++r) dense.Add(r);
  EXPECT_EQ(size_of(dense), 16 + 4 + 1 + 4 + 6u);
  // 5000 scattered rows in one block -> a bitset.
  DeletionVector scattered;
  for (uint64_t r = 0; r < 10000; r += 2) scattered.Add(r);
  EXPECT_EQ(size_of(scattered), header + 4 + 8192);
  // Many containers of every kind, with offsets: CRoaring reads back what we wrote.
  DeletionVector mixed = scattered;
  mixed.AddRange(65536, 65536 + 100);                                     // run
  mixed.Add(3 * 65536 + 5);                                               // array
  for (uint64_t r = 0; r < 3000; ++r) mixed.Add(5 * 65536 + 3 * r);       // array of 3000
  for (uint64_t r = 0; r < 5000; ++r) mixed.Add(6 * 65536 + 7 * r);       // bitset
  mixed.AddRange((uint64_t{1} << 32) + 17, (uint64_t{1} << 32) + 40000);  // second bucket
  std::string bytes = mixed.SerializeRoaringArray();
  DeletionVector back = DeletionVector::DeserializeRoaringArray(bytes, "mixed");
  EXPECT_TRUE(back == mixed);
  EXPECT_EQ(back.Cardinality(), mixed.Cardinality());
  EXPECT_EQ(back.SerializeRoaringArray(), bytes);
}

TEST(DeletionVectorTest, ProtocolInlineExampleUsesBigEndianNativeHeader) {
  // PROTOCOL.md "JSON Example 3" does not follow the format the protocol itself specifies: its
  // 40 bytes are the *native* RoaringBitmapArray layout (magic 1681511376, int32 count, int32
  // size) written big-endian. Delta Spark (little-endian buffers) and delta-kernel-rs
  // (portable magic only) cannot read it either; we reject it as CorruptData.
  const std::string spec = ToString(Z85Decode(kSpecInline));
  ASSERT_EQ(spec.size(), 40u);
  EXPECT_EQ(spec.substr(0, 12), std::string("\x64\x39\xd3\xd0\0\0\0\x01\0\0\0\x1c", 12));
  storage::MemoryObjectStore store;
  ExpectCorrupt(
      [&] { LoadDeletionVector(Descriptor('i', kSpecInline, std::nullopt, 40, 6), store); },
      "magic number");
  // Its 28-byte bitmap is the standard 32-bit Roaring bitmap of the rows the spec lists.
  std::string portable =
      std::string("\xd1\xd3\x39\x64\x01\0\0\0\0\0\0\0\0\0\0\0", 16) + spec.substr(12);
  EXPECT_EQ(DeletionVector::DeserializeRoaringArray(portable, "spec").ToVector(), kSpecRows);
  // In little-endian byte order it is Delta Spark's readable native format.
  std::string native = std::string("\xd0\xd3\x39\x64\x01\0\0\0\x1c\0\0\0", 12) + spec.substr(12);
  EXPECT_EQ(DeletionVector::DeserializeRoaringArray(native, "spec").ToVector(), kSpecRows);
}

TEST(DeletionVectorTest, NativeFormatIsReadable) {
  // Two dense bitmaps: index 0 holds {1, 2}, index 1 holds {7} (row 2^32 + 7).
  auto bitmap32 = [](std::vector<uint64_t> rows) {
    return DeletionVector::FromRows(rows).SerializeRoaringArray().substr(16);
  };
  auto le32 = [](uint32_t v) {
    std::string s;
    for (int i = 0; i < 4; ++i) s += static_cast<char>(v >> (8 * i));
    return s;
  };
  std::string b0 = bitmap32({1, 2});
  std::string b1 = bitmap32({7});
  std::string native = le32(kNativeRoaringBitmapArrayMagic) + le32(2) +
                       le32(static_cast<uint32_t>(b0.size())) + b0 +
                       le32(static_cast<uint32_t>(b1.size())) + b1;
  DeletionVector dv = DeletionVector::DeserializeRoaringArray(native, "native");
  EXPECT_EQ(dv.ToVector(), (std::vector<uint64_t>{1, 2, (uint64_t{1} << 32) + 7}));
  // Written back in the portable format.
  EXPECT_EQ(dv.SerializeRoaringArray().substr(0, 4), le32(kRoaringBitmapArrayMagic));
  // A size field that disagrees with the bitmap is corrupt.
  std::string bad = native;
  bad[8] = static_cast<char>(b0.size() + 1);
  EXPECT_THROW(DeletionVector::DeserializeRoaringArray(bad, "native"), CorruptData);
  bad = native;
  bad[8] = '\x7f';
  ExpectCorrupt([&] { DeletionVector::DeserializeRoaringArray(bad, "native"); }, "runs past");
}

TEST(DeletionVectorTest, MillionsOfRows) {
  DeletionVector dv;
  for (uint64_t r = 0; r < 6'000'000; r += 2) dv.Add(r);
  dv.AddRange(10'000'000, 14'000'000);
  EXPECT_EQ(dv.Cardinality(), 7'000'000);
  std::string bytes = dv.SerializeRoaringArray();
  DeletionVector back = DeletionVector::DeserializeRoaringArray(bytes, "big");
  EXPECT_EQ(back.Cardinality(), 7'000'000);
  int64_t kept = 0;
  for (int64_t first = 0; first < 16'000'000; first += 1'000'000) {
    columnar::Bitmap keep(1'000'000, true);
    ApplyDeletionVector(back, first, 1'000'000, &keep);
    kept += keep.CountSet();
  }
  EXPECT_EQ(kept, 16'000'000 - 7'000'000);
}

// ---- hostile RoaringBitmapArray bytes -------------------------------------------------

TEST(DeletionVectorTest, RejectsMalformedRoaringArrays) {
  std::string good = DeletionVector::FromRows(std::vector<uint64_t>{1, 2, uint64_t{1} << 32})
                         .SerializeRoaringArray();
  auto parse = [](std::string bytes) { DeletionVector::DeserializeRoaringArray(bytes, "dv X"); };
  ExpectCorrupt([&] { parse(good.substr(0, 6)); }, "too short");
  ExpectCorrupt([&] { parse(good.substr(0, 8)); }, "truncated in its header");
  std::string bad_magic = good;
  bad_magic[0] = '\xd2';
  ExpectCorrupt([&] { parse(bad_magic); }, "magic number 1681511378");
  ExpectCorrupt([&] { parse(good + "x"); }, "unexpected bytes");
  ExpectCorrupt([&] { parse(good.substr(0, good.size() - 1)); }, "dv X");
  std::string many = good;
  many[4] = '\x7f';
  ExpectCorrupt([&] { parse(many); }, "claims 127 buckets");
  std::string huge = good;
  huge[11] = '\x80';
  ExpectCorrupt([&] { parse(huge); }, "buckets");
  // Second bucket key (1) changed to 0: not ascending.
  size_t second_key = good.size() - 4 - 18;  // key + 18-byte single-value bitmap
  ASSERT_EQ(good[second_key], '\x01');
  std::string unordered = good;
  unordered[second_key] = '\0';
  ExpectCorrupt([&] { parse(unordered); }, "not strictly ascending");
  std::string top_bit = good;
  top_bit[second_key + 3] = '\x80';
  ExpectCorrupt([&] { parse(top_bit); }, "top bit");
}

TEST(DeletionVectorTest, FuzzedRoaringArraysNeverCrash) {
  std::mt19937_64 rng(5);
  int rejected = 0;
  for (int round = 0; round < 3000; ++round) {
    auto rows = RandomRows(rng, 1 + static_cast<int>(rng() % 300), round % 2 ? 5000 : 1u << 20);
    DeletionVector dv = DeletionVector::FromRows(std::vector<uint64_t>(rows.begin(), rows.end()));
    if (round % 3 == 0) dv.AddRange(70000, 70000 + rng() % 10000);  // run containers
    if (round % 5 == 0) {                                           // bitset containers
      for (int k = 0; k < 5000; ++k) dv.Add(131072 + rng() % 65536);
    }
    std::string bytes = dv.SerializeRoaringArray();
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      bytes[rng() % bytes.size()] = static_cast<char>(rng());
    }
    if (rng() % 4 == 0) bytes.resize(rng() % bytes.size());
    try {
      DeletionVector back = DeletionVector::DeserializeRoaringArray(bytes, "fuzz");
      // Whatever was accepted must be self-consistent.
      auto v = back.ToVector();
      EXPECT_EQ(static_cast<int64_t>(v.size()), back.Cardinality());
      EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
      for (size_t i = 0; i < v.size(); i += 1 + v.size() / 50) EXPECT_TRUE(back.Contains(v[i]));
    } catch (const CorruptData&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 100);
}

// ---- DV files and loading -----------------------------------------------------------

TEST(LoadDeletionVectorTest, ProtocolExamplePaths) {
  // The DV of the protocol's examples, stored as in its examples 1 and 2: at offset 4 (after
  // the version byte and three bytes of padding) of a 'u' file with prefix "ab", and of the
  // same file addressed by an absolute 'p' path.
  const std::string array = DeletionVector::FromRows(kSpecRows).SerializeRoaringArray();
  ASSERT_EQ(array.size(), 44u);
  const std::string file =
      std::string(1, '\x01') + std::string(3, '\0') + FrameDeletionVector(array);
  storage::MemoryObjectStore store;
  store.Write("ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin", file);
  EXPECT_EQ(
      LoadDeletionVector(Descriptor('u', "ab^-aqEH.-t@S}K{vb[*k^", 4, 44, 6), store).ToVector(),
      kSpecRows);
  TempDir dir;
  auto local = storage::OpenObjectStore((dir.path() / "elsewhere dir").string());
  local->Write("deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin", file);
  std::string abs = storage::UriEncodePath((dir.path() / "elsewhere dir").string()) +
                    "/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin";
  for (std::string uri : {"file://" + abs, "file:" + abs, abs}) {
    SCOPED_TRACE(uri);
    EXPECT_EQ(LoadDeletionVector(Descriptor('p', uri, 4, 44, 6), store).ToVector(), kSpecRows);
  }
  EXPECT_THROW(
      LoadDeletionVector(Descriptor('p', "s3://mytable/deletion_vector_x.bin", 4, 44, 6), store),
      Unsupported);
  ExpectCorrupt([&] { LoadDeletionVector(Descriptor('p', "relative/x.bin", 4, 44, 6), store); },
                "not an absolute path");
  ExpectCorrupt([&] { LoadDeletionVector(Descriptor('q', "x", 4, 44, 6), store); },
                "unknown storageType");
}

TEST(LoadDeletionVectorTest, MakeInlineDescriptorRoundTrips) {
  std::mt19937_64 rng(6);
  storage::MemoryObjectStore store;
  for (int n : {0, 1, 3, 1000}) {
    auto rows = RandomRows(rng, n, uint64_t{1} << 36);
    std::vector<uint64_t> v(rows.begin(), rows.end());
    DeletionVectorDescriptor d = MakeInlineDescriptor(DeletionVector::FromRows(v));
    EXPECT_EQ(d.storage_type, 'i');
    EXPECT_EQ(d.cardinality, n);
    EXPECT_FALSE(d.offset.has_value());
    EXPECT_EQ(LoadDeletionVector(d, store).ToVector(), v);
  }
}

TEST(LoadDeletionVectorTest, MultiDvFiles) {
  std::mt19937_64 rng(7);
  std::vector<DeletionVector> dvs;
  std::vector<std::string> arrays;
  for (int i = 0; i < 5; ++i) {
    auto rows = RandomRows(rng, 1 + i * 1000, uint64_t{1} << (20 + 4 * i));
    dvs.push_back(DeletionVector::FromRows(std::vector<uint64_t>(rows.begin(), rows.end())));
    arrays.push_back(dvs.back().SerializeRoaringArray());
  }
  std::vector<int32_t> offsets;
  std::string file = SerializeDvFile(arrays, &offsets);
  ASSERT_EQ(offsets.size(), 5u);
  EXPECT_EQ(offsets[0], 1);
  EXPECT_EQ(file[0], '\x01');
  const std::string uuid = "0c6cbaaf-5e04-4c9d-8959-1088814f58ef";
  TempDir dir;
  auto local = storage::OpenObjectStore(dir.path().string());
  storage::MemoryObjectStore memory;
  for (storage::ObjectStore* store : {local.get(), static_cast<storage::ObjectStore*>(&memory)}) {
    store->Write("xy/deletion_vector_" + uuid + ".bin", file);
    for (size_t i = 0; i < dvs.size(); ++i) {
      auto d = Descriptor('u', "xy" + UuidToZ85(uuid), offsets[i],
                          static_cast<int32_t>(arrays[i].size()), dvs[i].Cardinality());
      EXPECT_TRUE(LoadDeletionVector(d, *store) == dvs[i]);
    }
    // No offset: the first DV, right after the version byte.
    auto first = Descriptor('u', "xy" + UuidToZ85(uuid), std::nullopt,
                            static_cast<int32_t>(arrays[0].size()), dvs[0].Cardinality());
    EXPECT_TRUE(LoadDeletionVector(first, *store) == dvs[0]);
  }
}

class CorruptDvFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rows_ = {0, 9, 70000, (uint64_t{1} << 32) + 5};
    array_ = DeletionVector::FromRows(rows_).SerializeRoaringArray();
    file_ = SerializeDvFile({array_});
  }
  DeletionVectorDescriptor Desc() const {
    return Descriptor('u', UuidToZ85(kUuid), 1, static_cast<int32_t>(array_.size()), 4);
  }
  void Put(const std::string& bytes) {
    store_.Write("deletion_vector_" + std::string(kUuid) + ".bin", bytes);
  }
  DeletionVector Load(const DeletionVectorDescriptor& d) { return LoadDeletionVector(d, store_); }

  static constexpr const char* kUuid = "61d16c75-6994-46b7-a15b-8b538852e50e";
  std::vector<uint64_t> rows_;
  std::string array_;
  std::string file_;
  storage::MemoryObjectStore store_;
};

TEST_F(CorruptDvFileTest, GoodFileLoads) {
  Put(file_);
  EXPECT_EQ(Load(Desc()).ToVector(), rows_);
}

TEST_F(CorruptDvFileTest, Checksum) {
  std::string bad = file_;
  bad[bad.size() - 1] ^= 1;
  Put(bad);
  ExpectCorrupt([&] { Load(Desc()); }, "checksum mismatch");
  bad = file_;
  bad[20] ^= 0x40;  // inside the bitmap
  Put(bad);
  ExpectCorrupt([&] { Load(Desc()); }, "checksum mismatch");
}

TEST_F(CorruptDvFileTest, SizeAndVersion) {
  Put(file_);
  auto d = Desc();
  d.size_in_bytes -= 1;
  ExpectCorrupt([&] { Load(d); }, "sizeInBytes");
  d.size_in_bytes = -1;
  ExpectCorrupt([&] { Load(d); }, "negative sizeInBytes");
  d = Desc();
  d.size_in_bytes += 100;
  ExpectCorrupt([&] { Load(d); }, "too short");
  d = Desc();
  d.offset = 5000;
  ExpectCorrupt([&] { Load(d); }, "too short");
  d.offset = 0;
  ExpectCorrupt([&] { Load(d); }, "version byte");
  std::string bad = file_;
  bad[0] = 2;
  Put(bad);
  ExpectCorrupt([&] { Load(Desc()); }, "version 2");
  Put(file_.substr(0, file_.size() - 2));
  ExpectCorrupt([&] { Load(Desc()); }, "too short");
}

TEST_F(CorruptDvFileTest, MagicAndCardinality) {
  std::string bad_array = array_;
  bad_array[1] = 0;
  Put(SerializeDvFile({bad_array}));  // a valid frame (CRC matches) around bad contents
  ExpectCorrupt([&] { Load(Desc()); }, "magic");
  Put(file_);
  auto d = Desc();
  d.cardinality = 5;
  ExpectCorrupt([&] { Load(d); }, "holds 4 rows but its cardinality is 5");
  d.cardinality = -1;
  ExpectCorrupt([&] { Load(d); }, "negative cardinality");
}

TEST_F(CorruptDvFileTest, MissingFileAndMessages) {
  try {
    Load(Desc());
    FAIL();
  } catch (const CorruptData& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("missing"), std::string::npos) << msg;
    EXPECT_NE(msg.find(Desc().UniqueId()), std::string::npos) << msg;  // names the DV
  }
}

TEST_F(CorruptDvFileTest, IoErrorsPassThrough) {
  auto memory = std::make_shared<storage::MemoryObjectStore>();
  memory->Write("deletion_vector_" + std::string(kUuid) + ".bin", file_);
  storage::FaultInjectingObjectStore faulty(memory);
  faulty.Arm({.op = storage::FaultInjectingObjectStore::Op::kRead, .fail_at = 1});
  EXPECT_THROW(LoadDeletionVector(Desc(), faulty), IoError);
  EXPECT_EQ(LoadDeletionVector(Desc(), faulty).ToVector(), rows_);
}

TEST_F(CorruptDvFileTest, InlineSizes) {
  storage::MemoryObjectStore store;
  auto d = MakeInlineDescriptor(DeletionVector::FromRows(rows_));
  d.size_in_bytes -= 4;
  ExpectCorrupt([&] { LoadDeletionVector(d, store); }, "inline data decodes to");
  d = MakeInlineDescriptor(DeletionVector::FromRows(rows_));
  d.size_in_bytes += 1;
  EXPECT_THROW(LoadDeletionVector(d, store), CorruptData);
  d = MakeInlineDescriptor(DeletionVector::FromRows(rows_));
  d.path_or_inline_dv += "x";
  ExpectCorrupt([&] { LoadDeletionVector(d, store); }, "bad inline data");
}

// ---- applying to row batches ----------------------------------------------------------

TEST(ApplyDeletionVectorTest, MatchesContainsForAnyBatching) {
  std::mt19937_64 rng(8);
  const uint64_t base = (uint64_t{1} << 32) - 3000;  // batches straddle a bucket boundary
  auto rows = RandomRows(rng, 2000, 6000);
  DeletionVector dv;
  for (uint64_t r : rows) dv.Add(base + r);
  dv.AddRange(base + 100, base + 400);
  for (int trial = 0; trial < 50; ++trial) {
    int64_t first = static_cast<int64_t>(base);
    while (first < static_cast<int64_t>(base + 6000)) {
      int64_t n = 1 + static_cast<int64_t>(rng() % 700);
      columnar::Bitmap keep(n, true);
      ApplyDeletionVector(dv, first, n, &keep);
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(keep.Get(i), !dv.Contains(static_cast<uint64_t>(first + i))) << first + i;
      }
      first += n;
    }
  }
}

TEST(ApplyDeletionVectorTest, OnlyClearsBits) {
  DeletionVector dv = DeletionVector::FromRows(std::vector<uint64_t>{1, 3, 10});
  columnar::Bitmap keep(5, true);
  keep.Set(0, false);
  ApplyDeletionVector(dv, 0, 5, &keep);
  EXPECT_EQ(keep.CountSet(), 2);
  EXPECT_TRUE(keep.Get(2));
  EXPECT_TRUE(keep.Get(4));
  columnar::Bitmap empty;
  ApplyDeletionVector(dv, 3, 0, &empty);
  columnar::Bitmap wrong(4, true);
  EXPECT_THROW(ApplyDeletionVector(dv, 0, 5, &wrong), InvalidInput);
  EXPECT_THROW(ApplyDeletionVector(dv, -1, 4, &wrong), InvalidInput);
}

// ---- deletion vectors written by Delta Spark / Databricks (the test corpus) -------------

struct CorpusDv {
  std::filesystem::path table;
  std::string log_file;
  std::string action;  // "add" or "remove"
  std::string data_path;
  DeletionVectorDescriptor descriptor;
  std::optional<int64_t> num_records;
};

std::vector<std::filesystem::path> DvTables() {
  const auto root = TestDataDir() / "delta-acceptance";
  std::vector<std::filesystem::path> tables;
  for (const char* t : {"table-with-dv-small", "with-short-dv", "cdf-table-with-dv",
                        "cdf-table-with-cdc-and-dvs", "compacted-log-files-table"}) {
    tables.push_back(root / "kernel_data" / t);
  }
  for (const auto& e : std::filesystem::directory_iterator(root / "kernel_golden")) {
    if (e.path().filename().string().find("dv") != std::string::npos) {
      tables.push_back(e.path() / "delta");
    }
  }
  std::sort(tables.begin(), tables.end());
  return tables;
}

std::vector<CorpusDv> CorpusDvs(const std::filesystem::path& table) {
  std::vector<CorpusDv> out;
  std::vector<std::filesystem::path> logs;
  for (const auto& e : std::filesystem::directory_iterator(table / "_delta_log")) {
    if (e.path().extension() == ".json") logs.push_back(e.path());
  }
  std::sort(logs.begin(), logs.end());
  for (const auto& log : logs) {
    for (const std::string& line :
         cpglake::testing::SplitLines(cpglake::testing::ReadFileBytes(log))) {
      if (line.empty()) continue;
      auto j = nlohmann::json::parse(line);
      for (const char* action : {"add", "remove"}) {
        if (!j.contains(action) || !j[action].contains("deletionVector")) continue;
        const auto& a = j[action];
        const auto& dv = a["deletionVector"];
        if (dv.is_null()) continue;
        CorpusDv c;
        c.table = table;
        c.log_file = log.filename().string();
        c.action = action;
        c.data_path = a["path"].get<std::string>();
        c.descriptor.storage_type = dv["storageType"].get<std::string>().at(0);
        c.descriptor.path_or_inline_dv = dv["pathOrInlineDv"].get<std::string>();
        if (dv.contains("offset") && !dv["offset"].is_null()) {
          c.descriptor.offset = dv["offset"].get<int32_t>();
        }
        c.descriptor.size_in_bytes = dv["sizeInBytes"].get<int32_t>();
        c.descriptor.cardinality = dv["cardinality"].get<int64_t>();
        if (a.contains("stats") && a["stats"].is_string()) {
          auto stats = nlohmann::json::parse(a["stats"].get<std::string>());
          if (stats.contains("numRecords")) c.num_records = stats["numRecords"].get<int64_t>();
        }
        out.push_back(std::move(c));
      }
    }
  }
  return out;
}

TEST(CorpusDeletionVectorTest, EveryDvInTheCorpusLoads) {
  int adds = 0;
  int total = 0;
  std::set<char> kinds;
  for (const auto& table : DvTables()) {
    SCOPED_TRACE(table.string());
    auto store = storage::OpenObjectStore(table.string());
    auto dvs = CorpusDvs(table);
    EXPECT_FALSE(dvs.empty());
    for (const CorpusDv& c : dvs) {
      SCOPED_TRACE(c.log_file + " " + c.action + " " + c.data_path + " " + c.descriptor.UniqueId());
      DeletionVector dv = LoadDeletionVector(c.descriptor, *store);
      EXPECT_EQ(dv.Cardinality(), c.descriptor.cardinality);
      kinds.insert(c.descriptor.storage_type);
      ++total;
      if (c.action == "add") {
        ++adds;
        ASSERT_TRUE(c.num_records.has_value()) << "a DV requires numRecords in the add's stats";
        for (uint64_t row : dv.ToVector()) {
          EXPECT_LT(row, static_cast<uint64_t>(*c.num_records));
        }
      }
      // Our serialization reproduces the bytes the Delta writer stored.
      std::string original;
      if (c.descriptor.storage_type == 'i') {
        original = ToString(Z85Decode(c.descriptor.path_or_inline_dv))
                       .substr(0, static_cast<size_t>(c.descriptor.size_in_bytes));
      } else {
        original =
            store->ReadRange(DeletionVectorPath(c.descriptor), c.descriptor.offset.value_or(1) + 4,
                             c.descriptor.size_in_bytes);
      }
      EXPECT_EQ(dv.SerializeRoaringArray(), original);
    }
  }
  EXPECT_GE(adds, 50);
  EXPECT_GT(total, adds);
  EXPECT_EQ(kinds, (std::set<char>{'i', 'u'}));
}

TEST(CorpusDeletionVectorTest, TableWithDvSmallDeletesRowsZeroAndNine) {
  // Documented by delta-kernel-rs: a 10-row file whose DV deletes rows 0 and 9.
  auto table = TestDataDir() / "delta-acceptance/kernel_data/table-with-dv-small";
  auto dvs = CorpusDvs(table);
  ASSERT_EQ(dvs.size(), 1u);
  EXPECT_EQ(dvs[0].num_records, 10);
  EXPECT_EQ(DeletionVectorPath(dvs[0].descriptor),
            "deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin");
  auto store = storage::OpenObjectStore(table.string());
  DeletionVector dv = LoadDeletionVector(dvs[0].descriptor, *store);
  EXPECT_EQ(dv.ToVector(), (std::vector<uint64_t>{0, 9}));
  columnar::Bitmap keep(10, true);
  ApplyDeletionVector(dv, 0, 10, &keep);
  EXPECT_EQ(keep.CountSet(), 8);
  EXPECT_FALSE(keep.Get(0));
  EXPECT_FALSE(keep.Get(9));
}

TEST(CorpusDeletionVectorTest, SeveralDvsInOneFile) {
  // cdf-table-with-cdc-and-dvs has a DV file holding two DVs (offsets 1 and 43).
  auto table = TestDataDir() / "delta-acceptance/kernel_data/cdf-table-with-cdc-and-dvs";
  auto store = storage::OpenObjectStore(table.string());
  std::set<int32_t> offsets;
  for (const auto& c : CorpusDvs(table)) {
    if (c.descriptor.path_or_inline_dv == "F0u+Uo^@EuVa@tFk))2D") {
      offsets.insert(c.descriptor.offset.value_or(1));
      EXPECT_EQ(LoadDeletionVector(c.descriptor, *store).Cardinality(), 1);
    }
  }
  EXPECT_EQ(offsets, (std::set<int32_t>{1, 43}));
}

TEST(CorpusDeletionVectorTest, KernelRsInlineDvsWithPaddedZ85) {
  // cdf-table-with-dv (from delta-kernel-rs): 0. insert 0..=9; 1. delete 0, 9; 2. restore;
  // 3. delete 0, 1, 4, 5; 4. restore 1, 4; 5. restore 0, 5 and delete 3; 6. restore 3.
  auto table = TestDataDir() / "delta-acceptance/kernel_data/cdf-table-with-dv";
  auto store = storage::OpenObjectStore(table.string());
  std::map<std::string, std::vector<uint64_t>> added;
  for (const auto& c : CorpusDvs(table)) {
    if (c.action == "add") added[c.log_file] = LoadDeletionVector(c.descriptor, *store).ToVector();
  }
  EXPECT_EQ(added["00000000000000000001.json"], (std::vector<uint64_t>{0, 9}));
  EXPECT_EQ(added["00000000000000000003.json"], (std::vector<uint64_t>{0, 1, 4, 5}));
  EXPECT_EQ(added["00000000000000000004.json"], (std::vector<uint64_t>{0, 5}));
  EXPECT_EQ(added["00000000000000000005.json"], (std::vector<uint64_t>{3}));
}

}  // namespace
}  // namespace cpglake::delta
