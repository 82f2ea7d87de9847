#include "cpg/ids.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace cpglake::cpg {
namespace {

// The recipe checked against Python's hashlib.blake2b(digest_size=16), an implementation
// nobody here wrote.
std::string PythonStableId(const std::string& prefix, const std::string& joined_py_expr) {
  auto r = cpglake::testing::RunCommand(
      "python3 -c " +
      cpglake::testing::ShellQuote("import hashlib,sys; sys.stdout.write('" + prefix +
                                   ":' + hashlib.blake2b(" + joined_py_expr +
                                   ".encode('utf-8'), digest_size=16).hexdigest())"));
  EXPECT_EQ(r.exit_code, 0);
  return r.out;
}

TEST(StableIdTest, MatchesBlake2bOfTheJoinedParts) {
  EXPECT_EQ(FileId("myrepo", "pkg/mod.py"), PythonStableId("file", "'myrepo\\x1fpkg/mod.py'"));
  EXPECT_EQ(DeclarationId("CST_FUNCTION_DEF", "file:abc", "Outer.method.<locals>.inner", 1),
            PythonStableId("CST_FUNCTION_DEF", "'file:abc\\x1fOuter.method.<locals>.inner\\x1f1'"));
  EXPECT_EQ(AnchoredId("CST_CALLSITE", "file:abc", 10, 25),
            PythonStableId("CST_CALLSITE", "'file:abc\\x1f10\\x1f25'"));
  EXPECT_EQ(EdgeId("CALLS", "a", "b", std::nullopt, std::nullopt),
            PythonStableId("edge", "'CALLS\\x1fa\\x1fb\\x1f__NULL__\\x1f__NULL__'"));
  EXPECT_EQ(QualifiedNameId("os.path.join"), PythonStableId("PY_QUALIFIED_NAME", "'os.path.join'"));
  EXPECT_EQ(StableId("x", {"é"}), PythonStableId("x", "'\\u00e9'"));
}

TEST(StableIdTest, FormatAndDistinctness) {
  std::string id = FileId("r", "a.py");
  EXPECT_EQ(id.size(), 5u + 32u);
  EXPECT_EQ(id.rfind("file:", 0), 0u);
  EXPECT_NE(StableId("k", {"ab", "c"}), StableId("k", {"a", "bc"}));
  EXPECT_NE(StableId("k", {std::nullopt}), StableId("k", {"__NULL_"}));
}

}  // namespace
}  // namespace cpglake::cpg
