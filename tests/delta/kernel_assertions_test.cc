// The exact expectations of delta-kernel-rs's own tests for the tables of
// delta-acceptance/kernel_data (copied from its kernel/tests/data), restated against our
// engine. acceptance_test.cc only checks generic invariants for these tables; here each
// test names the upstream test it ports (file: function) and asserts the values upstream
// asserts: app transaction versions, rows of full and filtered scans, change data feed rows
// per version range, file and row-group skipping counts, checkpoint and log-segment shape.
//
// Two differences of model are translated, not ported literally:
//  * delta-kernel-rs skips files (and would skip row groups) but does not filter rows, so
//    its expected rows for a predicate are "every row of every surviving file". We filter
//    rows exactly, so each such test asserts the surviving files (Scan::files()) against
//    upstream's file set and the rows the predicate selects from them.
//  * Upstream's pretty-printed tables become "a|b|c" lines (columnar::FormatCell: NULL for
//    null, timestamps with microseconds, doubles as shortest round-trip digits), sorted.
//
// Where our engine disagrees with upstream the test is DISABLED_ (run them with
// --gtest_also_run_disabled_tests); its comment gives upstream's value, ours, and where we
// believe the difference comes from.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "columnar/value_format.h"
#include "common/error.h"
#include "delta/actions.h"
#include "delta/checkpoint_reader.h"
#include "delta/checkpoint_writer.h"
#include "delta/deletion_vector.h"
#include "delta/scan.h"
#include "delta/schema_json.h"
#include "delta/snapshot.h"
#include "delta/stats.h"
#include "delta/table_changes.h"
#include "delta/writer.h"
#include "expr/parser.h"
#include "parquet/file_reader.h"
#include "storage/object_store.h"
#include "test_util.h"

