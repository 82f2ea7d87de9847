// Parquet → Delta migration (delta/migrate.h): DuckDB- and Spark-written Hive trees copied
// and adopted in place, read back row for row against DuckDB; schema conflicts; dry runs;
// verification; modes.
#include "delta/migrate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "columnar/value_format.h"
#include "common/error.h"
#include "delta/file_stats_writer.h"
#include "delta/scan.h"
#include "delta/snapshot.h"
#include "delta/writer.h"
#include "parquet/file_reader.h"
#include "storage/object_store.h"
#include "test_util.h"

namespace cpglake::delta {
namespace {

namespace fs = std::filesystem;
using testing::RunOracle;
using testing::ShellQuote;
using testing::SplitLines;
using testing::TempDir;

void WriteFile(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

// Every row of the table, canonical JSON lines, sorted (as the oracle's --sort prints them).
std::vector<std::string> TableLines(const std::string& path) {
  auto snap = SnapshotBuilder(storage::OpenObjectStore(path)).Build();
  auto scan = ScanBuilder(snap).Build();
  std::vector<std::string> lines;
  scan.Execute([&](const columnar::RecordBatch& b) {
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      std::string s;
      columnar::AppendJsonRow(b, r, columnar::JsonStyle::kCanonical, &s);
      lines.push_back(s);
    }
  });
  std::sort(lines.begin(), lines.end());
  return lines;
}

// DuckDB reading the tree with hive_partitioning (partition columns last, as in our table).
std::vector<std::string> DuckLines(const std::string& dir, const std::string& columns) {
  auto r = RunOracle("sql " +
                     ShellQuote("SELECT " + columns + " FROM read_parquet('" + dir +
                                "/**/*.parquet', hive_partitioning=true)") +
                     " --sort");
  EXPECT_EQ(r.exit_code, 0);
  return SplitLines(r.out);
}

// A DuckDB-written tree partitioned by k (integer) and d (date), plus a _SUCCESS marker.
void WriteDuckTree(const std::string& dir, int rows = 100) {
  auto r = RunOracle("sql " + ShellQuote("COPY (SELECT i AS id, 'n' || i AS name, i % 3 AS k, DATE "
                                         "'2024-01-01' + (i % 2)::INT AS d FROM range(" +
                                         std::to_string(rows) + ") t(i)) TO '" + dir +
                                         "' (FORMAT parquet, PARTITION_BY (k, d))"));
  ASSERT_EQ(r.exit_code, 0);
  WriteFile(fs::path(dir) / "_SUCCESS", "");
}

// name → bytes of every file under `dir`.
std::map<std::string, std::string> Snapshot(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out[e.path().string()] = testing::ReadFileBytes(e.path());
  }
  return out;
}

TEST(MigrateTest, DuckDbTreeCopy) {
  TempDir tmp;
  std::string src = (tmp.path() / "src").string(), dst = (tmp.path() / "dst").string();
  WriteDuckTree(src);
  MigrateOptions o;
  o.verify = true;
  auto r = Migrate(src, dst, o);
  EXPECT_EQ(r.plan.files.size(), 6u);
  ASSERT_EQ(r.plan.partitions.size(), 2u);
  EXPECT_EQ(r.plan.partitions[0].type->id(), columnar::TypeId::kInt64);
  EXPECT_EQ(r.plan.partitions[1].type->id(), columnar::TypeId::kDate);
  EXPECT_EQ(r.rows_added, 100);
  ASSERT_TRUE(r.verification);
  EXPECT_TRUE(r.verification->ok) << r.verification->message;
  auto snap = SnapshotBuilder(storage::OpenObjectStore(dst)).Build();
  EXPECT_EQ(snap->partition_columns(), (std::vector<std::string>{"k", "d"}));
  EXPECT_EQ(TableLines(dst), DuckLines(src, "id, name, k, d"));
}

TEST(MigrateTest, DuckDbTreeInPlaceLeavesBytesUntouched) {
  TempDir tmp;
  std::string src = (tmp.path() / "t").string();
  WriteDuckTree(src);
  auto before = Snapshot(src);
  MigrateOptions o;
  o.method = MigrateMethod::kInPlace;
  o.verify = true;
  auto r = Migrate(src, src, o);
  EXPECT_EQ(r.files_added, 6);
  EXPECT_TRUE(r.verification->ok) << r.verification->message;
  auto after = Snapshot(src);
  for (const auto& [k, v] : before) EXPECT_EQ(after.at(k), v) << k;
  // Only the log is new.
  for (const auto& [k, v] : after) {
    if (!before.count(k)) {
      EXPECT_NE(k.find("/_delta_log/"), std::string::npos) << k;
    }
  }
  EXPECT_EQ(TableLines(src), DuckLines(src, "id, name, k, d"));
  // The adds carry stats from the files.
  auto snap = SnapshotBuilder(storage::OpenObjectStore(src)).Build();
  for (const auto& f : snap->files()) {
    ASSERT_TRUE(f.stats);
    EXPECT_NE(f.stats->find("\"numRecords\""), std::string::npos);
  }
}

// In place, the add actions' stats come from the Parquet footers (delta/footer_stats.h) and
// equal the stats computed from the data; a column whose footer cannot give them (a double
// without nan_count: Parquet statistics leave NaN out) is read.
TEST(MigrateTest, InPlaceStatsFromFootersEqualStatsFromData) {
  TempDir tmp;
  const std::string src = (tmp.path() / "t").string();
  auto w = RunOracle(
      "sql " + ShellQuote("COPY (SELECT i AS id, 'n' || i AS name, DATE '2024-01-01' + i::INT AS "
                          "day, CASE WHEN i = 7 THEN 'NaN'::DOUBLE ELSE i * 0.5 END AS x, "
                          "(i * 1.25)::DECIMAL(9,2) AS amount, i % 3 AS k FROM range(60) t(i)) "
                          "TO '" +
                          src + "' (FORMAT parquet, PARTITION_BY (k), ROW_GROUP_SIZE 8)"));
  ASSERT_EQ(w.exit_code, 0);
  MigrateOptions o;
  o.method = MigrateMethod::kInPlace;
  const MigrateResult r = Migrate(src, src, o);
  EXPECT_EQ(r.files_added, 3);
  EXPECT_EQ(r.rows_added, 60);
  // 5 data columns in 3 files; x is read: DuckDB writes no nan_count (and no min/max for
  // the file holding NaN).
  EXPECT_EQ(r.stats_leaves_from_footer, 12);
  EXPECT_EQ(r.stats_leaves_from_data, 3);
  EXPECT_EQ(r.files_read, 3);
  auto snap = SnapshotBuilder(storage::OpenObjectStore(src)).Build();
  int nan_max = 0;
  for (const auto& f : snap->files()) {
    ASSERT_TRUE(f.stats);
    FileStatsCollector data(StatsConfigForTable(snap->config()));
    auto reader = parquet::ParquetFileReader::OpenPath(src + "/" + storage::UriDecode(f.path));
    for (int rg = 0; rg < reader->num_row_groups(); ++rg) data.Update(reader->ReadRowGroup(rg));
    EXPECT_EQ(*f.stats, data.ToJson()) << f.path;
    if (f.stats->find("\"x\":\"NaN\"") != std::string::npos) ++nan_max;
  }
  EXPECT_EQ(nan_max, 1);
  // With --verify the data is read anyway (for the fingerprint): the same stats.
  std::map<std::string, std::string> first;
  for (const auto& f : snap->files()) first[f.path] = *f.stats;
  fs::remove_all(fs::path(src) / "_delta_log");
  o.verify = true;
  const MigrateResult v = Migrate(src, src, o);
  EXPECT_TRUE(v.verification->ok);
  EXPECT_EQ(v.files_read, 3);
  auto again = SnapshotBuilder(storage::OpenObjectStore(src)).Build();
  for (const auto& f : again->files()) EXPECT_EQ(*f.stats, first.at(f.path)) << f.path;
}

TEST(MigrateTest, InPlaceSubdirectoryAndOutsideTarget) {
  TempDir tmp;
  std::string table = (tmp.path() / "t").string(), src = table + "/data";
  fs::create_directories(table);
  WriteDuckTree(src, 10);
  MigrateOptions o;
  o.method = MigrateMethod::kInPlace;
  auto plan = PlanMigration(src, (tmp.path() / "elsewhere").string(), o);
  EXPECT_FALSE(plan.conflicts.empty());
  auto r = Migrate(src, table, o);
  EXPECT_EQ(r.plan.table_prefix, "data/");
  // Every stats column from the footers (id, name): no data read.
  EXPECT_EQ(r.stats_leaves_from_footer, 2 * r.files_added);
  EXPECT_EQ(r.stats_leaves_from_data, 0);
  EXPECT_EQ(r.files_read, 0);
  EXPECT_EQ(TableLines(table).size(), 10u);
}

TEST(MigrateTest, SparkTreeFromAcceptanceCorpus) {
  TempDir tmp;
  fs::path corpus = testing::TestDataDir() / "delta-acceptance/kernel_data/basic_partitioned";
  fs::path src = tmp.path() / "spark";
  for (const auto& e : fs::recursive_directory_iterator(corpus)) {
    auto rel = fs::relative(e.path(), corpus).string();
    if (!e.is_regular_file() || rel.rfind("_delta_log", 0) == 0) continue;
    fs::create_directories((src / rel).parent_path());
    fs::copy_file(e.path(), src / rel);
  }
  std::string expected_columns = "number, a_float, letter";
  MigrateOptions o;
  o.verify = true;
  auto copy = Migrate(src.string(), (tmp.path() / "copy").string(), o);
  EXPECT_TRUE(copy.verification->ok);
  EXPECT_EQ(TableLines((tmp.path() / "copy").string()), DuckLines(src.string(), expected_columns));
  o.method = MigrateMethod::kInPlace;
  auto in_place = Migrate(src.string(), src.string(), o);
  EXPECT_TRUE(in_place.verification->ok);
  EXPECT_EQ(TableLines(src.string()), DuckLines(src.string(), expected_columns));
}

TEST(MigrateTest, SchemaConflictErrorsAndMerges) {
  TempDir tmp;
  std::string src = (tmp.path() / "src").string();
  fs::create_directories(src);
  ASSERT_EQ(RunOracle("sql " + ShellQuote("COPY (SELECT 1::INT AS a, 'x' AS b) TO '" + src +
                                          "/f1.parquet' (FORMAT parquet)"))
                .exit_code,
            0);
  ASSERT_EQ(RunOracle("sql " + ShellQuote("COPY (SELECT 2::BIGINT AS a, 3.5::DOUBLE AS c) TO '" +
                                          src + "/f2.parquet' (FORMAT parquet)"))
                .exit_code,
            0);
  MigrateOptions o;
  try {
    Migrate(src, (tmp.path() / "t1").string(), o);
    FAIL() << "expected a schema conflict";
  } catch (const InvalidInput& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("f1.parquet"), std::string::npos) << msg;
    EXPECT_NE(msg.find("f2.parquet"), std::string::npos) << msg;
    EXPECT_NE(msg.find("column c only in"), std::string::npos) << msg;
  }
  EXPECT_FALSE(fs::exists(tmp.path() / "t1" / "_delta_log"));
  o.schema_mode = SchemaMode::kMerge;
  o.verify = true;
  auto r = Migrate(src, (tmp.path() / "t2").string(), o);
  EXPECT_TRUE(r.verification->ok);
  const auto& s = r.plan.schema;
  ASSERT_EQ(s.num_fields(), 3u);
  EXPECT_EQ(s.field(0).type->id(), columnar::TypeId::kInt64);  // int widened to long
  EXPECT_EQ(
      TableLines((tmp.path() / "t2").string()),
      (std::vector<std::string>{R"({"a":1,"b":"x","c":null})", R"({"a":2,"b":null,"c":3.5})"}));
}

