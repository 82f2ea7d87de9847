#include "common/error.h"

#include <gtest/gtest.h>

namespace cpglake {
namespace {

TEST(ErrorTest, CategoryAndExitCode) {
  try {
    throw CorruptData("bad footer");
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kCorruptData);
    EXPECT_STREQ(e.what(), "bad footer");
    EXPECT_EQ(ExitCodeFor(e.category()), 5);
  }
}

TEST(ErrorTest, CheckThrowsInternal) {
  EXPECT_THROW(CPGLAKE_CHECK(1 + 1 == 3, "math"), InternalError);
}

}  // namespace
}  // namespace cpglake