namespace cpglake::delta {
namespace {

namespace fs = std::filesystem;
using Lines = std::vector<std::string>;

fs::path TablePath(const std::string& name) {
  return ::cpglake::testing::TestDataDir() / "delta-acceptance/kernel_data" / name;
}

std::shared_ptr<const Snapshot> Open(const std::string& name,
                                     std::optional<int64_t> version = std::nullopt) {
  return OpenSnapshot(TablePath(name).string(), version);
}

Lines Sorted(Lines lines) {
  std::sort(lines.begin(), lines.end());
  return lines;
}

// Every row as "c1|c2|...", sorted.
Lines ToLines(const columnar::RecordBatch& b) {
  Lines out;
  for (int64_t r = 0; r < b.num_rows(); ++r) {
    std::string line;
    for (size_t c = 0; c < b.num_columns(); ++c) {
      if (c) line += '|';
      line += columnar::FormatCell(b.column(c), r);
    }
    out.push_back(std::move(line));
  }
  return Sorted(std::move(out));
}

struct ScanResult {
  Lines rows;
  std::vector<std::string> files;  // paths of the files that survive skipping
  ScanMetrics metrics;             // after reading
};

// Scans `table` (latest version) with an optional projection and predicate text.
ScanResult ScanTable(const std::string& table, const std::vector<std::string>& columns = {},
                     const std::string& predicate = "") {
  ScanBuilder builder(Open(table));
  if (!columns.empty()) builder.WithColumns(columns);
  if (!predicate.empty()) builder.WithPredicate(expr::ParsePredicate(predicate));
  Scan scan = builder.Build();
  ScanResult out;
  for (const AddFile* f : scan.files()) out.files.push_back(f->path);
  std::sort(out.files.begin(), out.files.end());
  out.rows = ToLines(scan.ReadAll());
  out.metrics = scan.metrics();
  return out;
}

// Files that survive skipping for `predicate`, without reading data.
size_t SelectedFiles(const std::string& table, const std::string& predicate) {
  return ScanBuilder(Open(table))
      .WithPredicate(expr::ParsePredicate(predicate))
      .Build()
      .files()
      .size();
}

// The change data feed of versions [start, end] projected to `columns`, sorted.
Lines Changes(const std::string& table, int64_t start, std::optional<int64_t> end,
              const std::vector<std::string>& columns) {
  auto store = storage::OpenObjectStore(TablePath(table).string());
  return ToLines(TableChanges(store, start, end).ReadAll().Project(columns));
}

std::vector<std::string> FieldNames(const columnar::Schema& schema) {
  std::vector<std::string> names;
  for (const auto& f : schema.fields()) names.push_back(f.name);
  return names;
}

// ======================================================================================
// App transactions — kernel/src/actions/set_transaction.rs
// ======================================================================================

// set_transaction.rs: test_txn (basic_partitioned).
TEST(KernelAppTxnTest, TableWithoutTxnHasNone) {
  EXPECT_TRUE(Open("basic_partitioned")->app_transactions().empty());
}

// set_transaction.rs: test_txn (app-txn-no-checkpoint, app-txn-checkpoint). Both tables log
// my-app twice (versions 1 then 3) and my-app2 once (version 2, no lastUpdated); the newest
// action per app id wins, with or without a checkpoint in between.
TEST(KernelAppTxnTest, LatestVersionPerAppWithAndWithoutCheckpoint) {
  for (const char* name : {"app-txn-no-checkpoint", "app-txn-checkpoint"}) {
    SCOPED_TRACE(name);
    auto snap = Open(name);
    const auto& txns = snap->app_transactions();
    ASSERT_EQ(txns.size(), 2u);
    ASSERT_TRUE(txns.count("my-app"));
    EXPECT_EQ(txns.at("my-app").version, 3);
    ASSERT_TRUE(txns.count("my-app2"));
    EXPECT_EQ(txns.at("my-app2"), (Txn{"my-app2", 2, std::nullopt}));
  }
  // The checkpoint variant really is read through its checkpoint (version 1).
  auto snap = Open("app-txn-checkpoint");
  EXPECT_EQ(snap->log_segment().checkpoint_version, std::optional<int64_t>(1));
}

// set_transaction.rs: test_get_all_returns_every_txn_unfiltered. The snapshot keeps every app
// id whatever its lastUpdated (retention is the caller's business).
TEST(KernelAppTxnTest, EveryTxnIsKeptRegardlessOfLastUpdated) {
  auto snap = Open("app-txn-with-last-updated");
  const auto& txns = snap->app_transactions();
  ASSERT_EQ(txns.size(), 4u);
  EXPECT_EQ(txns.at("new_app_0"), (Txn{"new_app_0", 1, std::nullopt}));
  EXPECT_EQ(txns.at("new_app_1"), (Txn{"new_app_1", 1, 1000}));
  EXPECT_EQ(txns.at("new_app_2"), (Txn{"new_app_2", 1, 1002}));
  EXPECT_EQ(txns.at("old_app"), (Txn{"old_app", 1, 1747935650}));
}

// A copy of a corpus table in a temporary directory (the corpus is read-only).
fs::path CopyTable(const std::string& name, const fs::path& dir) {
  const fs::path copy = dir / "t";
  fs::copy(TablePath(name), copy, fs::copy_options::recursive);
  fs::permissions(copy, fs::perms::owner_write, fs::perm_options::add);
  for (const auto& e : fs::recursive_directory_iterator(copy)) {
    fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  }
  return copy;
}

// The app ids a checkpoint of app-txn-with-last-updated keeps (written to a copy).
std::set<std::string> TxnsKeptByCheckpoint() {
  ::cpglake::testing::TempDir tmp;
  const fs::path copy = CopyTable("app-txn-with-last-updated", tmp.path());
  auto result = WriteCheckpoint(*OpenSnapshot(copy.string()));
  EXPECT_EQ(result.version, 3);
  auto after = OpenSnapshot(copy.string());
  EXPECT_EQ(after->log_segment().checkpoint_version, std::optional<int64_t>(3));
  std::set<std::string> ids;
  for (const auto& [id, t] : after->app_transactions()) ids.insert(id);
  EXPECT_EQ(static_cast<size_t>(result.num_txns), ids.size());
  return ids;
}

// action_reconciliation/log_replay.rs: check_txn_action (delta-kernel-rs #3001). The table
// sets delta.setTransactionRetentionDuration = "interval 1 days" and every lastUpdated in it
// is from 1970: a checkpoint drops new_app_1, new_app_2 and old_app.
TEST(KernelAppTxnTest, CheckpointDropsExpiredTxns) {
  auto kept = TxnsKeptByCheckpoint();
  EXPECT_FALSE(kept.count("new_app_1"));
  EXPECT_FALSE(kept.count("new_app_2"));
  EXPECT_FALSE(kept.count("old_app"));
}

// The same, for new_app_0, which has no lastUpdated: delta-kernel-rs never expires such a
// txn (SetTransaction::is_expired: "a None last_updated never expires") and keeps it in the
// checkpoint. We drop it, as delta-spark does (InMemoryLogReplay.getTransactions keeps a txn
// only when `lastUpdated.exists(_ > minSetTransactionRetentionTimestamp)`);
// checkpoint_writer.cc SelectContent follows Spark. Upstream expects {new_app_0}; we keep {}.
TEST(KernelAppTxnTest, DISABLED_CheckpointKeepsTxnWithoutLastUpdated) {
  EXPECT_EQ(TxnsKeptByCheckpoint(), std::set<std::string>{"new_app_0"});
}

// set_transaction.rs: test_replay_for_app_ids — a five-part checkpoint holding two app ids.
TEST(KernelAppTxnTest, TxnsFromMultiPartCheckpoint) {
  auto snap = Open("parquet_row_group_skipping");
  EXPECT_EQ(snap->log_segment().checkpoint_files.size(), 5u);
  const auto& txns = snap->app_transactions();
  ASSERT_EQ(txns.size(), 2u);
  EXPECT_EQ(txns.at("3ae45b72-24e1-865a-a211-34987ae02f2a").version, 4390);
  EXPECT_EQ(txns.at("b42b951f-f5d1-4f6e-be2a-0d11d1543029").version, 1235);
}

// ======================================================================================
// basic_partitioned — kernel/tests/integration/read/mod.rs
// ======================================================================================

// read/mod.rs: data, column_ordering, column_ordering_and_projection.
TEST(KernelReadTest, BasicPartitionedRowsAndColumnOrder) {
  auto all = ScanTable("basic_partitioned");
  EXPECT_EQ(all.rows,
            Sorted({"NULL|6|6.6", "a|1|1.1", "a|4|4.4", "b|2|2.2", "c|3|3.3", "e|5|5.5"}));
  EXPECT_EQ(all.files.size(), 6u);

  Scan s =
      ScanBuilder(Open("basic_partitioned")).WithColumns({"a_float", "letter", "number"}).Build();
  EXPECT_EQ(FieldNames(s.schema()), (std::vector<std::string>{"a_float", "letter", "number"}));
  EXPECT_EQ(ToLines(s.ReadAll()),
            Sorted({"6.6|NULL|6", "4.4|a|4", "5.5|e|5", "1.1|a|1", "2.2|b|2", "3.3|c|3"}));

  auto two = ScanTable("basic_partitioned", {"a_float", "number"});
  EXPECT_EQ(two.rows, Sorted({"6.6|6", "4.4|4", "5.5|5", "1.1|1", "2.2|2", "3.3|3"}));
}

// "n.n|n" lines of basic_partitioned projected to (a_float, number).
Lines Numbers(std::initializer_list<int> nums) {
  Lines out;
  for (int n : nums)
    out.push_back(std::to_string(n) + "." + std::to_string(n) + "|" + std::to_string(n));
  return Sorted(out);
}

// "letter|number" lines of basic_partitioned for the given letters (non-null letters).
Lines Letters(const std::string& letters) {
  const std::vector<std::pair<int, char>> rows = {{1, 'a'}, {2, 'b'}, {3, 'c'}, {4, 'a'}, {5, 'e'}};
  Lines out;
  for (auto [num, letter] : rows) {
    if (letters.find(letter) != std::string::npos) {
      out.push_back(std::string(1, letter) + "|" + std::to_string(num));
    }
  }
  return Sorted(out);
}

constexpr size_t kUnchecked = static_cast<size_t>(-1);

struct PredCase {
  std::string predicate;
  Lines rows;
  // Files upstream keeps (each basic_partitioned file holds one row, so upstream's row
  // expectations, which come from file skipping alone, fix the surviving file set).
  size_t files;
};

// read/mod.rs: predicate_on_number, predicate_on_number_not, predicate_on_number_with_not_null,
// predicate_null — stats on `number` (min = max per file) skip exactly the non-matching files.
TEST(KernelReadTest, BasicPartitionedPredicatesOnNumber) {
  const std::vector<PredCase> cases = {
      {"number < 4", Numbers({1, 2, 3}), 3},
      {"number <= 4", Numbers({1, 2, 3, 4}), 4},
      {"number > 4", Numbers({5, 6}), 2},
      {"number >= 4", Numbers({4, 5, 6}), 3},
      {"number = 4", Numbers({4}), 1},
      {"number != 4", Numbers({1, 2, 3, 5, 6}), 5},
      {"NOT number < 4", Numbers({4, 5, 6}), 3},
      {"NOT number <= 4", Numbers({5, 6}), 2},
      {"NOT number > 4", Numbers({1, 2, 3, 4}), 4},
      {"NOT number >= 4", Numbers({1, 2, 3}), 3},
      {"NOT number = 4", Numbers({1, 2, 3, 5, 6}), 5},
      {"NOT number != 4", Numbers({4}), 1},
      {"number IS NOT NULL AND number < 3", Numbers({1, 2}), 2},
      {"number IS NULL", {}, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.predicate);
    auto r = ScanTable("basic_partitioned", {"a_float", "number"}, c.predicate);
    EXPECT_EQ(r.rows, c.rows);
    EXPECT_EQ(r.files.size(), c.files);
  }
}

// read/mod.rs: predicate_on_letter (partition column) and predicate_on_letter_and_number.
TEST(KernelReadTest, BasicPartitionedPredicatesOnLetter) {
  const std::vector<PredCase> cases = {
      {"letter IS NULL", {"NULL|6"}, 1},
      {"letter IS NOT NULL", Letters("abce"), 5},
      {"letter < 'c'", Letters("ab"), 3},
      {"letter <= 'c'", Letters("abc"), 4},
      {"letter > 'c'", Letters("e"), 1},
      {"letter >= 'c'", Letters("ce"), 2},
      {"letter = 'c'", Letters("c"), 1},
      {"letter != 'c'", Letters("abe"), 4},
      // File a/1: OR('a' > 'a', 1 > 3) is false: skipped. The null-letter file: 6 > 3.
      // Upstream keeps 5 files (see BasicPartitionedMixedOrSkipsOnPartitionValue).
      {"letter > 'a' OR number > 3", Sorted({"NULL|6", "a|4", "b|2", "c|3", "e|5"}), 5},
      {"letter > 'a' AND number > 3", Letters("e"), 1},
      {"letter > 'a' AND (letter = 'c' OR number = 3)", Letters("c"), 1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.predicate);
    auto r = ScanTable("basic_partitioned", {"letter", "number"}, c.predicate);
    EXPECT_EQ(r.rows, c.rows);
    if (c.files != kUnchecked) {
      EXPECT_EQ(r.files.size(), c.files);
    }
  }
}

// read/mod.rs: predicate_on_letter_and_number (or_with_pruning): "File a/1 (letter='a',
// max(number)=1): OR('a'>'a', 1>3) = FALSE -> pruned", so 5 of 6 files survive. We keep all 6:
// ScanBuilder::Build (scan.cc) prunes a second time with partition values and stats together
// under the default expr::PruneOptions, whose string_max_may_be_truncated treats the exact
// partition value 'a' as a possibly truncated max, so `letter > 'a'` cannot be ruled out (the
// partition-only pass uses PruneOptions::Exact() but cannot decide an OR with a stats leg).
TEST(KernelReadTest, BasicPartitionedMixedOrSkipsOnPartitionValue) {
  EXPECT_EQ(SelectedFiles("basic_partitioned", "letter > 'a' OR number > 3"), 5u);
}

// read/mod.rs: predicate_on_unprojected_column (regression for delta-kernel-rs #2468).
TEST(KernelReadTest, BasicPartitionedPredicateOnUnprojectedColumns) {
  EXPECT_EQ(ScanTable("basic_partitioned", {"a_float"}, "number > 4").rows, Sorted({"5.5", "6.6"}));
  EXPECT_EQ(ScanTable("basic_partitioned", {"a_float"}, "letter = 'a'").rows,
            Sorted({"1.1", "4.4"}));
  EXPECT_EQ(ScanTable("basic_partitioned", {"a_float"}, "a_float > 4.0 AND number < 6").rows,
            Sorted({"4.4", "5.5"}));
}

// read/mod.rs: and_or_predicates, not_and_or_predicates — rows.
TEST(KernelReadTest, BasicPartitionedAndOrNotPredicateRows) {
  const std::vector<std::pair<std::string, Lines>> cases = {
      {"number > 4 AND a_float > 5.5", Numbers({6})},
      {"number > 4 AND NOT a_float > 5.5", Numbers({5})},
      {"number > 4 OR a_float > 5.5", Numbers({5, 6})},
      {"number > 4 OR NOT a_float > 5.5", Numbers({1, 2, 3, 4, 5, 6})},
      {"NOT (number > 4 AND a_float > 5.5)", Numbers({1, 2, 3, 4, 5})},
      {"NOT (number > 4 AND NOT a_float > 5.5)", Numbers({1, 2, 3, 4, 6})},
      {"NOT (number > 4 OR a_float > 5.5)", Numbers({1, 2, 3, 4})},
      {"NOT (number > 4 OR NOT a_float > 5.5)", {}},
      // invalid_skips_none_predicates: constant predicates.
      {"FALSE", {}},
      {"TRUE", Numbers({1, 2, 3, 4, 5, 6})},
  };
  for (const auto& [pred, rows] : cases) {
    SCOPED_TRACE(pred);
    EXPECT_EQ(ScanTable("basic_partitioned", {"a_float", "number"}, pred).rows, rows);
  }
}

// read/mod.rs: and_or_predicates, not_and_or_predicates — the surviving files (upstream's
// rows come from skipping alone, one row per file). Upstream rules `a_float > 5.5` out on a
// file whose max is 5.5. We never skip FLOAT/DOUBLE files for a predicate a NaN would satisfy
// (expr::PruneOptions::float_stats_may_omit_nan: writers following the Parquet spec leave NaN
// out of min/max), so we keep 2 / 6 / 6 / 4 files where upstream keeps 1 / 2 / 5 / 0 (cases 1,
// 3, 6, 8; the other four agree). Rows are the same (test above); only skipping differs.
TEST(KernelReadTest, DISABLED_BasicPartitionedAndOrNotPredicateFiles) {
  const std::vector<std::pair<std::string, size_t>> cases = {
      {"number > 4 AND a_float > 5.5", 1},       {"number > 4 AND NOT a_float > 5.5", 1},
      {"number > 4 OR a_float > 5.5", 2},        {"number > 4 OR NOT a_float > 5.5", 6},
      {"NOT (number > 4 AND a_float > 5.5)", 5}, {"NOT (number > 4 AND NOT a_float > 5.5)", 5},
      {"NOT (number > 4 OR a_float > 5.5)", 4},  {"NOT (number > 4 OR NOT a_float > 5.5)", 0},
  };
  for (const auto& [pred, files] : cases) {
    SCOPED_TRACE(pred);
    EXPECT_EQ(SelectedFiles("basic_partitioned", pred), files);
  }
}

// scan/tests.rs: test_scan_metrics (partition_filter), parallel_phase.rs: partition_pruning —
// letter = 'a' keeps 2 of 6 files, 1502 bytes.
TEST(KernelReadTest, BasicPartitionedPartitionFilterMetrics) {
  auto snap = Open("basic_partitioned");
  EXPECT_EQ(snap->files().size(), 6u);
  Scan scan = ScanBuilder(snap).WithPredicate(expr::ParsePredicate("letter = 'a'")).Build();
  ASSERT_EQ(scan.files().size(), 2u);
  int64_t bytes = 0;
  for (const AddFile* f : scan.files()) bytes += f->size;
  EXPECT_EQ(bytes, 1502);
  EXPECT_EQ(scan.metrics().files_total, 6);
  EXPECT_EQ(scan.metrics().files_skipped_by_partition + scan.metrics().files_skipped_by_stats, 4);
}

// scan/tests.rs: test_scan_metadata_from_with_update — version 0 holds 3 files, version 1
// adds 3 more.
TEST(KernelReadTest, BasicPartitionedFilesPerVersion) {
  EXPECT_EQ(Open("basic_partitioned", 0)->files().size(), 3u);
  EXPECT_EQ(Open("basic_partitioned", 1)->files().size(), 6u);
}

// ======================================================================================
// app-txn-checkpoint: partition + stats skipping through a checkpoint with
// partitionValues_parsed / stats_parsed — read/mod.rs, scan/data_skipping/tests.rs
// ======================================================================================

Lines AppTxnRows(const std::string& modified) {
  if (modified == "2021-02-02") {
    return Sorted({"A|2021-02-02|1", "A|2021-02-02|1", "A|2021-02-02|3", "A|2021-02-02|3",
                   "B|2021-02-02|2", "B|2021-02-02|2"});
  }
  return Sorted({"A|2021-02-01|10", "A|2021-02-01|10", "A|2021-02-01|11", "A|2021-02-01|11",
                 "A|2021-02-01|5", "A|2021-02-01|5", "A|2021-02-01|6", "A|2021-02-01|6",
                 "A|2021-02-01|7", "A|2021-02-01|7", "B|2021-02-01|4", "B|2021-02-01|4",
                 "B|2021-02-01|8", "B|2021-02-01|8", "B|2021-02-01|9", "B|2021-02-01|9"});
}

Lines Concat(Lines a, const Lines& b) {
  a.insert(a.end(), b.begin(), b.end());
  return Sorted(std::move(a));
}

Lines Filter(const Lines& rows, const std::function<bool(int)>& keep_value) {
  Lines out;
  for (const auto& r : rows) {
    if (keep_value(std::stoi(r.substr(r.rfind('|') + 1)))) out.push_back(r);
  }
  return out;
}

// log_segment/protocol_metadata_replay.rs: test_snapshot_build_via_plan_over_parquet_checkpoint
// _with_entries_named_maps; log_reader/commit.rs: test_commit_phase_processes_commits.
TEST(KernelReadTest, AppTxnTablesShape) {
  auto snap = Open("app-txn-checkpoint");
  EXPECT_EQ(snap->version(), 1);
  EXPECT_EQ(snap->schema().num_fields(), 3u);

  auto nock = Open("app-txn-no-checkpoint");
  std::vector<std::string> paths;
  for (const auto& f : nock->files()) paths.push_back(f.path);
  std::sort(paths.begin(), paths.end());
  EXPECT_EQ(
      paths,
      (std::vector<std::string>{
          "modified=2021-02-01/part-00001-80996595-a345-43b7-b213-e247d6f091f7-c000.snappy.parquet",
          "modified=2021-02-01/part-00001-8ebcaf8b-0f48-4213-98c9-5c2156d20a7e-c000.snappy.parquet",
          "modified=2021-02-02/part-00001-9a16b9f6-c12a-4609-a9c4-828eacb9526a-c000.snappy.parquet",
          "modified=2021-02-02/"
          "part-00001-bfac5c74-426e-410f-ab74-21a64e518e9c-c000.snappy.parquet"}));
}

// read/mod.rs: partition_pruning_with_checkpoint_parsed_values,
// mixed_predicate_with_checkpoint_parsed_columns.
TEST(KernelReadTest, AppTxnCheckpointPartitionAndStatsPredicates) {
  const Lines feb1 = AppTxnRows("2021-02-01"), feb2 = AppTxnRows("2021-02-02");
  const std::vector<std::string> cols = {"id", "modified", "value"};
  struct Case {
    std::string predicate;
    Lines rows;
    size_t files;
  };
  const std::vector<Case> cases = {
      {"modified = '2021-02-02'", feb2, 2},
      {"modified = '2021-02-01'", feb1, 2},
      {"modified = '2021-02-01' AND value > 9", Filter(feb1, [](int v) { return v > 9; }), 2},
      {"modified = '2021-02-02' AND value > 3", {}, 0},
      {"modified = '2021-02-02' OR value > 11", feb2, 2},
      {"modified = '2021-02-02' OR value > 9",
       Concat(feb2, Filter(feb1, [](int v) { return v > 9; })), 4},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.predicate);
    auto r = ScanTable("app-txn-checkpoint", cols, c.predicate);
    EXPECT_EQ(r.rows, c.rows);
    EXPECT_EQ(r.files.size(), c.files);
  }
}

// scan/data_skipping/tests.rs: partition_only_skipping, data_stats_only_skipping,
// mixed_and_skipping, mixed_or_skipping, nested_and_or_skipping.
TEST(KernelSkippingTest, AppTxnCheckpointSelectedFileCounts) {
  const std::vector<std::pair<std::string, size_t>> cases = {
      // partition only
      {"modified = '2021-02-01'", 2},
      {"modified = '2099-01-01'", 0},
      {"modified != '2021-02-01'", 2},
      {"modified > '2021-02-01'", 2},
      {"modified < '2021-02-02'", 2},
      {"modified >= '2021-02-01'", 4},
      {"modified <= '2021-02-02'", 4},
      {"modified >= '2021-02-01' AND modified <= '2021-02-01'", 2},
      // data stats only
      {"value > 9", 2},
      {"value < 4", 2},
      {"value > 11", 0},
      {"value <= 11", 4},
      {"value >= 1 AND value <= 3", 2},
      // mixed AND
      {"modified = '2021-02-01' AND value > 3", 2},
      {"modified = '2021-02-02' AND value > 3", 0},
      {"modified = '2099-01-01' AND value > 0", 0},
      // mixed OR
      {"modified = '2021-02-02' OR value > 9", 4},
      {"modified = '2021-02-02' OR value > 11", 2},
      {"modified = '2099-01-01' OR value > -1", 4},
      {"modified = '2099-01-01' OR value > 11", 0},
      // AND(partition, OR(data, data))
      {"modified >= '2021-02-01' AND (value < 2 OR value > 10)", 4},
      {"modified >= '2021-02-01' AND (value < 2 OR value > 11)", 2},
  };
  for (const auto& [pred, files] : cases) {
    SCOPED_TRACE(pred);
    EXPECT_EQ(SelectedFiles("app-txn-checkpoint", pred), files);
  }
}

// ======================================================================================
// parsed-stats (stats only in a checkpoint's stats_parsed for part of the table)
// ======================================================================================

// protocol_metadata_replay.rs: test_snapshot_build_via_plan_over_parquet_checkpoint_with_item
// _named_arrays; scan/tests.rs: test_scan_metrics (basic_scan), test_skip_stats_disables_data
// _skipping (6 files without skipping).
TEST(KernelSkippingTest, ParsedStatsShape) {
  auto snap = Open("parsed-stats");
  EXPECT_EQ(snap->version(), 5);
  EXPECT_EQ(snap->schema().num_fields(), 5u);
  EXPECT_EQ(snap->log_segment().checkpoint_version, std::optional<int64_t>(3));
  EXPECT_EQ(snap->files().size(), 6u);
  EXPECT_EQ(snap->total_bytes(), 17236);
}

// scan/tests.rs: scan_metadata_struct_columns_returns_expected_stats — the id ranges of the
// six files, read back from stats JSON or rendered from stats_parsed.
TEST(KernelSkippingTest, ParsedStatsIdRanges) {
  auto snap = Open("parsed-stats");
  std::set<std::pair<int64_t, int64_t>> ranges;
  columnar::Schema physical = snap->schema();
  for (const auto& f : snap->files()) {
    auto stats = ParseFileStatistics(f.stats, physical);
    ASSERT_TRUE(stats.has_value()) << f.path;
    auto it = stats->columns.find("id");
    ASSERT_NE(it, stats->columns.end()) << f.path;
    ASSERT_TRUE(it->second.min && it->second.max) << f.path;
    ranges.insert({it->second.min->as_int(), it->second.max->as_int()});
  }
  EXPECT_EQ(ranges, (std::set<std::pair<int64_t, int64_t>>{
                        {1, 100}, {101, 200}, {201, 300}, {301, 400}, {401, 500}, {501, 600}}));
}

// scan/data_skipping/tests.rs: parsed_stats_skipping, timestamp_predicate_skipping,
// unsupported_predicate_skipping; scan/tests.rs: test_build_actions_meta_predicate_*.
// ts_col ranges per file: [1s,2s], [3s,4s], ... [11s,12s].
TEST(KernelSkippingTest, ParsedStatsSelectedFileCounts) {
  const std::string t2 = "TIMESTAMP '1970-01-01 00:00:02'";
  const std::string t3 = "TIMESTAMP '1970-01-01 00:00:03'";
  const std::string t5 = "TIMESTAMP '1970-01-01 00:00:05'";
  const std::vector<std::pair<std::string, size_t>> cases = {
      {"id > 400", 2},
      {"ts_col > " + t2, 6},
      {"ts_col < " + t3, 1},
      {"id > 400 AND ts_col > " + t2, 2},
      {"id > 400 OR ts_col > " + t2, 6},
      {"ts_col > " + t2 + " AND ts_col > " + t5, 4},
      {"ts_col > " + t2 + " OR ts_col > " + t5, 6},
      // Column-to-column comparisons cannot skip: they keep every file.
      {"id > salary", 6},
      {"id > 400 AND id > salary", 2},
      {"id > 400 OR id > salary", 6},
      {"id > salary AND id > age", 6},
      {"id > salary OR id > age", 6},
      {"FALSE", 0},
  };
  for (const auto& [pred, files] : cases) {
    SCOPED_TRACE(pred);
    EXPECT_EQ(SelectedFiles("parsed-stats", pred), files);
  }
}

// ======================================================================================
// mixed-nulls, table-with-dv-small, with-short-dv, decimals, timestamps, type widening,
// void, compaction — read/mod.rs and dv.rs
// ======================================================================================

// read/mod.rs: mixed_null, mixed_not_null. Upstream returns whole files: for `n IS NULL`
// the part=0 file (all null) and the part=2 file (mixed); part=1 (no nulls) is skipped.
TEST(KernelReadTest, MixedNulls) {
  auto is_null = ScanTable("mixed-nulls", {"part", "n"}, "n IS NULL");
  EXPECT_EQ(is_null.rows, Sorted({"0|NULL", "0|NULL", "0|NULL", "0|NULL", "0|NULL", "2|NULL",
                                  "2|NULL", "2|NULL"}));
  EXPECT_EQ(is_null.files.size(), 2u);
  auto not_null = ScanTable("mixed-nulls", {"part", "n"}, "n IS NOT NULL");
  EXPECT_EQ(not_null.rows, Sorted({"1|non-null", "1|non-null", "1|non-null", "1|non-null",
                                   "1|non-null", "2|non-null-mix", "2|non-null-mix"}));
  EXPECT_EQ(not_null.files.size(), 2u);
}

// dv.rs: test_table_scan; read/mod.rs: with_predicate_and_removes; actions/deletion_vector.rs:
// test_deletion_vector_read (the DV deletes rows 0 and 9).
TEST(KernelDvTest, TableWithDvSmall) {
  auto all = ScanTable("table-with-dv-small");
  EXPECT_EQ(all.rows, Sorted({"1", "2", "3", "4", "5", "6", "7", "8"}));
  auto gt3 = ScanTable("table-with-dv-small", {}, "value > 3");
  EXPECT_EQ(gt3.rows, Sorted({"4", "5", "6", "7", "8"}));
  EXPECT_EQ(gt3.files.size(), 1u);

  auto snap = Open("table-with-dv-small");
  ASSERT_EQ(snap->files().size(), 1u);
  const auto& dv = snap->files()[0].deletion_vector;
  ASSERT_TRUE(dv.has_value());
  EXPECT_EQ(dv->storage_type, 'u');
  EXPECT_EQ(dv->path_or_inline_dv, "vBn[lx{q8@P<9BNH/isA");
  EXPECT_EQ(dv->offset, std::optional<int32_t>(1));
  EXPECT_EQ(dv->size_in_bytes, 36);
  EXPECT_EQ(dv->cardinality, 2);
  EXPECT_EQ(DeletionVectorPath(*dv), "deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin");
  EXPECT_EQ(LoadDeletionVector(*dv, *snap->store()).ToVector(), (std::vector<uint64_t>{0, 9}));
}

// snapshot/mod.rs: test_snapshot_read_metadata, test_new_snapshot,
// test_read_table_with_missing_last_checkpoint; commit_range.rs:
// reads_all_commits_in_requested_order (v0: 1 add, 0 removes; v1: 1 add, 1 remove).
TEST(KernelDvTest, TableWithDvSmallSnapshotAndCommits) {
  const Protocol dv_protocol{3, 7, std::vector<std::string>{"deletionVectors"},
                             std::vector<std::string>{"deletionVectors"}};
  for (std::optional<int64_t> v : {std::optional<int64_t>(1), std::optional<int64_t>()}) {
    auto snap = Open("table-with-dv-small", v);
    EXPECT_EQ(snap->protocol(), dv_protocol);
    EXPECT_EQ(snap->schema().num_fields(), 1u);
    EXPECT_EQ(snap->schema().field(0).name, "value");
    EXPECT_EQ(snap->schema().field(0).type->ToString(), columnar::DataType::Int32()->ToString());
    EXPECT_FALSE(snap->log_segment().last_checkpoint_hint.has_value());
  }
  auto snap = Open("table-with-dv-small");
  ASSERT_EQ(snap->log_segment().all_commits.size(), 2u);
  const std::vector<std::pair<int, int>> expected = {{1, 0}, {1, 1}};
  for (size_t i = 0; i < 2; ++i) {
    int adds = 0, removes = 0;
    for (const auto& a : ReadCommitActions(*snap->store(), snap->log_segment().all_commits[i])) {
      adds += std::holds_alternative<AddFile>(a);
      removes += std::holds_alternative<RemoveFile>(a);
    }
    EXPECT_EQ(std::make_pair(adds, removes), expected[i]) << "version " << i;
  }
}

// dv.rs: test_table_scan (without_dv); scan/tests.rs: test_scan_metadata_paths,
// test_scan_metadata; parallel_phase.rs: no_parallel_needed (1 file, 548 bytes).
TEST(KernelDvTest, TableWithoutDvSmall) {
  auto r = ScanTable("table-without-dv-small");
  EXPECT_EQ(r.rows.size(), 10u);
  EXPECT_EQ(r.files, (std::vector<std::string>{
                         "part-00000-517f5d32-9c95-48e8-82b4-0229cc194867-c000.snappy.parquet"}));
  EXPECT_EQ(Open("table-without-dv-small")->total_bytes(), 548);
}

// read/mod.rs: short_dv.
TEST(KernelDvTest, WithShortDv) {
  auto r = ScanTable("with-short-dv", {"id", "value", "timestamp", "rand"});
  EXPECT_EQ(r.rows, Sorted({
                        "3|3|2023-05-31T18:58:33.633000Z|0.7918174793484931",
                        "4|4|2023-05-31T18:58:33.633000Z|0.9281049271981882",
                        "5|5|2023-05-31T18:58:33.633000Z|0.27796520310701633",
                        "6|6|2023-05-31T18:58:33.633000Z|0.15263801464228832",
                        "7|7|2023-05-31T18:58:33.633000Z|0.1981143710215575",
                        "8|8|2023-05-31T18:58:33.633000Z|0.3069439236599195",
                        "9|9|2023-05-31T18:58:33.633000Z|0.5175919190815845",
                    }));
}

// read/mod.rs: basic_decimal.
TEST(KernelReadTest, BasicDecimal) {
  auto r = ScanTable("basic-decimal-table", {"part", "col1", "col2", "col3"});
  EXPECT_EQ(r.rows,
            Sorted({"-2342342.23423|-999.99|-99999.99999|-9999999999.9999999999",
                    "0.00004|0.00|0.00000|0.0000000000", "234.00000|1.00|2.00000|3.0000000000",
                    "2342222.23454|111.11|22222.22222|3333333333.3333333333"}));
}

// read/mod.rs: timestamp_ntz; scan_plan/tests.rs:
// declarative_metadata_partition_is_null_keeps_null_partition.
TEST(KernelReadTest, TimestampNtz) {
  const std::string a = "2021-11-18T02:30:00.123456", b = "2013-07-05T17:01:00.123456";
  auto r = ScanTable("data-reader-timestamp_ntz", {"id", "tsNtz", "tsNtzPartition"});
  EXPECT_EQ(r.rows, Sorted({"0|" + a + "|" + a, "1|" + b + "|" + a, "2|NULL|" + a,
                            "3|" + a + "|" + b, "4|" + b + "|" + b, "5|NULL|" + b,
                            "6|" + a + "|NULL", "7|" + b + "|NULL", "8|NULL|NULL"}));
  auto nulls = ScanTable("data-reader-timestamp_ntz", {"id"}, "tsNtzPartition IS NULL");
  EXPECT_EQ(nulls.files,
            (std::vector<std::string>{
                "tsNtzPartition=__HIVE_DEFAULT_PARTITION__/"
                "part-00001-53fd3b3b-7773-459a-921c-bb64bf0bbd03.c000.snappy.parquet"}));
  EXPECT_EQ(nulls.rows, Sorted({"6", "7", "8"}));
}

// read/mod.rs: type_widening_basic, type_widening_decimal.
TEST(KernelReadTest, TypeWidening) {
  auto basic = ScanTable("type-widening", {"byte_long", "int_long", "float_double", "byte_double",
                                           "short_double", "int_double", "date_timestamp_ntz"});
  EXPECT_EQ(basic.rows,
            Sorted({"1|2|3.4000000953674316|5|6|7|2024-09-09T00:00:00",
                    "9223372036854775807|9223372036854775807|1.234567890123|1.234567890123|"
                    "1.234567890123|1.234567890123|2024-09-09T12:34:56.123456"}));
  auto dec =
      ScanTable("type-widening", {"decimal_decimal_same_scale", "decimal_decimal_greater_scale",
                                  "byte_decimal", "short_decimal", "int_decimal", "long_decimal"});
  EXPECT_EQ(dec.rows, Sorted({"123.45|67.89000|1.0|2.0|3.0|4.0",
                              "12345678901234.56|12345678901.23456|123.4|12345.6|1234567890.1|"
                              "123456789012345678.9"}));
}

// read/mod.rs: timestamp_partitioned_table (`s` is an empty string: upstream's blank cell).
TEST(KernelReadTest, TimestampPartitionedTable) {
  EXPECT_EQ(ScanTable("timestamp-partitioned-table", {"id", "x", "s", "time"}).rows,
            Lines{"1|0.5||1971-07-22T03:06:40Z"});
}

const Lines kCompactedTableRows =
    Sorted({"0|new", "1|after-large-delete", "2|", "10|merge1-insert", "12|merge2-insert"});

// read/mod.rs: compacted_log_files_table (comment of id 2 is an empty string, as the stats
// of its file say: minValues.comment = ""). The log has compaction files 0..5, 6..10 and
// 6..15, each holding its commits' actions newest commit first and *not* reconciled (the
// same path appears as add and remove); delta-kernel-rs reads one in file order, the first
// action per file key winning, which is right for reconciled and unreconciled files alike.
// Our replay (snapshot.cc, step 3 "Reconcile from the newest file") treats a compaction file
// as one commit: all its adds claim their keys before any of its removes, so an add from an
// older commit of the run survives a newer remove of the same file. At version 25 we return
// 35 rows (14 files) instead of 5; at version 5 (0..5 compacted) 15 rows instead of 5.
TEST(KernelReadTest, CompactedLogFilesTable) {
  EXPECT_EQ(ScanTable("compacted-log-files-table", {"id", "comment"}).rows, kCompactedTableRows);
}

// The same expectation with the compaction files removed from a copy of the table: plain
// commit replay gives upstream's rows, and every version agrees with the table's change feed
// (see table_changes_test.cc), so the rows above are right and the fault is in compaction.
TEST(KernelReadTest, CompactedLogFilesTableWithoutCompactionFiles) {
  ::cpglake::testing::TempDir tmp;
  const fs::path copy = CopyTable("compacted-log-files-table", tmp.path());
  for (const auto& e : fs::directory_iterator(copy / "_delta_log")) {
    if (e.path().filename().string().find(".compacted.") != std::string::npos) fs::remove(e.path());
  }
  auto snap = OpenSnapshot(copy.string());
  EXPECT_EQ(snap->version(), 25);
  EXPECT_EQ(ToLines(ScanBuilder(snap).WithColumns({"id", "comment"}).Build().ReadAll()),
            kCompactedTableRows);
}

// read/mod.rs: read_spark_table_with_void_column, void_predicate_skips_via_null_count,
// void_predicate_pruning_scan_file_count (nullCount.void_col == numRecords in every file).
TEST(KernelReadTest, VoidColumn) {
  EXPECT_EQ(ScanTable("void-column", {"id", "void_col"}).rows,
            Sorted({"1|NULL", "2|NULL", "3|NULL"}));
  auto is_null = ScanTable("void-column", {"id", "void_col"}, "void_col IS NULL");
  EXPECT_EQ(is_null.rows, Sorted({"1|NULL", "2|NULL", "3|NULL"}));
  EXPECT_EQ(is_null.files.size(), 3u);
  auto not_null = ScanTable("void-column", {"id", "void_col"}, "void_col IS NOT NULL");
  EXPECT_TRUE(not_null.rows.empty());
  EXPECT_EQ(not_null.files.size(), 0u);
}

// read/mod.rs: timestamp_truncation_real_table_{gt,ge,lt,le,eq}. The JSON max of file 2 is
// 4.000s while it holds 4.000500s: a reader must widen millisecond maxima. Files:
// 1 = ids 1,2 [1s, 2s]; 2 = ids 3,4 [3s, 4.0005s]; 3 = ids 5,6 [7s, 8s].
TEST(KernelSkippingTest, TimestampTruncatedStatsDoNotOverPrune) {
  const std::string lit = "TIMESTAMP '1970-01-01 00:00:04.000400'";
  const std::string r1 = "1|1970-01-01T00:00:01Z", r2 = "2|1970-01-01T00:00:02Z",
                    r3 = "3|1970-01-01T00:00:03Z", r4 = "4|1970-01-01T00:00:04.000500Z",
                    r5 = "5|1970-01-01T00:00:07Z", r6 = "6|1970-01-01T00:00:08Z";
  const std::vector<std::tuple<std::string, Lines, size_t>> cases = {
      {"ts_col > " + lit, Sorted({r4, r5, r6}), 2},
      {"ts_col >= " + lit, Sorted({r4, r5, r6}), 2},
      {"ts_col < " + lit, Sorted({r1, r2, r3}), 2},
      {"ts_col <= " + lit, Sorted({r1, r2, r3}), 2},
      {"ts_col = " + lit, {}, 1},
  };
  for (const auto& [pred, rows, files] : cases) {
    SCOPED_TRACE(pred);
    auto r = ScanTable("timestamp-truncation-stats", {"id", "ts_col"}, pred);
    EXPECT_EQ(r.rows, rows);
    EXPECT_EQ(r.files.size(), files);
  }
}

// clustered.rs: test_checkpoint_non_kernel_written_table — 7 rows whose Parquet
// nullabilities differ from the Delta schema; the same rows before and after a checkpoint.
TEST(KernelReadTest, ExternalTableDifferentNullabilityThroughCheckpoint) {
  ::cpglake::testing::TempDir tmp;
  const fs::path copy = CopyTable("external-table-different-nullability", tmp.path());
  auto before_snap = OpenSnapshot(copy.string());
  Lines before = ToLines(ScanBuilder(before_snap).Build().ReadAll());
  EXPECT_EQ(before.size(), 7u);
  WriteCheckpoint(*before_snap);
  auto after_snap = OpenSnapshot(copy.string());
  EXPECT_EQ(after_snap->log_segment().checkpoint_version,
            std::optional<int64_t>(before_snap->version()));
  EXPECT_EQ(ToLines(ScanBuilder(after_snap).Build().ReadAll()), before);
}

// transaction/mod.rs: test_partition_columns_materialized_in_logical_to_physical — the
// materializePartitionColumns writer feature is on one table and not the other.
TEST(KernelReadTest, MaterializePartitionColumnsFeature) {
  auto has = [](const std::string& table) {
    auto snap = Open(table);
    const auto& wf = snap->protocol().writer_features;
    return wf && std::find(wf->begin(), wf->end(), "materializePartitionColumns") != wf->end();
  };
  EXPECT_TRUE(has("partitioned_with_materialize_feature"));
  EXPECT_FALSE(has("basic_partitioned"));
  // The table reads (the partition column is also in the files).
  EXPECT_FALSE(ScanTable("partitioned_with_materialize_feature").rows.empty());
}

// write/column_mapping.rs: test_column_mapping_partitioned_write; scan/tests.rs:
// test_build_actions_meta_predicate_partition_column_mapping. The three tables are empty,
// partitioned by `category` under column mapping none / id / name; upstream appends
// (value 1, 2; category 'A') and checks add.partitionValues is keyed by the physical name
// ("category", else col-6dc68f07-711d-4f00-8bd6-1f5bc698e8ad in both fixtures). We write
// with our writer to a copy, then also read back and prune by the logical name.
TEST(KernelReadTest, PartitionColumnMappingWritesPhysicalNames) {
  for (const char* mode : {"none", "id", "name"}) {
    SCOPED_TRACE(mode);
    ::cpglake::testing::TempDir tmp;
    const fs::path copy = CopyTable(std::string("partition_cm/") + mode, tmp.path());
    auto store = storage::OpenObjectStore(copy.string());
    auto before = SnapshotBuilder(store).Build();
    EXPECT_TRUE(before->files().empty());
    const std::string physical =
        std::string(mode) == "none" ? "category" : "col-6dc68f07-711d-4f00-8bd6-1f5bc698e8ad";
    columnar::Schema data_schema(std::vector<columnar::Field>{
        columnar::Field("value", columnar::DataType::Int32(), true),
        columnar::Field("category", columnar::DataType::String(), true)});
    columnar::RecordBatch batch = columnar::RecordBatch::MakeEmpty(data_schema);
    for (int32_t v : {1, 2}) {
      batch.mutable_column(0).Append<int32_t>(v);
      batch.mutable_column(1).AppendString("A");
    }
    batch.set_num_rows(2);
    WriteDeltaTable(store, batch, WriteOptions{});
    auto after = SnapshotBuilder(store).Build();
    ASSERT_EQ(after->version(), 1);
    ASSERT_FALSE(after->files().empty());
    for (const auto& f : after->files()) {
      ASSERT_EQ(f.partition_values.size(), 1u) << f.path;
      EXPECT_EQ(f.partition_values.begin()->first, physical) << f.path;
      EXPECT_EQ(f.partition_values.begin()->second, std::optional<std::string>("A")) << f.path;
    }
    Scan a = ScanBuilder(after)
                 .WithColumns({"value", "category"})
                 .WithPredicate(expr::ParsePredicate("category = 'A'"))
                 .Build();
    EXPECT_EQ(ToLines(a.ReadAll()), Sorted({"1|A", "2|A"}));
    Scan b = ScanBuilder(after).WithPredicate(expr::ParsePredicate("category = 'B'")).Build();
    EXPECT_TRUE(b.files().empty());
  }
}

// scan_plan/tests.rs: declarative_metadata_projects_nested_column_mapped_stats — the stats of
// nested_struct.inner_int are keyed by physical names.
TEST(KernelReadTest, StatsWritingAllTypesNestedPhysicalNames) {
  auto snap = Open("stats-writing-all-types/delta");
  const std::string parent = "col-481c7590-d3b8-4e9c-b40e-7b7128a972f4";
  const std::string child = "col-7f2f94cf-7082-430c-bba7-852bc6c5215e";
  columnar::Schema physical =
      ToPhysicalSchema(snap->schema(), snap->config().column_mapping_mode());
  int idx = physical.FieldIndex(parent);
  ASSERT_GE(idx, 0);
  const auto& nested = physical.field(idx).type;
  bool found = false;
  for (const auto& f : nested->fields()) found |= f.name == child;
  EXPECT_TRUE(found);
  bool in_stats = false;
  for (const auto& f : snap->files()) {
    in_stats |=
        f.stats && f.stats->find("\"" + parent + "\":{\"" + child + "\"") != std::string::npos;
  }
  EXPECT_TRUE(in_stats);
}

// ======================================================================================
// parquet_row_group_skipping — engine/parquet_row_group_skipping/tests.rs, scan/tests.rs,
// read/mod.rs
// ======================================================================================

fs::path RowGroupSkippingFile() {
  return TablePath("parquet_row_group_skipping") /
         "part-00000-b92e017a-50ba-4676-8322-48fc371c2b59-c000.snappy.parquet";
}

// parquet_row_group_skipping/tests.rs: test_get_stat_values (the top-level column: 5 rows,
// `bool` has 3 nulls, min false, max true).
TEST(KernelRowGroupTest, TopLevelStatValues) {
  auto reader = parquet::ParquetFileReader::OpenPath(RowGroupSkippingFile().string());
  ASSERT_EQ(reader->num_row_groups(), 1);
  EXPECT_EQ(reader->metadata().row_groups[0].num_rows, 5);
  auto st = reader->RowGroupStats(0, reader->file_schema().FieldIndex("bool"));
  EXPECT_EQ(st.null_count, std::optional<int64_t>(3));
  ASSERT_TRUE(st.min && st.max);
  EXPECT_EQ(st.min->ToString(), "false");
  EXPECT_EQ(st.max->ToString(), "true");
}

// test_row_group_filter_is_null_prunes_when_nullcount_is_zero (bool: 3 nulls, kept);
// scan/tests.rs: test_data_row_group_skipping (no predicate: the one file).
TEST(KernelRowGroupTest, TopLevelIsNullKeepsRowGroupWithNulls) {
  auto all = ScanTable("parquet_row_group_skipping", {"bool"});
  EXPECT_EQ(all.rows.size(), 5u);
  EXPECT_EQ(all.files.size(), 1u);
  auto r = ScanTable("parquet_row_group_skipping", {"bool"}, "bool IS NULL");
  EXPECT_EQ(r.rows, Lines({"NULL", "NULL", "NULL"}));
  EXPECT_EQ(r.metrics.row_groups_skipped, 0);
  auto nn = ScanTable("parquet_row_group_skipping", {"bool"}, "bool IS NOT NULL");
  EXPECT_EQ(nn.rows, Sorted({"false", "true"}));
}

// read/mod.rs: predicate_references_invalid_missing_column; scan/tests.rs:
// test_missing_column_row_group_skipping. `missing` is in the schema but not in the file
// (all null): nothing satisfies `missing < 10` — upstream's intended result (its skipping of
// such files is disabled, delta-kernel-rs #434, so it returns the file's 5 rows unfiltered).
// A column that is not in the schema is an error.
TEST(KernelRowGroupTest, MissingAndUnknownColumns) {
  auto r = ScanTable("parquet_row_group_skipping", {"chrono", "missing"}, "missing < 10");
  EXPECT_TRUE(r.rows.empty());
  auto all = ScanTable("parquet_row_group_skipping", {"chrono", "missing"});
  EXPECT_EQ(
      all.rows,
      Sorted(
          {R"({"date32":"1971-01-01","timestamp":"1970-02-01T08:00:00Z","timestamp_ntz":"1970-01-02T00:00:00"}|NULL)",
           R"({"date32":"1971-01-02","timestamp":"1970-02-01T09:00:00Z","timestamp_ntz":"1970-01-02T00:01:00"}|NULL)",
           R"({"date32":"1971-01-03","timestamp":"1970-02-01T10:00:00Z","timestamp_ntz":"1970-01-02T00:02:00"}|NULL)",
           R"({"date32":"1971-01-04","timestamp":"1970-02-01T11:00:00Z","timestamp_ntz":"1970-01-02T00:03:00"}|NULL)",
           R"({"date32":"1971-01-05","timestamp":"1970-02-01T12:00:00Z","timestamp_ntz":"1970-01-02T00:04:00"}|NULL)"}));
  EXPECT_THROW(ScanTable("parquet_row_group_skipping", {"chrono", "missing"}, "invalid < 10"),
               Error);
  EXPECT_THROW(ScanTable("parquet_row_group_skipping", {}, "numeric.ints.invalid < 1000"), Error);
}

// parquet_row_group_skipping/tests.rs: test_get_stat_values and
// test_row_group_filter_is_null_prunes_when_nullcount_is_zero, for the nested leaves. The
// file's only row group has (min, max): ints.int64 [1000000000, 1000000004], int32
// [1000000, 1000004], int16 [1000, 1004], int8 [0, 4], floats.float64 [1147,
// 1125899906842747], float32 [139, 1048699], decimals.decimal32 [11.032, 15.032], decimal64
// [11.064, 15.064], decimal128 [11.128, 15.128], varlen.utf8 ['a', 'e'] (no nulls),
// chrono.date32 [1971-01-01, 1971-01-05], chrono.timestamp_ntz [1970-01-02 00:00,
// 00:04]; chrono.timestamp is INT96 (no stats). Upstream's row-group filter prunes on each.
// We prune row groups only on top-level columns (Scan::ReadFile asks RowGroupStats, which
// serves top-level primitive fields), so none of these row groups is skipped; the rows
// returned are right either way (every predicate below selects no row).
TEST(KernelRowGroupTest, DISABLED_NestedLeafStatsPruneRowGroups) {
  const std::vector<std::string> prunes = {
      "numeric.ints.int64 < 1000000000",
      "numeric.ints.int64 > 1000000004",
      "numeric.ints.int32 < 1000000",
      "numeric.ints.int32 > 1000004",
      "numeric.ints.int16 < 1000",
      "numeric.ints.int16 > 1004",
      "numeric.ints.int8 < 0",
      "numeric.ints.int8 > 4",
      "numeric.floats.float64 < 1147",
      "numeric.floats.float32 < 139",
      "numeric.decimals.decimal32 < 11.032",
      "numeric.decimals.decimal32 > 15.032",
      "numeric.decimals.decimal64 < 11.064",
      "numeric.decimals.decimal128 > 15.128",
      "varlen.utf8 < 'a'",
      "varlen.utf8 > 'e'",
      "varlen.utf8 IS NULL",
      "chrono.date32 < DATE '1971-01-01'",
      "chrono.date32 > DATE '1971-01-05'",
      "chrono.timestamp_ntz > TIMESTAMP_NTZ '1970-01-02 00:04:00'",
  };
  for (const auto& p : prunes) {
    SCOPED_TRACE(p);
    auto r = ScanTable("parquet_row_group_skipping", {"bool"}, p);
    EXPECT_TRUE(r.rows.empty());
    EXPECT_EQ(r.metrics.row_groups_skipped, 1);
  }
}

// The boundaries of the same statistics: each predicate selects rows, so nothing may be
// skipped (this part passes: a missed skip is never wrong).
TEST(KernelRowGroupTest, NestedLeafBoundariesKeepRows) {
  const std::vector<std::pair<std::string, size_t>> keeps = {
      {"numeric.ints.int64 = 1000000000", 1},
      {"numeric.ints.int64 >= 1000000004", 1},
      {"numeric.ints.int32 <= 1000000", 1},
      {"numeric.ints.int16 >= 1004", 1},
      {"numeric.ints.int8 >= 0", 5},
      {"varlen.utf8 >= 'e'", 1},
      {"varlen.utf8 <= 'a'", 1},
      {"chrono.date32 = DATE '1971-01-05'", 1},
      {"chrono.timestamp_ntz = TIMESTAMP_NTZ '1970-01-02 00:04:00'", 1},
  };
  for (const auto& [p, n] : keeps) {
    SCOPED_TRACE(p);
    auto r = ScanTable("parquet_row_group_skipping", {"bool"}, p);
    EXPECT_EQ(r.rows.size(), n);
    EXPECT_EQ(r.metrics.row_groups_skipped, 0);
  }
}

// ======================================================================================
// Checkpoints: V2 (JSON/Parquet, with/without sidecars, classic-named), struct-only stats,
// multi-part, no _last_checkpoint — log/v2_checkpoints.rs, last_checkpoint_hint.rs,
// parallel_phase.rs, read/mod.rs, scan_plan/tests.rs, snapshot/mod.rs
// ======================================================================================

Lines IdRange(int n) {
  Lines out;
  for (int i = 0; i < n; ++i) out.push_back(std::to_string(i));
  return out;
}

// v2_checkpoints.rs: v2_checkpoints_{json,parquet}_with_sidecars,
// ..._without_sidecars, v2_classic_checkpoint_*, ..._with_last_checkpoint.
TEST(KernelCheckpointTest, V2CheckpointTableRows) {
  Lines sidecar_rows = {"0", "0", "0"};
  for (int n : {30, 100, 100, 1000}) {
    Lines part = IdRange(n);
    sidecar_rows.insert(sidecar_rows.end(), part.begin(), part.end());
  }
  Lines without = IdRange(10);
  without.push_back("2718");
  const std::vector<std::pair<std::string, Lines>> cases = {
      {"v2-checkpoints-json-with-sidecars", Sorted(sidecar_rows)},
      {"v2-checkpoints-parquet-with-sidecars", Sorted(sidecar_rows)},
      {"v2-checkpoints-json-without-sidecars", Sorted(without)},
      {"v2-checkpoints-parquet-without-sidecars", Sorted(without)},
      {"v2-classic-checkpoint-json", Sorted(IdRange(20))},
      {"v2-classic-checkpoint-parquet", Sorted(IdRange(20))},
      {"v2-checkpoints-json-with-last-checkpoint", Sorted(IdRange(10))},
      {"v2-checkpoints-parquet-with-last-checkpoint", Sorted(IdRange(10))},
  };
  for (const auto& [table, rows] : cases) {
    SCOPED_TRACE(table);
    EXPECT_EQ(ScanTable(table, {"id"}).rows, rows);
  }
}

// parallel_phase.rs: test_parallel_workflow_with_metrics — live files and their bytes per
// table, and `id > 20` skipping 4 of the 101 sidecar files (97 left, 52616 bytes).
TEST(KernelCheckpointTest, V2CheckpointFileCountsAndBytes) {
  const std::vector<std::tuple<std::string, size_t, int64_t>> cases = {
      {"v2-checkpoints-json-with-sidecars", 101, 54541},
      {"v2-checkpoints-parquet-with-sidecars", 101, 54541},
      {"v2-checkpoints-json-without-sidecars", 3, 1481},
      {"v2-checkpoints-parquet-without-sidecars", 3, 1481},
      {"v2-checkpoints-json-with-last-checkpoint", 2, 1003},
      {"v2-checkpoints-parquet-with-last-checkpoint", 2, 1003},
      {"v2-classic-checkpoint-json", 4, 2009},
      {"v2-classic-checkpoint-parquet", 4, 2009},
  };
  for (const auto& [table, files, bytes] : cases) {
    SCOPED_TRACE(table);
    auto snap = Open(table);
    EXPECT_EQ(snap->files().size(), files);
    EXPECT_EQ(snap->total_bytes(), bytes);
  }
  for (const char* table :
       {"v2-checkpoints-json-with-sidecars", "v2-checkpoints-parquet-with-sidecars"}) {
    SCOPED_TRACE(table);
    Scan scan = ScanBuilder(Open(table)).WithPredicate(expr::ParsePredicate("id > 20")).Build();
    EXPECT_EQ(scan.files().size(), 97u);
    int64_t bytes = 0;
    for (const AddFile* f : scan.files()) bytes += f->size;
    EXPECT_EQ(bytes, 52616);
  }
}

// last_checkpoint_hint.rs: v2_last_checkpoint_hint_contents — per table the checkpoint
// version, the metadata id, created time and configuration; for all a (3, 7) protocol with
// reader feature v2Checkpoint and writer features v2Checkpoint, appendOnly, invariants, and
// an unpartitioned `id: long` schema. checkpoint_shape.rs: resolve_checkpoint_and_stats (which
// checkpoint kind each table resolves to).
TEST(KernelCheckpointTest, V2CheckpointMetadataAndShape) {
  struct Case {
    std::string table;
    int64_t checkpoint_version;
    std::string checkpoint_file;  // the file the segment uses
    std::string metadata_id;
    int64_t created_time;
    std::map<std::string, std::string> config;
  };
  const std::map<std::string, std::string> v2 = {{"delta.checkpointPolicy", "v2"}};
  const std::map<std::string, std::string> v2_every = {{"delta.checkpointInterval", "1"},
                                                       {"delta.checkpointPolicy", "v2"}};
  const std::vector<Case> cases = {
      {"v2-checkpoints-parquet-with-sidecars", 6,
       "00000000000000000006.checkpoint.f15b9025-707a-4c73-aac0-31dfcbd29aa6.parquet",
       "5a5afdfe-7d40-4109-bb92-29b051257e4c", 1739329708855, v2_every},
      {"v2-checkpoints-json-with-sidecars", 6,
       "00000000000000000006.checkpoint.2a15d0c6-8b11-4a98-bab4-957905d62f7f.json",
       "f571bf08-452e-4155-9f52-f793e630c55c", 1739329697356, v2_every},
      {"v2-checkpoints-parquet-with-last-checkpoint", 0,
       "00000000000000000000.checkpoint.8516aa94-7099-4e71-92a0-d6d7e7bb3b2c.parquet",
       "d3b78022-27fc-470d-a4ea-1b8b47fcc143", 1739329764309, v2},
      {"v2-checkpoints-json-with-last-checkpoint", 0,
       "00000000000000000000.checkpoint.0e42c15b-17cc-4918-990d-2ff76e918e4d.json",
       "f03ce383-0d09-4e1c-9446-8d80e1a59daa", 1739329763101, v2},
      // The hint names a UUID-named checkpoint; the segment selects the classic-named one.
      {"v2-classic-checkpoint-parquet", 1, "00000000000000000001.checkpoint.parquet",
       "541a194a-df83-4f46-9adf-032a1275e82b", 1739329759409, v2},
      {"v2-classic-checkpoint-json", 1, "00000000000000000001.checkpoint.parquet",
       "29ef2045-59c5-4cf7-9d5d-2ba47e971d32", 1739313200623, v2},
  };
  const Protocol protocol{3, 7, std::vector<std::string>{"v2Checkpoint"},
                          std::vector<std::string>{"v2Checkpoint", "appendOnly", "invariants"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.table);
    auto snap = Open(c.table);
    EXPECT_EQ(snap->log_segment().checkpoint_version, std::optional<int64_t>(c.checkpoint_version));
    ASSERT_EQ(snap->log_segment().checkpoint_files.size(), 1u);
    EXPECT_EQ(fs::path(snap->log_segment().checkpoint_files[0].key).filename().string(),
              c.checkpoint_file);
    EXPECT_EQ(snap->metadata().id, c.metadata_id);
    EXPECT_EQ(snap->metadata().created_time, std::optional<int64_t>(c.created_time));
    EXPECT_EQ(snap->metadata().configuration, c.config);
    EXPECT_FALSE(snap->metadata().name.has_value());
    EXPECT_FALSE(snap->metadata().description.has_value());
    EXPECT_TRUE(snap->metadata().partition_columns.empty());
    EXPECT_EQ(snap->protocol().min_reader_version, 3);
    EXPECT_EQ(snap->protocol().min_writer_version, 7);
    auto sorted = [](std::optional<std::vector<std::string>> v) {
      if (v) std::sort(v->begin(), v->end());
      return v;
    };
    EXPECT_EQ(sorted(snap->protocol().reader_features), sorted(protocol.reader_features));
    EXPECT_EQ(sorted(snap->protocol().writer_features), sorted(protocol.writer_features));
    EXPECT_EQ(FieldNames(snap->schema()), std::vector<std::string>{"id"});
    EXPECT_TRUE(snap->app_transactions().empty());
    EXPECT_TRUE(snap->domain_metadata().empty());
  }
}

// The actions of the checkpoint file a snapshot's segment uses (JSON or Parquet).
std::vector<Action> CheckpointActions(const Snapshot& snap) {
  const LogFile& f = snap.log_segment().checkpoint_files.at(0);
  if (f.key.ends_with(".json")) return ReadCommitActions(*snap.store(), f);
  std::vector<Action> out;
  ReadCheckpointParquet(*snap.store(), f.key, &out);
  return out;
}

// log_reader/checkpoint_manifest.rs: test_manifest_phase_collects_sidecars(_parquet),
// test_manifest_phase_extracts_file_paths — the sidecars a V2 manifest names, and the add a
// classic checkpoint holds.
TEST(KernelCheckpointTest, CheckpointManifestContents) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"v2-checkpoints-json-with-sidecars",
       {"00000000000000000006.checkpoint.0000000001.0000000002.19af1366-a425-47f4-8fa6-"
        "8d6865625573.parquet",
        "00000000000000000006.checkpoint.0000000002.0000000002.5008b69f-aa8a-4a66-9299-"
        "0733a56a7e63.parquet"}},
      {"v2-checkpoints-parquet-with-sidecars",
       {"00000000000000000006.checkpoint.0000000001.0000000002.76931b15-ead3-480d-b86c-"
        "afe55a577fc3.parquet",
        "00000000000000000006.checkpoint.0000000002.0000000002.4367b29c-0e87-447f-8e81-"
        "9814cc01ad1f.parquet"}},
  };
  for (const auto& [table, sidecars] : cases) {
    SCOPED_TRACE(table);
    std::vector<std::string> paths;
    int adds = 0;
    for (const auto& a : CheckpointActions(*Open(table))) {
      if (auto* sc = std::get_if<Sidecar>(&a)) paths.push_back(sc->path);
      adds += std::holds_alternative<AddFile>(a);
    }
    std::sort(paths.begin(), paths.end());
    EXPECT_EQ(paths, sidecars);
    EXPECT_EQ(adds, 0);
  }
  std::vector<std::string> adds;
  int sidecars = 0;
  for (const auto& a : CheckpointActions(*Open("with_checkpoint_no_last_checkpoint"))) {
    if (auto* add = std::get_if<AddFile>(&a)) adds.push_back(add->path);
    sidecars += std::holds_alternative<Sidecar>(a);
  }
  EXPECT_EQ(adds, std::vector<std::string>{
                      "part-00000-a190be9e-e3df-439e-b366-06a863f51e99-c000.snappy.parquet"});
  EXPECT_EQ(sidecars, 0);
}

