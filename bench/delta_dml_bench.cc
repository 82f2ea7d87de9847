// DML benchmark (issue 7): MERGE of 1% changed rows, clustered by file, into a cpg_nodes-shaped
// table (--rows, default 2M; string ids; sorted by file_id; several data files; row groups of
// --row-group-rows rows, default 8,192 as the graph tables), in deletion-vector mode and in
// copy-on-write mode; then a DELETE of one file's rows in each. Each measurement runs in its
// own forked process so that its peak RSS is its own. Prints one line per measure (time, files
// read, row groups skipped, bytes written, peak RSS) and a JSON summary.
//
// --pipeline-writer writes the table and both modes' DML files as the pipeline writes cpg_nodes
// (pipeline/build.cc TableWriteOptions): zstd level 1, a Bloom filter on node_id, file
// statistics on the clustering columns only; the default is the writer's defaults (zstd 3,
// statistics on every column, no Bloom filter).
//
//   delta_dml_bench [--rows N] [--row-group-rows N] [--dir DIR] [--cdf] [--pipeline-writer]
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "bench_util.h"
#include "delta/dml.h"
#include "delta/scan.h"
#include "delta/snapshot.h"
#include "delta/writer.h"
#include "storage/object_store.h"

namespace fs = std::filesystem;
using namespace cpglake;
using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;

