#include "cpg/graph.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "cpg/ids.h"

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
  // Line/column props of the call: line 3 (starts at byte 20), columns 2..5.
  std::map<std::string, int64_t> pos;
  for (const auto& p : rows.props) {
    if (p.entity_id == rows.nodes[3].node_id && std::holds_alternative<int64_t>(p.value)) {
      pos[p.prop_key] = std::get<int64_t>(p.value);
    }
  }
  EXPECT_EQ(pos["line_start"], 3);
  EXPECT_EQ(pos["col_start"], 2);
  EXPECT_EQ(pos["col_end"], 5);
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

}  // namespace
}  // namespace cpglake::cpg