const std::vector<std::string> kStructStatsTables = {
    "v1-single-part-struct-stats-only", "v1-multi-part-struct-stats-only",
    "v2-parquet-sidecars-struct-stats-only", "v2-json-sidecars-struct-stats-only",
    "v2-classic-parquet-struct-stats-only"};

// read/mod.rs: checkpoint_stats_skipping, struct_stats_only_preserves_data_skipping,
// struct_stats_surfaced_in_scan_file (5 files, one row each: numRecords 1);
// scan_plan/tests.rs: declarative_metadata_data_skipping (id > 3: 2 files, id = 2: 1,
// id <= 0: 0). The checkpoints carry stats_parsed only (writeStatsAsJson = false).
TEST(KernelCheckpointTest, StructStatsOnlyCheckpointsSkipFiles) {
  for (const auto& table : kStructStatsTables) {
    SCOPED_TRACE(table);
    auto snap = Open(table);
    EXPECT_EQ(snap->log_segment().checkpoint_version, std::optional<int64_t>(5));
    ASSERT_EQ(snap->files().size(), 5u);
    for (const auto& f : snap->files()) {
      EXPECT_EQ(NumRecordsFromStats(f.stats), std::optional<int64_t>(1)) << f.path;
    }
    auto r = ScanTable(table, {}, "id > 3");
    EXPECT_EQ(r.rows, Sorted({"4|value_4", "5|value_5"}));
    EXPECT_EQ(r.files.size(), 2u);
    EXPECT_EQ(SelectedFiles(table, "id = 2"), 1u);
    EXPECT_EQ(SelectedFiles(table, "id <= 0"), 0u);
  }
}

