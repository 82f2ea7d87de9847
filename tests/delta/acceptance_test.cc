// The Delta reader against the acceptance corpus (../shared/testdata/delta-acceptance):
// real tables written by Spark, delta-rs and the Delta kernels. See its README and
// manifest.tsv for what each table expects.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "columnar/value_format.h"
#include "common/error.h"
#include "delta/actions.h"
#include "delta/scan.h"
#include "delta/snapshot.h"
#include "delta/stats.h"
#include "parquet/file_reader.h"
#include "test_util.h"

namespace cpglake::delta {
namespace {

namespace fs = std::filesystem;
using ::cpglake::testing::TestDataDir;

struct Case {
  std::string root;         // relative to delta-acceptance/
  std::string expectation;  // golden | negative | skip | unlisted | assertions-in-upstream-code
  std::string note;
};

std::vector<Case> Manifest() {
  std::vector<Case> out;
  std::ifstream in(TestDataDir() / "delta-acceptance/manifest.tsv");
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    size_t start = 0;
    while (true) {
      size_t tab = line.find('\t', start);
      cols.push_back(line.substr(start, tab == std::string::npos ? tab : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    if (cols.size() < 4) continue;
    out.push_back({cols[0], cols[3], cols.size() > 4 ? cols[4] : ""});
  }
  return out;
}

fs::path Root(const Case& c) {
  return TestDataDir() / "delta-acceptance" / c.root;
}

std::vector<std::string> CanonicalRows(const columnar::RecordBatch& b) {
  std::vector<std::string> rows;
  for (int64_t r = 0; r < b.num_rows(); ++r) {
    std::string line;
    columnar::AppendJsonRow(b, r, columnar::JsonStyle::kCanonical, &line);
    rows.push_back(std::move(line));
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

// Rows of the expected/ Parquet files (names starting with _ or . ignored).
std::optional<columnar::RecordBatch> ExpectedRows(const fs::path& expected_dir) {
  std::optional<columnar::RecordBatch> all;
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(expected_dir)) {
    if (!e.is_regular_file() || e.path().extension() != ".parquet") continue;
    bool hidden = false;
    for (const auto& part : fs::relative(e.path(), expected_dir)) {
      std::string s = part.string();
      if (!s.empty() && (s[0] == '_' || s[0] == '.')) hidden = true;
    }
    if (!hidden) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    auto batch = parquet::ParquetFileReader::OpenPath(f.string())->ReadAll();
    if (!all) {
      all = batch;
    } else {
      all->Append(batch);
    }
  }
  return all;
}

TEST(DeltaAcceptanceTest, GoldenTablesEqualTheirExpectedRows) {
  int checked = 0;
  for (const auto& c : Manifest()) {
    if (c.expectation != "golden") continue;
    SCOPED_TRACE(c.root);
    fs::path expected = Root(c).parent_path() / "expected";
    std::shared_ptr<const Snapshot> snap;
    columnar::RecordBatch ours;
    try {
      snap = OpenSnapshot(Root(c).string());
      // Log-only tables (no expected rows) are checked by loading their snapshot.
      if (fs::exists(expected)) ours = ScanBuilder(snap).Build().ReadAll();
    } catch (const Error& e) {
      ADD_FAILURE() << "failed: " << e.what();
      continue;
    }
    ++checked;
    if (!fs::exists(expected)) continue;  // e.g. checkpoint_test: loading is the check
    auto exp = ExpectedRows(expected);
    ASSERT_TRUE(exp.has_value());
    // Same column names (compare in the expected order) and types.
    std::vector<std::string> names;
    for (const auto& f : exp->schema().fields()) names.push_back(f.name);
    columnar::RecordBatch projected;
    try {
      projected = ours.Project(names);
    } catch (const Error& e) {
      ADD_FAILURE() << "columns differ: ours " << ours.schema().ToString() << " expected "
                    << exp->schema().ToString();
      continue;
    }
    for (size_t i = 0; i < names.size(); ++i) {
      EXPECT_EQ(projected.schema().field(i).type->ToString(),
                exp->schema().field(i).type->ToString())
          << "column " << names[i];
    }
    auto a = CanonicalRows(projected), b = CanonicalRows(*exp);
    ASSERT_EQ(a.size(), b.size()) << "row counts differ";
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i] != b[i]) {
        ADD_FAILURE() << "row differs\n ours:     " << a[i].substr(0, 1000)
                      << "\n expected: " << b[i].substr(0, 1000);
        break;
      }
    }
  }
  EXPECT_EQ(checked, 68);
}

TEST(DeltaAcceptanceTest, NegativeTablesFailClearly) {
  int checked = 0;
  for (const auto& c : Manifest()) {
    if (c.expectation != "negative") continue;
    SCOPED_TRACE(c.root);
    ++checked;
    try {
      auto snap = OpenSnapshot(Root(c).string());
      ScanBuilder(snap).Build().ReadAll();
      ADD_FAILURE() << "expected an error";
    } catch (const Error& e) {
      EXPECT_FALSE(std::string(e.what()).empty());
    }
  }
  EXPECT_EQ(checked, 7);
}

// The last protocol and metaData actions of the JSON commits (when newer than any checkpoint).
std::pair<std::optional<Protocol>, std::optional<Metadata>> LastInCommits(const fs::path& root) {
  std::optional<Protocol> p;
  std::optional<Metadata> m;
  std::vector<fs::path> commits;
  for (const auto& e : fs::directory_iterator(root / "_delta_log")) {
    auto f = ParseLogFileName(e.path().filename().string());
    if (f && f->kind == LogFile::Kind::kCommit) commits.push_back(e.path());
  }
  std::sort(commits.begin(), commits.end());
  for (const auto& c : commits) {
    std::ifstream in(c);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (auto& a : ParseActionsJson(text, c.string())) {
      if (auto* x = std::get_if<Protocol>(&a)) p = *x;
      if (auto* x = std::get_if<Metadata>(&a)) m = *x;
    }
  }
  return {p, m};
}

// Whether every live data file exists (some corpus tables ship only their log).
bool HasAllData(const Snapshot& snap) {
  for (const auto& f : snap.files()) {
    std::string p = storage::UriDecode(f.path);
    if (p.rfind("file:", 0) == 0 || (!p.empty() && p[0] == '/')) return false;
    if (!snap.store()->Exists(p)) return false;
  }
  return true;
}

TEST(DeltaAcceptanceTest, EveryOtherTableLoadsConsistently) {
  std::map<std::string, std::string> refused;
  int loaded = 0;
  for (const auto& c : Manifest()) {
    if (c.expectation == "golden" || c.expectation == "negative") continue;
    SCOPED_TRACE(c.root);
    if (!fs::exists(Root(c) / "_delta_log")) continue;
    std::shared_ptr<const Snapshot> snap;
    try {
      snap = OpenSnapshot(Root(c).string());
      ++loaded;
      // Some tables are logs only (their data files were never shipped): scan the rest.
      if (!HasAllData(*snap)) continue;
      auto scan = ScanBuilder(snap).Build();
      int64_t rows = 0;
      scan.Execute([&](const columnar::RecordBatch& b) { rows += b.num_rows(); });
      // Rows = sum of numRecords minus deleted rows, when every file has stats.
      if (auto expected = snap->total_rows()) {
        EXPECT_EQ(rows, *expected);
      }
      // Protocol and metadata equal the newest ones in the log.
      auto [p, m] = LastInCommits(Root(c));
      if (p && !snap->log_segment().checkpoint_version) {
        EXPECT_EQ(snap->protocol(), *p);
      }
      if (m && !snap->log_segment().checkpoint_version) {
        EXPECT_EQ(snap->metadata(), *m);
      }
    } catch (const Unsupported& e) {
      refused[c.root] = e.what();
    } catch (const Error& e) {
      // Known-odd tables, tables without metadata and a log without commits must fail
      // cleanly; everything else must load.
      if (c.expectation == "skip" || c.expectation == "unlisted" ||
          e.category() == ErrorCategory::kNotFound) {
        refused[c.root] = "(" + c.expectation + ") " + e.what();
      } else {
        ADD_FAILURE() << "failed: " << e.what();
      }
    }
  }
  for (const auto& [root, why] : refused)
    std::printf("refused %s: %s\n", root.c_str(), why.c_str());
  EXPECT_GT(loaded, 50);
}

TEST(DeltaAcceptanceTest, TimeTravelToEveryVersion) {
  int versions = 0;
  for (const auto& c : Manifest()) {
    if (c.expectation == "negative") continue;
    if (!fs::exists(Root(c) / "_delta_log")) continue;
    SCOPED_TRACE(c.root);
    std::shared_ptr<const Snapshot> latest;
    try {
      latest = OpenSnapshot(Root(c).string());
    } catch (const Error&) {
      continue;  // covered by the other tests
    }
    const auto& seg = latest->log_segment();
    for (const auto& commit : seg.all_commits) {
      if (commit.version == latest->version()) continue;
      SCOPED_TRACE(commit.version);
      try {
        auto snap = OpenSnapshot(Root(c).string(), commit.version);
        EXPECT_EQ(snap->version(), commit.version);
        if (!HasAllData(*snap)) continue;
        int64_t rows = 0;
        ScanBuilder(snap).Build().Execute(
            [&](const columnar::RecordBatch& b) { rows += b.num_rows(); });
        if (auto expected = snap->total_rows()) {
          EXPECT_EQ(rows, *expected);
        }
        ++versions;
      } catch (const NotFound&) {
        // Older than the retained log (no checkpoint covers it): a clear error is right.
      } catch (const Unsupported&) {
      } catch (const Error& e) {
        ADD_FAILURE() << "version " << commit.version << ": " << e.what();
      }
    }
  }
  EXPECT_GT(versions, 50);
}

}  // namespace
}  // namespace cpglake::delta