TEST(MigrateTest, DryRunWritesNothing) {
  TempDir tmp;
  std::string src = (tmp.path() / "src").string(), dst = (tmp.path() / "dst").string();
  WriteDuckTree(src);
  auto before = Snapshot(tmp.path());
  MigrateOptions o;
  auto plan = PlanMigration(src, dst, o);
  EXPECT_EQ(plan.rows, 100);
  EXPECT_EQ(plan.files.size(), 6u);
  EXPECT_TRUE(plan.conflicts.empty());
  o.method = MigrateMethod::kInPlace;
  PlanMigration(src, src, o);
  EXPECT_EQ(Snapshot(tmp.path()), before);
  EXPECT_FALSE(fs::exists(dst));
}

TEST(MigrateTest, VerifyDetectsTamperedTable) {
  TempDir tmp;
  std::string src = (tmp.path() / "src").string(), dst = (tmp.path() / "dst").string();
  WriteDuckTree(src, 20);
  MigrateOptions o;
  o.verify = true;
  auto r = Migrate(src, dst, o);
  ASSERT_TRUE(r.verification->ok);
  EXPECT_TRUE(VerifyMigration(dst, r.expected_fingerprint).ok);
  // Another commit changes one value: same row count, another fingerprint.
  auto store = storage::OpenObjectStore(dst);
  auto snap = SnapshotBuilder(store).Build();
  WriteOptions wo;
  wo.mode = WriteMode::kOverwrite;
  auto scan = ScanBuilder(snap).Build();
  columnar::RecordBatch all = scan.ReadAll();
  columnar::RecordBatch changed = columnar::RecordBatch::MakeEmpty(all.schema());
  changed.Append(all.Slice(1, all.num_rows()));
  columnar::RecordBatch first = all.Slice(0, 1);
  std::string name = columnar::FormatCell(first.column(1), 0) + "-tampered";
  auto name_col = columnar::Column::Make(columnar::DataType::String());
  columnar::AppendValue(*name_col, columnar::Value::String(name));
  auto cols = first.columns();
  cols[1] = name_col;
  changed.Append(columnar::RecordBatch(first.schema(), cols));
  WriteDeltaTable(store, changed, wo);
  auto v = VerifyMigration(dst, r.expected_fingerprint);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.message.find("fingerprints differ"), std::string::npos) << v.message;
  // An extra row: the counts differ.
  WriteOptions append;
  WriteDeltaTable(store, first, append);
  v = VerifyMigration(dst, r.expected_fingerprint);
  EXPECT_NE(v.message.find("row counts differ"), std::string::npos) << v.message;
}

