// Changes of the graph between two builds (pipeline/changes.h) over an output directory built
// by hand: graph tables with deletion vectors and the change data feed, changed by DELETE,
// UPDATE, appends, OPTIMIZE and an overwrite, and manifest rows that record their versions.
#include "pipeline/changes.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/error.h"
#include "delta/dml.h"
#include "delta/maintenance.h"
#include "delta/writer.h"
#include "storage/object_store.h"
#include "test_util.h"

namespace cpglake::pipeline {

// For gtest's messages (found by argument-dependent lookup).
void PrintTo(const ChangeCount& c, std::ostream* os);
void PrintTo(const ChangeCount& c, std::ostream* os) {
  *os << "{" << c.table << " " << c.path << " " << c.kind << " +" << c.added << " -" << c.removed
      << " ~" << c.changed << "}";
}

namespace {

namespace fs = std::filesystem;
using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;
using cpglake::testing::TempDir;
using Cells = std::vector<std::optional<std::string>>;

// Tables of string columns: the columns the changes are grouped by, and an id.
Schema StringSchema(const std::vector<std::string>& names) {
  std::vector<Field> fields;
  for (const auto& n : names) fields.emplace_back(n, DataType::String(), true);
  return Schema(std::move(fields));
}

const std::map<std::string, std::vector<std::string>>& Columns() {
  static const std::map<std::string, std::vector<std::string>> columns = {
      {"cpg_nodes", {"node_id", "node_kind", "path"}},
      {"cpg_edges", {"edge_id", "edge_kind", "path"}},
      {"cpg_props", {"entity_id", "file_id", "prop_key", "value"}},
      {"_cpglake/repo_files", {"file_id", "path"}},
  };
  return columns;
}

class ChangesTest : public ::testing::Test {
 protected:
  std::string Out() const { return (dir_.path() / "out").string(); }
  std::shared_ptr<storage::ObjectStore> Store(const std::string& table) const {
    return storage::OpenObjectStore((dir_.path() / "out" / table).string());
  }

  // Writes rows to OUT/<table> (append, or overwrite); returns the version written.
  int64_t Write(const std::string& table, const std::vector<Cells>& rows, bool overwrite = false) {
    const Schema schema = StringSchema(Columns().at(table));
    RecordBatch b = RecordBatch::MakeEmpty(schema);
    for (const auto& row : rows) {
      for (size_t c = 0; c < row.size(); ++c) {
        if (row[c]) {
          b.mutable_column(c).AppendString(*row[c]);
        } else {
          b.mutable_column(c).AppendNull();
        }
      }
    }
    b.set_num_rows(static_cast<int64_t>(rows.size()));
    delta::WriteOptions o;
    o.mode = overwrite ? delta::WriteMode::kOverwrite : delta::WriteMode::kAppend;
    o.properties = {{"delta.enableChangeDataFeed", "true"},
                    {"delta.enableDeletionVectors", "true"}};
    return delta::WriteDeltaTable(Store(table), b, o).version;
  }
  int64_t Delete(const std::string& table, const std::string& predicate) {
    auto r = delta::Delete(Store(table), predicate);
    EXPECT_TRUE(r.committed) << predicate;
    return r.version;
  }
  int64_t Update(const std::string& table, const std::string& predicate,
                 const std::map<std::string, std::string>& set) {
    auto r = delta::Update(Store(table), predicate, set);
    EXPECT_TRUE(r.committed) << predicate;
    return r.version;
  }

  void Record(const std::string& id, const std::map<std::string, int64_t>& versions,
              const std::string& status = kBuildSucceeded, const std::string& mode = "full") {
    BuildRecord r;
    r.build_id = id;
    r.repo_id = "repo";
    r.started_at_us = started_ += 1000000;
    r.mode = mode;
    r.status = status;
    for (const auto& [name, version] : versions) {
      TableRecord t;
      t.name = name;
      t.path = Out() + "/" + name;
      t.version = version;
      r.tables.push_back(t);
    }
    AppendBuildRecord(Out(), r);
  }