// scan/tests.rs: test_all_struct_parses_json_commit_stats — version 4 (before the version-5
// checkpoint) replays JSON commits only: 4 files, numRecords 1 each.
TEST(KernelCheckpointTest, StructStatsOnlyBeforeCheckpoint) {
  auto snap = Open("v1-single-part-struct-stats-only", 4);
  EXPECT_FALSE(snap->log_segment().checkpoint_version.has_value());
  ASSERT_EQ(snap->files().size(), 4u);
  for (const auto& f : snap->files())
    EXPECT_EQ(NumRecordsFromStats(f.stats), std::optional<int64_t>(1));
}

// read/mod.rs: partition_values_parsed_skipping; scan_plan/tests.rs:
// declarative_metadata_reconstructs_partition_values_for_pruning,
// declarative_metadata_reconstructs_well_formed_stats_and_partitions — files (id, part):
// (1,1) (2,2) (3,0) (4,1) (5,2), stats min = max = id / value_<id>, no nulls.
TEST(KernelCheckpointTest, MultiPartPartitionedStructStats) {
  const std::string table = "v1-multi-part-partitioned-struct-stats-only";
  auto r = ScanTable(table, {"id", "value", "part"}, "part = 0");
  EXPECT_EQ(r.rows, Lines{"3|value_3|0"});
  EXPECT_EQ(r.files.size(), 1u);
  EXPECT_EQ(SelectedFiles(table, "part = 1"), 2u);
  EXPECT_EQ(SelectedFiles(table, "part = 4"), 0u);

  auto snap = Open(table);
  EXPECT_GT(snap->log_segment().checkpoint_files.size(), 1u);
  std::set<std::pair<int64_t, std::string>> seen;
  for (const auto& f : snap->files()) {
    auto stats = ParseFileStatistics(f.stats, snap->schema());
    ASSERT_TRUE(stats) << f.path;
    EXPECT_EQ(stats->num_records, std::optional<int64_t>(1));
    const auto& id = stats->columns.at("id");
    const auto& value = stats->columns.at("value");
    ASSERT_TRUE(id.min && id.max && value.min && value.max);
    EXPECT_EQ(id.min->as_int(), id.max->as_int());
    EXPECT_EQ(value.min->ToString(), value.max->ToString());
    EXPECT_EQ(id.null_count, std::optional<int64_t>(0));
    EXPECT_EQ(value.null_count, std::optional<int64_t>(0));
    seen.insert({id.min->as_int(), f.partition_values.at("part").value_or("NULL")});
  }
  EXPECT_EQ(seen, (std::set<std::pair<int64_t, std::string>>{
                      {1, "1"}, {2, "2"}, {3, "0"}, {4, "1"}, {5, "2"}}));
}

