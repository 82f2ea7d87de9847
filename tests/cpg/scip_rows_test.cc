// SCIP occurrences → graph rows: span matching (exact, containing, attribute, module, calls,
// ranks, ambiguity), positions in UTF-16 with non-ASCII text and ranges over several lines
// (through scip::TextPositions, as the build converts them), bad documents, and the rows.
#include "cpg/scip_rows.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "cpg/ids.h"
#include "python/scopes.h"
#include "python/syntax.h"
#include "python/tree_sitter.h"
#include "scip/positions.h"

namespace cpglake::cpg {
namespace {

ScipTarget T(std::string kind, int64_t b, int64_t e, std::string id = "") {
  ScipTarget t;
  t.kind = std::move(kind);
  t.bstart = b;
  t.bend = e;
  t.node_id = id.empty() ? StableId(t.kind, {b, e}) : std::move(id);
  return t;
}

TEST(ScipSpanMatcherTest, ExactSpanPrefersTheKindOfTheRole) {
  const ScipSpanMatcher m({T("CST_REF", 4, 5), T("PY_DEF_SITE", 4, 5), T("PY_USE_SITE", 4, 5),
                           T("PY_SCOPE", 0, 20), T("CST_FUNCTION_DEF", 0, 20)});
  ScipMatch def = m.Match(4, 5, /*definition=*/true);
  ASSERT_GE(def.target, 0);
  EXPECT_EQ(m.target(def.target).kind, "PY_DEF_SITE");
  EXPECT_EQ(def.kind, ScipMatchKind::kExact);
  EXPECT_EQ(def.candidates, 1);
  ScipMatch ref = m.Match(4, 5, /*definition=*/false);
  EXPECT_EQ(m.target(ref.target).kind, "CST_REF");
  // PY_SCOPE repeats its owner's span and is never matched.
  ScipMatch whole = m.Match(0, 20, false);
  EXPECT_EQ(m.target(whole.target).kind, "CST_FUNCTION_DEF");
}

TEST(ScipSpanMatcherTest, SmallestContainingNode) {
  const ScipSpanMatcher m({T("PY_MODULE", 0, 100), T("CST_CALLSITE", 10, 30),
                           T("CST_ATTRIBUTE_ACCESS", 10, 20), T("CST_CALL_ARG", 21, 29),
                           T("CST_REF", 10, 14)});
  ScipMatch in_arg = m.Match(22, 25, false);
  EXPECT_EQ(m.target(in_arg.target).kind, "CST_CALL_ARG");
  EXPECT_EQ(in_arg.kind, ScipMatchKind::kContaining);
  // The attribute's own name (the end of a CST_ATTRIBUTE_ACCESS): an attribute match.
  ScipMatch attr = m.Match(15, 20, true);
  EXPECT_EQ(m.target(attr.target).kind, "CST_ATTRIBUTE_ACCESS");
  EXPECT_EQ(attr.kind, ScipMatchKind::kAttribute);
  // Inside the attribute but not at its end: containing.
  EXPECT_EQ(m.Match(14, 15, false).kind, ScipMatchKind::kContaining);
  // The module contains everything but is never a containing match.
  EXPECT_EQ(m.Match(40, 45, false).target, -1);
  EXPECT_EQ(m.Match(40, 45, false).kind, ScipMatchKind::kNone);
}

TEST(ScipSpanMatcherTest, ContainingWalkFindsEarlyLongNodes) {
  // A long node starting far before the occurrence still contains it; many short nodes in
  // between do not.
  std::vector<ScipTarget> targets = {T("CST_CLASS_DEF", 0, 10000)};
  for (int64_t b = 1; b < 9000; b += 3) targets.push_back(T("CST_REF", b, b + 2));
  const ScipSpanMatcher m(std::move(targets));
  ScipMatch r = m.Match(9500, 9510, false);
  ASSERT_GE(r.target, 0);
  EXPECT_EQ(m.target(r.target).kind, "CST_CLASS_DEF");
}

TEST(ScipSpanMatcherTest, AmbiguityIsCountedAndBrokenByNodeId) {
  const ScipSpanMatcher m({T("CST_REF", 5, 8, "CST_REF:bbbb"), T("CST_REF", 5, 8, "CST_REF:aaaa"),
                           T("X_OTHER", 0, 10, "X_OTHER:1"), T("X_OTHER", 0, 10, "X_OTHER:0")});
  ScipMatch r = m.Match(5, 8, false);
  EXPECT_EQ(r.candidates, 2);
  EXPECT_EQ(m.target(r.target).node_id, "CST_REF:aaaa");
  ScipMatch c = m.Match(1, 2, false);
  EXPECT_EQ(c.candidates, 2);
  EXPECT_EQ(m.target(c.target).node_id, "X_OTHER:0");
}

TEST(ScipSpanMatcherTest, EmptySpansAndTheModuleRule) {
  const ScipSpanMatcher m({T("PY_MODULE", 0, 50), T("CST_IMPORT", 0, 9), T("CST_REF", 7, 9)});
  // scip-python defines a module with an empty range at 0:0.
  ScipMatch module = m.Match(0, 0, true);
  EXPECT_EQ(module.kind, ScipMatchKind::kModule);
  EXPECT_EQ(m.target(module.target).kind, "PY_MODULE");
  // An empty span is never contained; a reference there matches nothing.
  EXPECT_EQ(m.Match(0, 0, false).target, -1);
  EXPECT_EQ(m.Match(8, 8, true).target, -1);
}

TEST(ScipSpanMatcherTest, CallSiteOfACallee) {
  ScipTarget outer = T("CST_CALLSITE", 0, 20);
  outer.callee_end = 5;  // f.g(
  ScipTarget inner = T("CST_CALLSITE", 2, 12);
  inner.callee_end = 5;  // g( within a call that starts later (an argument's call)
  const ScipSpanMatcher m({outer, inner});
  EXPECT_EQ(m.target(m.CallSite(2, 5)).bstart, 2);  // innermost
  EXPECT_EQ(m.target(m.CallSite(0, 5)).bstart, 0);
  EXPECT_EQ(m.CallSite(2, 4), -1);
}

// A file parsed by the front end, as the build extracts it.
struct Parsed {
  FileContext ctx;
  python::FileEvidence ev;
  std::vector<ScipTarget> targets;
};
Parsed Parse(const std::string& source) {
  Parsed p;
  p.ctx.repo_id = "repo";
  p.ctx.path = "pkg/mod.py";
  p.ctx.file_id = FileId("repo", p.ctx.path);
  p.ctx.module_name = "pkg.mod";
  python::Parser parser;
  python::TreePtr tree;
  python::ExtractSyntax(parser, source, p.ctx.module_name, &p.ev, &tree);
  python::AnalyzeScopes(source, ts_tree_root_node(tree.get()), &p.ev);
  p.targets = ScipTargetsOf(p.ctx, p.ev);
  return p;
}

scip::Occurrence Occ(std::vector<int32_t> range, std::string symbol, int32_t roles) {
  scip::Occurrence o;
  o.range = range.size() == 3 ? scip::Range{range[0], range[1], range[0], range[2]}
                              : scip::Range{range[0], range[1], range[2], range[3]};
  o.symbol = std::move(symbol);
  o.roles = roles;
  return o;
}

std::vector<ScipOccurrenceSpan> Spans(const std::string& text, const scip::Document& doc) {
  const scip::TextPositions positions(text);
  std::vector<ScipOccurrenceSpan> out;
  for (const auto& o : doc.occurrences) {
    const scip::ByteSpan s = positions.ToByteSpan(o.range, doc.position_encoding);
    out.push_back({static_cast<int64_t>(s.start.offset), static_cast<int64_t>(s.end.offset),
                   !s.start.exact() || !s.end.exact()});
  }
  return out;
}

const EdgeRow* EdgeAt(const GraphRows& rows, std::string_view kind, int64_t b) {
  for (const auto& e : rows.edges) {
    if (e.edge_kind == kind && e.bstart == b) return &e;
  }
  return nullptr;
}

const NodeRow* NodeById(const Parsed& p, const std::string& id) {
  static std::vector<NodeRow> nodes;
  nodes = RowsForFile(p.ctx, p.ev).nodes;
  for (const auto& n : nodes) {
    if (n.node_id == id) return &n;
  }
  return nullptr;
}

constexpr const char* kPrefix = "scip-python python demo 0 ";

TEST(ScipRowsTest, Utf16PositionsAfterNonAsciiTextMapToTheRightNames) {
  // Line 1: "é" is 1 UTF-16 unit and 2 bytes, "😀" 2 units and 4 bytes: `t` is at UTF-16
  // column 20 and byte column 23.
  const std::string src =
      "def helper(value):\n"
      "    s = \"h\xC3\xA9llo \xF0\x9F\x98\x80\"; t = value\n"
      "    return t\n";
  Parsed p = Parse(src);
  scip::Document doc;
  doc.relative_path = p.ctx.path;
  doc.position_encoding = scip::PositionEncoding::kUtf16;
  doc.occurrences = {Occ({0, 4, 10}, std::string(kPrefix) + "`pkg.mod`/helper().", 1),
                     Occ({0, 11, 16}, std::string(kPrefix) + "`pkg.mod`/helper().(value)", 1),
                     Occ({1, 4, 5}, "local 0", 1),
                     Occ({1, 20, 21}, "local 1", 1),
                     Occ({1, 24, 29}, std::string(kPrefix) + "`pkg.mod`/helper().(value)", 8),
                     Occ({2, 11, 12}, "local 1", 8)};
  const auto spans = Spans(src, doc);
  const ScipSpanMatcher matcher(p.targets);
  const std::map<std::string, std::string> local_names = {{"local 1", "t"}};
  ScipFileRows r = RowsForScipDocument(
      p.ctx, doc, spans, matcher, {}, [](const std::string&) { return nullptr; }, false,
      &local_names);
  EXPECT_EQ(r.stats.unmatched, 0);
  std::map<std::string, std::string> symbol_names;
  for (const auto& n : r.rows.nodes) {
    if (n.node_kind == "SCIP_SYMBOL") symbol_names[n.node_id] = n.name.value_or("");
  }
  EXPECT_EQ(symbol_names.at(ScipSymbolId("repo", "local 1", p.ctx.path)), "t");
  EXPECT_EQ(symbol_names.at(ScipSymbolId("repo", "local 0", p.ctx.path)), "0");
  EXPECT_EQ(r.stats.exact, 6);
  const size_t t_byte = src.find("t = value");
  const EdgeRow* t_def = EdgeAt(r.rows, "PY_DEFINES_SYMBOL", static_cast<int64_t>(t_byte));
  ASSERT_NE(t_def, nullptr);
  EXPECT_EQ(t_def->bend, static_cast<int64_t>(t_byte + 1));
  const NodeRow* src_node = NodeById(p, t_def->src_node_id);
  ASSERT_NE(src_node, nullptr);
  EXPECT_EQ(src_node->node_kind, "PY_DEF_SITE");
  EXPECT_EQ(src_node->name, "t");
  EXPECT_EQ(t_def->dst_node_id, ScipSymbolId("repo", "local 1", p.ctx.path));
  const EdgeRow* read =
      EdgeAt(r.rows, "PY_READS_SYMBOL", static_cast<int64_t>(src.find("value\n    return")));
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->symbol_roles, 8);
  EXPECT_EQ(read->origin, "scip");
  EXPECT_EQ(read->resolution_method, "scip_occurrence");
  // Every definition occurrence maps to a definition node with its span.
  for (const auto& e : r.rows.edges) {
    if (e.edge_kind != "PY_DEFINES_SYMBOL") continue;
    const NodeRow* n = NodeById(p, e.src_node_id);
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->node_kind, "PY_DEF_SITE");
    EXPECT_EQ(n->bstart, e.bstart);
    EXPECT_EQ(n->bend, e.bend);
  }
  // UTF-8 columns would put `t` 3 bytes early: on the string.
  doc.position_encoding = scip::PositionEncoding::kUtf8;
  const auto utf8 = Spans(src, doc);
  EXPECT_EQ(utf8[3].bstart, static_cast<int64_t>(t_byte) - 3);
}

