// Delta full-scan benchmark: a cpg_nodes-shaped Delta table (by default 24 Parquet files,
// 10M rows: int64 ids, repeated strings, int32 positions, some nulls; ZSTD) is written to a
// temporary directory with a hand-made `_delta_log/00000000000000000000.json`, then, at each
// thread count, timed as (a) a full Delta scan (ScanBuilder → Execute, every batch handed to
// the caller) and (b) a bare Parquet read of the same files (ParquetFileReader::OpenPath,
// every row group, files spread over the same number of threads). Runs alternate between
// the two; prints one line per run and a JSON line per thread count with the medians, the
// ratio scan / bare of the median times and the median of the per-run ratios (the goal: at
// most 1.10; on a busy machine the per-run ratio and the CPU-time ratio are the steadier
// figures).
//
//   delta_scan_bench [--rows N] [--files N] [--row-group-rows N] [--runs N] [--threads 1,2]
//                    [--table DIR]   (reuse a table made before; it is not deleted)
//                    [--only scan|bare]   (time one side only, e.g. under perf)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "columnar/record_batch.h"
#include "common/parallel.h"
#include "delta/actions.h"
#include "delta/scan.h"
#include "delta/schema_json.h"
#include "delta/snapshot.h"
#include "parquet/file_reader.h"
#include "parquet/file_writer.h"
#include "storage/writable_file.h"

namespace fs = std::filesystem;
using namespace cpglake;
using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;

