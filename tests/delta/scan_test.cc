// Scans over tables made here: a hand-written log around files from our Parquet writer.
#include <gtest/gtest.h>

#include <fstream>

#include "common/error.h"
#include "delta/actions.h"
#include "delta/scan.h"
#include "delta/schema_json.h"
#include "delta/snapshot.h"
#include "expr/parser.h"
#include "parquet/file_writer.h"
#include "test_util.h"

namespace cpglake::delta {
namespace {

using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;

// A table with one data file of `rows` rows (id = 0..rows-1, kind = id % 3) in row groups
// of `rg_rows`.
std::string MakeTable(const std::filesystem::path& dir, int64_t rows, int64_t rg_rows) {
  Schema schema({Field("id", DataType::Int64(), false), Field("kind", DataType::String())});
  RecordBatch b = RecordBatch::MakeEmpty(schema);
  for (int64_t i = 0; i < rows; ++i) {
    b.mutable_column(0).Append<int64_t>(i);
    b.mutable_column(1).AppendString(i % 3 == 0 ? "DEF" : "CALL");
  }
  std::filesystem::create_directories(dir / "_delta_log");
  parquet::WriterOptions wo;
  wo.row_group_rows = rg_rows;
  parquet::WriteParquetFile((dir / "part-0.parquet").string(), schema, {b}, wo);
  Protocol p;
  Metadata m;
  m.id = "test";
  m.schema_string = SerializeDeltaSchema(schema);
  AddFile a;
  a.path = "part-0.parquet";
  a.size = static_cast<int64_t>(std::filesystem::file_size(dir / "part-0.parquet"));
  a.stats = "{\"numRecords\":" + std::to_string(rows) +
            ",\"minValues\":{\"id\":0},\"maxValues\":{\"id\":" + std::to_string(rows - 1) +
            "},\"nullCount\":{\"id\":0}}";
  std::ofstream log(dir / "_delta_log/00000000000000000000.json");
  log << SerializeActionJson(p) << "\n"
      << SerializeActionJson(m) << "\n"
      << SerializeActionJson(a) << "\n";
  return dir.string();
}

TEST(ScanTest, RowGroupsAndFilesSkippedByStatistics) {
  ::cpglake::testing::TempDir tmp;
  auto path = MakeTable(tmp.path() / "t", 10000, 1000);
  auto snap = OpenSnapshot(path);
  auto scan =
      ScanBuilder(snap).WithPredicate(expr::ParsePredicate("id >= 2500 AND id < 3500")).Build();
  auto rows = scan.ReadAll();
  EXPECT_EQ(rows.num_rows(), 1000);
  EXPECT_EQ(scan.metrics().row_groups_skipped, 8);  // only groups 2 and 3 can hold matches
  EXPECT_EQ(scan.metrics().row_groups_read, 2);
  for (int64_t r = 0; r < rows.num_rows(); ++r) {
    int64_t id = rows.column(0).Get<int64_t>(r);
    EXPECT_TRUE(id >= 2500 && id < 3500);
  }
  // Whole file skipped by the add's stats.
  auto none = ScanBuilder(snap).WithPredicate(expr::ParsePredicate("id > 20000")).Build();
  EXPECT_EQ(none.files().size(), 0u);
  EXPECT_EQ(none.metrics().files_skipped_by_stats, 1);
}

TEST(ScanTest, ProjectionPredicateOnOtherColumnAndErrors) {
  ::cpglake::testing::TempDir tmp;
  auto path = MakeTable(tmp.path() / "t", 300, 100);
  auto snap = OpenSnapshot(path);
  auto scan = ScanBuilder(snap)
                  .WithColumns({"id"})
                  .WithPredicate(expr::ParsePredicate("KIND = 'DEF'"))
                  .Build();
  auto rows = scan.ReadAll();
  EXPECT_EQ(rows.num_columns(), 1u);
  EXPECT_EQ(rows.num_rows(), 100);
  EXPECT_THROW(ScanBuilder(snap).WithColumns({"nope"}).Build(), InvalidInput);
  EXPECT_THROW(ScanBuilder(snap).WithPredicate(expr::ParsePredicate("nope = 1")).Build(),
               InvalidInput);
  EXPECT_THROW(OpenSnapshot(path, 3), NotFound);
}

}  // namespace
}  // namespace cpglake::delta
