// REPLACE ROWS (delta/dml.h): per-owner replacement in one commit. Every case runs in
// deletion-vector and in copy-on-write mode and checks the rows by hand; the change data
// feed must show exactly the changed rows (unchanged rows absent, same-key changes as
// update pre/post images); rows of other owners are never changed; row ids survive; files
// and (with DVs) row groups the owners cannot be in are not read.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "delta/deletion_vector.h"
#include "delta/dml.h"
#include "delta/scan.h"
#include "delta/snapshot.h"
#include "delta/table_changes.h"
#include "delta/writer.h"
#include "storage/object_store.h"
#include "test_util.h"

namespace cpglake::delta {
namespace {

namespace fs = std::filesystem;
using columnar::Column;
using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;
using cpglake::testing::TempDir;

// (owner, id, value)
struct Row {
  std::optional<std::string> fid;
  int64_t id = 0;
  std::optional<std::string> val;
};

Schema RowSchema() {
  return Schema(std::vector<Field>{Field("fid", DataType::String(), true),
                                   Field("id", DataType::Int64(), false),
                                   Field("val", DataType::String(), true)});
}

RecordBatch Batch(const std::vector<Row>& rows) {
  RecordBatch b = RecordBatch::MakeEmpty(RowSchema());
  for (const auto& r : rows) {
    if (r.fid) {
      b.mutable_column(0).AppendString(*r.fid);
    } else {
      b.mutable_column(0).AppendNull();
    }
    b.mutable_column(1).Append<int64_t>(r.id);
    if (r.val) {
      b.mutable_column(2).AppendString(*r.val);
    } else {
      b.mutable_column(2).AppendNull();
    }
  }
  b.set_num_rows(static_cast<int64_t>(rows.size()));
  return b;
}

std::string Cell(const Column& c, int64_t r) {
  if (c.IsNull(r)) return "null";
  if (c.type_id() == columnar::TypeId::kInt64) return std::to_string(c.Get<int64_t>(r));
  return std::string(c.GetString(r));
}

// "fid:id:val" per row (the batch's first three columns).
std::multiset<std::string> Rows(const RecordBatch& b) {
  std::multiset<std::string> out;
  for (int64_t r = 0; r < b.num_rows(); ++r) {
    out.insert(Cell(b.column(0), r) + ":" + Cell(b.column(1), r) + ":" + Cell(b.column(2), r));
  }
  return out;
}

using Changes = std::map<std::string, std::multiset<std::string>>;

class ReplaceRowsTest : public ::testing::TestWithParam<bool> {
 protected:
  bool dv() const { return GetParam(); }
  std::shared_ptr<storage::ObjectStore> Store() {
    return storage::OpenObjectStore(dir_.path().string());
  }
  std::shared_ptr<const Snapshot> Latest() { return SnapshotBuilder(Store()).Build(); }
  std::multiset<std::string> Table() { return Rows(ScanBuilder(Latest()).Build().ReadAll()); }
  // A table holding `files`, one data file each (CDF per `cdf`, DVs per the parameter).
  void Create(const std::vector<std::vector<Row>>& files, bool cdf = true,
              std::map<std::string, std::string> extra = {}, int64_t row_group_rows = 0) {
    WriteOptions o;
    o.properties = {{"delta.enableChangeDataFeed", cdf ? "true" : "false"},
                    {"delta.enableDeletionVectors", dv() ? "true" : "false"}};
    for (auto& [k, v] : extra) o.properties[k] = v;
    o.now_ms = 1700000000000;
    if (row_group_rows > 0) o.parquet.row_group_rows = row_group_rows;
    for (const auto& rows : files) {
      WriteDeltaTable(Store(), Batch(rows), o);
      o.properties.clear();
    }
  }
  DmlOptions Options() {
    DmlOptions o;
    o.write.now_ms = 1700000001000;
    return o;
  }
  DmlResult Replace(const ReplaceSpec& spec, const std::vector<Row>& rows) {
    DmlResult r = ReplaceRows(Store(), spec, Batch(rows), Options());
    EXPECT_EQ(r.deletion_vectors, dv());
    return r;
  }
  // The change data of one version, by _change_type.
  Changes ChangesAt(int64_t version) {
    RecordBatch b = TableChanges(Store(), version, version).ReadAll();
    const size_t type = static_cast<size_t>(b.schema().FieldIndex("_change_type"));
    Changes out;
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      out[std::string(b.column(type).GetString(r))].insert(
          Cell(b.column(0), r) + ":" + Cell(b.column(1), r) + ":" + Cell(b.column(2), r));
    }
    return out;
  }
  // Stable row ids of the live rows, by id (as dml_test reads them).
  std::map<int64_t, int64_t> RowIds() {
    auto snap = Latest();
    const auto& cfg = snap->config();
    const auto name = cfg.Property("delta.rowTracking.materializedRowIdColumnName");
    std::map<int64_t, int64_t> out;
    for (const auto& f : snap->files()) {
      EXPECT_TRUE(f.base_row_id.has_value());
      DeletionVector dvec;
      if (f.deletion_vector) dvec = LoadDeletionVector(*f.deletion_vector, *Store());
      std::vector<Field> optional;
      if (name) optional.emplace_back(*name, DataType::Int64(), true);
      ReadTableFile(
          cfg, *Store(), f.path, f.partition_values, {1}, {},
          [&](const RecordBatch& b, int64_t first) {
            for (int64_t i = 0; i < b.num_rows(); ++i) {
              if (dvec.Contains(static_cast<uint64_t>(first + i))) continue;
              int64_t id = *f.base_row_id + first + i;
              if (name && b.column(1).IsValid(i)) id = b.column(1).Get<int64_t>(i);
              out[b.column(0).Get<int64_t>(i)] = id;
            }
          },
          nullptr, 1, optional);
    }
    return out;
  }
  int64_t DataFilesOnDisk() {
    int64_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir_.path())) {
      if (e.is_regular_file() && e.path().extension() == ".parquet") ++n;
    }
    return n;
  }

  TempDir dir_;
};

