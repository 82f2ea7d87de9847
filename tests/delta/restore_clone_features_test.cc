// RESTORE and CLONE reproduce a version exactly; table features: protocol upgrades when a
// feature is turned on, in-commit timestamps (monotonic under concurrent commits, enablement
// on an existing table, timestamp time travel across the enablement), row tracking (disjoint
// row id ranges under concurrent appends) and domain metadata (conflicts on one domain).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>
#include <tuple>

#include <nlohmann/json.hpp>

#include "columnar/schema_fingerprint.h"
#include "common/error.h"
#include "delta/dml.h"
#include "delta/maintenance.h"
#include "delta/scan.h"
#include "delta/snapshot.h"
#include "delta/stats.h"
#include "delta/transaction.h"
#include "delta/writer.h"
#include "storage/object_store.h"
#include "table_rows.h"
#include "test_util.h"

namespace cpglake::delta {
namespace {

namespace fs = std::filesystem;
using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;
using cpglake::testing::TempDir;
using json = nlohmann::json;

constexpr int64_t kDay = int64_t{24} * 3600 * 1000;

int64_t WallNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Schema RowSchema() {
  return Schema(std::vector<Field>{Field("id", DataType::Int64(), false),
                                   Field("name", DataType::String(), true)});
}

RecordBatch Rows(int64_t first, int64_t n) {
  RecordBatch b = RecordBatch::MakeEmpty(RowSchema());
  for (int64_t i = first; i < first + n; ++i) {
    b.mutable_column(0).Append<int64_t>(i);
    b.mutable_column(1).AppendString("n" + std::to_string(i));
  }
  b.set_num_rows(n);
  return b;
}

WriteResult Write(const std::shared_ptr<storage::ObjectStore>& store, const RecordBatch& rows,
                  std::optional<int64_t> now, WriteMode mode = WriteMode::kAppend,
                  std::map<std::string, std::string> props = {}) {
  WriteOptions o;
  o.mode = mode;
  o.now_ms = now;
  o.properties = std::move(props);
  return WriteDeltaTable(store, rows, o);
}

json CommitInfoJson(storage::ObjectStore& store, int64_t version) {
  auto seg = BuildLogSegment(store, std::nullopt);
  return json::parse(ReadHistory(store, seg, version, version).at(0).commit_info->json);
}

std::vector<std::string> Features(const std::optional<std::vector<std::string>>& f) {
  return f.value_or(std::vector<std::string>{});
}

bool Has(const std::optional<std::vector<std::string>>& f, const std::string& name) {
  auto v = Features(f);
  return std::find(v.begin(), v.end(), name) != v.end();
}

// ---- RESTORE ------------------------------------------------------------------------------

TEST(RestoreTest, RestoresFilesAndMetadataOfAVersion) {
  TempDir dir;
  auto store = storage::OpenObjectStore((dir.path() / "t").string());
  Write(store, Rows(0, 5), 1000);  // v0
  Write(store, Rows(5, 5), 2000);  // v1
  const auto v1 = RowsAt(store);
  Write(store, Rows(100, 3), 3000, WriteMode::kOverwrite);                          // v2
  SetTableProperties(store, {{"delta.appendOnly", "false"}, {"custom.key", "x"}});  // v3
  Write(store, Rows(200, 2), 5000);                                                 // v4
  RestoreOptions o;
  o.version = 1;
  RestoreResult r = Restore(store, o);
  EXPECT_EQ(r.version, 5);
  EXPECT_EQ(r.restored_version, 1);
  EXPECT_EQ(r.files_restored, 2);
  EXPECT_EQ(r.files_removed, 2);
  EXPECT_TRUE(r.metadata_changed);
  auto snap = SnapshotBuilder(store).Build();
  EXPECT_EQ(RowsOf(snap), v1);
  EXPECT_FALSE(snap->metadata().configuration.count("custom.key"));
  auto ci = CommitInfoJson(*store, 5);
  EXPECT_EQ(ci["operation"], "RESTORE");
  EXPECT_EQ(ci["operationParameters"]["version"], "1");
  EXPECT_EQ(ci["operationMetrics"]["numRestoredFiles"], "2");
  EXPECT_EQ(ci["operationMetrics"]["numRemovedFiles"], "2");
  EXPECT_EQ(ci["operationMetrics"]["numOfFilesAfterRestore"], "2");
  // Re-added files are data changes: the change feed sees them.
  for (const auto& a : ParseActionsJson(store->Read("_delta_log/00000000000000000005.json"), "5")) {
    if (const auto* add = std::get_if<AddFile>(&a)) {
      EXPECT_TRUE(add->data_change);
    }
  }
  // Restoring the current state again changes nothing.
  o.version = 5;
  EXPECT_EQ(Restore(store, o).version, -1);
  o.version = 9;
  EXPECT_THROW(Restore(store, o), NotFound);
  EXPECT_THROW(Restore(store, RestoreOptions{}), InvalidInput);
}

TEST(RestoreTest, ByTimestampAndRefusesVacuumedFiles) {
  TempDir dir;
  auto store = storage::OpenObjectStore((dir.path() / "t").string());
  const int64_t t0 = WallNow() + 100 * kDay;
  Write(store, Rows(0, 5), t0, WriteMode::kAppend, {{"delta.enableInCommitTimestamps", "true"}});
  const auto v0 = RowsAt(store);
  Write(store, Rows(10, 5), t0 + kDay, WriteMode::kOverwrite);
  Write(store, Rows(20, 5), t0 + 2 * kDay, WriteMode::kOverwrite);
  RestoreOptions o;
  o.timestamp_ms = t0 + kDay / 2;  // resolves to version 0
  o.now_ms = t0 + 3 * kDay;
  RestoreResult r = Restore(store, o);
  EXPECT_EQ(r.restored_version, 0);
  EXPECT_EQ(RowsAt(store), v0);
  // Vacuum away version 1's file, then restoring version 1 fails naming the file.
  VacuumOptions vo;
  vo.now_ms = t0 + 30 * kDay;
  vo.dry_run = false;
  Vacuum(store, vo);
  RestoreOptions o1;
  o1.version = 1;
  o1.now_ms = t0 + 31 * kDay;
  try {
    Restore(store, o1);
    ADD_FAILURE() << "expected NotFound";
  } catch (const NotFound& e) {
    EXPECT_NE(std::string(e.what()).find(".parquet"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("VACUUM"), std::string::npos) << e.what();
  }
  EXPECT_EQ(RowsAt(store), v0);
}

TEST(RestoreTest, UpgradesButNeverDowngradesTheProtocol) {
  TempDir dir;
  auto store = storage::OpenObjectStore((dir.path() / "t").string());
  Write(store, Rows(0, 5), 1000);
  SetTableProperties(store, {{"delta.enableChangeDataFeed", "true"}});
  Write(store, Rows(5, 5), 2000);
  RestoreOptions o;
  o.version = 0;
  Restore(store, o);
  auto snap = SnapshotBuilder(store).Build();
  EXPECT_EQ(snap->protocol().min_writer_version, 7);  // not back to 2
  EXPECT_TRUE(Has(snap->protocol().writer_features, "changeDataFeed"));
  EXPECT_FALSE(snap->config().change_data_feed_enabled());
  EXPECT_EQ(RowsOf(snap), RowsAt(store, 0));
}

// ---- CLONE --------------------------------------------------------------------------------

TEST(CloneTest, CopiesAVersionIntoANewTable) {
  TempDir dir;
  auto src = storage::OpenObjectStore((dir.path() / "src").string());
  Write(src, Rows(0, 5), 1000, WriteMode::kAppend,
        {{"delta.enableChangeDataFeed", "true"}, {"delta.enableRowTracking", "true"}});
  Write(src, Rows(5, 5), 2000);
  const auto v1 = RowsAt(src);
  Write(src, Rows(10, 5), 3000);
  auto dst = storage::OpenObjectStore((dir.path() / "dst").string());
  CloneOptions o;
  o.version = 1;
  CloneResult r = Clone(src, dst, o);
  EXPECT_EQ(r.version, 0);
  EXPECT_EQ(r.source_version, 1);
  EXPECT_EQ(r.files_copied, 2);
  EXPECT_EQ(r.rows, 10);
  auto s = SnapshotBuilder(dst).Build();
  EXPECT_EQ(RowsOf(s), v1);
  EXPECT_EQ(r.schema_fingerprint, columnar::SchemaFingerprint(s->schema()));
  EXPECT_EQ(s->protocol(), SnapshotBuilder(src).Build()->protocol());
  EXPECT_NE(s->metadata().id, SnapshotBuilder(src).Build()->metadata().id);
  EXPECT_TRUE(s->config().change_data_feed_enabled());
  auto ci = CommitInfoJson(*dst, 0);
  EXPECT_EQ(ci["operation"], "CLONE");
  EXPECT_EQ(ci["clone_source"], src->DisplayPath(""));
  EXPECT_EQ(ci["source_version"], "1");
  EXPECT_TRUE(ci.contains("source_timestamp"));
  EXPECT_EQ(ci["operationParameters"]["sourceVersion"], "1");
  // Row ids: fresh and consistent in the clone.
  ASSERT_TRUE(s->domain_metadata().count("delta.rowTracking"));
  for (const auto& f : s->files()) EXPECT_TRUE(f.base_row_id.has_value());
  // The source is untouched; an existing target is refused.
  EXPECT_EQ(SnapshotBuilder(src).Build()->version(), 2);
  EXPECT_THROW(Clone(src, dst, {}), InvalidInput);
  auto other = storage::OpenObjectStore((dir.path() / "other").string());
  other->Write("stray.txt", "x");
  EXPECT_THROW(Clone(src, other, {}), InvalidInput);
}

TEST(CloneTest, DeletionVectorTableFromTheAcceptanceCorpus) {
  const fs::path table =
      cpglake::testing::TestDataDir() / "delta-acceptance/kernel_data/table-with-dv-small";
  if (!fs::exists(table)) GTEST_SKIP() << "no acceptance corpus at " << table;
  TempDir dir;
  auto src = storage::OpenObjectStore(table.string());
  auto dst = storage::OpenObjectStore((dir.path() / "clone").string());
  const auto expected = RowsAt(src);
  CloneResult r = Clone(src, dst, {});
  EXPECT_EQ(r.dv_files_copied, 1);
  EXPECT_EQ(r.rows, 8);
  auto s = SnapshotBuilder(dst).Build();
  EXPECT_EQ(RowsOf(s), expected);
  EXPECT_EQ(expected.size(), 8u);
  ASSERT_EQ(s->files().size(), 1u);
  EXPECT_TRUE(s->files()[0].deletion_vector.has_value());
  // The clone at version 0 (before the delete) has all ten rows.
  auto dst0 = storage::OpenObjectStore((dir.path() / "clone0").string());
  CloneOptions o;
  o.version = 0;
  Clone(src, dst0, o);
  EXPECT_EQ(RowsAt(dst0).size(), 10u);
}

// ---- table features -----------------------------------------------------------------------

struct FeatureCase {
  std::string property, value;
  std::vector<std::string> reader, writer;  // features expected (subset)
  int reader_version, writer_version;
};

TEST(TableFeaturesTest, EnablingAFeatureUpgradesTheProtocol) {
  const std::vector<FeatureCase> cases = {
      {"delta.enableDeletionVectors", "true", {"deletionVectors"}, {"deletionVectors"}, 3, 7},
      {"delta.enableRowTracking", "true", {}, {"rowTracking", "domainMetadata"}, 1, 7},
      {"delta.enableInCommitTimestamps", "true", {}, {"inCommitTimestamp"}, 1, 7},
      // Legacy features too get table features on an existing table (DELTA.md), not the
      // legacy (2,5) / (1,4).
      {"delta.columnMapping.mode", "name", {"columnMapping"}, {"columnMapping"}, 3, 7},
      {"delta.enableChangeDataFeed", "true", {}, {"changeDataFeed"}, 1, 7},
      {"delta.enableTypeWidening", "true", {"typeWidening"}, {"typeWidening"}, 3, 7},
      {"delta.feature.vacuumProtocolCheck",
       "supported",
       {"vacuumProtocolCheck"},
       {"vacuumProtocolCheck"},
       3,
       7},
      {"delta.feature.domainMetadata", "supported", {}, {"domainMetadata"}, 1, 7},
  };
  for (const auto& c : cases) {
    TempDir dir;
    auto store = storage::OpenObjectStore((dir.path() / "t").string());
    Write(store, Rows(0, 3), 1000);
    ASSERT_EQ(SnapshotBuilder(store).Build()->protocol(), (Protocol{1, 2, {}, {}}));
    SetTableProperties(store, {{c.property, c.value}});
    const Protocol p = SnapshotBuilder(store).Build()->protocol();
    EXPECT_EQ(p.min_reader_version, c.reader_version) << c.property;
    EXPECT_EQ(p.min_writer_version, c.writer_version) << c.property;
    for (const auto& f : c.reader) EXPECT_TRUE(Has(p.reader_features, f)) << c.property << " " << f;
    for (const auto& f : c.writer) EXPECT_TRUE(Has(p.writer_features, f)) << c.property << " " << f;
    if (c.writer_version == 7) {
      // Features the legacy writer version 2 implied stay listed.
      EXPECT_TRUE(Has(p.writer_features, "appendOnly")) << c.property;
      EXPECT_TRUE(Has(p.writer_features, "invariants")) << c.property;
      for (const auto& f : c.reader) EXPECT_TRUE(Has(p.writer_features, f)) << c.property;
    }
    // Writes still work, and the table reads back.
    Write(store, Rows(3, 3), 2000);
    EXPECT_EQ(RowsAt(store).size(), 6u) << c.property;
  }
  // On a table-features table, a legacy feature joins the lists.
  TempDir dir;
  auto store = storage::OpenObjectStore((dir.path() / "t").string());
  Write(store, Rows(0, 3), 1000, WriteMode::kAppend, {{"delta.enableDeletionVectors", "true"}});
  SetTableProperties(store, {{"delta.enableChangeDataFeed", "true"}});
  SetTableProperties(store, {{"delta.columnMapping.mode", "name"}});
  const Protocol p = SnapshotBuilder(store).Build()->protocol();
  EXPECT_EQ(p.min_writer_version, 7);
  EXPECT_TRUE(Has(p.writer_features, "changeDataFeed"));
  EXPECT_TRUE(Has(p.writer_features, "columnMapping"));
  EXPECT_TRUE(Has(p.reader_features, "columnMapping"));
  EXPECT_TRUE(Has(p.reader_features, "deletionVectors"));
  EXPECT_THROW(SetTableProperties(store, {{"delta.feature.noSuchFeature", "supported"}}),
               Unsupported);
}

TEST(InCommitTimestampTest, MonotonicUnderConcurrentCommits) {
  TempDir dir;
  auto store = storage::OpenObjectStore((dir.path() / "t").string());
  const int64_t fixed = 1700000000000;  // every writer's clock says the same time
  Write(store, Rows(0, 1), fixed, WriteMode::kAppend, {{"delta.enableInCommitTimestamps", "true"}});
  constexpr int kThreads = 2, kCommits = 15;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCommits; ++i) {
        try {
          WriteOptions o;
          o.now_ms = fixed - t;  // one clock even behind
          o.checkpoint = false;
          WriteDeltaTable(store, Rows(1000 * (t + 1) + i, 1), o);
        } catch (const std::exception&) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto seg = BuildLogSegment(*store, std::nullopt);
  ASSERT_EQ(seg.version, kThreads * kCommits);
  auto history = ReadHistory(*store, seg, 0, seg.version);
  std::reverse(history.begin(), history.end());
  for (size_t i = 0; i < history.size(); ++i) {
    ASSERT_TRUE(history[i].commit_info && history[i].commit_info->in_commit_timestamp) << i;
    // commitInfo is the first action of every commit.
    const std::string text = store->Read("_delta_log/" + CommitFileName(history[i].version));
    EXPECT_EQ(text.rfind("{\"commitInfo\"", 0), 0u) << i;
    if (i > 0) {
      EXPECT_GT(*history[i].commit_info->in_commit_timestamp,
                *history[i - 1].commit_info->in_commit_timestamp)
          << history[i].version;
    }
  }
}

TEST(InCommitTimestampTest, EnablementOnAnExistingTableAndTimeTravel) {
  TempDir dir;
  auto store = storage::OpenObjectStore((dir.path() / "t").string());
  Write(store, Rows(0, 1), std::nullopt);  // v0, v1: timestamps are file times (now)
  Write(store, Rows(1, 1), std::nullopt);
  const int64_t mtime1 = SnapshotBuilder(store).Build()->timestamp_ms();
  // Enable with a clock behind the previous commit: the ICT still exceeds it.
  SetTableProperties(store, {{"delta.enableInCommitTimestamps", "true"}}, {}, {}, mtime1 - 5000);
  auto s2 = SnapshotBuilder(store).Build();
  EXPECT_EQ(s2->version(), 2);
  EXPECT_EQ(s2->config().in_commit_timestamp_enablement_version(), 2);
  const auto ts = s2->config().Property("delta.inCommitTimestampEnablementTimestamp");
  ASSERT_TRUE(ts.has_value());
  EXPECT_EQ(std::stoll(*ts), s2->timestamp_ms());
  EXPECT_GT(s2->timestamp_ms(), mtime1);
  const int64_t future = WallNow() + 10 * kDay;
  Write(store, Rows(2, 1), future);  // v3 at an ICT in the future
  auto s3 = SnapshotBuilder(store).Build();
  EXPECT_EQ(s3->timestamp_ms(), future);
  // Time travel: ICTs from the enablement on, file times before it.
  EXPECT_EQ(SnapshotBuilder(store).AtTimestamp(future - 1).Build()->version(), 2);
  EXPECT_EQ(SnapshotBuilder(store).AtTimestamp(future).Build()->version(), 3);
  EXPECT_EQ(SnapshotBuilder(store).AtTimestamp(mtime1).Build()->version(), 1);
}

TEST(RowTrackingTest, ConcurrentAppendsGetDisjointRowIdRanges) {
  TempDir dir;
  auto store = storage::OpenObjectStore((dir.path() / "t").string());
  Write(store, Rows(0, 4), 1000, WriteMode::kAppend, {{"delta.enableRowTracking", "true"}});
  constexpr int kThreads = 3, kCommits = 8;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCommits; ++i) {
        WriteOptions o;
        o.checkpoint = false;
        WriteDeltaTable(store, Rows(10000 * (t + 1) + 100 * i, 3 + t), o);
      }
    });
  }
  for (auto& th : threads) th.join();
  auto snap = SnapshotBuilder(store).Build();
  ASSERT_EQ(snap->files().size(), 1u + kThreads * kCommits);
  std::vector<std::pair<int64_t, int64_t>> ranges;
  int64_t high = -1;
  for (const auto& f : snap->files()) {
    ASSERT_TRUE(f.base_row_id && f.default_row_commit_version) << f.path;
    const int64_t n = *NumRecordsFromStats(f.stats);
    ranges.emplace_back(*f.base_row_id, *f.base_row_id + n);
    high = std::max(high, *f.base_row_id + n - 1);
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    EXPECT_LE(ranges[i - 1].second, ranges[i].first) << "overlapping row id ranges";
  }
  auto d = json::parse(snap->domain_metadata().at("delta.rowTracking").configuration);
  EXPECT_EQ(d["rowIdHighWaterMark"].get<int64_t>(), high);
  // Each file's default row commit version is the version that added it.
  auto seg = BuildLogSegment(*store, std::nullopt);
  for (const auto& c : seg.all_commits) {
    for (const auto& a : ReadCommitActions(*store, c)) {
      if (const auto* add = std::get_if<AddFile>(&a)) {
        EXPECT_EQ(*add->default_row_commit_version, c.version);
      }
    }
  }
}

