// Log replay (PROTOCOL.md "Action Reconciliation") on small hand-written logs: which action
// wins per file key, app id and domain; the order of live files; and that neither depends on
// the number of threads.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "delta/snapshot.h"
#include "storage/object_store.h"

namespace cpglake::delta {
namespace {

constexpr char kProtocol[] = R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})";
constexpr char kMetadata[] =
    R"({"metaData":{"id":"t","format":{"provider":"parquet","options":{}},)"
    R"("schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"x\",\"type\":\"long\",)"
    R"(\"nullable\":true,\"metadata\":{}}]}","partitionColumns":[],"configuration":{}}})";

std::string Add(const std::string& path, const std::string& extra = "") {
  return R"({"add":{"path":")" + path +
         R"(","partitionValues":{},"size":1,"modificationTime":1,"dataChange":true)" + extra + "}}";
}
std::string Remove(const std::string& path, const std::string& extra = "") {
  return R"({"remove":{"path":")" + path + R"(","deletionTimestamp":5,"dataChange":true)" + extra +
         "}}";
}
constexpr char kDv[] =
    R"(,"deletionVector":{"storageType":"i","pathOrInlineDv":"wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L","sizeInBytes":40,"cardinality":6})";

class SnapshotTest : public ::testing::Test {
 protected:
  void Commit(int version, const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    char name[64];
    std::snprintf(name, sizeof(name), "_delta_log/%020d.json", version);
    store_->Write(name, text);
  }
  std::shared_ptr<const Snapshot> Open(int threads, std::optional<int64_t> version = {}) {
    SnapshotBuilder b(store_);
    b.WithThreads(threads);
    if (version) b.AtVersion(*version);
    return b.Build();
  }
  static std::vector<std::string> Paths(const Snapshot& s) {
    std::vector<std::string> out;
    for (const auto& f : s.files()) out.push_back(f.path + (f.deletion_vector ? "+dv" : ""));
    return out;
  }
  std::shared_ptr<storage::MemoryObjectStore> store_ =
      std::make_shared<storage::MemoryObjectStore>();
};

TEST_F(SnapshotTest, NewestActionPerFileKeyWinsAndFilesStayInLogOrder) {
  Commit(0, {kProtocol, kMetadata, Add("a"), Add("b")});
  Commit(1, {Add("c"), Remove("a")});
  // Re-adding b with a deletion vector is a new key; the old key (b, no DV) is removed.
  Commit(2, {Remove("b"), Add("b", kDv), Add("a")});
  for (int threads : {1, 2, 8}) {
    auto s = Open(threads);
    EXPECT_EQ(Paths(*s), (std::vector<std::string>{"c", "b+dv", "a"})) << threads;
    ASSERT_EQ(s->tombstones().size(), 1u);
    EXPECT_EQ(s->tombstones()[0].path, "b");
    EXPECT_EQ(s->total_bytes(), 3);
  }
  auto v1 = Open(2, 1);
  EXPECT_EQ(Paths(*v1), (std::vector<std::string>{"b", "c"}));
  ASSERT_EQ(v1->tombstones().size(), 1u);
  EXPECT_EQ(v1->tombstones()[0].path, "a");
}

TEST_F(SnapshotTest, PercentEncodedPathsAreTheSameFile) {
  Commit(0, {kProtocol, kMetadata, Add("p=a%20b/f.parquet")});
  Commit(1, {Remove("p=a b/f.parquet")});
  EXPECT_TRUE(Open(1)->files().empty());
}

TEST_F(SnapshotTest, SeveralAddsOnOneLineAreAllKept) {
  // Not something writers do, but valid JSON: each member is an action.
  Commit(0, {kProtocol, kMetadata,
             R"({"add":{"path":"x","partitionValues":{},"size":1,"modificationTime":1,)"
             R"("dataChange":true},"add":{"path":"y","partitionValues":{},"size":2,)"
             R"("modificationTime":1,"dataChange":true}})"});
  Commit(1, {Add("z")});
  auto s = Open(2);
  EXPECT_EQ(s->files().size(), 3u);
  EXPECT_EQ(s->total_bytes(), 4);
}

TEST_F(SnapshotTest, LatestProtocolMetadataTxnAndDomainWin) {
  Commit(0, {kProtocol, kMetadata, R"({"txn":{"appId":"app","version":3}})",
             R"({"domainMetadata":{"domain":"d1","configuration":"{}","removed":false}})",
             R"({"domainMetadata":{"domain":"d2","configuration":"old","removed":false}})"});
  Commit(1, {R"({"protocol":{"minReaderVersion":1,"minWriterVersion":4}})",
             R"({"txn":{"appId":"app","version":7}})", R"({"txn":{"appId":"other","version":1}})",
             R"({"domainMetadata":{"domain":"d1","configuration":"{}","removed":true}})",
             R"({"domainMetadata":{"domain":"d2","configuration":"new","removed":false}})"});
  auto s = Open(2);
  EXPECT_EQ(s->protocol().min_writer_version, 4);
  EXPECT_EQ(s->app_transactions().at("app").version, 7);
  EXPECT_EQ(s->app_transactions().at("other").version, 1);
  EXPECT_EQ(s->domain_metadata().count("d1"), 0u);
  EXPECT_EQ(s->domain_metadata().at("d2").configuration, "new");
  auto v0 = Open(2, 0);
  EXPECT_EQ(v0->app_transactions().at("app").version, 3);
  EXPECT_EQ(v0->domain_metadata().count("d1"), 1u);
}

TEST_F(SnapshotTest, CorruptCommitIsReportedTheSameWayForAnyThreadCount) {
  Commit(0, {kProtocol, kMetadata, Add("a")});
  Commit(1, {R"({"add":{"path":"b","size":"big"}})"});
  Commit(2, {R"({"add": nope)"});
  for (int threads : {1, 3}) {
    try {
      Open(threads);
      FAIL() << "expected CorruptData";
    } catch (const CorruptData& e) {
      EXPECT_NE(std::string(e.what()).find("00000000000000000001.json line 1"), std::string::npos)
          << e.what();
    }
  }
}

TEST(PartitionValuesTest, SortedMapOperations) {
  PartitionValues pv{{"z", "1"}, {"a", std::nullopt}};
  pv.insert_or_assign("m", "2");
  pv.insert_or_assign("z", "3");
  std::vector<std::string> keys;
  for (const auto& [k, v] : pv) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "m", "z"}));
  EXPECT_EQ(pv.at("z"), "3");
  EXPECT_EQ(pv.at("a"), std::nullopt);
  EXPECT_EQ(pv.find("q"), pv.end());
  EXPECT_EQ(pv.count("m"), 1u);
  EXPECT_THROW(pv.at("q"), std::out_of_range);
  EXPECT_EQ(pv, (PartitionValues{{"a", std::nullopt}, {"m", "2"}, {"z", "3"}}));
}

}  // namespace
}  // namespace cpglake::delta
