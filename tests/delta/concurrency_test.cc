// Several `cpglake delta write` processes on one local table at once, and writers killed
// with SIGKILL at random points: commits are never lost, overwritten or half-applied.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "columnar/record_batch.h"
#include "common/error.h"
#include "delta/scan.h"
#include "delta/snapshot.h"
#include "parquet/file_writer.h"
#include "storage/object_store.h"
#include "test_util.h"

extern char** environ;

namespace cpglake::delta {
namespace {

namespace fs = std::filesystem;
using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;
using cpglake::testing::RunCommand;
using cpglake::testing::ShellQuote;
using cpglake::testing::TempDir;

const std::string& Cli() {
  static const std::string path = std::string(CPGLAKE_BINARY_DIR) + "/bin/cpglake";
  return path;
}

Schema RowSchema() {
  return Schema(std::vector<Field>{Field("id", DataType::Int64(), false),
                                   Field("w", DataType::Int32(), false),
                                   Field("payload", DataType::String(), true)});
}

// A Parquet file of `n` rows with ids first..first+n-1 and writer number w.
std::string InputFile(const fs::path& dir, int64_t first, int64_t n, int32_t w) {
  RecordBatch b = RecordBatch::MakeEmpty(RowSchema());
  for (int64_t i = first; i < first + n; ++i) {
    b.mutable_column(0).Append<int64_t>(i);
    b.mutable_column(1).Append<int32_t>(w);
    b.mutable_column(2).AppendString("payload-" + std::to_string(i) + std::string(40, 'x'));
  }
  b.set_num_rows(n);
  std::string path = (dir / ("in-" + std::to_string(first) + ".parquet")).string();
  parquet::WriteParquetFile(path, RowSchema(), {b});
  return path;
}

std::multiset<int64_t> Ids(const std::string& table) {
  auto snap = SnapshotBuilder(storage::OpenObjectStore(table)).Build();
  RecordBatch all = ScanBuilder(snap).WithColumns({"id"}).Build().ReadAll();
  std::multiset<int64_t> ids;
  for (int64_t r = 0; r < all.num_rows(); ++r) {
    ids.insert(columnar::GetValue(all.column(0), r).as_int());
  }
  return ids;
}

TEST(ConcurrentWritersTest, FourProcessesAppendingHundredCommitsEach) {
  TempDir dir;
  const std::string table = (dir.path() / "t").string();
  constexpr int kWriters = 4, kCommits = 100, kRows = 3;
  // Inputs first (ids are unique across all commits).
  for (int w = 0; w < kWriters; ++w) {
    for (int i = 0; i < kCommits; ++i) InputFile(dir.path(), (w * kCommits + i) * kRows, kRows, w);
  }
  ASSERT_EQ(RunCommand(Cli() + " delta create " + ShellQuote(table) +
                       " --schema 'id long not null, w int not null, payload string' -q")
                .exit_code,
            0);
  std::string script;
  for (int w = 0; w < kWriters; ++w) {
    script += "(for i in $(seq 0 " + std::to_string(kCommits - 1) + "); do " + Cli() +
              " delta write " + ShellQuote(table) + " --input " + ShellQuote(dir.path().string()) +
              "/in-$(( (" + std::to_string(w * kCommits) + " + i) * " + std::to_string(kRows) +
              " )).parquet --commit-property writer=" + std::to_string(w) +
              " -q || echo FAILED; done) & ";
  }
  script += "wait";
  auto r = RunCommand("bash -c " + ShellQuote(script));
  EXPECT_EQ(r.out.find("FAILED"), std::string::npos) << r.out;
  // Versions contiguous: 1 create + 400 appends, each exactly one commit file.
  auto store = storage::OpenObjectStore(table);
  auto snap = SnapshotBuilder(store).Build();
  EXPECT_EQ(snap->version(), kWriters * kCommits);
  for (int64_t v = 0; v <= snap->version(); ++v) {
    EXPECT_TRUE(store->Exists("_delta_log/" + CommitFileName(v))) << v;
  }
  // Every appended row present exactly once.
  auto ids = Ids(table);
  EXPECT_EQ(ids.size(), static_cast<size_t>(kWriters * kCommits * kRows));
  for (int64_t id = 0; id < kWriters * kCommits * kRows; ++id) {
    ASSERT_EQ(ids.count(id), 1u) << id;
  }
  EXPECT_EQ(snap->files().size(), static_cast<size_t>(kWriters * kCommits));
}

TEST(ConcurrentWritersTest, ConflictingOverwritesAreRejectedAndNothingIsHalfApplied) {
  TempDir dir;
  const std::string table = (dir.path() / "t").string();
  constexpr int kAppends = 40, kOverwrites = 25;
  for (int i = 0; i < kAppends; ++i) InputFile(dir.path(), 100000 + i * 2, 2, 0);
  for (int w = 1; w <= 2; ++w) {
    for (int i = 0; i < kOverwrites; ++i) InputFile(dir.path(), w * 1000000 + i * 5, 5, 9);
  }
  ASSERT_EQ(RunCommand(Cli() + " delta create " + ShellQuote(table) +
                       " --schema 'id long not null, w int not null, payload string' "
                       "--partition-by w -q")
                .exit_code,
            0);
  const std::string d = ShellQuote(dir.path().string());
  std::string script = "(for i in $(seq 0 " + std::to_string(kAppends - 1) + "); do " + Cli() +
                       " delta write " + ShellQuote(table) + " --input " + d +
                       "/in-$(( 100000 + i * 2 )).parquet -q || echo APPEND_FAILED; done) & ";
  for (int w = 1; w <= 2; ++w) {
    script += "(for i in $(seq 0 " + std::to_string(kOverwrites - 1) + "); do " + Cli() +
              " delta write " + ShellQuote(table) +
              " --mode overwrite --predicate 'w = 9' --input " + d + "/in-$(( " +
              std::to_string(w * 1000000) + " + i * 5 )).parquet -q; echo \"rc=$?\"; done) & ";
  }
  script += "wait";
  auto r = RunCommand("bash -c " + ShellQuote(script));
  EXPECT_EQ(r.out.find("APPEND_FAILED"), std::string::npos) << r.out;
  int ok = 0, conflicts = 0, other = 0;
  for (const auto& line : cpglake::testing::SplitLines(r.out)) {
    if (line == "rc=0")
      ++ok;
    else if (line == "rc=7")
      ++conflicts;
    else if (line.rfind("rc=", 0) == 0)
      ++other;
  }
  EXPECT_EQ(other, 0) << r.out;
  EXPECT_EQ(ok + conflicts, 2 * kOverwrites);
  EXPECT_GE(ok, 1);
  // Replay the history: appends accumulate; each successful overwrite replaces partition 9.
  auto store = storage::OpenObjectStore(table);
  auto snap = SnapshotBuilder(store).Build();
  EXPECT_EQ(snap->version(), kAppends + ok) << "one commit per successful write";
  auto ids = Ids(table);
  std::multiset<int64_t> w0, w9;
  for (int64_t id : ids) (id >= 1000000 ? w9 : w0).insert(id);
  EXPECT_EQ(w0.size(), static_cast<size_t>(kAppends * 2));
  // Partition 9 holds exactly the 5 rows of one overwrite input.
  ASSERT_EQ(w9.size(), 5u);
  const int64_t base = *w9.begin();
  for (int64_t k = 0; k < 5; ++k) EXPECT_EQ(w9.count(base + k), 1u);
}

// Starts `argv` and returns its pid.
pid_t Spawn(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw IoError("posix_spawn failed");
  return pid;
}

TEST(CrashSafetyTest, WritersKilledAtRandomPointsLeaveAReadableTable) {
  TempDir dir;
  const std::string table = (dir.path() / "t").string();
  // Inputs big enough that a write takes a while (several row groups and files).
  constexpr int kTrials = 120;
  std::vector<std::string> inputs;
  for (int i = 0; i < 8; ++i) inputs.push_back(InputFile(dir.path(), i * 100000, 20000, i));
  ASSERT_EQ(RunCommand(Cli() + " delta create " + ShellQuote(table) +
                       " --schema 'id long not null, w int not null, payload string' -q")
                .exit_code,
            0);
  std::mt19937 rng(20261121);
  std::map<int64_t, int64_t> rows_at_version;  // what each committed version must hold
  rows_at_version[0] = 0;
  int killed = 0, finished = 0;
  for (int t = 0; t < kTrials; ++t) {
    const std::string& input = inputs[static_cast<size_t>(t) % inputs.size()];
    const bool overwrite = t % 5 == 4;
    std::vector<std::string> args = {Cli(),
                                     "delta",
                                     "write",
                                     table,
                                     "--input",
                                     input,
                                     "--row-group-rows",
                                     "2000",
                                     "--target-file-size",
                                     "60000"};
    if (overwrite) {
      args.push_back("--mode");
      args.push_back("overwrite");
    }
    if (t % 10 == 9) {  // checkpoints killed part-way (writes at multiples of 10 make them too)
      args = {Cli(), "delta", "checkpoint", table};
    } else if (t % 10 == 8) {
      args = {Cli(), "delta", "set-property", table, "delta.checkpointInterval=5"};
    }
    pid_t pid = Spawn(args);
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 60000));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) {
      ++killed;
    } else {
      ++finished;
    }
    // The table opens at its latest committed version and holds exactly that version's rows.
    auto store = storage::OpenObjectStore(table);
    std::shared_ptr<const Snapshot> snap;
    ASSERT_NO_THROW(snap = SnapshotBuilder(store).Build()) << "trial " << t;
    int64_t expected = rows_at_version.rbegin()->second;
    const int64_t prev_version = rows_at_version.rbegin()->first;
    ASSERT_GE(snap->version(), prev_version);
    ASSERT_LE(snap->version(), prev_version + 1) << "one writer at a time";
    if (snap->version() == prev_version + 1) {
      // The write committed: its rows are all there.
      if (args[2] == "write") expected = (overwrite ? 0 : expected) + 20000;
      rows_at_version[snap->version()] = expected;
    }
    RecordBatch all;
    ASSERT_NO_THROW(all = ScanBuilder(snap).WithColumns({"id"}).Build().ReadAll()) << "trial " << t;
    ASSERT_EQ(all.num_rows(), expected) << "trial " << t << " version " << snap->version();
    EXPECT_EQ(snap->total_rows(), expected);
  }
  EXPECT_GT(killed, kTrials / 4) << "most trials should kill the writer mid-way";
  EXPECT_GT(finished, 0);
  // Every committed version still reads back exactly.
  for (const auto& [v, rows] : rows_at_version) {
    auto snap = SnapshotBuilder(storage::OpenObjectStore(table)).AtVersion(v).Build();
    EXPECT_EQ(snap->total_rows().value_or(-1), rows) << "version " << v;
  }
}

}  // namespace
}  // namespace cpglake::delta
