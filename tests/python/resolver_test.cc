// Cross-file resolution on a small multi-package repository: every IMPORTS, CALLS and
// INHERITS edge the fixture should produce is asserted, and so are edges it must not produce.
// Edges are written "KIND <anchor text> -> <target>", the target as the module-qualified name
// of a repository node ("pkg.core.Engine.start", "pkg.util" for a module) or "ext:" and the
// external qualified name ("ext:builtins.len").
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "python/module_summary.h"
#include "python/resolver.h"
#include "python/scopes.h"
#include "python/syntax.h"
#include "python/tree_sitter.h"

namespace cpglake::python {
namespace {

struct File {
  std::string path, module, source;
};

struct Result {
  std::set<std::string> edges;
  std::map<std::string, std::string> methods;  // edge → resolution_method
  std::map<std::string, double> confidences;   // edge → confidence
  std::vector<std::string> diagnostics;        // "path: message"
};

Result Resolve(const std::vector<File>& files) {
  std::vector<ModuleSummary> summaries(files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    Parser parser;
    FileEvidence ev;
    TreePtr tree;
    ExtractSyntax(parser, files[i].source, files[i].module, &ev, &tree);
    AnalyzeScopes(files[i].source, ts_tree_root_node(tree.get()), &ev);
    const bool pkg = files[i].path.ends_with("__init__.py");
    summaries[i] =
        SummarizeModule(files[i].source, ts_tree_root_node(tree.get()), ev, files[i].module, pkg);
  }
  std::vector<ModuleEntry> entries;
  for (size_t i = 0; i < files.size(); ++i) entries.push_back({&summaries[i], files[i].path});
  Resolver resolver(entries);
  Result out;
  for (size_t i = 0; i < files.size(); ++i) {
    FileResolution r = resolver.ResolveFile(i);
    for (const auto& e : r.edges) {
      std::string anchor = files[i].source.substr(static_cast<size_t>(e.bstart),
                                                  static_cast<size_t>(e.bend - e.bstart));
      anchor = anchor.substr(0, anchor.find('\n'));
      std::string target;
      if (e.dst.file < 0) {
        target = "ext:" + e.dst.external;
      } else {
        const ModuleSummary& s = summaries[static_cast<size_t>(e.dst.file)];
        const NodeKey& k = s.keys[static_cast<size_t>(e.dst.key)];
        target = k.kind == "PY_MODULE" ? s.module_name : s.module_name + "." + k.qualified_path;
        if (k.kind == "PY_BINDING") target += " (variable)";
      }
      const std::string text = e.kind + " " + anchor + " -> " + target;
      out.edges.insert(text);
      out.methods[text] = e.resolution_method;
      out.confidences[text] = e.confidence;
    }
    for (const auto& d : r.diagnostics) out.diagnostics.push_back(files[i].path + ": " + d.message);
  }
  return out;
}

const std::vector<File>& Fixture() {
  static const std::vector<File> files = {
      {"pkg/__init__.py", "pkg",
       "from .core import Engine, make_engine\n"
       "from .util import *\n"
       "__all__ = ['Engine', 'make_engine', 'helper']\n"},
      {"pkg/util.py", "pkg.util",
       "__all__ = ['helper']\n"
       "LIMIT = 10\n"
       "def helper(x):\n"
       "    return x\n"
       "def helper2():\n"
       "    pass\n"
       "def _private():\n"
       "    pass\n"},
      {"pkg/base.py", "pkg.base",
       "import abc\n"
       "class Base(abc.ABC):\n"
       "    def __init__(self, name):\n"
       "        self.name = name\n"
       "    def stop(self):\n"
       "        return print(self.name)\n"
       "class Mixin:\n"
       "    def stop(self):\n"
       "        pass\n"
       "    def mix(self):\n"
       "        pass\n"},
      {"pkg/core.py", "pkg.core",
       "import os\n"
       "import os.path as osp\n"
       "from collections import OrderedDict\n"
       "from . import util\n"
       "from .util import helper as h, LIMIT\n"
       "from .base import Base\n"
       "\n"
       "class Engine(Base):\n"
       "    def __init__(self, name):\n"
       "        super().__init__(name)\n"
       "        self.start()\n"
       "\n"
       "    def start(self):\n"
       "        h(self.name)\n"
       "        util.helper2()\n"
       "        os.path.join('a', 'b')\n"
       "        osp.exists('x')\n"
       "        OrderedDict()\n"
       "        return self.stop()\n"
       "\n"
       "    @classmethod\n"
       "    def create(cls):\n"
       "        return cls('x')\n"
       "\n"
       "    @staticmethod\n"
       "    def version(self):\n"
       "        self.start()\n"
       "        return len('1.0')\n"
       "\n"
       "def make_engine():\n"
       "    e = Engine('n')\n"
       "    e.start()\n"
       "    return e\n"
       "\n"
       "def factory():\n"
       "    def inner():\n"
       "        return 1\n"
       "    return inner\n"
       "\n"
       "def use_factory():\n"
       "    f = factory()\n"
       "    f()\n"
       "    g = make_engine\n"
       "    g()\n"
       "    def shadow():\n"
       "        pass\n"
       "    len = shadow\n"
       "    len()\n"},
      {"pkg/sub/__init__.py", "pkg.sub", ""},
      {"pkg/sub/deep.py", "pkg.sub.deep",
       "from ..core import Engine\n"
       "from .. import util\n"
       "from ...toplevel import x\n"
       "from ..missing import y\n"
       "from ..util import nothere\n"
       "from ..base import Base, Mixin\n"
       "import pkg.util\n"
       "import numpy as np\n"
       "\n"
       "class Left(Base):\n"
       "    def stop(self):\n"
       "        pass\n"
       "class Right(Base, Mixin):\n"
       "    pass\n"
       "class Diamond(Left, Right):\n"
       "    def run(self):\n"
       "        self.stop()\n"
       "        super().stop()\n"
       "        self.mix()\n"
       "        [self.run() for _ in range(3)]\n"
       "class R2(Right):\n"
       "    def run(self):\n"
       "        self.stop()\n"
       "        pkg.util.helper(1)\n"
       "        np.array([1])\n"
       "class Gen(Engine, metaclass=type):\n"
       "    pass\n"},
      {"main.py", "main",
       "import pkg\n"
       "from pkg import Engine, helper\n"
       "from pkg.sub.deep import Diamond\n"
       "import pkg.sub.deep as deep\n"
       "\n"
       "def decorate(f):\n"
       "    return f\n"
       "\n"
       "def main():\n"
       "    pkg.make_engine()\n"
       "    Engine('x')\n"
       "    helper(1)\n"
       "    Diamond().run()\n"
       "    deep.Diamond()\n"
       "    len([])\n"
       "    obj = Engine('y')\n"
       "    obj.start()\n"
       "    pkg.util.helper2()\n"
       "\n"
       "@decorate\n"
       "def decorated():\n"
       "    pass\n"
       "\n"
       "class Callable:\n"
       "    def __call__(self):\n"
       "        pass\n"
       "Callable()()\n"},
  };
  return files;
}

TEST(Resolver, ImportsEveryForm) {
  const Result r = Resolve(Fixture());
  for (const char* e : {
           "IMPORTS Engine -> pkg.core.Engine",
           "IMPORTS make_engine -> pkg.core.make_engine",
           "IMPORTS * -> pkg.util",
           "IMPORTS os -> ext:os",
           "IMPORTS os.path as osp -> ext:os.path",
           "IMPORTS OrderedDict -> ext:collections.OrderedDict",
           "IMPORTS util -> pkg.util",
           "IMPORTS helper as h -> pkg.util.helper",
           "IMPORTS LIMIT -> pkg.util.LIMIT (variable)",
           "IMPORTS Base -> pkg.base.Base",
           "IMPORTS Mixin -> pkg.base.Mixin",
           "IMPORTS pkg.util -> pkg.util",
           "IMPORTS numpy as np -> ext:numpy",
           "IMPORTS pkg -> pkg",
           "IMPORTS helper -> pkg.util.helper",  // through pkg/__init__'s star import
           "IMPORTS Diamond -> pkg.sub.deep.Diamond",
           "IMPORTS pkg.sub.deep as deep -> pkg.sub.deep",
       }) {
    EXPECT_TRUE(r.edges.count(e)) << e;
  }
  EXPECT_EQ(r.methods.at("IMPORTS Engine -> pkg.core.Engine"), "import");
  EXPECT_EQ(r.methods.at("IMPORTS os -> ext:os"), "qualified_name");
  // Relative imports past the top, of missing modules and of missing names are diagnosed.
  const std::vector<std::string> want = {
      "pkg/sub/deep.py: relative import beyond the top-level package",
      "pkg/sub/deep.py: no module pkg.missing in the repository",
      "pkg/sub/deep.py: cannot import name nothere from pkg.util",
  };
  EXPECT_EQ(r.diagnostics, want);
}

TEST(Resolver, CallsAcrossFiles) {
  const Result r = Resolve(Fixture());
  for (const char* e : {
           // super().__init__ → Base.__init__; self.start() → Engine.start
           "CALLS super().__init__(name) -> pkg.base.Base.__init__",
           "CALLS self.start() -> pkg.core.Engine.start",
           // aliased from-import, module attribute, external module paths
           "CALLS h(self.name) -> pkg.util.helper",
           "CALLS util.helper2() -> pkg.util.helper2",
           "CALLS os.path.join('a', 'b') -> ext:os.path.join",
           "CALLS osp.exists('x') -> ext:os.path.exists",
           "CALLS OrderedDict() -> ext:collections.OrderedDict",
           // inherited method through the hierarchy
           "CALLS self.stop() -> pkg.base.Base.stop",
           "CALLS print(self.name) -> ext:builtins.print",
           // cls in a classmethod is the class: constructor + __init__
           "CALLS cls('x') -> pkg.core.Engine",
           "CALLS cls('x') -> pkg.core.Engine.__init__",
           "CALLS len('1.0') -> ext:builtins.len",
           // local instance, factory return value, local alias
           "CALLS Engine('n') -> pkg.core.Engine",
           "CALLS Engine('n') -> pkg.core.Engine.__init__",
           "CALLS e.start() -> pkg.core.Engine.start",
           "CALLS factory() -> pkg.core.factory",
           "CALLS f() -> pkg.core.factory.<locals>.inner",
           "CALLS g() -> pkg.core.make_engine",
           "CALLS len() -> pkg.core.use_factory.<locals>.shadow",
           // MRO: Diamond(Left, Right) → Left.stop; super() from Diamond → Left.stop too;
           // a comprehension inside the method still sees self.
           "CALLS self.mix() -> pkg.base.Mixin.mix",
           "CALLS self.run() -> pkg.sub.deep.Diamond.run",
           "CALLS pkg.util.helper(1) -> pkg.util.helper",
           "CALLS np.array([1]) -> ext:numpy.array",
           // main.py: re-exports, star re-exports, chained constructor calls, builtins
           "CALLS pkg.make_engine() -> pkg.core.make_engine",
           "CALLS Engine('x') -> pkg.core.Engine",
           "CALLS Engine('x') -> pkg.core.Engine.__init__",
           "CALLS helper(1) -> pkg.util.helper",
           "CALLS Diamond().run() -> pkg.sub.deep.Diamond.run",
           "CALLS Diamond() -> pkg.sub.deep.Diamond",
           "CALLS deep.Diamond() -> pkg.sub.deep.Diamond",
           "CALLS len([]) -> ext:builtins.len",
           "CALLS obj.start() -> pkg.core.Engine.start",
           "CALLS pkg.util.helper2() -> pkg.util.helper2",
           "CALLS decorate -> main.decorate",
           "CALLS Callable()() -> main.Callable.__call__",
       }) {
    EXPECT_TRUE(r.edges.count(e)) << e;
  }
  // Diamond's MRO is Diamond, Left, Right, Base, abc.ABC, Mixin: stop is Left's.
  const std::string diamond_stop = "CALLS self.stop() -> pkg.sub.deep.Left.stop";
  EXPECT_TRUE(r.edges.count(diamond_stop));
  EXPECT_TRUE(r.edges.count("CALLS super().stop() -> pkg.sub.deep.Left.stop"));
  EXPECT_EQ(r.methods.at(diamond_stop), "class_hierarchy");
  EXPECT_EQ(r.methods.at("CALLS h(self.name) -> pkg.util.helper"), "import");
  EXPECT_EQ(r.methods.at("CALLS factory() -> pkg.core.factory"), "lexical");
  EXPECT_EQ(r.methods.at("CALLS len([]) -> ext:builtins.len"), "qualified_name");
  EXPECT_EQ(r.methods.at("CALLS Engine('x') -> pkg.core.Engine.__init__"), "constructor");
  EXPECT_DOUBLE_EQ(r.confidences.at("CALLS factory() -> pkg.core.factory"), 1.0);
  EXPECT_LT(r.confidences.at("CALLS f() -> pkg.core.factory.<locals>.inner"), 1.0);
  // Never: `self` of a staticmethod is not an instance; a shadowed builtin is not the builtin.
  EXPECT_FALSE(r.edges.count("CALLS self.start() -> pkg.core.Engine.start") &&
               r.edges.count("CALLS len() -> ext:builtins.len"));
  EXPECT_FALSE(r.edges.count("CALLS len() -> ext:builtins.len"));
  EXPECT_TRUE(r.edges.count("CALLS range(3) -> ext:builtins.range"));
}

TEST(Resolver, StaticMethodSelfIsNotAnInstance) {
  const Result r = Resolve({{"m.py", "m",
                             "class A:\n"
                             "    def go(self):\n"
                             "        pass\n"
                             "    @staticmethod\n"
                             "    def s(self):\n"
                             "        self.go()\n"}});
  // Applying the decorator is a call of it; `self` of a static method is just a parameter.
  const std::set<std::string> want = {"CALLS staticmethod -> ext:builtins.staticmethod"};
  EXPECT_EQ(r.edges, want);
}

TEST(Resolver, MethodsOfBuiltinTypeInstances) {
  const Result r = Resolve({{"m.py", "m",
                             "memoryview(b'x').tobytes()\n"
                             "d = dict()\n"
                             "d.get('k')\n"
                             "len('x').bit_length()\n"
                             "ValueError('x').with_traceback(None)\n"}});
  for (const char* e : {"CALLS memoryview(b'x').tobytes() -> ext:builtins.memoryview.tobytes",
                        "CALLS d.get('k') -> ext:builtins.dict.get",
                        "CALLS ValueError('x').with_traceback(None) -> "
                        "ext:builtins.ValueError.with_traceback"}) {
    EXPECT_TRUE(r.edges.count(e)) << e;
  }
  // len() returns an int, but len is a function: nothing is known of its result.
  for (const auto& e : r.edges) EXPECT_EQ(e.find("bit_length"), std::string::npos) << e;
}

TEST(Resolver, InstanceAttributesBoundOnce) {
  const Result r = Resolve({{"m.py", "m",
                             "class Helper:\n"
                             "    def go(self):\n"
                             "        pass\n"
                             "def helper_func():\n"
                             "    pass\n"
                             "class Engine:\n"
                             "    def __init__(self):\n"
                             "        self.helper = Helper()\n"
                             "        self.fn = helper_func\n"
                             "        self.twice = Helper()\n"
                             "        self.__p = Helper()\n"
                             "    def reset(self):\n"
                             "        self.twice = None\n"
                             "    def run(self):\n"
                             "        self.helper.go()\n"
                             "        self.fn()\n"
                             "        self.twice.go()\n"
                             "        self.__p.go()\n"}});
  for (const char* e : {"CALLS self.helper.go() -> m.Helper.go", "CALLS self.fn() -> m.helper_func",
                        "CALLS self.__p.go() -> m.Helper.go"}) {
    EXPECT_TRUE(r.edges.count(e)) << e;
  }
  // Bound by two statements: not certain, no edge.
  for (const auto& e : r.edges) EXPECT_EQ(e.find("self.twice"), std::string::npos) << e;
  EXPECT_LT(r.confidences.at("CALLS self.helper.go() -> m.Helper.go"), 1.0);
}

TEST(Resolver, MethodsOnlySubclassesDefine) {
  const Result r = Resolve({{"m.py", "m",
                             "class Base:\n"
                             "    def __init__(self):\n"
                             "        self._setup()\n"
                             "        self.nowhere()\n"
                             "class A(Base):\n"
                             "    def _setup(self):\n"
                             "        pass\n"
                             "class B(A):\n"
                             "    def _setup(self):\n"
                             "        pass\n"
                             "class C(Base):\n"
                             "    _setup = 1\n"}});
  for (const char* e : {"CALLS self._setup() -> m.A._setup", "CALLS self._setup() -> m.B._setup"}) {
    EXPECT_TRUE(r.edges.count(e)) << e;
    EXPECT_DOUBLE_EQ(r.confidences.at(e), 0.5);
    EXPECT_EQ(r.methods.at(e), "class_hierarchy");
  }
  for (const auto& e : r.edges) EXPECT_EQ(e.find("nowhere"), std::string::npos) << e;
}

TEST(Resolver, AnnotatedParametersAndReturns) {
  const Result r =
      Resolve({{"lib.py", "lib",
                "class Engine:\n"
                "    def start(self):\n"
                "        pass\n"
                "class Car:\n"
                "    def __init__(self, engine: Engine):\n"
                "        self.engine = engine\n"
                "    def drive(self):\n"
                "        self.engine.start()\n"},
               {"app.py", "app",
                "from typing import Optional\n"
                "import lib\n"
                "from lib import Engine\n"
                "def make() -> lib.Car:\n"
                "    return build_somehow()\n"
                "def run(e: Engine, o: Optional[Engine] = None, u: Engine | None = None,\n"
                "        s: 'Engine' = None, n: int = 0):\n"
                "    e.start()\n"
                "    o.start()\n"
                "    u.start()\n"
                "    s.start()\n"
                "    n.bit_length()\n"
                "    make().drive()\n"}});
  for (const char* e :
       {"CALLS self.engine.start() -> lib.Engine.start", "CALLS e.start() -> lib.Engine.start",
        "CALLS o.start() -> lib.Engine.start", "CALLS u.start() -> lib.Engine.start",
        "CALLS make().drive() -> lib.Car.drive",
        "CALLS n.bit_length() -> ext:builtins.int.bit_length"}) {
    EXPECT_TRUE(r.edges.count(e)) << e;
  }
  EXPECT_LT(r.confidences.at("CALLS e.start() -> lib.Engine.start"), 1.0);
  // A string annotation is not followed.
  for (const auto& e : r.edges) EXPECT_EQ(e.find("s.start"), std::string::npos) << e;
}

TEST(Resolver, AnnotatedVariablesAndFields) {
  const Result r = Resolve({{"m.py", "m",
                             "from dataclasses import dataclass\n"
                             "class Engine:\n"
                             "    def start(self):\n"
                             "        pass\n"
                             "@dataclass\n"
                             "class Car:\n"
                             "    engine: Engine\n"
                             "    spare: Engine = None\n"
                             "    def drive(self):\n"
                             "        self.engine.start()\n"
                             "        self.spare.start()\n"
                             "class Bus:\n"
                             "    def __init__(self, factory):\n"
                             "        self.engine: Engine = factory()\n"
                             "    def drive(self):\n"
                             "        self.engine.start()\n"
                             "def f(get):\n"
                             "    e: Engine = get()\n"
                             "    e.start()\n"
                             "g: Engine = make_engine()\n"
                             "g.start()\n"}});
  for (const char* e :
       {"CALLS self.engine.start() -> m.Engine.start", "CALLS self.spare.start() -> m.Engine.start",
        "CALLS e.start() -> m.Engine.start", "CALLS g.start() -> m.Engine.start"}) {
    EXPECT_TRUE(r.edges.count(e)) << e;
  }
}

TEST(Resolver, PackageBeatsModuleOfTheSameName) {
  // Python's path finder takes pkg/ (a regular package) over pkg.py, and either over pkg.pyi.
  // Only the package defines g: pkg.g() resolves only if the package is the one chosen.
  const Result r = Resolve({{"pkg.py", "pkg", "def f():\n    pass\n"},
                            {"pkg/__init__.py", "pkg", "def f():\n    pass\ndef g():\n    pass\n"},
                            {"pkg.pyi", "pkg", "def f() -> None: ...\n"},
                            {"main.py", "main", "import pkg\npkg.g()\n"}});
  const std::set<std::string> want = {"IMPORTS pkg -> pkg", "CALLS pkg.g() -> pkg.g"};
  EXPECT_EQ(r.edges, want);
  EXPECT_LT(r.confidences.at("CALLS pkg.g() -> pkg.g"), 1.0);  // two files claim "pkg"
}

TEST(Resolver, ImportedObjectsAreTheirVariables) {
  // Importing a name bound to an object brings in the variable, not the object's class.
  const Result r = Resolve({{"conf.py", "conf",
                             "class Settings:\n"
                             "    def get(self):\n"
                             "        pass\n"
                             "settings = Settings()\n"
                             "limit: int = 10\n"
                             "count = len([])\n"},
                            {"app.py", "app",
                             "from conf import settings, limit, count\n"
                             "settings.get()\n"}});
  for (const char* e :
       {"IMPORTS settings -> conf.settings (variable)", "IMPORTS limit -> conf.limit (variable)",
        "IMPORTS count -> conf.count (variable)", "CALLS settings.get() -> conf.Settings.get"}) {
    EXPECT_TRUE(r.edges.count(e)) << e;
  }
  for (const auto& e : r.edges) {
    EXPECT_EQ(e.find("IMPORTS settings -> conf.Settings"), std::string::npos) << e;
    EXPECT_EQ(e.find("builtins.int"), std::string::npos) << e;
  }
}

TEST(Resolver, NoMissingNameWarningsForDynamicModules) {
  const Result r = Resolve({{"dyn.py", "dyn", "globals().update({'A': 1})\n"},
                            {"lazy.py", "lazy", "def __getattr__(name):\n    return 1\n"},
                            {"plat.py", "plat", "from posix import *\n"},
                            {"plain.py", "plain", "B = 1\n"},
                            {"flags.py", "flags",
                             "import enum\n@enum.global_enum\nclass F(enum.IntFlag):\n"
                             "    IGNORECASE = I = 2\n"},
                            {"app.py", "app",
                             "from dyn import A\nfrom lazy import C\nfrom plat import D\n"
                             "from plain import E\nfrom flags import IGNORECASE, I, J\n"}});
  const std::vector<std::string> want = {"app.py: cannot import name E from plain",
                                         "app.py: cannot import name J from flags"};
  EXPECT_EQ(r.diagnostics, want);
}

TEST(Resolver, ParameterDefaults) {
  // json.encoder's speed trick: builtins bound as parameter defaults.
  const Result r = Resolve({{"m.py", "m",
                             "def helper():\n    pass\n"
                             "def f(x, isinstance=isinstance, h=helper, n=0):\n"
                             "    isinstance(x, int)\n"
                             "    h()\n"
                             "    n()\n"}});
  for (const char* e :
       {"CALLS isinstance(x, int) -> ext:builtins.isinstance", "CALLS h() -> m.helper"}) {
    EXPECT_TRUE(r.edges.count(e)) << e;
    EXPECT_LT(r.confidences.at(e), 1.0);
  }
  for (const auto& e : r.edges) EXPECT_EQ(e.find("n()"), std::string::npos) << e;
}

TEST(Resolver, InstancesMadeWithNew) {
  const Result r = Resolve({{"m.py", "m",
                             "class A:\n"
                             "    def go(self):\n"
                             "        pass\n"
                             "    @classmethod\n"
                             "    def make(cls):\n"
                             "        self = cls.__new__(cls)\n"
                             "        self.go()\n"
                             "        other = object.__new__(A)\n"
                             "        other.go()\n"
                             "        return self\n"}});
  for (const char* e : {"CALLS self.go() -> m.A.go", "CALLS other.go() -> m.A.go"}) {
    EXPECT_TRUE(r.edges.count(e)) << e;
  }
}

TEST(Resolver, WithTargetsAndFluentMethods) {
  const Result r = Resolve({{"m.py", "m",
                             "class Conn:\n"
                             "    def __enter__(self):\n"
                             "        return self\n"
                             "    def __exit__(self, *a):\n"
                             "        pass\n"
                             "    def limit(self, n):\n"
                             "        return self\n"
                             "    def send(self):\n"
                             "        pass\n"
                             "with Conn() as c:\n"
                             "    c.send()\n"
                             "Conn().limit(3).send()\n"
                             "with open('f') as fp:\n"
                             "    fp.read()\n"}});
  for (const char* e :
       {"CALLS c.send() -> m.Conn.send", "CALLS Conn().limit(3).send() -> m.Conn.send"}) {
    EXPECT_TRUE(r.edges.count(e)) << e;
  }
  for (const auto& e : r.edges) EXPECT_EQ(e.find("fp.read"), std::string::npos) << e;
}

TEST(Resolver, PrivateNamesAreMangled) {
  const Result r = Resolve({{"m.py", "m",
                             "class __C:\n"
                             "    def __helper(self):\n"
                             "        pass\n"
                             "    def run(self):\n"
                             "        self.__helper()\n"
                             "        self.__missing()\n"
                             "class D(__C):\n"
                             "    def go(self):\n"
                             "        self.__helper()\n"
                             "        self._C__helper()\n"}});
  const std::set<std::string> want = {
      "CALLS self.__helper() -> m.__C.__helper",
      "CALLS self._C__helper() -> m.__C.__helper",
      "INHERITS __C -> m.__C",
  };
  EXPECT_EQ(r.edges, want);
}

TEST(Resolver, Inheritance) {
  const Result r = Resolve(Fixture());
  for (const char* e : {
           "INHERITS abc.ABC -> ext:abc.ABC",
           "INHERITS Base -> pkg.base.Base",
           "INHERITS Left -> pkg.sub.deep.Left",
           "INHERITS Right -> pkg.sub.deep.Right",
           "INHERITS Mixin -> pkg.base.Mixin",
           "INHERITS Engine -> pkg.core.Engine",
       }) {
    EXPECT_TRUE(r.edges.count(e)) << e;
  }
  for (const auto& e : r.edges) {
    EXPECT_EQ(e.find("INHERITS metaclass"), std::string::npos) << e;
  }
}

TEST(Resolver, DeepHierarchiesStayLinear) {
  // 3,000 chained classes (generated code): single-base MROs are extended, not merged, and
  // capped, so this takes milliseconds (the C3 merge of every prefix took 25 s).
  std::string src = "class C0:\n    def x(self):\n        pass\n";
  for (int i = 1; i < 3000; ++i) {
    src += "class C" + std::to_string(i) + "(C" + std::to_string(i - 1) + "): pass\n";
  }
  src += "C2999()\nC10().x()\n";
  const Result r = Resolve({{"m.py", "m", src}});
  EXPECT_TRUE(r.edges.count("CALLS C2999() -> m.C2999"));
  EXPECT_TRUE(r.edges.count("CALLS C10().x() -> m.C0.x"));
  EXPECT_TRUE(r.edges.count("INHERITS C2998 -> m.C2998"));
}

TEST(Resolver, StarImportWebsStayLinear) {
  // 30 modules, each star-importing all the others: lookups visit each module once.
  std::vector<File> files;
  for (int i = 0; i < 30; ++i) {
    std::string src;
    for (int j = 0; j < 30; ++j) {
      if (j != i) src += "from m" + std::to_string(j) + " import *\n";
    }
    if (i == 29) src += "def target():\n    pass\n";
    if (i == 0) src += "target()\nmissing()\n";
    files.push_back({"m" + std::to_string(i) + ".py", "m" + std::to_string(i), src});
  }
  const Result r = Resolve(files);
  EXPECT_TRUE(r.edges.count("CALLS target() -> m29.target"));
  for (const auto& e : r.edges) EXPECT_EQ(e.find("missing"), std::string::npos) << e;
}

TEST(Resolver, ImportCyclesAndSelfReferenceTerminate) {
  const Result r = Resolve({{"a.py", "a", "from b import f\nf()\nX = X\nX()\n"},
                            {"b.py", "b", "from a import f\n"},
                            {"c.py", "c", "class C(C):\n    pass\nC().m()\n"}});
  EXPECT_FALSE(r.edges.count("CALLS f() -> b.f"));
}

// What a file's resolution read (ResolutionDeps): the incremental build re-resolves a file only
// when one of these changed, so each way of depending on another file must be recorded.
struct Summaries {
  std::vector<ModuleSummary> summaries;
  std::vector<ModuleEntry> entries;
};
Summaries Summarize(const std::vector<File>& files) {
  Summaries out;
  out.summaries.resize(files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    Parser parser;
    FileEvidence ev;
    TreePtr tree;
    ExtractSyntax(parser, files[i].source, files[i].module, &ev, &tree);
    AnalyzeScopes(files[i].source, ts_tree_root_node(tree.get()), &ev);
    out.summaries[i] = SummarizeModule(files[i].source, ts_tree_root_node(tree.get()), ev,
                                       files[i].module, files[i].path.ends_with("__init__.py"));
  }
  for (size_t i = 0; i < files.size(); ++i) {
    out.entries.push_back({&out.summaries[i], files[i].path});
  }
  return out;
}

TEST(ResolverDeps, RecordsImportsReExportsHierarchiesAndSubclassSearches) {
  const std::vector<File> files = {
      {"pkg/__init__.py", "pkg", "from .impl import run\n"},                         // 0: re-export
      {"pkg/impl.py", "pkg.impl", "def run():\n    pass\n"},                         // 1
      {"base.py", "base", "class Root:\n    def go(self):\n        self.hook()\n"},  // 2
      {"mid.py", "mid", "from base import Root\nclass Mid(Root):\n    pass\n"},      // 3
      {"leaf.py", "leaf",
       "from mid import Mid\nclass Leaf(Mid):\n    def hook(self):\n        pass\n"},      // 4
      {"user.py", "user", "import pkg\nfrom leaf import Leaf\npkg.run()\nLeaf().go()\n"},  // 5
      {"lonely.py", "lonely", "def f():\n    return len([])\n"},                           // 6
  };
  const Summaries s = Summarize(files);
  const Resolver resolver(s.entries);
  auto files_of = [&](size_t i) {
    ResolutionDeps deps;
    (void)resolver.ResolveFile(i, &deps);
    return deps;
  };
  // user.py: itself, the package and the module it re-exports from, the classes of Leaf's
  // hierarchy and the files they were linearised from.
  const ResolutionDeps user = files_of(5);
  EXPECT_EQ(user.files, (std::vector<int32_t>{0, 1, 2, 3, 4, 5}));
  // base.py: `self.hook()` that no class of Root's MRO defines searches Root's subclasses —
  // the query is recorded, and so are the subclasses' files and what their hierarchies read.
  const ResolutionDeps base = files_of(2);
  EXPECT_EQ(base.subclass_queries.size(), 1u);
  for (int32_t f : {2, 3, 4}) {
    EXPECT_NE(std::find(base.files.begin(), base.files.end(), f), base.files.end()) << f;
  }
  // A file that uses only builtins depends on itself alone.
  EXPECT_EQ(files_of(6).files, (std::vector<int32_t>{6}));
  // Leaf's hierarchy holds Mid and Root: a new subclass in leaf.py is seen by searches of both.
  const auto ancestors = resolver.AncestorsOfClassesIn(4);
  ASSERT_EQ(ancestors.size(), 2u);
  EXPECT_EQ(ancestors[0].first, 2);
  EXPECT_EQ(ancestors[1].first, 3);
  EXPECT_EQ(ancestors, (std::vector<std::pair<int32_t, int32_t>>{ancestors[0], ancestors[1]}));
  EXPECT_TRUE(resolver.AncestorsOfClassesIn(6).empty());
  // Recording changes nothing about the result.
  ResolutionDeps ignored;
  const FileResolution with = resolver.ResolveFile(5, &ignored);
  const FileResolution without = resolver.ResolveFile(5);
  ASSERT_EQ(with.edges.size(), without.edges.size());
  for (size_t i = 0; i < with.edges.size(); ++i) {
    EXPECT_EQ(with.edges[i].dst.file, without.edges[i].dst.file);
    EXPECT_EQ(with.edges[i].dst.key, without.edges[i].dst.key);
    EXPECT_EQ(with.edges[i].dst.external, without.edges[i].dst.external);
  }
}

TEST(ResolverDeps, ModuleTableFingerprintFollowsNamesAndPaths) {
  const std::vector<File> files = {{"a.py", "a", "x = 1\n"}, {"b.py", "b", "y = 2\n"}};
  const Summaries s1 = Summarize(files);
  const std::string fp = Resolver(s1.entries).ModuleTableFingerprint();
  EXPECT_EQ(fp.size(), 32u);
  // Other content, same modules: the same table.
  const Summaries s2 = Summarize({{"a.py", "a", "x = 3\n"}, {"b.py", "b", "def y(): pass\n"}});
  EXPECT_EQ(Resolver(s2.entries).ModuleTableFingerprint(), fp);
  // A module more, or one renamed: another table.
  const Summaries s3 = Summarize({files[0], files[1], {"c.py", "c", ""}});
  EXPECT_NE(Resolver(s3.entries).ModuleTableFingerprint(), fp);
  const Summaries s4 = Summarize({files[0], {"d.py", "d", "y = 2\n"}});
  EXPECT_NE(Resolver(s4.entries).ModuleTableFingerprint(), fp);
}

TEST(ResolverDeps, PartlyDecodedSummariesAreNotResolved) {
  Summaries s = Summarize({{"a.py", "a", "print(1)\n"}});
  s.summaries[0].complete = false;
  const Resolver resolver(s.entries);
  EXPECT_THROW((void)resolver.ResolveFile(0), InternalError);
}

}  // namespace
}  // namespace cpglake::python
