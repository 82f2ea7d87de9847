// Split-block Bloom filters: the SBBF itself, its serialisation under hostile input, the
// writer's filters read back by our reader and by DuckDB (parquet_bloom_probe agrees bit
// for bit), and filters written by parquet-mr and DuckDB read by us.
#include "parquet/bloom_filter.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <set>

#include "common/error.h"
#include "parquet/file_reader.h"
#include "parquet/file_writer.h"
#include "parquet/thrift_internal.h"
#include "storage/random_access_file.h"
#include "storage/writable_file.h"
#include "test_util.h"

namespace cpglake::parquet {
namespace {

using columnar::Column;
using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;
using ::cpglake::testing::RunOracle;
using ::cpglake::testing::ShellQuote;
using ::cpglake::testing::SplitLines;
using ::cpglake::testing::TempDir;
using ::cpglake::testing::TestDataDir;

const uint8_t* U8(const std::string& s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

std::string RandomHex(std::mt19937_64& rng, int chars) {
  static const char kHex[] = "0123456789abcdef";
  std::string s(chars, '0');
  for (auto& c : s) c = kHex[rng() & 15];
  return s;
}

// --- The filter ------------------------------------------------------------------------

TEST(BloomFilter, HashIsXxh64OfThePlainEncoding) {
  // XXH64 of the empty input with seed 0 (xxHash's published test vector).
  EXPECT_EQ(BloomFilter::HashBytes(""), 0xEF46DB3751D8E999ULL);
  int32_t i32 = -7;
  int64_t i64 = int64_t{1} << 40;
  double d = 2.5;
  float f = -1.25f;
  EXPECT_EQ(BloomFilter::HashInt32(i32),
            BloomFilter::HashBytes(std::string_view(reinterpret_cast<char*>(&i32), 4)));
  EXPECT_EQ(BloomFilter::HashInt64(i64),
            BloomFilter::HashBytes(std::string_view(reinterpret_cast<char*>(&i64), 8)));
  EXPECT_EQ(BloomFilter::HashDouble(d),
            BloomFilter::HashBytes(std::string_view(reinterpret_cast<char*>(&d), 8)));
  EXPECT_EQ(BloomFilter::HashFloat(f),
            BloomFilter::HashBytes(std::string_view(reinterpret_cast<char*>(&f), 4)));
}

TEST(BloomFilter, InsertSetsOneBitPerWordOfOneBlock) {
  BloomFilter f(1024);                       // 32 blocks
  const uint64_t h = 0x8000000012345678ULL;  // upper half 2^31: block (2^31 * 32) >> 32 = 16
  f.InsertHash(h);
  const uint32_t salt[8] = {0x47b6137bU, 0x44974d91U, 0x8824ad5bU, 0xa2b7289dU,
                            0x705495c7U, 0x2df1424bU, 0x9efc4947U, 0x5c6bfb31U};
  for (uint32_t w = 0; w < f.words().size(); ++w) {
    uint32_t expect = 0;
    if (w / 8 == 16) expect = uint32_t{1} << ((0x12345678U * salt[w % 8]) >> 27);
    EXPECT_EQ(f.words()[w], expect) << "word " << w;
  }
  EXPECT_TRUE(f.CheckHash(h));
  EXPECT_FALSE(f.CheckHash(h ^ 1));
}

TEST(BloomFilter, SizingFollowsTheSpec) {
  EXPECT_EQ(BloomFilter::OptimalNumBytes(0, 0.01), 32u);
  EXPECT_EQ(BloomFilter::OptimalNumBytes(1, 0.01), 32u);
  // The spec's example: 26,214 values in 1024 blocks (32 KiB) give ~1.26% fpp, so 1% needs
  // a little more and rounds to the next power of two.
  EXPECT_EQ(BloomFilter::OptimalNumBytes(26214, 0.0126), 32768u);
  EXPECT_EQ(BloomFilter::OptimalNumBytes(26214, 0.01), 32768u);  // 9.68 bits per value
  EXPECT_EQ(BloomFilter::OptimalNumBytes(30000, 0.01), 65536u);
  EXPECT_EQ(BloomFilter::OptimalNumBytes(int64_t{1} << 40, 0.01), BloomFilter::kMaxBytes);
  for (int64_t ndv : {10, 1000, 123457, 4000000}) {
    for (double fpp : {0.1, 0.01, 0.001}) {
      uint32_t b = BloomFilter::OptimalNumBytes(ndv, fpp);
      EXPECT_EQ(b & (b - 1), 0u) << ndv << " " << fpp;
      EXPECT_GE(b, BloomFilter::kMinBytes);
    }
  }
  EXPECT_THROW(BloomFilter::OptimalNumBytes(10, 0.0), InvalidInput);
  EXPECT_THROW(BloomFilter::OptimalNumBytes(10, 1.0), InvalidInput);
  EXPECT_EQ(BloomFilter(0).num_bytes(), 32u);
  EXPECT_EQ(BloomFilter(33).num_bytes(), 64u);
}

TEST(BloomFilter, NoFalseNegativesAndFalsePositivesNearTarget) {
  std::mt19937_64 rng(42);
  for (double fpp : {0.1, 0.01, 0.001}) {
    const int n = 20000;
    BloomFilter f(BloomFilter::OptimalNumBytes(n, fpp));
    std::set<std::string> in;
    while (static_cast<int>(in.size()) < n) in.insert(RandomHex(rng, 16));
    for (const auto& s : in) f.InsertHash(BloomFilter::HashBytes(s));
    for (const auto& s : in) ASSERT_TRUE(f.CheckHash(BloomFilter::HashBytes(s))) << s;
    int fp = 0, probes = 200000;
    for (int i = 0; i < probes; ++i) {
      std::string s = RandomHex(rng, 17);  // never inserted: 17 characters
      fp += f.CheckHash(BloomFilter::HashBytes(s));
    }
    // Rounding to a power of two only lowers the rate.
    EXPECT_LE(static_cast<double>(fp) / probes, fpp * 1.2) << fpp;
  }
}

TEST(BloomFilter, SerialisationRoundTrips) {
  BloomFilter f(4096);
  for (int64_t i = 0; i < 500; ++i) f.InsertHash(BloomFilter::HashInt64(i * 7919));
  std::string bytes;
  f.Serialize(&bytes);
  size_t header_size = 0;
  BloomFilterHeader h = DecodeBloomFilterHeader(U8(bytes), bytes.size(), &header_size);
  EXPECT_EQ(h.num_bytes, 4096);
  EXPECT_TRUE(h.supported());
  EXPECT_EQ(header_size + 4096, bytes.size());
  EXPECT_EQ(BloomFilter::Deserialize(U8(bytes), bytes.size()), f);
  // Trailing bytes are ignored.
  EXPECT_EQ(BloomFilter::Deserialize(U8(bytes + "xyz"), bytes.size() + 3), f);
}

// --- Hostile serialised filters ------------------------------------------------------

std::string Header(const std::function<void(ThriftCompactWriter&)>& fields) {
  std::string out;
  ThriftCompactWriter w(&out);
  w.StructBegin();
  fields(w);
  w.StructEnd();
  return out;
}

void Union(ThriftCompactWriter& w, int16_t id, std::vector<int16_t> members) {
  w.FieldHeader(ThriftType::kStruct, id);
  w.StructBegin();
  for (int16_t m : members) {
    w.FieldHeader(ThriftType::kStruct, m);
    w.StructBegin();
    w.StructEnd();
  }
  w.StructEnd();
}

TEST(BloomFilterCorrupt, EveryTruncationIsCorruptData) {
  BloomFilter f(64);
  f.InsertHash(12345);
  std::string bytes;
  f.Serialize(&bytes);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_THROW(BloomFilter::Deserialize(U8(bytes), n), CorruptData) << n;
  }
}

TEST(BloomFilterCorrupt, MalformedHeaders) {
  const std::string bits(64, '\0');
  auto full = [](int32_t n) {
    return [n](ThriftCompactWriter& w) {
      w.I32Field(1, n);
      Union(w, 2, {1});
      Union(w, 3, {1});
      Union(w, 4, {1});
    };
  };
  const std::string ok = Header(full(64)) + bits;
  EXPECT_NO_THROW(BloomFilter::Deserialize(U8(ok), ok.size()));
  // Bitset sizes: zero, negative, not a multiple of 32, larger than what follows or the max.
  for (int32_t n : {0, -32, 48, 96, int32_t{256} << 20}) {
    const std::string s = Header(full(n)) + bits;
    EXPECT_THROW(BloomFilter::Deserialize(U8(s), s.size()), CorruptData) << n;
  }
  // Missing required fields; unions with no member or two.
  const std::vector<std::function<void(ThriftCompactWriter&)>> bad = {
      [](ThriftCompactWriter& w) {
        Union(w, 2, {1});
        Union(w, 3, {1});
        Union(w, 4, {1});
      },
      [](ThriftCompactWriter& w) {
        w.I32Field(1, 64);
        Union(w, 3, {1});
        Union(w, 4, {1});
      },
      [](ThriftCompactWriter& w) {
        w.I32Field(1, 64);
        Union(w, 2, {1});
        Union(w, 4, {1});
      },
      [](ThriftCompactWriter& w) {
        w.I32Field(1, 64);
        Union(w, 2, {1});
        Union(w, 3, {1});
      },
      [](ThriftCompactWriter& w) {
        w.I32Field(1, 64);
        Union(w, 2, {});
        Union(w, 3, {1});
        Union(w, 4, {1});
      },
      [](ThriftCompactWriter& w) {
        w.I32Field(1, 64);
        Union(w, 2, {1, 2});
        Union(w, 3, {1});
        Union(w, 4, {1});
      },
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    const std::string s = Header(bad[i]) + bits;
    EXPECT_THROW(BloomFilter::Deserialize(U8(s), s.size()), CorruptData) << i;
  }
  // Valid Thrift, unknown algorithm / hash / compression: Unsupported, not corrupt.
  for (int16_t which : {2, 3, 4}) {
    const std::string s = Header([&](ThriftCompactWriter& w) {
                            w.I32Field(1, 64);
                            for (int16_t id = 2; id <= 4; ++id)
                              Union(w, id, {static_cast<int16_t>(id == which ? 2 : 1)});
                          }) +
                          bits;
    size_t hs = 0;
    EXPECT_FALSE(DecodeBloomFilterHeader(U8(s), s.size(), &hs).supported());
    EXPECT_THROW(BloomFilter::Deserialize(U8(s), s.size()), Unsupported);
  }
  // Unknown extra fields are skipped.
  const std::string extra = Header([](ThriftCompactWriter& w) {
                              w.I32Field(1, 64);
                              Union(w, 2, {1});
                              Union(w, 3, {1});
                              Union(w, 4, {1});
                              w.BinaryField(9, "future");
                            }) +
                            bits;
  EXPECT_NO_THROW(BloomFilter::Deserialize(U8(extra), extra.size()));
}

TEST(BloomFilterCorrupt, RandomMutationsNeverCrash) {
  BloomFilter f(128);
  std::string good;
  f.Serialize(&good);
  std::mt19937_64 rng(7);
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s = good.substr(0, 20 + rng() % 8);
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) s[rng() % s.size()] = static_cast<char>(rng());
    s += std::string(rng() % 200, '\0');
    try {
      BloomFilter::Deserialize(U8(s), s.size());
    } catch (const CorruptData&) {
    } catch (const Unsupported&) {
    }
  }
}