  // The standard history:
  //   A (full):        nodes n1 FUNC a.py, n2 CLASS a.py, n3 FUNC b.py, n4 CALL b.py;
  //                    edges e1 CALLS a.py, e2 CALLS b.py; props of fa, fb and one without
  //                    a file; repo_files fa → a.py, fb → b.py.
  //   B (incremental): n4 deleted, n1 updated, n5 CLASS c.py added; e2 deleted; a prop of fb
  //                    updated, the file-less prop deleted, props of fc (c.py, added to
  //                    repo_files) and fz (unknown) added.
  //   C (failed):      records a nodes version it never wrote.
  //   D (incremental): OPTIMIZE of nodes, then n2 deleted.
  void MakeHistory() {
    const std::map<std::string, int64_t> a = {
        {"cpg_nodes", Write("cpg_nodes", {{"n1", "FUNC", "a.py"},
                                          {"n2", "CLASS", "a.py"},
                                          {"n3", "FUNC", "b.py"},
                                          {"n4", "CALL", "b.py"}})},
        {"cpg_edges", Write("cpg_edges", {{"e1", "CALLS", "a.py"}, {"e2", "CALLS", "b.py"}})},
        {"cpg_props", Write("cpg_props", {{"n1", "fa", "name", "f"},
                                          {"n3", "fb", "name", "g"},
                                          {"n3", "fb", "doc", "text"},
                                          {"r", std::nullopt, "name", "repo"}})},
        {"_cpglake/repo_files", Write("_cpglake/repo_files", {{"fa", "a.py"}, {"fb", "b.py"}})},
    };
    Record("aaaa0001-a", a);

    Delete("cpg_nodes", "node_id = 'n4'");
    Update("cpg_nodes", "node_id = 'n1'", {{"node_id", "'n1b'"}});
    std::map<std::string, int64_t> b = {
        {"cpg_nodes", Write("cpg_nodes", {{"n5", "CLASS", "c.py"}})},
        {"cpg_edges", Delete("cpg_edges", "edge_id = 'e2'")},
    };
    Update("cpg_props", "entity_id = 'n3' AND prop_key = 'name'", {{"value", "'h'"}});
    Delete("cpg_props", "entity_id = 'r'");
    b["cpg_props"] = Write("cpg_props", {{"n5", "fc", "name", "C"}, {"x", "fz", "doc", "?"}});
    b["_cpglake/repo_files"] = Write("_cpglake/repo_files", {{"fc", "c.py"}});
    Record("bbbb0002-b", b, kBuildSucceeded, "incremental");

    std::map<std::string, int64_t> c = b;
    c["cpg_nodes"] = 99;
    Record("cccc0003-c", c, kBuildFailed, "incremental");

    const auto optimized = delta::Optimize(Store("cpg_nodes"));
    EXPECT_GT(optimized.version, b["cpg_nodes"]);
    std::map<std::string, int64_t> d = b;
    d["cpg_nodes"] = Delete("cpg_nodes", "node_id = 'n2'");
    EXPECT_EQ(d["cpg_nodes"], optimized.version + 1);
    Record("dddd0004-d", d, kBuildSucceeded, "incremental");
  }

