#include "common/string_index.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <random>
#include <string>

namespace cpglake {
namespace {

TEST(StringIndexTest, DenseIndexesInFirstSeenOrder) {
  StringIndex index;
  EXPECT_EQ(index.Find("a"), StringIndex::kAbsent);
  EXPECT_EQ(index.FindOrAdd("a"), 0u);
  EXPECT_EQ(index.FindOrAdd("b"), 1u);
  EXPECT_EQ(index.FindOrAdd("a"), 0u);
  EXPECT_EQ(index.FindOrAdd(""), 2u);  // the empty string is a key like any other
  EXPECT_EQ(index.Find(""), 2u);
  EXPECT_EQ(index.size(), 3u);
  EXPECT_EQ(index.key(1), "b");
  // A key that is a prefix of another is a different key.
  EXPECT_EQ(index.Find("ab"), StringIndex::kAbsent);
}

TEST(StringIndexTest, AgreesWithAMapThroughGrowth) {
  std::mt19937_64 rng(7);
  std::deque<std::string> storage;  // stable addresses for the views
  std::map<std::string, uint32_t> expected;
  StringIndex index;
  for (int i = 0; i < 50000; ++i) {
    // Few distinct lengths and characters: many near-equal keys and repeated ones.
    std::string s(rng() % 6, 'x');
    for (char& c : s) c = static_cast<char>('a' + rng() % 3);
    s += std::to_string(rng() % 5000);
    auto it = expected.find(s);
    if (it == expected.end()) {
      storage.push_back(s);
      const uint32_t got = index.FindOrAdd(storage.back());
      EXPECT_EQ(got, expected.size());
      expected.emplace(s, got);
    } else {
      ASSERT_EQ(index.Find(s), it->second) << s;
    }
  }
  EXPECT_EQ(index.size(), expected.size());
  for (const auto& [s, i] : expected) EXPECT_EQ(index.key(i), s);
}

}  // namespace
}  // namespace cpglake