// --- Written by us -----------------------------------------------------------------

struct TestTable {
  Schema schema;
  RecordBatch batch;
  std::vector<std::string> ids;
  std::vector<int64_t> longs;
  std::vector<int32_t> ints;
};

// id: unique random hex (nullable, a few nulls); n: int64; k: int32 with repeats
// (dictionary-encoded); s.x: a string in a struct.
TestTable MakeTable(int64_t rows, uint64_t seed) {
  TestTable t;
  std::mt19937_64 rng(seed);
  t.schema = Schema({Field("id", DataType::String(), true), Field("n", DataType::Int64(), false),
                     Field("k", DataType::Int32(), false),
                     Field("s", DataType::Struct({Field("x", DataType::String(), true)}), true)});
  auto id = Column::Make(DataType::String());
  auto n = Column::Make(DataType::Int64());
  auto k = Column::Make(DataType::Int32());
  auto x = Column::Make(DataType::String());
  for (int64_t i = 0; i < rows; ++i) {
    if (i % 97 == 5) {
      id->AppendNull();
    } else {
      t.ids.push_back(RandomHex(rng, 32));
      id->AppendString(t.ids.back());
    }
    t.longs.push_back(static_cast<int64_t>(rng() >> 1));
    n->Append<int64_t>(t.longs.back());
    t.ints.push_back(static_cast<int32_t>(i % 50) - 25);
    k->Append<int32_t>(t.ints.back());
    x->AppendString("x" + std::to_string(i % 300));
  }
  auto s = Column::Make(t.schema.field(3).type);
  s->SetChild(0, x);
  s->SetLength(rows);
  t.batch = RecordBatch(t.schema, {id, n, k, s});
  return t;
}

