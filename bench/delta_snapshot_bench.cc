// Delta snapshot-open benchmark: SnapshotBuilder::Build() of a table (by default the 300k-add
// log of ../shared/testdata/delta-acceptance/benchmarks/300k-add-files-100-col-partitioned
// .tar.zst, unpacked into a temporary directory), at each requested thread count. Prints one
// line per run and a JSON line per thread count; the figures that matter are actions per
// second of wall time, and per CPU second (user + system: "per core").
//
//   delta_snapshot_bench [--archive FILE.tar.zst | --table DIR] [--runs N] [--threads 1,2]
//
// Each run opens the table from scratch in a fresh address space region: glibc returns the
// freed snapshot to the kernel, so every run pays the page faults a real `describe` pays.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "delta/snapshot.h"
#include "storage/object_store.h"

namespace fs = std::filesystem;
using namespace cpglake;

int main(int argc, char** argv) {
  fs::path archive = bench::DefaultDeltaArchive();
  fs::path table;
  int runs = 5;
  std::vector<int> thread_counts = {1, 2};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--archive" && i + 1 < argc) {
      archive = argv[++i];
    } else if (a == "--table" && i + 1 < argc) {
      table = argv[++i];
    } else if (a == "--runs" && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--threads" && i + 1 < argc) {
      thread_counts.clear();
      std::stringstream ss(argv[++i]);
      for (std::string t; std::getline(ss, t, ',');) thread_counts.push_back(std::atoi(t.c_str()));
    } else {
      std::fprintf(stderr,
                   "usage: %s [--archive FILE.tar.zst | --table DIR] [--runs N] [--threads 1,2]\n",
                   argv[0]);
      return 2;
    }
  }
  std::unique_ptr<bench::UnpackedArchive> unpacked;
  if (table.empty()) {
    unpacked = std::make_unique<bench::UnpackedArchive>(archive);
    table = unpacked->table_dir();
  }
  auto store = storage::OpenObjectStore(table.string(), {});
  for (int threads : thread_counts) {
    std::vector<double> wall, cpu;
    size_t files = 0, actions = 0;
    for (int r = 0; r < runs; ++r) {
      auto cpu0 = bench::CpuSeconds();
      auto t0 = std::chrono::steady_clock::now();
      auto snap = delta::SnapshotBuilder(store).WithThreads(threads).Build();
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      auto cpu1 = bench::CpuSeconds();
      double c = (cpu1.first - cpu0.first) + (cpu1.second - cpu0.second);
      files = snap->files().size();
      // Actions replayed: one per line of the segment's commits (checkpoint rows counted as
      // the live files and tombstones they hold).
      actions = snap->files().size() + snap->tombstones().size();
      auto t1 = std::chrono::steady_clock::now();
      snap.reset();
      double free_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
      wall.push_back(s);
      cpu.push_back(c);
      std::printf(
          "threads %d run %d: %zu files in %.3f s = %.2f M actions/s (CPU %.3f s = %.2f M/CPU-s; "
          "%.3f s to free)\n",
          threads, r + 1, files, s, actions / s / 1e6, c, actions / c / 1e6, free_s);
    }
    std::sort(wall.begin(), wall.end());
    std::sort(cpu.begin(), cpu.end());
    const double med = wall[wall.size() / 2];
    const double cpu_med = cpu[cpu.size() / 2];
    std::printf(
        "{\"bench\":\"delta_snapshot_open\",\"threads\":%d,\"files\":%zu,\"actions\":%zu,"
        "\"median_s\":%.4f,\"best_s\":%.4f,\"actions_per_s_median\":%.0f,"
        "\"actions_per_cpu_s_median\":%.0f,\"peak_rss_mb\":%ld}\n",
        threads, files, actions, med, wall.front(), actions / med, actions / cpu_med,
        bench::PeakRssMb());
  }
  return 0;
}