INSTANTIATE_TEST_SUITE_P(Strategies, ReplaceRowsTest, ::testing::Values(true, false),
                         [](const auto& info) {
                           return info.param ? "DeletionVectors" : "CopyOnWrite";
                         });

std::multiset<std::string> Set(std::initializer_list<std::string> rows) {
  return rows;
}

ReplaceSpec Spec(std::vector<std::string> owners, std::vector<std::string> keys = {"id"}) {
  ReplaceSpec s;
  s.owner_column = "fid";
  s.owners = std::move(owners);
  s.key_columns = std::move(keys);
  return s;
}

// Two files: owners a, b and NULL in the first, b and c in the second.
const std::vector<std::vector<Row>> kTwoFiles = {
    {{"a", 1, "x"}, {"a", 2, "y"}, {"a", 3, "z"}, {"b", 10, "p"}, {std::nullopt, 100, "r"}},
    {{"b", 11, "q"}, {"c", 20, "s"}}};

TEST_P(ReplaceRowsTest, KeepsEqualRowsUpdatesSameKeyDeletesAndInsertsTheRest) {
  Create(kTwoFiles);
  const int64_t before = Latest()->version();
  auto r = Replace(Spec({"a"}), {{"a", 4, "w"}, {"a", 2, "Y"}, {"a", 1, "x"}});
  ASSERT_TRUE(r.committed);
  EXPECT_EQ(r.version, before + 1);
  EXPECT_EQ(Table(), Set({"a:1:x", "a:2:Y", "a:4:w", "b:10:p", "null:100:r", "b:11:q", "c:20:s"}));
  // The change feed: only what changed; a:1:x (kept) is absent.
  const Changes c = ChangesAt(r.version);
  EXPECT_EQ(c, (Changes{{"delete", {"a:3:z"}},
                        {"update_preimage", {"a:2:y"}},
                        {"update_postimage", {"a:2:Y"}},
                        {"insert", {"a:4:w"}}}));
  EXPECT_EQ(r.metrics.rows_deleted, 1);
  EXPECT_EQ(r.metrics.rows_updated, 1);
  EXPECT_EQ(r.metrics.rows_inserted, 1);
  // The second file (owners b..c) is pruned by its statistics.
  EXPECT_EQ(r.metrics.files_read, 1);
  EXPECT_EQ(r.metrics.files_skipped, 1);
  EXPECT_EQ(r.metrics.files_touched, 1);
  if (dv()) {
    EXPECT_EQ(r.metrics.rows_copied, 0);
    EXPECT_EQ(r.metrics.deletion_vectors_added, 1);
  } else {
    EXPECT_EQ(r.metrics.rows_copied, 3);  // a:1:x, b:10:p, null:100:r
    EXPECT_EQ(r.metrics.deletion_vectors_added, 0);
  }
  EXPECT_NE(r.commit_info.find("\"operation\":\"REPLACE ROWS\""), std::string::npos)
      << r.commit_info;
  EXPECT_NE(r.commit_info.find("\"ownerColumn\":\"fid\""), std::string::npos) << r.commit_info;
  EXPECT_NE(r.commit_info.find("\"numOwners\":\"1\""), std::string::npos) << r.commit_info;
}