WriterOptions BloomOptions() {
  WriterOptions o;
  o.row_group_rows = 1000;
  o.bloom_filters = {{"id", 0.01, std::nullopt},
                     {"n", 0.01, std::nullopt},
                     {"k", 0.01, std::nullopt},
                     {"s.x", 0.05, std::nullopt}};
  return o;
}

std::string WriteToMemory(const TestTable& t, const WriterOptions& o) {
  storage::BufferWritableFile sink;
  ParquetWriter w(&sink, t.schema, o);
  w.Write(t.batch);
  w.Close();
  return sink.Release();
}

TEST(BloomFilterWriter, EveryWrittenValueChecksTrue) {
  const TestTable t = MakeTable(3500, 1);
  const std::string bytes = WriteToMemory(t, BloomOptions());
  auto r = ParquetFileReader::Open(storage::MakeBufferFile(bytes));
  ASSERT_EQ(r->num_row_groups(), 4);
  ASSERT_EQ(r->file_schema().num_leaves(), 4);
  int64_t max_chunk_end = 0;
  for (int g = 0; g < 4; ++g) {
    for (const auto& cc : r->metadata().row_groups[g].columns) {
      max_chunk_end = std::max(
          max_chunk_end, cc.meta_data->data_page_offset + cc.meta_data->total_compressed_size);
    }
  }
  int absent_hits = 0, absent_probes = 0;
  for (int g = 0; g < 4; ++g) {
    const int64_t begin = g * 1000, end = std::min<int64_t>(3500, begin + 1000);
    for (int c = 0; c < 4; ++c) {
      const auto& md = *r->metadata().row_groups[g].columns[c].meta_data;
      ASSERT_TRUE(md.bloom_filter_offset && md.bloom_filter_length);
      EXPECT_GE(*md.bloom_filter_offset, max_chunk_end);  // after every column chunk
    }
    auto id = r->ReadBloomFilter(g, 0);
    auto n = r->ReadBloomFilter(g, 1);
    auto k = r->ReadBloomFilter(g, 2);
    auto x = r->ReadBloomFilter(g, 3);
    ASSERT_TRUE(id && n && k && x);
    // Sized for the exact distinct count (990 ids at 1% → 1198 bytes → 2048).
    int64_t ids_in_group = 0;
    for (int64_t i = begin; i < end; ++i) ids_in_group += i % 97 != 5;
    EXPECT_EQ(id->num_bytes(), BloomFilter::OptimalNumBytes(ids_in_group, 0.01));
    EXPECT_EQ(n->num_bytes(), BloomFilter::OptimalNumBytes(end - begin, 0.01));
    if (g == 0) {
      EXPECT_EQ(id->num_bytes(), 2048u);
    }
    EXPECT_EQ(k->num_bytes(), BloomFilter::OptimalNumBytes(50, 0.01));
    EXPECT_EQ(x->num_bytes(), BloomFilter::OptimalNumBytes(300, 0.05));
    for (int64_t i = begin; i < end; ++i) {
      ASSERT_TRUE(n->CheckHash(BloomFilter::HashInt64(t.longs[i])));
      ASSERT_TRUE(k->CheckHash(BloomFilter::HashInt32(t.ints[i])));
      ASSERT_TRUE(x->CheckHash(BloomFilter::HashBytes("x" + std::to_string(i % 300))));
    }
    // Ids of this row group (nulls are skipped in t.ids: locate by counting).
    int64_t before = 0;
    for (int64_t i = 0; i < begin; ++i) before += i % 97 != 5;
    int64_t in_group = 0;
    for (int64_t i = begin; i < end; ++i) in_group += i % 97 != 5;
    for (int64_t j = before; j < before + in_group; ++j) {
      ASSERT_TRUE(id->CheckHash(BloomFilter::HashBytes(t.ids[j])));
    }
    for (int p = 0; p < 1000; ++p) {
      ++absent_probes;
      absent_hits += id->CheckHash(BloomFilter::HashBytes("absent-" + std::to_string(p)));
    }
    EXPECT_FALSE(k->CheckHash(BloomFilter::HashInt32(1000)));
    EXPECT_FALSE(x->CheckHash(BloomFilter::HashBytes("y1")));
  }
  EXPECT_LE(absent_hits, absent_probes / 50);
}

