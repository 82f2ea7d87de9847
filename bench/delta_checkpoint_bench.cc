// Delta checkpoint benchmark: on the 300k-add table (../shared/testdata/delta-acceptance/
// benchmarks/300k-add-files-100-col-partitioned.tar.zst, unpacked into a temporary directory;
// versions 2, 3 and 4 each add 100k files), for the 100k-file version 2 and the 300k-file
// version 4:
//   1. open the snapshot by replaying the JSON commits,
//   2. write a classic checkpoint of it (WriteCheckpoint),
//   3. open the snapshot again, now from that checkpoint.
// Prints one line per run and a JSON line per measurement (median and best of --runs).
//
//   delta_checkpoint_bench [--archive FILE.tar.zst | --table DIR] [--runs N] [--threads N]
//
// With --table the directory is written into (checkpoints and _last_checkpoint): pass a copy.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench_util.h"
#include "delta/checkpoint_writer.h"
#include "delta/snapshot.h"
#include "storage/object_store.h"

namespace fs = std::filesystem;
using namespace cpglake;

namespace {

struct Timing {
  double median = 0, best = 0;
};

Timing Measure(const char* what, int runs, const std::function<std::string()>& fn) {
  std::vector<double> t;
  for (int r = 0; r < runs; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    std::string note = fn();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    t.push_back(s);
    std::printf("%s run %d: %.3f s%s%s\n", what, r + 1, s, note.empty() ? "" : "  ", note.c_str());
  }
  std::sort(t.begin(), t.end());
  return {t[t.size() / 2], t.front()};
}

}  // namespace

int main(int argc, char** argv) {
  fs::path archive = bench::DefaultDeltaArchive();
  fs::path table;
  int runs = 3;
  int threads = 2;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--archive" && i + 1 < argc) {
      archive = argv[++i];
    } else if (a == "--table" && i + 1 < argc) {
      table = argv[++i];
    } else if (a == "--runs" && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--threads" && i + 1 < argc) {
      threads = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr,
                   "usage: %s [--archive FILE.tar.zst | --table DIR] [--runs N] [--threads N]\n",
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
  const int64_t latest = delta::SnapshotBuilder(store).WithThreads(threads).Build()->version();
  std::vector<int64_t> versions = {std::min<int64_t>(2, latest), latest};
  versions.erase(std::unique(versions.begin(), versions.end()), versions.end());

  auto open = [&](int64_t v) {
    return delta::SnapshotBuilder(store).AtVersion(v).WithThreads(threads).Build();
  };
  // 1. From JSON (before any checkpoint exists).
  std::vector<Timing> from_json;
  std::vector<size_t> files(versions.size());
  for (size_t i = 0; i < versions.size(); ++i) {
    const int64_t v = versions[i];
    std::string label = "open v" + std::to_string(v) + " from JSON";
    from_json.push_back(Measure(label.c_str(), runs, [&] {
      auto s = open(v);
      files[i] = s->files().size();
      return std::to_string(files[i]) + " files";
    }));
  }
  // 2. Write checkpoints; 3. open from them.
  for (size_t i = 0; i < versions.size(); ++i) {
    const int64_t v = versions[i];
    auto snap = open(v);
    delta::CheckpointOptions opts;
    opts.threads = threads;
    delta::CheckpointResult res;
    std::string label = "checkpoint v" + std::to_string(v);
    Timing write = Measure(label.c_str(), runs, [&] {
      res = delta::WriteCheckpoint(*snap, opts);
      return std::to_string(res.num_actions) + " actions, " +
             std::to_string(res.size_in_bytes / 1024) + " KiB";
    });
    snap.reset();
    label = "open v" + std::to_string(v) + " from checkpoint";
    Timing reopen = Measure(label.c_str(), runs, [&] {
      auto s = open(v);
      if (s->log_segment().checkpoint_version != v) std::abort();
      return std::to_string(s->files().size()) + " files";
    });
    std::printf(
        "{\"bench\":\"delta_checkpoint\",\"version\":%lld,\"files\":%zu,\"threads\":%d,"
        "\"checkpoint_bytes\":%lld,\"write_median_s\":%.4f,\"write_best_s\":%.4f,"
        "\"open_json_median_s\":%.4f,\"open_checkpoint_median_s\":%.4f,"
        "\"open_checkpoint_best_s\":%.4f,\"peak_rss_mb\":%ld}\n",
        static_cast<long long>(v), files[i], threads, static_cast<long long>(res.size_in_bytes),
        write.median, write.best, from_json[i].median, reopen.median, reopen.best,
        bench::PeakRssMb());
  }
  return 0;
}
