#include "common/hash.h"

#include <gtest/gtest.h>

namespace cpglake {
namespace {

TEST(Blake2bHexTest, KnownDigestLengths) {
  EXPECT_EQ(Blake2bHex("abc", 16).size(), 32u);
  EXPECT_EQ(Blake2bHex("abc", 32).size(), 64u);
  EXPECT_EQ(Blake2bHex("abc"), Blake2bHex("abc"));
  EXPECT_NE(Blake2bHex("abc"), Blake2bHex("abd"));
}

std::string Fields(std::initializer_list<std::string_view> strings) {
  FieldHasher h;
  for (auto s : strings) h.Str(s);
  return h.Hex();
}

TEST(FieldHasherTest, DeterministicHexAndFieldBoundariesMatter) {
  const std::string a = Fields({"ab", "c"});
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(a, Fields({"ab", "c"}));
  // The same bytes split differently are different field sequences.
  EXPECT_NE(a, Fields({"a", "bc"}));
  EXPECT_NE(a, Fields({"abc"}));
  EXPECT_NE(Fields({}), Fields({""}));
  // A number is not the string of its bytes, a tag is not a number.
  FieldHasher n, t;
  n.Num(7);
  t.Tag(7);
  EXPECT_NE(n.Hex(), t.Hex());
  // Hex() does not consume the state.
  EXPECT_EQ(n.Hex(), n.Hex());
}

}  // namespace
}  // namespace cpglake
