// The writer, proven by our reader (property round trips) and by DuckDB (it reads our
// files value for value, and we read the files it writes).
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "columnar/value.h"
#include "columnar/value_format.h"
#include "common/error.h"
#include "parquet/file_reader.h"
#include "parquet/file_writer.h"
#include "random_data.h"
#include "storage/writable_file.h"
#include "test_util.h"

namespace cpglake::parquet {
namespace {

using columnar::Column;
using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;
using columnar::TypeId;
using ::cpglake::testing::RunOracle;
using ::cpglake::testing::ShellQuote;
using ::cpglake::testing::SplitLines;
using ::cpglake::testing::TempDir;

std::vector<std::string> CanonicalRows(const RecordBatch& b) {
  std::vector<std::string> rows;
  for (int64_t r = 0; r < b.num_rows(); ++r) {
    std::string line;
    columnar::AppendJsonRow(b, r, columnar::JsonStyle::kCanonical, &line);
    rows.push_back(std::move(line));
  }
  return rows;
}

std::string WriteToMemory(const Schema& schema, const std::vector<RecordBatch>& batches,
                          const WriterOptions& opt) {
  storage::BufferWritableFile sink;
  ParquetWriter w(&sink, schema, opt);
  for (const auto& b : batches) w.Write(b);
  w.Close();
  return sink.Release();
}

RecordBatch ReadFromMemory(std::string bytes) {
  auto reader = ParquetFileReader::Open(storage::MakeBufferFile(std::move(bytes)));
  return reader->ReadAll();
}

std::string Sha256Hex(const std::string& data) {
  unsigned char md[32];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < len; ++i) {
    s += kHex[md[i] >> 4];
    s += kHex[md[i] & 15];
  }
  return s;
}

// "<rows> <sha256 of sorted canonical lines joined by \n>" — the oracle's `hash` output.
std::string CanonicalHash(const std::vector<RecordBatch>& batches) {
  std::vector<std::string> rows;
  for (const auto& b : batches) {
    auto r = CanonicalRows(b);
    rows.insert(rows.end(), std::make_move_iterator(r.begin()), std::make_move_iterator(r.end()));
  }
  std::sort(rows.begin(), rows.end());
  std::string joined;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i) joined += '\n';
    joined += rows[i];
  }
  return std::to_string(rows.size()) + " " + Sha256Hex(joined);
}

class WriterRoundTrip : public ::testing::TestWithParam<int> {};

TEST_P(WriterRoundTrip, RandomSchemaAndDataSurviveOurReader) {
  std::mt19937_64 rng(1000 + GetParam());
  testing::RandomOptions opt;
  Schema schema = testing::RandomSchema(rng, 1 + static_cast<int>(rng() % 6), opt);
  SCOPED_TRACE(schema.ToString());
  std::vector<RecordBatch> batches;
  for (int i = 0; i < 3; ++i)
    batches.push_back(testing::RandomBatch(rng, schema, rng() % 300, opt));
  WriterOptions wo;
  // Tiny row groups and pages so every boundary is crossed.
  wo.row_group_rows = 1 + static_cast<int64_t>(rng() % 200);
  wo.page_bytes = 1 + static_cast<int64_t>(rng() % 2000);
  wo.dictionary = rng() % 2;
  wo.dictionary_page_bytes = 100 + static_cast<int64_t>(rng() % 3000);
  static const Codec kCodecs[] = {Codec::kUncompressed, Codec::kSnappy, Codec::kGzip,
                                  Codec::kLz4Raw,       Codec::kZstd,   Codec::kBrotli};
  wo.codec = kCodecs[rng() % 6];
  std::string bytes = WriteToMemory(schema, batches, wo);
  RecordBatch back = ReadFromMemory(bytes);
  ASSERT_TRUE(back.schema().Equals(schema)) << back.schema().ToString();
  std::vector<std::string> expected;
  for (const auto& b : batches) {
    auto r = CanonicalRows(b);
    expected.insert(expected.end(), r.begin(), r.end());
  }
  auto got = CanonicalRows(back);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], expected[i]) << "row " << i;
  // Same bytes with two threads: determinism.
  wo.threads = 2;
  EXPECT_EQ(WriteToMemory(schema, batches, wo), bytes);
}