TEST(BloomFilterWriter, OnlyChosenColumnsAndGivenNdv) {
  const TestTable t = MakeTable(500, 2);
  WriterOptions o;
  o.bloom_filters = {{"n", 0.01, 100000}};
  auto r = ParquetFileReader::Open(storage::MakeBufferFile(WriteToMemory(t, o)));
  EXPECT_FALSE(r->ReadBloomFilter(0, 0));
  EXPECT_FALSE(r->ReadBloomFilter(0, 2));
  auto n = r->ReadBloomFilter(0, 1);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->num_bytes(), BloomFilter::OptimalNumBytes(100000, 0.01));
  EXPECT_THROW(r->ReadBloomFilter(1, 0), InvalidInput);
  EXPECT_THROW(r->ReadBloomFilter(0, 4), InvalidInput);
  // Without bloom filters nothing changes: same bytes as before the feature.
  EXPECT_EQ(WriteToMemory(t, WriterOptions{}), [&] {
    WriterOptions none;
    none.bloom_filters = {};
    return WriteToMemory(t, none);
  }());
}

TEST(BloomFilterWriter, BadOptionsAreInvalidInput) {
  const TestTable t = MakeTable(10, 3);
  storage::BufferWritableFile sink;
  for (const auto& b : std::vector<std::vector<BloomFilterOptions>>{
           {{"nope", 0.01, std::nullopt}},
           {{"s", 0.01, std::nullopt}},  // a group, not a leaf
           {{"id", 0.0, std::nullopt}},
           {{"id", 1.5, std::nullopt}},
           {{"id", 0.01, -1}},
           {{"id", 0.01, std::nullopt}, {"id", 0.1, std::nullopt}}}) {
    WriterOptions o;
    o.bloom_filters = b;
    EXPECT_THROW(ParquetWriter(&sink, t.schema, o), InvalidInput) << b[0].column;
  }
  WriterOptions o;
  o.bloom_filters = {{"b", 0.01, std::nullopt}};
  EXPECT_THROW(ParquetWriter(&sink, Schema({Field("b", DataType::Boolean(), true)}), o),
               InvalidInput);
}

