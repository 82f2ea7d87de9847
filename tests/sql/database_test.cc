// sql::Database: pushdown, projection, time travel, transactions, CTAS, errors, type mapping.
// Behaviour that reads better as data is in tests/sql/**/*.test (logic_test.cc).
#include "sql/database.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "common/error.h"
#include "delta/snapshot.h"
#include "sql_fixtures.h"
#include "test_util.h"

namespace cpglake::sql {
namespace {

namespace fs = std::filesystem;
using ::cpglake::testing::TempDir;

catalog::DatasetLocation At(const std::string& path) {
  catalog::DatasetLocation loc;
  loc.path = path;
  return loc;
}

int64_t Int(const QueryResult& r, size_t row = 0, size_t col = 0) {
  return std::get<int64_t>(r.rows.at(row).at(col));
}

size_t CountParquetFiles(const fs::path& dir) {
  size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().extension() == ".parquet") ++n;
  }
  return n;
}

class SqlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.write_root = (tmp_.path() / "write").string();
    options_.tables.scan_threads = 1;
    db_ = std::make_unique<Database>(options_);
  }
  TempDir tmp_;
  DatabaseOptions options_;
  std::unique_ptr<Database> db_;
};

TEST_F(SqlTest, RowGroupAndFileSkippingOnEqualityRangeAndIn) {
  // 10,000 rows in row groups of 1,000 (one file).
  db_->RegisterTable("big", At(testing::WriteBigTable(tmp_.path() / "big", 10000, 1000)));
  auto r = db_->Query("SELECT label FROM big WHERE id = 4321");
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(std::get<std::string>(r.rows[0][0]), "L321");
  const auto& m = db_->last_metrics();
  EXPECT_EQ(m.scans, 1);
  EXPECT_EQ(m.totals.row_groups_read, 1);
  EXPECT_EQ(m.totals.row_groups_skipped, 9);
  EXPECT_EQ(m.predicates.at(0), "id = 4321L");

  r = db_->Query("SELECT count(*) FROM big WHERE id >= 2500 AND id < 3500");
  EXPECT_EQ(Int(r), 1000);
  EXPECT_EQ(db_->last_metrics().totals.row_groups_read, 2);

  r = db_->Query("SELECT count(*) FROM big WHERE id IN (5, 9999, 123456)");
  EXPECT_EQ(Int(r), 2);
  EXPECT_EQ(db_->last_metrics().totals.row_groups_read, 2);
  EXPECT_EQ(db_->last_metrics().scans, 1);  // the IN list is processed all at once

  // Whole files skipped on the add's statistics.
  db_->RegisterTable("nodes", At(testing::WriteNodesTable(tmp_.path() / "nodes", 10)));
  r = db_->Query("SELECT count(*) FROM nodes WHERE id >= 250");
  EXPECT_EQ(Int(r), 50);
  EXPECT_EQ(db_->last_metrics().totals.files_skipped_by_stats, 2);
  EXPECT_EQ(db_->last_metrics().totals.row_groups_skipped, 5);
}

TEST_F(SqlTest, ProjectionReadsOnlyUsedColumns) {
  db_->RegisterTable("nodes", At(testing::WriteNodesTable(tmp_.path() / "nodes", 1000)));
  db_->Query("SELECT name FROM nodes WHERE id = 3");
  ASSERT_EQ(db_->last_metrics().columns.size(), 1u);
  EXPECT_EQ(db_->last_metrics().columns[0], (std::vector<std::string>{"id", "name"}));
  db_->Query("SELECT count(*) FROM nodes");
  EXPECT_TRUE(db_->last_metrics().columns.at(0).empty());
  db_->Query("SELECT * FROM nodes LIMIT 1");
  EXPECT_EQ(db_->last_metrics().columns.at(0).size(), 6u);
}