TEST(TableFeaturesTest, NewTablesKeepTheLowestLegacyVersions) {
  // Creation chooses the lowest protocol that has the features, as Spark does; only turning a
  // feature on in an existing table moves to table features.
  for (const auto& [k, v, reader, writer] :
       std::vector<std::tuple<std::string, std::string, int, int>>{
           {"delta.enableChangeDataFeed", "true", 1, 4},
           {"delta.columnMapping.mode", "name", 2, 5}}) {
    TempDir dir;
    auto store = storage::OpenObjectStore((dir.path() / "t").string());
    Write(store, Rows(0, 3), 1000, WriteMode::kAppend, {{k, v}});
    const Protocol p = SnapshotBuilder(store).Build()->protocol();
    EXPECT_EQ(p.min_reader_version, reader) << k;
    EXPECT_EQ(p.min_writer_version, writer) << k;
    EXPECT_FALSE(p.writer_features) << k;
    // A legacy table that already has the feature is left as it is.
    SetTableProperties(store, {{k, v}, {"some.property", "x"}});
    EXPECT_EQ(SnapshotBuilder(store).Build()->protocol(), p) << k;
  }
}

// The materialised row-tracking column names are in the metadata from the commit that turns
// row tracking on (creation included), not only after the first DML or OPTIMIZE.
TEST(RowTrackingTest, MaterializedColumnNamesSetWithTheMetadata) {
  auto names_of = [](const Snapshot& s) {
    const auto& c = s.metadata().configuration;
    auto id = c.find(std::string(kMaterializedRowIdColumnKey));
    auto version = c.find(std::string(kMaterializedRowCommitVersionColumnKey));
    return std::make_pair(id == c.end() ? "" : id->second,
                          version == c.end() ? "" : version->second);
  };
  TempDir dir;
  auto created = storage::OpenObjectStore((dir.path() / "created").string());
  CreateOptions co;
  co.schema = RowSchema();
  co.properties = {{"delta.enableRowTracking", "true"}};
  CreateDeltaTable(created, co);
  auto [id, version] = names_of(*SnapshotBuilder(created).AtVersion(0).Build());
  EXPECT_EQ(id.rfind("_row-id-col-", 0), 0u) << id;
  EXPECT_EQ(version.rfind("_row-commit-version-col-", 0), 0u) << version;
  // Kept by later metadata changes and by DML (which used to add them in its own commit).
  Write(created, Rows(0, 4), 1000);
  SetTableProperties(created, {{"some.property", "x"}});
  Delete(created, "id = 1");
  EXPECT_EQ(names_of(*SnapshotBuilder(created).Build()), std::make_pair(id, version));

  auto written = storage::OpenObjectStore((dir.path() / "written").string());
  Write(written, Rows(0, 4), 1000, WriteMode::kAppend, {{"delta.enableRowTracking", "true"}});
  EXPECT_FALSE(names_of(*SnapshotBuilder(written).AtVersion(0).Build()).first.empty());

  auto altered = storage::OpenObjectStore((dir.path() / "altered").string());
  Write(altered, Rows(0, 4), 1000);
  EXPECT_TRUE(names_of(*SnapshotBuilder(altered).Build()).first.empty());
  SetTableProperties(altered, {{"delta.enableRowTracking", "true"}});
  auto [aid, aversion] = names_of(*SnapshotBuilder(altered).Build());
  EXPECT_FALSE(aid.empty());
  EXPECT_FALSE(aversion.empty());
  EXPECT_NE(aid, aversion);

  // A table without row tracking gets no names.
  auto plain = storage::OpenObjectStore((dir.path() / "plain").string());
  Write(plain, Rows(0, 4), 1000, WriteMode::kAppend, {{"delta.enableChangeDataFeed", "true"}});
  EXPECT_TRUE(names_of(*SnapshotBuilder(plain).Build()).first.empty());
}