// Rewrites the footer of a file we wrote, after `edit` changed its metadata.
std::string WithFooter(const std::string& file, const std::function<void(FileMetaData&)>& edit) {
  uint32_t len;
  std::memcpy(&len, file.data() + file.size() - 8, 4);
  const size_t start = file.size() - 8 - len;
  FileMetaData md = DecodeFileMetaData(U8(file) + start, len);
  edit(md);
  std::string footer;
  EncodeFileMetaData(md, &footer);
  std::string out = file.substr(0, start) + footer;
  uint32_t n = static_cast<uint32_t>(footer.size());
  out.append(reinterpret_cast<const char*>(&n), 4);
  out += "PAR1";
  return out;
}

TEST(BloomFilterReader, HostileOffsetsAndLengthsAreCorruptData) {
  const TestTable t = MakeTable(300, 4);
  WriterOptions o;
  o.bloom_filters = {{"id", 0.01, std::nullopt}};
  const std::string file = WriteToMemory(t, o);
  auto meta = [&](const std::function<void(ColumnMetaData&)>& edit) {
    return ParquetFileReader::Open(storage::MakeBufferFile(
        WithFooter(file, [&](FileMetaData& m) { edit(*m.row_groups[0].columns[0].meta_data); })));
  };
  auto good = meta([](ColumnMetaData&) {});
  const int64_t off = *good->metadata().row_groups[0].columns[0].meta_data->bloom_filter_offset;
  const int32_t len = *good->metadata().row_groups[0].columns[0].meta_data->bloom_filter_length;
  ASSERT_TRUE(good->ReadBloomFilter(0, 0));
  // Without bloom_filter_length (older writers): read from the header alone.
  auto nolen = meta([](ColumnMetaData& m) { m.bloom_filter_length.reset(); });
  EXPECT_EQ(*nolen->ReadBloomFilter(0, 0), *good->ReadBloomFilter(0, 0));
  const std::vector<std::function<void(ColumnMetaData&)>> bad = {
      [](ColumnMetaData& m) { m.bloom_filter_offset = 0; },
      [&](ColumnMetaData& m) { m.bloom_filter_offset = static_cast<int64_t>(file.size()); },
      [&](ColumnMetaData& m) { m.bloom_filter_offset = int64_t{1} << 50; },
      [&](ColumnMetaData& m) { m.bloom_filter_length = len + 100000; },
      [&](ColumnMetaData& m) { m.bloom_filter_length = 0; },
      [&](ColumnMetaData& m) { m.bloom_filter_length = 10; },       // cuts the header
      [&](ColumnMetaData& m) { m.bloom_filter_length = len - 1; },  // cuts the bitset
      [&](ColumnMetaData& m) { m.bloom_filter_offset = off + 1; },  // not a header
      [&](ColumnMetaData& m) { m.bloom_filter_offset = 4; },        // a page, not a filter
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    auto r = meta(bad[i]);
    EXPECT_THROW(r->ReadBloomFilter(0, 0), CorruptData) << i;
  }
}