TEST(ScipRowsTest, MultiLineRangesAndCalls) {
  const std::string src =
      "class Base:\n"
      "    def run(self):\n"
      "        return 1\n"
      "\n"
      "b = Base()\n"
      "b.run()\n"
      "x = print(\n"
      "  b.run\n"
      ")\n";
  Parsed p = Parse(src);
  scip::Document doc;
  doc.relative_path = p.ctx.path;
  const std::string base = std::string(kPrefix) + "`pkg.mod`/Base#";
  const std::string run = base + "run().";
  doc.occurrences = {Occ({0, 6, 10}, base, 1),  Occ({1, 8, 11}, run, 1),
                     Occ({4, 4, 8}, base, 8),    // Base() → a call of the class
                     Occ({5, 2, 5}, run, 8),     // b.run() → a call of the method
                     Occ({6, 9, 8, 1}, run, 8),  // over three lines: "(\n  b.run\n)"
                     Occ({7, 4, 7}, run, 8),     // b.run, not called: a read of the attribute
                     Occ({20, 0, 3}, run, 8)};   // past the end: clamped, unmatched
  const auto spans = Spans(src, doc);
  EXPECT_TRUE(spans[6].clamped);
  EXPECT_FALSE(spans[4].clamped);
  EXPECT_EQ(spans[4].bstart, static_cast<int64_t>(src.find("(\n")));
  EXPECT_EQ(src.substr(static_cast<size_t>(spans[4].bstart),
                       static_cast<size_t>(spans[4].bend - spans[4].bstart)),
            "(\n  b.run\n)");
  EXPECT_EQ(spans[4].bend, static_cast<int64_t>(src.rfind(")") + 1));
  const ScipSpanMatcher matcher(p.targets);
  // The CALLS edges the resolver would give: Base() → Base, b.run() → Base.run.
  std::vector<EdgeRow> calls;
  std::string class_id, run_id;
  for (const auto& n : RowsForFile(p.ctx, p.ev).nodes) {
    if (n.node_kind == "CST_CLASS_DEF") class_id = n.node_id;
    if (n.node_kind == "CST_FUNCTION_DEF") run_id = n.node_id;
  }
  for (const auto& t : p.targets) {
    if (t.kind != "CST_CALLSITE" || t.bstart > static_cast<int64_t>(src.find("x ="))) continue;
    EdgeRow e;
    e.edge_kind = "CALLS";
    e.src_node_id = t.node_id;
    e.dst_node_id = t.bstart == static_cast<int64_t>(src.find("Base()")) ? class_id : run_id;
    e.edge_id = EdgeId("CALLS", e.src_node_id, e.dst_node_id, t.bstart, t.bend);
    calls.push_back(e);
  }
  ASSERT_EQ(calls.size(), 2u);
  // Base is known to define `base`; the method's symbol is said to be another one, so the
  // b.run() edge is not corroborated.
  const std::string other = base + "other().";
  ScipFileRows r = RowsForScipDocument(
      p.ctx, doc, spans, matcher, calls,
      [&](const std::string& id) -> const std::string* {
        return id == class_id ? &base : id == run_id ? &other : nullptr;
      },
      false);
  const EdgeRow* call_base =
      EdgeAt(r.rows, "PY_CALLS_SYMBOL", static_cast<int64_t>(src.find("Base()")));
  ASSERT_NE(call_base, nullptr);
  const EdgeRow* call_run =
      EdgeAt(r.rows, "PY_CALLS_SYMBOL", static_cast<int64_t>(src.find("run()\nx")));
  ASSERT_NE(call_run, nullptr);
  EXPECT_EQ(r.stats.callee, 2);
  EXPECT_EQ(r.stats.attribute, 1);   // b.run on line 8
  EXPECT_EQ(r.stats.containing, 1);  // the arguments: in the call site print(...)
  EXPECT_EQ(r.stats.unmatched, 1);
  EXPECT_EQ(r.stats.clamped, 1);
  std::map<std::string, bool> corroborated;
  for (const auto& prop : r.rows.props) {
    if (prop.prop_key == "scip_corroborated") {
      corroborated[prop.entity_id] = std::get<bool>(prop.value);
    }
  }
  ASSERT_EQ(corroborated.size(), 2u);
  EXPECT_TRUE(corroborated.at(calls[0].edge_id));
  EXPECT_FALSE(corroborated.at(calls[1].edge_id));
  // Diagnostics for the unmatched and the clamped occurrence, as DIAG nodes.
  std::vector<std::string> codes;
  for (const auto& d : r.diagnostics) codes.push_back(d.code);
  EXPECT_EQ(codes, (std::vector<std::string>{"SCIP_UNMATCHED", "SCIP_POSITION_CLAMPED"}));
  EXPECT_EQ(std::count_if(r.rows.nodes.begin(), r.rows.nodes.end(),
                          [](const NodeRow& n) { return n.node_kind == "DIAG"; }),
            2);
}