// Checks that every live file has row ids, in disjoint ranges below the high-water mark.
void ExpectRowIdsOnEveryFile(const Snapshot& snap) {
  std::vector<std::pair<int64_t, int64_t>> ranges;
  int64_t high = -1;
  for (const auto& f : snap.files()) {
    ASSERT_TRUE(f.base_row_id.has_value()) << f.path;
    ASSERT_TRUE(f.default_row_commit_version.has_value()) << f.path;
    const int64_t n = *NumRecordsFromStats(f.stats);
    ranges.emplace_back(*f.base_row_id, *f.base_row_id + n);
    high = std::max(high, *f.base_row_id + n - 1);
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    EXPECT_LE(ranges[i - 1].second, ranges[i].first) << "overlapping row id ranges";
  }
  auto d = json::parse(snap.domain_metadata().at("delta.rowTracking").configuration);
  EXPECT_GE(d["rowIdHighWaterMark"].get<int64_t>(), high);
}

// PROTOCOL.md "Row IDs": every file of the version that sets delta.enableRowTracking must have
// baseRowId. Enabling it on a table with files re-adds them with row ids in that commit.
TEST(RowTrackingTest, EnablingOnAnExistingTableBackfillsRowIds) {
  TempDir dir;
  auto store = storage::OpenObjectStore((dir.path() / "t").string());
  Write(store, Rows(0, 5), 1000, WriteMode::kAppend, {{"delta.enableDeletionVectors", "true"}});
  Write(store, Rows(5, 7), 2000);
  Write(store, Rows(12, 3), 3000);
  Delete(store, "id = 6");  // a file with a DV keeps it
  const auto before = SnapshotBuilder(store).Build();
  ASSERT_EQ(before->files().size(), 3u);
  const auto rows_before = RowsOf(before);
  const WriteResult r = SetTableProperties(store, {{"delta.enableRowTracking", "true"}});
  const auto after = SnapshotBuilder(store).Build();
  ExpectRowIdsOnEveryFile(*after);
  EXPECT_EQ(after->files().size(), 3u);
  EXPECT_EQ(RowsOf(after), rows_before);
  for (const auto& f : after->files()) {
    EXPECT_EQ(*f.default_row_commit_version, r.version);
    // The same file, size, stats and DV.
    auto old = std::find_if(before->files().begin(), before->files().end(),
                            [&](const AddFile& o) { return o.path == f.path; });
    ASSERT_NE(old, before->files().end()) << f.path;
    EXPECT_EQ(old->size, f.size);
    EXPECT_EQ(old->stats, f.stats);
    EXPECT_EQ(old->deletion_vector.has_value(), f.deletion_vector.has_value());
  }
  // The re-adds change no data: the change feed of that version is empty, and the commit
  // says what it did.
  auto seg = BuildLogSegment(*store, std::nullopt);
  int readds = 0;
  for (const auto& a : ReadCommitActions(*store, seg.all_commits.back())) {
    if (const auto* add = std::get_if<AddFile>(&a)) {
      EXPECT_FALSE(add->data_change);
      ++readds;
    }
    EXPECT_FALSE(std::holds_alternative<RemoveFile>(a));
  }
  EXPECT_EQ(readds, 3);
  EXPECT_EQ(CommitInfoJson(*store, r.version)["operationMetrics"]["numRowTrackingBackfilledFiles"],
            "3");
  // New rows continue above the backfilled ids.
  Write(store, Rows(100, 4), 4000);
  ExpectRowIdsOnEveryFile(*SnapshotBuilder(store).Build());

  // Made supported first (delta.feature.rowTracking), enabled later: the files get their ids
  // in the commit that makes row tracking supported.
  auto two_step = storage::OpenObjectStore((dir.path() / "two_step").string());
  Write(two_step, Rows(0, 5), 1000);
  SetTableProperties(two_step, {{"delta.feature.rowTracking", "supported"}});
  Write(two_step, Rows(5, 5), 2000);
  auto mid = SnapshotBuilder(two_step).Build();
  int without = 0;
  for (const auto& f : mid->files()) without += f.base_row_id ? 0 : 1;
  EXPECT_EQ(without, 0) << "making row tracking supported assigns ids too";
  SetTableProperties(two_step, {{"delta.enableRowTracking", "true"}});
  ExpectRowIdsOnEveryFile(*SnapshotBuilder(two_step).Build());
}