// --- Written by others -------------------------------------------------------------

std::filesystem::path ParquetTestingData() {
  return TestDataDir() / "parquet-testing" / "data";
}

// parquet-testing's data_index_bloom_encoding_*.parquet (parquet-mr): one BYTE_ARRAY
// column "String" of 14 values with a Bloom filter; the _stats file leaves out
// bloom_filter_length, the _with_length file has it.
TEST(BloomFilterReader, ParquetMrFiles) {
  const std::vector<std::string> present = {
      "Hello", "This is",   "a",         "test",  "How",  "are you",  "doing ",
      "today", "the quick", "brown fox", "jumps", "over", "the lazy", "dog"};
  const std::vector<std::string> absent = {"Hello!", "hello",     "doing",      "foo",
                                           "",       "The quick", "NOT EXISTS", "cat"};
  for (const char* name : {"data_index_bloom_encoding_stats.parquet",
                           "data_index_bloom_encoding_with_length.parquet"}) {
    auto r = ParquetFileReader::OpenPath((ParquetTestingData() / name).string());
    ASSERT_EQ(r->num_row_groups(), 1) << name;
    // The values really are these.
    auto all = r->ReadAll();
    ASSERT_EQ(all.num_rows(), static_cast<int64_t>(present.size()));
    for (size_t i = 0; i < present.size(); ++i) {
      EXPECT_EQ(all.column(0).GetString(static_cast<int64_t>(i)), present[i]);
    }
    auto f = r->ReadBloomFilter(0, 0);
    ASSERT_TRUE(f) << name;
    for (const auto& v : present) EXPECT_TRUE(f->CheckHash(BloomFilter::HashBytes(v))) << v;
    for (const auto& v : absent) EXPECT_FALSE(f->CheckHash(BloomFilter::HashBytes(v))) << v;
  }
}