TEST_P(ReplaceRowsTest, WithoutKeysAChangedRowIsADeleteAndAnInsert) {
  Create(kTwoFiles);
  auto r = Replace(Spec({"a", "c"}, {}), {{"a", 1, "x"}, {"a", 2, "Y"}, {"a", 3, "z"}});
  ASSERT_TRUE(r.committed);
  EXPECT_EQ(Table(), Set({"a:1:x", "a:2:Y", "a:3:z", "b:10:p", "null:100:r", "b:11:q"}));
  EXPECT_EQ(ChangesAt(r.version),
            (Changes{{"delete", {"a:2:y", "c:20:s"}}, {"insert", {"a:2:Y"}}}));
  EXPECT_EQ(r.metrics.rows_updated, 0);
  EXPECT_EQ(r.metrics.files_touched, 2);
}

TEST_P(ReplaceRowsTest, NullOwnerGroupIsReplacedAndOtherOwnersInItsFileAreUntouched) {
  Create(kTwoFiles, true, {{"delta.enableRowTracking", "true"}});
  const auto ids = RowIds();
  ReplaceSpec spec = Spec({});
  spec.null_owner = true;
  auto r = Replace(spec, {{std::nullopt, 100, "r2"}, {std::nullopt, 101, std::nullopt}});
  ASSERT_TRUE(r.committed);
  EXPECT_EQ(Table(), Set({"a:1:x", "a:2:y", "a:3:z", "b:10:p", "null:100:r2", "null:101:null",
                          "b:11:q", "c:20:s"}));
  EXPECT_EQ(ChangesAt(r.version), (Changes{{"update_preimage", {"null:100:r"}},
                                           {"update_postimage", {"null:100:r2"}},
                                           {"insert", {"null:101:null"}}}));
  // Every old row keeps its id (the updated one too); the new row has a new, unique one.
  auto after = RowIds();
  ASSERT_EQ(after.size(), ids.size() + 1);
  for (const auto& [id, row_id] : ids) EXPECT_EQ(after.at(id), row_id) << id;
  for (const auto& [id, row_id] : ids) EXPECT_NE(after.at(101), row_id);
  // Rows of owner NULL and of an owner are replaced together.
  spec.owners = {"c"};
  auto both = Replace(spec, {{"c", 20, "s"}});
  EXPECT_EQ(Table(), Set({"a:1:x", "a:2:y", "a:3:z", "b:10:p", "b:11:q", "c:20:s"}));
  EXPECT_EQ(ChangesAt(both.version), (Changes{{"delete", {"null:100:r2", "null:101:null"}}}));
}

TEST_P(ReplaceRowsTest, RowTrackingKeepsIdsOfKeptAndUpdatedRows) {
  Create(kTwoFiles, true, {{"delta.enableRowTracking", "true"}});
  const auto ids = RowIds();
  ASSERT_EQ(ids.size(), 7u);
  auto r = Replace(Spec({"a"}), {{"a", 1, "x"}, {"a", 2, "Y"}, {"a", 5, "n"}});
  ASSERT_TRUE(r.committed);
  auto after = RowIds();
  EXPECT_EQ(after.at(1), ids.at(1));    // kept
  EXPECT_EQ(after.at(2), ids.at(2));    // updated
  EXPECT_EQ(after.count(3), 0u);        // deleted
  EXPECT_EQ(after.at(10), ids.at(10));  // another owner, same file
  EXPECT_EQ(after.at(100), ids.at(100));
  std::set<int64_t> unique;
  for (const auto& [id, row_id] : after) unique.insert(row_id);
  EXPECT_EQ(unique.size(), after.size()) << "row ids must stay unique";
  EXPECT_EQ(Table(), Set({"a:1:x", "a:2:Y", "a:5:n", "b:10:p", "null:100:r", "b:11:q", "c:20:s"}));
}