// snapshot/mod.rs: test_read_table_with_checkpoint; scan/tests.rs: test_scan_with_checkpoint,
// test_scan_metrics (with_checkpoint: 1 file, 1010 bytes); scan_plan/tests.rs:
// declarative_metadata_pruning_keeps_remove_for_checkpoint_reconciliation.
TEST(KernelCheckpointTest, WithCheckpointNoLastCheckpoint) {
  auto snap = Open("with_checkpoint_no_last_checkpoint");
  EXPECT_EQ(snap->log_segment().checkpoint_version, std::optional<int64_t>(2));
  EXPECT_EQ(snap->log_segment().checkpoint_files.size(), 1u);
  ASSERT_EQ(snap->log_segment().commits.size(), 1u);
  EXPECT_EQ(snap->log_segment().commits[0].version, 3);
  EXPECT_FALSE(snap->log_segment().last_checkpoint_hint.has_value());
  const std::vector<std::string> only = {
      "part-00000-70b1dcdf-0236-4f63-a072-124cdbafd8a0-c000.snappy.parquet"};
  // The table ships no data files: compare the files the scans would read.
  auto paths = [](const Scan& scan) {
    std::vector<std::string> out;
    for (const AddFile* f : scan.files()) out.push_back(f->path);
    return out;
  };
  EXPECT_EQ(paths(ScanBuilder(snap).Build()), only);
  EXPECT_EQ(snap->total_bytes(), 1010);
  EXPECT_EQ(paths(ScanBuilder(snap).WithPredicate(expr::ParsePredicate("`int` > 0")).Build()),
            only);
}