TEST_F(SqlTest, PointLookupOnLargeTableIsFast) {
  const auto path = testing::WriteBigTable(tmp_.path() / "big", 1500000, 10000);
  db_->RegisterTable("big", At(path));
  db_->Query("SELECT label FROM big WHERE id = 1");  // warm up
  const auto start = std::chrono::steady_clock::now();
  auto r = db_->Query("SELECT label FROM big WHERE id = 1234567");
  const auto ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(std::get<std::string>(r.rows[0][0]), "L567");
  EXPECT_EQ(db_->last_metrics().totals.row_groups_read, 1);
  EXPECT_EQ(db_->last_metrics().totals.row_groups_skipped, 149);
  std::printf("point lookup on 1.5M rows: %.2f ms\n", ms);
  EXPECT_LT(ms, 200.0);  // target < 20 ms; loose bound for loaded CI machines
}

TEST_F(SqlTest, JoinIsDrivenFromTheFilteredSideWithLookups) {
  db_->RegisterTable("big", At(testing::WriteBigTable(tmp_.path() / "big", 100000, 1000)));
  db_->RegisterTable("edges", At(testing::WriteEdgesTable(tmp_.path() / "edges", 1000)));
  const std::string q = "SELECT count(*) FROM big b JOIN edges e ON b.id = e.dst WHERE e.src = 7";
  const std::string plan = db_->ExplainPlan(q);
  // edges is scanned first, big is probed with an = constraint per edge.
  EXPECT_LT(plan.find("SCAN e"), plan.find("b VIRTUAL TABLE")) << plan;
  auto r = db_->Query(q);
  EXPECT_EQ(Int(r), 2);
  const auto& m = db_->last_metrics();
  EXPECT_EQ(m.by_table.at("big").row_groups_read, 2);  // one lookup each for ids 8 and 9
  EXPECT_EQ(m.by_table.at("big").row_groups_skipped, 2 * 99);
  EXPECT_EQ(m.by_table.at("big").rows_returned, 2);
}

TEST_F(SqlTest, TimeTravelByVersionAndTimestampAndTwoVersionsInOneJoin) {
  db_->RegisterTable("cpg_nodes", At(testing::WriteNodesTable(tmp_.path() / "n", 1000)));
  db_->RegisterTable("cpg_edges", At(testing::WriteEdgesTable(tmp_.path() / "e", 1000)));
  EXPECT_EQ(Int(db_->Query("SELECT count(*) FROM cpg_nodes(0)")), 100);
  EXPECT_EQ(Int(db_->Query("SELECT count(*) FROM cpg_nodes")), 300);
  EXPECT_EQ(Int(db_->Query("SELECT count(*) FROM cpg_nodes WHERE delta_timestamp = "
                           "'2026-01-02T10:00:00Z'")),
            200);
  auto r = db_->Query(
      "SELECT count(*), max(n.delta_version), max(e.delta_version) FROM cpg_nodes(1) n "
      "JOIN cpg_edges(0) e ON e.src = n.id");
  EXPECT_EQ(Int(r, 0, 0), 50);
  EXPECT_EQ(Int(r, 0, 1), 1);
  EXPECT_EQ(Int(r, 0, 2), 0);
  EXPECT_THROW(db_->Query("SELECT count(*) FROM cpg_nodes(9)"), NotFound);
  try {
    db_->Query("SELECT count(*) FROM cpg_nodes(9)");
  } catch (const NotFound& e) {
    EXPECT_NE(std::string(e.what()).find("9"), std::string::npos) << e.what();
  }
  // Registered with a pin.
  catalog::DatasetLocation pinned = At((tmp_.path() / "n").string());
  pinned.delta_version = 1;
  db_->RegisterTable("nodes_v1", pinned);
  EXPECT_EQ(Int(db_->Query("SELECT count(*) FROM nodes_v1")), 200);
  pinned.delta_version.reset();
  pinned.delta_timestamp_ms = testing::kT0Ms + 1000;
  db_->RegisterTable("nodes_t0", pinned);
  EXPECT_EQ(Int(db_->Query("SELECT count(*) FROM nodes_t0")), 100);
  catalog::DatasetLocation missing = pinned;
  missing.delta_timestamp_ms.reset();
  missing.delta_version = 42;
  EXPECT_THROW(db_->RegisterTable("nodes_v42", missing), NotFound);
}

