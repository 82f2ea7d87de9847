// The Delta writer: write modes, partitioning, schema evolution, replaceWhere, properties and
// protocol upgrades, idempotent app transactions, data files at a target size with correct
// stats. External truth: DuckDB reads the live add files of every table written here and
// must see exactly the rows written.
#include "delta/writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "columnar/value.h"
#include "columnar/value_format.h"
#include "common/error.h"
#include "delta/scan.h"
#include "delta/schema_json.h"
#include "delta/snapshot.h"
#include "delta/stats.h"
#include "expr/parser.h"
#include "storage/object_store.h"
#include "test_util.h"

namespace cpglake::delta {
namespace {

namespace fs = std::filesystem;
using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;
using columnar::Value;
using cpglake::testing::RunOracle;
using cpglake::testing::ShellQuote;
using cpglake::testing::SplitLines;
using cpglake::testing::TempDir;

Schema NodesSchema() {
  return Schema(std::vector<Field>{
      Field("id", DataType::Int64(), false), Field("kind", DataType::String(), true),
      Field("name", DataType::String(), true), Field("line", DataType::Int32(), true),
      Field("day", DataType::Date(), true)});
}

// Rows id = first..first+n-1; kind cycles through 3 values; every 7th name is null.
RecordBatch Nodes(int64_t first, int64_t n, const Schema& schema = NodesSchema()) {
  RecordBatch b = RecordBatch::MakeEmpty(schema);
  static const char* kKinds[] = {"CALL", "FUNCTION", "NAME"};
  for (int64_t i = first; i < first + n; ++i) {
    b.mutable_column(0).Append<int64_t>(i);
    b.mutable_column(1).AppendString(kKinds[i % 3]);
    if (i % 7 == 0) {
      b.mutable_column(2).AppendNull();
    } else {
      b.mutable_column(2).AppendString("name_" + std::to_string(i) +
                                       (i % 5 == 0 ? "_ünïcødé" : ""));
    }
    b.mutable_column(3).Append<int32_t>(static_cast<int32_t>(i % 1000));
    b.mutable_column(4).Append<int32_t>(static_cast<int32_t>(19000 + i % 30));
  }
  b.set_num_rows(n);
  return b;
}

std::vector<std::string> CanonicalRows(const RecordBatch& b,
                                       const std::vector<std::string>& columns) {
  RecordBatch p = b.Project(columns);
  std::vector<std::string> out;
  for (int64_t r = 0; r < p.num_rows(); ++r) {
    std::string line;
    columnar::AppendJsonRow(p, r, columnar::JsonStyle::kCanonical, &line);
    out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

class WriterTest : public ::testing::Test {
 protected:
  std::shared_ptr<storage::ObjectStore> Store() {
    return storage::OpenObjectStore(dir_.path().string());
  }
  std::shared_ptr<const Snapshot> Latest() { return SnapshotBuilder(Store()).Build(); }
  RecordBatch ScanAll(const std::string& where = "") {
    ScanBuilder b(Latest());
    if (!where.empty()) b.WithPredicate(expr::ParsePredicate(where));
    return b.Build().ReadAll();
  }
  // DuckDB reads every live add file; its rows (data columns) must equal `expected`.
  void ExpectDuckDbSees(const RecordBatch& expected) {
    auto snap = Latest();
    std::vector<std::string> data_cols;
    std::set<std::string> parts(snap->partition_columns().begin(), snap->partition_columns().end());
    for (const auto& f : snap->schema().fields()) {
      if (!parts.count(f.name)) data_cols.push_back(f.name);
    }
    if (snap->files().empty()) {
      EXPECT_EQ(expected.num_rows(), 0);
      return;
    }
    std::string list, cols;
    for (const auto& f : snap->files()) {
      list +=
          (list.empty() ? "'" : ",'") + (dir_.path() / storage::UriDecode(f.path)).string() + "'";
    }
    for (const auto& c : data_cols) cols += (cols.empty() ? "" : ", ") + ("\"" + c + "\"");
    auto duck = RunOracle("sql " +
                          ShellQuote("SELECT " + cols + " FROM read_parquet([" + list +
                                     "], binary_as_string=false)") +
                          " --sort");
    ASSERT_EQ(duck.exit_code, 0) << duck.out;
    auto theirs = SplitLines(duck.out);
    auto ours = CanonicalRows(expected, data_cols);
    ASSERT_EQ(theirs.size(), ours.size());
    for (size_t i = 0; i < ours.size(); ++i) ASSERT_EQ(theirs[i], ours[i]) << "row " << i;
  }
  // Every file's stats bound its rows: min <= value <= max, exact null counts and row count.
  void ExpectStatsAgreeWithData() {
    auto snap = Latest();
    const auto& schema = snap->schema();
    for (const auto& f : snap->files()) {
      auto stats = ParseFileStatistics(f.stats, schema);
      ASSERT_TRUE(stats && stats->num_records) << f.path;
      // Read this file alone.
      std::vector<int> needed;
      for (size_t i = 0; i < schema.num_fields(); ++i) needed.push_back(static_cast<int>(i));
      RecordBatch rows = RecordBatch::MakeEmpty(schema);
      ReadTableFile(snap->config(), *Store(), f.path, f.partition_values, needed, {},
                    [&](const RecordBatch& b, int64_t) { rows.Append(b); });
      EXPECT_EQ(*stats->num_records, rows.num_rows()) << f.path;
      for (const auto& [name, cs] : stats->columns) {
        const columnar::Column* c = rows.ColumnByName(name);
        ASSERT_NE(c, nullptr) << name;
        int64_t nulls = 0;
        for (int64_t r = 0; r < rows.num_rows(); ++r) {
          Value v = columnar::GetValue(*c, r);
          if (v.is_null()) {
            ++nulls;
            continue;
          }
          if (cs.min) {
            EXPECT_LE(columnar::CompareValues(*cs.min, v), 0) << name << " " << f.path;
          }
          if (cs.max && c->type()->id() != columnar::TypeId::kString) {
            EXPECT_GE(columnar::CompareValues(*cs.max, v), 0) << name << " " << f.path;
          }
        }
        if (cs.null_count) {
          EXPECT_EQ(*cs.null_count, nulls) << name;
        }
      }
    }
  }
  TempDir dir_;
};

TEST_F(WriterTest, CreateAppendOverwriteRoundTripThroughUsAndDuckDb) {
  WriteOptions o;
  auto r0 = WriteDeltaTable(Store(), Nodes(0, 1000), o);
  EXPECT_EQ(r0.version, 0);
  EXPECT_EQ(r0.totals.rows_added, 1000);
  auto r1 = WriteDeltaTable(Store(), Nodes(1000, 500), o);
  EXPECT_EQ(r1.version, 1);
  RecordBatch expected = Nodes(0, 1500);
  EXPECT_EQ(CanonicalRows(ScanAll(), {"id", "kind", "name", "line", "day"}),
            CanonicalRows(expected, {"id", "kind", "name", "line", "day"}));
  ExpectDuckDbSees(expected);
  ExpectStatsAgreeWithData();

  o.mode = WriteMode::kOverwrite;
  auto r2 = WriteDeltaTable(Store(), Nodes(5000, 10), o);
  EXPECT_EQ(r2.version, 2);
  EXPECT_EQ(r2.totals.files_removed, 2);
  EXPECT_EQ(r2.totals.rows_removed, 1500);
  EXPECT_EQ(ScanAll().num_rows(), 10);
  ExpectDuckDbSees(Nodes(5000, 10));
  auto ci = nlohmann::json::parse(r2.commit_info);
  EXPECT_EQ(ci["operationParameters"]["mode"], "Overwrite");
  EXPECT_EQ(ci["isBlindAppend"], false);
  // Time travel still sees the appended version.
  EXPECT_EQ(SnapshotBuilder(Store()).AtVersion(1).Build()->total_rows(), 1500);
}

TEST_F(WriterTest, ErrorAndIgnoreModes) {
  WriteOptions o;
  o.mode = WriteMode::kErrorIfExists;
  WriteDeltaTable(Store(), Nodes(0, 10), o);
  EXPECT_THROW(WriteDeltaTable(Store(), Nodes(0, 10), o), InvalidInput);
  o.mode = WriteMode::kIgnore;
  auto r = WriteDeltaTable(Store(), Nodes(0, 10), o);
  EXPECT_TRUE(r.skipped);
  EXPECT_EQ(Latest()->version(), 0);
}

TEST_F(WriterTest, PartitionedWriteUsesHiveDirectoriesAndPrunes) {
  WriteOptions o;
  o.partition_by = {"kind"};
  auto r = WriteDeltaTable(Store(), Nodes(0, 300), o);
  EXPECT_EQ(r.totals.files_added, 3);
  EXPECT_EQ(r.partitions.size(), 3u);
  EXPECT_EQ(r.partitions.at("kind=CALL/").rows_added, 100);
  auto snap = Latest();
  for (const auto& f : snap->files()) {
    const std::string kind = *f.partition_values.at("kind");
    EXPECT_EQ(f.path.rfind("kind=" + kind + "/", 0), 0u) << f.path;
    EXPECT_TRUE(fs::exists(dir_.path() / storage::UriDecode(f.path)));
  }
  ScanBuilder sb(snap);
  sb.WithPredicate(expr::ParsePredicate("kind = 'NAME'"));
  Scan scan = sb.Build();
  EXPECT_EQ(scan.metrics().files_skipped_by_partition, 2);
  EXPECT_EQ(scan.ReadAll().num_rows(), 100);
  ExpectDuckDbSees(Nodes(0, 300));
  ExpectStatsAgreeWithData();
  // A second write with other partition columns is refused.
  o.partition_by = {"line"};
  EXPECT_THROW(WriteDeltaTable(Store(), Nodes(0, 3), o), InvalidInput);
}

TEST_F(WriterTest, NullAndSpecialPartitionValues) {
  Schema s(std::vector<Field>{Field("v", DataType::Int64(), true),
                              Field("p", DataType::String(), true)});
  RecordBatch b = RecordBatch::MakeEmpty(s);
  const std::vector<std::optional<std::string>> values = {"a b", "x/y=z", std::nullopt, "%", "é"};
  for (size_t i = 0; i < values.size(); ++i) {
    b.mutable_column(0).Append<int64_t>(static_cast<int64_t>(i));
    if (values[i]) {
      b.mutable_column(1).AppendString(*values[i]);
    } else {
      b.mutable_column(1).AppendNull();
    }
  }
  b.set_num_rows(static_cast<int64_t>(values.size()));
  WriteOptions o;
  o.partition_by = {"p"};
  WriteDeltaTable(Store(), b, o);
  EXPECT_EQ(CanonicalRows(ScanAll(), {"v", "p"}), CanonicalRows(b, {"v", "p"}));
  EXPECT_EQ(ScanAll("p IS NULL").num_rows(), 1);
  EXPECT_EQ(ScanAll("p = 'x/y=z'").num_rows(), 1);
}

TEST_F(WriterTest, SchemaMergeAddsColumnsAndStrictModeExplainsTheDifference) {
  WriteDeltaTable(Store(), Nodes(0, 10), {});
  Schema wider = NodesSchema();
  std::vector<Field> fields = wider.fields();
  fields.push_back(Field("extra", DataType::Float64(), true));
  Schema ws(fields);
  RecordBatch b = RecordBatch::MakeEmpty(ws);
  RecordBatch base = Nodes(10, 5);
  for (size_t c = 0; c < base.num_columns(); ++c)
    b.mutable_column(c).AppendRange(base.column(c), 0, 5);
  for (int i = 0; i < 5; ++i) b.mutable_column(5).Append<double>(i * 0.5);
  b.set_num_rows(5);
  try {
    WriteDeltaTable(Store(), b, {});
    FAIL() << "expected InvalidInput";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("extra"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("merge"), std::string::npos) << e.what();
  }
  EXPECT_EQ(Latest()->version(), 0) << "nothing written";
  WriteOptions merge;
  merge.schema_mode = SchemaMode::kMerge;
  WriteDeltaTable(Store(), b, merge);
  auto snap = Latest();
  EXPECT_EQ(snap->schema().num_fields(), 6u);
  RecordBatch all = ScanAll();
  EXPECT_EQ(all.num_rows(), 15);
  EXPECT_EQ(ScanAll("extra IS NULL").num_rows(), 10);
  // Fewer columns than the table: the missing nullable ones are null.
  WriteDeltaTable(Store(), Nodes(100, 2).Project({"id", "kind"}), {});
  EXPECT_EQ(ScanAll("name IS NULL AND id >= 100").num_rows(), 2);
  // A narrower integer type is cast up; an incompatible one is refused.
  Schema narrow(std::vector<Field>{Field("id", DataType::Int32(), false)});
  RecordBatch nb = RecordBatch::MakeEmpty(narrow);
  nb.mutable_column(0).Append<int32_t>(777);
  nb.set_num_rows(1);
  WriteDeltaTable(Store(), nb, {});
  EXPECT_EQ(ScanAll("id = 777").num_rows(), 1);
  Schema bad(std::vector<Field>{Field("id", DataType::String(), false)});
  RecordBatch sb = RecordBatch::MakeEmpty(bad);
  sb.mutable_column(0).AppendString("x");
  sb.set_num_rows(1);
  EXPECT_THROW(WriteDeltaTable(Store(), sb, merge), InvalidInput);
}

TEST_F(WriterTest, SchemaOverwriteReplacesSchemaAndPartitioning) {
  WriteDeltaTable(Store(), Nodes(0, 10), {});
  Schema s(std::vector<Field>{Field("k", DataType::String(), true),
                              Field("n", DataType::Int64(), true)});
  RecordBatch b = RecordBatch::MakeEmpty(s);
  b.mutable_column(0).AppendString("a");
  b.mutable_column(1).Append<int64_t>(1);
  b.set_num_rows(1);
  WriteOptions o;
  o.schema_mode = SchemaMode::kOverwrite;
  EXPECT_THROW(WriteDeltaTable(Store(), b, o), InvalidInput) << "needs mode overwrite";
  o.mode = WriteMode::kOverwrite;
  o.partition_by = {"k"};
  WriteDeltaTable(Store(), b, o);
  auto snap = Latest();
  EXPECT_EQ(snap->schema().num_fields(), 2u);
  EXPECT_EQ(snap->partition_columns(), std::vector<std::string>{"k"});
  EXPECT_EQ(ScanAll().num_rows(), 1);
}

TEST_F(WriterTest, ReplaceWhereRemovesExactlyTheMatchingRows) {
  WriteOptions o;
  o.partition_by = {"kind"};
  WriteDeltaTable(Store(), Nodes(0, 300), o);
  // Partition predicate: whole files go.
  WriteOptions rw;
  rw.mode = WriteMode::kOverwrite;
  rw.predicate = "kind = 'CALL'";
  RecordBatch calls = Nodes(0, 300).Filter([] {
    columnar::Bitmap keep(300, false);
    for (int i = 0; i < 300; i += 3) keep.Set(i, true);
    return keep;
  }());
  auto r = WriteDeltaTable(Store(), calls.Slice(0, 10), rw);
  EXPECT_EQ(r.totals.files_removed, 1);
  EXPECT_EQ(r.totals.rows_removed, 100);
  EXPECT_EQ(ScanAll().num_rows(), 210);
  // A data predicate: rows of partly matching files are rewritten.
  rw.predicate = "id < 50";
  RecordBatch low = RecordBatch::MakeEmpty(NodesSchema());
  RecordBatch src = Nodes(0, 50);
  low = src.Filter([&] {
    columnar::Bitmap keep(50, true);
    return keep;
  }());
  auto r2 = WriteDeltaTable(Store(), Nodes(0, 5), rw);
  EXPECT_GT(r2.totals.files_removed, 0);
  RecordBatch after = ScanAll();
  EXPECT_EQ(ScanAll("id < 50").num_rows(), 5);
  EXPECT_EQ(ScanAll("id >= 50").num_rows(), ScanAll("id >= 50").num_rows());
  // Rows >= 50 survive: 200 non-CALL rows at or above 50 minus none.
  int64_t expected_high = 0;
  for (int64_t i = 50; i < 300; ++i) expected_high += (i % 3 != 0) ? 1 : 0;
  EXPECT_EQ(ScanAll("id >= 50").num_rows(), expected_high);
  ExpectStatsAgreeWithData();
  // A written row outside the predicate is refused, and nothing changes.
  const int64_t v = Latest()->version();
  EXPECT_THROW(WriteDeltaTable(Store(), Nodes(60, 1), rw), InvalidInput);
  EXPECT_EQ(Latest()->version(), v);
}

TEST_F(WriterTest, IdempotentApplicationTransactions) {
  WriteOptions o;
  o.app_id = "nightly";
  o.app_version = 1;
  EXPECT_FALSE(WriteDeltaTable(Store(), Nodes(0, 10), o).skipped);
  auto again = WriteDeltaTable(Store(), Nodes(0, 10), o);
  EXPECT_TRUE(again.skipped);
  EXPECT_EQ(ScanAll().num_rows(), 10);
  o.app_version = 2;
  EXPECT_FALSE(WriteDeltaTable(Store(), Nodes(10, 10), o).skipped);
  EXPECT_EQ(Latest()->app_transactions().at("nightly").version, 2);
}

TEST_F(WriterTest, PropertiesUpgradeTheProtocol) {
  WriteDeltaTable(Store(), Nodes(0, 10), {});
  EXPECT_EQ(Latest()->protocol().min_writer_version, 2);
  auto has = [](const std::optional<std::vector<std::string>>& v, const std::string& f) {
    return v && std::find(v->begin(), v->end(), f) != v->end();
  };
  // Turning a feature on in an existing table gives table features (DELTA.md), not the
  // legacy (1,4); a writer-only feature leaves the reader version alone.
  SetTableProperties(Store(), {{"delta.enableChangeDataFeed", "true"}});
  EXPECT_EQ(Latest()->protocol().min_reader_version, 1);
  EXPECT_EQ(Latest()->protocol().min_writer_version, 7);
  EXPECT_TRUE(has(Latest()->protocol().writer_features, "changeDataFeed"));
  EXPECT_TRUE(Latest()->config().change_data_feed_enabled());
  SetTableProperties(Store(), {{"delta.enableDeletionVectors", "true"}});
  auto p = Latest()->protocol();
  EXPECT_EQ(p.min_reader_version, 3);
  EXPECT_EQ(p.min_writer_version, 7);
  EXPECT_TRUE(has(p.reader_features, "deletionVectors"));
  EXPECT_TRUE(has(p.writer_features, "deletionVectors"));
  EXPECT_TRUE(has(p.writer_features, "changeDataFeed")) << "legacy features listed";
  EXPECT_TRUE(has(p.writer_features, "appendOnly"));
  SetTableProperties(Store(), {}, {"delta.enableChangeDataFeed"});
  EXPECT_FALSE(Latest()->config().change_data_feed_enabled());
  EXPECT_THROW(SetTableProperties(Store(), {}, {"no.such.property"}), InvalidInput);
  // Stats then carry tightBounds (deletion vectors supported), and appends still work.
  WriteDeltaTable(Store(), Nodes(10, 10), {});
  EXPECT_EQ(ScanAll().num_rows(), 20);
}

TEST_F(WriterTest, RowTrackingTablesGetRowIds) {
  CreateOptions c;
  c.schema = NodesSchema();
  c.properties = {{"delta.enableRowTracking", "true"}, {"delta.enableInCommitTimestamps", "true"}};
  CreateDeltaTable(Store(), c);
  WriteDeltaTable(Store(), Nodes(0, 100), {});
  WriteDeltaTable(Store(), Nodes(100, 50), {});
  auto snap = Latest();
  int64_t next = 0;
  for (const auto& f : snap->files()) {
    ASSERT_TRUE(f.base_row_id.has_value());
    EXPECT_EQ(*f.base_row_id, next);
    next += *NumRecordsFromStats(f.stats);
  }
  EXPECT_TRUE(snap->config().in_commit_timestamps_enabled());
}

TEST_F(WriterTest, ColumnMappingNameModeWritesPhysicalNames) {
  CreateOptions c;
  c.schema = NodesSchema();
  c.partition_by = {"kind"};
  c.properties = {{"delta.columnMapping.mode", "name"}};
  CreateDeltaTable(Store(), c);
  auto snap = Latest();
  EXPECT_EQ(snap->config().column_mapping_mode(), ColumnMappingMode::kName);
  WriteDeltaTable(Store(), Nodes(0, 30), {});
  EXPECT_EQ(CanonicalRows(ScanAll(), {"id", "name"}), CanonicalRows(Nodes(0, 30), {"id", "name"}));
  EXPECT_EQ(ScanAll("kind = 'CALL' AND id < 10").num_rows(), 4);
}

TEST_F(WriterTest, TargetFileSizeRollsFiles) {
  WriteOptions o;
  o.target_file_bytes = 1;  // every row group closes its file
  o.parquet.row_group_rows = 100;
  auto r = WriteDeltaTable(Store(), Nodes(0, 1000), o);
  EXPECT_GE(r.totals.files_added, 10);
  EXPECT_EQ(ScanAll().num_rows(), 1000);
  ExpectDuckDbSees(Nodes(0, 1000));
}

TEST_F(WriterTest, BadInputWritesNothing) {
  // A directory with other data is not silently turned into a table.
  { std::ofstream(dir_.path() / "data.csv") << "a,b\n1,2\n"; }
  EXPECT_THROW(WriteDeltaTable(Store(), Nodes(0, 1), {}), InvalidInput);
  EXPECT_FALSE(fs::exists(dir_.path() / "_delta_log"));
  fs::remove(dir_.path() / "data.csv");
  WriteOptions o;
  o.partition_by = {"nope"};
  EXPECT_THROW(WriteDeltaTable(Store(), Nodes(0, 1), o), InvalidInput);
  o.partition_by = {"id", "kind", "name", "line", "day"};
  EXPECT_THROW(WriteDeltaTable(Store(), Nodes(0, 1), o), InvalidInput);
  EXPECT_FALSE(fs::exists(dir_.path() / "_delta_log"));
  // Non-nullable column with nulls.
  WriteDeltaTable(Store(), Nodes(0, 1), {});
  Schema s(std::vector<Field>{Field("id", DataType::Int64(), true)});
  RecordBatch b = RecordBatch::MakeEmpty(s);
  b.mutable_column(0).AppendNull();
  b.set_num_rows(1);
  EXPECT_THROW(WriteDeltaTable(Store(), b, {}), InvalidInput);
  // No orphan data files were left by the failed writes.
  int parquet_files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_.path())) {
    if (e.path().extension() == ".parquet") ++parquet_files;
  }
  EXPECT_EQ(parquet_files, 1);
}

}  // namespace
}  // namespace cpglake::delta

