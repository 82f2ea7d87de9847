// The whole build on small repositories: tables written and readable, module names,
// determinism (two builds give identical tables), ids stable when unrelated lines move,
// bad files become diagnostics.
#include "pipeline/build.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "columnar/value.h"
#include "columnar/value_format.h"
#include "delta/scan.h"
#include "delta/snapshot.h"
#include "expr/parser.h"
#include "storage/object_store.h"
#include "test_util.h"

namespace cpglake::pipeline {
namespace {

namespace fs = std::filesystem;
using cpglake::testing::TempDir;

void Write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

columnar::RecordBatch Table(const std::string& path, const std::string& where = "") {
  auto snap = delta::SnapshotBuilder(storage::OpenObjectStore(path)).Build();
  delta::ScanBuilder b(snap);
  if (!where.empty()) b.WithPredicate(expr::ParsePredicate(where));
  return b.Build().ReadAll();
}

std::vector<std::string> Rows(const columnar::RecordBatch& b) {
  std::vector<std::string> out;
  for (int64_t r = 0; r < b.num_rows(); ++r) {
    std::string line;
    columnar::AppendJsonRow(b, r, columnar::JsonStyle::kCanonical, &line);
    out.push_back(line);
  }
  return out;
}

void MakeRepo(const fs::path& root, const std::string& extra_top = "") {
  Write(root / "pkg/__init__.py", "from .core import Engine\n");
  Write(root / "pkg/core.py",
        extra_top +
            "\"\"\"Core.\"\"\"\nimport os\n\nclass Engine:\n    def run(self, x):\n"
            "        return os.path.join(x, 'a')\n\n\ndef helper(*args, **kw):\n"
            "    return Engine().run(args[0])\n");
  Write(root / "pkg/sub/__init__.py", "");
  Write(root / "pkg/sub/util.py", "def f(a, /, b=1, *, c):\n    return lambda y: a + y\n");
  Write(root / "scripts/tool.py", "import pkg\npkg.Engine()\n");
  Write(root / "broken.py", "def oops(:\n    pass\n");
  Write(root / "data.bin.py", std::string("\0\1\2binary", 9));
}

TEST(BuildTest, WritesReadableTablesWithModulesAndDiagnostics) {
  TempDir dir;
  MakeRepo(dir.path() / "repo");
  BuildOptions o;
  o.repo = (dir.path() / "repo").string();
  o.jobs = 2;
  BuildResult r = BuildGraph(o);
  const std::string out = (dir.path() / "repo/.cpglake").string();
  EXPECT_EQ(r.out, out);
  EXPECT_EQ(r.repo_id, "repo");
  EXPECT_GE(r.files_scanned, 6);
  for (const char* t : {"cpg_nodes", "cpg_edges", "cpg_props", "_cpglake/repo_files"}) {
    EXPECT_EQ(r.table_versions.at(t), 0) << t;
  }
  auto modules = Table(out + "/cpg_nodes", "node_kind = 'PY_MODULE'");
  std::set<std::string> names;
  const auto* qn = modules.ColumnByName("qualified_name");
  for (int64_t i = 0; i < modules.num_rows(); ++i)
    names.insert(columnar::GetValue(*qn, i).as_string());
  EXPECT_TRUE(names.count("pkg"));
  EXPECT_TRUE(names.count("pkg.core"));
  EXPECT_TRUE(names.count("pkg.sub.util"));
  EXPECT_TRUE(names.count("tool"));
  EXPECT_EQ(Table(out + "/cpg_nodes", "node_kind = 'PY_PACKAGE'").num_rows(), 2);
  EXPECT_EQ(Table(out + "/cpg_nodes",
                  "qualified_name = 'pkg.core.Engine.run' AND node_kind = 'CST_FUNCTION_DEF'")
                .num_rows(),
            1);
  EXPECT_GE(Table(out + "/cpg_nodes", "node_kind = 'TS_ERROR' OR node_kind = 'DIAG'").num_rows(),
            1);
  EXPECT_EQ(Table(out + "/cpg_nodes", "node_kind = 'PY_FILE'").num_rows(), r.files_scanned);
  // The binary .py file is not parsed: a scan diagnostic of the repository.
  EXPECT_EQ(Table(out + "/cpg_nodes", "node_kind = 'DIAG' AND name = 'BINARY'").num_rows(), 1);
  EXPECT_EQ(Table(out + "/_cpglake/repo_files").num_rows(), r.files_scanned);
  // Cross-file resolution: the script's pkg.Engine() calls the class re-exported by pkg's
  // __init__ (and no __init__, which Engine lacks); os.path.join is an external name.
  auto engine = Table(out + "/cpg_nodes",
                      "qualified_name = 'pkg.core.Engine' AND node_kind = 'CST_CLASS_DEF'");
  ASSERT_EQ(engine.num_rows(), 1);
  const std::string engine_id = columnar::GetValue(engine.column(0), 0).as_string();
  auto calls = Table(out + "/cpg_edges", "edge_kind = 'CALLS' AND path = 'scripts/tool.py'");
  ASSERT_EQ(calls.num_rows(), 1);
  EXPECT_EQ(columnar::GetValue(*calls.ColumnByName("dst_node_id"), 0).as_string(), engine_id);
  EXPECT_EQ(columnar::GetValue(*calls.ColumnByName("origin"), 0).as_string(), "resolver");
  EXPECT_EQ(columnar::GetValue(*calls.ColumnByName("resolution_method"), 0).as_string(), "import");
  EXPECT_EQ(Table(out + "/cpg_nodes",
                  "node_kind = 'PY_QUALIFIED_NAME' AND qualified_name = 'os.path.join'")
                .num_rows(),
            1);
  EXPECT_EQ(Table(out + "/cpg_edges",
                  "edge_kind = 'IMPORTS' AND path = 'pkg/__init__.py' AND "
                  "dst_node_id = '" +
                      engine_id + "'")
                .num_rows(),
            1);
  // Every edge's endpoints are nodes.
  auto nodes = Table(out + "/cpg_nodes");
  std::set<std::string> ids;
  for (int64_t i = 0; i < nodes.num_rows(); ++i)
    ids.insert(columnar::GetValue(nodes.column(0), i).as_string());
  auto edges = Table(out + "/cpg_edges");
  for (int64_t i = 0; i < edges.num_rows(); ++i) {
    ASSERT_TRUE(ids.count(columnar::GetValue(edges.column(2), i).as_string())) << i;
    ASSERT_TRUE(ids.count(columnar::GetValue(edges.column(3), i).as_string())) << i;
  }
}

// The steps of a full and of an incremental build, in order, with their wall times (what
// `cpglake build --json` reports as "phases").
TEST(BuildTest, PhasesNameEveryStepInOrder) {
  TempDir dir;
  MakeRepo(dir.path() / "repo");
  BuildOptions o;
  o.repo = (dir.path() / "repo").string();
  o.jobs = 2;
  auto names = [](const BuildResult& r) {
    std::vector<std::string> out;
    for (const auto& [name, seconds] : r.phases) {
      EXPECT_GE(seconds, 0.0) << name;
      out.push_back(name);
    }
    return out;
  };
  const BuildResult full = BuildGraph(o);
  const std::vector<std::string> f = names(full);
  ASSERT_GE(f.size(), 6u);
  EXPECT_EQ(f.front(), "start");
  EXPECT_NE(std::find(f.begin(), f.end(), "scan"), f.end());
  EXPECT_NE(std::find(f.begin(), f.end(), "extract"), f.end());
  EXPECT_EQ(f.back(), "manifest");
  Write(dir.path() / "repo/pkg/sub/util.py", "def f(a):\n    return a\n");
  const BuildResult inc = BuildGraph(o);
  ASSERT_EQ(inc.record.mode, "incremental");
  const std::vector<std::string> i = names(inc);
  const auto at = [&](const std::string& n) {
    return std::find(i.begin(), i.end(), n) - i.begin();
  };
  EXPECT_LT(at("merge repo_files"), at("cached summaries"));
  EXPECT_LT(at("replace graph rows"), at("write file_state"));
  EXPECT_LT(at("write file_state"), at("manifest"));
  EXPECT_EQ(static_cast<size_t>(at("manifest")), i.size() - 1);
}

TEST(BuildTest, TwoBuildsAreIdenticalAtAnyThreadCount) {
  TempDir dir;
  MakeRepo(dir.path() / "repo");
  BuildOptions o;
  o.repo = (dir.path() / "repo").string();
  o.out = (dir.path() / "out1").string();
  o.jobs = 1;
  BuildGraph(o);
  o.out = (dir.path() / "out2").string();
  o.jobs = 4;
  BuildGraph(o);
  for (const char* t : {"cpg_nodes", "cpg_edges", "cpg_props"}) {
    EXPECT_EQ(Rows(Table((dir.path() / "out1" / t).string())),
              Rows(Table((dir.path() / "out2" / t).string())))
        << t;
  }
}

TEST(BuildTest, DeclarationIdsSurviveUnrelatedLinesMoving) {
  TempDir dir;
  MakeRepo(dir.path() / "a");
  MakeRepo(dir.path() / "b", "# a new comment line\n\n");
  auto ids_of = [&](const std::string& name) {
    BuildOptions o;
    o.repo = (dir.path() / name).string();
    o.repo_id = "same";
    BuildGraph(o);
    auto t = Table((dir.path() / name / ".cpglake/cpg_nodes").string(),
                   "node_kind = 'CST_FUNCTION_DEF' OR node_kind = 'CST_CLASS_DEF'");
    std::set<std::string> ids;
    for (int64_t i = 0; i < t.num_rows(); ++i)
      ids.insert(columnar::GetValue(t.column(0), i).as_string());
    return ids;
  };
  EXPECT_EQ(ids_of("a"), ids_of("b"));
  // Edges into the file whose lines moved, owned by other files, do not change either.
  auto edges_of = [&](const std::string& name) {
    const std::string out = (dir.path() / name / ".cpglake").string();
    auto file = Table(out + "/cpg_nodes", "node_kind = 'PY_FILE' AND path = 'pkg/core.py'");
    const std::string file_id(file.column(0).GetString(0));
    return Rows(Table(out + "/cpg_edges",
                      "edge_owner_file_id <> '" + file_id + "' AND origin = 'resolver'"));
  };
  EXPECT_EQ(edges_of("a"), edges_of("b"));
  EXPECT_FALSE(edges_of("a").empty());
}

TEST(BuildTest, ResolvesTheRealEmailPackage) {
  // The standard library's email package built on its own (the root is the package): edges
  // read off its source by hand.
  const fs::path email = "/usr/lib/python3.11/email";
  if (!fs::exists(email / "__init__.py")) GTEST_SKIP() << "no " << email;
  TempDir dir;
  BuildOptions o;
  o.repo = email.string();
  o.out = (dir.path() / "out").string();
  BuildGraph(o);
  const std::string out = *o.out;
  auto id_of = [&](const std::string& kind, const std::string& qualified_name) {
    auto t = Table(out + "/cpg_nodes",
                   "node_kind = '" + kind + "' AND qualified_name = '" + qualified_name + "'");
    EXPECT_EQ(t.num_rows(), 1) << qualified_name;
    return t.num_rows() == 1 ? std::string(t.column(0).GetString(0)) : std::string();
  };
  auto edges_to = [&](const std::string& kind, const std::string& path, const std::string& dst) {
    return Table(out + "/cpg_edges", "edge_kind = '" + kind + "' AND path = '" + path +
                                         "' AND dst_node_id = '" + dst + "'")
        .num_rows();
  };
  // class MIMEText(MIMENonMultipart), the base imported from email.mime.nonmultipart.
  EXPECT_EQ(edges_to("INHERITS", "mime/text.py",
                     id_of("CST_CLASS_DEF", "email.mime.nonmultipart.MIMENonMultipart")),
            1);
  // message_from_string: `from email.parser import Parser` inside the function, then
  // Parser(*args, **kws).parsestr(s): the class, and parsestr through the instance.
  const std::string parser = id_of("CST_CLASS_DEF", "email.parser.Parser");
  EXPECT_EQ(edges_to("IMPORTS", "__init__.py", parser), 2);  // two functions import it
  EXPECT_EQ(edges_to("CALLS", "__init__.py", parser), 2);    // and call it
  EXPECT_EQ(
      edges_to("CALLS", "__init__.py", id_of("CST_FUNCTION_DEF", "email.parser.Parser.parsestr")),
      1);
}

TEST(ModuleNameTest, FromPathsAndPackages) {
  std::vector<std::string> pkgs = {"pkg", "pkg/sub"};
  EXPECT_EQ(ModuleNameForPath("pkg/__init__.py", pkgs), "pkg");
  EXPECT_EQ(ModuleNameForPath("pkg/sub/util.py", pkgs), "pkg.sub.util");
  EXPECT_EQ(ModuleNameForPath("pkg/sub/__init__.py", pkgs), "pkg.sub");
  EXPECT_EQ(ModuleNameForPath("scripts/tool.py", pkgs), "tool");
  EXPECT_EQ(ModuleNameForPath("setup.py", pkgs), "setup");
  EXPECT_EQ(ModuleNameForPath("pkg/types.pyi", pkgs), "pkg.types");
  // The root itself a package (building /usr/lib/python3.11/email): names start with it.
  std::vector<std::string> rooted = {"", "mime"};
  EXPECT_EQ(ModuleNameForPath("__init__.py", rooted, "email"), "email");
  EXPECT_EQ(ModuleNameForPath("parser.py", rooted, "email"), "email.parser");
  EXPECT_EQ(ModuleNameForPath("mime/text.py", rooted, "email"), "email.mime.text");
  EXPECT_EQ(ModuleNameForPath("mime/__init__.py", rooted, "email"), "email.mime");
  EXPECT_EQ(ModuleNameForPath("tools/x.py", rooted, "email"), "x");  // tools is not a package
}

TEST(BuildTest, PackageDirectoryAsTheRepository) {
  // Building a package directory: absolute imports of the package resolve inside it.
  TempDir dir;
  const fs::path root = dir.path() / "mylib";
  Write(root / "__init__.py", "from mylib.core import Engine\n");
  Write(root / "core.py", "class Engine:\n    pass\n");
  Write(root / "sub/__init__.py", "");
  Write(root / "sub/use.py", "from mylib.core import Engine\nEngine()\n");
  BuildOptions o;
  o.repo = root.string();
  BuildGraph(o);
  const std::string out = (root / ".cpglake").string();
  auto engine = Table(out + "/cpg_nodes",
                      "qualified_name = 'mylib.core.Engine' AND node_kind = 'CST_CLASS_DEF'");
  ASSERT_EQ(engine.num_rows(), 1);
  const std::string id(engine.column(0).GetString(0));
  EXPECT_EQ(
      Table(out + "/cpg_edges", "edge_kind = 'CALLS' AND dst_node_id = '" + id + "'").num_rows(),
      1);
  EXPECT_EQ(
      Table(out + "/cpg_edges", "edge_kind = 'IMPORTS' AND dst_node_id = '" + id + "'").num_rows(),
      2);
  // The root package contains the subpackage and the top-level modules.
  auto root_pkg =
      Table(out + "/cpg_nodes", "node_kind = 'PY_PACKAGE' AND qualified_name = 'mylib'");
  ASSERT_EQ(root_pkg.num_rows(), 1);
  const std::string pkg_id(root_pkg.column(0).GetString(0));
  EXPECT_EQ(
      Table(out + "/cpg_edges", "edge_kind = 'PACKAGE_CONTAINS' AND src_node_id = '" + pkg_id + "'")
          .num_rows(),
      3);  // mylib (its __init__), mylib.core, mylib.sub
}

}  // namespace
}  // namespace cpglake::pipeline