TEST(ScipRowsTest, IdenticalOccurrencesMergeAndStaleDocumentsAreNotMatched) {
  const std::string src = "x = 1\n";
  Parsed p = Parse(src);
  scip::Document doc;
  doc.relative_path = p.ctx.path;
  doc.occurrences = {Occ({0, 0, 1}, "local 0", 1), Occ({0, 0, 1}, "local 0", 1 | 4),
                     Occ({0, 0, 1}, "", 1)};
  const ScipSpanMatcher matcher(p.targets);
  auto none = [](const std::string&) -> const std::string* { return nullptr; };
  ScipFileRows r = RowsForScipDocument(p.ctx, doc, Spans(src, doc), matcher, {}, none, false);
  int defines = 0;
  for (const auto& e : r.rows.edges) {
    if (e.edge_kind == "PY_DEFINES_SYMBOL") {
      ++defines;
      EXPECT_EQ(e.symbol_roles, 5);
    }
  }
  EXPECT_EQ(defines, 1);
  EXPECT_EQ(r.stats.unmatched, 1);  // the occurrence without a symbol
  // One SCIP_SYMBOL node for the local symbol, owned by the file.
  int symbols = 0;
  for (const auto& n : r.rows.nodes) {
    if (n.node_kind == "SCIP_SYMBOL") {
      ++symbols;
      EXPECT_EQ(n.file_id, p.ctx.file_id);
    }
  }
  EXPECT_EQ(symbols, 1);

  doc.text = "y = 2\n";
  ScipFileRows stale = RowsForScipDocument(p.ctx, doc, Spans(src, doc), matcher, {}, none, true);
  for (const auto& e : stale.rows.edges) {
    EXPECT_TRUE(e.edge_kind == "FILE_HAS_SCIP_DOCUMENT" || e.edge_kind == "HAS_DIAGNOSTIC")
        << e.edge_kind;
  }
  ASSERT_EQ(stale.diagnostics.size(), 1u);
  EXPECT_EQ(stale.diagnostics[0].code, "SCIP_STALE_DOCUMENT");
}