INSTANTIATE_TEST_SUITE_P(Seeds, WriterRoundTrip, ::testing::Range(0, 60));

TEST(WriterStatisticsTest, BoundsHoldEveryValue) {
  std::mt19937_64 rng(77);
  testing::RandomOptions opt;
  opt.allow_nested = false;
  for (int iter = 0; iter < 20; ++iter) {
    Schema schema = testing::RandomSchema(rng, 4, opt);
    RecordBatch b = testing::RandomBatch(rng, schema, 500, opt);
    WriterOptions wo;
    wo.max_statistics_bytes = 16;
    auto reader = ParquetFileReader::Open(storage::MakeBufferFile(WriteToMemory(schema, {b}, wo)));
    for (size_t f = 0; f < schema.num_fields(); ++f) {
      auto st = reader->RowGroupStats(0, static_cast<int>(f));
      const Column& col = b.column(f);
      ASSERT_TRUE(st.null_count.has_value());
      EXPECT_EQ(*st.null_count, col.null_count()) << schema.field(f).name;
      for (int64_t r = 0; r < col.length(); ++r) {
        if (col.IsNull(r)) continue;
        auto v = columnar::GetValue(col, r);
        if ((v.type_id() == TypeId::kFloat32 || v.type_id() == TypeId::kFloat64) &&
            std::isnan(v.as_double())) {
          continue;
        }
        if (st.min) {
          EXPECT_LE(columnar::CompareValues(*st.min, v), 0) << v.ToString();
        }
        if (st.max) {
          EXPECT_GE(columnar::CompareValues(*st.max, v), 0) << v.ToString();
        }
      }
    }
  }
}

TEST(WriterStatisticsTest, LongStringsGetTruncatedValidBounds) {
  Schema schema({Field("s", DataType::String())});
  RecordBatch b = RecordBatch::MakeEmpty(schema);
  b.mutable_column(0).AppendString(std::string(100, 'b') + "zzz");
  b.mutable_column(0).AppendString(std::string(100, 'b') + "\xff\xff");
  b.mutable_column(0).AppendString("b中文中文中文中文中文中文中文中文中文中文中文中文中文中文");
  WriterOptions wo;
  wo.max_statistics_bytes = 10;
  auto reader = ParquetFileReader::Open(storage::MakeBufferFile(WriteToMemory(schema, {b}, wo)));
  const auto& st = *reader->metadata().row_groups[0].columns[0].meta_data->statistics;
  ASSERT_TRUE(st.min_value && st.max_value);
  EXPECT_LE(st.min_value->size(), 10u);
  EXPECT_LE(st.max_value->size(), 10u);
  EXPECT_EQ(st.is_max_value_exact, false);
  for (int64_t r = 0; r < 3; ++r) {
    std::string_view v = b.column(0).GetString(r);
    EXPECT_LE(std::string_view(*st.min_value), v);
    EXPECT_GT(std::string_view(*st.max_value), v);
  }
}

TEST(WriterTest, DictionaryFallsBackToPlainWhenTooLarge) {
  Schema schema({Field("id", DataType::String(), false), Field("kind", DataType::String(), false)});
  RecordBatch b = RecordBatch::MakeEmpty(schema);
  for (int i = 0; i < 50000; ++i) {
    b.mutable_column(0).AppendString("id-" + std::to_string(i * 7919));
    b.mutable_column(1).AppendString(i % 3 ? "CALL" : "DEF");
  }
  WriterOptions wo;
  wo.dictionary_page_bytes = 4096;
  auto bytes = WriteToMemory(schema, {b}, wo);
  auto reader = ParquetFileReader::Open(storage::MakeBufferFile(bytes));
  const auto& rg = reader->metadata().row_groups[0];
  auto has = [](const ColumnMetaData& m, Encoding e) {
    return std::find(m.encodings.begin(), m.encodings.end(), e) != m.encodings.end();
  };
  EXPECT_FALSE(has(*rg.columns[0].meta_data, Encoding::RLE_DICTIONARY));
  EXPECT_TRUE(has(*rg.columns[1].meta_data, Encoding::RLE_DICTIONARY));
  EXPECT_EQ(CanonicalRows(reader->ReadAll()), CanonicalRows(b));
}

