// Row-group skipping by Parquet Bloom filters: point lookups on random ids (which min/max
// cannot prune) read about one row group, with the same rows as a scan without filters;
// the Delta writer names filter columns logically, also under column mapping.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "columnar/value_format.h"
#include "common/error.h"
#include "delta/scan.h"
#include "delta/snapshot.h"
#include "delta/writer.h"
#include "expr/parser.h"
#include "parquet/file_reader.h"
#include "storage/object_store.h"
#include "test_util.h"

namespace cpglake::delta {
namespace {

using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;
using ::cpglake::testing::TempDir;

std::string RandomHex(std::mt19937_64& rng) {
  static const char kHex[] = "0123456789abcdef";
  std::string s(32, '0');
  for (auto& c : s) c = kHex[rng() & 15];
  return s;
}

struct Data {
  RecordBatch batch;
  std::vector<std::string> ids;
  std::vector<int64_t> seqs;
};

// 10,000 rows: id (random hex), seq (random int64), kind (3 values), part (2 values).
Data MakeData() {
  Data d;
  Schema schema({Field("id", DataType::String(), false), Field("seq", DataType::Int64(), false),
                 Field("kind", DataType::String(), true), Field("part", DataType::String())});
  d.batch = RecordBatch::MakeEmpty(schema);
  std::mt19937_64 rng(99);
  for (int64_t i = 0; i < 10000; ++i) {
    d.ids.push_back(RandomHex(rng));
    d.seqs.push_back(static_cast<int64_t>(rng() >> 2));
    d.batch.mutable_column(0).AppendString(d.ids.back());
    d.batch.mutable_column(1).Append<int64_t>(d.seqs.back());
    d.batch.mutable_column(2).AppendString(i % 3 == 0 ? "DEF" : "CALL");
    d.batch.mutable_column(3).AppendString(i % 2 ? "a" : "b");
  }
  d.batch.set_num_rows(10000);
  return d;
}

WriteOptions Options(bool bloom) {
  WriteOptions o;
  o.parquet.row_group_rows = 1000;
  if (bloom) o.parquet.bloom_filters = {{"id", 0.01, std::nullopt}, {"seq", 0.01, std::nullopt}};
  return o;
}

std::vector<std::string> Rows(const RecordBatch& b) {
  std::vector<std::string> rows;
  for (int64_t r = 0; r < b.num_rows(); ++r) {
    std::string line;
    columnar::AppendJsonRow(b, r, columnar::JsonStyle::kCanonical, &line);
    rows.push_back(line);
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

class BloomScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = MakeData();
    WriteDeltaTable(storage::OpenObjectStore((dir_.path() / "bloom").string()), data_.batch,
                    Options(true));
    WriteDeltaTable(storage::OpenObjectStore((dir_.path() / "plain").string()), data_.batch,
                    Options(false));
  }
  // Scans both tables; the rows must agree. Returns the bloom table's metrics.
  ScanMetrics Check(const std::string& where, int64_t expected_rows) {
    ScanMetrics m;
    std::vector<std::vector<std::string>> results;
    for (const char* t : {"bloom", "plain"}) {
      auto scan = ScanBuilder(OpenSnapshot((dir_.path() / t).string()))
                      .WithPredicate(expr::ParsePredicate(where))
                      .Build();
      results.push_back(Rows(scan.ReadAll()));
      if (std::string(t) == "bloom") {
        m = scan.metrics();
      } else {
        EXPECT_EQ(scan.metrics().row_groups_skipped_by_bloom, 0) << where;
      }
    }
    EXPECT_EQ(results[0], results[1]) << where;
    EXPECT_EQ(static_cast<int64_t>(results[0].size()), expected_rows) << where;
    if (m.files_read > 0) {
      EXPECT_EQ(m.row_groups_read + m.row_groups_skipped, 10) << where;  // 1 file, 10 groups
    }
    return m;
  }
  TempDir dir_;
  Data data_;
};

TEST_F(BloomScanTest, PointLookupReadsOneRowGroup) {
  const std::string id = data_.ids[7777];
  ScanMetrics m = Check("id = '" + id + "'", 1);
  EXPECT_EQ(m.row_groups_read, 1);
  EXPECT_EQ(m.row_groups_skipped_by_bloom, 9);
  EXPECT_EQ(m.row_groups_skipped, 9);
  // Literal on the left, and the NOT form.
  EXPECT_EQ(Check("'" + id + "' = id", 1).row_groups_read, 1);
  EXPECT_EQ(Check("NOT (id != '" + id + "')", 1).row_groups_read, 1);
  // int64.
  m = Check("seq = " + std::to_string(data_.seqs[123]) + "L", 1);
  EXPECT_EQ(m.row_groups_read, 1);
  m = Check("seq = " + std::to_string(data_.seqs[4321]), 1);  // an int literal, widened
  EXPECT_EQ(m.row_groups_read, 1);
}

TEST_F(BloomScanTest, InListsConjunctionsAndAbsentValues) {
  // IN: the groups holding any of the values.
  ScanMetrics m = Check("id IN ('" + data_.ids[10] + "', '" + data_.ids[9990] + "', 'nope')", 2);
  EXPECT_LE(m.row_groups_read, 3);
  EXPECT_GE(m.row_groups_read, 2);
  // A conjunct on a column without a filter does not stop the id conjunct.
  m = Check("kind = 'DEF' AND id = '" + data_.ids[3000] + "'", 1);
  EXPECT_EQ(m.row_groups_read, 1);
  m = Check("kind = 'CALL' AND id = '" + data_.ids[3000] + "'", 0);
  EXPECT_LE(m.row_groups_read, 1);
  // Absent values: (almost) nothing read. (One above every id is skipped by the file's
  // Delta statistics before any row group is looked at.)
  m = Check("id = '8888888888888888888888888888888x'", 0);
  EXPECT_EQ(m.files_read, 1);
  EXPECT_LE(m.row_groups_read, 1);
  EXPECT_GE(m.row_groups_skipped_by_bloom, 9);
  // OR needs every branch absent.
  m = Check("id = '" + data_.ids[5] + "' OR kind = 'DEF'", 3335);  // row 5 is a CALL
  EXPECT_EQ(m.row_groups_skipped_by_bloom, 0);
  // Not equality: no filter use.
  m = Check("id > '" + data_.ids[5] + "' AND id < '" + data_.ids[5] + "0'", 0);
  EXPECT_EQ(m.row_groups_skipped_by_bloom, 0);
  m = Check("id NOT IN ('" + data_.ids[5] + "')", 9999);
  EXPECT_EQ(m.row_groups_skipped_by_bloom, 0);
  // NULL literal and a type the filter cannot hash: correct, no filter use needed.
  Check("id = NULL", 0);
  Check("seq = 1.5D", 0);
}

TEST_F(BloomScanTest, WrittenOnlyForChosenColumnsWithSkippingCountedSeparately) {
  auto snap = OpenSnapshot((dir_.path() / "bloom").string());
  ASSERT_EQ(snap->files().size(), 1u);
  auto r = parquet::ParquetFileReader::OpenPath(
      (dir_.path() / "bloom" / snap->files()[0].path).string());
  ASSERT_EQ(r->file_schema().num_leaves(), 4);
  ASSERT_EQ(r->num_row_groups(), 10);
  for (int g = 0; g < 10; ++g) {
    EXPECT_TRUE(r->ReadBloomFilter(g, 0));
    EXPECT_TRUE(r->ReadBloomFilter(g, 1));
    EXPECT_FALSE(r->ReadBloomFilter(g, 2));
    EXPECT_FALSE(r->ReadBloomFilter(g, 3));
  }
  // Statistics alone skip nothing for a random id; the filters skip the rest.
  auto scan =
      ScanBuilder(snap).WithPredicate(expr::ParsePredicate("id = '" + data_.ids[1] + "'")).Build();
  scan.ReadAll();
  EXPECT_EQ(scan.metrics().row_groups_skipped, scan.metrics().row_groups_skipped_by_bloom);
}

TEST(BloomScanWriter, ColumnMappingPartitionsAndUnknownColumns) {
  TempDir dir;
  Data d = MakeData();
  WriteOptions o = Options(true);
  o.properties = {{"delta.columnMapping.mode", "name"}};
  o.partition_by = {"part"};
  o.parquet.bloom_filters.push_back({"part", 0.01, std::nullopt});  // not in the files: ignored
  const std::string path = (dir.path() / "cm").string();
  WriteDeltaTable(storage::OpenObjectStore(path), d.batch, o);
  auto snap = OpenSnapshot(path);
  ASSERT_EQ(snap->files().size(), 2u);
  for (const auto& f : snap->files()) {
    auto r = parquet::ParquetFileReader::OpenPath((std::filesystem::path(path) / f.path).string());
    // Physical names (col-<uuid>), still with filters on id and seq.
    ASSERT_EQ(r->file_schema().num_leaves(), 3);
    EXPECT_NE(r->file_schema().leaf_path(0), "id");
    EXPECT_TRUE(r->ReadBloomFilter(0, 0));
    EXPECT_TRUE(r->ReadBloomFilter(0, 1));
    EXPECT_FALSE(r->ReadBloomFilter(0, 2));
  }
  auto scan =
      ScanBuilder(snap).WithPredicate(expr::ParsePredicate("id = '" + d.ids[42] + "'")).Build();
  EXPECT_EQ(scan.ReadAll().num_rows(), 1);
  EXPECT_EQ(scan.metrics().row_groups_read, 1);
  // Both files are read (no partition predicate): 9 of the 10 row groups skipped.
  EXPECT_EQ(scan.metrics().row_groups_skipped_by_bloom, 9);

  WriteOptions bad = Options(true);
  bad.parquet.bloom_filters = {{"nope", 0.01, std::nullopt}};
  EXPECT_THROW(
      WriteDeltaTable(storage::OpenObjectStore((dir.path() / "bad").string()), d.batch, bad),
      InvalidInput);
}

}  // namespace
}  // namespace cpglake::delta