// A commit that backfills row ids conflicts with a concurrent append, whose file would have
// none.
TEST(RowTrackingTest, BackfillConflictsWithAConcurrentAppend) {
  TempDir dir;
  auto store = storage::OpenObjectStore((dir.path() / "t").string());
  Write(store, Rows(0, 5), 1000);
  auto snap = SnapshotBuilder(store).Build();
  CommitOptions co;
  co.operation = "SET TBLPROPERTIES";
  Transaction txn(store, snap, co);
  Metadata m = snap->metadata();
  m.configuration["delta.enableRowTracking"] = "true";
  txn.UpdateProtocol(RequiredProtocol(snap->protocol(), m, ProtocolUpgrade::kTableFeatures));
  txn.UpdateMetadata(m);
  Write(store, Rows(5, 5), 2000);  // a blind append wins the race
  EXPECT_THROW(txn.Commit(), CommitConflict);
  // Done again, it backfills both files.
  SetTableProperties(store, {{"delta.enableRowTracking", "true"}});
  ExpectRowIdsOnEveryFile(*SnapshotBuilder(store).Build());
}

TEST(DomainMetadataTest, ReadWrittenAndConflictChecked) {
  TempDir dir;
  auto store = storage::OpenObjectStore((dir.path() / "t").string());
  Write(store, Rows(0, 1), 1000);
  auto base = SnapshotBuilder(store).Build();
  DomainMetadata d{"app.settings", R"({"k":1})", false};
  {
    Transaction txn(store, base, {});
    txn.SetDomainMetadata(d);
    EXPECT_THROW(txn.Commit(), Unsupported);  // needs the domainMetadata feature
  }
  SetTableProperties(store, {{"delta.feature.domainMetadata", "supported"}});
  base = SnapshotBuilder(store).Build();
  Transaction a(store, base, {}), b(store, base, {}), c(store, base, {});
  a.SetDomainMetadata(d);
  b.SetDomainMetadata(DomainMetadata{"app.settings", R"({"k":2})", false});
  c.SetDomainMetadata(DomainMetadata{"app.other", "x", false});
  a.Commit();
  EXPECT_THROW(b.Commit(), CommitConflict);  // the same domain
  EXPECT_EQ(c.Commit().attempts, 2);         // another domain: retried, no conflict
  auto snap = SnapshotBuilder(store).Build();
  EXPECT_EQ(snap->domain_metadata().at("app.settings").configuration, R"({"k":1})");
  EXPECT_EQ(snap->domain_metadata().at("app.other").configuration, "x");
  // Removal, and the reserved delta.* domains.
  Transaction rm(store, snap, {});
  rm.SetDomainMetadata(DomainMetadata{"app.other", "x", true});
  rm.Commit();
  EXPECT_FALSE(SnapshotBuilder(store).Build()->domain_metadata().count("app.other"));
  Transaction bad(store, SnapshotBuilder(store).Build(), {});
  bad.SetDomainMetadata(DomainMetadata{"delta.rowTracking", "{}", false});
  EXPECT_THROW(bad.Commit(), InvalidInput);
}

}  // namespace
}  // namespace cpglake::delta
