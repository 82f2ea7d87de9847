// Fixtures for AnalyzeScopes: one small snippet per symtable rule, with the classification
// CPython 3.11's symtable gives (each expectation was checked against `symtable`), plus the
// graph shape (scopes, qualified paths, sites, edges) and robustness.
#include "python/scopes.h"
#include "python/syntax.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "python/tree_sitter.h"

namespace cpglake::python {
namespace {

// Runs AnalyzeScopes and answers questions about bindings by "<scope path>" and name.
class Scoped {
 public:
  explicit Scoped(const std::string& src, FileEvidence pre = {}) : src_(src), ev_(std::move(pre)) {
    Parser parser;
    TreePtr tree = parser.Parse(src_);
    AnalyzeScopes(src_, ts_tree_root_node(tree.get()), &ev_);
    for (size_t i = 0; i < ev_.nodes.size(); ++i) {
      if (ev_.nodes[i].kind == "PY_SCOPE") scope_path_[static_cast<int32_t>(i)] = Path(i);
    }
    for (const EvidenceEdge& e : ev_.edges) {
      if (e.kind == "SCOPE_BINDS") {
        bindings_[scope_path_.at(e.src) + "::" + ev_.nodes[e.dst].name] = e.dst;
      } else if (e.kind == "BINDING_RESOLVES_TO") {
        target_[e.src] = e.dst;
      }
    }
  }

  const FileEvidence& ev() const { return ev_; }

  // "<binding_kind> <true flags...>", e.g. "cell assigned local cell"; "none" if absent.
  std::string Describe(const std::string& scope, const std::string& name) const {
    auto it = bindings_.find(scope + "::" + name);
    if (it == bindings_.end()) return "none";
    const EvidenceNode& b = ev_.nodes[it->second];
    std::string out;
    for (const auto& [key, value] : b.props) {
      if (key == "binding_kind") {
        out = std::get<std::string>(value);
      } else if (std::get<bool>(value)) {
        out += " " + key.substr(3);  // drop "is_"
      }
    }
    return out;
  }

  // The qualified path of the binding a binding resolves to ("" if none).
  std::string Target(const std::string& scope, const std::string& name) const {
    auto it = bindings_.find(scope + "::" + name);
    if (it == bindings_.end()) return "<no binding>";
    auto t = target_.find(it->second);
    return t == target_.end() ? "" : ev_.nodes[t->second].qualified_path;
  }

  // All scopes as "type name line qualified_path#ordinal", in output order.
  std::vector<std::string> Scopes() const {
    std::vector<std::string> out;
    for (const EvidenceNode& n : ev_.nodes) {
      if (n.kind != "PY_SCOPE") continue;
      out.push_back(std::get<std::string>(n.props[0].second) + " " + n.name + " " +
                    std::to_string(std::get<int64_t>(n.props[1].second)) + " " + n.qualified_path +
                    "#" + std::to_string(n.ordinal));
    }
    return out;
  }

  // Sites as "def:<def_kind>" / "use" + " <text>@<bstart> -> <binding qualified path>", in
  // source order.
  std::vector<std::string> Sites() const {
    std::vector<std::pair<int64_t, std::string>> sites;
    for (const EvidenceEdge& e : ev_.edges) {
      if (e.kind != "DEF_SITE_OF" && e.kind != "USE_SITE_OF") continue;
      const EvidenceNode& site = ev_.nodes[e.src];
      std::string what = "use";
      if (site.kind == "PY_DEF_SITE") what = "def:" + std::get<std::string>(site.props[0].second);
      sites.emplace_back(site.bstart, what + " " + site.name + "@" + std::to_string(site.bstart) +
                                          " -> " + ev_.nodes[e.dst].qualified_path);
    }
    std::sort(sites.begin(), sites.end());
    std::vector<std::string> out;
    for (auto& [b, text] : sites) out.push_back(std::move(text));
    return out;
  }

  std::vector<std::string> Diagnostics() const {
    std::vector<std::string> out;
    for (const Diagnostic& d : ev_.diagnostics) out.push_back(d.message);
    return out;
  }