namespace {

constexpr int64_t kNodesPerFile = 5000;

uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

Schema NodesSchema() {
  return Schema({Field("node_id", DataType::String(), false),
                 Field("file_id", DataType::String(), false),
                 Field("node_kind", DataType::String(), false), Field("bstart", DataType::Int64()),
                 Field("bend", DataType::Int64()), Field("name", DataType::String())});
}

// Rows [first, first + n): deterministic per row; `bump` changes bend (an update).
RecordBatch Nodes(int64_t first, int64_t n, int64_t bump = 0) {
  static const char* kKinds[] = {"CST_REF",         "CST_CALLSITE",         "PY_USE_SITE",
                                 "PY_DEF_SITE",     "CST_ATTRIBUTE_ACCESS", "PY_BINDING",
                                 "CST_FUNCTION_DEF"};
  static const char* kNames[] = {"self", "x", "len", "append", "get", "path", "os", "name"};
  RecordBatch b = RecordBatch::MakeEmpty(NodesSchema());
  char buf[64];
  for (int64_t i = first; i < first + n; ++i) {
    const uint64_t a = Mix(static_cast<uint64_t>(i)), c = Mix(a);
    std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(a),
                  static_cast<unsigned long long>(c));
    b.mutable_column(0).AppendString(buf);
    std::snprintf(buf, sizeof(buf), "src/pkg%03lld/module_%07lld.py",
                  static_cast<long long>(i / kNodesPerFile / 100),
                  static_cast<long long>(i / kNodesPerFile));
    b.mutable_column(1).AppendString(buf);
    b.mutable_column(2).AppendString(kKinds[a % 7]);
    const int64_t start = (i % kNodesPerFile) * 37;
    b.mutable_column(3).Append<int64_t>(start);
    b.mutable_column(4).Append<int64_t>(start + 1 + static_cast<int64_t>(c % 60) + bump);
    if (c % 10 == 0) {
      b.mutable_column(5).AppendNull();
    } else {
      b.mutable_column(5).AppendString(kNames[c % 8]);
    }
  }
  return b;
}

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Runs `body` in a child process; returns its exit status.
template <typename F>
int InChild(F body) {
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    int rc = 0;
    try {
      body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "error: %s\n", e.what());
      rc = 1;
    }
    std::fflush(stdout);
    _exit(rc);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int64_t DirBytes(const fs::path& dir) {
  int64_t n = 0;
  for (auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) n += static_cast<int64_t>(e.file_size());
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = 2'000'000;
  std::string dir_arg;
  // As the graph tables (pipeline WriterSettings::row_group_rows).
  int64_t row_group_rows = 8192;
  bool cdf = false;
  bool pipeline_writer = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--rows") && i + 1 < argc) rows = std::atoll(argv[++i]);
    if (!std::strcmp(argv[i], "--dir") && i + 1 < argc) dir_arg = argv[++i];
    if (!std::strcmp(argv[i], "--row-group-rows") && i + 1 < argc) {
      row_group_rows = std::atoll(argv[++i]);
    }
    if (!std::strcmp(argv[i], "--cdf")) cdf = true;
    if (!std::strcmp(argv[i], "--pipeline-writer")) pipeline_writer = true;
  }
  // The Parquet settings of the table's data files, the DML's included.
  parquet::WriterOptions parquet_options;
  parquet_options.row_group_rows = row_group_rows;
  if (pipeline_writer) {
    parquet_options.compression_level = 1;
    parquet::BloomFilterOptions bloom;
    bloom.column = "node_id";
    parquet_options.bloom_filters.push_back(bloom);
  }
  const fs::path root = dir_arg.empty() ? fs::temp_directory_path() /
                                              ("cpglake_dml_bench_" + std::to_string(getpid()))
                                        : fs::path(dir_arg);
  fs::remove_all(root);
  fs::create_directories(root);
  const fs::path base = root / "base";

  // The table: sorted by file_id, ~16 MiB files, row groups of `row_group_rows` rows.
  if (InChild([&] {
        auto t = std::chrono::steady_clock::now();
        delta::WriteOptions o;
        o.target_file_bytes = int64_t{16} << 20;
        o.parquet = parquet_options;
        if (cdf) o.properties["delta.enableChangeDataFeed"] = "true";
        if (pipeline_writer) {
          o.properties["delta.dataSkippingStatsColumns"] = "file_id,node_kind,bstart,bend";
        }
        int64_t next = 0;
        const int64_t step = 200'000;
        delta::WriteDeltaTable(
            storage::OpenObjectStore(base.string()), NodesSchema(),
            [&]() -> std::optional<RecordBatch> {
              if (next >= rows) return std::nullopt;
              const int64_t n = std::min(step, rows - next);
              next += n;
              return Nodes(next - n, n);
            },
            o);
        auto snap = delta::SnapshotBuilder(storage::OpenObjectStore(base.string())).Build();
        std::printf(
            "table: %lld rows, %zu files, %.1f MB, %lld-row row groups, %s writer, written in "
            "%.2f s\n",
            static_cast<long long>(rows), snap->files().size(),
            static_cast<double>(snap->total_bytes()) / 1e6, static_cast<long long>(row_group_rows),
            pipeline_writer ? "pipeline" : "default", Since(t));
      }) != 0) {
    return 1;
  }

  // 1% of the rows, clustered: the nodes of consecutive files in the middle of the table.
  const int64_t changed = std::max<int64_t>(1, rows / 100);
  const int64_t first_changed = (rows / 2) / kNodesPerFile * kNodesPerFile;
  std::string json = "{\"rows\":" + std::to_string(rows) +
                     ",\"changed_rows\":" + std::to_string(changed) +
                     ",\"row_group_rows\":" + std::to_string(row_group_rows) +
                     ",\"cdf\":" + (cdf ? "true" : "false") +
                     ",\"pipeline_writer\":" + (pipeline_writer ? "true" : "false");
  // DML writes with the table's writer settings, as the pipeline does (TableWriteOptions).
  delta::MergeOptions merge_options;
  merge_options.dml.write.target_file_bytes = int64_t{16} << 20;
  merge_options.dml.write.parquet = parquet_options;
  auto read_text = [](const std::string& path) {
    std::string text;
    if (FILE* f = std::fopen(path.c_str(), "r")) {
      char buf[1024];
      const size_t n = std::fread(buf, 1, sizeof(buf), f);
      text.assign(buf, n);
      std::fclose(f);
    }
    return text.empty() ? std::string("null") : text;
  };
  for (const bool dv : {true, false}) {
    const char* mode = dv ? "deletion-vec" : "copy-on-write";
    const fs::path table = root / (dv ? "dv" : "cow");
    fs::copy(base, table, fs::copy_options::recursive);
    if (dv) {
      delta::SetTableProperties(storage::OpenObjectStore(table.string()),
                                {{"delta.enableDeletionVectors", "true"}});
    }
    const std::string merge_out = (root / (dv ? "dv_merge.json" : "cow_merge.json")).string();
    const std::string delete_out = (root / (dv ? "dv_delete.json" : "cow_delete.json")).string();
    InChild([&] {
      auto store = storage::OpenObjectStore(table.string());
      const auto snapshot = delta::SnapshotBuilder(store).Build();
      const RecordBatch source = Nodes(first_changed, changed, /*bump=*/1000);
      const long rss_before = bench::PeakRssMb();
      const int64_t bytes_before = DirBytes(table);
      auto t = std::chrono::steady_clock::now();
      auto r = delta::Merge(
          store, source, "target.file_id = source.file_id AND target.node_id = source.node_id",
          {delta::WhenMatchedUpdateAll(), delta::WhenNotMatchedInsertAll()}, merge_options);
      const double merge_s = Since(t);
      const long rss_merge = bench::PeakRssMb();
      const int64_t merge_bytes = DirBytes(table) - bytes_before;
      const auto& m = r.metrics;
      int64_t read_bytes = 0;  // of the files read
      for (const auto& f : snapshot->files()) {
        if (std::find(r.files_read.begin(), r.files_read.end(), f.path) != r.files_read.end()) {
          read_bytes += f.size;
        }
      }
      std::printf(
          "%-14s merge: %.3f s (scan %lld ms, write %lld ms), %lld updated, files read %lld/%lld "
          "(%.1f MB) touched %lld, row groups skipped %lld, written %.2f MB (data %.2f MB, dv "
          "%lld B), peak RSS %ld MB (%ld MB before)\n",
          mode, merge_s, static_cast<long long>(m.scan_time_ms),
          static_cast<long long>(m.rewrite_time_ms), static_cast<long long>(m.rows_updated),
          static_cast<long long>(m.files_read), static_cast<long long>(m.files_considered),
          static_cast<double>(read_bytes) / 1e6, static_cast<long long>(m.files_touched),
          static_cast<long long>(m.row_groups_skipped), static_cast<double>(merge_bytes) / 1e6,
          static_cast<double>(m.bytes_added) / 1e6, static_cast<long long>(m.dv_bytes), rss_merge,
          rss_before);
      FILE* f = std::fopen(merge_out.c_str(), "w");
      std::fprintf(f,
                   "\"merge_s\":%.4f,\"merge_bytes_written\":%lld,\"merge_peak_rss_mb\":%ld,"
                   "\"merge_rss_before_mb\":%ld,\"rows_updated\":%lld,\"files_read\":%lld,"
                   "\"files_touched\":%lld,\"files_read_bytes\":%lld,"
                   "\"merge_row_groups_skipped\":%lld",
                   merge_s, static_cast<long long>(merge_bytes), rss_merge, rss_before,
                   static_cast<long long>(m.rows_updated), static_cast<long long>(m.files_read),
                   static_cast<long long>(m.files_touched), static_cast<long long>(read_bytes),
                   static_cast<long long>(m.row_groups_skipped));
      std::fclose(f);
    });
    // DELETE of one file's nodes, in its own process (after the merge).
    InChild([&] {
      auto store = storage::OpenObjectStore(table.string());
      char where[128];
      std::snprintf(where, sizeof(where), "file_id = 'src/pkg%03lld/module_%07lld.py'",
                    static_cast<long long>(rows / 4 / kNodesPerFile / 100),
                    static_cast<long long>(rows / 4 / kNodesPerFile));
      const long rss_before = bench::PeakRssMb();
      const int64_t bytes_before = DirBytes(table);
      const auto t = std::chrono::steady_clock::now();
      auto d = delta::Delete(store, where, merge_options.dml);
      const double delete_s = Since(t);
      const long rss_delete = bench::PeakRssMb();
      const int64_t delete_bytes = DirBytes(table) - bytes_before;
      std::printf(
          "%-14s delete of one file's %lld rows: %.3f s, row groups skipped %lld, written %.2f "
          "MB, peak RSS %ld MB (%ld MB before)\n",
          mode, static_cast<long long>(d.metrics.rows_deleted), delete_s,
          static_cast<long long>(d.metrics.row_groups_skipped),
          static_cast<double>(delete_bytes) / 1e6, rss_delete, rss_before);
      FILE* f = std::fopen(delete_out.c_str(), "w");
      std::fprintf(f,
                   "\"delete_s\":%.4f,\"delete_bytes_written\":%lld,\"delete_peak_rss_mb\":%ld,"
                   "\"delete_row_groups_skipped\":%lld",
                   delete_s, static_cast<long long>(delete_bytes), rss_delete,
                   static_cast<long long>(d.metrics.row_groups_skipped));
      std::fclose(f);
    });
    json += std::string(",\"") + (dv ? "deletion_vectors" : "copy_on_write") + "\":{" +
            read_text(merge_out) + "," + read_text(delete_out) + "}";
  }
  // Scan overhead of deletion vectors: one source file's rows deleted in every 10th data file
  // (a DV on ~10% of the files), then a full scan of (node_id, file_id) against the table
  // without DVs, best of 3 each.
  const fs::path scanned = root / "scan_dv";
  fs::copy(base, scanned, fs::copy_options::recursive);
  InChild([&] {
    auto store = storage::OpenObjectStore(scanned.string());
    delta::SetTableProperties(store, {{"delta.enableDeletionVectors", "true"}});
    const auto files = static_cast<int64_t>(delta::OpenSnapshot(base.string())->files().size());
    const int64_t per_file = std::max<int64_t>(1, rows / files);
    int64_t with_dv = 0;
    for (int64_t k = 0; k < files; k += 10, ++with_dv) {
      const int64_t module = (k * per_file + per_file / 2) / kNodesPerFile;
      char where[128];
      std::snprintf(where, sizeof(where), "file_id = 'src/pkg%03lld/module_%07lld.py'",
                    static_cast<long long>(module / 100), static_cast<long long>(module));
      delta::Delete(store, where, delta::DmlOptions());
    }
    auto best_scan = [](const std::string& path, int64_t* rows_out) {
      double best = 1e9;
      for (int i = 0; i < 3; ++i) {
        auto snapshot = delta::OpenSnapshot(path);
        auto t = std::chrono::steady_clock::now();
        int64_t n = 0;
        delta::ScanBuilder(snapshot)
            .WithColumns({"node_id", "file_id"})
            .Build()
            .Execute([&](const RecordBatch& b) { n += b.num_rows(); });
        best = std::min(best, Since(t));
        *rows_out = n;
      }
      return best;
    };
    int64_t plain_rows = 0, dv_rows = 0;
    const double plain_s = best_scan(base.string(), &plain_rows);
    const double dv_s = best_scan(scanned.string(), &dv_rows);
    std::printf(
        "scan of (node_id, file_id): %.3f s for %lld rows without DVs; %.3f s for %lld rows with "
        "DVs on %lld of %lld files: %.2fx\n",
        plain_s, static_cast<long long>(plain_rows), dv_s, static_cast<long long>(dv_rows),
        static_cast<long long>(with_dv), static_cast<long long>(files), dv_s / plain_s);
  });
  std::printf("%s}\n", json.c_str());
  if (dir_arg.empty()) fs::remove_all(root);
  return 0;
}