// zstd above level 1 probes each column on its first sizeable page: a column of random hex
// ids (no long repeats) is written at level 1, where level 3 is slower and no smaller;
// repetitive text keeps the configured level. The file reads back, also in DuckDB.
TEST(WriterTest, AdaptiveZstdLevelPerColumn) {
  Schema schema({Field("id", DataType::String(), false), Field("qname", DataType::String())});
  std::mt19937_64 rng(7);
  std::vector<RecordBatch> batches;
  for (int b = 0; b < 3; ++b) {
    RecordBatch batch = RecordBatch::MakeEmpty(schema);
    for (int i = 0; i < 10000; ++i) {
      char hex[40];
      std::snprintf(hex, sizeof(hex), "%016llx%016llx", static_cast<unsigned long long>(rng()),
                    static_cast<unsigned long long>(rng()));
      batch.mutable_column(0).AppendString(hex);
      const int row = b * 10000 + i;
      static const char* kNames[] = {"self", "x", "len", "append", "get", "path", "os", "name"};
      char qname[96];
      std::snprintf(qname, sizeof(qname), "pkg%03d.module_%07d.%s_%d", row / 50000,
                    1000 + row / 5000, kNames[rng() % 8], (row % 5000) / 50);
      batch.mutable_column(1).AppendString(qname);
    }
    batches.push_back(std::move(batch));
  }
  auto chunk_sizes = [&](const WriterOptions& o) {
    const std::string bytes = WriteToMemory(schema, batches, o);
    auto reader = ParquetFileReader::Open(storage::MakeBufferFile(bytes));
    EXPECT_EQ(CanonicalRows(reader->ReadAll()), CanonicalRows([&] {
                RecordBatch all = RecordBatch::MakeEmpty(schema);
                for (const auto& b : batches) all.Append(b);
                return all;
              }()));
    std::vector<int64_t> sizes(2, 0);
    for (const auto& rg : reader->metadata().row_groups) {
      for (size_t c = 0; c < 2; ++c) sizes[c] += rg.columns[c].meta_data->total_compressed_size;
    }
    return sizes;
  };
  WriterOptions level3;
  level3.codec = Codec::kZstd;
  level3.compression_level = 3;
  level3.row_group_rows = 10000;
  level3.dictionary = false;
  WriterOptions fixed3 = level3, fixed1 = level3;
  fixed3.adaptive_zstd_level = false;
  fixed1.adaptive_zstd_level = false;
  fixed1.compression_level = 1;
  const auto adaptive = chunk_sizes(level3), at3 = chunk_sizes(fixed3), at1 = chunk_sizes(fixed1);
  EXPECT_EQ(adaptive[0], at1[0]) << "random ids: level 1 (level 3 would be " << at3[0] << ")";
  EXPECT_LE(at1[0] * 100, at3[0] * 102) << "level 3 buys nothing on random ids";
  EXPECT_EQ(adaptive[1], at3[1]) << "repetitive text keeps level 3 (level 1: " << at1[1] << ")";
  EXPECT_LT(at3[1], at1[1]);
  // The default level (0 = zstd's 3) probes too; threads change nothing.
  WriterOptions by_default = level3, threaded = level3;
  by_default.compression_level = 0;
  threaded.threads = 2;
  EXPECT_EQ(WriteToMemory(schema, batches, by_default), WriteToMemory(schema, batches, level3));
  EXPECT_EQ(WriteToMemory(schema, batches, threaded), WriteToMemory(schema, batches, level3));

  TempDir dir;
  const std::string path = (dir.path() / "adaptive.parquet").string();
  WriteParquetFile(path, schema, batches, level3);
  auto duck = RunOracle("hash " + ShellQuote(path));
  ASSERT_EQ(duck.exit_code, 0);
  EXPECT_EQ(SplitLines(duck.out).at(0), CanonicalHash(batches));
}

