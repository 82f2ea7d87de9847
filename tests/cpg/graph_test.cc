#include "cpg/graph.h"

#include <gtest/gtest.h>

#include <array>
#include <map>
#include <thread>

#include "common/error.h"
#include "cpg/derived_tables.h"
#include "cpg/ids.h"
#include "cpg/resolution_rows.h"

namespace cpglake::cpg {
namespace {

python::FileEvidence Sample() {
  python::FileEvidence ev;
  ev.path = "pkg/mod.py";
  ev.lines.line_starts = {0, 10, 20};
  ev.lines.size = 30;
  python::EvidenceNode m;
  m.kind = "PY_MODULE";
  m.bstart = 0;
  m.bend = 30;
  m.name = "pkg.mod";
  int32_t mi = ev.AddNode(m);
  python::EvidenceNode f;
  f.kind = "CST_FUNCTION_DEF";
  f.bstart = 10;
  f.bend = 25;
  f.name = "run";
  f.qualified_path = "run";
  f.parent = mi;
  f.enclosing = mi;
  f.props.emplace_back("is_async", false);
  int32_t fi = ev.AddNode(f);
  python::EvidenceNode call;
  call.kind = "CST_CALLSITE";
  call.bstart = 22;
  call.bend = 25;
  call.enclosing = fi;
  call.props.emplace_back("callee_text", std::string("go"));
  int32_t ci = ev.AddNode(call);
  python::EvidenceEdge e1;
  e1.kind = "CST_PARENT_OF";
  e1.src = mi;
  e1.dst = fi;
  e1.bstart = 10;
  e1.bend = 25;
  ev.AddEdge(e1);
  python::EvidenceEdge e2;
  e2.kind = "CST_PARENT_OF";
  e2.src = fi;
  e2.dst = ci;
  ev.AddEdge(e2);
  ev.diagnostics.push_back({"error", "SYNTAX_ERROR", "unexpected token", 5, 6});
  return ev;
}

TEST(GraphRowsTest, IdsNamesEnclosingPropsAndDiagnostics) {
  FileContext ctx{"repo", FileId("repo", "pkg/mod.py"), "pkg/mod.py", "pkg.mod"};
  GraphRows rows = RowsForFile(ctx, Sample());
  SortAndCheck(&rows);
  ASSERT_EQ(rows.nodes.size(), 4u);
  // Sorted by (path, bstart, bend, kind, id).
  EXPECT_EQ(rows.nodes[0].node_kind, "PY_MODULE");
  EXPECT_EQ(rows.nodes[1].node_kind, "DIAG");
  EXPECT_EQ(rows.nodes[2].node_kind, "CST_FUNCTION_DEF");
  EXPECT_EQ(rows.nodes[3].node_kind, "CST_CALLSITE");
  const NodeRow& fn = rows.nodes[2];
  EXPECT_EQ(fn.node_id, DeclarationId("CST_FUNCTION_DEF", ctx.file_id, "run", 0));
  EXPECT_EQ(fn.qualified_name, "pkg.mod.run");
  EXPECT_EQ(fn.enclosing_id, rows.nodes[0].node_id);
  EXPECT_EQ(rows.nodes[3].node_id, AnchoredId("CST_CALLSITE", ctx.file_id, 22, 25));
  EXPECT_EQ(rows.nodes[3].enclosing_id, fn.node_id);
  EXPECT_FALSE(rows.nodes[0].enclosing_id.has_value());
  // Edges: 2 CST_PARENT_OF + HAS_DIAGNOSTIC.
  ASSERT_EQ(rows.edges.size(), 3u);
  for (const auto& e : rows.edges) EXPECT_EQ(e.edge_owner_file_id, ctx.file_id);
  // Line/column columns of the call: line 3 (starts at byte 20), columns 2..5; not props.
  EXPECT_EQ(rows.nodes[3].line_start, 3);
  EXPECT_EQ(rows.nodes[3].line_end, 3);
  EXPECT_EQ(rows.nodes[3].col_start, 2);
  EXPECT_EQ(rows.nodes[3].col_end, 5);
  EXPECT_EQ(rows.nodes[0].line_start, 1);  // the module spans the file
  for (const auto& p : rows.props) EXPECT_EQ(p.prop_key.find("line"), std::string::npos);
  auto nodes = NodesBatch(rows.nodes);
  EXPECT_EQ(nodes.num_rows(), 4);
  EXPECT_TRUE(nodes.schema().Equals(NodesSchema()));
  auto props = PropsBatch(rows.props);
  EXPECT_EQ(props.num_rows(), static_cast<int64_t>(rows.props.size()));
  EXPECT_EQ(EdgesBatch(rows.edges).num_rows(), 3);
}

TEST(GraphRowsTest, DuplicateIdsAreAnError) {
  FileContext ctx{"repo", FileId("repo", "a.py"), "a.py", "a"};
  GraphRows rows = RowsForFile(ctx, Sample());
  GraphRows again = RowsForFile(ctx, Sample());
  rows.Append(std::move(again));
  EXPECT_THROW(SortAndCheck(&rows), InternalError);
}

// Rows that do not come from evidence, as the pipeline adds them.
GraphRows Extras(const FileContext& ctx) {
  GraphRows rows;
  NodeRow repo;
  repo.node_id = StableId("PY_REPO", {"repo"});
  repo.node_kind = "PY_REPO";
  repo.name = "repo";
  rows.nodes.push_back(repo);
  NodeRow file;
  file.node_id = ctx.file_id;
  file.node_kind = "PY_FILE";
  file.file_id = ctx.file_id;
  file.path = ctx.path;
  file.name = ctx.path;
  file.line_start = 1;  // lines given by hand (a partial set: the others stay null)
  file.col_end = 7;
  rows.nodes.push_back(file);
  NodeRow ext;
  ext.node_id = QualifiedNameId("os.path.join");
  ext.node_kind = "PY_QUALIFIED_NAME";
  ext.qualified_name = "os.path.join";
  rows.nodes.push_back(ext);
  EdgeRow contains;
  contains.edge_kind = "REPO_CONTAINS";
  contains.src_node_id = repo.node_id;
  contains.dst_node_id = file.node_id;
  contains.edge_id =
      EdgeId("REPO_CONTAINS", repo.node_id, file.node_id, std::nullopt, std::nullopt);
  contains.edge_owner_file_id = ctx.file_id;
  contains.path = ctx.path;
  contains.origin = "syntax";
  contains.confidence = 1.0;
  rows.edges.push_back(contains);
  EdgeRow calls;
  calls.edge_kind = "CALLS";
  calls.src_node_id = AnchoredId("CST_CALLSITE", ctx.file_id, 22, 25);
  calls.dst_node_id = ext.node_id;
  calls.edge_id = EdgeId("CALLS", calls.src_node_id, calls.dst_node_id, 22, 25);
  calls.edge_owner_file_id = ctx.file_id;
  calls.path = ctx.path;
  calls.bstart = 22;
  calls.bend = 25;
  calls.origin = "resolver";
  calls.resolution_method = "qualified_name";
  calls.confidence = 0.5;
  calls.symbol_roles = 8;
  rows.edges.push_back(calls);
  rows.props.push_back(PropRow{"node", ctx.file_id, ctx.file_id, "size_bytes",
                               python::PropValue(int64_t{30}), false});
  rows.props.push_back(PropRow{"node", ctx.file_id, ctx.file_id, "sha256",
                               python::PropValue(std::string("ab")), false});
  // A prop of an evidence node, added separately: merged into that node's props by key.
  rows.props.push_back(PropRow{"node", calls.src_node_id, ctx.file_id, "meta",
                               python::PropValue(std::string("{}")), true});
  rows.props.push_back(
      PropRow{"edge", calls.edge_id, ctx.file_id, "weight", python::PropValue(0.25), false});
  rows.props.push_back(
      PropRow{"edge", calls.edge_id, std::nullopt, "checked", python::PropValue(true), false});
  return rows;
}

std::vector<std::string> Lines(const columnar::RecordBatch& b) {
  std::vector<std::string> out;
  for (int64_t r = 0; r < b.num_rows(); ++r) {
    std::string line;
    for (size_t c = 0; c < b.num_columns(); ++c) {
      const auto& col = b.column(c);
      line += "|";
      if (col.IsNull(r)) {
        line += "null";
      } else if (col.type_id() == columnar::TypeId::kString) {
        line += col.GetString(r);
      } else if (col.type_id() == columnar::TypeId::kInt64) {
        line += std::to_string(col.Get<int64_t>(r));
      } else if (col.type_id() == columnar::TypeId::kInt32) {
        line += std::to_string(col.Get<int32_t>(r));
      } else if (col.type_id() == columnar::TypeId::kFloat64) {
        line += std::to_string(col.Get<double>(r));
      } else {
        line += col.GetBool(r) ? "true" : "false";
      }
    }
    out.push_back(line);
  }
  return out;
}

TEST(GraphTest, CompactRowsEqualTheSimpleRows) {
  FileContext a{"repo", FileId("repo", "pkg/mod.py"), "pkg/mod.py", "pkg.mod"};
  FileContext b{"repo", FileId("repo", "a.py"), "a.py", ""};
  // The simple way.
  GraphRows simple = RowsForFile(a, Sample());
  simple.Append(RowsForFile(b, Sample()));
  simple.Append(Extras(a));
  SortAndCheck(&simple);
  // The compact way: one RowSet per file, extras in a RowSet of their own and in a file's.
  std::vector<RowSet> parts(3);
  EXPECT_EQ(parts[0].AddFileEvidence(a, Sample()),
            DeclarationId("PY_MODULE", a.file_id, "pkg.mod", 0));
  parts[1].AddFileEvidence(b, Sample());
  GraphRows extras = Extras(a);
  parts[1].AddNode(extras.nodes[2]);
  extras.nodes.pop_back();
  parts[2].Add(extras);
  EXPECT_EQ(parts[0].num_props(), 6u);  // 2 evidence and 4 DIAG props
  Graph g = Graph::Assemble(std::move(parts), 2);
  EXPECT_EQ(g.num_nodes(), static_cast<int64_t>(simple.nodes.size()));
  EXPECT_EQ(g.num_edges(), static_cast<int64_t>(simple.edges.size()));
  EXPECT_EQ(g.num_props(), static_cast<int64_t>(simple.props.size()));
  EXPECT_EQ(Lines(g.NodesBatch()), Lines(NodesBatch(simple.nodes)));
  EXPECT_EQ(Lines(g.EdgesBatch()), Lines(EdgesBatch(simple.edges)));
  EXPECT_EQ(Lines(g.PropsBatch()), Lines(PropsBatch(simple.props)));
  EXPECT_EQ(g.NodesByKind().at("CST_CALLSITE"), 2);
  EXPECT_EQ(g.EdgesByKind().at("CALLS"), 1);
  // Streams in small batches: the same rows.
  for (int64_t rows : {1, 3, 7}) {
    std::vector<std::string> streamed;
    auto next = g.PropBatches(rows);
    while (auto batch = next()) {
      EXPECT_LE(batch->num_rows(), rows);
      for (auto& l : Lines(*batch)) streamed.push_back(l);
    }
    EXPECT_EQ(streamed, Lines(PropsBatch(simple.props)));
    streamed.clear();
    auto nodes = g.NodeBatches(rows);
    while (auto batch = nodes()) {
      for (auto& l : Lines(*batch)) streamed.push_back(l);
    }
    EXPECT_EQ(streamed, Lines(NodesBatch(simple.nodes)));
  }
  // ToRows: the same rows, unsorted.
  RowSet one;
  one.AddFileEvidence(a, Sample());
  GraphRows back = one.ToRows();
  SortAndCheck(&back);
  GraphRows direct = RowsForFile(a, Sample());
  SortAndCheck(&direct);
  EXPECT_EQ(Lines(PropsBatch(back.props)), Lines(PropsBatch(direct.props)));
  EXPECT_EQ(Lines(NodesBatch(back.nodes)), Lines(NodesBatch(direct.nodes)));
  EXPECT_EQ(Lines(EdgesBatch(back.edges)), Lines(EdgesBatch(direct.edges)));
}

// Rows referring to nodes by index within their RowSet (evidence) and by id (added rows:
// a node of the same RowSet, of another RowSet, or of none), edges with and without spans,
// confidences and roles, and spans too large (or negative) for 32 bits.
TEST(GraphTest, CompactRowsReferToNodesHereAndElsewhere) {
  FileContext a{"repo", FileId("repo", "pkg/mod.py"), "pkg/mod.py", "pkg.mod"};
  FileContext b{"repo", FileId("repo", "a.py"), "a.py", ""};
  const std::string fn_a = DeclarationId("CST_FUNCTION_DEF", a.file_id, "run", 0);
  const std::string call_a = AnchoredId("CST_CALLSITE", a.file_id, 22, 25);
  const std::string fn_b = DeclarationId("CST_FUNCTION_DEF", b.file_id, "run", 0);
  const std::string ext = QualifiedNameId("os.path.join");
  auto edge = [](const FileContext& f, const std::string& kind, const std::string& src,
                 const std::string& dst, std::optional<int64_t> bstart, std::optional<int64_t> bend,
                 std::optional<double> confidence, std::optional<int32_t> roles) {
    EdgeRow e;
    e.edge_kind = kind;
    e.src_node_id = src;
    e.dst_node_id = dst;
    e.edge_id = EdgeId(kind, src, dst, bstart, bend);
    e.edge_owner_file_id = f.file_id;
    e.path = f.path;
    e.bstart = bstart;
    e.bend = bend;
    e.origin = "resolver";
    e.resolution_method = "import";
    e.confidence = confidence;
    e.symbol_roles = roles;
    return e;
  };
  GraphRows added_a, added_b, repo;
  added_a.edges = {
      edge(a, "CALLS", call_a, fn_b, 22, 25, 0.75, 8),           // to another RowSet
      edge(a, "CALLS", call_a, ext, 22, 25, 0.5, std::nullopt),  // to the repository's
      edge(a, "CALLS", fn_a, call_a, std::nullopt, std::nullopt, std::nullopt, 0),  // within
      edge(a, "REFERS", fn_a, fn_a, int64_t{5} << 32, (int64_t{5} << 32) + 7, -0.0, -1),
      edge(a, "REFERS", call_a, fn_a, -3, std::nullopt, 1e-300, std::nullopt),
  };
  NodeRow far;  // a node enclosed by another file's node, at a span beyond 4 GiB
  far.node_id = AnchoredId("CST_NAME", a.file_id, int64_t{1} << 33, (int64_t{1} << 33) + 2);
  far.node_kind = "CST_NAME";
  far.file_id = a.file_id;
  far.path = a.path;
  far.bstart = int64_t{1} << 33;
  far.bend = (int64_t{1} << 33) + 2;
  far.enclosing_id = fn_b;
  NodeRow near = far;  // enclosed by a node of its own RowSet, given by id; a null bend
  near.node_id = AnchoredId("CST_NAME", a.file_id, 7, 0);
  near.bstart = 7;
  near.bend = std::nullopt;
  near.enclosing_id = fn_a;
  added_a.nodes = {far, near};
  added_b.edges = {edge(b, "CALLS", fn_b, call_a, 1, 2, 0.75, 8)};
  NodeRow q;
  q.node_id = ext;
  q.node_kind = "PY_QUALIFIED_NAME";
  q.qualified_name = "os.path.join";
  q.enclosing_id = fn_a;
  repo.nodes = {q};
  repo.edges = {edge(a, "IMPORTS", ext, fn_b, std::nullopt, 9, 1.0, std::nullopt)};
  repo.edges.back().edge_owner_file_id = std::nullopt;
  GraphRows simple = RowsForFile(a, Sample());
  simple.Append(RowsForFile(b, Sample()));
  for (const GraphRows* g : {&added_a, &added_b, &repo}) {
    GraphRows copy = *g;
    simple.Append(std::move(copy));
  }
  SortAndCheck(&simple);
  std::vector<RowSet> parts(3);
  parts[0].AddFileEvidence(a, Sample());
  parts[0].Add(added_a);
  parts[1].AddFileEvidence(b, Sample());
  for (const auto& e : added_b.edges) parts[1].AddEdge(e);
  parts[1].ShrinkToFit();
  parts[2].Add(repo);
  // ToRows: every row as given.
  GraphRows back;
  for (const auto& p : parts) back.Append(p.ToRows());
  SortAndCheck(&back);
  EXPECT_EQ(Lines(NodesBatch(back.nodes)), Lines(NodesBatch(simple.nodes)));
  EXPECT_EQ(Lines(EdgesBatch(back.edges)), Lines(EdgesBatch(simple.edges)));
  EXPECT_EQ(Lines(PropsBatch(back.props)), Lines(PropsBatch(simple.props)));
  Graph g = Graph::Assemble(std::move(parts), 2);
  g.ReleaseRowsOnceStreamed();
  // Edges last: they read the nodes' ids after the nodes and props streams are done.
  EXPECT_EQ(Lines(g.NodesBatch()), Lines(NodesBatch(simple.nodes)));
  EXPECT_EQ(Lines(g.PropsBatch()), Lines(PropsBatch(simple.props)));
  EXPECT_EQ(Lines(g.EdgesBatch()), Lines(EdgesBatch(simple.edges)));
}

// A small repository as the pipeline builds it: one RowSet per file (evidence, the file node,
// its edges and props), given in any order, and one of repository-level rows.
struct Repo {
  std::vector<FileContext> files;
  GraphRows simple;           // all rows, for SortAndCheck
  std::vector<RowSet> parts;  // the compact way
};

Repo MakeRepo() {
  Repo r;
  // Not in path order; "pkg" (a package directory) sorts between "a.py" and "pkg.py", and
  // "pkg.py" before "pkg/mod.py" ('.' < '/').
  for (const char* path : {"pkg/mod.py", "pkg.py", "a.py", "pkg/sub/z.py"}) {
    r.files.push_back(FileContext{"repo", FileId("repo", path), path, ""});
  }
  const std::string repo_id = StableId("PY_REPO", {"repo"});
  for (const auto& f : r.files) {
    GraphRows rows = RowsForFile(f, Sample());
    NodeRow file;
    file.node_id = f.file_id;
    file.node_kind = "PY_FILE";
    file.file_id = f.file_id;
    file.path = f.path;
    rows.nodes.push_back(file);
    EdgeRow contains;
    contains.edge_kind = "REPO_CONTAINS";
    contains.src_node_id = repo_id;
    contains.dst_node_id = f.file_id;
    contains.edge_id = EdgeId("REPO_CONTAINS", repo_id, f.file_id, std::nullopt, std::nullopt);
    contains.edge_owner_file_id = f.file_id;
    contains.path = f.path;
    rows.edges.push_back(contains);
    rows.props.push_back(
        PropRow{"node", f.file_id, f.file_id, "size_bytes", python::PropValue(int64_t{30}), false});
    RowSet part;
    part.AddFileEvidence(f, Sample());
    GraphRows extra;
    extra.nodes = {rows.nodes.back()};
    extra.edges = {rows.edges.back()};
    extra.props = {rows.props.back()};
    part.Add(extra);
    r.parts.push_back(std::move(part));
    r.simple.Append(std::move(rows));
  }
  // Repository-level rows.
  GraphRows repo;
  auto node = [&](const std::string& id, const std::string& kind, std::optional<std::string> path) {
    NodeRow n;
    n.node_id = id;
    n.node_kind = kind;
    n.path = std::move(path);
    n.name = kind;
    repo.nodes.push_back(n);
    return id;
  };
  node(repo_id, "PY_REPO", std::nullopt);
  repo.nodes.push_back(QualifiedNameNode("os.path.join"));
  const std::string pkg = node(StableId("PY_PACKAGE", {"repo", "pkg"}), "PY_PACKAGE", "pkg");
  const std::string sub =
      node(StableId("PY_PACKAGE", {"repo", "pkg.sub"}), "PY_PACKAGE", "pkg/sub");
  // Scan diagnostics: of a file not scanned (between scanned files, and after the last), of
  // a scanned file's path (sorted into that file's rows), without a path.
  std::vector<std::string> diags;
  for (std::optional<std::string> path : std::initializer_list<std::optional<std::string>>{
           "pkg/big.py", "zz.py", "pkg.py", std::nullopt}) {
    diags.push_back(
        node(StableId("DIAG", {"repo", path.value_or("-"), "TOO_LARGE", "x"}), "DIAG", path));
  }
  for (auto& n : repo.nodes) {
    if (n.path == "pkg.py") n.bstart = 12, n.bend = 13;  // anchored: between the file's nodes
  }
  for (const auto& d : diags) {
    repo.props.push_back(PropRow{"node", d, std::nullopt, "code",
                                 python::PropValue(std::string("TOO_LARGE")), false});
    repo.props.push_back(PropRow{"node", d, std::nullopt, "diag_source",
                                 python::PropValue(std::string("scan")), false});
  }
  auto edge = [&](const std::string& kind, const std::string& src, const std::string& dst) {
    EdgeRow e;
    e.edge_kind = kind;
    e.src_node_id = src;
    e.dst_node_id = dst;
    e.edge_id = EdgeId(kind, src, dst, std::nullopt, std::nullopt);
    e.origin = "syntax";
    repo.edges.push_back(e);
  };
  edge("PACKAGE_CONTAINS", pkg, sub);
  for (const auto& d : diags) edge("HAS_DIAGNOSTIC", repo_id, d);
  // A repository-level edge owned by a file (sorted into that file's edges).
  EdgeRow owned = repo.edges.front();
  owned.edge_kind = "IMPORTS";
  owned.edge_id = EdgeId("IMPORTS", pkg, sub, std::nullopt, std::nullopt);
  owned.edge_owner_file_id = r.files[1].file_id;
  repo.edges.push_back(owned);
  RowSet part;
  part.Add(repo);
  r.parts.push_back(std::move(part));
  r.simple.Append(std::move(repo));
  SortAndCheck(&r.simple);
  return r;
}

TEST(GraphTest, BlocksInterleaveAsTheGlobalOrder) {
  for (int threads : {1, 2}) {
    Repo r = MakeRepo();
    Graph g = Graph::Assemble(std::move(r.parts), threads);
    EXPECT_EQ(g.num_nodes(), static_cast<int64_t>(r.simple.nodes.size()));
    EXPECT_EQ(g.num_edges(), static_cast<int64_t>(r.simple.edges.size()));
    EXPECT_EQ(g.num_props(), static_cast<int64_t>(r.simple.props.size()));
    EXPECT_EQ(Lines(g.NodesBatch()), Lines(NodesBatch(r.simple.nodes)));
    EXPECT_EQ(Lines(g.EdgesBatch()), Lines(EdgesBatch(r.simple.edges)));
    EXPECT_EQ(Lines(g.PropsBatch()), Lines(PropsBatch(r.simple.props)));
    EXPECT_EQ(g.NodesByKind().at("PY_PACKAGE"), 2);
    EXPECT_EQ(g.NodesByKind().at("PY_FILE"), 4);
    EXPECT_EQ(g.EdgesByKind().at("REPO_CONTAINS"), 4);
  }
  // The orders themselves (simple path): paths with nulls first, the package directory and
  // the diagnostics between files; edges and props by file with the unowned first.
  Repo r = MakeRepo();
  std::vector<std::string> paths;
  for (const auto& n : r.simple.nodes) {
    const std::string p = n.path.value_or("null");
    if (paths.empty() || paths.back() != p) paths.push_back(p);
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"null", "a.py", "pkg", "pkg.py", "pkg/big.py",
                                             "pkg/mod.py", "pkg/sub", "pkg/sub/z.py", "zz.py"}));
  std::vector<std::string> owners;
  for (const auto& e : r.simple.edges) {
    const std::string o = e.edge_owner_file_id.value_or("null");
    if (owners.empty() || owners.back() != o) owners.push_back(o);
  }
  std::vector<std::string> files;
  for (const auto& f : r.files) files.push_back(f.file_id);
  std::sort(files.begin(), files.end());
  std::vector<std::string> expected{"null"};
  expected.insert(expected.end(), files.begin(), files.end());
  EXPECT_EQ(owners, expected);
  std::vector<std::string> prop_files;
  for (const auto& p : r.simple.props) {
    const std::string f = p.file_id.value_or("null");
    if (prop_files.empty() || prop_files.back() != f) prop_files.push_back(f);
  }
  EXPECT_EQ(prop_files, expected);
  // The diagnostic at a scanned file's path sits inside that file's nodes.
  size_t diag = 0, first = 0, last = 0;
  for (size_t i = 0; i < r.simple.nodes.size(); ++i) {
    const auto& n = r.simple.nodes[i];
    if (n.path != "pkg.py") continue;
    if (!first) first = i;
    last = i;
    if (n.node_kind == "DIAG" && !n.file_id) diag = i;
  }
  EXPECT_GT(diag, first);
  EXPECT_LT(diag, last);
}