TEST_P(ReplaceRowsTest, NoChangeMakesNoCommit) {
  Create(kTwoFiles);
  const int64_t before = Latest()->version();
  // The same multiset in another order, and with an owner that has no rows.
  auto r = Replace(Spec({"a", "zz"}), {{"a", 3, "z"}, {"a", 1, "x"}, {"a", 2, "y"}});
  EXPECT_FALSE(r.committed);
  EXPECT_EQ(r.version, before);
  EXPECT_EQ(Latest()->version(), before);
  EXPECT_EQ(r.metrics.rows_deleted + r.metrics.rows_updated + r.metrics.rows_inserted, 0);
  // Duplicates count: a second copy of a:1:x is an insert.
  auto dup = Replace(Spec({"a"}), {{"a", 3, "z"}, {"a", 1, "x"}, {"a", 2, "y"}, {"a", 1, "x"}});
  EXPECT_TRUE(dup.committed);
  EXPECT_EQ(dup.metrics.rows_inserted, 1);
  EXPECT_EQ(dup.metrics.rows_updated, 0);
  EXPECT_EQ(ChangesAt(dup.version), (Changes{{"insert", {"a:1:x"}}}));
}

TEST_P(ReplaceRowsTest, AnEmptyNewSetDeletesTheOwnersRows) {
  Create(kTwoFiles);
  auto r = Replace(Spec({"b", "a"}), {});
  ASSERT_TRUE(r.committed);
  EXPECT_EQ(Table(), Set({"null:100:r", "c:20:s"}));
  EXPECT_EQ(ChangesAt(r.version),
            (Changes{{"delete", {"a:1:x", "a:2:y", "a:3:z", "b:10:p", "b:11:q"}}}));
  EXPECT_EQ(r.metrics.rows_deleted, 5);
  EXPECT_EQ(r.metrics.rows_inserted, 0);
}

TEST_P(ReplaceRowsTest, OwnersAbsentFromTheTableArePureInserts) {
  Create(kTwoFiles);
  auto r = Replace(Spec({"zz"}), {{"zz", 7, "n"}, {"zz", 8, std::nullopt}});
  ASSERT_TRUE(r.committed);
  EXPECT_EQ(r.metrics.files_read, 0);  // no file's statistics admit 'zz'
  EXPECT_EQ(r.metrics.files_skipped, 2);
  EXPECT_EQ(r.metrics.rows_inserted, 2);
  EXPECT_EQ(r.metrics.cdc_files_added, 0);  // the adds are the inserts
  EXPECT_EQ(Table(), Set({"a:1:x", "a:2:y", "a:3:z", "b:10:p", "null:100:r", "b:11:q", "c:20:s",
                          "zz:7:n", "zz:8:null"}));
  EXPECT_EQ(ChangesAt(r.version), (Changes{{"insert", {"zz:7:n", "zz:8:null"}}}));
}

TEST_P(ReplaceRowsTest, WithoutChangeDataFeedWritesNoChangeFiles) {
  Create(kTwoFiles, /*cdf=*/false);
  auto r = Replace(Spec({"a"}), {{"a", 1, "x"}, {"a", 2, "Y"}, {"a", 4, "w"}});
  ASSERT_TRUE(r.committed);
  EXPECT_EQ(r.metrics.cdc_files_added, 0);
  EXPECT_EQ(r.metrics.rows_updated, 1);
  EXPECT_EQ(r.metrics.rows_deleted, 1);
  EXPECT_EQ(r.metrics.rows_inserted, 1);
  EXPECT_FALSE(fs::exists(dir_.path() / "_change_data"));
  EXPECT_EQ(Table(), Set({"a:1:x", "a:2:Y", "a:4:w", "b:10:p", "null:100:r", "b:11:q", "c:20:s"}));
}