TEST(WriterTest, RejectsNullsInRequiredColumnsAndSchemaMismatch) {
  Schema schema({Field("a", DataType::Int32(), false)});
  RecordBatch b = RecordBatch::MakeEmpty(Schema({Field("a", DataType::Int32(), true)}));
  b.mutable_column(0).AppendNull();
  storage::BufferWritableFile sink;
  ParquetWriter w(&sink, schema, {});
  EXPECT_THROW(w.Write(b), InvalidInput);
  Schema nested({Field("s", DataType::Struct({Field("x", DataType::Int32(), false)}))});
  RecordBatch nb = RecordBatch::MakeEmpty(nested);
  nb.mutable_column(0).mutable_child(0).AppendNull();
  nb.mutable_column(0).CloseStruct();
  storage::BufferWritableFile sink2;
  ParquetWriter w2(&sink2, nested, {});
  w2.Write(nb);
  EXPECT_THROW(w2.Close(), InvalidInput);
}

// A mixed-type table shaped for the DuckDB check: every type, nulls, nesting.
Schema MixedSchema() {
  return Schema({
      Field("id", DataType::Int64(), false),
      Field("flag", DataType::Boolean()),
      Field("tiny", DataType::Int8()),
      Field("small", DataType::Int16()),
      Field("num", DataType::Int32()),
      Field("f32", DataType::Float32()),
      Field("f64", DataType::Float64()),
      Field("dec9", DataType::Decimal(9, 2)),
      Field("dec18", DataType::Decimal(18, 6)),
      Field("dec38", DataType::Decimal(38, 10)),
      Field("name", DataType::String()),
      Field("blob", DataType::Binary()),
      Field("day", DataType::Date()),
      Field("ts", DataType::Timestamp()),
      Field("ts_ntz", DataType::TimestampNtz()),
      Field("tags", DataType::List(DataType::String())),
      Field("point",
            DataType::Struct({Field("x", DataType::Float64()), Field("y", DataType::Int32())})),
      Field("props", DataType::Map(DataType::String(), DataType::Int64())),
  });
}

class DuckDbReadsOurFiles : public ::testing::TestWithParam<Codec> {};

TEST_P(DuckDbReadsOurFiles, MillionRowMixedTable) {
  std::mt19937_64 rng(42);
  Schema schema = MixedSchema();
  testing::RandomOptions opt;
  std::vector<RecordBatch> batches;
  const int64_t kRows = 1000000, kBatch = 100000;
  for (int64_t done = 0; done < kRows; done += kBatch) {
    RecordBatch b = RecordBatch::MakeEmpty(schema);
    for (int64_t r = 0; r < kBatch; ++r) b.mutable_column(0).Append<int64_t>(done + r);
    for (size_t c = 1; c < schema.num_fields(); ++c) {
      for (int64_t r = 0; r < kBatch; ++r) {
        testing::AppendRandomValue(rng, b.mutable_column(c), schema.field(c).nullable, opt);
      }
    }
    batches.push_back(std::move(b));
  }
  TempDir dir;
  std::string path = (dir.path() / "mixed.parquet").string();
  WriterOptions wo;
  wo.codec = GetParam();
  wo.row_group_rows = 300000;
  WriteParquetFile(path, schema, batches, wo);
  auto duck = RunOracle("hash " + ShellQuote(path));
  ASSERT_EQ(duck.exit_code, 0);
  EXPECT_EQ(SplitLines(duck.out).at(0), CanonicalHash(batches));
}