// ======================================================================================
// Checksum files — crc/reader.rs, log/crc.rs, metrics/snapshot_load.rs
// ======================================================================================

// crc/reader.rs: test_read_crc_file (its protocol, metadata and in-commit timestamp match the
// commit's; we read them from the commit, ignoring the .crc); log/crc.rs:
// test_crc_returns_resolved_crc_at_snapshot_version (protocol and metadata of the CRC equal
// the snapshot's).
TEST(KernelCrcTest, CrcFullSnapshotFromTheLog) {
  auto snap = Open("crc-full");
  EXPECT_EQ(snap->version(), 0);
  EXPECT_EQ(snap->protocol(),
            (Protocol{3, 7, std::vector<std::string>{"deletionVectors"},
                      std::vector<std::string>{"domainMetadata", "clustering", "deletionVectors",
                                               "rowTracking"}}));
  const Metadata& md = snap->metadata();
  EXPECT_EQ(md.id, "6ca3020b-3cd9-4048-82e3-1417a0abb98f");
  EXPECT_EQ(
      md.schema_string,
      R"({"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}}]})");
  EXPECT_EQ(md.created_time, std::optional<int64_t>(1694758256009));
  EXPECT_TRUE(md.partition_columns.empty());
  EXPECT_EQ(md.configuration, (std::map<std::string, std::string>{
                                  {"delta.enableDeletionVectors", "true"},
                                  {"delta.checkpoint.writeStatsAsStruct", "true"},
                                  {"delta.enableRowTracking", "true"},
                                  {"delta.checkpoint.writeStatsAsJson", "false"},
                                  {"delta.rowTracking.materializedRowCommitVersionColumnName",
                                   "_row-commit-version-col-2f60dcc1-9e36-4424-95e7-799b707e4ddb"},
                                  {"delta.rowTracking.materializedRowIdColumnName",
                                   "_row-id-col-4cbc7924-f662-4db1-aa59-22c23f59eb5d"}}));
  // The .crc's inCommitTimestampOpt is the commit's inCommitTimestamp. (In-commit timestamps
  // are not enabled in the table's configuration, so neither reader uses it as the version's
  // timestamp.)
  auto history = ReadHistory(*snap->store(), snap->log_segment(), 0, 0);
  ASSERT_EQ(history.size(), 1u);
  ASSERT_TRUE(history[0].commit_info.has_value());
  EXPECT_EQ(history[0].commit_info->in_commit_timestamp, std::optional<int64_t>(1694758257000));
}