TEST_P(ReplaceRowsTest, SkipsFilesAndWithDeletionVectorsRowGroups) {
  // Row groups of two rows: [a a] [b b] [c c] in the first file, [d d] [e e] in the second.
  Create(
      {{{"a", 1, "1"}, {"a", 2, "2"}, {"b", 3, "3"}, {"b", 4, "4"}, {"c", 5, "5"}, {"c", 6, "6"}},
       {{"d", 7, "7"}, {"d", 8, "8"}, {"e", 9, "9"}, {"e", 10, "10"}}},
      true, {}, /*row_group_rows=*/2);
  auto r = Replace(Spec({"b"}), {{"b", 3, "3"}, {"b", 4, "four"}});
  ASSERT_TRUE(r.committed);
  EXPECT_EQ(r.metrics.files_skipped, 1);
  EXPECT_EQ(r.metrics.files_read, 1);
  // Copy-on-write reads (and copies) every row group of a touched file.
  EXPECT_EQ(r.metrics.row_groups_skipped, dv() ? 2 : 0);
  EXPECT_EQ(r.metrics.rows_copied, dv() ? 0 : 5);
  EXPECT_EQ(ChangesAt(r.version),
            (Changes{{"update_preimage", {"b:4:4"}}, {"update_postimage", {"b:4:four"}}}));
  EXPECT_EQ(Table(), Set({"a:1:1", "a:2:2", "b:3:3", "b:4:four", "c:5:5", "c:6:6", "d:7:7", "d:8:8",
                          "e:9:9", "e:10:10"}));
}

TEST_P(ReplaceRowsTest, PrunePredicateSkipsRowGroupsTheOwnersCannotRuleOut) {
  // Row groups [a c] [b b] [a c]: the owner b lies inside every row group's fid range, but
  // the caller knows its rows have ids 3..4 (as cpg_nodes' rows are sorted by path).
  Create(
      {{{"a", 1, "1"}, {"c", 2, "2"}, {"b", 3, "3"}, {"b", 4, "4"}, {"a", 5, "5"}, {"c", 6, "6"}}},
      true, {}, /*row_group_rows=*/2);
  auto plain = Replace(Spec({"b"}), {{"b", 3, "3"}, {"b", 4, "4"}});
  EXPECT_FALSE(plain.committed);
  EXPECT_EQ(plain.metrics.row_groups_skipped, 0);
  ReplaceSpec spec = Spec({"b"});
  spec.prune_predicate = "id BETWEEN 3 AND 4";
  auto r = Replace(spec, {{"b", 3, "three"}});
  ASSERT_TRUE(r.committed);
  EXPECT_EQ(r.metrics.row_groups_skipped, dv() ? 2 : 0);
  EXPECT_EQ(ChangesAt(r.version), (Changes{{"update_preimage", {"b:3:3"}},
                                           {"update_postimage", {"b:3:three"}},
                                           {"delete", {"b:4:4"}}}));
  EXPECT_EQ(Table(), Set({"a:1:1", "c:2:2", "b:3:three", "a:5:5", "c:6:6"}));
  // A new row outside the prune predicate contradicts it.
  EXPECT_THROW(Replace(spec, {{"b", 9, "x"}}), InvalidInput);
}

