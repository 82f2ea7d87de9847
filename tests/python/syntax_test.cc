// Fixtures for the line index and the syntax extractor. Each case is a Python source and the
// nodes it must produce, written as a dump (one node per line: kind, name, qualified path and
// ordinal for declarations, line:col span, props, and the parent / enclosing declarations).
// The whole-library comparison with CPython's ast is ast_oracle_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "python/syntax.h"

namespace cpglake::python {
namespace {

FileEvidence Extract(const std::string& src, const std::string& module = "pkg.mod") {
  FileEvidence ev;
  ev.path = "pkg/mod.py";
  ExtractSyntax(src, module, &ev);
  return ev;
}

std::string PropText(const PropValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  return std::to_string(std::get<double>(v));
}

std::string Prop(const EvidenceNode& n, const std::string& key) {
  for (const auto& [k, v] : n.props) {
    if (k == key) return PropText(v);
  }
  return "<none>";
}

std::string Pos(const FileEvidence& ev, int64_t b, int64_t e) {
  const auto [l1, c1] = ev.lines.Position(b);
  const auto [l2, c2] = ev.lines.Position(e);
  return std::to_string(l1) + ":" + std::to_string(c1) + "-" + std::to_string(l2) + ":" +
         std::to_string(c2);
}

// How a parent or enclosing node is named in dumps.
std::string Ref(const FileEvidence& ev, int32_t i) {
  if (i < 0) return "-";
  const EvidenceNode& n = ev.nodes[static_cast<size_t>(i)];
  if (n.kind == "PY_MODULE") return "<module>";
  if (!n.qualified_path.empty()) return n.qualified_path;
  return n.kind + "@" + Pos(ev, n.bstart, n.bend);
}

// One line per node of the given kinds (all kinds when empty), in extraction order.
std::string Dump(const FileEvidence& ev, const std::set<std::string>& kinds = {}) {
  std::string out = "\n";
  for (const EvidenceNode& n : ev.nodes) {
    if (!kinds.empty() && kinds.count(n.kind) == 0) continue;
    out += n.kind;
    if (!n.name.empty()) out += " " + n.name;
    if (!n.qualified_path.empty())
      out += " {" + n.qualified_path + "#" + std::to_string(n.ordinal) + "}";
    out += " " + Pos(ev, n.bstart, n.bend);
    for (const auto& [k, v] : n.props) out += " " + k + "=" + PropText(v);
    if (n.parent >= 0) out += " ^" + Ref(ev, n.parent);
    out += " in " + Ref(ev, n.enclosing);
    out += "\n";
  }
  return out;
}

std::string Text(const std::string& src, const EvidenceNode& n) {
  return src.substr(static_cast<size_t>(n.bstart), static_cast<size_t>(n.bend - n.bstart));
}

std::vector<const EvidenceNode*> OfKind(const FileEvidence& ev, const std::string& kind) {
  std::vector<const EvidenceNode*> out;
  for (const EvidenceNode& n : ev.nodes) {
    if (n.kind == kind) out.push_back(&n);
  }
  return out;
}

// Structural invariants every extraction must satisfy.
void CheckInvariants(const FileEvidence& ev, const std::string& src) {
  static const std::set<std::string> kEnclosing = {"PY_MODULE", "CST_CLASS_DEF", "CST_FUNCTION_DEF",
                                                   "CST_LAMBDA"};
  ASSERT_FALSE(ev.nodes.empty());
  EXPECT_EQ(ev.nodes[0].kind, "PY_MODULE");
  EXPECT_EQ(ev.nodes[0].enclosing, -1);
  std::set<std::pair<int32_t, int32_t>> parent_edges;
  for (const EvidenceEdge& e : ev.edges) {
    ASSERT_GE(e.src, 0);
    ASSERT_LT(static_cast<size_t>(e.src), ev.nodes.size());
    ASSERT_GE(e.dst, 0);
    ASSERT_LT(static_cast<size_t>(e.dst), ev.nodes.size());
    if (e.kind == "CST_PARENT_OF") parent_edges.insert({e.src, e.dst});
  }
  std::set<std::tuple<std::string, std::string, int32_t>> decl_ids;
  for (size_t i = 0; i < ev.nodes.size(); ++i) {
    const EvidenceNode& n = ev.nodes[i];
    EXPECT_LE(0, n.bstart) << n.kind;
    EXPECT_LE(n.bstart, n.bend) << n.kind;
    EXPECT_LE(n.bend, static_cast<int64_t>(src.size())) << n.kind;
    if (i > 0) {
      ASSERT_GE(n.enclosing, 0) << n.kind;
      EXPECT_TRUE(kEnclosing.count(ev.nodes[static_cast<size_t>(n.enclosing)].kind)) << n.kind;
    }
    if (n.parent >= 0) {
      EXPECT_TRUE(parent_edges.count({n.parent, static_cast<int32_t>(i)})) << n.kind;
    }
    if (!n.qualified_path.empty() || n.kind == "PY_MODULE") {
      EXPECT_TRUE(decl_ids.insert({n.kind, n.qualified_path, n.ordinal}).second)
          << "duplicate declaration id " << n.kind << " " << n.qualified_path << "#" << n.ordinal;
    }
  }
  EXPECT_EQ(parent_edges.size(), static_cast<size_t>(std::count_if(
                                     ev.nodes.begin(), ev.nodes.end(),
                                     [](const EvidenceNode& n) { return n.parent >= 0; })));
}

// ---- line index ------------------------------------------------------------------------

TEST(LineIndexTest, NewlineKindsAsPythonSplitsLines) {
  const std::string src = "a\nb\r\nc\rd";
  const LineIndex li = BuildLineIndex(src);
  ASSERT_EQ(li.line_count(), 4);
  EXPECT_EQ(li.line_starts, (std::vector<int64_t>{0, 2, 5, 7}));
  EXPECT_EQ(li.newlines, (std::vector<NewlineKind>{NewlineKind::kLf, NewlineKind::kCrLf,
                                                   NewlineKind::kCr, NewlineKind::kNone}));
  EXPECT_EQ(li.LineEnd(2), 5);
  EXPECT_EQ(li.LineEnd(4), 8);
  EXPECT_STREQ(NewlineKindName(li.newlines[1]), "crlf");
  // CR CR LF: a lone CR, then a CRLF.
  const LineIndex li2 = BuildLineIndex("x\r\r\ny");
  EXPECT_EQ(li2.line_starts, (std::vector<int64_t>{0, 2, 4}));
  EXPECT_EQ(li2.newlines[0], NewlineKind::kCr);
  EXPECT_EQ(li2.newlines[1], NewlineKind::kCrLf);
}

TEST(LineIndexTest, EmptyFileAndTrailingNewline) {
  const LineIndex empty = BuildLineIndex("");
  EXPECT_EQ(empty.line_count(), 1);
  EXPECT_EQ(empty.Position(0), (std::pair<int64_t, int64_t>{1, 0}));
  EXPECT_EQ(empty.Offset(1, 0), 0);
  const LineIndex li = BuildLineIndex("x = 1\n");
  EXPECT_EQ(li.line_count(), 2);  // the empty line after the last newline
  EXPECT_EQ(li.Position(6), (std::pair<int64_t, int64_t>{2, 0}));
  EXPECT_EQ(li.Position(100), (std::pair<int64_t, int64_t>{2, 0}));  // clamped
  EXPECT_EQ(li.Offset(9, 9), 6);                                     // clamped
}

TEST(LineIndexTest, ColumnsAreUtf8BytesAndTheBomIsNotCounted) {
  // BOM, CJK (3 bytes each), emoji (4 bytes), tab, CRLF.
  const std::string src = "\xEF\xBB\xBFx = '\xE5\x87\xBD'\r\n\ty = '\xF0\x9F\x98\x80' + z\r\n";
  const LineIndex li = BuildLineIndex(src);
  EXPECT_EQ(li.bom, 3);
  EXPECT_EQ(li.Position(3), (std::pair<int64_t, int64_t>{1, 0}));  // `x`: column 0, as ast says
  EXPECT_EQ(li.Position(0), (std::pair<int64_t, int64_t>{1, 0}));  // inside the BOM: clamped
  EXPECT_EQ(li.Offset(1, 0), 3);
  const int64_t z = static_cast<int64_t>(src.find('z'));
  EXPECT_EQ(li.Position(z), (std::pair<int64_t, int64_t>{2, 14}));  // tab=1, emoji=4 bytes
  // Every byte of the file round-trips.
  for (int64_t b = 3; b <= static_cast<int64_t>(src.size()); ++b) {
    const auto [line, col] = li.Position(b);
    EXPECT_EQ(li.Offset(line, col), b) << b;
  }
}

// ---- spans -----------------------------------------------------------------------------

TEST(SyntaxTest, UnicodeCrlfBomAndTabSpansMatchCPython) {
  // Expected positions are what CPython 3.11's ast reports for this file.
  const std::string src =
      "\xEF\xBB\xBFimport os\r\n"
      "def \xE5\x87\xBD\xE6\x95\xB0(\xE5\x8F\x82=1):\r\n"
      "\treturn \"\xF0\x9F\x98\x80\" + \xE5\x8F\x82\r\n"
      "class K:\r\n"
      "\t\"\"\"doc \xF0\x9F\x98\x80\"\"\"\r\n"
      "\tx = f(\xE5\x87\xBD\xE6\x95\xB0)\r\n";
  const FileEvidence ev = Extract(src);
  CheckInvariants(ev, src);
  EXPECT_TRUE(ev.diagnostics.empty());
  EXPECT_EQ(Dump(ev, {"CST_IMPORT", "CST_FUNCTION_DEF", "CST_CLASS_DEF", "CST_PARAM",
                      "CST_DOCSTRING", "CST_CALLSITE", "CST_REF"}),
            R"(
CST_IMPORT 1:0-1:9 is_from=false module= relative_level=0 in <module>
CST_FUNCTION_DEF 函数 {函数#0} 2:0-3:20 is_async=false is_method=false decorator_count=0 ^<module> in <module>
CST_PARAM 参 {函数(参)#0} 2:11-2:14 param_kind=positional has_default=true ^函数 in 函数
CST_REF 参 3:17-3:20 expr_context=LOAD in 函数
CST_CLASS_DEF K {K#0} 4:0-6:14 decorator_count=0 ^<module> in <module>
CST_DOCSTRING 5:1-5:15 ^K in K
CST_REF x 6:1-6:2 expr_context=STORE in K
CST_CALLSITE 6:5-6:14 callee_text=f callee_shape=NAME arg_count=1 in K
CST_REF f 6:5-6:6 expr_context=LOAD in K
CST_REF 函数 6:7-6:13 expr_context=LOAD in K
)");
  EXPECT_EQ(ev.nodes[0].bstart, 0);
  EXPECT_EQ(ev.nodes[0].bend, static_cast<int64_t>(src.size()));
  EXPECT_EQ(ev.nodes[0].name, "pkg.mod");
}

TEST(SyntaxTest, LoneCarriageReturnsEndLinesAsInPython) {
  const std::string src = "x = 1\ry = (a,\r     b)\rdef f():\r    return y\r";
  const FileEvidence ev = Extract(src);
  CheckInvariants(ev, src);
  EXPECT_TRUE(ev.diagnostics.empty()) << ev.diagnostics[0].message;
  EXPECT_EQ(Dump(ev, {"CST_FUNCTION_DEF", "CST_REF"}), R"(
CST_REF x 1:0-1:1 expr_context=STORE in <module>
CST_REF y 2:0-2:1 expr_context=STORE in <module>
CST_REF a 2:5-2:6 expr_context=LOAD in <module>
CST_REF b 3:5-3:6 expr_context=LOAD in <module>
CST_FUNCTION_DEF f {f#0} 4:0-5:12 is_async=false is_method=false decorator_count=0 ^<module> in <module>
CST_REF y 5:11-5:12 expr_context=LOAD in f
)");
}

// ---- syntax errors ---------------------------------------------------------------------

TEST(SyntaxTest, SyntaxErrorsBecomeNodesAndDiagnosticsAndTheRestIsExtracted) {
  const std::string src = "def f(:\n    pass\n\ndef g(a):\n    return h(a)\n\nx = (1,\n";
  const FileEvidence ev = Extract(src);
  CheckInvariants(ev, src);
  const auto errors = OfKind(ev, "TS_ERROR");
  const auto missing = OfKind(ev, "TS_MISSING");
  EXPECT_FALSE(errors.empty() && missing.empty());
  EXPECT_EQ(ev.diagnostics.size(), errors.size() + missing.size());
  for (const Diagnostic& d : ev.diagnostics) {
    EXPECT_EQ(d.severity, "error");
    EXPECT_EQ(d.code, "SYNTAX_ERROR");
    EXPECT_NE(d.message.find("line "), std::string::npos);
  }
  // f (with a missing `)`), g and its call are still there.
  EXPECT_EQ(Dump(ev, {"CST_FUNCTION_DEF", "CST_PARAM", "CST_CALLSITE", "TS_MISSING", "TS_ERROR"}),
            R"(
CST_FUNCTION_DEF f {f#0} 1:0-2:8 is_async=false is_method=false decorator_count=0 ^<module> in <module>
TS_MISSING 1:6-1:6 missing=) in <module>
CST_FUNCTION_DEF g {g#0} 4:0-5:15 is_async=false is_method=false decorator_count=0 ^<module> in <module>
CST_PARAM a {g(a)#0} 4:6-4:7 param_kind=positional has_default=false ^g in g
CST_CALLSITE 5:11-5:15 callee_text=h callee_shape=NAME arg_count=1 in g
TS_ERROR 7:0-7:7 in <module>
)");
  ASSERT_EQ(OfKind(ev, "CST_CALLSITE").size(), 1u);
  EXPECT_EQ(Text(src, *OfKind(ev, "CST_CALLSITE")[0]), "h(a)");
}

TEST(SyntaxTest, GarbageNeverFails) {
  const std::string inputs[] = {
      std::string("\xff\xfe\x00\x01 def (((", 13),
      "@\n",
      "lambda",
      "class",
      "from . import",
      "f(**",
      "x = [*a.b(), *c()]",
      "match x:\n case {**r}: pass\n",
      "\t\t\n\r\r\n\\\n",
      "type X[",
      "print >>",
      // Parameter lists inside ERROR nodes, without their def or lambda (found by fuzzing).
      "def f[T](a)",
      "x = lambda a, b",
      "def (a, b): pass",
  };
  for (const std::string& src : inputs) {
    const FileEvidence ev = Extract(src);
    CheckInvariants(ev, src);
  }
}

TEST(SyntaxTest, DeepNestingDoesNotOverflowTheStack) {
  std::string src = "x = ";
  for (int i = 0; i < 3000; ++i) src += "[";
  for (int i = 0; i < 3000; ++i) src += "]";
  src += "\ny = a";
  for (int i = 0; i < 20000; ++i) src += ".b(c)";
  src += "\n";
  const FileEvidence ev = Extract(src);
  CheckInvariants(ev, src);
  EXPECT_EQ(OfKind(ev, "CST_CALLSITE").size(), 20000u);
  // Callee texts are capped, so a long chain stays linear.
  size_t text = 0;
  for (const EvidenceNode* n : OfKind(ev, "CST_CALLSITE")) text += Prop(*n, "callee_text").size();
  EXPECT_LT(text, 20000u * 300);
}

// ---- imports ---------------------------------------------------------------------------

TEST(SyntaxTest, EveryImportForm) {
  const std::string src =
      "import os\n"
      "import os.path as osp, sys\n"
      "from . import a\n"
      "from .. import b as c\n"
      "from ...pkg.sub import (d,\n    e as f,)\n"
      "from .m import *\n"
      "from __future__ import annotations\n"
      "from x . y import z\n"
      "def g():\n    import json\n";
  const FileEvidence ev = Extract(src);
  CheckInvariants(ev, src);
  EXPECT_EQ(Dump(ev, {"CST_IMPORT", "CST_IMPORT_ALIAS"}), R"(
CST_IMPORT 1:0-1:9 is_from=false module= relative_level=0 in <module>
CST_IMPORT_ALIAS os 1:7-1:9 module=os imported_name= asname= relative_level=0 is_star=false bound_name=os ^CST_IMPORT@1:0-1:9 in <module>
CST_IMPORT 2:0-2:26 is_from=false module= relative_level=0 in <module>
CST_IMPORT_ALIAS os.path 2:7-2:21 module=os.path imported_name= asname=osp relative_level=0 is_star=false bound_name=osp ^CST_IMPORT@2:0-2:26 in <module>
CST_IMPORT_ALIAS sys 2:23-2:26 module=sys imported_name= asname= relative_level=0 is_star=false bound_name=sys ^CST_IMPORT@2:0-2:26 in <module>
CST_IMPORT 3:0-3:15 is_from=true module= relative_level=1 in <module>
CST_IMPORT_ALIAS a 3:14-3:15 module= imported_name=a asname= relative_level=1 is_star=false bound_name=a ^CST_IMPORT@3:0-3:15 in <module>
CST_IMPORT 4:0-4:21 is_from=true module= relative_level=2 in <module>
CST_IMPORT_ALIAS b 4:15-4:21 module= imported_name=b asname=c relative_level=2 is_star=false bound_name=c ^CST_IMPORT@4:0-4:21 in <module>
CST_IMPORT 5:0-6:12 is_from=true module=pkg.sub relative_level=3 in <module>
CST_IMPORT_ALIAS d 5:24-5:25 module=pkg.sub imported_name=d asname= relative_level=3 is_star=false bound_name=d ^CST_IMPORT@5:0-6:12 in <module>
CST_IMPORT_ALIAS e 6:4-6:10 module=pkg.sub imported_name=e asname=f relative_level=3 is_star=false bound_name=f ^CST_IMPORT@5:0-6:12 in <module>
CST_IMPORT 7:0-7:16 is_from=true module=m relative_level=1 in <module>
CST_IMPORT_ALIAS * 7:15-7:16 module=m imported_name=* asname= relative_level=1 is_star=true bound_name= ^CST_IMPORT@7:0-7:16 in <module>
CST_IMPORT 8:0-8:34 is_from=true module=__future__ relative_level=0 in <module>
CST_IMPORT_ALIAS annotations 8:23-8:34 module=__future__ imported_name=annotations asname= relative_level=0 is_star=false bound_name=annotations ^CST_IMPORT@8:0-8:34 in <module>
CST_IMPORT 9:0-9:19 is_from=true module=x.y relative_level=0 in <module>
CST_IMPORT_ALIAS z 9:18-9:19 module=x.y imported_name=z asname= relative_level=0 is_star=false bound_name=z ^CST_IMPORT@9:0-9:19 in <module>
CST_IMPORT 11:4-11:15 is_from=false module= relative_level=0 in g
CST_IMPORT_ALIAS json 11:11-11:15 module=json imported_name= asname= relative_level=0 is_star=false bound_name=json ^CST_IMPORT@11:4-11:15 in g
)");
  EXPECT_TRUE(OfKind(ev, "CST_REF").empty());  // imported names are not references
}

// ---- calls -----------------------------------------------------------------------------

TEST(SyntaxTest, CallsAndArguments) {
  const std::string src =
      "f(a, *args, k=1, **kw)\n"
      "obj.m((x), y=(2))\n"
      "d[0](*a.b(), **c)\n"
      "(lambda: 0)()\n"
      "sum(i for i in r)\n"
      "print('=', x, *s.split())\n";
  const FileEvidence ev = Extract(src);
  CheckInvariants(ev, src);
  EXPECT_EQ(Dump(ev, {"CST_CALLSITE", "CST_CALL_ARG"}), R"(
CST_CALLSITE 1:0-1:22 callee_text=f callee_shape=NAME arg_count=4 in <module>
CST_CALL_ARG 1:2-1:3 arg_index=0 keyword= star= ^CST_CALLSITE@1:0-1:22 in <module>
CST_CALL_ARG 1:5-1:10 arg_index=1 keyword= star=* ^CST_CALLSITE@1:0-1:22 in <module>
CST_CALL_ARG 1:12-1:15 arg_index=2 keyword=k star= ^CST_CALLSITE@1:0-1:22 in <module>
CST_CALL_ARG 1:17-1:21 arg_index=3 keyword= star=** ^CST_CALLSITE@1:0-1:22 in <module>
CST_CALLSITE 2:0-2:17 callee_text=obj.m callee_shape=ATTRIBUTE arg_count=2 in <module>
CST_CALL_ARG 2:7-2:8 arg_index=0 keyword= star= ^CST_CALLSITE@2:0-2:17 in <module>
CST_CALL_ARG 2:11-2:16 arg_index=1 keyword=y star= ^CST_CALLSITE@2:0-2:17 in <module>
CST_CALLSITE 3:0-3:17 callee_text=d[0] callee_shape=SUBSCRIPT arg_count=2 in <module>
CST_CALL_ARG 3:5-3:11 arg_index=0 keyword= star=* ^CST_CALLSITE@3:0-3:17 in <module>
CST_CALLSITE 3:6-3:11 callee_text=a.b callee_shape=ATTRIBUTE arg_count=0 in <module>
CST_CALL_ARG 3:13-3:16 arg_index=1 keyword= star=** ^CST_CALLSITE@3:0-3:17 in <module>
CST_CALLSITE 4:0-4:13 callee_text=lambda: 0 callee_shape=OTHER arg_count=0 in <module>
CST_CALLSITE 5:0-5:17 callee_text=sum callee_shape=NAME arg_count=1 in <module>
CST_CALL_ARG 5:3-5:17 arg_index=0 keyword= star= ^CST_CALLSITE@5:0-5:17 in <module>
CST_CALLSITE 6:0-6:25 callee_text=print callee_shape=NAME arg_count=3 in <module>
CST_CALL_ARG 6:6-6:9 arg_index=0 keyword= star= ^CST_CALLSITE@6:0-6:25 in <module>
CST_CALL_ARG 6:11-6:12 arg_index=1 keyword= star= ^CST_CALLSITE@6:0-6:25 in <module>
CST_CALL_ARG 6:14-6:24 arg_index=2 keyword= star=* ^CST_CALLSITE@6:0-6:25 in <module>
CST_CALLSITE 6:15-6:24 callee_text=s.split callee_shape=ATTRIBUTE arg_count=0 in <module>
)");
}

// ---- declarations ----------------------------------------------------------------------

TEST(SyntaxTest, NestedQualifiedPathsAndOrdinals) {
  const std::string src =
      "class Outer:\n"
      "    class Inner:\n"
      "        def m(self): pass\n"
      "    def method(self, x=lambda y: y):\n"
      "        def inner(): return lambda: [lambda: i for i in x]\n"
      "        def inner(): pass\n"
      "        return inner\n"
      "def f(): pass\n"
      "def f(): pass\n"
      "def h():\n"
      "    global G\n"
      "    class G: pass\n";
  const FileEvidence ev = Extract(src);
  CheckInvariants(ev, src);
  EXPECT_EQ(Dump(ev, {"CST_CLASS_DEF", "CST_FUNCTION_DEF", "CST_LAMBDA", "CST_PARAM"}), R"(
CST_CLASS_DEF Outer {Outer#0} 1:0-7:20 decorator_count=0 ^<module> in <module>
CST_CLASS_DEF Inner {Outer.Inner#0} 2:4-3:25 decorator_count=0 ^Outer in Outer
CST_FUNCTION_DEF m {Outer.Inner.m#0} 3:8-3:25 is_async=false is_method=true decorator_count=0 ^Outer.Inner in Outer.Inner
CST_PARAM self {Outer.Inner.m(self)#0} 3:14-3:18 param_kind=positional has_default=false ^Outer.Inner.m in Outer.Inner.m
CST_FUNCTION_DEF method {Outer.method#0} 4:4-7:20 is_async=false is_method=true decorator_count=0 ^Outer in Outer
CST_PARAM self {Outer.method(self)#0} 4:15-4:19 param_kind=positional has_default=false ^Outer.method in Outer.method
CST_PARAM x {Outer.method(x)#0} 4:21-4:22 param_kind=positional has_default=true ^Outer.method in Outer.method
CST_LAMBDA <lambda> {Outer.<lambda>#0} 4:23-4:34 ^Outer in Outer
CST_PARAM y {Outer.<lambda>(y)#0} 4:30-4:31 param_kind=positional has_default=false ^Outer.<lambda> in Outer.<lambda>
CST_FUNCTION_DEF inner {Outer.method.<locals>.inner#0} 5:8-5:58 is_async=false is_method=false decorator_count=0 ^Outer.method in Outer.method
CST_LAMBDA <lambda> {Outer.method.<locals>.inner.<locals>.<lambda>#0} 5:28-5:58 ^Outer.method.<locals>.inner in Outer.method.<locals>.inner
CST_LAMBDA <lambda> {Outer.method.<locals>.inner.<locals>.<lambda>.<locals>.<listcomp>.<lambda>#0} 5:37-5:46 ^Outer.method.<locals>.inner.<locals>.<lambda> in Outer.method.<locals>.inner.<locals>.<lambda>
CST_FUNCTION_DEF inner {Outer.method.<locals>.inner#1} 6:8-6:25 is_async=false is_method=false decorator_count=0 ^Outer.method in Outer.method
CST_FUNCTION_DEF f {f#0} 8:0-8:13 is_async=false is_method=false decorator_count=0 ^<module> in <module>
CST_FUNCTION_DEF f {f#1} 9:0-9:13 is_async=false is_method=false decorator_count=0 ^<module> in <module>
CST_FUNCTION_DEF h {h#0} 10:0-12:17 is_async=false is_method=false decorator_count=0 ^<module> in <module>
CST_CLASS_DEF G {G#0} 12:4-12:17 decorator_count=0 ^h in h
)");
}

TEST(SyntaxTest, ParameterKinds) {
  const std::string src =
      "def f(a, b=1, /, c: int = 2, *args: str, d, e=3, **kw: 'T') -> None: pass\n"
      "g = lambda p, /, *, q=0, **r: p\n";
  const FileEvidence ev = Extract(src);
  CheckInvariants(ev, src);
  EXPECT_EQ(Dump(ev, {"CST_PARAM", "TYPE_EXPR"}), R"(
CST_PARAM a {f(a)#0} 1:6-1:7 param_kind=positional_only has_default=false ^f in f
CST_PARAM b {f(b)#0} 1:9-1:10 param_kind=positional_only has_default=true ^f in f
CST_PARAM c {f(c)#0} 1:17-1:23 param_kind=positional has_default=true ^f in f
TYPE_EXPR 1:20-1:23 annotation_of=parameter in <module>
CST_PARAM args {f(args)#0} 1:30-1:39 param_kind=var_positional has_default=false ^f in f
TYPE_EXPR 1:36-1:39 annotation_of=parameter in <module>
CST_PARAM d {f(d)#0} 1:41-1:42 param_kind=keyword_only has_default=false ^f in f
CST_PARAM e {f(e)#0} 1:44-1:45 param_kind=keyword_only has_default=true ^f in f
CST_PARAM kw {f(kw)#0} 1:51-1:58 param_kind=var_keyword has_default=false ^f in f
TYPE_EXPR 1:55-1:58 annotation_of=parameter in <module>
TYPE_EXPR 1:63-1:67 annotation_of=return in <module>
CST_PARAM p {<lambda>(p)#0} 2:11-2:12 param_kind=positional_only has_default=false ^<lambda> in <lambda>
CST_PARAM q {<lambda>(q)#0} 2:20-2:21 param_kind=keyword_only has_default=true ^<lambda> in <lambda>
CST_PARAM r {<lambda>(r)#0} 2:27-2:28 param_kind=var_keyword has_default=false ^<lambda> in <lambda>
)");
  // HAS_ANNOTATION: three parameters and the return type.
  std::vector<std::string> annotated;
  for (const EvidenceEdge& e : ev.edges) {
    if (e.kind == "HAS_ANNOTATION") annotated.push_back(ev.nodes[static_cast<size_t>(e.src)].name);
  }
  EXPECT_EQ(annotated, (std::vector<std::string>{"c", "args", "kw", "f"}));
}

TEST(SyntaxTest, DecoratorsAsyncAndDocstrings) {
  const std::string src =
      "'''Module doc.''' 'more'\n"
      "@app.route('/')\n"
      "@(wrap)\n"
      "async def handler():\n"
      "    \"\"\"Handler.\"\"\"\n"
      "class C:\n"
      "    f'not a docstring'\n"
      "    @staticmethod\n"
      "    async def m():\n"
      "        (b'not' b'either')\n"
      "    def n(self):\n"
      "        ('yes'\n"
      "         'it is')\n";
  const FileEvidence ev = Extract(src);
  CheckInvariants(ev, src);
  EXPECT_EQ(Dump(ev, {"CST_FUNCTION_DEF", "CST_CLASS_DEF", "CST_DECORATOR", "CST_DOCSTRING"}), R"(
CST_DOCSTRING 1:0-1:24 ^<module> in <module>
CST_FUNCTION_DEF handler {handler#0} 4:0-5:18 is_async=true is_method=false decorator_count=2 ^<module> in <module>
CST_DOCSTRING 5:4-5:18 ^handler in handler
CST_DECORATOR 2:1-2:15 ^handler in <module>
CST_DECORATOR 3:2-3:6 ^handler in <module>
CST_CLASS_DEF C {C#0} 6:0-13:17 decorator_count=0 ^<module> in <module>
CST_FUNCTION_DEF m {C.m#0} 9:4-10:26 is_async=true is_method=true decorator_count=1 ^C in C
CST_DECORATOR 8:5-8:17 ^C.m in C
CST_FUNCTION_DEF n {C.n#0} 11:4-13:17 is_async=false is_method=true decorator_count=0 ^C in C
CST_DOCSTRING 12:9-13:16 ^C.n in C.n
)");
}

// ---- references --------------------------------------------------------------------------

TEST(SyntaxTest, ExpressionContexts) {
  const std::string src =
      "a, *b = c\n"
      "d.e[f] = g\n"
      "h += 1\n"
      "i: int\n"
      "del j, k.l\n"
      "for m in n: pass\n"
      "with o as (p, q.r): pass\n"
      "try: pass\n"
      "except E as s: pass\n"
      "[t for u in v if (w := u)]\n"
      "match x:\n"
      "    case P(y=z, q=mod.K) | [*rest] as whole: pass\n"
      "    case {'k': v, **kw}: pass\n"
      "def fn(arg, kw=default):\n"
      "    global gl\n"
      "    nonlocal_ = f'{arg!r:>{width}} {arg:=10}'\n";
  const FileEvidence ev = Extract(src);
  CheckInvariants(ev, src);
  EXPECT_EQ(Dump(ev, {"CST_REF", "CST_ATTRIBUTE_ACCESS"}), R"(
CST_REF a 1:0-1:1 expr_context=STORE in <module>
CST_REF b 1:4-1:5 expr_context=STORE in <module>
CST_REF c 1:8-1:9 expr_context=LOAD in <module>
CST_ATTRIBUTE_ACCESS e 2:0-2:3 attr=e expr_context=LOAD in <module>
CST_REF d 2:0-2:1 expr_context=LOAD in <module>
CST_REF f 2:4-2:5 expr_context=LOAD in <module>
CST_REF g 2:9-2:10 expr_context=LOAD in <module>
CST_REF h 3:0-3:1 expr_context=STORE in <module>
CST_REF i 4:0-4:1 expr_context=STORE in <module>
CST_REF int 4:3-4:6 expr_context=LOAD in <module>
CST_REF j 5:4-5:5 expr_context=DEL in <module>
CST_ATTRIBUTE_ACCESS l 5:7-5:10 attr=l expr_context=DEL in <module>
CST_REF k 5:7-5:8 expr_context=LOAD in <module>
CST_REF m 6:4-6:5 expr_context=STORE in <module>
CST_REF n 6:9-6:10 expr_context=LOAD in <module>
CST_REF o 7:5-7:6 expr_context=LOAD in <module>
CST_REF p 7:11-7:12 expr_context=STORE in <module>
CST_ATTRIBUTE_ACCESS r 7:14-7:17 attr=r expr_context=STORE in <module>
CST_REF q 7:14-7:15 expr_context=LOAD in <module>
CST_REF E 9:7-9:8 expr_context=LOAD in <module>
CST_REF s 9:12-9:13 expr_context=STORE in <module>
CST_REF t 10:1-10:2 expr_context=LOAD in <module>
CST_REF u 10:7-10:8 expr_context=STORE in <module>
CST_REF v 10:12-10:13 expr_context=LOAD in <module>
CST_REF w 10:18-10:19 expr_context=STORE in <module>
CST_REF u 10:23-10:24 expr_context=LOAD in <module>
CST_REF x 11:6-11:7 expr_context=LOAD in <module>
CST_REF P 12:9-12:10 expr_context=LOAD in <module>
CST_REF z 12:13-12:14 expr_context=STORE in <module>
CST_REF mod 12:18-12:21 expr_context=LOAD in <module>
CST_ATTRIBUTE_ACCESS K 12:18-12:23 attr=K expr_context=LOAD in <module>
CST_REF rest 12:29-12:33 expr_context=STORE in <module>
CST_REF whole 12:38-12:43 expr_context=STORE in <module>
CST_REF v 13:15-13:16 expr_context=STORE in <module>
CST_REF kw 13:20-13:22 expr_context=STORE in <module>
CST_REF default 14:15-14:22 expr_context=LOAD in <module>
CST_REF nonlocal_ 16:4-16:13 expr_context=STORE in fn
CST_REF arg 16:19-16:22 expr_context=LOAD in fn
CST_REF width 16:27-16:32 expr_context=LOAD in fn
CST_REF arg 16:36-16:39 expr_context=LOAD in fn
)");
  // The annotated variable `i` has its annotation.
  bool found = false;
  for (const EvidenceEdge& e : ev.edges) {
    found =
        found || (e.kind == "HAS_ANNOTATION" && ev.nodes[static_cast<size_t>(e.src)].name == "i");
  }
  EXPECT_TRUE(found);
}

TEST(SyntaxTest, TreeSitterMisparsesAreRepaired) {
  // `type(x).a = b` is not a type alias statement; `*s.split()` is a starred call.
  const std::string src = "type(mock).sig = checksig\ntype X = int\nprint(a, *s.split())\n";
  const FileEvidence ev = Extract(src);
  CheckInvariants(ev, src);
  EXPECT_EQ(Dump(ev, {"CST_REF", "CST_ATTRIBUTE_ACCESS", "CST_CALLSITE"}), R"(
CST_ATTRIBUTE_ACCESS sig 1:0-1:14 attr=sig expr_context=STORE in <module>
CST_CALLSITE 1:0-1:10 callee_text=type callee_shape=NAME arg_count=1 in <module>
CST_REF type 1:0-1:4 expr_context=LOAD in <module>
CST_REF mock 1:5-1:9 expr_context=LOAD in <module>
CST_REF checksig 1:17-1:25 expr_context=LOAD in <module>
CST_REF X 2:5-2:6 expr_context=STORE in <module>
CST_REF int 2:9-2:12 expr_context=LOAD in <module>
CST_CALLSITE 3:0-3:20 callee_text=print callee_shape=NAME arg_count=2 in <module>
CST_REF print 3:0-3:5 expr_context=LOAD in <module>
CST_REF a 3:6-3:7 expr_context=LOAD in <module>
CST_CALLSITE 3:10-3:19 callee_text=s.split callee_shape=ATTRIBUTE arg_count=0 in <module>
CST_ATTRIBUTE_ACCESS split 3:10-3:17 attr=split expr_context=LOAD in <module>
CST_REF s 3:10-3:11 expr_context=LOAD in <module>
)");
}

TEST(SyntaxTest, Pep695TypeParameters) {
  const std::string src =
      "def f[T: int, *Ts, **P](x: T) -> T: pass\n"
      "class A[K](B[K]): pass\n"
      "type Alias[V] = list[V]\n";
  const FileEvidence ev = Extract(src);
  CheckInvariants(ev, src);
  EXPECT_EQ(Dump(ev, {"TYPE_PARAM"}), R"(
TYPE_PARAM T {f[T]#0} 1:6-1:12 type_param_kind=TypeVar ^f in <module>
TYPE_PARAM Ts {f[Ts]#0} 1:14-1:17 type_param_kind=TypeVarTuple ^f in <module>
TYPE_PARAM P {f[P]#0} 1:19-1:22 type_param_kind=ParamSpec ^f in <module>
TYPE_PARAM K {A[K]#0} 2:8-2:9 type_param_kind=TypeVar ^A in <module>
TYPE_PARAM V {Alias[V]#0} 3:11-3:12 type_param_kind=TypeVar in <module>
)");
  int type_param_of = 0;
  for (const EvidenceEdge& e : ev.edges) type_param_of += e.kind == "TYPE_PARAM_OF";
  EXPECT_EQ(type_param_of, 4);
  // The bound `int` is a reference; the parameter names are not.
  std::vector<std::string> refs;
  for (const EvidenceNode* n : OfKind(ev, "CST_REF")) refs.push_back(n->name);
  EXPECT_EQ(refs, (std::vector<std::string>{"int", "T", "T", "B", "K", "Alias", "list", "V"}));
}

}  // namespace
}  // namespace cpglake::python