TEST(GraphTest, StreamsReleasingRowsConcurrently) {
  Repo r = MakeRepo();
  Graph g = Graph::Assemble(std::move(r.parts), 2);
  g.ReleaseRowsOnceStreamed();
  // The three tables at once, in batches of 3 rows (blocks span batches); the counts stay.
  std::vector<std::string> got[3];
  std::vector<std::thread> streams;
  for (int t = 0; t < 3; ++t) {
    streams.emplace_back([&, t] {
      BatchStream next = t == 0 ? g.NodeBatches(3) : t == 1 ? g.EdgeBatches(3) : g.PropBatches(3);
      while (auto batch = next()) {
        EXPECT_LE(batch->num_rows(), 3);
        for (auto& l : Lines(*batch)) got[t].push_back(l);
      }
    });
  }
  for (auto& s : streams) s.join();
  EXPECT_EQ(got[0], Lines(NodesBatch(r.simple.nodes)));
  EXPECT_EQ(got[1], Lines(EdgesBatch(r.simple.edges)));
  EXPECT_EQ(got[2], Lines(PropsBatch(r.simple.props)));
  EXPECT_EQ(g.num_nodes(), static_cast<int64_t>(r.simple.nodes.size()));
  EXPECT_EQ(g.NodesByKind().at("DIAG"), 4 + 4);
}