TEST_F(SqlTest, InsertCommitsOneVersionPerTransactionAndRollbackWritesNothing) {
  db_->Execute("CREATE TABLE t AS SELECT 1 AS id, 'a' AS name");
  const fs::path dir = fs::path(options_.write_root) / "t";
  auto version = [&] { return delta::OpenSnapshot(dir.string())->version(); };
  EXPECT_EQ(version(), 0);
  const size_t files_before = CountParquetFiles(dir);

  db_->Execute("BEGIN; INSERT INTO t VALUES (2, 'b'); INSERT INTO t VALUES (3, 'c'); ROLLBACK");
  EXPECT_EQ(version(), 0);
  EXPECT_EQ(CountParquetFiles(dir), files_before);

  db_->Execute("BEGIN; INSERT INTO t VALUES (2, 'b'); INSERT INTO t SELECT id + 10, name FROM t");
  EXPECT_EQ(version(), 0);  // nothing before COMMIT
  db_->Execute("COMMIT");
  EXPECT_EQ(version(), 1);
  EXPECT_EQ(Int(db_->Query("SELECT count(*) FROM t")), 3);

  db_->Execute("INSERT INTO t VALUES (4, 'd')");  // autocommit
  EXPECT_EQ(version(), 2);
  db_->Query("SELECT * FROM t");  // reads never write
  EXPECT_EQ(version(), 2);

  EXPECT_THROW(db_->Execute("DELETE FROM t WHERE id = 1"), Unsupported);
  EXPECT_THROW(db_->Execute("UPDATE t SET name = 'x'"), Unsupported);
  EXPECT_EQ(version(), 2);
}

TEST_F(SqlTest, RefreshMovesUnpinnedTablesToTheLatestVersion) {
  db_->Execute("CREATE TABLE t AS SELECT 1 AS id");
  const std::string path = (fs::path(options_.write_root) / "t").string();
  Database other(options_);
  other.RegisterTable("t", At(path));
  db_->Execute("INSERT INTO t VALUES (2)");
  EXPECT_EQ(Int(other.Query("SELECT count(*) FROM t")), 1);  // snapshot kept
  EXPECT_EQ(other.Refresh(), std::vector<std::string>{"t"});
  EXPECT_EQ(Int(other.Query("SELECT count(*) FROM t")), 2);
}

TEST_F(SqlTest, RegisterRegistryUsesDatasetNamesWithUnderscores) {
  const fs::path out = tmp_.path() / "out";
  testing::WriteNodesTable(out / "cpg_nodes", 1000);
  testing::WriteEdgesTable(out / "_cpglake" / "builds", 1000);
  auto names = db_->RegisterRegistry(catalog::DatasetRegistry::ForOutput(out.string()));
  EXPECT_EQ(names, (std::vector<std::string>{"_cpglake_builds", "cpg_nodes"}));
  EXPECT_EQ(Int(db_->Query("SELECT count(*) FROM _cpglake_builds")), 100);
}

TEST_F(SqlTest, ColumnNamesDeclaredTypesAndCallback) {
  db_->RegisterTable("all_types", At(testing::WriteAllTypesTable(tmp_.path() / "a", 1000)));
  auto r =
      db_->Query("SELECT b, i32, f64, dec, s, bin, d, ts, tsn, st, 1 + 1 AS two FROM all_types");
  EXPECT_EQ(r.columns.names, (std::vector<std::string>{"b", "i32", "f64", "dec", "s", "bin", "d",
                                                       "ts", "tsn", "st", "two"}));
  EXPECT_EQ(r.columns.declared_types,
            (std::vector<std::string>{"BOOLEAN", "INTEGER", "REAL", "DECIMAL_TEXT(10,2)", "TEXT",
                                      "BLOB", "DATE_TEXT", "TIMESTAMP_TEXT", "TIMESTAMP_NTZ_TEXT",
                                      "JSON_TEXT", ""}));
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(std::get<Blob>(r.rows[0][5]).bytes, std::string("\x00\xff", 2));
  EXPECT_TRUE(IsNull(r.rows[1][0]));
  int calls = 0;
  db_->Execute("SELECT 1; SELECT 2 AS x UNION ALL SELECT 3",
               [&](const ResultColumns& cols, const std::vector<Value>& row) {
                 ++calls;
                 EXPECT_EQ(row.size(), 1u);
               });
  EXPECT_EQ(calls, 3);
}

