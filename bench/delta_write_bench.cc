// Delta write benchmarks (issue 4), each against a peer measured in the same run:
//   1. small append commit latency: WriteDeltaTable of a 10-row batch into a local table
//      (snapshot open + data file + commit), median and p90 over --commits appends; and the
//      commit alone (Transaction::Commit of one prepared add);
//   2. append throughput of a cpg_nodes-shaped table (--rows, default 10M) through
//      WriteDeltaTable vs the bare Parquet writer writing the same batches to one file;
//   3. opening a table after --commits commits (JSON replay).
// Prints one line per measure and a JSON summary.
//
//   delta_write_bench [--rows N] [--commits N] [--dir DIR]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "bench_util.h"
#include "cpg_nodes_data.h"
#include "delta/snapshot.h"
#include "delta/transaction.h"
#include "delta/writer.h"
#include "parquet/file_writer.h"
#include "storage/object_store.h"
#include "storage/writable_file.h"

namespace fs = std::filesystem;
using namespace cpglake;

namespace {

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = 10000000;
  int commits = 200;
  fs::path base = fs::temp_directory_path();
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--rows" && i + 1 < argc) {
      rows = std::atoll(argv[++i]);
    } else if (a == "--commits" && i + 1 < argc) {
      commits = std::max(2, std::atoi(argv[++i]));
    } else if (a == "--dir" && i + 1 < argc) {
      base = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--rows N] [--commits N] [--dir DIR]\n", argv[0]);
      return 2;
    }
  }
  std::string templ = (base / "cpglake-writebench-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) return 1;
  const fs::path dir = templ;
  std::mt19937_64 rng(42);

  // 1. Small appends (checkpoints every 10 commits, as by default).
  const std::string small_table = (dir / "small").string();
  auto small_store = storage::OpenObjectStore(small_table);
  std::vector<double> append_s, commit_s;
  for (int i = 0; i < commits; ++i) {
    auto batch = bench::MakeNodesBatch(i * 10, 10, rng);
    auto t = std::chrono::steady_clock::now();
    delta::WriteDeltaTable(small_store, batch, {});
    append_s.push_back(Since(t));
  }
  for (int i = 0; i < commits; ++i) {
    auto snap = delta::SnapshotBuilder(small_store).Build();
    delta::CommitOptions co;
    co.checkpoint = false;
    delta::Transaction txn(small_store, snap, co);
    delta::AddFile add = snap->files().front();
    add.path = "bench-" + std::to_string(i) + ".parquet";  // a file that need not exist
    txn.AddFile(add);
    auto t = std::chrono::steady_clock::now();
    txn.Commit();
    commit_s.push_back(Since(t));
  }
  const double append_median = Percentile(append_s, 0.5), append_p90 = Percentile(append_s, 0.9);
  const double commit_median = Percentile(commit_s, 0.5);
  std::printf("small append (10 rows, open + write + commit): median %.2f ms, p90 %.2f ms\n",
              append_median * 1e3, append_p90 * 1e3);
  std::printf("commit alone (put-if-absent of one prepared add): median %.2f ms\n",
              commit_median * 1e3);

  // 3. Open after 2 x commits commits: with the checkpoints written on the way, and the same
  // log replayed from JSON alone (the checkpoint files hidden by copying the log without them).
  auto open_median_of = [](const std::shared_ptr<storage::ObjectStore>& store) {
    std::vector<double> s;
    for (int r = 0; r < 7; ++r) {
      auto t = std::chrono::steady_clock::now();
      auto snap = delta::SnapshotBuilder(store).Build();
      s.push_back(Since(t));
    }
    return Percentile(s, 0.5);
  };
  const double open_cp = open_median_of(small_store);
  const fs::path json_only = dir / "json-only";
  fs::create_directories(json_only / "_delta_log");
  for (const auto& e : fs::directory_iterator(fs::path(small_table) / "_delta_log")) {
    const std::string name = e.path().filename().string();
    if (name.size() == 25 && name.substr(20) == ".json") {
      fs::copy_file(e.path(), json_only / "_delta_log" / name);
    }
  }
  const double open_json = open_median_of(storage::OpenObjectStore(json_only.string()));
  const double open_median = open_json;
  std::printf(
      "open after %d commits: %.2f ms from the latest checkpoint, %.2f ms from JSON alone\n",
      2 * commits, open_cp * 1e3, open_json * 1e3);

  // 2. Throughput: the same batches through the Delta writer and the bare Parquet writer.
  std::vector<columnar::RecordBatch> batches;
  constexpr int64_t kBatch = 65536;
  for (int64_t done = 0; done < rows; done += kBatch) {
    batches.push_back(bench::MakeNodesBatch(done, std::min(kBatch, rows - done), rng));
  }
  double bare_s = 0, delta_s = 0;
  int64_t bare_bytes = 0, delta_bytes = 0;
  for (int round = 0; round < 2; ++round) {  // alternate to share the machine's noise
    {
      const std::string path = (dir / ("bare-" + std::to_string(round) + ".parquet")).string();
      auto t = std::chrono::steady_clock::now();
      auto file = storage::CreateLocalFile(path, true);
      parquet::ParquetWriter w(file.get(), bench::NodesSchema(), {});
      for (const auto& b : batches) w.Write(b);
      w.Close();
      bare_s += Since(t);
      bare_bytes = static_cast<int64_t>(fs::file_size(path));
      fs::remove(path);
    }
    {
      const std::string table = (dir / ("big-" + std::to_string(round))).string();
      size_t next = 0;
      auto t = std::chrono::steady_clock::now();
      auto r = delta::WriteDeltaTable(storage::OpenObjectStore(table), bench::NodesSchema(),
                                      [&]() -> std::optional<columnar::RecordBatch> {
                                        if (next >= batches.size()) return std::nullopt;
                                        return batches[next++];
                                      },
                                      {});
      delta_s += Since(t);
      delta_bytes = r.totals.bytes_added;
      fs::remove_all(table);
    }
  }
  std::printf(
      "append %lld rows: Delta %.2f s, bare Parquet %.2f s (per round, 2 rounds) -> "
      "Delta throughput = %.2f x bare; bytes %lld vs %lld\n",
      static_cast<long long>(rows), delta_s / 2, bare_s / 2, bare_s / delta_s,
      static_cast<long long>(delta_bytes), static_cast<long long>(bare_bytes));
  std::printf(
      "{\"bench\":\"delta_write\",\"small_append_median_ms\":%.3f,\"small_append_p90_ms\":%.3f,"
      "\"commit_median_ms\":%.3f,\"open_after_commits\":%d,\"open_json_ms\":%.3f,"
      "\"open_checkpoint_ms\":%.3f,"
      "\"rows\":%lld,\"delta_s\":%.3f,\"bare_parquet_s\":%.3f,\"throughput_ratio\":%.3f,"
      "\"peak_rss_mb\":%ld}\n",
      append_median * 1e3, append_p90 * 1e3, commit_median * 1e3, 2 * commits, open_median * 1e3,
      open_cp * 1e3, static_cast<long long>(rows), delta_s / 2, bare_s / 2, bare_s / delta_s,
      bench::PeakRssMb());
  fs::remove_all(dir);
  return 0;
}
