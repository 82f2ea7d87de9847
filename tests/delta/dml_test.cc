// DELETE / UPDATE / MERGE (delta/dml.h). Every case runs in deletion-vector and in
// copy-on-write mode and must give the same rows, written out by hand; the change data feed
// of every DML commit (read back by TableChanges) must account exactly for the difference
// between the table before and after; DV files decode to the positions deleted; DuckDB reads
// the rewritten files; Spark's DV table keeps its old DV; concurrent writers conflict as
// transaction.h says; pruning reads only the files that can match.
#include "delta/dml.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include "columnar/value.h"
#include "columnar/value_format.h"
#include "common/error.h"
#include "delta/deletion_vector.h"
#include "delta/scan.h"
#include "delta/snapshot.h"
#include "delta/stats.h"
#include "delta/table_changes.h"
#include "delta/writer.h"
#include "storage/object_store.h"
#include "test_util.h"

namespace cpglake::delta {
namespace {

namespace fs = std::filesystem;
using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;
using cpglake::testing::RunOracle;
using cpglake::testing::ShellQuote;
using cpglake::testing::SplitLines;
using cpglake::testing::TempDir;
using Row = std::pair<std::optional<int64_t>, std::optional<int64_t>>;

Schema KvSchema() {
  return Schema(
      std::vector<Field>{Field("k", DataType::Int64(), true), Field("v", DataType::Int64(), true)});
}

RecordBatch Kv(const std::vector<Row>& rows) {
  RecordBatch b = RecordBatch::MakeEmpty(KvSchema());
  for (const auto& [k, v] : rows) {
    if (k) {
      b.mutable_column(0).Append<int64_t>(*k);
    } else {
      b.mutable_column(0).AppendNull();
    }
    if (v) {
      b.mutable_column(1).Append<int64_t>(*v);
    } else {
      b.mutable_column(1).AppendNull();
    }
  }
  return b;
}

std::string Text(const RecordBatch& b, int64_t r, size_t columns) {
  std::string s;
  for (size_t c = 0; c < columns; ++c) {
    const auto& col = b.column(c);
    s += (c ? ":" : "") +
         (col.IsNull(r) ? std::string("null") : columnar::GetValue(col, r).ToString());
  }
  return s;
}

std::multiset<std::string> Rows(const RecordBatch& b, size_t columns = 2) {
  std::multiset<std::string> out;
  for (int64_t r = 0; r < b.num_rows(); ++r) out.insert(Text(b, r, columns));
  return out;
}

std::multiset<std::string> Set(std::initializer_list<std::string> rows) {
  return rows;
}

class DmlTest : public ::testing::TestWithParam<bool> {
 protected:
  bool dv() const { return GetParam(); }
  std::shared_ptr<storage::ObjectStore> Store() {
    return storage::OpenObjectStore(dir_.path().string());
  }
  std::shared_ptr<const Snapshot> Latest() { return SnapshotBuilder(Store()).Build(); }
  RecordBatch ScanAll() { return ScanBuilder(Latest()).Build().ReadAll(); }
  // A table with CDF on (and DVs per the parameter) holding `files`, one file each.
  // `row_group_rows`: rows per Parquet row group (0: the writer's default).
  void Create(const std::vector<std::vector<Row>>& files,
              std::map<std::string, std::string> extra = {}, int64_t row_group_rows = 0) {
    WriteOptions o;
    if (row_group_rows > 0) o.parquet.row_group_rows = row_group_rows;
    o.properties = {{"delta.enableChangeDataFeed", "true"},
                    {"delta.enableDeletionVectors", dv() ? "true" : "false"}};
    for (auto& [k, v] : extra) o.properties[k] = v;
    o.now_ms = 1700000000000;
    for (const auto& rows : files) {
      WriteDeltaTable(Store(), Kv(rows), o);
      o.properties.clear();
    }
  }
  // Runs `op` and checks its change data against the table before and after it.
  DmlResult Run(const std::function<DmlResult()>& op) {
    const auto before = Rows(ScanAll());
    DmlResult r = op();
    EXPECT_EQ(r.deletion_vectors, dv());
    const auto after = Rows(ScanAll());
    if (!r.committed) {
      EXPECT_EQ(before, after);
      return r;
    }
    RecordBatch changes = TableChanges(Store(), r.version, r.version).ReadAll();
    std::map<std::string, std::multiset<std::string>> by_type;
    const size_t type_col = changes.schema().num_fields() - 3;
    for (int64_t i = 0; i < changes.num_rows(); ++i) {
      by_type[std::string(changes.column(type_col).GetString(i))].insert(Text(changes, i, 2));
    }
    // before - delete - preimage + postimage + insert == after
    std::multiset<std::string> expect = before;
    for (const char* gone : {"delete", "update_preimage"}) {
      for (const auto& row : by_type[gone]) {
        auto it = expect.find(row);
        EXPECT_NE(it, expect.end()) << gone << " row " << row << " was not in the table";
        if (it != expect.end()) expect.erase(it);
      }
    }
    for (const char* added : {"update_postimage", "insert"}) {
      for (const auto& row : by_type[added]) expect.insert(row);
    }
    EXPECT_EQ(expect, after) << "change data does not explain the new table state";
    changes_.clear();
    for (const auto& [type, rows] : by_type) {
      if (!rows.empty()) changes_[type] = rows;
    }
    EXPECT_EQ(static_cast<int64_t>(by_type["delete"].size()), r.metrics.rows_deleted);
    EXPECT_EQ(static_cast<int64_t>(by_type["update_preimage"].size()), r.metrics.rows_updated);
    EXPECT_EQ(static_cast<int64_t>(by_type["update_postimage"].size()), r.metrics.rows_updated);
    EXPECT_EQ(static_cast<int64_t>(by_type["insert"].size()), r.metrics.rows_inserted);
    return r;
  }
  // DuckDB reads every live file; without DVs its rows must be the table's.
  void ExpectDuckDbSees(const std::multiset<std::string>& expected) {
    auto snap = Latest();
    std::string list;
    for (const auto& f : snap->files()) {
      ASSERT_FALSE(f.deletion_vector.has_value());
      list +=
          (list.empty() ? "'" : ",'") + (dir_.path() / storage::UriDecode(f.path)).string() + "'";
    }
    if (list.empty()) {
      EXPECT_TRUE(expected.empty());
      return;
    }
    auto duck =
        RunOracle("sql " +
                  ShellQuote("SELECT coalesce(CAST(k AS VARCHAR), 'null') || ':' || "
                             "coalesce(CAST(v AS VARCHAR), 'null') AS r FROM read_parquet([" +
                             list + "])") +
                  " --sort");
    ASSERT_EQ(duck.exit_code, 0) << duck.out;
    std::multiset<std::string> theirs;
    for (const auto& line : SplitLines(duck.out)) {
      // {"r":"1:10"}
      theirs.insert(line.substr(6, line.size() - 8));
    }
    EXPECT_EQ(theirs, expected);
  }
  DmlOptions Options() {
    DmlOptions o;
    o.write.now_ms = 1700000001000;
    return o;
  }
  TempDir dir_;
  MergeOptions mo_;
  // The change data of the last commit Run made, by change type.
  std::map<std::string, std::multiset<std::string>> changes_;
};

INSTANTIATE_TEST_SUITE_P(Strategies, DmlTest, ::testing::Values(true, false), [](const auto& info) {
  return info.param ? "DeletionVectors" : "CopyOnWrite";
});

// ---- DELETE / UPDATE --------------------------------------------------------------------

TEST_P(DmlTest, DeleteRemovesMatchingRowsOnly) {
  Create({{{1, 10}, {2, 20}, {3, 30}}, {{4, 40}, {5, std::nullopt}, {std::nullopt, 60}}});
  auto r = Run([&] { return Delete(Store(), "k = 2 OR v IS NULL OR k IS NULL", Options()); });
  EXPECT_TRUE(r.committed);
  EXPECT_EQ(r.metrics.rows_deleted, 3);
  EXPECT_EQ(Rows(ScanAll()), Set({"1:10", "3:30", "4:40"}));
  if (dv()) {
    EXPECT_EQ(r.metrics.deletion_vectors_added, 2);
    EXPECT_EQ(r.metrics.rows_copied, 0);
    EXPECT_EQ(r.metrics.files_added, 0);
  } else {
    EXPECT_EQ(r.metrics.rows_copied, 3);
    ExpectDuckDbSees(Set({"1:10", "3:30", "4:40"}));
  }
  // A second delete on the same file unions with its DV.
  Run([&] { return Delete(Store(), "k = 3", Options()); });
  EXPECT_EQ(Rows(ScanAll()), Set({"1:10", "4:40"}));
  // Nothing matches: no commit.
  auto none = Run([&] { return Delete(Store(), "k = 99", Options()); });
  EXPECT_FALSE(none.committed);
}

TEST_P(DmlTest, DeleteNeedsAPredicateAndDeleteAllEmptiesTheTable) {
  Create({{{1, 10}, {2, 20}}, {{3, 30}}});
  EXPECT_THROW(Delete(Store(), "", Options()), InvalidInput);
  EXPECT_THROW(Delete(Store(), expr::ExprPtr(), Options()), InvalidInput);
  auto r = Run([&] { return DeleteAll(Store(), Options()); });
  EXPECT_EQ(r.metrics.rows_deleted, 3);
  EXPECT_EQ(ScanAll().num_rows(), 0);
}

TEST_P(DmlTest, DeleteWholeFileRemovesIt) {
  Create({{{1, 10}, {2, 20}}, {{3, 30}}});
  auto r = Run([&] { return Delete(Store(), "k >= 3", Options()); });
  EXPECT_EQ(r.metrics.files_removed, 1);
  EXPECT_EQ(r.metrics.deletion_vectors_added, 0);
  EXPECT_EQ(Latest()->files().size(), 1u);
}

TEST_P(DmlTest, UpdateSetsExpressionsOnMatchingRows) {
  Create({{{1, 10}, {2, 20}, {3, 30}}, {{4, std::nullopt}}});
  auto r = Run([&] { return Update(Store(), "k >= 2", {{"v", "v * 10 + k"}}, Options()); });
  EXPECT_EQ(r.metrics.rows_updated, 3);
  EXPECT_EQ(Rows(ScanAll()), Set({"1:10", "2:202", "3:303", "4:null"}));
  // Without a predicate every row; an int expression into a long column is cast.
  Run([&] { return Update(Store(), "", {{"k", "k + 100"}}, Options()); });
  EXPECT_EQ(Rows(ScanAll()), Set({"101:10", "102:202", "103:303", "104:null"}));
  if (!dv()) ExpectDuckDbSees(Set({"101:10", "102:202", "103:303", "104:null"}));
  EXPECT_THROW(Update(Store(), "k = 1", {{"nope", "1"}}, Options()), InvalidInput);
  EXPECT_THROW(Update(Store(), "k = 101", {{"v", "'text'"}}, Options()), InvalidInput);
}

// ---- MERGE ------------------------------------------------------------------------------

struct MergeCase {
  std::string name;
  std::vector<MergeClause> clauses;
  std::multiset<std::string> expected;
};

TEST_P(DmlTest, MergeClauseSemantics) {
  const std::vector<Row> target = {{1, 10}, {2, 20}, {3, 30}, {4, 40}, {std::nullopt, 99}};
  const RecordBatch source = Kv({{2, 200}, {3, 300}, {5, 500}, {std::nullopt, 600}});
  const std::vector<MergeCase> cases = {
      {"upsert",
       {WhenMatchedUpdateAll(), WhenNotMatchedInsertAll()},
       Set({"1:10", "2:200", "3:300", "4:40", "null:99", "5:500", "null:600"})},
      {"matched delete", {WhenMatchedDelete()}, Set({"1:10", "4:40", "null:99"})},
      {"first matching clause wins",
       {WhenMatchedUpdate({{"v", "target.v + source.v"}}, "source.v > 250"), WhenMatchedDelete()},
       Set({"1:10", "3:330", "4:40", "null:99"})},
      {"conditional insert",
       {WhenNotMatchedInsert({{"k", "source.k"}, {"v", "-1"}}, "source.k IS NOT NULL")},
       Set({"1:10", "2:20", "3:30", "4:40", "null:99", "5:-1"})},
      {"insert only",
       {WhenNotMatchedInsertAll()},
       Set({"1:10", "2:20", "3:30", "4:40", "null:99", "5:500", "null:600"})},
      {"by source delete", {WhenNotMatchedBySourceDelete()}, Set({"2:20", "3:30"})},
      {"by source update with condition",
       {WhenMatchedUpdateAll(), WhenNotMatchedBySourceUpdate({{"v", "0"}}, "target.k > 3")},
       Set({"1:10", "2:200", "3:300", "4:0", "null:99"})},
      {"everything",
       {WhenMatchedDelete("source.k = 2"), WhenMatchedUpdate({{"target.v", "source.v + 1"}}),
        WhenNotMatchedInsertAll("source.k IS NULL"), WhenNotMatchedBySourceDelete("target.k = 1")},
       Set({"3:301", "4:40", "null:99", "null:600"})},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    fs::remove_all(dir_.path());
    fs::create_directories(dir_.path());
    Create({{target[0], target[1]}, {target[2], target[3], target[4]}});
    Run([&] { return Merge(Store(), source, "target.k = source.k", c.clauses, mo_); });
    EXPECT_EQ(Rows(ScanAll()), c.expected);
    if (!dv()) ExpectDuckDbSees(c.expected);
  }
}

TEST_P(DmlTest, MergeRefusesAmbiguousMatchesNamingTheKey) {
  Create({{{1, 10}, {2, 20}}});
  const RecordBatch source = Kv({{2, 200}, {2, 201}});
  try {
    Merge(Store(), source, "target.k = source.k", {WhenMatchedUpdateAll()}, mo_);
    FAIL() << "expected an error";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("k=2"), std::string::npos) << e.what();
  }
  // Without matched clauses duplicates are fine (nothing inserted: both matched).
  auto r = Merge(Store(), source, "target.k = source.k", {WhenNotMatchedInsertAll()}, mo_);
  EXPECT_FALSE(r.committed);
  EXPECT_THROW(Merge(Store(), source, "target.v > source.v", {WhenMatchedDelete()}, mo_),
               InvalidInput);  // no equality key
  EXPECT_THROW(Merge(Store(), source, "k = source.k", {WhenMatchedDelete()}, mo_),
               InvalidInput);  // ambiguous unqualified k
}

TEST_P(DmlTest, MergeSchemaEvolutionAddsSourceColumns) {
  Create({{{1, 10}, {2, 20}}});
  RecordBatch source = RecordBatch::MakeEmpty(Schema(
      std::vector<Field>{Field("k", DataType::Int64(), true), Field("v", DataType::Int64(), true),
                         Field("note", DataType::String(), true)}));
  source.mutable_column(0).Append<int64_t>(2);
  source.mutable_column(1).Append<int64_t>(21);
  source.mutable_column(2).AppendString("changed");
  source.mutable_column(0).Append<int64_t>(3);
  source.mutable_column(1).Append<int64_t>(30);
  source.mutable_column(2).AppendString("new");
  MergeOptions o;
  o.schema_mode = SchemaMode::kMerge;
  auto r = Merge(Store(), source, "target.k = source.k",
                 {WhenMatchedUpdateAll(), WhenNotMatchedInsertAll()}, o);
  EXPECT_TRUE(r.committed);
  EXPECT_EQ(Rows(ScanAll(), 3), Set({"1:10:null", "2:21:changed", "3:30:new"}));
}

// ---- deletion vector format -------------------------------------------------------------

TEST_P(DmlTest, DeletionVectorFilesHaveSparksLayout) {
  if (!dv()) GTEST_SKIP() << "deletion vectors only";
  std::vector<Row> rows;
  for (int64_t i = 0; i < 100; ++i) rows.push_back({i, i});
  Create({rows, {{1000, 1}}});
  Run([&] { return Delete(Store(), "k IN (3, 50, 99) OR k = 1000", Options()); });
  auto snap = Latest();
  ASSERT_EQ(snap->files().size(), 1u);  // the one-row file was removed
  const AddFile& f = snap->files()[0];
  ASSERT_TRUE(f.deletion_vector);
  const auto& d = *f.deletion_vector;
  EXPECT_EQ(d.storage_type, 'u');
  EXPECT_EQ(d.cardinality, 3);
  ASSERT_TRUE(d.offset);
  EXPECT_EQ(*d.offset, 1);
  EXPECT_NE(f.stats->find("\"tightBounds\":false"), std::string::npos);
  DeletionVector loaded = LoadDeletionVector(d, *Store());
  EXPECT_EQ(loaded.ToVector(), (std::vector<uint64_t>{3, 50, 99}));
  const std::string bytes = Store()->Read(DeletionVectorPath(d));
  ASSERT_GE(bytes.size(), 1u + 4 + static_cast<size_t>(d.size_in_bytes) + 4);
  EXPECT_EQ(bytes[0], 1);  // version
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data()) + *d.offset;
  const uint32_t size =
      (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
  EXPECT_EQ(size, static_cast<uint32_t>(d.size_in_bytes));
  const uint32_t magic =
      uint32_t{p[4]} | (uint32_t{p[5]} << 8) | (uint32_t{p[6]} << 16) | (uint32_t{p[7]} << 24);
  EXPECT_EQ(magic, kRoaringBitmapArrayMagic);
  EXPECT_EQ(std::string(bytes.data() + *d.offset + 4, size),
            DeletionVector::FromRows(std::vector<uint64_t>{3, 50, 99}).SerializeRoaringArray());
  // Inline DVs when asked for.
  DmlOptions o = Options();
  o.inline_dv_max_bytes = 1000;
  Run([&] { return Delete(Store(), "k = 7", o); });
  const auto latest = Latest();
  const auto& d2 = *latest->files()[0].deletion_vector;
  EXPECT_EQ(d2.storage_type, 'i');
  EXPECT_EQ(LoadDeletionVector(d2, *Store()).ToVector(), (std::vector<uint64_t>{3, 7, 50, 99}));
}

TEST(DmlAcceptanceTest, SparkDeletionVectorTableKeepsItsDeletedRows) {
  TempDir dir;
  const fs::path src =
      cpglake::testing::TestDataDir() / "delta-acceptance" / "kernel_data" / "table-with-dv-small";
  if (!fs::exists(src)) GTEST_SKIP() << "no acceptance corpus";
  fs::copy(src, dir.path() / "t", fs::copy_options::recursive);
  for (auto& e : fs::recursive_directory_iterator(dir.path())) {
    fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  }
  auto store = storage::OpenObjectStore((dir.path() / "t").string());
  auto before = ScanBuilder(SnapshotBuilder(store).Build()).Build().ReadAll();
  EXPECT_EQ(Rows(before, 1), Set({"1", "2", "3", "4", "5", "6", "7", "8"}));
  auto r = Delete(store, "value IN (3, 4) OR value = 0", DmlOptions());
  EXPECT_TRUE(r.deletion_vectors);
  EXPECT_EQ(r.metrics.rows_deleted, 2);  // 0 was already deleted
  auto snap = SnapshotBuilder(store).Build();
  EXPECT_EQ(Rows(ScanBuilder(snap).Build().ReadAll(), 1), Set({"1", "2", "5", "6", "7", "8"}));
  ASSERT_EQ(snap->files().size(), 1u);
  EXPECT_EQ(LoadDeletionVector(*snap->files()[0].deletion_vector, *store).ToVector(),
            (std::vector<uint64_t>{0, 3, 4, 9}));
}

// ---- pruning -----------------------------------------------------------------------------

TEST_P(DmlTest, DeleteReadsOnlyFilesWhoseStatsCanMatch) {
  std::vector<std::vector<Row>> files;
  for (int64_t f = 0; f < 10; ++f) {
    std::vector<Row> rows;
    for (int64_t i = 0; i < 10; ++i) rows.push_back({f * 10 + i, i});
    files.push_back(rows);
  }
  Create(files);
  auto r = Run([&] { return Delete(Store(), "k = 37", Options()); });
  EXPECT_EQ(r.metrics.files_read, 1);
  EXPECT_EQ(r.metrics.files_skipped, 9);
  // A merge with clustered source keys reads the files of their range only.
  auto m = Run([&] {
    return Merge(Store(), Kv({{41, 1}, {42, 1}, {55, 1}}), "target.k = source.k",
                 {WhenMatchedUpdateAll()}, mo_);
  });
  EXPECT_EQ(m.metrics.files_read, 2);
  EXPECT_EQ(m.metrics.rows_updated, 3);
}

TEST_P(DmlTest, DeletionVectorsReadOnlyTheRowGroupsThatCanChange) {
  // One file, k = 0..39 and v = 10 k, in ten row groups of four rows: [0..3] ... [36..39].
  std::vector<Row> rows;
  for (int64_t k = 0; k < 40; ++k) rows.push_back({k, k * 10});
  auto row = [](int64_t k, int64_t v) { return std::to_string(k) + ":" + std::to_string(v); };
  std::vector<int64_t> many_keys = {12, 13};  // more than 64 keys: a range, 12..170
  for (int64_t k = 100; k <= 170; ++k) many_keys.push_back(k);
  std::vector<Row> many;
  for (int64_t k : many_keys) many.push_back({k, 0});
  using Changes = std::map<std::string, std::multiset<std::string>>;
  struct Case {
    std::string name;
    std::function<void()> before;  // not checked
    std::function<DmlResult()> op;
    int64_t skipped;  // row groups, with deletion vectors (copy-on-write reads all)
    std::multiset<std::string> gone, added;  // rows, from the table as created
    Changes changes;
  };
  const std::vector<Case> cases = {
      {"delete",
       nullptr,
       [&] { return Delete(Store(), "k = 17 OR k = 18", Options()); },
       9,
       Set({"17:170", "18:180"}),
       {},
       Changes{{"delete", Set({"17:170", "18:180"})}}},
      {"second delete of the file unions with its DV",
       [&] { Delete(Store(), "k = 1", Options()); },
       [&] { return Delete(Store(), "k = 2 OR k = 30", Options()); },
       8,
       Set({"1:10", "2:20", "30:300"}),
       {},
       Changes{{"delete", Set({"2:20", "30:300"})}}},
      {"update", nullptr,
       [&] {
         return Update(Store(), "k BETWEEN 5 AND 9", {{"v", "-k"}}, Options());
       },
       8, Set({"5:50", "6:60", "7:70", "8:80", "9:90"}),
       Set({"5:-5", "6:-6", "7:-7", "8:-8", "9:-9"}),
       Changes{{"update_preimage", Set({"5:50", "6:60", "7:70", "8:80", "9:90"})},
               {"update_postimage", Set({"5:-5", "6:-6", "7:-7", "8:-8", "9:-9"})}}},
      {"merge upsert", nullptr,
       [&] {
         return Merge(Store(), Kv({{21, 1}, {22, 2}, {50, 5}}), "target.k = source.k",
                      {WhenMatchedUpdateAll(), WhenNotMatchedInsertAll()}, mo_);
       },
       9, Set({"21:210", "22:220"}), Set({"21:1", "22:2", "50:5"}),
       Changes{{"update_preimage", Set({"21:210", "22:220"})},
               {"update_postimage", Set({"21:1", "22:2"})},
               {"insert", Set({"50:5"})}}},
      {"merge with a target-only ON conjunct", nullptr,
       [&] {
         // 30's row group has v >= 280: ruled out by target.v < 100, its key is inserted.
         return Merge(Store(), Kv({{5, 1}, {30, 3}}), "target.k = source.k AND target.v < 100",
                      {WhenMatchedUpdateAll(), WhenNotMatchedInsertAll()}, mo_);
       },
       9, Set({"5:50"}), Set({"5:1", "30:3"}),
       Changes{{"update_preimage", Set({"5:50"})},
               {"update_postimage", Set({"5:1"})},
               {"insert", Set({"30:3"})}}},
      {"merge with a range of source keys",
       nullptr,
       [&] { return Merge(Store(), Kv(many), "target.k = source.k", {WhenMatchedDelete()}, mo_); },
       3,
       Set({"12:120", "13:130"}),
       {},
       Changes{{"delete", Set({"12:120", "13:130"})}}},
      {"merge with a not matched by source clause reads every row group", nullptr,
       [&] {
         return Merge(Store(), Kv({{21, 1}}), "target.k = source.k",
                      {WhenMatchedUpdateAll(), WhenNotMatchedBySourceDelete("target.k >= 38")},
                      mo_);
       },
       0, Set({"21:210", "38:380", "39:390"}), Set({"21:1"}),
       Changes{{"update_preimage", Set({"21:210"})},
               {"update_postimage", Set({"21:1"})},
               {"delete", Set({"38:380", "39:390"})}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    fs::remove_all(dir_.path());
    fs::create_directories(dir_.path());
    Create({rows}, {}, /*row_group_rows=*/4);
    if (c.before) c.before();
    auto r = Run(c.op);
    ASSERT_TRUE(r.committed);
    EXPECT_EQ(r.metrics.files_read, 1);
    EXPECT_EQ(r.metrics.row_groups_skipped, dv() ? c.skipped : 0);
    std::multiset<std::string> expected;
    for (const auto& [k, v] : rows) {
      if (!c.gone.count(row(*k, *v))) expected.insert(row(*k, *v));
    }
    expected.insert(c.added.begin(), c.added.end());
    EXPECT_EQ(Rows(ScanAll()), expected);
    EXPECT_EQ(changes_, c.changes);
    if (!dv()) ExpectDuckDbSees(expected);
  }
}

// ---- row tracking --------------------------------------------------------------------------

// Stable row ids of the live rows, by k.
std::map<int64_t, int64_t> RowIds(const std::shared_ptr<storage::ObjectStore>& store) {
  auto snap = SnapshotBuilder(store).Build();
  const auto& cfg = snap->config();
  const auto name = cfg.Property("delta.rowTracking.materializedRowIdColumnName");
  std::map<int64_t, int64_t> out;
  for (const auto& f : snap->files()) {
    EXPECT_TRUE(f.base_row_id.has_value());
    DeletionVector dv;
    if (f.deletion_vector) dv = LoadDeletionVector(*f.deletion_vector, *store);
    std::vector<Field> optional;
    if (name) optional.emplace_back(*name, DataType::Int64(), true);
    ReadTableFile(
        cfg, *store, f.path, f.partition_values, {0}, {},
        [&](const RecordBatch& b, int64_t first) {
          for (int64_t i = 0; i < b.num_rows(); ++i) {
            if (dv.Contains(static_cast<uint64_t>(first + i))) continue;
            int64_t id = *f.base_row_id + first + i;
            if (name && b.column(1).IsValid(i)) id = b.column(1).Get<int64_t>(i);
            out[b.column(0).Get<int64_t>(i)] = id;
          }
        },
        nullptr, 1, optional);
  }
  return out;
}

TEST_P(DmlTest, RowIdsSurviveUpdatesAndRewrites) {
  Create({{{1, 10}, {2, 20}, {3, 30}}, {{4, 40}, {5, 50}}}, {{"delta.enableRowTracking", "true"}});
  const auto ids = RowIds(Store());
  ASSERT_EQ(ids.size(), 5u);
  Run([&] { return Update(Store(), "k IN (2, 4)", {{"v", "v + 1"}}, Options()); });
  EXPECT_EQ(RowIds(Store()), ids);
  Run([&] { return Delete(Store(), "k = 1", Options()); });
  auto after = ids;
  after.erase(1);
  EXPECT_EQ(RowIds(Store()), after);
  Run([&] {
    return Merge(Store(), Kv({{3, 33}, {9, 90}}), "target.k = source.k",
                 {WhenMatchedUpdateAll(), WhenNotMatchedInsertAll()}, mo_);
  });
  auto merged = RowIds(Store());
  ASSERT_EQ(merged.size(), 5u);
  for (const auto& [k, id] : after) EXPECT_EQ(merged.at(k), id) << k;
  std::set<int64_t> unique;
  for (const auto& [k, id] : merged) unique.insert(id);
  EXPECT_EQ(unique.size(), 5u) << "row ids must stay unique";
}

// ---- concurrency ----------------------------------------------------------------------------

// Runs `race` (another writer) just before the first commit attempt of the wrapped caller.
class RacingStore final : public storage::ObjectStore {
 public:
  RacingStore(std::shared_ptr<storage::ObjectStore> inner, std::function<void()> race)
      : inner_(std::move(inner)), race_(std::move(race)) {}
  std::vector<storage::ObjectMeta> List(std::string_view d, std::string_view s) override {
    return inner_->List(d, s);
  }
  std::vector<storage::ObjectMeta> ListRecursive(std::string_view d, std::string_view s) override {
    return inner_->ListRecursive(d, s);
  }
  std::string Read(std::string_view k) override { return inner_->Read(k); }
  std::string ReadRange(std::string_view k, int64_t o, int64_t l) override {
    return inner_->ReadRange(k, o, l);
  }
  std::shared_ptr<storage::RandomAccessFile> OpenForRead(std::string_view k) override {
    return inner_->OpenForRead(k);
  }
  void Write(std::string_view k, std::string_view b) override { inner_->Write(k, b); }
  bool PutIfAbsent(std::string_view k, std::string_view b) override {
    if (race_ && k.rfind("_delta_log/", 0) == 0) {
      auto r = std::move(race_);
      race_ = nullptr;
      r();
    }
    return inner_->PutIfAbsent(k, b);
  }
  void Delete(std::string_view k) override { inner_->Delete(k); }
  std::optional<storage::ObjectMeta> Head(std::string_view k) override { return inner_->Head(k); }
  std::unique_ptr<storage::WritableFile> OpenForWrite(std::string_view k) override {
    return inner_->OpenForWrite(k);
  }
  std::string DisplayPath(std::string_view k) const override { return inner_->DisplayPath(k); }

 private:
  std::shared_ptr<storage::ObjectStore> inner_;
  std::function<void()> race_;
};

TEST_P(DmlTest, ConcurrentWritersConflictOnlyWhenTheyOverlap) {
  const std::vector<std::vector<Row>> files = {{{1, 10}, {2, 20}, {3, 30}},
                                               {{11, 110}, {12, 120}, {13, 130}}};
  // A merge racing a blind append: both commit.
  Create(files);
  {
    auto racing = std::make_shared<RacingStore>(Store(), [&] {
      WriteDeltaTable(Store(), Kv({{100, 1}}), WriteOptions{});
    });
    auto r = Merge(racing, Kv({{2, 21}, {5, 50}}), "target.k = source.k",
                   {WhenMatchedUpdateAll(), WhenNotMatchedInsertAll()}, mo_);
    EXPECT_EQ(r.attempts, 2);
    EXPECT_EQ(Rows(ScanAll()),
              Set({"1:10", "2:21", "3:30", "5:50", "11:110", "12:120", "13:130", "100:1"}));
  }
  // Deletes on disjoint files: both commit.
  {
    auto racing = std::make_shared<RacingStore>(Store(), [&] { Delete(Store(), "k = 1"); });
    auto r = Delete(racing, "k = 12", Options());
    EXPECT_EQ(r.attempts, 2);
    EXPECT_EQ(Rows(ScanAll()), Set({"2:21", "3:30", "5:50", "11:110", "13:130", "100:1"}));
  }
  // Overlapping: the same file changed by both → CommitConflict, and the table is as the
  // winner left it.
  {
    auto racing = std::make_shared<RacingStore>(Store(), [&] { Delete(Store(), "k = 11"); });
    EXPECT_THROW(Update(racing, "k = 13", {{"v", "0"}}, Options()), CommitConflict);
    EXPECT_EQ(Rows(ScanAll()), Set({"2:21", "3:30", "5:50", "13:130", "100:1"}));
  }
  {
    auto racing = std::make_shared<RacingStore>(Store(), [&] {
      Update(Store(), "k = 2", {{"v", "7"}});
    });
    EXPECT_THROW(Merge(racing, Kv({{3, 0}}), "target.k = source.k", {WhenMatchedDelete()}, mo_),
                 CommitConflict);
  }
}

}  // namespace
}  // namespace cpglake::delta