TEST_F(SqlTest, ErrorsCarrySqliteMessagesAndCategories) {
  try {
    db_->Execute("SELEC 1");
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("syntax error"), std::string::npos) << e.what();
  }
  EXPECT_THROW(db_->Execute("ATTACH ':memory:' AS x"), InvalidInput);
  EXPECT_THROW(db_->RegisterTable("x", At((tmp_.path() / "none").string())), NotFound);
  Database no_root;
  EXPECT_THROW(no_root.Execute("CREATE TABLE t AS SELECT 1 AS x"), InvalidInput);
  // A plain CREATE TABLE is an SQLite scratch table, not a Delta table.
  no_root.Execute("CREATE TABLE scratch(a INTEGER); INSERT INTO scratch VALUES (1)");
  EXPECT_EQ(Int(no_root.Query("SELECT count(*) FROM scratch")), 1);
}

}  // namespace
}  // namespace cpglake::sql

namespace cpglake::sql {
namespace {

// COPY (query) TO: Delta by default; Parquet only through the output storage policy's gate.
class SqlCopyTest : public ::testing::Test {
 protected:
  void Open(bool allow_parquet) {
    DatabaseOptions options;
    options.tables.scan_threads = 1;
    options.output_policy.allow_parquet_exports = allow_parquet;
    options.on_refused_sink = [this](const catalog::RefusedSink& r) { refused_.push_back(r); };
    db_ = std::make_unique<Database>(options);
    db_->RegisterTable("nodes", At(testing::WriteNodesTable(tmp_.path() / "nodes", 1000)));
  }
  TempDir tmp_;
  std::unique_ptr<Database> db_;
  std::vector<catalog::RefusedSink> refused_;
};

TEST_F(SqlCopyTest, DeltaByDefault) {
  Open(false);
  const std::string target = (tmp_.path() / "defs").string();
  db_->Execute("COPY (SELECT id, name FROM nodes WHERE kind = 'DEF' AND id < 100) TO '" + target +
               "'; SELECT 1");
  ASSERT_TRUE(db_->last_copy());
  EXPECT_EQ(db_->last_copy()->rows, 34);
  EXPECT_EQ(delta::OpenSnapshot(target)->version(), 0);
  db_->RegisterTable("defs", At(target));
  EXPECT_EQ(Int(db_->Query("SELECT count(*) FROM defs WHERE id % 3 = 0")), 34);
  EXPECT_TRUE(refused_.empty());
  // Explicit format, quotes and parentheses inside the query.
  const std::string t2 = (tmp_.path() / "it's").string();
  std::string quoted = t2;
  for (size_t i = quoted.find('\''); i != std::string::npos; i = quoted.find('\'', i + 2)) {
    quoted.insert(i, "'");
  }
  db_->Execute("copy (SELECT ')' AS s, (1 + 2) AS n /* ) */) to '" + quoted + "' (FORMAT delta)");
  EXPECT_EQ(db_->last_copy()->rows, 1);
  EXPECT_TRUE(fs::exists(fs::path(t2) / "_delta_log"));
}

TEST_F(SqlCopyTest, ParquetRefusedWithoutThePolicy) {
  Open(false);
  const fs::path target = tmp_.path() / "pq";
  try {
    db_->Execute("COPY (SELECT * FROM nodes) TO '" + target.string() + "' (FORMAT parquet)");
    FAIL() << "a Parquet sink must be refused";
  } catch (const catalog::SinkRefused& e) {
    EXPECT_NE(std::string(e.what()).find("allow_parquet_exports"), std::string::npos) << e.what();
  }
  ASSERT_EQ(refused_.size(), 1u);
  EXPECT_EQ(refused_[0].path, target.string());
  EXPECT_FALSE(fs::exists(target));
  EXPECT_EQ(db_->last_metrics().scans, 0);  // the query never ran
}

TEST_F(SqlCopyTest, ParquetAllowedByThePolicyReadsBackInDuckDb) {
  Open(true);
  const fs::path target = tmp_.path() / "pq";
  db_->Execute("COPY (SELECT id, kind FROM nodes) TO '" + target.string() + "' (FORMAT parquet)");
  EXPECT_EQ(db_->last_copy()->rows, 300);
  EXPECT_EQ(CountParquetFiles(target), 1u);
  EXPECT_FALSE(fs::exists(target / "_delta_log"));
  auto duck = cpglake::testing::RunOracle(
      cpglake::testing::ShellQuote("sql") + " " +
      cpglake::testing::ShellQuote("SELECT count(*) AS n, sum(id) AS s FROM read_parquet('" +
                                   target.string() + "/*.parquet')"));
  EXPECT_EQ(duck.exit_code, 0);
  EXPECT_EQ(duck.out, "{\"n\":300,\"s\":44850}\n");
  EXPECT_TRUE(refused_.empty());
}

TEST_F(SqlCopyTest, BadCopyStatements) {
  Open(true);
  EXPECT_THROW(db_->Execute("COPY nodes TO '/tmp/x'"), InvalidInput);
  EXPECT_THROW(db_->Execute("COPY (SELECT 1 TO '/tmp/x'"), InvalidInput);
  EXPECT_THROW(db_->Execute("COPY (SELECT 1) '/tmp/x'"), InvalidInput);
  EXPECT_THROW(
      db_->Execute("COPY (SELECT 1) TO '" + (tmp_.path() / "c").string() + "' (FORMAT csv)"),
      InvalidInput);
  EXPECT_THROW(db_->Execute("COPY (SELECT 1; SELECT 2) TO '" + (tmp_.path() / "d").string() + "'"),
               InvalidInput);
  EXPECT_THROW(db_->Execute("COPY (DELETE FROM nodes) TO '" + (tmp_.path() / "e").string() + "'"),
               Error);
}

}  // namespace
}  // namespace cpglake::sql