TEST_P(ReplaceRowsTest, ApplicationTransactionsAreAppliedOnce) {
  Create(kTwoFiles);
  DmlOptions o = Options();
  o.write.app_id = "incremental";
  o.write.app_version = 1;
  auto r = ReplaceRows(Store(), Spec({"c"}), Batch({{"c", 20, "s1"}}), o);
  ASSERT_TRUE(r.committed);
  EXPECT_EQ(Latest()->app_transactions().at("incremental").version, 1);
  EXPECT_TRUE(r.skip_reason.empty());
  // The same version again: skipped, although the rows differ.
  auto again = ReplaceRows(Store(), Spec({"c"}), Batch({{"c", 20, "s2"}}), o);
  EXPECT_FALSE(again.committed);
  EXPECT_EQ(again.version, r.version);
  EXPECT_NE(again.skip_reason.find("incremental"), std::string::npos) << again.skip_reason;
  EXPECT_EQ(again.metrics.files_read, 0);
  EXPECT_EQ(Table(), Set({"a:1:x", "a:2:y", "a:3:z", "b:10:p", "null:100:r", "b:11:q", "c:20:s1"}));
  // A later version applies.
  o.write.app_version = 2;
  auto next = ReplaceRows(Store(), Spec({"c"}), Batch({{"c", 20, "s2"}}), o);
  ASSERT_TRUE(next.committed);
  EXPECT_EQ(Latest()->app_transactions().at("incremental").version, 2);
  EXPECT_EQ(Table(), Set({"a:1:x", "a:2:y", "a:3:z", "b:10:p", "null:100:r", "b:11:q", "c:20:s2"}));
  // The other DML operations honour it too.
  EXPECT_FALSE(Delete(Store(), "id = 1", o).committed);
  EXPECT_EQ(Table().count("a:1:x"), 1u);
  // Both or neither.
  o.write.app_version.reset();
  EXPECT_THROW(ReplaceRows(Store(), Spec({"c"}), Batch({}), o), InvalidInput);
}

TEST_P(ReplaceRowsTest, RefusesForeignOwnersAndUnknownColumnsWritingNothing) {
  Create(kTwoFiles);
  const int64_t version = Latest()->version();
  const int64_t files = DataFilesOnDisk();
  // A new row of an owner outside the set (also NULL without null_owner).
  EXPECT_THROW(Replace(Spec({"a"}), {{"a", 1, "x"}, {"b", 12, "t"}}), InvalidInput);
  EXPECT_THROW(Replace(Spec({"a"}), {{std::nullopt, 12, "t"}}), InvalidInput);
  ReplaceSpec bad = Spec({"a"});
  bad.owner_column = "nope";
  EXPECT_THROW(Replace(bad, {}), InvalidInput);
  bad.owner_column = "id";  // not a string column
  EXPECT_THROW(Replace(bad, {}), InvalidInput);
  EXPECT_THROW(Replace(Spec({"a"}, {"nope"}), {}), InvalidInput);
  EXPECT_EQ(Latest()->version(), version);
  EXPECT_EQ(DataFilesOnDisk(), files);
  EXPECT_EQ(Table(), Set({"a:1:x", "a:2:y", "a:3:z", "b:10:p", "null:100:r", "b:11:q", "c:20:s"}));
}

TEST_P(ReplaceRowsTest, FloatsCompareBitwise) {
  // A double column: -0.0 replacing 0.0 is a change (an update by key), 1.5 for 1.5 is not.
  WriteOptions o;
  o.properties = {{"delta.enableChangeDataFeed", "true"},
                  {"delta.enableDeletionVectors", dv() ? "true" : "false"}};
  const Schema schema(std::vector<Field>{Field("fid", DataType::String(), true),
                                         Field("id", DataType::Int64(), false),
                                         Field("x", DataType::Float64(), true)});
  auto make = [&](const std::vector<std::pair<int64_t, double>>& rows) {
    RecordBatch b = RecordBatch::MakeEmpty(schema);
    for (const auto& [id, x] : rows) {
      b.mutable_column(0).AppendString("a");
      b.mutable_column(1).Append<int64_t>(id);
      b.mutable_column(2).Append<double>(x);
    }
    b.set_num_rows(static_cast<int64_t>(rows.size()));
    return b;
  };
  WriteDeltaTable(Store(), make({{1, 0.0}, {2, 1.5}}), o);
  auto r = ReplaceRows(Store(), Spec({"a"}), make({{1, -0.0}, {2, 1.5}}), Options());
  ASSERT_TRUE(r.committed);
  EXPECT_EQ(r.metrics.rows_updated, 1);
  EXPECT_EQ(r.metrics.rows_deleted + r.metrics.rows_inserted, 0);
  const RecordBatch all = ScanBuilder(Latest()).Build().ReadAll();
  ASSERT_EQ(all.num_rows(), 2);
  for (int64_t i = 0; i < 2; ++i) {
    const double x = all.column(2).Get<double>(i);
    EXPECT_EQ(std::signbit(x), all.column(1).Get<int64_t>(i) == 1) << i;
  }
}

}  // namespace
}  // namespace cpglake::delta