namespace cpglake::delta {
namespace {

TEST_F(WriterTest, StorageFailuresNeverLoseOrCorruptACommit) {
  auto local = Store();
  WriteDeltaTable(local, Nodes(0, 10), {});
  auto faulty = std::make_shared<storage::FaultInjectingObjectStore>(local);
  using Op = storage::FaultInjectingObjectStore::Op;
  // The commit fails before it reaches the disk: an I/O error, the table unchanged.
  faulty->Arm({.op = Op::kPutIfAbsent, .fail_at = 1, .persistent = false, .after_effect = false});
  EXPECT_THROW(WriteDeltaTable(faulty, Nodes(10, 10), {}), IoError);
  EXPECT_EQ(Latest()->version(), 0);
  EXPECT_EQ(ScanAll().num_rows(), 10);
  // The commit reaches the disk but the call reports an error: the writer recognises its own
  // commit file, and the data files it references are kept.
  faulty->Arm({.op = Op::kPutIfAbsent, .fail_at = 1, .persistent = false, .after_effect = true});
  auto r = WriteDeltaTable(faulty, Nodes(20, 10), {});
  EXPECT_EQ(r.version, 1);
  EXPECT_EQ(ScanAll().num_rows(), 20);
  RecordBatch expected = Nodes(0, 10);
  expected.Append(Nodes(20, 10));
  ExpectDuckDbSees(expected);
  // A data file that cannot be written: nothing committed, no partial file left.
  faulty->Arm({.op = Op::kCloseWrite, .fail_at = 1, .persistent = false, .after_effect = false});
  EXPECT_THROW(WriteDeltaTable(faulty, Nodes(40, 10), {}), IoError);
  EXPECT_EQ(Latest()->version(), 1);
  int parquet_files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_.path())) {
    if (e.path().extension() == ".parquet") ++parquet_files;
  }
  // The two committed files only: the first failed write read its version back, found no
  // commit there, and removed its data file.
  EXPECT_EQ(parquet_files, 2);
}

}  // namespace
}  // namespace cpglake::delta

