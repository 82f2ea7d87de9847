// Delta stats from Parquet footers (delta/footer_stats.h) against the same stats computed from
// the data (FileStatsCollector::Update): files of our writer (row groups, nulls, every bounded
// type, truncated string statistics), DuckDB-written files, and the parquet-testing corpus
// (old writers: no statistics, deprecated min/max only, no column orders, NaN).
#include "delta/footer_stats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>

#include "columnar/value.h"
#include "common/error.h"
#include "parquet/file_writer.h"
#include "test_util.h"

namespace cpglake::delta {
namespace {

namespace fs = std::filesystem;
using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;
using columnar::Value;
using testing::RunOracle;
using testing::ShellQuote;
using testing::TempDir;

struct BothWays {
  std::string footer;  // footer stats, the data read only where the footer cannot give them
  std::string data;    // every column from the data
  FooterStatsOutcome outcome;
  std::vector<FileStatsCollector::LeafColumn> leaves;
  int64_t rows_read_for_stats = 0;  // row groups read because of from_data leaves
};

BothWays StatsBothWays(const std::string& path) {
  auto reader = parquet::ParquetFileReader::OpenPath(path);
  StatsConfig config;
  config.table_schema = reader->schema();
  config.num_indexed_cols = -1;
  FileStatsCollector footer(config), data(config);
  BothWays out;
  out.outcome = MergeFooterStats(*reader, config.table_schema, &footer);
  out.leaves = footer.Leaves();
  for (int rg = 0; rg < reader->num_row_groups(); ++rg) {
    const RecordBatch batch = reader->ReadRowGroup(rg);
    data.Update(batch);
    footer.UpdateLeaves(batch, out.outcome.from_data);
  }
  out.footer = footer.ToJson();
  out.data = data.ToJson();
  return out;
}

// leaf path ("s.a") → why it was read ("" when the footer gave it).
std::map<std::string, std::string> Reasons(const BothWays& b) {
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < b.leaves.size(); ++i) {
    std::string path;
    for (const auto& p : b.leaves[i].path) path += (path.empty() ? "" : ".") + p;
    out[path] = b.outcome.reasons[i];
  }
  return out;
}

Schema WriterSchema() {
  return Schema({Field("id", DataType::Int64(), false), Field("small", DataType::Int16()),
                 Field("name", DataType::String()), Field("d", DataType::Date()),
                 Field("ts", DataType::Timestamp()), Field("dec", DataType::Decimal(10, 2)),
                 Field("flag", DataType::Boolean()), Field("x", DataType::Float64()),
                 Field("bin", DataType::Binary()),
                 Field("s", DataType::Struct({Field("a", DataType::Int32())}))});
}

RecordBatch WriterRows(int rows, const std::string& long_suffix) {
  const Schema schema = WriterSchema();
  RecordBatch b = RecordBatch::MakeEmpty(schema);
  for (int i = 0; i < rows; ++i) {
    const bool null = i % 5 == 3;
    auto put = [&](size_t c, const Value& v) {
      columnar::AppendValue(b.mutable_column(c), null && c > 0 ? Value::Null(v.type()) : v);
    };
    put(0, Value::Int64(i * 37 % 101 - 50));
    put(1, Value::Integer(DataType::Int16(), -i));
    // Unicode past the 32-character prefix, and characters >= U+FFFD after it.
    put(2, Value::String("näme-" + std::to_string(i * 7 % 23) + "-αβγδεζηθικλμνξοπρστυφχψω" +
                         (i == 4 ? "\xEF\xBF\xBF\xEF\xBF\xBF" : "") + long_suffix));
    put(3, Value::Date(19000 + i * 3 % 17));
    put(4, Value::Timestamp(int64_t{1700000000} * 1000000 + i * 1234567));  // not whole ms
    put(5, Value::Decimal(i * 12345 - 99999, 10, 2));
    put(6, Value::Boolean(i % 2 == 0));
    put(7, Value::Float64(i == 2 ? -0.0 : i * 0.5 - 3));
    put(8, Value::Binary(std::string(1, static_cast<char>(i))));
    put(9, Value::Nested(schema.field(9).type, {Value::Int32(i)}));
  }
  b.set_num_rows(rows);
  return b;
}

TEST(FooterStatsTest, WriterFilesGiveTheDataStats) {
  TempDir tmp;
  const std::string path = (tmp.path() / "w.parquet").string();
  parquet::WriterOptions wo;
  wo.row_group_rows = 7;
  parquet::WriteParquetFile(path, WriterSchema(), {WriterRows(40, "")}, wo);
  const BothWays b = StatsBothWays(path);
  EXPECT_EQ(b.footer, b.data);
  const auto reasons = Reasons(b);
  for (const char* from_footer : {"id", "small", "name", "d", "ts", "dec", "flag", "bin"}) {
    EXPECT_EQ(reasons.at(from_footer), "") << from_footer;
  }
  EXPECT_EQ(reasons.at("x"), "no NaN count (NaN would be the max)");
  EXPECT_EQ(reasons.at("s.a"), "nested column");
  EXPECT_EQ(b.outcome.leaves_from_footer, 8);
  EXPECT_EQ(b.outcome.leaves_from_data, 2);
  EXPECT_NE(b.footer.find("\"numRecords\":40"), std::string::npos);
}

TEST(FooterStatsTest, TruncatedMaxIsReadFromTheData) {
  TempDir tmp;
  // Strings over 64 bytes: the writer truncates their statistics (is_max_value_exact false).
  const std::string path = (tmp.path() / "long.parquet").string();
  parquet::WriteParquetFile(path, WriterSchema(), {WriterRows(20, std::string(80, 'z'))});
  const BothWays b = StatsBothWays(path);
  EXPECT_EQ(Reasons(b).at("name"), "inexact (truncated) max");
  EXPECT_EQ(b.footer, b.data);
  // Without truncation the footer gives them.
  parquet::WriterOptions wo;
  wo.max_statistics_bytes = 0;
  const std::string exact = (tmp.path() / "exact.parquet").string();
  parquet::WriteParquetFile(exact, WriterSchema(), {WriterRows(20, std::string(80, 'z'))}, wo);
  const BothWays e = StatsBothWays(exact);
  EXPECT_EQ(Reasons(e).at("name"), "");
  EXPECT_EQ(e.footer, e.data);
}

TEST(FooterStatsTest, MissingNullableColumnIsAllNullNonNullableIsRead) {
  TempDir tmp;
  const std::string path = (tmp.path() / "w.parquet").string();
  parquet::WriteParquetFile(path, WriterSchema(), {WriterRows(9, "")});
  auto reader = parquet::ParquetFileReader::OpenPath(path);
  std::vector<Field> fields = WriterSchema().fields();
  fields.emplace_back("extra", DataType::Int64(), true);
  fields.emplace_back("required_extra", DataType::String(), false);
  StatsConfig config;
  config.table_schema = Schema(fields);
  FileStatsCollector stats(config);
  const FooterStatsOutcome o = MergeFooterStats(*reader, config.table_schema, &stats);
  const auto leaves = stats.Leaves();
  ASSERT_EQ(leaves.size(), 12u);
  EXPECT_EQ(leaves[10].path, std::vector<std::string>{"extra"});
  EXPECT_FALSE(o.from_data[10]);
  EXPECT_TRUE(o.from_data[11]);
  EXPECT_EQ(o.reasons[11], "a non-nullable column missing from the file");
  EXPECT_NE(stats.ToJson().find("\"extra\":9"), std::string::npos) << stats.ToJson();
}

TEST(FooterStatsTest, DuckDbFilesGiveTheDataStats) {
  TempDir tmp;
  const std::string path = (tmp.path() / "duck.parquet").string();
  auto r = RunOracle(
      "sql " + ShellQuote("COPY (SELECT i::BIGINT AS id, i::INTEGER % 7 - 3 AS small, "
                          "CASE WHEN i % 9 = 4 THEN NULL ELSE 'näme ' || (i * 7 % 23) || "
                          "' αβγδεζηθικλμνξοπρστυφχψω' END AS name, "
                          "DATE '2024-01-01' + (i % 40)::INT AS d, "
                          "TIMESTAMP '2024-01-01 00:00:00' + to_microseconds(i * 1234567) AS ts, "
                          "(i * 3.25 - 50)::DECIMAL(12,2) AS dec, i % 2 = 0 AS flag, "
                          "(i * 0.5 - 3)::DOUBLE AS x, {'a': i} AS s FROM range(500) t(i)) TO '" +
                          path + "' (FORMAT parquet, ROW_GROUP_SIZE 100)"));
  ASSERT_EQ(r.exit_code, 0);
  const BothWays b = StatsBothWays(path);
  EXPECT_EQ(b.footer, b.data);
  const auto reasons = Reasons(b);
  for (const char* from_footer : {"id", "small", "name", "d", "ts", "dec", "flag"}) {
    EXPECT_EQ(reasons.at(from_footer), "") << from_footer;
  }
  EXPECT_EQ(reasons.at("s.a"), "nested column");
  EXPECT_EQ(reasons.at("x"), "no NaN count (NaN would be the max)");  // DuckDB writes none
  std::string summary;
  for (const auto& [k, v] : reasons) summary += k + "=" + (v.empty() ? "footer" : v) + "; ";
  std::cout << "DuckDB: " << summary << "\n";
}

// The compatibility corpus: wherever our reader reads a file, the footer stats (with the data
// read for the columns the footer cannot give) equal the stats from the data.
TEST(FooterStatsTest, ParquetTestingCorpus) {
  const fs::path dir = testing::TestDataDir() / "parquet-testing" / "data";
  if (!fs::is_directory(dir)) GTEST_SKIP() << dir << " missing";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".parquet") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  int compared = 0, skipped = 0, with_footer = 0;
  int64_t from_footer = 0, from_data = 0;
  std::map<std::string, int> reasons;
  for (const auto& f : files) {
    BothWays b;
    try {
      b = StatsBothWays(f.string());
    } catch (const Error&) {
      ++skipped;  // unreadable or unsupported by our reader (covered by the parquet tests)
      continue;
    }
    ++compared;
    EXPECT_EQ(b.footer, b.data) << f.filename();
    from_footer += b.outcome.leaves_from_footer;
    from_data += b.outcome.leaves_from_data;
    if (b.outcome.leaves_from_footer > 0) ++with_footer;
    for (const auto& why : b.outcome.reasons) {
      if (!why.empty()) ++reasons[why];
    }
  }
  std::cout << "parquet-testing: " << compared << " files compared, " << skipped << " skipped, "
            << with_footer << " with footer stats; leaves " << from_footer << " from footers, "
            << from_data << " from data\n";
  for (const auto& [why, n] : reasons) std::cout << "  " << n << " × " << why << "\n";
  EXPECT_GT(compared, 30);
  EXPECT_GT(from_footer, 50);
  EXPECT_GT(reasons["no null count"] + reasons["no usable min/max"], 0);
}

// Spark-written (parquet-mr) data files of the Delta acceptance corpus.
TEST(FooterStatsTest, SparkFilesOfTheDeltaAcceptanceCorpus) {
  const fs::path dir = testing::TestDataDir() / "delta-acceptance";
  if (!fs::is_directory(dir)) GTEST_SKIP() << dir << " missing";
  int compared = 0, skipped = 0;
  int64_t from_footer = 0, from_data = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file() || e.path().extension() != ".parquet" ||
        e.path().string().find("_delta_log") != std::string::npos) {
      continue;
    }
    BothWays b;
    try {
      b = StatsBothWays(e.path().string());
    } catch (const Error&) {
      ++skipped;
      continue;
    }
    ++compared;
    EXPECT_EQ(b.footer, b.data) << e.path();
    from_footer += b.outcome.leaves_from_footer;
    from_data += b.outcome.leaves_from_data;
  }
  std::cout << "delta-acceptance: " << compared << " files compared, " << skipped
            << " skipped; leaves " << from_footer << " from footers, " << from_data
            << " from data\n";
  EXPECT_GT(compared, 300);
  EXPECT_GT(from_footer, 300);
}

}  // namespace
}  // namespace cpglake::delta
