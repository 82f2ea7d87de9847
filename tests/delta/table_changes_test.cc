// Change data feed over the corpus' CDF tables: for every commit, the table at version v
// equals the table at v-1 minus the deleted/pre-image rows plus the inserted/post-image
// rows of changes(v, v) — the feed must agree with the snapshots it describes.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "columnar/value_format.h"
#include "common/error.h"
#include "delta/scan.h"
#include "delta/snapshot.h"
#include "delta/table_changes.h"
#include "test_util.h"

namespace cpglake::delta {
namespace {

namespace fs = std::filesystem;

std::multiset<std::string> Rows(const columnar::RecordBatch& b, size_t num_cols) {
  std::multiset<std::string> out;
  std::vector<std::string> names;
  for (size_t i = 0; i < num_cols; ++i) names.push_back(b.schema().field(i).name);
  auto p = b.Project(names);
  for (int64_t r = 0; r < p.num_rows(); ++r) {
    std::string line;
    columnar::AppendJsonRow(p, r, columnar::JsonStyle::kCanonical, &line);
    out.insert(line);
  }
  return out;
}

TEST(TableChangesTest, FeedAgreesWithSnapshotsOnEveryCdfTable) {
  int checked = 0;
  auto root = ::cpglake::testing::TestDataDir() / "delta-acceptance/kernel_data";
  for (const auto& e : fs::directory_iterator(root)) {
    std::string name = e.path().filename().string();
    if (name.find("cdf") == std::string::npos) continue;
    // Hand-written change files ("Manual Update") that describe rows the table never had:
    // read (below), but not a consistent feed.
    const bool synthetic = name == "cdf-table-update-ops";
    SCOPED_TRACE(name);
    auto store = storage::OpenObjectStore(e.path().string());
    auto latest = SnapshotBuilder(store).Build();
    const size_t ncols = latest->schema().num_fields();
    auto history = ReadHistory(*store, latest->log_segment(), 0, latest->version());
    for (int64_t v = 1; v <= latest->version(); ++v) {
      SCOPED_TRACE(v);
      // Commits written by hand for reader tests ("Manual Update") carry change files that
      // describe no real change of the table: read them, but do not check consistency.
      bool manual = synthetic;
      for (const auto& h : history) {
        if (h.version == v && h.commit_info && h.commit_info->operation == "Manual Update") {
          manual = true;
        }
      }
      std::multiset<std::string> before, after;
      columnar::RecordBatch changes;
      try {
        auto s0 = SnapshotBuilder(store).AtVersion(v - 1).Build();
        auto s1 = SnapshotBuilder(store).AtVersion(v).Build();
        if (s0->schema().num_fields() != ncols || s1->schema().num_fields() != ncols) continue;
        before = Rows(ScanBuilder(s0).Build().ReadAll(), ncols);
        after = Rows(ScanBuilder(s1).Build().ReadAll(), ncols);
        changes = TableChanges(store, v, v).ReadAll();
      } catch (const InvalidInput& err) {
        // CDF not enabled at this version: a clear error is the contract.
        EXPECT_NE(std::string(err.what()).find("change data feed is not enabled"),
                  std::string::npos)
            << err.what();
        continue;
      } catch (const Unsupported&) {
        continue;
      } catch (const NotFound&) {
        continue;  // a log-only table (its data files were never shipped)
      }
      const auto* type = changes.ColumnByName("_change_type");
      ASSERT_NE(type, nullptr);
      std::multiset<std::string> expected = before;
      auto rows = Rows(changes, ncols);
      std::vector<std::string> ordered;
      for (int64_t r = 0; r < changes.num_rows(); ++r) {
        std::string line;
        std::vector<std::string> names;
        for (size_t i = 0; i < ncols; ++i) names.push_back(changes.schema().field(i).name);
        auto p = changes.Project(names);
        columnar::AppendJsonRow(p, r, columnar::JsonStyle::kCanonical, &line);
        std::string t(type->GetString(r));
        // cdf-table-update-ops was written by hand with "update_pre"/"update_post".
        if (manual) continue;
        if (t == "delete" || t.rfind("update_pre", 0) == 0) {
          auto it = expected.find(line);
          ASSERT_NE(it, expected.end())
              << t << " of a row not in version " << v - 1 << ": " << line;
          expected.erase(it);
        } else {
          ASSERT_TRUE(t == "insert" || t.rfind("update_post", 0) == 0) << t;
          expected.insert(line);
        }
      }
      if (!manual) {
        EXPECT_EQ(expected, after);
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 20);
}

TEST(TableChangesTest, RangeErrorsAreClear) {
  auto root = ::cpglake::testing::TestDataDir() / "delta-acceptance/kernel_data/cdf-table-simple";
  auto store = storage::OpenObjectStore(root.string());
  EXPECT_THROW(TableChanges(store, 5, 2), InvalidInput);
  EXPECT_THROW(TableChanges(store, 0, 999), NotFound);
}

}  // namespace
}  // namespace cpglake::delta
