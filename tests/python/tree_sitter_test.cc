#include "python/tree_sitter.h"

#include <gtest/gtest.h>

#include <string>

namespace cpglake::python {
namespace {

TEST(TreeSitterTest, ParsesPythonWithExactSpans) {
  Parser p;
  const std::string src = "def f(x):\n    return x + 1\n";
  auto tree = p.Parse(src);
  TSNode root = ts_tree_root_node(tree.get());
  EXPECT_STREQ(ts_node_type(root), "module");
  TSNode def = ts_node_named_child(root, 0);
  EXPECT_STREQ(ts_node_type(def), "function_definition");
  EXPECT_EQ(NodeText(ts_node_child_by_field_name(def, "name", 4), src), "f");
  EXPECT_FALSE(ts_node_has_error(root));
}

TEST(TreeSitterTest, BrokenInputYieldsErrorNodesNotFailure) {
  Parser p;
  const std::string src = "def f(:\n  \xff\xfe return (\n";
  auto tree = p.Parse(src);
  EXPECT_TRUE(ts_node_has_error(ts_tree_root_node(tree.get())));
}

}  // namespace
}  // namespace cpglake::python