namespace cpglake::sql {
namespace {

// A nested-loop join probing a table row by row builds a lookup index after a few probes
// and answers the rest from it; the rows are those of the plain lookups.
TEST(SqlJoinIndexTest, RepeatedProbesUseAnIndex) {
  TempDir tmp;
  DatabaseOptions options;
  options.tables.scan_threads = 1;
  Database db(options);
  db.RegisterTable("nodes", At(testing::WriteNodesTable(tmp.path() / "nodes", 16)));
  db.RegisterTable("edges", At(testing::WriteEdgesTable(tmp.path() / "edges", 16)));
  const std::string join =
      "SELECT count(*), sum(n.id), sum(length(n.name)) FROM edges e JOIN nodes n "
      "ON n.id = e.dst WHERE n.kind = 'CALL'";
  ASSERT_NE(db.ExplainPlan(join).find("SCAN n VIRTUAL TABLE"), std::string::npos)
      << db.ExplainPlan(join);
  auto r = db.Query(join);
  const auto& m = db.last_metrics();
  EXPECT_EQ(m.indexes_built, 1);
  EXPECT_GT(m.index_lookups, 50);  // the probes after the first kLookupsBeforeIndex
  // The same answer from one probe per edge (an IN list: no index).
  int64_t count = 0, sum = 0, len = 0;
  for (const auto& row : db.Query("SELECT dst FROM edges").rows) {
    const int64_t dst = std::get<int64_t>(row[0]);
    auto n = db.Query("SELECT id, name FROM nodes WHERE kind = 'CALL' AND id IN (" +
                      std::to_string(dst) + ", -1)");
    for (const auto& x : n.rows) {
      ++count;
      sum += std::get<int64_t>(x[0]);
      len += static_cast<int64_t>(std::get<std::string>(x[1]).size());
    }
  }
  EXPECT_EQ(Int(r, 0, 0), count);
  EXPECT_EQ(Int(r, 0, 1), sum);
  EXPECT_EQ(Int(r, 0, 2), len);
  EXPECT_GT(count, 50);
  // An INSERT moves the table to a new snapshot: the index is rebuilt for it.
  db.Execute("INSERT INTO nodes (id, kind, name, file_id, score) VALUES (1000, 'CALL', 'x', 1, 0)");
  db.Execute("INSERT INTO edges VALUES (1, 1000, 'CALLS')");
  auto again = db.Query(join);
  EXPECT_EQ(Int(again, 0, 0), count + 1);
  EXPECT_EQ(db.last_metrics().indexes_built, 1);
}

}  // namespace
}  // namespace cpglake::sql