// crc/reader.rs: test_read_crc_file; log/crc.rs: test_get_file_stats_from_crc,
// test_crc_returns_resolved_crc_at_snapshot_version. Upstream's snapshot of crc-full serves
// file stats (10 files, 5259 bytes), 3 domain metadata (delta.clustering, delta.rowTracking,
// myApp.metadata) and 2 app transactions (spark-app-1 = 42, streaming-job-abc = 100) from
// the version-0 .crc. The commit itself holds none of them (no add, txn or domainMetadata
// action): this fixture's .crc is not derivable from its log. We ignore .crc files by design
// (docs/delta.md), so our snapshot has 0 files, no domains and no txns.
TEST(KernelCrcTest, DISABLED_CrcFullStateServedFromCrc) {
  auto snap = Open("crc-full");
  EXPECT_EQ(snap->files().size(), 10u);
  EXPECT_EQ(snap->total_bytes(), 5259);
  ASSERT_EQ(snap->domain_metadata().size(), 3u);
  EXPECT_NE(snap->domain_metadata().at("myApp.metadata").configuration.find("key"),
            std::string::npos);
  ASSERT_EQ(snap->app_transactions().size(), 2u);
  EXPECT_EQ(snap->app_transactions().at("spark-app-1"), (Txn{"spark-app-1", 42, 1694758250000}));
  EXPECT_EQ(snap->app_transactions().at("streaming-job-abc"),
            (Txn{"streaming-job-abc", 100, 1694758255000}));
}

// crc/reader.rs: test_read_malformed_crc_file_emits_failure_metric — the .crc ("malformed")
// does not parse. It is also the log's only file: there is no commit, so there is no table
// to load (upstream's snapshot builder fails the same way); the error must say so.
TEST(KernelCrcTest, CrcMalformedIsNotATable) {
  try {
    Open("crc-malformed");
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_FALSE(std::string(e.what()).empty());
  }
}

// The .crc files of the V2 tables are ignored and the snapshots stay right (see
// V2CheckpointFileCountsAndBytes); log listing classifies them as checksums.
TEST(KernelCrcTest, ChecksumFilesAreListedButNotUsed) {
  auto snap = Open("v2-checkpoints-json-with-sidecars");
  for (const auto& f : snap->log_segment().commits) EXPECT_NE(f.kind, LogFile::Kind::kChecksum);
  EXPECT_EQ(ParseLogFileName("00000000000000000006.crc")->kind, LogFile::Kind::kChecksum);
}

// ======================================================================================
// Change data feed — kernel/tests/integration/features/cdf.rs, table_changes/mod.rs
// ======================================================================================

const std::vector<std::string> kIdCdf = {"id", "_change_type", "_commit_version"};

Lines IdChanges(std::initializer_list<int> ids, const std::string& type, int version) {
  Lines out;
  for (int id : ids) out.push_back(std::to_string(id) + "|" + type + "|" + std::to_string(version));
  return out;
}

Lines Join(std::initializer_list<Lines> parts) {
  Lines out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return Sorted(std::move(out));
}