// A value of a derived table's column as text: lists as [..], structs as {..}.
std::string Render(const columnar::Column& c, int64_t r) {
  using columnar::TypeId;
  if (c.IsNull(r)) return "null";
  switch (c.type_id()) {
    case TypeId::kString:
      return std::string(c.GetString(r));
    case TypeId::kInt64:
      return std::to_string(c.Get<int64_t>(r));
    case TypeId::kInt32:
      return std::to_string(c.Get<int32_t>(r));
    case TypeId::kFloat64:
      return std::to_string(c.Get<double>(r));
    case TypeId::kBoolean:
      return c.GetBool(r) ? "true" : "false";
    case TypeId::kList: {
      std::string out = "[";
      for (int64_t e = c.ListBegin(r); e < c.ListEnd(r); ++e) out += Render(c.child(0), e) + ";";
      return out + "]";
    }
    case TypeId::kStruct: {
      std::string out = "{";
      for (size_t k = 0; k < c.num_children(); ++k) out += Render(c.child(k), r) + ",";
      return out + "}";
    }
    default:
      return "?";
  }
}

std::vector<std::string> DerivedLines(const columnar::RecordBatch& b) {
  std::vector<std::string> out;
  for (int64_t r = 0; r < b.num_rows(); ++r) {
    std::string line;
    for (size_t c = 0; c < b.num_columns(); ++c) line += "|" + Render(b.column(c), r);
    out.push_back(line);
  }
  return out;
}

