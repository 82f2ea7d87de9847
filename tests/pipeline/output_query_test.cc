// Querying a build output with SQL: tables pinned to one build, the named queries (callers,
// callees, imports) on a fixture with a known call graph, CTAS/INSERT into the output, and
// the counts per node kind equal to the build's summary.
#include "pipeline/output_query.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "common/error.h"
#include "pipeline/build.h"
#include "sql/graph_queries.h"
#include "test_util.h"

namespace cpglake::pipeline {
namespace {

namespace fs = std::filesystem;
using cpglake::testing::TempDir;

void Write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// app.main → helpers.load (twice), helpers.Store (constructor + __init__), os.path.join;
// helpers.load → helpers._read; cli imports app.main.
void MakeRepo(const fs::path& root) {
  Write(root / "app/__init__.py", "");
  Write(root / "app/helpers.py",
        "import os\n"
        "\n"
        "def _read(path):\n"
        "    return open(path).read()\n"
        "\n"
        "def load(path):\n"
        "    return _read(os.path.join('data', path))\n"
        "\n"
        "class Store:\n"
        "    def __init__(self):\n"
        "        self.items = []\n");
  Write(root / "app/main.py",
        "from app.helpers import load, Store\n"
        "from app import helpers\n"
        "\n"
        "def main():\n"
        "    a = load('a')\n"
        "    b = helpers.load('b')\n"
        "    s = Store()\n"
        "    return a, b, s\n");
  Write(root / "cli.py", "from app.main import main\n\nmain()\n");
}

// A query's rows, each as its values joined by "|".
std::vector<std::string> QueryLines(sql::Database& db, const std::string& query) {
  std::vector<std::string> out;
  for (const auto& row : db.Query(query).rows) {
    std::string line;
    for (const auto& v : row) line += sql::FormatValue(v) + "|";
    out.push_back(line);
  }
  return out;
}

OutputQueryOptions Opts(const std::string& out) {
  OutputQueryOptions o;
  o.out = out;
  return o;
}

BuildResult Build(const fs::path& repo, const fs::path& out, bool derived = false) {
  BuildOptions o;
  o.repo = repo.string();
  o.out = out.string();
  o.jobs = 2;
  o.derived = derived;
  return BuildGraph(o);
}

std::vector<std::string> Column(const sql::QueryResult& r, size_t c) {
  std::vector<std::string> out;
  for (const auto& row : r.rows) out.push_back(sql::FormatValue(row.at(c)));
  return out;
}

TEST(OutputQueryTest, CountsPerKindEqualTheBuildSummary) {
  TempDir dir;
  MakeRepo(dir.path() / "repo");
  auto built = Build(dir.path() / "repo", dir.path() / "out");
  auto o = OpenOutputDatabase(Opts((dir.path() / "out").string()));
  ASSERT_TRUE(o.build);
  EXPECT_EQ(o.build->build_id, built.build_id);
  EXPECT_TRUE(o.warnings.empty());
  for (const char* t : {"cpg_nodes", "cpg_edges", "cpg_props", "_cpglake_repo_files",
                        "_cpglake_builds", "_cpglake_diagnostics"}) {
    EXPECT_TRUE(o.tables.count(t)) << t;
  }
  auto r = o.db->Query("SELECT node_kind, count(*) FROM cpg_nodes GROUP BY node_kind");
  std::map<std::string, int64_t> kinds;
  for (const auto& row : r.rows) kinds[std::get<std::string>(row[0])] = std::get<int64_t>(row[1]);
  EXPECT_EQ(kinds, built.nodes_by_kind);
  auto e = o.db->Query("SELECT edge_kind, count(*) FROM cpg_edges GROUP BY edge_kind");
  std::map<std::string, int64_t> edges;
  for (const auto& row : e.rows) edges[std::get<std::string>(row[0])] = std::get<int64_t>(row[1]);
  EXPECT_EQ(edges, built.edges_by_kind);
}

TEST(OutputQueryTest, CallersCalleesImports) {
  TempDir dir;
  MakeRepo(dir.path() / "repo");
  Build(dir.path() / "repo", dir.path() / "out");
  auto o = OpenOutputDatabase(Opts((dir.path() / "out").string()));

  auto callers = o.db->Query(sql::CallersQuery("app.helpers.load"));
  EXPECT_EQ(Column(callers, 0), (std::vector<std::string>{"app.main.main", "app.main.main"}));
  EXPECT_EQ(Column(callers, 2), (std::vector<std::string>{"app/main.py", "app/main.py"}));
  EXPECT_EQ(Column(callers, 3), (std::vector<std::string>{"5", "6"}));

  auto read_callers = o.db->Query(sql::CallersQuery("app.helpers._read"));
  EXPECT_EQ(Column(read_callers, 0), (std::vector<std::string>{"app.helpers.load"}));
  auto join_callers = o.db->Query(sql::CallersQuery("os.path.join"));
  EXPECT_EQ(Column(join_callers, 0), (std::vector<std::string>{"app.helpers.load"}));
  auto main_callers = o.db->Query(sql::CallersQuery("app.main.main"));
  EXPECT_EQ(Column(main_callers, 0), (std::vector<std::string>{"cli"}));
  EXPECT_TRUE(o.db->Query(sql::CallersQuery("no.such.name")).rows.empty());

  auto callees = o.db->Query(sql::CalleesQuery("app.main.main"));
  const auto got_list = Column(callees, 0);
  std::multiset<std::string> got(got_list.begin(), got_list.end());
  EXPECT_EQ(got, (std::multiset<std::string>{"app.helpers.load", "app.helpers.load",
                                             "app.helpers.Store", "app.helpers.Store.__init__"}));
  auto load_callees = o.db->Query(sql::CalleesQuery("app.helpers.load"));
  const auto load_got_list = Column(load_callees, 0);
  std::multiset<std::string> load_got(load_got_list.begin(), load_got_list.end());
  EXPECT_EQ(load_got, (std::multiset<std::string>{"app.helpers._read", "os.path.join"}));

  auto imports = o.db->Query(sql::ImportsQuery("app.main", false));
  EXPECT_EQ(Column(imports, 2),
            (std::vector<std::string>{"app.helpers.Store", "app.helpers.load", "app.helpers"}));
  auto importers = o.db->Query(sql::ImportsQuery("app.helpers", true));
  const auto importer_names_list = Column(importers, 0);
  std::set<std::string> importer_names(importer_names_list.begin(), importer_names_list.end());
  EXPECT_EQ(importer_names, (std::set<std::string>{"app.main"}));
  auto main_importers = o.db->Query(sql::ImportsQuery("app.main", true));
  EXPECT_EQ(Column(main_importers, 0), (std::vector<std::string>{"cli"}));
}

// The named queries restrict their node and edge lookups to the files the previous step
// found (path, edge_owner_file_id: statistics prune the other files' row groups). They must
// answer as plain joins without those restrictions, for every definition, module and outside
// name of the fixture, also those nothing calls or imports (empty restrictions).
TEST(OutputQueryTest, NamedQueriesEqualUnrestrictedJoins) {
  TempDir dir;
  MakeRepo(dir.path() / "repo");
  // More files, so that the files' rows sit in several row groups of tiny size: a wrong
  // restriction would miss rows of other files.
  for (int k = 0; k < 6; ++k) {
    Write(dir.path() / "repo" / ("user" + std::to_string(k) + ".py"),
          "import os\nfrom app.helpers import load, Store\nfrom app import main as m\n\n"
          "class U(Store):\n    def __init__(self):\n        super().__init__()\n"
          "        self.v = load(os.path.join('x', str(" +
              std::to_string(k) +
              ")))\n\n    def run(self):\n        return m.main(), isinstance(self, U), "
              "load('y')\n\nU().run()\n");
  }
  BuildOptions bo;
  bo.repo = (dir.path() / "repo").string();
  bo.out = (dir.path() / "out").string();
  bo.jobs = 2;
  bo.writer.row_group_rows = 64;  // many row groups, several files per group and across
  BuildGraph(bo);
  auto o = OpenOutputDatabase(Opts((dir.path() / "out").string()));
  auto rows = [&](const std::string& q) { return QueryLines(*o.db, q); };
  auto names = [&](const std::string& kinds) {
    std::vector<std::string> out;
    for (const auto& r : o.db->Query("SELECT DISTINCT qualified_name FROM cpg_nodes WHERE "
                                     "qualified_name IS NOT NULL AND node_kind IN (" +
                                     kinds + ") ORDER BY 1")
                             .rows) {
      out.push_back(std::get<std::string>(r[0]));
    }
    return out;
  };
  const auto targets = names(sql::kCallTargetKinds);
  ASSERT_GT(targets.size(), 10u);
  size_t nonempty = 0;
  for (const auto& name : targets) {
    const std::string q = sql::QuoteLiteral(name);
    const auto expected = rows(
        "SELECT c.qualified_name, c.node_kind, s.path, s.line_start, s.col_start, "
        "e.resolution_method, e.confidence, t.qualified_name FROM cpg_nodes t "
        "JOIN cpg_edges e ON e.dst_node_id = t.node_id AND e.edge_kind = 'CALLS' "
        "JOIN cpg_nodes s ON s.node_id = e.src_node_id "
        "LEFT JOIN cpg_nodes c ON c.node_id = s.enclosing_id WHERE t.qualified_name = " +
        q + " AND t.node_kind IN (" + sql::kCallTargetKinds + ") ORDER BY 3, 4, 5, 1, 6");
    EXPECT_EQ(rows(sql::CallersQuery(name)), expected) << "callers " << name;
    nonempty += !expected.empty();
    auto callees_expected = rows(
        "SELECT t.qualified_name, t.node_kind, s.line_start, s.col_start, e.resolution_method, "
        "e.confidence, t.path, t.line_start FROM cpg_nodes f JOIN cpg_nodes s ON s.enclosing_id "
        "= f.node_id AND s.node_kind IN ('CST_CALLSITE', 'CST_DECORATOR') JOIN cpg_edges e ON "
        "e.src_node_id = s.node_id AND e.edge_kind = 'CALLS' JOIN cpg_nodes t ON t.node_id = "
        "e.dst_node_id WHERE f.qualified_name = " +
        q + " AND f.node_kind IN ('CST_FUNCTION_DEF', 'CST_CLASS_DEF', 'PY_MODULE')");
    auto callees = rows(sql::CalleesQuery(name));
    std::sort(callees_expected.begin(), callees_expected.end());
    std::sort(callees.begin(), callees.end());
    EXPECT_EQ(callees, callees_expected) << "callees " << name;
  }
  EXPECT_GT(nonempty, 5u);
  for (const auto& module : names("'PY_MODULE'")) {
    const std::string q = sql::QuoteLiteral(module);
    auto imports_expected = rows(
        "SELECT a.line_start, a.name, t.qualified_name, t.node_kind, e.resolution_method FROM "
        "cpg_nodes m JOIN cpg_nodes a ON a.file_id = m.file_id AND a.node_kind = "
        "'CST_IMPORT_ALIAS' LEFT JOIN cpg_edges e ON e.src_node_id = a.node_id AND e.edge_kind = "
        "'IMPORTS' LEFT JOIN cpg_nodes t ON t.node_id = e.dst_node_id WHERE m.node_kind = "
        "'PY_MODULE' AND m.qualified_name = " +
        q);
    auto imports = rows(sql::ImportsQuery(module, false));
    std::sort(imports_expected.begin(), imports_expected.end());
    std::sort(imports.begin(), imports.end());
    EXPECT_EQ(imports, imports_expected) << "imports " << module;
    auto importers_expected = rows(
        "SELECT i.qualified_name, a.path, a.line_start, t.qualified_name, e.resolution_method "
        "FROM cpg_nodes t JOIN cpg_edges e ON e.dst_node_id = t.node_id AND e.edge_kind = "
        "'IMPORTS' JOIN cpg_nodes a ON a.node_id = e.src_node_id LEFT JOIN cpg_nodes i ON "
        "i.file_id = a.file_id AND i.node_kind = 'PY_MODULE' WHERE (t.qualified_name = " +
        q +
        " AND t.node_kind IN ('PY_MODULE', 'PY_PACKAGE', 'PY_QUALIFIED_NAME')) OR "
        "(substr(t.qualified_name, 1, " +
        std::to_string(module.size() + 1) + ") = " + sql::QuoteLiteral(module + ".") +
        " AND t.node_kind IN ('CST_FUNCTION_DEF', 'CST_CLASS_DEF', 'PY_BINDING', "
        "'PY_QUALIFIED_NAME', 'PY_MODULE', 'PY_PACKAGE'))");
    auto importers = rows(sql::ImportsQuery(module, true));
    std::sort(importers_expected.begin(), importers_expected.end());
    std::sort(importers.begin(), importers.end());
    EXPECT_EQ(importers, importers_expected) << "importers " << module;
  }
}

// The derived tables hold exactly the base tables' edges and props, and the named queries
// that read them answer as the base queries.
TEST(OutputQueryTest, DerivedTablesMatchTheBaseTables) {
  TempDir dir;
  MakeRepo(dir.path() / "repo");
  Build(dir.path() / "repo", dir.path() / "out", /*derived=*/true);
  auto o = OpenOutputDatabase(Opts((dir.path() / "out").string()));
  for (const char* t : {"cpg_edges_by_src", "cpg_edges_by_dst", "cpg_props_map"}) {
    ASSERT_TRUE(o.tables.count(t)) << t;
  }
  auto rows = [&](const std::string& q) { return QueryLines(*o.db, q); };
  const std::string edge_cols =
      "edge_id, edge_kind, src_node_id, dst_node_id, bstart, bend, origin, resolution_method, "
      "confidence";
  const std::string base_edges = "SELECT " + edge_cols + " FROM cpg_edges ORDER BY edge_id";
  ASSERT_FALSE(rows(base_edges).empty());
  // Every edge once in each table, under its own ends and owner.
  EXPECT_EQ(rows("SELECT " + edge_cols + " FROM cpg_edges_by_src_flat ORDER BY edge_id"),
            rows(base_edges));
  EXPECT_EQ(rows("SELECT " + edge_cols + " FROM cpg_edges_by_dst_flat ORDER BY edge_id"),
            rows(base_edges));
  for (const char* t : {"cpg_edges_by_src_flat", "cpg_edges_by_dst_flat"}) {
    EXPECT_EQ(rows("SELECT f.edge_id, f.path FROM " + std::string(t) +
                   " AS f JOIN cpg_edges AS e ON e.edge_id = f.edge_id WHERE f.owner_file_id IS "
                   "e.edge_owner_file_id ORDER BY 1"),
              rows("SELECT edge_id, path FROM cpg_edges ORDER BY 1"))
        << t;
  }
  // One row per (node, owner).
  EXPECT_EQ(rows("SELECT count(*) FROM cpg_edges_by_dst"),
            rows("SELECT count(*) FROM (SELECT DISTINCT dst_node_id, edge_owner_file_id FROM "
                 "cpg_edges)"));
  EXPECT_EQ(rows("SELECT count(*) FROM cpg_edges_by_src"),
            rows("SELECT count(*) FROM (SELECT DISTINCT src_node_id, edge_owner_file_id FROM "
                 "cpg_edges)"));
  EXPECT_EQ(rows("SELECT count(*) FROM cpg_props_map"),
            rows("SELECT count(*) FROM (SELECT DISTINCT entity_id, file_id FROM cpg_props)"));
  const std::string prop_cols =
      "entity_id, entity_kind, file_id, prop_key, value_type, value_string, value_int, "
      "value_float, value_bool, value_json";
  EXPECT_EQ(rows("SELECT " + prop_cols + " FROM cpg_props_map_flat ORDER BY 1, 4"),
            rows("SELECT " + prop_cols + " FROM cpg_props ORDER BY 1, 4"));
  // The src node's fields are those of cpg_nodes (the enclosing definition's kind and name).
  const std::string base_src =
      "SELECT e.edge_id, n.line_start, n.col_start, n.enclosing_id, c.node_kind, "
      "c.qualified_name FROM cpg_edges AS e JOIN cpg_nodes AS n ON n.node_id = e.src_node_id "
      "LEFT JOIN cpg_nodes AS c ON c.node_id = n.enclosing_id ORDER BY 1";
  for (const char* t : {"cpg_edges_by_src_flat", "cpg_edges_by_dst_flat"}) {
    EXPECT_EQ(rows("SELECT edge_id, src_line, src_col, src_enclosing_id, src_enclosing_kind, "
                   "src_enclosing_name FROM " +
                   std::string(t) + " ORDER BY 1"),
              rows(base_src))
        << t;
  }
  // Sorted as documented: cpg_edges_by_dst by (node_id, owner), the others by owner first.
  EXPECT_EQ(rows("SELECT node_id, owner_file_id FROM cpg_edges_by_dst"),
            rows("SELECT node_id, owner_file_id FROM cpg_edges_by_dst ORDER BY 1, 2"));
  EXPECT_EQ(rows("SELECT owner_file_id, node_id FROM cpg_edges_by_src"),
            rows("SELECT owner_file_id, node_id FROM cpg_edges_by_src ORDER BY 1, 2"));
  EXPECT_EQ(rows("SELECT file_id, entity_id FROM cpg_props_map"),
            rows("SELECT file_id, entity_id FROM cpg_props_map ORDER BY 1, 2"));
  for (const char* name : {"app.helpers.load", "app.helpers._read", "os.path.join", "app.main.main",
                           "app.helpers.Store", "app.main", "no.such.name"}) {
    EXPECT_EQ(rows(sql::CallersQuery(name, true)), rows(sql::CallersQuery(name, false))) << name;
    EXPECT_EQ(rows(sql::CalleesQuery(name, true)), rows(sql::CalleesQuery(name, false))) << name;
  }
  EXPECT_EQ(rows(sql::CallersQuery("app.helpers.load", true)).size(), 2u);
  EXPECT_EQ(rows(sql::CalleesQuery("app.main.main", true)).size(),
            rows(sql::CalleesQuery("app.main.main", false)).size());
  EXPECT_FALSE(rows(sql::CalleesQuery("app.main.main", true)).empty());
}

// derived.enabled = false (the default): no derived tables written, and none registered from an
// earlier build; toggling it changes the configuration hash (a full build).
TEST(OutputQueryTest, DerivedTablesCanBeSwitchedOff) {
  TempDir dir;
  MakeRepo(dir.path() / "repo");
  Build(dir.path() / "repo", dir.path() / "out", /*derived=*/true);
  BuildOptions o;
  o.repo = (dir.path() / "repo").string();
  o.out = (dir.path() / "out").string();
  o.jobs = 2;
  o.derived = false;
  BuildOptions with = o;
  with.derived = true;
  EXPECT_NE(ConfigHash(o), ConfigHash(with));
  const BuildResult r = BuildGraph(o);
  EXPECT_EQ(r.record.mode, "full");
  EXPECT_EQ(r.record.full_reason, "config changed");
  for (const auto& t : r.record.tables)
    EXPECT_EQ(t.name.rfind("cpg_edges_by", 0), std::string::npos);
  auto q = OpenOutputDatabase(Opts((dir.path() / "out").string()));
  EXPECT_TRUE(q.tables.count("cpg_nodes"));
  for (const char* t : {"cpg_edges_by_src", "cpg_edges_by_dst", "cpg_props_map"}) {
    EXPECT_FALSE(q.tables.count(t)) << t;
  }
  // The named queries fall back to the base tables.
  EXPECT_EQ(q.db->Query(sql::CallersQuery("app.helpers.load")).rows.size(), 2u);
  // Switched on again: a full build writes them.
  const BuildResult again = BuildGraph(with);
  EXPECT_EQ(again.record.full_reason, "config changed");
  auto q2 = OpenOutputDatabase(Opts((dir.path() / "out").string()));
  EXPECT_TRUE(q2.tables.count("cpg_edges_by_dst"));
}

TEST(OutputQueryTest, PinsTheTablesOfOneBuild) {
  TempDir dir;
  MakeRepo(dir.path() / "repo");
  auto first = Build(dir.path() / "repo", dir.path() / "out");
  Write(dir.path() / "repo/app/extra.py", "def extra():\n    pass\n");
  auto second = Build(dir.path() / "repo", dir.path() / "out");
  const std::string out = (dir.path() / "out").string();
  const std::string count = "SELECT count(*) FROM cpg_nodes WHERE node_kind = 'PY_FILE'";

  auto latest = OpenOutputDatabase(Opts(out));
  EXPECT_EQ(latest.build->build_id, second.build_id);
  EXPECT_EQ(std::get<int64_t>(latest.db->Query(count).rows.at(0).at(0)), 5);
  EXPECT_EQ(latest.tables.at("cpg_nodes"), second.table_versions.at("cpg_nodes"));
  EXPECT_EQ(latest.tables.at("_cpglake_builds"), -1);

  OutputQueryOptions older = Opts(out);
  older.build_id = first.build_id.substr(0, 8);
  auto pinned = OpenOutputDatabase(older);
  EXPECT_EQ(pinned.build->build_id, first.build_id);
  EXPECT_EQ(std::get<int64_t>(pinned.db->Query(count).rows.at(0).at(0)), 4);
  EXPECT_EQ(pinned.tables.at("cpg_nodes"), first.table_versions.at("cpg_nodes"));
  // Every graph table of the older build, none of the newer one.
  auto files = pinned.db->Query("SELECT count(*) FROM _cpglake_repo_files");
  EXPECT_EQ(std::get<int64_t>(files.rows.at(0).at(0)), 4);

  OutputQueryOptions missing = Opts(out);
  missing.build_id = "ffffffff";
  EXPECT_THROW(OpenOutputDatabase(missing), NotFound);
  EXPECT_THROW(OpenOutputDatabase(Opts((dir.path() / "nope").string())), NotFound);
}

TEST(OutputQueryTest, WritesCommitAndRollBack) {
  TempDir dir;
  MakeRepo(dir.path() / "repo");
  Build(dir.path() / "repo", dir.path() / "out");
  const std::string out = (dir.path() / "out").string();
  auto o = OpenOutputDatabase(Opts(out));
  // The graph tables are pinned to the build: read-only.
  EXPECT_THROW(o.db->Execute("INSERT INTO cpg_nodes (node_id) VALUES ('x')"), Error);
  EXPECT_THROW(o.db->Execute("DELETE FROM cpg_edges"), Error);
  o.db->Execute(
      "CREATE TABLE defs AS SELECT qualified_name, line_start FROM cpg_nodes "
      "WHERE node_kind = 'CST_FUNCTION_DEF'");
  ASSERT_TRUE(fs::exists(dir.path() / "out/defs/_delta_log"));
  o.db->Execute("BEGIN; INSERT INTO defs VALUES ('x.y', 1); ROLLBACK;");
  EXPECT_EQ(std::get<int64_t>(o.db->Query("SELECT count(*) FROM defs").rows.at(0).at(0)), 4);
  o.db->Execute(
      "BEGIN; INSERT INTO defs VALUES ('x.y', 1); INSERT INTO defs VALUES ('x.z', 2); COMMIT;");
  // A fresh registration finds the table (not part of any build: at its latest version).
  auto again = OpenOutputDatabase(Opts(out));
  EXPECT_EQ(std::get<int64_t>(again.db->Query("SELECT count(*) FROM defs").rows.at(0).at(0)), 6);
  EXPECT_EQ(again.tables.at("defs"), -1);
}

}  // namespace
}  // namespace cpglake::pipeline