 private:
  std::string Path(size_t i) const { return ev_.nodes[i].qualified_path; }

  std::string src_;
  FileEvidence ev_;
  std::map<int32_t, std::string> scope_path_;
  std::map<std::string, int32_t> bindings_;
  std::map<int32_t, int32_t> target_;
};

using Strings = std::vector<std::string>;

TEST(ScopesTest, ModuleNamesAreLocalAndGlobalAsSymtableSays) {
  Scoped s("x = 1\nprint(x)\n");
  // symtable.py: at module level a bound name is both is_local() and is_global().
  EXPECT_EQ(s.Describe("<module>", "x"), "local assigned referenced global local");
  EXPECT_EQ(s.Describe("<module>", "print"), "global_ref referenced global");
  EXPECT_EQ(s.Scopes(), Strings{"module top 0 <module>#0"});
}

TEST(ScopesTest, ScopeNodesNamesLinesPathsAndOrdinals) {
  Scoped s(
      "def f(a=lambda: 0):\n"
      "    g = [x for x in a]\n"
      "    return (y for y in g), {k: 1 for k in g}, {z for z in g}\n"
      "class C:\n"
      "    @staticmethod\n"
      "    def m(): return lambda: 1\n"
      "def f(): pass\n");
  EXPECT_EQ(s.Scopes(),
            (Strings{"module top 0 <module>#0", "function f 1 f#0", "lambda lambda 1 <lambda>#0",
                     "comprehension listcomp 2 f.<locals>.<listcomp>#0",
                     "comprehension genexpr 3 f.<locals>.<genexpr>#0",
                     "comprehension dictcomp 3 f.<locals>.<dictcomp>#0",
                     "comprehension setcomp 3 f.<locals>.<setcomp>#0", "class C 4 C#0",
                     "function m 6 C.m#0", "lambda lambda 6 C.m.<locals>.<lambda>#0",
                     "function f 7 f#1"}));
  // Bindings are paths too: the second f's locals have its ordinal, like the syntax nodes.
  Scoped t("def f(): a = 1\ndef f(): b = 2\n");
  EXPECT_EQ(t.Describe("f", "a"), "local assigned local");
  bool found = false;
  for (const EvidenceNode& n : t.ev().nodes) {
    if (n.kind == "PY_BINDING" && n.name == "b") {
      EXPECT_EQ(n.qualified_path, "f.<locals>.b");
      EXPECT_EQ(n.ordinal, 1);
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

TEST(ScopesTest, ScopesShareTheirDefinitionsPathAndOrdinal) {
  const std::string src = "def f():\n    def g(): pass\ndef f():\n    def g(): pass\n";
  FileEvidence ev;
  Parser parser;
  TreePtr tree;
  ExtractSyntax(parser, src, "m", &ev, &tree);
  AnalyzeScopes(src, ts_tree_root_node(tree.get()), &ev);
  std::set<std::string> defs, scopes;
  for (const EvidenceNode& n : ev.nodes) {
    const std::string key = n.qualified_path + "#" + std::to_string(n.ordinal);
    if (n.kind == "CST_FUNCTION_DEF") defs.insert(key);
    if (n.kind == "PY_SCOPE" && n.qualified_path != "<module>") scopes.insert(key);
  }
  const std::set<std::string> want = {"f#0", "f#1", "f.<locals>.g#0", "f.<locals>.g#1"};
  EXPECT_EQ(defs, want);
  EXPECT_EQ(scopes, want);
}

TEST(ScopesTest, IdentifiersAreNfkcNormalised) {
  // CPython 3.11: symtable of "ﬁle = 1\nprint(file)\nclass Ｃ:\n    __ｘ = 1\n" has the names
  // file, print, C at module level and _C__x in the class.
  Scoped s("\xef\xac\x81le = 1\nprint(file)\nclass \xef\xbc\xa3:\n    __\xef\xbd\x98 = 1\n");
  std::set<std::string> names;
  for (const EvidenceNode& n : s.ev().nodes) {
    if (n.kind == "PY_BINDING") names.insert(n.qualified_path);
  }
  const std::set<std::string> want = {"file", "print", "C", "C._C__x"};
  EXPECT_EQ(names, want);
}

TEST(ScopesTest, ClassBodyDoesNotEncloseMethods) {
  Scoped s(
      "x = 0\n"
      "class C:\n"
      "    x = 1\n"
      "    def m(self):\n"
      "        return x\n");
  EXPECT_EQ(s.Describe("C", "x"), "local assigned local");
  EXPECT_EQ(s.Describe("C.m", "x"), "global_ref referenced global");
  EXPECT_EQ(s.Target("C.m", "x"), "x");  // the module's x, not the class's
}

TEST(ScopesTest, NamesAMethodUsesFromAnEnclosingFunctionPassThroughTheClass) {
  Scoped s(
      "def f():\n"
      "    x = 1\n"
      "    class C:\n"
      "        y = x\n"
      "        x = 2\n"
      "        def m(self):\n"
      "            return x\n"
      "    return C\n");
  EXPECT_EQ(s.Describe("f", "x"), "cell assigned local cell");
  EXPECT_EQ(s.Describe("f.<locals>.C", "x"), "local assigned referenced local");
  EXPECT_EQ(s.Describe("f.<locals>.C.m", "x"), "free_ref referenced free");
  EXPECT_EQ(s.Target("f.<locals>.C.m", "x"), "f.<locals>.x");
  // A class that only passes a free name on gets it as a free symbol with no flags.
  Scoped t(
      "def f():\n"
      "    x = 1\n"
      "    class C:\n"
      "        def m(self):\n"
      "            return x\n");
  EXPECT_EQ(t.Describe("f.<locals>.C", "x"), "free_ref free");
  EXPECT_EQ(t.Target("f.<locals>.C", "x"), "f.<locals>.x");
}

TEST(ScopesTest, GlobalDeclarations) {
  Scoped s(
      "def f():\n"
      "    global g\n"
      "    g = 1\n"
      "def h():\n"
      "    return g\n");
  EXPECT_EQ(s.Describe("f", "g"), "global_ref assigned global declared_global");
  // The declaration marks the module's name DEF_GLOBAL (symtable's st_global).
  EXPECT_EQ(s.Describe("<module>", "g"), "local global declared_global");
  EXPECT_EQ(s.Describe("h", "g"), "global_ref referenced global");
  EXPECT_EQ(s.Target("f", "g"), "g");
  EXPECT_EQ(s.Target("h", "g"), "g");
  // A global declaration hides the name from nested functions.
  Scoped t(
      "def f():\n"
      "    global x\n"
      "    x = 1\n"
      "    def g(): return x\n");
  EXPECT_EQ(t.Describe("f.<locals>.g", "x"), "global_ref referenced global");
}

TEST(ScopesTest, NonlocalDeclarations) {
  Scoped s(
      "def f():\n"
      "    x = 1\n"
      "    def g():\n"
      "        nonlocal x\n"
      "        x += 1\n"
      "    return g\n");
  EXPECT_EQ(s.Describe("f", "x"), "cell assigned local cell");
  EXPECT_EQ(s.Describe("f.<locals>.g", "x"), "nonlocal_ref assigned nonlocal free");
  EXPECT_EQ(s.Target("f.<locals>.g", "x"), "f.<locals>.x");
  EXPECT_TRUE(s.Diagnostics().empty());
}

TEST(ScopesTest, NonlocalErrorsAreDiagnostics) {
  EXPECT_EQ(Scoped("nonlocal x\n").Diagnostics(),
            Strings{"nonlocal declaration not allowed at module level"});
  EXPECT_EQ(Scoped("def f():\n    nonlocal x\n").Diagnostics(),
            Strings{"no binding for nonlocal 'x' found"});
  EXPECT_EQ(Scoped("def f():\n    x = 1\n    global x\n").Diagnostics(),
            Strings{"name 'x' is assigned to before global declaration"});
  EXPECT_EQ(Scoped("def f(a, a): pass\n").Diagnostics(),
            Strings{"duplicate argument 'a' in function definition"});
  EXPECT_EQ(Scoped("def f():\n    from m import *\n").Diagnostics(),
            Strings{"import * only allowed at module level"});
}

TEST(ScopesTest, ParametersOfAllKindsAndWhereDefaultsAndAnnotationsAreEvaluated) {
  Scoped s("def f(a, /, b: T = d, *args: U, c, e=E, **kw) -> R:\n    return a\n");
  EXPECT_EQ(s.Describe("f", "a"), "param referenced parameter local");
  for (const char* p : {"b", "args", "c", "e", "kw"}) {
    EXPECT_EQ(s.Describe("f", p), "param parameter local") << p;
  }
  for (const char* n : {"T", "d", "U", "E", "R"}) {
    EXPECT_EQ(s.Describe("<module>", n), "global_ref referenced global") << n;
    EXPECT_EQ(s.Describe("f", n), "none") << n;
  }
  Scoped l("g = lambda x, *y, z=q, **w: x + z\n");
  EXPECT_EQ(l.Describe("<lambda>", "x"), "param referenced parameter local");
  EXPECT_EQ(l.Describe("<lambda>", "y"), "param parameter local");
  EXPECT_EQ(l.Describe("<module>", "q"), "global_ref referenced global");
}

TEST(ScopesTest, ImportsBind) {
  Scoped s(
      "import a.b\n"
      "import a.b as c\n"
      "from x import y as z, w\n"
      "from . import r\n"
      "from m import *\n"
      "def f():\n"
      "    import os.path\n");
  EXPECT_EQ(s.Describe("<module>", "a"), "import imported global local");
  EXPECT_EQ(s.Describe("<module>", "c"), "import imported global local");
  EXPECT_EQ(s.Describe("<module>", "z"), "import imported global local");
  EXPECT_EQ(s.Describe("<module>", "w"), "import imported global local");
  EXPECT_EQ(s.Describe("<module>", "r"), "import imported global local");
  EXPECT_EQ(s.Describe("<module>", "y"), "none");
  EXPECT_EQ(s.Describe("<module>", "m"), "none");
  EXPECT_EQ(s.Describe("f", "os"), "import imported local");
  // `from __future__ import annotations` is an import of the name `annotations`.
  EXPECT_EQ(Scoped("from __future__ import annotations\n").Describe("<module>", "annotations"),
            "import imported global local");
}

TEST(ScopesTest, WalrusInAComprehensionBindsInTheEnclosingFunction) {
  Scoped s(
      "def f(z):\n"
      "    [y := 1 for x in z]\n"
      "    return y\n");
  EXPECT_EQ(s.Describe("f.<locals>.<listcomp>", "y"), "nonlocal_ref assigned nonlocal free");
  EXPECT_EQ(s.Describe("f", "y"), "cell assigned referenced local cell");
  EXPECT_EQ(s.Target("f.<locals>.<listcomp>", "y"), "f.<locals>.y");
  // At module level: global in the comprehension; the module only gets DEF_GLOBAL.
  Scoped m("[w := 1 for q in z]\n");
  EXPECT_EQ(m.Describe("<listcomp>", "w"), "global_ref assigned global declared_global");
  EXPECT_EQ(m.Describe("<module>", "w"), "local global declared_global");
  EXPECT_EQ(m.Target("<listcomp>", "w"), "w");
  // Nested comprehensions are skipped; the walrus binds in the function.
  Scoped n("def f(a):\n    [[v := 1 for i in b] for b in a]\n");
  EXPECT_EQ(n.Describe("f", "v"), "cell assigned local cell");
  EXPECT_EQ(n.Describe("f.<locals>.<listcomp>", "v"), "free_ref free");
  EXPECT_EQ(n.Describe("f.<locals>.<listcomp>.<listcomp>", "v"),
            "nonlocal_ref assigned nonlocal free");
  // In a class body it is an error; outside comprehensions it binds where it is.
  EXPECT_EQ(Scoped("class C:\n    [y := 1 for x in z]\n").Diagnostics(),
            Strings{"assignment expression within a comprehension cannot be used in a class "
                    "body"});
  EXPECT_EQ(Scoped("def f():\n    if (n := 3): pass\n").Describe("f", "n"), "local assigned local");
  EXPECT_EQ(Scoped("def f(a):\n    [x := 0 for x in a]\n").Diagnostics(),
            Strings{"assignment expression cannot rebind comprehension iteration variable 'x'"});
}

TEST(ScopesTest, OtherBindingStatements) {
  Scoped s(
      "def f(m, cm, xs):\n"
      "    try:\n"
      "        pass\n"
      "    except E as e:\n"
      "        pass\n"
      "    with cm as (w1, w2), cm as w3:\n"
      "        pass\n"
      "    for i, (j, *k) in xs:\n"
      "        pass\n"
      "    del d\n"
      "    a += 1\n"
      "    o.attr = 1\n"
      "    s[0] = 1\n");
  EXPECT_EQ(s.Describe("f", "e"), "local assigned local");
  for (const char* n : {"w1", "w2", "w3", "i", "j", "k", "d"}) {
    EXPECT_EQ(s.Describe("f", n), "local assigned local") << n;
  }
  // Augmented assignment: symtable records only the store (is_referenced is false).
  EXPECT_EQ(s.Describe("f", "a"), "local assigned local");
  EXPECT_EQ(s.Describe("f", "o"), "global_ref referenced global");
  EXPECT_EQ(s.Describe("f", "s"), "global_ref referenced global");
  EXPECT_EQ(s.Describe("f", "attr"), "none");
  EXPECT_EQ(s.Describe("f", "E"), "global_ref referenced global");
}

TEST(ScopesTest, MatchPatterns) {
  Scoped s(
      "def f(v):\n"
      "    match v:\n"
      "        case [a, *rest, _]: pass\n"
      "        case {'k': b, **kw}: pass\n"
      "        case Point(x=0, y=c) as p: pass\n"
      "        case Color.RED | d: pass\n"
      "        case (e as g) if e > lim: pass\n"
      "        case _: pass\n");
  for (const char* n : {"a", "rest", "b", "kw", "c", "p", "d", "g"}) {
    EXPECT_EQ(s.Describe("f", n), "local assigned local") << n;
  }
  EXPECT_EQ(s.Describe("f", "e"), "local assigned referenced local");
  EXPECT_EQ(s.Describe("f", "Point"), "global_ref referenced global");
  EXPECT_EQ(s.Describe("f", "Color"), "global_ref referenced global");
  EXPECT_EQ(s.Describe("f", "lim"), "global_ref referenced global");
  for (const char* n : {"_", "x", "y", "RED", "k"}) EXPECT_EQ(s.Describe("f", n), "none") << n;
}

TEST(ScopesTest, ComprehensionScopes) {
  Scoped s("def f(y):\n    return [x + t for x in y if x for t in h(x)]\n");
  EXPECT_EQ(s.Describe("f.<locals>.<listcomp>", ".0"), "param parameter local implicit");
  EXPECT_EQ(s.Describe("f.<locals>.<listcomp>", "x"), "local assigned referenced local");
  EXPECT_EQ(s.Describe("f.<locals>.<listcomp>", "t"), "local assigned referenced local");
  EXPECT_EQ(s.Describe("f.<locals>.<listcomp>", "h"),
            "global_ref referenced global");                    // later iterables: inside
  EXPECT_EQ(s.Describe("f.<locals>.<listcomp>", "y"), "none");  // first iterable: outside
  EXPECT_EQ(s.Describe("f", "y"), "param referenced parameter local");
  EXPECT_EQ(s.Describe("f", "x"), "none");
  // A comprehension in a class body cannot see the class's names.
  Scoped c("class C:\n    n = 3\n    v = [n for _ in range(n)]\n");
  EXPECT_EQ(c.Describe("C.<listcomp>", "n"), "global_ref referenced global");
  EXPECT_EQ(c.Describe("C", "n"), "local assigned referenced local");
  EXPECT_EQ(c.Describe("C", "range"), "global_ref referenced global");
}

TEST(ScopesTest, FreeAndCellVariables) {
  Scoped s(
      "def outer(p):\n"
      "    a = 1\n"
      "    def mid():\n"
      "        def inner():\n"
      "            return a + p\n"
      "        return inner\n"
      "    return mid\n");
  EXPECT_EQ(s.Describe("outer", "a"), "cell assigned local cell");
  EXPECT_EQ(s.Describe("outer", "p"), "param parameter local cell");
  // mid only passes the names through: free symbols without flags.
  EXPECT_EQ(s.Describe("outer.<locals>.mid", "a"), "free_ref free");
  EXPECT_EQ(s.Describe("outer.<locals>.mid.<locals>.inner", "a"), "free_ref referenced free");
  EXPECT_EQ(s.Target("outer.<locals>.mid.<locals>.inner", "a"), "outer.<locals>.a");
  EXPECT_EQ(s.Target("outer.<locals>.mid", "p"), "outer.<locals>.p");
  EXPECT_EQ(s.Describe("outer.<locals>.mid", "inner"), "local assigned referenced local");
}

TEST(ScopesTest, SuperAndDunderClassMakeAClassCell) {
  Scoped s(
      "class C:\n"
      "    def m(self):\n"
      "        return super().m()\n"
      "    def n(self):\n"
      "        def i(): return __class__\n"
      "        return i\n");
  EXPECT_EQ(s.Describe("C.m", "super"), "global_ref referenced global");
  EXPECT_EQ(s.Describe("C.m", "__class__"), "free_ref referenced free");
  EXPECT_EQ(s.Describe("C.n", "__class__"), "free_ref free");
  EXPECT_EQ(s.Describe("C.n.<locals>.i", "__class__"), "free_ref referenced free");
  // The cell itself: not in symtable's class table, so marked implicit.
  EXPECT_EQ(s.Describe("C", "__class__"), "cell local cell implicit");
  EXPECT_EQ(s.Target("C.m", "__class__"), "C.__class__");
  EXPECT_EQ(s.Target("C.n.<locals>.i", "__class__"), "C.__class__");
  // Outside a class, super() still implies a (global) __class__.
  EXPECT_EQ(Scoped("def g(): super()\n").Describe("g", "__class__"),
            "global_ref referenced global");
  EXPECT_EQ(Scoped("class D:\n    super()\n").Describe("D", "__class__"), "none");
}

TEST(ScopesTest, DecoratorsBasesAndKeywordsAreEvaluatedInTheEnclosingScope) {
  Scoped s(
      "def f():\n"
      "    d, b, M = 1, 2, 3\n"
      "    @d\n"
      "    class C(b, metaclass=M):\n"
      "        pass\n"
      "    return C\n");
  for (const char* n : {"d", "b", "M"}) {
    EXPECT_EQ(s.Describe("f", n), "local assigned referenced local") << n;
  }
  EXPECT_EQ(s.Describe("f", "metaclass"), "none");
  EXPECT_EQ(s.Describe("f.<locals>.C", "d"), "none");
}

TEST(ScopesTest, Annotations) {
  Scoped s(
      "def f():\n"
      "    x: int = 1\n"
      "    y: str\n"
      "    (z): bytes\n"
      "    (w): float = 2\n"
      "class C:\n"
      "    a: List[T]\n");
  EXPECT_EQ(s.Describe("f", "x"), "local assigned annotated local");
  EXPECT_EQ(s.Describe("f", "y"), "local assigned annotated local");
  EXPECT_EQ(s.Describe("f", "z"), "none");  // parenthesized: not simple, no value
  EXPECT_EQ(s.Describe("f", "w"), "local assigned local");
  EXPECT_EQ(s.Describe("f", "int"), "global_ref referenced global");
  EXPECT_EQ(s.Describe("C", "a"), "local assigned annotated local");
  EXPECT_EQ(s.Describe("C", "List"), "global_ref referenced global");
  // With the future import, symtable discards every annotation (but `y: T` still binds y).
  Scoped fut(
      "'''doc'''\n"
      "from __future__ import annotations\n"
      "def f(a: A) -> R:\n"
      "    y: T\n");
  EXPECT_EQ(fut.Describe("f", "y"), "local assigned annotated local");
  for (const char* n : {"A", "R"}) EXPECT_EQ(fut.Describe("<module>", n), "none") << n;
  EXPECT_EQ(fut.Describe("f", "T"), "none");
}

TEST(ScopesTest, PrivateNamesAreMangled) {
  Scoped s(
      "class _C:\n"
      "    __x = 1\n"
      "    __y__ = 2\n"
      "    def __m(self, __p):\n"
      "        return __x, __p, self.__x\n");
  EXPECT_EQ(s.Describe("_C", "_C__x"), "local assigned local");
  EXPECT_EQ(s.Describe("_C", "__y__"), "local assigned local");
  EXPECT_EQ(s.Describe("_C", "_C__m"), "local assigned local");
  EXPECT_EQ(s.Describe("_C.__m", "_C__p"), "param referenced parameter local");
  EXPECT_EQ(s.Describe("_C.__m", "_C__x"), "global_ref referenced global");
}

TEST(ScopesTest, DefAndUseSites) {
  Scoped s("import os\ndef f(a):\n    b = a\n    return [c for c in b if (d := c)]\n");
  EXPECT_EQ(s.Sites(), (Strings{"def:import os@7 -> os", "def:def f@14 -> f",
                                "def:param a@16 -> f.<locals>.a", "def:assign b@24 -> f.<locals>.b",
                                "use a@28 -> f.<locals>.a", "use c@42 -> f.<locals>.<listcomp>.c",
                                "def:comprehension c@48 -> f.<locals>.<listcomp>.c",
                                "use b@53 -> f.<locals>.b",  // the first iterable: in f
                                "def:walrus d@59 -> f.<locals>.<listcomp>.d",
                                "use c@64 -> f.<locals>.<listcomp>.c"}));
  EXPECT_EQ(s.Target("f.<locals>.<listcomp>", "d"), "f.<locals>.d");
  // Edge shape: origin "scope", site edges anchored at the identifier.
  for (const EvidenceEdge& e : s.ev().edges) {
    EXPECT_EQ(e.origin, "scope");
    if (e.kind == "USE_SITE_OF" || e.kind == "DEF_SITE_OF") {
      EXPECT_EQ(e.bstart, s.ev().nodes[e.src].bstart);
      EXPECT_EQ(e.bend, s.ev().nodes[e.src].bend);
    }
    if (e.kind == "BINDING_RESOLVES_TO") {
      EXPECT_EQ(e.resolution_method, "lexical");
    }
  }
}

TEST(ScopesTest, GlobalAndNonlocalStatementsAreDeclarationSites) {
  Scoped s("def f():\n    global g\n");
  EXPECT_EQ(s.Sites(), (Strings{"def:def f@4 -> f", "def:global g@20 -> f.<locals>.g"}));
}

TEST(ScopesTest, TypeCallMisparsedAsATypeAlias) {
  // tree-sitter-python reads `type(m).a = v` as a PEP 695 alias and drops `type`.
  Scoped s("def f(m, v):\n    type(m).a = v\n");
  EXPECT_EQ(s.Describe("f", "type"), "global_ref referenced global");
  EXPECT_EQ(s.Describe("f", "m"), "param referenced parameter local");
  EXPECT_EQ(s.Describe("f", "a"), "none");
}

TEST(ScopesTest, EnclosingLinksToSyntaxNodesAlreadyPresent) {
  const std::string src = "@d\ndef f():\n    return lambda: x\n";
  FileEvidence pre;
  EvidenceNode module;
  module.kind = "PY_MODULE";
  const int32_t m = pre.AddNode(module);
  EvidenceNode def;
  def.kind = "CST_FUNCTION_DEF";
  def.bstart = 0;  // with its decorator
  def.bend = static_cast<int64_t>(src.size()) - 1;
  const int32_t f = pre.AddNode(def);
  EvidenceNode lam;
  lam.kind = "CST_LAMBDA";
  lam.bstart = static_cast<int64_t>(src.find("lambda"));
  lam.bend = static_cast<int64_t>(src.size()) - 1;
  const int32_t l = pre.AddNode(lam);
  Scoped s(src, std::move(pre));
  std::map<std::string, int32_t> enclosing;
  for (const EvidenceNode& n : s.ev().nodes) {
    if (n.kind == "PY_SCOPE") enclosing[n.qualified_path] = n.enclosing;
    if (n.kind == "PY_USE_SITE" && n.name == "x") {
      EXPECT_EQ(n.enclosing, l);
    }
    if (n.kind == "PY_USE_SITE" && n.name == "d") {
      EXPECT_EQ(n.enclosing, m);
    }
  }
  EXPECT_EQ(enclosing["<module>"], m);
  EXPECT_EQ(enclosing["f"], f);
  EXPECT_EQ(enclosing["f.<locals>.<lambda>"], l);
}

TEST(ScopesTest, OwnersFoundWhenTheBodyEndsWithAComment) {
  // CPython's ast (and so the syntax nodes) end a class or def at its last statement;
  // tree-sitter's node (and so the scope) also holds the comments after it.
  const std::string src =
      "class C:\n    def m(self):\n        pass  # trailing\n    x = 1  # trailing\n"
      "    # more\n\n@dec\ndef f():\n    g = lambda: 1  # c\n    # c\n";
  FileEvidence ev;
  Parser parser;
  TreePtr tree;
  ExtractSyntax(parser, src, "m", &ev, &tree);
  AnalyzeScopes(src, ts_tree_root_node(tree.get()), &ev);
  std::map<std::string, std::string> owner;
  for (const EvidenceNode& n : ev.nodes) {
    if (n.kind != "PY_SCOPE") continue;
    ASSERT_GE(n.enclosing, 0) << n.qualified_path;
    const EvidenceNode& o = ev.nodes[static_cast<size_t>(n.enclosing)];
    owner[n.qualified_path] = o.kind + " " + o.name;
  }
  EXPECT_EQ(owner["C"], "CST_CLASS_DEF C");
  EXPECT_EQ(owner["C.m"], "CST_FUNCTION_DEF m");
  EXPECT_EQ(owner["f"], "CST_FUNCTION_DEF f");
  EXPECT_EQ(owner["f.<locals>.<lambda>"], "CST_LAMBDA <lambda>");
}

TEST(ScopesTest, DeepAndBrokenInputs) {
  // A 50k-term expression: the walk is iterative, so no stack overflow.
  std::string deep = "x = 1";
  for (int i = 0; i < 50000; ++i) deep += " + a";
  deep += "\n";
  Scoped d(deep);
  EXPECT_EQ(d.Describe("<module>", "a"), "global_ref referenced global");
  // Scopes nested beyond 1000 levels are merged into their ancestor (with a warning), which
  // keeps qualified paths from growing quadratically.
  std::string lambdas = "f = ";
  for (int i = 0; i < 1500; ++i) lambdas += "lambda: ";
  lambdas += "0\n";
  Scoped l(lambdas);
  EXPECT_EQ(l.Scopes().size(), 1001u);
  ASSERT_EQ(l.ev().diagnostics.size(), 1u);
  EXPECT_EQ(l.ev().diagnostics[0].code, "TOO_DEEP");
  // Broken input still yields scopes and bindings for what parsed.
  Scoped b("def f(:\n  \xff\xfe return (\nclass C(:\n  x = [y for\n");
  EXPECT_FALSE(b.Scopes().empty());
  Scoped e("");
  EXPECT_EQ(e.Scopes(), Strings{"module top 0 <module>#0"});
}

}  // namespace
}  // namespace cpglake::python