// The derived tables of `parts`, made the simple way from each part's plain rows (the
// definition of derived_tables.h): cpg_edges_by_src, cpg_edges_by_dst, cpg_props_map.
std::array<std::vector<std::string>, 3> SimpleDerived(const std::vector<RowSet>& parts) {
  auto opt = [](const auto& v) {
    if (!v) return std::string("null");
    if constexpr (std::is_same_v<std::decay_t<decltype(*v)>, std::string>) {
      return *v;
    } else if constexpr (std::is_same_v<std::decay_t<decltype(*v)>, double>) {
      return std::to_string(*v);
    } else {
      return std::to_string(*v);
    }
  };
  // Sort keys: NULL first, then bytewise ("\x01" + text).
  auto key = [](const std::optional<std::string>& v) { return v ? "\x01" + *v : std::string(); };
  std::map<std::pair<std::string, std::string>, std::map<std::string, std::string>> by_src_edges;
  std::map<std::pair<std::string, std::string>, std::string> by_src_head;
  std::map<std::pair<std::string, std::string>, std::map<std::string, std::string>> by_dst_edges;
  std::map<std::pair<std::string, std::string>, std::string> by_dst_head;
  std::map<std::pair<std::string, std::string>, std::map<std::string, std::string>> props;
  std::map<std::pair<std::string, std::string>, std::string> props_head;
  for (const RowSet& part : parts) {
    const GraphRows rows = part.ToRows();
    std::map<std::string, const NodeRow*> nodes;
    for (const auto& n : rows.nodes) nodes[n.node_id] = &n;
    auto node = [&](const std::optional<std::string>& id) -> const NodeRow* {
      auto it = id ? nodes.find(*id) : nodes.end();
      return it == nodes.end() ? nullptr : it->second;
    };
    for (const auto& e : rows.edges) {
      const NodeRow* src = node(e.src_node_id);
      const NodeRow* enc = src ? node(src->enclosing_id) : nullptr;
      const std::string src_fields =
          (src ? opt(src->line_start) + "," + opt(src->col_start) + "," + opt(src->enclosing_id)
               : "null,null,null") +
          "," + (enc ? enc->node_kind + "," + opt(enc->qualified_name) : "null,null");
      auto edge = [&](const std::string& other) {
        return "{" + e.edge_id + "," + e.edge_kind + "," + other + "," + opt(e.bstart) + "," +
               opt(e.bend) + "," + opt(e.origin) + "," + opt(e.resolution_method) + "," +
               opt(e.confidence) + ",";
      };
      const std::string owner = opt(e.edge_owner_file_id), path = opt(e.path);
      by_src_edges[{key(e.edge_owner_file_id), e.src_node_id}][e.edge_id] =
          edge(e.dst_node_id) + "}";
      by_src_head[{key(e.edge_owner_file_id), e.src_node_id}] =
          "|" + e.src_node_id + "|" + owner + "|" + path + "|" + src_fields;
      for (char& ch : by_src_head[{key(e.edge_owner_file_id), e.src_node_id}]) {
        if (ch == ',') ch = '|';
      }
      by_dst_edges[{e.dst_node_id, key(e.edge_owner_file_id)}][e.edge_id] =
          edge(e.src_node_id) + src_fields + ",}";
      by_dst_head[{e.dst_node_id, key(e.edge_owner_file_id)}] =
          "|" + e.dst_node_id + "|" + owner + "|" + path;
    }
    for (const auto& p : rows.props) {
      const columnar::RecordBatch one = PropsBatch({p});
      std::string value;
      for (size_t c = 4; c < one.num_columns(); ++c) value += Render(one.column(c), 0) + ",";
      props[{key(p.file_id), p.entity_id}][p.prop_key] = "{" + p.prop_key + "," + value + "}";
      props_head[{key(p.file_id), p.entity_id}] =
          "|" + p.entity_id + "|" + p.entity_kind + "|" + opt(p.file_id);
    }
  }
  std::array<std::vector<std::string>, 3> out;
  auto lines = [](const auto& heads, const auto& lists, std::vector<std::string>* to) {
    for (const auto& [k, head] : heads) {
      std::string list = "|[";
      for (const auto& [id, text] : lists.at(k)) list += text + ";";
      to->push_back(head + list + "]");
    }
  };
  lines(by_src_head, by_src_edges, &out[0]);
  lines(by_dst_head, by_dst_edges, &out[1]);
  lines(props_head, props, &out[2]);
  return out;
}

