#include "catalog/export.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "columnar/value_format.h"
#include "common/error.h"
#include "delta/scan.h"
#include "delta/snapshot.h"
#include "delta/writer.h"
#include "test_util.h"

namespace cpglake::catalog {
namespace {

namespace fs = std::filesystem;
using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;
using cpglake::testing::RunOracle;
using cpglake::testing::ShellQuote;
using cpglake::testing::TempDir;

Schema RowsSchema() {
  return Schema(std::vector<Field>{Field("id", DataType::Int64(), false),
                                   Field("kind", DataType::String(), true),
                                   Field("name", DataType::String(), true)});
}

// Rows [begin, end): kind cycles over three values, every 7th name is null.
RecordBatch Rows(int64_t begin, int64_t end) {
  RecordBatch batch = RecordBatch::MakeEmpty(RowsSchema());
  for (int64_t i = begin; i < end; ++i) {
    batch.mutable_column(0).Append<int64_t>(i);
    batch.mutable_column(1).AppendString(i % 3 == 0 ? "CALL" : i % 3 == 1 ? "DEF" : "REF");
    if (i % 7 == 0) {
      batch.mutable_column(2).AppendNull();
    } else {
      batch.mutable_column(2).AppendString("name_" + std::to_string(i * 7919 % 1000));
    }
  }
  batch.set_num_rows(end - begin);
  return batch;
}

// A Delta table at `dir` with 3000 rows in two commits (versions 0 and 1).
DatasetLocation MakeSource(const fs::path& dir) {
  DatasetLocation source;
  source.path = dir.string();
  auto store = OpenStore(source);
  delta::WriteOptions wo;
  delta::WriteDeltaTable(store, Rows(0, 2000), wo);
  delta::WriteDeltaTable(store, Rows(2000, 3000), wo);
  return source;
}

DatasetLocation ParquetTarget(const fs::path& dir) {
  DatasetLocation target;
  target.path = dir.string();
  target.format = DatasetFormat::kParquet;
  return target;
}

OutputStoragePolicy AllowParquet() {
  OutputStoragePolicy policy;
  policy.allow_parquet_exports = true;
  return policy;
}

std::set<std::string> Listing(const fs::path& dir) {
  std::set<std::string> names;
  if (!fs::exists(dir)) return names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

// DuckDB's summary of the Parquet files in `dir`.
std::string DuckSummary(const fs::path& dir, const std::string& where = "") {
  auto r =
      RunOracle("sql " + ShellQuote("SELECT count(*) AS n, sum(id) AS s, count(name) AS names, "
                                    "count(DISTINCT kind) AS kinds FROM read_parquet('" +
                                    dir.string() + "/*.parquet')" + where));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return r.out;
}

TEST(ExportTest, ParquetExportReadBackByDuckDB) {
  TempDir tmp;
  DatasetLocation source = MakeSource(tmp.path() / "src");
  const fs::path out = tmp.path() / "export";
  ExportOptions options;
  options.parquet.row_group_rows = 200;
  options.target_file_bytes = 1;  // a part per row group
  auto r = ExportSnapshot(source, ParquetTarget(out), AllowParquet(), options);
  EXPECT_EQ(r.format, DatasetFormat::kParquet);
  EXPECT_EQ(r.rows, 3000);
  EXPECT_EQ(r.source_version, 1);
  EXPECT_FALSE(r.target_version);
  EXPECT_EQ(r.schema_fingerprint.size(), 16u);
  ASSERT_EQ(r.files.size(), 15u);
  int64_t rows = 0, bytes = 0;
  for (size_t i = 0; i < r.files.size(); ++i) {
    char name[48];
    std::snprintf(name, sizeof(name), "part-%05zu.parquet", i);
    EXPECT_EQ(r.files[i].path, (out / name).string());
    EXPECT_EQ(r.files[i].bytes, static_cast<int64_t>(fs::file_size(r.files[i].path)));
    rows += r.files[i].rows;
    bytes += r.files[i].bytes;
  }
  EXPECT_EQ(rows, 3000);
  EXPECT_EQ(bytes, r.bytes);
  // Nothing but the parts: no sidecars, no temporary files.
  auto names = Listing(out);
  EXPECT_EQ(names.size(), 15u);
  for (const auto& n : names) EXPECT_EQ(n.rfind("part-", 0), 0u) << n;
  int64_t sum = 0, names_count = 0;
  for (int64_t i = 0; i < 3000; ++i) {
    sum += i;
    names_count += i % 7 != 0;
  }
  EXPECT_EQ(DuckSummary(out), "{\"n\":3000,\"s\":" + std::to_string(sum) +
                                  ",\"names\":" + std::to_string(names_count) + ",\"kinds\":3}\n");
}

TEST(ExportTest, ParquetExportColumnsPredicateAndVersion) {
  TempDir tmp;
  DatasetLocation source = MakeSource(tmp.path() / "src");
  source.delta_version = 0;  // the first 2000 rows
  ExportOptions options;
  options.columns = std::vector<std::string>{"id", "kind"};
  options.predicate = "kind = 'CALL' AND id < 1000";
  const fs::path out = tmp.path() / "export";
  auto r = ExportSnapshot(source, ParquetTarget(out), AllowParquet(), options);
  EXPECT_EQ(r.source_version, 0);
  EXPECT_EQ(r.rows, 334);  // 0, 3, ..., 999
  ASSERT_EQ(r.files.size(), 1u);
  auto duck = RunOracle("sql " + ShellQuote("SELECT count(*) AS n, min(id) AS lo, max(id) AS hi, "
                                            "string_agg(DISTINCT kind) AS k FROM read_parquet('" +
                                            out.string() + "/*.parquet')"));
  ASSERT_EQ(duck.exit_code, 0);
  EXPECT_EQ(duck.out, "{\"n\":334,\"lo\":0,\"hi\":999,\"k\":\"CALL\"}\n");
  auto schema = RunOracle("schema " + ShellQuote((out / "part-00000.parquet").string()));
  EXPECT_EQ(schema.out,
            "[{\"name\":\"id\",\"type\":\"BIGINT\"},{\"name\":\"kind\",\"type\":\"VARCHAR\"}]\n");
}

TEST(ExportTest, EmptyResultStillWritesTheSchema) {
  TempDir tmp;
  DatasetLocation source = MakeSource(tmp.path() / "src");
  ExportOptions options;
  options.predicate = "id < 0";
  const fs::path out = tmp.path() / "export";
  auto r = ExportSnapshot(source, ParquetTarget(out), AllowParquet(), options);
  EXPECT_EQ(r.rows, 0);
  ASSERT_EQ(r.files.size(), 1u);
  EXPECT_EQ(DuckSummary(out), "{\"n\":0,\"s\":null,\"names\":0,\"kinds\":0}\n");
}

TEST(ExportTest, DeltaExportIsANewTableAtVersionZero) {
  TempDir tmp;
  DatasetLocation source = MakeSource(tmp.path() / "src");
  DatasetLocation target;
  target.path = (tmp.path() / "copy").string();
  ExportOptions options;
  options.now_ms = 1700000000000;
  auto r = ExportSnapshot(source, target, OutputStoragePolicy{}, options);
  EXPECT_EQ(r.format, DatasetFormat::kDelta);
  EXPECT_EQ(r.target_version, 0);
  EXPECT_EQ(r.source_version, 1);
  EXPECT_EQ(r.rows, 3000);

  auto copy = delta::SnapshotBuilder(OpenStore(target)).AtVersion(0).Build();
  auto original = OpenSnapshot(source);
  EXPECT_TRUE(copy->schema().Equals(original->schema()));
  auto read = [](std::shared_ptr<const delta::Snapshot> s) {
    std::multiset<std::string> rows;
    RecordBatch all = delta::ScanBuilder(std::move(s)).Build().ReadAll();
    for (int64_t i = 0; i < all.num_rows(); ++i) {
      std::string row;
      columnar::AppendJsonRow(all, i, columnar::JsonStyle{}, &row);
      rows.insert(row);
    }
    return rows;
  };
  EXPECT_EQ(read(copy), read(original));
  // The commit names its source.
  auto history = delta::ReadHistory(*OpenStore(target), copy->log_segment(), 0, 0);
  ASSERT_EQ(history.size(), 1u);
  ASSERT_TRUE(history[0].commit_info);
  const std::string info = history[0].commit_info->json;
  EXPECT_NE(info.find("\"cpglake.export_source\":\"" + source.path + "\""), std::string::npos)
      << info;
  EXPECT_NE(info.find("\"cpglake.export_source_version\":\"1\""), std::string::npos) << info;

  // Never into an existing table.
  EXPECT_THROW(ExportSnapshot(source, target, OutputStoragePolicy{}, options), InvalidInput);
  EXPECT_THROW(ExportSnapshot(source, source, OutputStoragePolicy{}, options), InvalidInput);
}

TEST(ExportTest, RefusedParquetSinkWritesNothing) {
  TempDir tmp;
  DatasetLocation source = MakeSource(tmp.path() / "src");
  const fs::path out = tmp.path() / "export";
  std::vector<RefusedSink> refused;
  ExportOptions options;
  options.on_refused = [&](const RefusedSink& r) { refused.push_back(r); };
  EXPECT_THROW(ExportSnapshot(source, ParquetTarget(out), OutputStoragePolicy{}, options),
               SinkRefused);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].path, out.string());
  EXPECT_FALSE(fs::exists(out));
  // ExportBatches (SQL COPY ... TO) passes the same gate.
  int pulled = 0;
  delta::BatchSource batches = [&]() -> std::optional<RecordBatch> {
    ++pulled;
    return std::nullopt;
  };
  EXPECT_THROW(ExportBatches(RowsSchema(), batches, ParquetTarget(out), OutputStoragePolicy{},
                             options, "COPY (SELECT ...) TO"),
               SinkRefused);
  EXPECT_EQ(pulled, 0);
  EXPECT_EQ(refused.size(), 2u);
  EXPECT_EQ(refused[1].what, "COPY (SELECT ...) TO");
  EXPECT_FALSE(fs::exists(out));
}

TEST(ExportTest, FailureLeavesNoFiles) {
  TempDir tmp;
  const fs::path out = tmp.path() / "export";
  ExportOptions options;
  options.parquet.row_group_rows = 100;
  options.target_file_bytes = 1;
  int calls = 0;
  delta::BatchSource failing = [&]() -> std::optional<RecordBatch> {
    if (++calls > 3) throw IoError("source went away");
    return Rows((calls - 1) * 250, calls * 250);  // several complete parts first
  };
  EXPECT_THROW(ExportBatches(RowsSchema(), failing, ParquetTarget(out), AllowParquet(), options),
               IoError);
  EXPECT_TRUE(Listing(out).empty()) << *Listing(out).begin();

  // A failing Delta export leaves no table either.
  DatasetLocation delta_target;
  delta_target.path = (tmp.path() / "delta").string();
  calls = 0;
  EXPECT_THROW(ExportBatches(RowsSchema(), failing, delta_target, OutputStoragePolicy{}, options),
               IoError);
  EXPECT_FALSE(TableExists(delta_target));
}

TEST(ExportTest, NonEmptyDirectoryAndOverwrite) {
  TempDir tmp;
  DatasetLocation source = MakeSource(tmp.path() / "src");
  const fs::path out = tmp.path() / "export";
  ExportOptions small;
  small.parquet.row_group_rows = 500;
  small.target_file_bytes = 1;
  ASSERT_EQ(ExportSnapshot(source, ParquetTarget(out), AllowParquet(), small).files.size(), 6u);
  // A previous export: refused without overwrite, replaced with it (surplus parts removed).
  EXPECT_THROW(ExportSnapshot(source, ParquetTarget(out), AllowParquet(), ExportOptions{}),
               InvalidInput);
  ExportOptions overwrite;
  overwrite.overwrite = true;
  overwrite.predicate = "id < 10";
  auto r = ExportSnapshot(source, ParquetTarget(out), AllowParquet(), overwrite);
  EXPECT_EQ(r.files.size(), 1u);
  EXPECT_EQ(Listing(out), (std::set<std::string>{"part-00000.parquet"}));
  EXPECT_EQ(DuckSummary(out), "{\"n\":10,\"s\":45,\"names\":8,\"kinds\":3}\n");
  // Anyone else's files (or a Delta table) are never replaced, even with overwrite.
  EXPECT_THROW(ExportSnapshot(source, ParquetTarget(tmp.path() / "src"), AllowParquet(), overwrite),
               InvalidInput);
  { std::ofstream(out / "notes.txt") << "mine"; }
  EXPECT_THROW(ExportSnapshot(source, ParquetTarget(out), AllowParquet(), overwrite), InvalidInput);
  EXPECT_TRUE(fs::exists(out / "part-00000.parquet"));
}

}  // namespace
}  // namespace cpglake::catalog