INSTANTIATE_TEST_SUITE_P(Codecs, DuckDbReadsOurFiles,
                         ::testing::Values(Codec::kZstd, Codec::kSnappy, Codec::kGzip,
                                           Codec::kLz4Raw, Codec::kBrotli, Codec::kUncompressed),
                         [](const auto& info) { return std::string(CodecName(info.param)); });

class WeReadDuckDbFiles : public ::testing::TestWithParam<std::string> {};

TEST_P(WeReadDuckDbFiles, EveryTypeEqualsDuckDbsOwnRead) {
  TempDir dir;
  std::string path = (dir.path() / "duck.parquet").string();
  const std::string query =
      "SELECT i::BIGINT AS id, (i % 2 = 0) AS b, (i % 100)::TINYINT AS t, (i % 4000 * 7)::SMALLINT "
      "AS s,"
      " (i * 31)::INTEGER AS n, (i % 256)::UTINYINT AS ut, (i * 3)::UINTEGER AS ui,"
      " (i / 7.0)::FLOAT AS f, (i / 3.0)::DOUBLE AS d,"
      " (i * 1.25)::DECIMAL(9,2) AS d9, (i * 1.000001)::DECIMAL(18,6) AS d18,"
      " (i * 12345678901.123)::DECIMAL(38,10) AS d38,"
      " CASE WHEN i % 5 = 0 THEN NULL ELSE 'name-' || i::VARCHAR END AS str,"
      " ('\\x' || lpad(to_hex(i % 256), 2, '0'))::BLOB AS bl,"
      " DATE '1969-12-25' + (i % 1000)::INTEGER AS day,"
      " TIMESTAMP '1960-01-01 00:00:00.123456' + to_microseconds(i * 1000003) AS ts,"
      " TIMESTAMPTZ '2020-01-01 00:00:00+00' + to_seconds(i) AS tstz,"
      " gen_random_uuid() IS NOT NULL AS has_uuid,"
      " [i, i + 1, NULL]::BIGINT[] AS lst,"
      " {'x': i, 'y': 'v' || (i % 3)::VARCHAR} AS st,"
      " MAP {'k' || (i % 4)::VARCHAR: i} AS mp,"
      " CASE WHEN i % 7 = 0 THEN NULL ELSE [[i], [], NULL] END AS nested"
      " FROM range(5000) r(i)";
  auto w =
      RunOracle("sql " + ShellQuote("COPY (" + query + ") TO '" + path + "' (FORMAT parquet, " +
                                    GetParam() + ", ROW_GROUP_SIZE 1000)"));
  ASSERT_EQ(w.exit_code, 0);
  auto reader = ParquetFileReader::OpenPath(path);
  auto ours = CanonicalRows(reader->ReadAll());
  auto duck = RunOracle("read " + ShellQuote(path));
  ASSERT_EQ(duck.exit_code, 0);
  auto theirs = SplitLines(duck.out);
  ASSERT_EQ(ours.size(), theirs.size());
  for (size_t i = 0; i < ours.size(); ++i) ASSERT_EQ(ours[i], theirs[i]) << "row " << i;
}

// The parameter is the COPY option list after FORMAT: codecs, and DuckDB's v2 writer
// (data pages v2, DELTA_BINARY_PACKED / DELTA_LENGTH_BYTE_ARRAY / BYTE_STREAM_SPLIT).
INSTANTIATE_TEST_SUITE_P(Options, WeReadDuckDbFiles,
                         ::testing::Values("COMPRESSION zstd", "COMPRESSION snappy",
                                           "COMPRESSION gzip", "COMPRESSION lz4_raw",
                                           "COMPRESSION brotli", "COMPRESSION uncompressed",
                                           "COMPRESSION zstd, PARQUET_VERSION V2",
                                           "COMPRESSION snappy, PARQUET_VERSION V2"));

}  // namespace
}  // namespace cpglake::parquet