TEST(GraphTest, DerivedTablesFromTheCompactRows) {
  for (int threads : {1, 2}) {
    Repo r = MakeRepo();
    const auto expected = SimpleDerived(r.parts);
    ASSERT_FALSE(expected[1].empty());
    Graph g = Graph::Assemble(std::move(r.parts), threads);
    g.PrepareDerived(threads);
    EXPECT_EQ(DerivedLines(g.EdgesBySrcBatch()), expected[0]);
    EXPECT_EQ(DerivedLines(g.EdgesByDstBatch()), expected[1]);
    EXPECT_EQ(DerivedLines(g.PropsMapBatch()), expected[2]);
    // The base tables are unchanged by it.
    EXPECT_EQ(Lines(g.EdgesBatch()), Lines(EdgesBatch(r.simple.edges)));
  }
  // A call site's fields: its line and column, its enclosing definition's kind and name.
  Repo r = MakeRepo();
  Graph g = Graph::Assemble(std::move(r.parts), 2);
  g.PrepareDerived(2);
  const columnar::RecordBatch dst = g.EdgesByDstBatch();
  EXPECT_EQ(dst.schema().ToString(), EdgesByDstSchema().ToString());
  int with_enclosing = 0;
  const columnar::Column& s = dst.column(3).child(0);
  const int name = s.type()->fields().size() - 1;
  for (int64_t e = 0; e < s.length(); ++e) with_enclosing += !s.child(name).IsNull(e);
  EXPECT_GT(with_enclosing, 0);
}

