// Tests for the Thrift Compact Protocol codec (parquet/thrift_internal.h).
#include "parquet/thrift_internal.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "common/error.h"

namespace cpglake::parquet {
namespace {

using TT = ThriftType;

ThriftCompactReader ReaderOf(const std::string& s, ThriftLimits limits = {}) {
  return ThriftCompactReader(reinterpret_cast<const uint8_t*>(s.data()), s.size(), limits);
}
// ThriftCompactReader borrows its bytes; for a temporary string, a reader that owns them.
struct BytesHolder {
  std::string bytes;
};
class OwningReader : private BytesHolder, public ThriftCompactReader {
 public:
  OwningReader(std::string b, ThriftLimits limits)
      : BytesHolder{std::move(b)},
        ThriftCompactReader(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), limits) {}
  OwningReader(const OwningReader&) = delete;  // the reader points into `bytes`
  OwningReader& operator=(const OwningReader&) = delete;
};

OwningReader ReaderOf(std::string&& s, ThriftLimits limits = {}) {
  return OwningReader(std::move(s), limits);
}

// Runs fn and expects CorruptData whose message contains `needle`.
template <typename Fn>
void ExpectCorrupt(Fn&& fn, std::string_view needle) {
  try {
    fn();
    ADD_FAILURE() << "expected CorruptData containing '" << needle << "'";
  } catch (const CorruptData& e) {
    EXPECT_NE(std::string_view(e.what()).find(needle), std::string_view::npos)
        << "message: " << e.what() << "\nexpected to contain: " << needle;
  }
}

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

TEST(ThriftVarint, RoundTripsAndKnownEncodings) {
  const uint64_t values[] = {0,
                             1,
                             127,
                             128,
                             300,
                             16383,
                             16384,
                             (1ull << 31),
                             std::numeric_limits<uint32_t>::max(),
                             (1ull << 35) + 7,
                             (1ull << 63),
                             std::numeric_limits<uint64_t>::max()};
  for (uint64_t v : values) {
    std::string s;
    ThriftCompactWriter(&s).WriteVarint64(v);
    auto r = ReaderOf(s);
    EXPECT_EQ(r.ReadVarint64(), v);
    EXPECT_EQ(r.position(), s.size());
  }
  std::string s;
  ThriftCompactWriter(&s).WriteVarint32(300);
  EXPECT_EQ(s, Bytes({0xAC, 0x02}));
  s.clear();
  ThriftCompactWriter(&s).WriteVarint64(std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(s.size(), 10u);
  EXPECT_EQ(static_cast<uint8_t>(s.back()), 0x01);
}

TEST(ThriftVarint, RejectsMalformed) {
  ExpectCorrupt([] { ReaderOf("").ReadVarint64(); }, "truncated varint");
  ExpectCorrupt([] { ReaderOf(Bytes({0x80, 0x80})).ReadVarint64(); }, "truncated varint");
  // Eleven bytes: longer than any 64-bit varint.
  ExpectCorrupt(
      [] {
        ReaderOf(Bytes({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}))
            .ReadVarint64();
      },
      "longer than 10 bytes");
  // Ten bytes whose last one carries bits above bit 63.
  ExpectCorrupt(
      [] {
        ReaderOf(Bytes({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02}))
            .ReadVarint64();
      },
      "overflows 64 bits");
  std::string s;
  ThriftCompactWriter(&s).WriteVarint64(1ull << 32);
  ExpectCorrupt([&] { ReaderOf(s).ReadVarint32(); }, "does not fit in 32 bits");
  // A u32 varint may still use the (redundant) long form of up to 10 bytes.
  EXPECT_EQ(ReaderOf(Bytes({0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00})).ReadVarint32(), 1u);
}

TEST(ThriftZigzag, RoundTripsExtremes) {
  std::string s;
  ThriftCompactWriter w(&s);
  const int16_t i16s[] = {
      0, 1, -1, 63, -64, std::numeric_limits<int16_t>::min(), std::numeric_limits<int16_t>::max()};
  const int32_t i32s[] = {0,
                          1,
                          -1,
                          1000,
                          -1000,
                          std::numeric_limits<int32_t>::min(),
                          std::numeric_limits<int32_t>::max()};
  const int64_t i64s[] = {0,
                          1,
                          -1,
                          int64_t{1} << 40,
                          -(int64_t{1} << 40),
                          std::numeric_limits<int64_t>::min(),
                          std::numeric_limits<int64_t>::max()};
  for (int16_t v : i16s) w.WriteI16(v);
  for (int32_t v : i32s) w.WriteI32(v);
  for (int64_t v : i64s) w.WriteI64(v);
  w.WriteByte(-7);
  auto r = ReaderOf(s);
  for (int16_t v : i16s) EXPECT_EQ(r.ReadI16(), v);
  for (int32_t v : i32s) EXPECT_EQ(r.ReadI32(), v);
  for (int64_t v : i64s) EXPECT_EQ(r.ReadI64(), v);
  EXPECT_EQ(r.ReadByte(), -7);
  EXPECT_EQ(r.remaining(), 0u);

  // Zigzag: 0 -> 0, -1 -> 1, 1 -> 2, -2 -> 3.
  s.clear();
  w.WriteI32(0);
  w.WriteI32(-1);
  w.WriteI32(1);
  w.WriteI32(-2);
  EXPECT_EQ(s, Bytes({0, 1, 2, 3}));
  // An i16 whose zigzag value needs 17 bits.
  ExpectCorrupt([] { ReaderOf(Bytes({0xFF, 0xFF, 0x07})).ReadI16(); }, "does not fit in i16");
}

TEST(ThriftDouble, RoundTripsBitExact) {
  const double values[] = {0.0,
                           -0.0,
                           1.0,
                           -1.5,
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(),
                           std::numeric_limits<double>::denorm_min(),
                           std::numeric_limits<double>::max(),
                           std::bit_cast<double>(uint64_t{0x7FF8000000000123})};  // NaN payload
  for (double v : values) {
    std::string s;
    ThriftCompactWriter(&s).WriteDouble(v);
    ASSERT_EQ(s.size(), 8u);
    auto r = ReaderOf(s);
    EXPECT_EQ(std::bit_cast<uint64_t>(r.ReadDouble()), std::bit_cast<uint64_t>(v));
  }
  std::string s;
  ThriftCompactWriter(&s).WriteDouble(1.0);
  EXPECT_EQ(s, Bytes({0, 0, 0, 0, 0, 0, 0xF0, 0x3F}));  // little-endian
  ExpectCorrupt([] { ReaderOf(Bytes({1, 2, 3})).ReadDouble(); }, "double needs 8 bytes");
}

TEST(ThriftFieldHeader, DeltaAndLongForms) {
  std::string s;
  ThriftCompactWriter w(&s);
  w.StructBegin();
  w.I32Field(1, 7);       // delta 1
  w.I32Field(2, 8);       // delta 1
  w.I64Field(17, 9);      // delta 15: still short
  w.I32Field(40, 10);     // delta 23: long form
  w.I32Field(3, 11);      // going back: long form
  w.I32Field(-5, 12);     // negative id: long form
  w.I32Field(32767, 13);  // largest id
  w.StructEnd();
  EXPECT_EQ(static_cast<uint8_t>(s[0]), 0x15);  // delta 1, type i32
  EXPECT_EQ(static_cast<uint8_t>(s[2]), 0x15);
  EXPECT_EQ(static_cast<uint8_t>(s[4]), 0xF6);  // delta 15, type i64
  EXPECT_EQ(static_cast<uint8_t>(s[6]), 0x05);  // long form, type i32
  EXPECT_EQ(static_cast<uint8_t>(s[7]), 80);    // zigzag(40)
  EXPECT_EQ(s.back(), '\0');                    // stop

  auto r = ReaderOf(s);
  r.StructBegin();
  const std::pair<int16_t, int64_t> want[] = {{1, 7},  {2, 8},   {17, 9},    {40, 10},
                                              {3, 11}, {-5, 12}, {32767, 13}};
  for (const auto& [id, value] : want) {
    const ThriftFieldHeader f = r.ReadFieldHeader();
    EXPECT_EQ(f.id, id);
    if (id == 17) {
      EXPECT_EQ(f.type, TT::kI64);
      EXPECT_EQ(r.ReadI64(), value);
    } else {
      EXPECT_EQ(f.type, TT::kI32);
      EXPECT_EQ(r.ReadI32(), value);
    }
    EXPECT_EQ(r.depth(), 1);
  }
  EXPECT_EQ(r.ReadFieldHeader().type, TT::kStop);
  r.StructEnd();
  EXPECT_EQ(r.position(), s.size());
  EXPECT_EQ(r.depth(), 0);
}

TEST(ThriftFieldHeader, RejectsBadHeaders) {
  // Field id 32767 followed by a delta: the id would overflow i16.
  std::string s;
  ThriftCompactWriter w(&s);
  w.StructBegin();
  w.I32Field(32767, 1);
  s.push_back(0x15);  // delta 1, i32
  s.push_back(0x02);
  ExpectCorrupt(
      [&] {
        auto r = ReaderOf(s);
        r.StructBegin();
        r.ReadFieldHeader();
        r.ReadI32();
        r.ReadFieldHeader();
      },
      "field id 32768 overflows i16");
  ExpectCorrupt(
      [] {
        auto r = ReaderOf(Bytes({0x1E}));
        r.StructBegin();
        r.ReadFieldHeader();
      },
      "invalid field type 14");
  ExpectCorrupt(
      [] {
        auto r = ReaderOf("");
        r.StructBegin();
        r.ReadFieldHeader();
      },
      "field header needs 1 bytes, 0 remain");
}

TEST(ThriftFieldHeader, NestedStructsKeepTheirOwnLastFieldId) {
  std::string s;
  ThriftCompactWriter w(&s);
  w.StructBegin();
  w.I32Field(1, 1);
  w.FieldHeader(TT::kStruct, 4);
  w.StructBegin();
  w.I32Field(9, 2);
  w.StructEnd();
  w.I32Field(5, 3);  // delta 1 from the outer struct's field 4, not from 9
  w.StructEnd();
  EXPECT_EQ(s, Bytes({0x15, 0x02, 0x3C, 0x95, 0x04, 0x00, 0x15, 0x06, 0x00}));

  auto r = ReaderOf(s);
  r.StructBegin();
  EXPECT_EQ(r.ReadFieldHeader().id, 1);
  r.ReadI32();
  ThriftFieldHeader f = r.ReadFieldHeader();
  EXPECT_EQ(f.id, 4);
  EXPECT_EQ(f.type, TT::kStruct);
  r.StructBegin();
  EXPECT_EQ(r.depth(), 2);
  EXPECT_EQ(r.ReadFieldHeader().id, 9);
  EXPECT_EQ(r.ReadI32(), 2);
  EXPECT_EQ(r.ReadFieldHeader().type, TT::kStop);
  r.StructEnd();
  f = r.ReadFieldHeader();
  EXPECT_EQ(f.id, 5);
  EXPECT_EQ(r.ReadI32(), 3);
  EXPECT_EQ(r.ReadFieldHeader().type, TT::kStop);
  r.StructEnd();
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ThriftBool, FieldsAndElements) {
  std::string s;
  ThriftCompactWriter w(&s);
  w.StructBegin();
  w.BoolField(1, true);
  w.BoolField(2, false);
  w.FieldHeader(TT::kList, 3);
  w.ListHeader(TT::kBoolTrue, 3);
  w.WriteBool(true);
  w.WriteBool(false);
  w.WriteBool(true);
  w.StructEnd();
  EXPECT_EQ(s, Bytes({0x11, 0x12, 0x19, 0x31, 1, 2, 1, 0}));

  auto r = ReaderOf(s);
  r.StructBegin();
  ThriftFieldHeader f = r.ReadFieldHeader();
  EXPECT_TRUE(IsBoolType(f.type));
  EXPECT_TRUE(ThriftCompactReader::BoolFieldValue(f));
  f = r.ReadFieldHeader();
  EXPECT_TRUE(IsBoolType(f.type));
  EXPECT_FALSE(ThriftCompactReader::BoolFieldValue(f));
  f = r.ReadFieldHeader();
  EXPECT_EQ(f.type, TT::kList);
  const ThriftListHeader h = r.ReadListHeader();
  EXPECT_EQ(h.elem_type, TT::kBoolTrue);
  ASSERT_EQ(h.size, 3u);
  EXPECT_TRUE(r.ReadBool());
  EXPECT_FALSE(r.ReadBool());
  EXPECT_TRUE(r.ReadBool());
  EXPECT_EQ(r.ReadFieldHeader().type, TT::kStop);
  r.StructEnd();

  EXPECT_FALSE(ReaderOf(Bytes({0})).ReadBool());  // the spec document's encoding of false
  ExpectCorrupt([] { ReaderOf(Bytes({3})).ReadBool(); }, "invalid bool byte 3");
}

TEST(ThriftBinary, RoundTripAndLimits) {
  const std::string big(1000, 'x');
  const std::string with_nul("a\0b\xff", 4);
  std::string s;
  ThriftCompactWriter w(&s);
  w.WriteBinary("");
  w.WriteBinary(big);
  w.WriteBinary(with_nul);
  auto r = ReaderOf(s);
  EXPECT_EQ(r.ReadBinary(), "");
  EXPECT_EQ(r.ReadBinary(), big);
  std::string out;
  r.ReadString(&out);
  EXPECT_EQ(out, with_nul);
  EXPECT_EQ(r.remaining(), 0u);

  // Length 0xFFFFFFFF followed by 12 bytes.
  std::string huge = Bytes({0xFF, 0xFF, 0xFF, 0xFF, 0x0F}) + std::string(12, 'y');
  ExpectCorrupt([&] { ReaderOf(huge).ReadBinary(); },
                "thrift: string length 4294967295 exceeds remaining 12 bytes");
  ThriftLimits small;
  small.max_string_size = 4;
  std::string five;
  ThriftCompactWriter(&five).WriteBinary("12345");
  ExpectCorrupt([&] { ReaderOf(five, small).ReadBinary(); }, "string length 5 exceeds limit 4");
  std::string four;
  ThriftCompactWriter(&four).WriteBinary("1234");
  EXPECT_EQ(ReaderOf(four, small).ReadBinary(), "1234");
}

TEST(ThriftList, HeadersShortAndLongForm) {
  for (size_t n : {0u, 1u, 14u, 15u, 16u, 1000u}) {
    std::string s;
    ThriftCompactWriter w(&s);
    w.ListHeader(TT::kI32, n);
    EXPECT_EQ(s.size(), n < 15 ? 1u : 1u + (n < 128 ? 1u : 2u)) << n;
    for (size_t i = 0; i < n; ++i) w.WriteI32(static_cast<int32_t>(i) - 3);
    auto r = ReaderOf(s);
    const ThriftListHeader h = r.ReadListHeader();
    EXPECT_EQ(h.elem_type, TT::kI32);
    ASSERT_EQ(h.size, n);
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(r.ReadI32(), static_cast<int32_t>(i) - 3);
    EXPECT_EQ(r.remaining(), 0u);
  }
  std::string s;
  ThriftCompactWriter w(&s);
  w.SetHeader(TT::kBinary, 2);
  w.WriteBinary("a");
  w.WriteBinary("b");
  auto r = ReaderOf(s);
  const ThriftListHeader h = r.ReadSetHeader();
  EXPECT_EQ(h.elem_type, TT::kBinary);
  EXPECT_EQ(h.size, 2u);
}

TEST(ThriftList, CountsValidatedAgainstRemainingBytesAndLimit) {
  std::string s;
  ThriftCompactWriter w(&s);
  w.ListHeader(TT::kDouble, 1000);
  s += std::string(10, '\0');
  ExpectCorrupt([&] { ReaderOf(s).ReadListHeader(); },
                "list of 1000 double elements needs at least 8000 bytes, 10 remain");

  s.clear();
  w.ListHeader(TT::kStruct, std::numeric_limits<uint32_t>::max());
  ExpectCorrupt([&] { ReaderOf(s).ReadListHeader(); }, "list size 4294967295 exceeds limit");

  ThriftLimits small;
  small.max_container_size = 10;
  s.clear();
  w.ListHeader(TT::kI32, 11);
  s += std::string(11, '\0');
  ExpectCorrupt([&] { ReaderOf(s, small).ReadListHeader(); }, "list size 11 exceeds limit 10");

  // Long-form size that does not fit in 32 bits.
  ExpectCorrupt(
      [] {
        ReaderOf(Bytes({0xF5, 0x80, 0x80, 0x80, 0x80, 0x10})).ReadListHeader();
      },
      "does not fit in 32 bits");
  ExpectCorrupt([] { ReaderOf(Bytes({0x10})).ReadListHeader(); }, "invalid list element type 0");
  ExpectCorrupt([] { ReaderOf(Bytes({0x1F})).ReadListHeader(); }, "invalid list element type 15");
  ExpectCorrupt(
      [] {
        ReaderOf(Bytes({0x2D, 1, 2})).ReadListHeader();
      },
      "list of 2 uuid elements needs at least 32 bytes");
}

TEST(ThriftMap, Headers) {
  std::string s;
  ThriftCompactWriter w(&s);
  w.MapHeader(TT::kBinary, TT::kI32, 0);
  EXPECT_EQ(s, Bytes({0}));  // an empty map has no type byte
  auto r = ReaderOf(s);
  ThriftMapHeader h = r.ReadMapHeader();
  EXPECT_EQ(h.size, 0u);
  EXPECT_EQ(r.remaining(), 0u);

  s.clear();
  w.MapHeader(TT::kBinary, TT::kI32, 2);
  w.WriteBinary("k1");
  w.WriteI32(1);
  w.WriteBinary("k2");
  w.WriteI32(2);
  EXPECT_EQ(static_cast<uint8_t>(s[1]), 0x85);
  r = ReaderOf(s);
  h = r.ReadMapHeader();
  EXPECT_EQ(h.key_type, TT::kBinary);
  EXPECT_EQ(h.value_type, TT::kI32);
  EXPECT_EQ(h.size, 2u);

  s.clear();
  w.MapHeader(TT::kDouble, TT::kUuid, 100);
  s += std::string(100, '\0');
  ExpectCorrupt([&] { ReaderOf(s).ReadMapHeader(); },
                "map of 100 double->uuid entries needs at least 2400 bytes, 100 remain");
  ExpectCorrupt([] { ReaderOf(Bytes({1, 0x05})).ReadMapHeader(); }, "invalid map key type 0");
  ExpectCorrupt([] { ReaderOf(Bytes({1, 0x5E})).ReadMapHeader(); }, "invalid map value type 14");
  ExpectCorrupt([] { ReaderOf(Bytes({1})).ReadMapHeader(); }, "map key/value types needs 1 bytes");
}

// A struct with one field of every wire type, containers nested in containers included.
std::string StructOfEveryType() {
  std::string s;
  ThriftCompactWriter w(&s);
  w.StructBegin();
  w.BoolField(1, true);
  w.BoolField(2, false);
  w.FieldHeader(TT::kByte, 3);
  w.WriteByte(-1);
  w.FieldHeader(TT::kI16, 4);
  w.WriteI16(-300);
  w.I32Field(5, 123456);
  w.I64Field(6, -(int64_t{1} << 50));
  w.FieldHeader(TT::kDouble, 7);
  w.WriteDouble(3.25);
  w.BinaryField(8, "binary value");
  w.FieldHeader(TT::kList, 9);  // list<list<i32>>
  w.ListHeader(TT::kList, 2);
  w.ListHeader(TT::kI32, 2);
  w.WriteI32(1);
  w.WriteI32(2);
  w.ListHeader(TT::kI32, 0);
  w.FieldHeader(TT::kSet, 10);  // set<bool>
  w.SetHeader(TT::kBoolTrue, 2);
  w.WriteBool(true);
  w.WriteBool(false);
  w.FieldHeader(TT::kMap, 11);  // map<binary, struct>
  w.MapHeader(TT::kBinary, TT::kStruct, 2);
  w.WriteBinary("a");
  w.StructBegin();
  w.I32Field(1, 5);
  w.FieldHeader(TT::kMap, 2);
  w.MapHeader(TT::kI32, TT::kDouble, 0);
  w.StructEnd();
  w.WriteBinary("b");
  w.StructBegin();
  w.StructEnd();
  w.FieldHeader(TT::kStruct, 12);
  w.StructBegin();
  w.BoolField(200, true);
  w.FieldHeader(TT::kList, 201);  // list<bool>
  w.ListHeader(TT::kBoolFalse, 16);
  for (int i = 0; i < 16; ++i) w.WriteBool(i % 3 == 0);
  w.StructEnd();
  w.FieldHeader(TT::kUuid, 13);
  const uint8_t uuid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  w.WriteUuid(uuid);
  w.FieldHeader(TT::kList, 14);  // list<uuid>
  w.ListHeader(TT::kUuid, 1);
  w.WriteUuid(uuid);
  w.FieldHeader(TT::kMap, 15);  // map<i64, list<binary>>
  w.MapHeader(TT::kI64, TT::kList, 1);
  w.WriteI64(7);
  w.ListHeader(TT::kBinary, 1);
  w.WriteBinary("x");
  w.StructEnd();
  return s;
}

TEST(ThriftSkip, SkipsEveryType) {
  const std::string s = StructOfEveryType() + "Z";
  auto r = ReaderOf(s);
  r.Skip(TT::kStruct);
  EXPECT_EQ(r.remaining(), 1u);
  EXPECT_EQ(r.depth(), 0);
  EXPECT_EQ(r.ReadByte(), 'Z');

  // Field by field, as a decoder meeting unknown fields would.
  r = ReaderOf(s);
  r.StructBegin();
  int fields = 0;
  for (;;) {
    const ThriftFieldHeader f = r.ReadFieldHeader();
    if (f.type == TT::kStop) break;
    ++fields;
    EXPECT_EQ(f.id, fields);
    r.Skip(f.type);
  }
  r.StructEnd();
  EXPECT_EQ(fields, 15);
  EXPECT_EQ(r.remaining(), 1u);

  // A bool element is one byte, a bool field value none.
  auto e = ReaderOf(Bytes({2, 9}));
  e.SkipElement(TT::kBoolFalse);
  EXPECT_EQ(e.position(), 1u);
  e.Skip(TT::kBoolTrue);
  EXPECT_EQ(e.position(), 1u);
  ExpectCorrupt([] { ReaderOf(Bytes({0})).Skip(TT::kStop); }, "cannot skip a value of type 0");
}

TEST(ThriftSkip, EveryTruncationFails) {
  const std::string s = StructOfEveryType();
  for (size_t n = 0; n < s.size(); ++n) {
    const std::string prefix = s.substr(0, n);
    auto r = ReaderOf(prefix);
    EXPECT_THROW(r.Skip(TT::kStruct), CorruptData) << "prefix length " << n;
  }
}

std::string NestedStructs(int depth) {
  std::string s;
  ThriftCompactWriter w(&s);
  for (int i = 0; i < depth; ++i) {
    w.StructBegin();
    if (i + 1 < depth) w.FieldHeader(TT::kStruct, 1);
  }
  for (int i = 0; i < depth; ++i) w.StructEnd();
  return s;
}

TEST(ThriftSkip, NestingDepthIsLimited) {
  const int limit = ThriftCompactReader::kMaxDepth;
  const std::string ok = NestedStructs(limit);
  auto r = ReaderOf(ok);
  r.Skip(TT::kStruct);
  EXPECT_EQ(r.remaining(), 0u);

  const std::string deep = NestedStructs(limit + 1);
  ExpectCorrupt([&] { ReaderOf(deep).Skip(TT::kStruct); }, "nesting depth exceeds limit 64");

  // A million nested struct headers: refused at the limit, not by running out of stack.
  const std::string hostile(1'000'000, static_cast<char>(0x1C));
  ExpectCorrupt([&] { ReaderOf(hostile).Skip(TT::kStruct); }, "nesting depth exceeds limit");

  // Lists of lists of ..., and maps of maps.
  const std::string lists(1000, static_cast<char>(0x19));
  ExpectCorrupt([&] { ReaderOf(lists).Skip(TT::kList); }, "nesting depth exceeds limit");
  std::string maps;
  for (int i = 0; i < 1000; ++i) maps += Bytes({0x01, 0xBB});
  ExpectCorrupt([&] { ReaderOf(maps).Skip(TT::kMap); }, "nesting depth exceeds limit");
}

TEST(ThriftSkip, RandomBytesNeverCrash) {
  std::mt19937 rng(20240611);
  // Bytes biased towards valid headers so that parsing gets somewhere.
  const uint8_t alphabet[] = {0x00, 0x01, 0x02, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                              0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x29, 0xF9, 0x05, 0xFF,
                              0x80, 0x7F, 0x35, 0x8C, 0x58, 0xCC, 0x0E, 0x0F};
  int ok = 0, corrupt = 0;
  for (int iter = 0; iter < 50000; ++iter) {
    std::string s(rng() % 48, '\0');
    for (char& c : s) {
      c = static_cast<char>(rng() % 4 == 0 ? rng() : alphabet[rng() % sizeof(alphabet)]);
    }
    auto r = ReaderOf(s);
    try {
      r.Skip(TT::kStruct);
      ++ok;
      EXPECT_LE(r.position(), s.size());
    } catch (const CorruptData&) {
      ++corrupt;
    }
  }
  EXPECT_GT(ok, 0);
  EXPECT_GT(corrupt, 0);

  // Mutations of a valid encoding.
  const std::string base = StructOfEveryType();
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s = base;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < flips; ++i) s[rng() % s.size()] = static_cast<char>(rng());
    auto r = ReaderOf(s);
    try {
      r.Skip(TT::kStruct);
    } catch (const CorruptData&) {
    }
  }
}

TEST(ThriftWriter, AppendsToExistingString) {
  std::string s = "prefix";
  ThriftCompactWriter w(&s);
  w.StructBegin();
  w.BinaryField(1, "v");
  w.StructEnd();
  EXPECT_EQ(s, "prefix" + Bytes({0x18, 0x01, 'v', 0x00}));
  auto r = ThriftCompactReader(reinterpret_cast<const uint8_t*>(s.data()) + 6, s.size() - 6);
  r.Skip(TT::kStruct);
  EXPECT_EQ(r.remaining(), 0u);
}

}  // namespace
}  // namespace cpglake::parquet