  TempDir dir_;
  int64_t started_ = 1700000000000000;
};

ChangeCount Count(const std::string& table, const std::string& path, const std::string& kind,
                  int64_t added, int64_t removed, int64_t changed) {
  return ChangeCount{table, kind, path, added, removed, changed};
}

TEST_F(ChangesTest, CountsInsertsDeletesAndUpdatePairsByKindAndPath) {
  MakeHistory();
  const GraphChanges c = ReadGraphChanges(Out(), std::string("aaaa"), std::string("bbbb0002-b"));
  EXPECT_EQ(c.from.build_id, "aaaa0001-a");
  EXPECT_EQ(c.to.build_id, "bbbb0002-b");
  EXPECT_EQ(c.versions.at("cpg_nodes"), std::make_pair(int64_t{0}, int64_t{3}));
  EXPECT_EQ(c.versions.at("cpg_edges"), std::make_pair(int64_t{0}, int64_t{1}));
  EXPECT_EQ(c.versions.at("cpg_props"), std::make_pair(int64_t{0}, int64_t{3}));
  const std::vector<ChangeCount> want = {
      Count("cpg_edges", "b.py", "CALLS", 0, 1, 0),
      Count("cpg_nodes", "a.py", "FUNC", 0, 0, 1),
      Count("cpg_nodes", "b.py", "CALL", 0, 1, 0),
      Count("cpg_nodes", "c.py", "CLASS", 1, 0, 0),
      // Props: the path of their file_id; "" for no file_id and for an unknown one.
      Count("cpg_props", "", "doc", 1, 0, 0),
      Count("cpg_props", "", "name", 0, 1, 0),
      Count("cpg_props", "b.py", "name", 0, 0, 1),
      Count("cpg_props", "c.py", "name", 1, 0, 0),
  };
  EXPECT_EQ(c.counts, want);

  const auto totals = ChangeTotals(c);
  ASSERT_EQ(totals.size(), 3u);
  EXPECT_EQ(totals.at("cpg_nodes"), Count("cpg_nodes", "", "", 1, 1, 1));
  EXPECT_EQ(totals.at("cpg_edges"), Count("cpg_edges", "", "", 0, 1, 0));
  EXPECT_EQ(totals.at("cpg_props"), Count("cpg_props", "", "", 2, 1, 1));

  EXPECT_EQ(RegroupChanges(c.counts, true, false), (std::vector<ChangeCount>{
                                                       Count("cpg_edges", "", "CALLS", 0, 1, 0),
                                                       Count("cpg_nodes", "", "CALL", 0, 1, 0),
                                                       Count("cpg_nodes", "", "CLASS", 1, 0, 0),
                                                       Count("cpg_nodes", "", "FUNC", 0, 0, 1),
                                                       Count("cpg_props", "", "doc", 1, 0, 0),
                                                       Count("cpg_props", "", "name", 1, 1, 1),
                                                   }));
  EXPECT_EQ(RegroupChanges(c.counts, false, true), (std::vector<ChangeCount>{
                                                       Count("cpg_edges", "b.py", "", 0, 1, 0),
                                                       Count("cpg_nodes", "a.py", "", 0, 0, 1),
                                                       Count("cpg_nodes", "b.py", "", 0, 1, 0),
                                                       Count("cpg_nodes", "c.py", "", 1, 0, 0),
                                                       Count("cpg_props", "", "", 1, 1, 0),
                                                       Count("cpg_props", "b.py", "", 0, 0, 1),
                                                       Count("cpg_props", "c.py", "", 1, 0, 0),
                                                   }));
}

TEST_F(ChangesTest, DefaultsToTheLatestSuccessfulBuildAndTheSuccessfulOneBefore) {
  MakeHistory();
  // D against B: the failed C is skipped; OPTIMIZE changes no data.
  const GraphChanges c = ReadGraphChanges(Out(), std::nullopt, std::nullopt);
  EXPECT_EQ(c.from.build_id, "bbbb0002-b");
  EXPECT_EQ(c.to.build_id, "dddd0004-d");
  EXPECT_EQ(c.versions.at("cpg_nodes"), std::make_pair(int64_t{3}, int64_t{5}));
  EXPECT_EQ(c.versions.at("cpg_edges"), std::make_pair(int64_t{1}, int64_t{1}));
  EXPECT_EQ(c.counts, (std::vector<ChangeCount>{Count("cpg_nodes", "a.py", "CLASS", 0, 1, 0)}));
  // Only --build: the successful build before it.
  const GraphChanges b = ReadGraphChanges(Out(), std::nullopt, std::string("bbbb"));
  EXPECT_EQ(b.from.build_id, "aaaa0001-a");
  EXPECT_EQ(b.counts.size(), 8u);
  // Over several builds: the feed of every version in between.
  const auto totals = ChangeTotals(ReadGraphChanges(Out(), std::string("aaaa"), std::nullopt));
  EXPECT_EQ(totals.at("cpg_nodes"), Count("cpg_nodes", "", "", 1, 2, 1));
}

TEST_F(ChangesTest, AFullBuildDeletesEveryOldRowAndInsertsEveryNewOne) {
  MakeHistory();
  std::map<std::string, int64_t> e = {
      {"cpg_nodes", Write("cpg_nodes", {{"n1b", "FUNC", "a.py"}, {"n3", "FUNC", "b.py"}}, true)},
      {"cpg_edges", 1},
      {"cpg_props", 3},
      {"_cpglake/repo_files", 1}};
  Record("eeee0005-e", e);
  const GraphChanges c = ReadGraphChanges(Out(), std::nullopt, std::nullopt);
  EXPECT_EQ(c.from.build_id, "dddd0004-d");
  EXPECT_EQ(c.counts, (std::vector<ChangeCount>{
                          Count("cpg_nodes", "a.py", "FUNC", 1, 1, 0),
                          Count("cpg_nodes", "b.py", "FUNC", 1, 1, 0),
                          Count("cpg_nodes", "c.py", "CLASS", 0, 1, 0),
                      }));
}

TEST_F(ChangesTest, StreamsTheChangedRowsOfOneTable) {
  MakeHistory();
  const GraphChanges range = ResolveChangeRange(Out(), std::string("aaaa"), std::string("bbbb"));
  EXPECT_TRUE(range.counts.empty());  // nothing read yet
  std::map<std::string, int64_t> types;
  const Schema schema = ReadChangedRows(Out(), range, "cpg_nodes", [&](const RecordBatch& b) {
    const auto* type = b.ColumnByName("_change_type");
    ASSERT_NE(type, nullptr);
    for (int64_t r = 0; r < b.num_rows(); ++r) ++types[std::string(type->GetString(r))];
  });
  EXPECT_GE(schema.FieldIndex("node_kind"), 0);
  EXPECT_GE(schema.FieldIndex("_commit_version"), 0);
  EXPECT_EQ(types,
            (std::map<std::string, int64_t>{
                {"delete", 1}, {"insert", 1}, {"update_postimage", 1}, {"update_preimage", 1}}));
  // No versions in between: no rows, but the schema.
  const GraphChanges later = ResolveChangeRange(Out(), std::string("bbbb"), std::string("dddd"));
  int64_t rows = 0;
  const Schema edges = ReadChangedRows(Out(), later, "cpg_edges",
                                       [&](const RecordBatch& b) { rows += b.num_rows(); });
  EXPECT_EQ(rows, 0);
  EXPECT_GE(edges.FieldIndex("_change_type"), 0);
  EXPECT_THROW(ReadChangedRows(Out(), later, "_cpglake/builds", [](const RecordBatch&) {}),
               InvalidInput);
}

TEST_F(ChangesTest, ErrorsNameTheProblem) {
  EXPECT_THROW(ReadGraphChanges((dir_.path() / "nowhere").string(), std::nullopt, std::nullopt),
               NotFound);
  fs::create_directories(Out());
  EXPECT_THROW(ReadGraphChanges(Out(), std::nullopt, std::nullopt), NotFound);  // no builds
  MakeHistory();
  EXPECT_THROW(ReadGraphChanges(Out(), std::string("ffff"), std::nullopt), NotFound);
  EXPECT_THROW(ReadGraphChanges(Out(), std::nullopt, std::string("ffff0000")), NotFound);
  // Not older: the same build, or a later one.
  EXPECT_THROW(ReadGraphChanges(Out(), std::string("bbbb"), std::string("bbbb")), InvalidInput);
  EXPECT_THROW(ReadGraphChanges(Out(), std::string("dddd"), std::string("bbbb")), InvalidInput);
  // A failed build is not a graph to compare.
  EXPECT_THROW(ReadGraphChanges(Out(), std::string("cccc"), std::string("dddd")), InvalidInput);
  EXPECT_THROW(ReadGraphChanges(Out(), std::nullopt, std::string("cccc")), InvalidInput);
  // The first build has nothing before it.
  try {
    ReadGraphChanges(Out(), std::nullopt, std::string("aaaa"));
    FAIL() << "no error";
  } catch (const NotFound& e) {
    EXPECT_NE(std::string(e.what()).find("no successful build before"), std::string::npos)
        << e.what();
  }
}

TEST_F(ChangesTest, ATableWithoutTheChangeDataFeedIsRefused) {
  MakeHistory();
  delta::WriteOptions o;
  o.properties = {{"delta.enableChangeDataFeed", "false"}};
  RecordBatch empty = RecordBatch::MakeEmpty(StringSchema(Columns().at("cpg_edges")));
  const int64_t v = delta::WriteDeltaTable(Store("cpg_edges"), empty, o).version;
  Record("ffff0006-f", {{"cpg_nodes", 5}, {"cpg_edges", v}, {"cpg_props", 3}});
  EXPECT_THROW(ReadGraphChanges(Out(), std::nullopt, std::nullopt), InvalidInput);
}

}  // namespace
}  // namespace cpglake::pipeline