TEST(GraphTest, DerivedStreamsReleasingRowsConcurrently) {
  Repo r = MakeRepo();
  const auto expected = SimpleDerived(r.parts);
  Graph g = Graph::Assemble(std::move(r.parts), 2);
  g.PrepareDerived(2);
  g.ReleaseRowsOnceStreamed(/*derived=*/true);
  // All six streams at once, in batches of 2 rows; each row whole in one batch.
  std::vector<std::string> got[6];
  std::vector<std::thread> streams;
  for (int t = 0; t < 6; ++t) {
    streams.emplace_back([&, t] {
      BatchStream next = t == 0   ? g.NodeBatches(2)
                         : t == 1 ? g.EdgeBatches(2)
                         : t == 2 ? g.PropBatches(2)
                         : t == 3 ? g.EdgesBySrcBatches(2)
                         : t == 4 ? g.EdgesByDstBatches(2)
                                  : g.PropsMapBatches(2);
      while (auto batch = next()) {
        EXPECT_LE(batch->num_rows(), 2);
        for (auto& l : t < 3 ? Lines(*batch) : DerivedLines(*batch)) got[t].push_back(l);
      }
    });
  }
  for (auto& s : streams) s.join();
  EXPECT_EQ(got[0], Lines(NodesBatch(r.simple.nodes)));
  EXPECT_EQ(got[1], Lines(EdgesBatch(r.simple.edges)));
  EXPECT_EQ(got[2], Lines(PropsBatch(r.simple.props)));
  EXPECT_EQ(got[3], expected[0]);
  EXPECT_EQ(got[4], expected[1]);
  EXPECT_EQ(got[5], expected[2]);
}