TEST(ScipRowsTest, SymbolsAreMergedAcrossDocumentsWithRelationships) {
  scip::Document a, b;
  a.relative_path = "a.py";
  b.relative_path = "b.py";
  scip::SymbolInfo base;
  base.symbol = std::string(kPrefix) + "a/Base#run().";
  base.display_name = "run";
  base.documentation = {"Runs."};
  scip::SymbolInfo child;
  child.symbol = std::string(kPrefix) + "b/Child#run().";
  scip::Relationship rel;
  rel.symbol = base.symbol;
  rel.is_implementation = true;
  rel.is_reference = true;
  child.relationships = {rel, rel};
  a.symbols = {base};
  b.symbols = {child};
  b.occurrences = {Occ({0, 0, 1}, std::string(kPrefix) + "os/getcwd().", 8)};
  ScipSymbolTable table = MergeScipSymbols({&a, &b}, {});
  EXPECT_EQ(table.symbols.size(), 3u);
  EXPECT_EQ(table.symbols.at(child.symbol).relationships.size(), 1u);
  GraphRows rows = RowsForScipSymbols("repo", table);
  EXPECT_EQ(rows.nodes.size(), 3u);
  std::vector<std::string> kinds;
  for (const auto& e : rows.edges) kinds.push_back(e.edge_kind);
  std::sort(kinds.begin(), kinds.end());
  EXPECT_EQ(kinds,
            (std::vector<std::string>{"SCIP_SYMBOL_IMPLEMENTATION", "SCIP_SYMBOL_REFERENCE"}));
  for (const auto& n : rows.nodes) {
    EXPECT_FALSE(n.file_id.has_value());
    if (n.node_id == ScipSymbolId("repo", base.symbol, "")) {
      EXPECT_EQ(n.name, "run");
      EXPECT_EQ(n.qualified_name, "a.Base.run");
    }
  }
  EXPECT_EQ(ScipSymbolsFingerprint(table), ScipSymbolsFingerprint(MergeScipSymbols({&a, &b}, {})));
  b.symbols[0].documentation = {"changed"};
  EXPECT_NE(ScipSymbolsFingerprint(table), ScipSymbolsFingerprint(MergeScipSymbols({&a, &b}, {})));
}

}  // namespace
}  // namespace cpglake::cpg