namespace {

Schema NodesSchema() {
  return Schema({Field("node_id", DataType::Int64(), false), Field("parent_id", DataType::Int64()),
                 Field("node_kind", DataType::String(), false), Field("path", DataType::String()),
                 Field("name", DataType::String()), Field("line", DataType::Int32()),
                 Field("col", DataType::Int32())});
}

// Rows [first, first + n) like a real graph: sorted by source file, ~5,000 nodes a file.
RecordBatch MakeBatch(int64_t first, int64_t n, std::mt19937_64& rng) {
  static const char* kKinds[] = {"CST_REF",     "CST_CALLSITE",     "CST_CALL_ARG",
                                 "PY_USE_SITE", "PY_DEF_SITE",      "CST_ATTRIBUTE_ACCESS",
                                 "PY_BINDING",  "CST_FUNCTION_DEF", "CST_PARAM",
                                 "PY_SCOPE",    "CST_CLASS_DEF",    "CST_IMPORT_ALIAS",
                                 "CST_IMPORT",  "CST_DOCSTRING",    "CST_DECORATOR",
                                 "TYPE_EXPR",   "CST_LAMBDA",       "PY_MODULE",
                                 "PY_FILE",     "TS_ERROR"};
  static const char* kNames[] = {"self",     "x",    "len",  "append", "get",
                                 "path",     "os",   "name", "value",  "result",
                                 "__init__", "data", "i",    "key",    "join"};
  RecordBatch b = RecordBatch::MakeEmpty(NodesSchema());
  for (int64_t i = first; i < first + n; ++i) {
    const int64_t file = i / 5000;
    b.mutable_column(0).Append<int64_t>(i);
    if (i % 5000 == 0) {
      b.mutable_column(1).AppendNull();  // a file's root
    } else {
      const int64_t parent = i - 1 - static_cast<int64_t>(rng() % 8);
      b.mutable_column(1).Append<int64_t>(std::max(parent, file * 5000));
    }
    b.mutable_column(2).AppendString(kKinds[std::min<uint64_t>(rng() % 64, 19)]);
    b.mutable_column(3).AppendString("pkg" + std::to_string(file % 97) + "/module_" +
                                     std::to_string(file) + ".py");
    if (rng() % 10 == 0) {
      b.mutable_column(4).AppendNull();
    } else {
      b.mutable_column(4).AppendString(kNames[rng() % 15]);
    }
    b.mutable_column(5).Append<int32_t>(static_cast<int32_t>((i % 5000) / 8 + 1));
    b.mutable_column(6).Append<int32_t>(static_cast<int32_t>(rng() % 80));
  }
  return b;
}

// Writes the table: `files` data files of equal row counts and the first commit.
void MakeTable(const fs::path& dir, int64_t rows, int files, int64_t row_group_rows) {
  fs::create_directories(dir / "_delta_log");
  const Schema schema = NodesSchema();
  std::vector<delta::AddFile> adds;
  std::mt19937_64 rng(2026);
  int64_t first = 0;
  for (int f = 0; f < files; ++f) {
    const int64_t n = rows / files + (f < rows % files ? 1 : 0);
    char name[64];
    std::snprintf(name, sizeof name, "part-%05d-cpglake.zstd.parquet", f);
    parquet::WriterOptions wo;
    wo.row_group_rows = row_group_rows;
    wo.threads = 2;
    auto out = storage::CreateLocalFile((dir / name).string());
    parquet::ParquetWriter w(out.get(), schema, wo);
    constexpr int64_t kBatch = 100000;
    for (int64_t done = 0; done < n; done += kBatch) {
      w.Write(MakeBatch(first + done, std::min(kBatch, n - done), rng));
    }
    w.Close();
    first += n;
    delta::AddFile a;
    a.path = name;
    a.size = static_cast<int64_t>(fs::file_size(dir / name));
    a.modification_time = 1795000000000;
    a.data_change = true;
    a.stats = "{\"numRecords\":" + std::to_string(n) + "}";
    adds.push_back(std::move(a));
  }
  delta::Protocol p;
  delta::Metadata m;
  m.id = "delta-scan-bench";
  m.schema_string = delta::SerializeDeltaSchema(schema);
  std::ofstream log(dir / "_delta_log/00000000000000000000.json");
  log << delta::SerializeActionJson(p) << "\n" << delta::SerializeActionJson(m) << "\n";
  for (const auto& a : adds) log << delta::SerializeActionJson(a) << "\n";
}

// Every row group of every data file, files spread over `threads` threads.
int64_t BareRead(const std::vector<std::string>& paths, int threads) {
  std::atomic<int64_t> rows{0};
  ParallelFor(paths.size(), threads, [&](size_t i) {
    auto reader = parquet::ParquetFileReader::OpenPath(paths[i]);
    for (int g = 0; g < reader->num_row_groups(); ++g) {
      rows += reader->ReadRowGroup(g).num_rows();
    }
  });
  return rows;
}

int64_t DeltaScan(const std::shared_ptr<const delta::Snapshot>& snap, int threads) {
  int64_t rows = 0;
  auto scan = delta::ScanBuilder(snap).WithThreads(threads).Build();
  scan.Execute([&](const RecordBatch& b) { rows += b.num_rows(); });
  return rows;
}

// Minor page faults of this process so far (fresh buffers cost one per 4 KiB page).
int64_t MinorFaults() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = 10000000;
  int files = 24;
  int64_t row_group_rows = parquet::WriterOptions().row_group_rows;
  int runs = 5;
  std::vector<int> thread_counts = {1, 2};
  fs::path table;
  std::string only;  // "scan" or "bare": time only that (for profiling)
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--rows" && i + 1 < argc) {
      rows = std::atoll(argv[++i]);
    } else if (a == "--files" && i + 1 < argc) {
      files = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--row-group-rows" && i + 1 < argc) {
      row_group_rows = std::max<int64_t>(1, std::atoll(argv[++i]));
    } else if (a == "--runs" && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--threads" && i + 1 < argc) {
      thread_counts.clear();
      std::stringstream ss(argv[++i]);
      for (std::string t; std::getline(ss, t, ',');) thread_counts.push_back(std::atoi(t.c_str()));
    } else if (a == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else if (a == "--table" && i + 1 < argc) {
      table = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: %s [--rows N] [--files N] [--row-group-rows N] [--runs N] "
                   "[--threads 1,2] [--table DIR] [--only scan|bare]\n",
                   argv[0]);
      return 2;
    }
  }
  fs::path tmp;
  if (table.empty() || !fs::exists(table / "_delta_log")) {
    if (table.empty()) {
      std::string templ = (fs::temp_directory_path() / "cpglake-scan-bench-XXXXXX").string();
      if (mkdtemp(templ.data()) == nullptr) {
        std::perror("mkdtemp");
        return 1;
      }
      tmp = templ;
      table = tmp / "nodes";
    }
    auto t0 = std::chrono::steady_clock::now();
    MakeTable(table, rows, files, row_group_rows);
    std::printf("wrote %lld rows in %d files to %s in %.1f s\n", static_cast<long long>(rows),
                files, table.c_str(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  auto snap = delta::OpenSnapshot(table.string());
  std::vector<std::string> paths;
  int64_t bytes = 0;
  for (const auto& f : snap->files()) {
    paths.push_back((table / f.path).string());
    bytes += f.size;
  }
  std::sort(paths.begin(), paths.end());  // the scan's file order
  std::printf("table: %zu files, %.1f MB\n", paths.size(), bytes / 1e6);

  for (int threads : thread_counts) {
    std::vector<double> scan_s, bare_s, scan_cpu, bare_cpu, scan_flt, bare_flt;
    int64_t scan_rows = 0, bare_rows = 0;
    for (int r = 0; r < runs; ++r) {
      auto time = [&](auto&& fn, std::vector<double>* wall, std::vector<double>* cpu,
                      std::vector<double>* faults) {
        const int64_t f0 = MinorFaults();
        auto c0 = bench::CpuSeconds();
        auto t0 = std::chrono::steady_clock::now();
        int64_t n = fn();
        wall->push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        auto c1 = bench::CpuSeconds();
        cpu->push_back((c1.first - c0.first) + (c1.second - c0.second));
        faults->push_back(static_cast<double>(MinorFaults() - f0));
        return n;
      };
      if (only == "scan") {
        scan_rows = bare_rows =
            time([&] { return DeltaScan(snap, threads); }, &scan_s, &scan_cpu, &scan_flt);
        bare_s = scan_s, bare_cpu = scan_cpu, bare_flt = scan_flt;
      } else if (only == "bare") {
        scan_rows = bare_rows =
            time([&] { return BareRead(paths, threads); }, &bare_s, &bare_cpu, &bare_flt);
        scan_s = bare_s, scan_cpu = bare_cpu, scan_flt = bare_flt;
      } else if (r % 2 == 0) {  // alternate which goes first so that drift hits both alike
        bare_rows = time([&] { return BareRead(paths, threads); }, &bare_s, &bare_cpu, &bare_flt);
        scan_rows = time([&] { return DeltaScan(snap, threads); }, &scan_s, &scan_cpu, &scan_flt);
      } else {
        scan_rows = time([&] { return DeltaScan(snap, threads); }, &scan_s, &scan_cpu, &scan_flt);
        bare_rows = time([&] { return BareRead(paths, threads); }, &bare_s, &bare_cpu, &bare_flt);
      }
      std::printf(
          "threads %d run %d: scan %.3f s (CPU %.3f s, %.0fk faults), bare %.3f s (CPU %.3f s, "
          "%.0fk faults), scan/bare %.3f\n",
          threads, r + 1, scan_s.back(), scan_cpu.back(), scan_flt.back() / 1e3, bare_s.back(),
          bare_cpu.back(), bare_flt.back() / 1e3, scan_s.back() / bare_s.back());
    }
    if (scan_rows != bare_rows) {
      std::fprintf(stderr, "row counts differ: scan %lld, bare %lld\n",
                   static_cast<long long>(scan_rows), static_cast<long long>(bare_rows));
      return 1;
    }
    const double scan_med = Median(scan_s), bare_med = Median(bare_s);
    std::vector<double> ratios;  // per run: the two sides ran back to back, under the same load
    for (size_t r = 0; r < scan_s.size(); ++r) ratios.push_back(scan_s[r] / bare_s[r]);
    std::printf(
        "{\"bench\":\"delta_full_scan\",\"threads\":%d,\"files\":%zu,\"rows\":%lld,"
        "\"scan_median_s\":%.4f,\"bare_median_s\":%.4f,\"scan_rows_per_s\":%.0f,"
        "\"bare_rows_per_s\":%.0f,\"scan_cpu_median_s\":%.4f,\"bare_cpu_median_s\":%.4f,"
        "\"ratio_scan_over_bare\":%.3f,\"median_run_ratio\":%.3f,\"cpu_ratio\":%.3f,\"peak_rss_"
        "mb\":%ld}\n",
        threads, paths.size(), static_cast<long long>(scan_rows), scan_med, bare_med,
        scan_rows / scan_med, bare_rows / bare_med, Median(scan_cpu), Median(bare_cpu),
        scan_med / bare_med, Median(ratios), Median(scan_cpu) / Median(bare_cpu),
        bench::PeakRssMb());
  }
  if (!tmp.empty()) fs::remove_all(tmp);
  return 0;
}