TEST(MigrateTest, AppendTwiceDoublesAndErrorModeRefuses) {
  TempDir tmp;
  std::string src = (tmp.path() / "src").string(), dst = (tmp.path() / "dst").string();
  WriteDuckTree(src, 30);
  MigrateOptions o;
  o.mode = WriteMode::kAppend;
  o.verify = true;
  Migrate(src, dst, o);
  auto r = Migrate(src, dst, o);
  EXPECT_TRUE(r.verification->ok) << r.verification->message;
  EXPECT_EQ(TableLines(dst).size(), 60u);
  o.mode = WriteMode::kErrorIfExists;
  EXPECT_THROW(Migrate(src, dst, o), InvalidInput);
  o.mode = WriteMode::kOverwrite;
  Migrate(src, dst, o);
  EXPECT_EQ(TableLines(dst).size(), 30u);
}

TEST(MigrateTest, CorruptFileNamedAndNothingCommitted) {
  TempDir tmp;
  std::string src = (tmp.path() / "src").string();
  WriteDuckTree(src, 10);
  WriteFile(fs::path(src) / "k=0" / "d=2024-01-01" / "zz-bad.parquet",
            "PAR1 this is not parquet PAR1");
  for (auto method : {MigrateMethod::kCopy, MigrateMethod::kInPlace}) {
    MigrateOptions o;
    o.method = method;
    std::string dst = method == MigrateMethod::kCopy ? (tmp.path() / "dst").string() : src;
    try {
      Migrate(src, dst, o);
      FAIL() << "expected an error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("zz-bad.parquet"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(fs::path(dst) / "_delta_log"));
  }
}

TEST(MigrateTest, PartitionByRepartitionsOnCopyOnly) {
  TempDir tmp;
  std::string src = (tmp.path() / "src").string();
  WriteDuckTree(src, 12);
  MigrateOptions o;
  o.partition_by = {"d"};
  Migrate(src, (tmp.path() / "by_d").string(), o);
  auto snap = SnapshotBuilder(storage::OpenObjectStore((tmp.path() / "by_d").string())).Build();
  EXPECT_EQ(snap->partition_columns(), (std::vector<std::string>{"d"}));
  EXPECT_EQ(TableLines((tmp.path() / "by_d").string()), DuckLines(src, "id, name, k, d"));
  o.method = MigrateMethod::kInPlace;
  EXPECT_THROW(Migrate(src, src, o), InvalidInput);
}

}  // namespace
}  // namespace cpglake::delta