// --- DuckDB ------------------------------------------------------------------------

// DuckDB's parquet_bloom_probe for each value: one "excluded" flag per row group.
std::vector<std::vector<bool>> DuckProbe(const std::string& path, const std::string& column,
                                         const std::vector<std::string>& sql_values) {
  std::string sql;
  for (size_t i = 0; i < sql_values.size(); ++i) {
    if (i) sql += " UNION ALL ";
    sql += "SELECT " + std::to_string(i) + " AS i, row_group_id, bloom_filter_excludes FROM " +
           "parquet_bloom_probe('" + path + "', '" + column + "', " + sql_values[i] + ")";
  }
  sql = "SELECT * FROM (" + sql + ") ORDER BY i, row_group_id";
  auto res = RunOracle("sql " + ShellQuote(sql));
  EXPECT_EQ(res.exit_code, 0) << sql;
  std::vector<std::vector<bool>> out(sql_values.size());
  for (const auto& line : SplitLines(res.out)) {
    // {"i":3,"row_group_id":0,"bloom_filter_excludes":true}
    const size_t i = std::stoul(line.substr(line.find(':') + 1));
    out.at(i).push_back(line.find("\"bloom_filter_excludes\":true") != std::string::npos);
  }
  return out;
}

std::string Quote(const std::string& s) {
  return "'" + s + "'";
}

TEST(BloomFilterDuckDb, ReadsOurFilesAndAgreesBitForBit) {
  TempDir dir;
  const std::string path = (dir.path() / "ours.parquet").string();
  const TestTable t = MakeTable(3500, 5);
  {
    auto f = storage::CreateLocalFile(path);
    ParquetWriter w(f.get(), t.schema, BloomOptions());
    w.Write(t.batch);
    w.Close();
  }
  // DuckDB reads the file normally.
  auto count = RunOracle("sql " + ShellQuote("SELECT count(*) AS c, count(DISTINCT id) AS d "
                                             "FROM '" +
                                             path + "'"));
  ASSERT_EQ(count.exit_code, 0);
  EXPECT_EQ(count.out, "{\"c\":3500,\"d\":" + std::to_string(t.ids.size()) + "}\n");
  auto r = ParquetFileReader::OpenPath(path);
  // Strings: present ids of several row groups and absent ones.
  std::vector<std::string> ids, sql;
  for (size_t j = 0; j < t.ids.size(); j += 211) ids.push_back(t.ids[j]);
  for (int p = 0; p < 40; ++p) ids.push_back("absent-" + std::to_string(p));
  for (const auto& s : ids) sql.push_back(Quote(s));
  auto duck = DuckProbe(path, "id", sql);
  int excluded = 0;
  for (size_t v = 0; v < ids.size(); ++v) {
    ASSERT_EQ(duck[v].size(), 4u);
    for (int g = 0; g < 4; ++g) {
      const bool ours = !r->ReadBloomFilter(g, 0)->CheckHash(BloomFilter::HashBytes(ids[v]));
      EXPECT_EQ(duck[v][g], ours) << ids[v] << " row group " << g;
      excluded += ours;
    }
  }
  EXPECT_GT(excluded, static_cast<int>(ids.size()) * 4 * 7 / 10);  // most probes excluded
  // int64 and int32.
  std::vector<int64_t> longs;
  for (size_t j = 0; j < t.longs.size(); j += 307) longs.push_back(t.longs[j]);
  for (int64_t p = 0; p < 20; ++p) longs.push_back(p);
  sql.clear();
  for (int64_t v : longs) sql.push_back(std::to_string(v) + "::BIGINT");
  duck = DuckProbe(path, "n", sql);
  for (size_t v = 0; v < longs.size(); ++v) {
    for (int g = 0; g < 4; ++g) {
      EXPECT_EQ(duck[v][g], !r->ReadBloomFilter(g, 1)->CheckHash(BloomFilter::HashInt64(longs[v])))
          << longs[v];
    }
  }
  sql.clear();
  std::vector<int32_t> ints;
  for (int32_t v = -30; v < 30; ++v) {
    ints.push_back(v);
    sql.push_back(std::to_string(v) + "::INTEGER");
  }
  duck = DuckProbe(path, "k", sql);
  int out_of_range_excluded = 0;
  for (size_t v = 0; v < ints.size(); ++v) {
    const bool present = ints[v] >= -25 && ints[v] < 25;
    for (int g = 0; g < 4; ++g) {
      const bool ours = !r->ReadBloomFilter(g, 2)->CheckHash(BloomFilter::HashInt32(ints[v]));
      EXPECT_EQ(duck[v][g], ours) << ints[v];
      if (present) {
        EXPECT_FALSE(ours) << ints[v];
      } else {
        out_of_range_excluded += ours;
      }
    }
  }
  EXPECT_GE(out_of_range_excluded, 4 * 10 * 7 / 10);
}

