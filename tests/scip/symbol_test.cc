#include "scip/symbol.h"

#include <gtest/gtest.h>

namespace cpglake::scip {
namespace {

TEST(ScipSymbolTest, ParsesScipPythonSymbols) {
  auto p = ParseSymbol("scip-python python demo 0.1 `pkg.mod`/Base#run().(self)");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->scheme, "scip-python");
  EXPECT_EQ(p->manager, "python");
  EXPECT_EQ(p->package, "demo");
  EXPECT_EQ(p->version, "0.1");
  ASSERT_EQ(p->descriptors.size(), 4u);
  EXPECT_EQ(p->descriptors[0].name, "pkg.mod");
  EXPECT_EQ(p->descriptors[0].kind, SymbolDescriptor::Kind::kNamespace);
  EXPECT_EQ(p->descriptors[2].kind, SymbolDescriptor::Kind::kMethod);
  EXPECT_EQ(p->Name(), "self");
  EXPECT_EQ(p->QualifiedName(), "pkg.mod.Base.run(self)");

  auto module = ParseSymbol("scip-python python demo 0 pkg/__init__:");
  ASSERT_TRUE(module);
  EXPECT_EQ(module->QualifiedName(), "pkg");
  EXPECT_EQ(module->Name(), "pkg");
  auto dotted = ParseSymbol("scip-python python demo 0 `pkg.sub`/__init__:");
  EXPECT_EQ(dotted->Name(), "sub");
  EXPECT_EQ(dotted->QualifiedName(), "pkg.sub");
  auto tparam = ParseSymbol("a b c d m/f().[T]");
  EXPECT_EQ(tparam->QualifiedName(), "m.f[T]");
}

TEST(ScipSymbolTest, EscapesAndLocals) {
  auto p = ParseSymbol("my  scheme npm pkg  name 1 `a``b`#c(+1).");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->scheme, "my scheme");
  EXPECT_EQ(p->package, "pkg name");
  EXPECT_EQ(p->descriptors[0].name, "a`b");
  EXPECT_EQ(p->descriptors[1].disambiguator, "+1");
  auto local = ParseSymbol("local 12");
  ASSERT_TRUE(local);
  EXPECT_TRUE(local->is_local);
  EXPECT_EQ(local->Name(), "12");
  EXPECT_EQ(local->QualifiedName(), "");
  EXPECT_TRUE(IsLocalSymbol("local 0"));
  EXPECT_FALSE(IsLocalSymbol("localx 0"));
}

TEST(ScipSymbolTest, RejectsMalformedSymbols) {
  for (const char* bad : {"", "local ", "a b c", "a b c d ", "a b c d x", "a b c d `x/",
                          "a b c d x(", "a b c d (x", "a b c d x(y)"}) {
    EXPECT_FALSE(ParseSymbol(bad)) << bad;
  }
}

}  // namespace
}  // namespace cpglake::scip
