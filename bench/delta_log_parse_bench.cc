// Delta log JSON parse benchmark: ParseActionsJson over the commits of the 300k-add log
// (../shared/testdata/delta-acceptance/benchmarks/300k-add-files-100-col-partitioned.tar.zst,
// unpacked into a temporary directory with zstd + tar), single thread. Prints one line per
// run and a JSON summary; the figure that matters is actions per second.
//
//   delta_log_parse_bench [--archive FILE.tar.zst | --log DIR/_delta_log] [--runs N]
//
// Run 1 is cold: the ~150 MB of action structs land on fresh pages the kernel must fault in
// and zero (the "system" time). Later runs keep glibc from returning freed memory to the
// kernel, so they measure the parser itself; the summary reports both.
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "delta/actions.h"

namespace fs = std::filesystem;
using namespace cpglake;
using bench::CpuSeconds;
using bench::PeakRssMb;

namespace {

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int main(int argc, char** argv) {
  fs::path archive = bench::DefaultDeltaArchive();
  fs::path log_dir;
  int runs = 5;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--archive" && i + 1 < argc) {
      archive = argv[++i];
    } else if (a == "--log" && i + 1 < argc) {
      log_dir = argv[++i];
    } else if (a == "--runs" && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: %s [--archive FILE.tar.zst | --log DIR] [--runs N]\n", argv[0]);
      return 2;
    }
  }

  std::unique_ptr<bench::UnpackedArchive> unpacked;
  if (log_dir.empty()) {
    unpacked = std::make_unique<bench::UnpackedArchive>(archive);
    log_dir = unpacked->table_dir() / "_delta_log";
  }

  std::vector<std::pair<std::string, std::string>> files;  // name, content
  size_t bytes = 0;
  for (const auto& e : fs::directory_iterator(log_dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.size() > 5 && name.substr(name.size() - 5) == ".json" &&
        name[0] != '.') {
      files.emplace_back(name, ReadFile(e.path()));
      bytes += files.back().second.size();
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "no commit files under %s\n", log_dir.string().c_str());
    return 1;
  }

  // Timed: parsing into the action structs (kept, as a snapshot would keep them). Freeing
  // them afterwards is reported separately.
  // Keep freed memory in the process between runs (see the top comment).
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  std::vector<double> seconds, user_s, sys_s;
  size_t actions = 0;
  double free_s = 0;
  for (int r = 0; r < runs; ++r) {
    actions = 0;
    std::vector<std::vector<delta::Action>> results;
    results.reserve(files.size());
    auto cpu0 = CpuSeconds();
    auto t0 = std::chrono::steady_clock::now();
    for (const auto& [name, content] : files) {
      results.push_back(delta::ParseActionsJson(content, name));
      actions += results.back().size();
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    auto cpu1 = CpuSeconds();
    seconds.push_back(s);
    user_s.push_back(cpu1.first - cpu0.first);
    sys_s.push_back(cpu1.second - cpu0.second);
    auto t1 = std::chrono::steady_clock::now();
    results.clear();
    free_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    std::printf(
        "run %d: %zu actions in %.3f s = %.2f M actions/s, %.0f MB/s (CPU: user %.3f s, system "
        "%.3f s; then %.3f s to free)\n",
        r + 1, actions, s, actions / s / 1e6, bytes / s / 1e6, user_s.back(), sys_s.back(), free_s);
  }
  const double cold = seconds.front();
  const double cold_cpu = user_s.front() + sys_s.front();
  if (runs > 1) {  // the warm runs
    seconds.erase(seconds.begin());
    user_s.erase(user_s.begin());
  }
  std::sort(seconds.begin(), seconds.end());
  std::sort(user_s.begin(), user_s.end());
  const double best = seconds.front();
  const double median = seconds[seconds.size() / 2];
  const double user_median = user_s[user_s.size() / 2];
  std::printf(
      "{\"bench\":\"delta_log_parse\",\"files\":%zu,\"bytes\":%zu,\"actions\":%zu,"
      "\"cold_s\":%.4f,\"cold_actions_per_cpu_s\":%.0f,"
      "\"best_s\":%.4f,\"median_s\":%.4f,\"actions_per_s_best\":%.0f,"
      "\"actions_per_s_median\":%.0f,\"actions_per_user_cpu_s_median\":%.0f,"
      "\"mb_per_s_median\":%.1f,\"peak_rss_mb\":%ld}\n",
      files.size(), bytes, actions, cold, actions / cold_cpu, best, median, actions / best,
      actions / median, actions / user_median, bytes / median / 1e6, PeakRssMb());
  return 0;
}