TEST(BloomFilterDuckDb, WeReadTheFiltersDuckDbWrites) {
  TempDir dir;
  const std::string path = (dir.path() / "duck.parquet").string();
  // DuckDB writes filters for the column chunks it dictionary-encodes (strings and
  // integers with repeats; not every chunk, so each is checked against the footer).
  auto w = RunOracle("sql " + ShellQuote("COPY (SELECT 'v' || (i % 700)::VARCHAR AS s, "
                                         "(i % 90)::BIGINT * 1000003 AS n, "
                                         "(i % 500)::INTEGER - 250 AS k FROM range(10000) t(i)) "
                                         "TO '" +
                                         path + "' (FORMAT parquet, ROW_GROUP_SIZE 4096)"));
  ASSERT_EQ(w.exit_code, 0);
  auto r = ParquetFileReader::OpenPath(path);
  ASSERT_GE(r->num_row_groups(), 2);
  int filters = 0;
  for (int g = 0; g < r->num_row_groups(); ++g) {
    auto batch = r->ReadRowGroup(g);
    for (int c = 0; c < 3; ++c) {
      auto f = r->ReadBloomFilter(g, c);
      const auto& md = *r->metadata().row_groups[g].columns[c].meta_data;
      ASSERT_EQ(f.has_value(), md.bloom_filter_offset.has_value());
      if (!f) continue;
      ++filters;
      for (int64_t i = 0; i < batch.num_rows(); ++i) {
        const uint64_t h = c == 0   ? BloomFilter::HashBytes(batch.column(0).GetString(i))
                           : c == 1 ? BloomFilter::HashInt64(batch.column(1).Get<int64_t>(i))
                                    : BloomFilter::HashInt32(batch.column(2).Get<int32_t>(i));
        ASSERT_TRUE(f->CheckHash(h)) << "row group " << g << " column " << c << " row " << i;
      }
    }
  }
  ASSERT_GE(filters, 4);
  ASSERT_TRUE(r->ReadBloomFilter(0, 0));
  int absent = 0;
  for (int p = 0; p < 200; ++p) {
    absent += !r->ReadBloomFilter(0, 0)->CheckHash(BloomFilter::HashBytes("w" + std::to_string(p)));
  }
  EXPECT_GT(absent, 180);
  // And DuckDB's own probe agrees with ours (no filter: not excluded).
  std::vector<std::string> vals, sql;
  for (int p = 0; p < 30; ++p) vals.push_back("v" + std::to_string(p * 37));
  for (int p = 0; p < 30; ++p) vals.push_back("w" + std::to_string(p));
  for (const auto& v : vals) sql.push_back(Quote(v));
  auto duck = DuckProbe(path, "s", sql);
  for (size_t v = 0; v < vals.size(); ++v) {
    ASSERT_EQ(static_cast<int>(duck[v].size()), r->num_row_groups());
    for (int g = 0; g < r->num_row_groups(); ++g) {
      auto f = r->ReadBloomFilter(g, 0);
      EXPECT_EQ(duck[v][g], f && !f->CheckHash(BloomFilter::HashBytes(vals[v]))) << vals[v];
    }
  }
}

}  // namespace
}  // namespace cpglake::parquet
