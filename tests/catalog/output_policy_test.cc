#include "catalog/output_policy.h"

#include <gtest/gtest.h>

namespace cpglake::catalog {
namespace {

DatasetLocation Loc(DatasetFormat format) {
  DatasetLocation location;
  location.path = "/tmp/out/x";
  location.format = format;
  return location;
}

TEST(OutputPolicyTest, DeltaSinksPass) {
  OutputStoragePolicy policy;
  int refused = 0;
  CheckSink(policy, Loc(DatasetFormat::kDelta), "export", [&](const RefusedSink&) { ++refused; });
  EXPECT_EQ(refused, 0);
  EXPECT_TRUE(SinkAllowed(policy, Loc(DatasetFormat::kDelta)));
}

TEST(OutputPolicyTest, ParquetSinkRefusedWithHowToAllow) {
  OutputStoragePolicy policy;
  EXPECT_FALSE(SinkAllowed(policy, Loc(DatasetFormat::kParquet)));
  std::vector<RefusedSink> refused;
  try {
    CheckSink(policy, Loc(DatasetFormat::kParquet), "COPY nodes TO",
              [&](const RefusedSink& r) { refused.push_back(r); });
    FAIL() << "not refused";
  } catch (const SinkRefused& e) {
    const std::string message = e.what();
    EXPECT_EQ(e.category(), ErrorCategory::kInvalidInput);
    EXPECT_EQ(message.find('\n'), std::string::npos) << "one line";
    EXPECT_NE(message.find("COPY nodes TO"), std::string::npos) << message;
    EXPECT_NE(message.find("/tmp/out/x"), std::string::npos) << message;
    EXPECT_NE(message.find("[output] allow_parquet_exports = true"), std::string::npos) << message;
    EXPECT_NE(message.find("cpglake export --format parquet"), std::string::npos) << message;
    ASSERT_EQ(refused.size(), 1u);
    EXPECT_EQ(refused[0].what, "COPY nodes TO");
    EXPECT_EQ(refused[0].path, "/tmp/out/x");
    EXPECT_EQ(refused[0].format, DatasetFormat::kParquet);
    EXPECT_EQ(refused[0].reason, message);
  }
  // Without a callback: the same error.
  EXPECT_THROW(CheckSink(policy, Loc(DatasetFormat::kParquet), "export"), InvalidInput);
}

TEST(OutputPolicyTest, ParquetSinkPassesWhenAllowed) {
  OutputStoragePolicy policy;
  policy.allow_parquet_exports = true;
  EXPECT_NO_THROW(CheckSink(policy, Loc(DatasetFormat::kParquet), "export"));
  EXPECT_TRUE(SinkAllowed(policy, Loc(DatasetFormat::kParquet)));
}

}  // namespace
}  // namespace cpglake::catalog