// cdf.rs: cdf_with_deletion_vector (and cdf_with_deletion_vector_is_batch_size_invariant).
TEST(KernelCdfTest, CdfTableWithDv) {
  const Lines expected = Join({
      IdChanges({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, "insert", 0),       // insert 0..=9
      IdChanges({0, 9}, "delete", 1),                               // remove [0, 9]
      IdChanges({0, 9}, "insert", 2),                               // restore [0, 9]
      IdChanges({0, 1, 4, 5}, "delete", 3),                         // remove [0, 1, 4, 5]
      IdChanges({1, 4}, "insert", 4),                               // restore [1, 4]
      IdChanges({3}, "delete", 5),                                  // restore [0, 5], remove [3]
      IdChanges({0, 5}, "insert", 5), IdChanges({3}, "insert", 6),  // restore 3
  });
  EXPECT_EQ(
      Changes("cdf-table-with-dv", 0, std::nullopt, {"value", "_change_type", "_commit_version"}),
      expected);
}

// cdf.rs: basic_cdf.
TEST(KernelCdfTest, CdfTable) {
  const Lines expected = Sorted({
      "1|Steve|2023-12-22|insert|0",
      "2|Bob|2023-12-23|insert|0",
      "3|Dave|2023-12-23|insert|0",
      "4|Kate|2023-12-23|insert|0",
      "5|Emily|2023-12-24|insert|0",
      "6|Carl|2023-12-24|insert|0",
      "7|Dennis|2023-12-24|insert|0",
      "8|Claire|2023-12-25|insert|0",
      "9|Ada|2023-12-25|insert|0",
      "10|Borb|2023-12-25|insert|0",
      "3|Dave|2023-12-22|update_postimage|1",
      "3|Dave|2023-12-23|update_preimage|1",
      "4|Kate|2023-12-22|update_postimage|1",
      "4|Kate|2023-12-23|update_preimage|1",
      "2|Bob|2023-12-22|update_postimage|1",
      "2|Bob|2023-12-23|update_preimage|1",
      "7|Dennis|2023-12-24|update_preimage|2",
      "7|Dennis|2023-12-29|update_postimage|2",
      "5|Emily|2023-12-24|update_preimage|2",
      "5|Emily|2023-12-29|update_postimage|2",
      "6|Carl|2023-12-24|update_preimage|2",
      "6|Carl|2023-12-29|update_postimage|2",
      "7|Dennis|2023-12-29|delete|3",
  });
  EXPECT_EQ(Changes("cdf-table", 0, std::nullopt,
                    {"id", "name", "birthday", "_change_type", "_commit_version"}),
            expected);
}

// cdf.rs: cdf_non_partitioned.
TEST(KernelCdfTest, CdfTableNonPartitioned) {
  auto row = [](const std::string& id_name_day, const std::string& long_field,
                const std::string& type, int v) {
    return id_name_day + "|" + long_field + "|true|3.14|1|" + type + "|" + std::to_string(v);
  };
  const Lines expected = Sorted({
      row("1|Steve|2024-04-14", "1", "insert", 0),
      row("2|Bob|2024-04-15", "1", "insert", 0),
      row("3|Dave|2024-04-15", "2", "insert", 0),
      row("4|Kate|2024-04-15", "3", "insert", 0),
      row("5|Emily|2024-04-16", "4", "insert", 0),
      row("6|Carl|2024-04-16", "5", "insert", 0),
      row("7|Dennis|2024-04-16", "6", "insert", 0),
      row("8|Claire|2024-04-17", "7", "insert", 0),
      row("9|Ada|2024-04-17", "8", "insert", 0),
      row("10|Borb|2024-04-17", "99999999999999999", "insert", 0),
      row("3|Dave|2024-04-15", "2", "update_preimage", 1),
      row("3|Dave|2024-04-14", "2", "update_postimage", 1),
      row("4|Kate|2024-04-15", "3", "update_preimage", 1),
      row("4|Kate|2024-04-14", "3", "update_postimage", 1),
      row("2|Bob|2024-04-15", "1", "update_preimage", 1),
      row("2|Bob|2024-04-14", "1", "update_postimage", 1),
      row("7|Dennis|2024-04-16", "6", "update_preimage", 2),
      row("7|Dennis|2024-04-14", "6", "update_postimage", 2),
      row("5|Emily|2024-04-16", "4", "update_preimage", 2),
      row("5|Emily|2024-04-14", "4", "update_postimage", 2),
      row("6|Carl|2024-04-16", "5", "update_preimage", 2),
      row("6|Carl|2024-04-14", "5", "update_postimage", 2),
      row("7|Dennis|2024-04-14", "6", "delete", 3),
      row("1|Alex|2024-04-14", "1", "insert", 4),
      row("2|Alan|2024-04-15", "1", "insert", 4),
  });
  EXPECT_EQ(Changes("cdf-table-non-partitioned", 0, std::nullopt,
                    {"id", "name", "birthday", "long_field", "boolean_field", "double_field",
                     "smallint_field", "_change_type", "_commit_version"}),
            expected);
}

// cdf.rs: cdf_with_cdc_and_dvs.
Lines CdcAndDvsChanges() {
  return Sorted({
      "1|initial|insert|0",
      "2|insert1|insert|1",
      "3|insert1-delete1|insert|1",
      "4|insert1-delete2|insert|1",
      "5|insert1-delete2|insert|1",
      "3|insert1-delete1|delete|2",
      "3|insert1-delete1|insert|4",
      "4|insert1-delete2|delete|5",
      "5|insert1-delete2|delete|5",
      "4|insert1-delete2|insert|7",
      "5|insert2|insert|8",
      "1|initial|update_preimage|9",
      "1|update1|update_postimage|9",
      "2|insert1|update_preimage|9",
      "2|update1|update_postimage|9",
      "3|insert1-delete1|update_preimage|9",
      "3|update1|update_postimage|9",
      "1|update1|delete|10",
      "2|update1|update_preimage|12",
      "2|update2|update_postimage|12",
      "6|insert3|insert|14",
      "7|insert3|insert|14",
      "8|insert4|insert|15",
      "9|insert4|insert|15",
      "8|insert4|delete|16",
      "7|insert3|delete|16",
      "10|merge1-insert|insert|18",
      "11|merge1-insert|insert|18",
      "9|merge1-update|update_postimage|18",
      "9|insert4|update_preimage|18",
      "11|merge1-insert|update_preimage|20",
      "11||update_postimage|20",
      "12|merge2-insert|insert|22",
      "11||delete|22",
      "3|update1|delete|24",
      "4|insert1-delete2|delete|24",
      "5|insert2|delete|24",
      "2|update2|delete|24",
      "6|insert3|delete|24",
      "9|merge1-update|delete|24",
      "0|new|insert|25",
      "1|after-large-delete|insert|25",
      "2||insert|25",
  });
}

TEST(KernelCdfTest, CdfTableWithCdcAndDvs) {
  EXPECT_EQ(Changes("cdf-table-with-cdc-and-dvs", 0, std::nullopt,
                    {"id", "comment", "_change_type", "_commit_version"}),
            CdcAndDvsChanges());
}

// compacted-log-files-table has exactly the commits of cdf-table-with-cdc-and-dvs (plus
// compaction files), so upstream's two expectations cross-check: the same feed, and that
// table's latest rows are compacted_log_files_table's (read from commits, no compaction).
TEST(KernelCdfTest, CompactedLogFilesTableSharesItsCommits) {
  EXPECT_EQ(Changes("compacted-log-files-table", 0, std::nullopt,
                    {"id", "comment", "_change_type", "_commit_version"}),
            CdcAndDvsChanges());
  EXPECT_EQ(ScanTable("cdf-table-with-cdc-and-dvs", {"id", "comment"}).rows, kCompactedTableRows);
}

// cdf.rs: simple_cdf_version_ranges.
TEST(KernelCdfTest, CdfTableSimpleVersionRanges) {
  const Lines v0 = IdChanges({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, "insert", 0);
  const Lines v1 = IdChanges({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, "delete", 1);
  const Lines v2 = IdChanges({20, 21, 22, 23, 24}, "insert", 2);
  EXPECT_EQ(Changes("cdf-table-simple", 0, 0, kIdCdf), Sorted(v0));
  EXPECT_EQ(Changes("cdf-table-simple", 1, 1, kIdCdf), Sorted(v1));
  EXPECT_EQ(Changes("cdf-table-simple", 2, 2, kIdCdf), Sorted(v2));
  EXPECT_EQ(Changes("cdf-table-simple", 0, 2, kIdCdf), Join({v0, v1, v2}));
}

// cdf.rs: invalid_range_end_before_start, invalid_range_start_after_last_version_of_table.
TEST(KernelCdfTest, CdfTableSimpleInvalidRanges) {
  EXPECT_THROW(Changes("cdf-table-simple", 1, 0, kIdCdf), InvalidInput);
  EXPECT_THROW(Changes("cdf-table-simple", 3, 4, kIdCdf), NotFound);
}

// cdf.rs: update_operations — hand-written change files with "update_pre"/"update_post".
TEST(KernelCdfTest, CdfTableUpdateOps) {
  EXPECT_EQ(Changes("cdf-table-update-ops", 0, 2, kIdCdf),
            Join({IdChanges({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, "insert", 0),
                  IdChanges({20, 21, 22, 23, 24}, "update_pre", 1),
                  IdChanges({30, 31, 32, 33, 34}, "update_post", 2)}));
}

// cdf.rs: false_data_change_is_ignored.
TEST(KernelCdfTest, CdfTableDataChangeFalseIsIgnored) {
  EXPECT_EQ(Changes("cdf-table-data-change", 0, 1, kIdCdf),
            Sorted(IdChanges({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, "insert", 0)));
}

// cdf.rs: partition_table.
TEST(KernelCdfTest, CdfTablePartitioned) {
  EXPECT_EQ(Changes("cdf-table-partitioned", 0, 2,
                    {"id", "text", "part", "_change_type", "_commit_version"}),
            Sorted({"0|old|0|insert|0", "1|old|1|insert|0", "2|old|0|insert|0", "3|old|1|insert|0",
                    "4|old|0|insert|0", "5|old|1|insert|0", "3|old|1|delete|1",
                    "1|old|1|update_preimage|1", "1|new|1|update_postimage|1", "0|old|0|delete|2",
                    "2|old|0|delete|2", "4|old|0|delete|2"}));
}

// cdf.rs: backtick_column_names.
TEST(KernelCdfTest, CdfTableBacktickColumnNames) {
  const std::string s = R"({"field":1,"field.one":2})";
  EXPECT_EQ(Changes("cdf-table-backtick-column-names", 0, std::nullopt,
                    {"id.num", "id.num`s", "struct_col", "_change_type", "_commit_version"}),
            Sorted({"2|10|" + s + "|insert|0", "4|10|" + s + "|insert|0", "1|10|" + s + "|insert|1",
                    "3|10|" + s + "|insert|1", "5|10|" + s + "|insert|1"}));
}

// cdf.rs: unconditional_delete, conditional_delete_all_rows, conditional_delete_two_rows.
TEST(KernelCdfTest, CdfTableDeletes) {
  const Lines inserts = IdChanges({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, "insert", 0);
  const Lines all_deleted = IdChanges({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, "delete", 1);
  EXPECT_EQ(Changes("cdf-table-delete-unconditional", 0, std::nullopt, kIdCdf),
            Join({inserts, all_deleted}));
  EXPECT_EQ(Changes("cdf-table-delete-conditional-all-rows", 0, std::nullopt, kIdCdf),
            Join({inserts, all_deleted}));
  EXPECT_EQ(Changes("cdf-table-delete-conditional-two-rows", 0, std::nullopt, kIdCdf),
            Join({inserts, IdChanges({2, 8}, "delete", 1)}));
}

// cdf.rs: cdf_with_column_mapping_name_mode, cdf_with_column_mapping_id_mode. CDF is enabled
// from version 1 on, so the feed starts there.
TEST(KernelCdfTest, CdfColumnMapping) {
  const std::vector<std::string> cols = {"id", "name", "value", "_change_type", "_commit_version"};
  const Lines name_mode = Sorted({"1|Alice|100|delete|4", "2|Bob|200|update_preimage|2",
                                  "2|Bob|250|update_postimage|2", "4|David|400|insert|3"});
  EXPECT_EQ(Changes("cdf-column-mapping-name-mode", 1, std::nullopt, cols), name_mode);
  EXPECT_EQ(Changes("cdf-column-mapping-name-mode-3-7", 1, std::nullopt, cols), name_mode);
  EXPECT_EQ(Changes("cdf-column-mapping-id-mode", 1, std::nullopt, cols),
            Sorted({"2|Frank|250|update_preimage|2", "2|Frank|275|update_postimage|2",
                    "3|Grace|350|delete|4", "4|Henry|450|insert|3"}));
}

// table_changes/mod.rs: table_changes_checks_enable_cdf_flag — CDF on at versions 0 and 1,
// off at 2, on again at 3. The table's adds point at files that do not exist (upstream only
// builds the TableChanges): valid ranges construct with their bounds; a range starting at the
// disabled version fails with the reason.
TEST(KernelCdfTest, TableWithCdfEnablementRanges) {
  auto store = storage::OpenObjectStore(TablePath("table-with-cdf").string());
  for (auto [s, e] : std::vector<std::pair<int64_t, int64_t>>{{0, 1}, {0, 0}, {1, 1}}) {
    SCOPED_TRACE(std::to_string(s) + ".." + std::to_string(e));
    TableChanges changes(store, s, e);
    EXPECT_EQ(changes.start_version(), s);
    EXPECT_EQ(changes.end_version(), e);
  }
  for (auto [s, e] : std::vector<std::pair<int64_t, int64_t>>{{2, 2}, {2, 3}}) {
    SCOPED_TRACE(std::to_string(s) + ".." + std::to_string(e));
    try {
      TableChanges(store, s, e).ReadAll();
      ADD_FAILURE() << "expected an error";
    } catch (const InvalidInput& err) {
      EXPECT_NE(std::string(err.what()).find("change data feed is not enabled"), std::string::npos)
          << err.what();
    }
  }
}

// The same check for every invalid range, at construction: upstream's TableChanges::try_new
// fails with ChangeDataFeedUnsupported for (0,2), (1,2), (2,2), (2,3) before reading any data.
// Our constructor (table_changes.cc TableChanges::TableChanges) checks only the bounds; the
// CDF flag is checked commit by commit inside Execute, after the earlier commits' rows have
// gone to the sink. Here the (0,2) and (1,2) reads fail on the missing data files of commits
// 0/1 (NotFound) before reaching version 2; with real files a streaming reader would see
// rows, then the error.
TEST(KernelCdfTest, DISABLED_TableWithCdfInvalidRangesFailAtConstruction) {
  auto store = storage::OpenObjectStore(TablePath("table-with-cdf").string());
  for (auto [s, e] : std::vector<std::pair<int64_t, int64_t>>{{0, 2}, {1, 2}, {2, 2}, {2, 3}}) {
    SCOPED_TRACE(std::to_string(s) + ".." + std::to_string(e));
    EXPECT_THROW(TableChanges(store, s, e), InvalidInput);
  }
}

// table_changes/mod.rs: table_changes_has_cdf_schema — (part int, id int) then the CDF columns.
TEST(KernelCdfTest, TableWithCdfSchema) {
  auto store = storage::OpenObjectStore(TablePath("table-with-cdf").string());
  TableChanges changes(store, 0, 0);
  EXPECT_EQ(FieldNames(changes.schema()),
            (std::vector<std::string>{"part", "id", "_change_type", "_commit_version",
                                      "_commit_timestamp"}));
  EXPECT_EQ(changes.schema().field(0).type->ToString(), columnar::DataType::Int32()->ToString());
  EXPECT_EQ(changes.schema().field(1).type->ToString(), columnar::DataType::Int32()->ToString());
}

// scan/tests.rs: test_scan_metrics (with_removes) — the latest snapshot has no live file.
TEST(KernelCdfTest, TableWithCdfLatestSnapshotIsEmpty) {
  auto snap = Open("table-with-cdf");
  EXPECT_TRUE(snap->files().empty());
  EXPECT_EQ(snap->total_bytes(), 0);
}

// table_changes/mod.rs: schema_evolution_fails — between versions 3 and 4 `id` goes from
// nullable to non-nullable; upstream refuses a range whose start and end schemas differ. We
// read the range with the end version's schema (docs/delta.md "Change data feed") and check
// only that every commit has CDF on.
TEST(KernelCdfTest, DISABLED_TableWithCdfSchemaChangeInRangeIsRefused) {
  auto store = storage::OpenObjectStore(TablePath("table-with-cdf").string());
  EXPECT_THROW(TableChanges(store, 3, 4).ReadAll(), Error);
}

// ======================================================================================
// Refused tables
// ======================================================================================

// read/mod.rs: unshredded_variant_table expects the rows of unshredded-variant.expected.in
// (variant values as {metadata, value} binaries). We refuse the table: reader feature
// variantType-preview is not implemented (docs/delta.md). Kept as the expectation.
TEST(KernelReadTest, DISABLED_UnshreddedVariantReads) {
  auto r = ScanTable("unshredded-variant");
  EXPECT_FALSE(r.rows.empty());
}

}  // namespace
}  // namespace cpglake::delta