namespace cpglake::delta {
namespace {

TEST_F(WriterTest, SchemaMergeAddsNestedStructFields) {
  auto s1 = DataType::Struct({Field("a", DataType::Int64(), true)});
  Schema v1(std::vector<Field>{Field("id", DataType::Int64(), false), Field("s", s1, true)});
  RecordBatch b1 = RecordBatch::MakeEmpty(v1);
  b1.mutable_column(0).Append<int64_t>(1);
  b1.mutable_column(1).mutable_child(0).Append<int64_t>(10);
  b1.mutable_column(1).CloseStruct();
  b1.set_num_rows(1);
  WriteDeltaTable(Store(), b1, {});
  auto s2 =
      DataType::Struct({Field("a", DataType::Int64(), true), Field("b", DataType::String(), true)});
  Schema v2(std::vector<Field>{Field("id", DataType::Int64(), false), Field("s", s2, true)});
  RecordBatch b2 = RecordBatch::MakeEmpty(v2);
  b2.mutable_column(0).Append<int64_t>(2);
  b2.mutable_column(1).mutable_child(0).Append<int64_t>(20);
  b2.mutable_column(1).mutable_child(1).AppendString("x");
  b2.mutable_column(1).CloseStruct();
  b2.set_num_rows(1);
  EXPECT_THROW(WriteDeltaTable(Store(), b2, {}), InvalidInput) << "strict mode refuses s.b";
  WriteOptions merge;
  merge.schema_mode = SchemaMode::kMerge;
  WriteDeltaTable(Store(), b2, merge);
  auto snap = Latest();
  EXPECT_EQ(snap->schema().field(1).type->ToString(), "struct<a:long,b:string>");
  EXPECT_EQ(ScanAll().num_rows(), 2);
  // The old file's rows read s.b as null.
  RecordBatch old = ScanAll("id = 1");
  ASSERT_EQ(old.num_rows(), 1);
  EXPECT_TRUE(old.column(1).child(1).IsNull(0));
}

}  // namespace
}  // namespace cpglake::delta