TEST(GraphTest, CompactDuplicatesAreAnError) {
  FileContext ctx{"repo", FileId("repo", "a.py"), "a.py", "a"};
  {
    std::vector<RowSet> parts(2);
    parts[0].AddFileEvidence(ctx, Sample());
    parts[1].AddFileEvidence(ctx, Sample());  // the same nodes and edges again
    // One block (two parts of one file): found when the block is sorted, not before.
    Graph g = Graph::Assemble(std::move(parts));
    EXPECT_THROW(g.NodesBatch(), InternalError);
    EXPECT_THROW(g.EdgesBatch(), InternalError);
    EXPECT_THROW(g.PropsBatch(), InternalError);
  }
  {
    std::vector<RowSet> parts(1);
    parts[0].AddFileEvidence(ctx, Sample());
    GraphRows extras = Extras(ctx);
    parts[0].Add(extras);
    parts[0].AddEdge(extras.edges[0]);  // only an edge repeated
    Graph g = Graph::Assemble(std::move(parts), 1);
    g.NodesBatch();
    g.PropsBatch();
    EXPECT_THROW(g.EdgesBatch(), InternalError);
  }
  {
    std::vector<RowSet> parts(2);
    parts[0].AddFileEvidence(ctx, Sample());
    // A prop the node already has from its evidence (same file id: the same block).
    parts[1].AddProp(PropRow{"node", AnchoredId("CST_CALLSITE", ctx.file_id, 22, 25), ctx.file_id,
                             "callee_text", python::PropValue(std::string("x")), false});
    Graph g = Graph::Assemble(std::move(parts));
    EXPECT_THROW(g.PropsBatch(), InternalError);
  }
  {
    // A repeated id in the middle of a streamed table: the stream throws at that block.
    FileContext b{"repo", FileId("repo", "b.py"), "b.py", "b"};
    std::vector<RowSet> parts(3);
    parts[0].AddFileEvidence(ctx, Sample());
    parts[1].AddFileEvidence(b, Sample());
    parts[2].AddFileEvidence(b, Sample());
    Graph g = Graph::Assemble(std::move(parts));
    auto next = g.NodeBatches(2);
    EXPECT_THROW(
        {
          while (next()) {
          }
        },
        InternalError);
  }
  {
    std::vector<RowSet> parts(1);
    PropRow p{"node", FileId("repo", "a.py"), std::nullopt, "k", python::PropValue(true), false};
    parts[0].AddProp(p);
    parts[0].AddProp(p);  // loose props only, no file: mixed rows, checked by Assemble
    EXPECT_THROW(Graph::Assemble(std::move(parts)), InternalError);
  }
  {
    std::vector<RowSet> parts(2);
    NodeRow q = QualifiedNameNode("os.path");
    parts[0].AddNode(q);
    parts[1].AddNode(q);  // a repository-level node twice (two mixed parts)
    EXPECT_THROW(Graph::Assemble(std::move(parts)), InternalError);
  }
  RowSet rows;
  NodeRow bad;
  bad.node_id = "not-a-stable-id";
  bad.node_kind = "X";
  EXPECT_THROW(rows.AddNode(bad), InternalError);
}

}  // namespace
}  // namespace cpglake::cpg
