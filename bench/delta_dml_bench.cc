// DML benchmark (issue 7): MERGE of 1% changed rows, clustered by file, into a cpg_nodes-shaped
// table (--rows, default 2M; string ids; sorted by file_id; several data files; row groups of
// --row-group-rows rows, default 8,192 as the graph tables), in deletion-vector mode and in
// copy-on-write mode; then a DELETE of one file's rows in each. Each measurement runs in its
// own forked process so that its peak RSS is its own. Prints one line per measure (time, files
// read, row groups skipped, bytes written, peak RSS, the touched files' size) and a JSON
// summary.
//
// The table's shape is a choice, printed in the first line and the JSON:
// - default: six columns (node_id, file_id, node_kind, bstart, bend, name), the writer's
//   defaults (zstd 3, statistics on every column, no Bloom filter, no table properties) and
//   data files of --target-file-mb MiB (default 16: ~800,000 rows, 13 files at 10M rows);
// - --pipeline-writer: the pipeline's cpg_nodes exactly as `cpglake build` writes it — the
//   graph schema (cpg::NodesSchema) and pipeline::GraphTableWriteOptions(BuildOptions{},
//   "cpg_nodes"), the same function the build calls: zstd level 1, 8,192-row row groups,
//   Bloom filters on node_id and qualified_name, statistics on the clustering columns, the
//   graph tables' properties (deletion vectors, change data feed, row tracking, in-commit
//   timestamps) and the 128 MiB target file size (--target-file-mb overrides it, and
//   --row-group-rows the row groups). Both modes' DML files are written with those options;
//   copy-on-write is forced with DmlOptions::use_deletion_vectors = false. Unlike the
//   pipeline (file_id is a hash there, rows sorted by path), file_id here sorts with path, so
//   that the merge on file_id prunes files as the pipeline's replacement does by path.
//
//   delta_dml_bench [--rows N] [--row-group-rows N] [--target-file-mb N] [--threads N]
//                   [--dir DIR [--reuse-table]] [--only dv|cow] [--cdf] [--pipeline-writer]
//
// --reuse-table keeps DIR/base from an earlier run with the same options (for profiling);
// --only runs one mode's merge and delete and skips the scan measure.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>

#include "bench_util.h"
#include "cpg/graph.h"
#include "delta/dml.h"
#include "delta/scan.h"
#include "delta/snapshot.h"
#include "delta/writer.h"
#include "pipeline/build.h"
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

// The six-column shape of the default table.
Schema SmallNodesSchema() {
  return Schema({Field("node_id", DataType::String(), false),
                 Field("file_id", DataType::String(), false),
                 Field("node_kind", DataType::String(), false), Field("bstart", DataType::Int64()),
                 Field("bend", DataType::Int64()), Field("name", DataType::String())});
}

std::string Hex32(uint64_t a, uint64_t b) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(a),
                static_cast<unsigned long long>(b));
  return buf;
}

// Rows [first, first + n) of `schema` (SmallNodesSchema or cpg::NodesSchema): deterministic
// per row; `bump` changes bend (an update).
RecordBatch Nodes(const Schema& schema, int64_t first, int64_t n, int64_t bump = 0) {
  static const char* kKinds[] = {"CST_REF",         "CST_CALLSITE",         "PY_USE_SITE",
                                 "PY_DEF_SITE",     "CST_ATTRIBUTE_ACCESS", "PY_BINDING",
                                 "CST_FUNCTION_DEF"};
  static const char* kNames[] = {"self", "x", "len", "append", "get", "path", "os", "name"};
  RecordBatch b = RecordBatch::MakeEmpty(schema);
  const bool graph = schema.FieldIndex("qualified_name") >= 0;
  // The columns by name, looked up once.
  std::map<std::string, columnar::Column*> by_name;
  for (size_t k = 0; k < schema.num_fields(); ++k) {
    by_name[schema.field(k).name] = &b.mutable_column(k);
  }
  columnar::Column* const cols[] = {
      by_name["node_id"],     by_name["file_id"],   by_name["node_kind"], by_name["bstart"],
      by_name["bend"],        by_name["name"],      by_name["path"],      by_name["line_start"],
      by_name["line_end"],    by_name["col_start"], by_name["col_end"],   by_name["qualified_name"],
      by_name["enclosing_id"]};
  auto col = [&](const char* name) -> columnar::Column& {
    static const char* kOrder[] = {
        "node_id",    "file_id",  "node_kind", "bstart",  "bend",           "name",        "path",
        "line_start", "line_end", "col_start", "col_end", "qualified_name", "enclosing_id"};
    size_t k = 0;
    while (std::strcmp(kOrder[k], name) != 0) ++k;
    return *cols[k];
  };
  char buf[96];
  for (int64_t i = first; i < first + n; ++i) {
    const uint64_t a = Mix(static_cast<uint64_t>(i)), c = Mix(a);
    const long long file = i / kNodesPerFile;
    col("node_id").AppendString(Hex32(a, c));
    std::snprintf(buf, sizeof(buf), "src/pkg%03lld/module_%07lld.py", file / 100, file);
    col("file_id").AppendString(buf);
    col("node_kind").AppendString(kKinds[a % 7]);
    const int64_t start = (i % kNodesPerFile) * 37;
    const int64_t end = start + 1 + static_cast<int64_t>(c % 60) + bump;
    col("bstart").Append<int64_t>(start);
    col("bend").Append<int64_t>(end);
    const bool no_name = c % 10 == 0;
    if (no_name) {
      col("name").AppendNull();
    } else {
      col("name").AppendString(kNames[c % 8]);
    }
    if (!graph) continue;
    col("path").AppendString(buf);
    col("line_start").Append<int32_t>(static_cast<int32_t>(start / 40 + 1));
    col("line_end").Append<int32_t>(static_cast<int32_t>(end / 40 + 1));
    col("col_start").Append<int32_t>(static_cast<int32_t>(start % 40));
    col("col_end").Append<int32_t>(static_cast<int32_t>(end % 40));
    if (no_name) {
      col("qualified_name").AppendNull();
    } else {
      std::snprintf(buf, sizeof(buf), "pkg%03lld.module_%07lld.%s_%lld", file / 100, file,
                    kNames[c % 8], static_cast<long long>((i % kNodesPerFile) / 50));
      col("qualified_name").AppendString(buf);
    }
    // Enclosed by one of ~50 definitions of its file.
    const uint64_t scope = Mix(static_cast<uint64_t>(file * 64 + (i % kNodesPerFile) / 100));
    col("enclosing_id").AppendString(Hex32(scope, Mix(scope)));
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
  std::optional<int64_t> row_group_rows_arg, target_file_mb_arg;
  int threads = 1;
  bool cdf = false;
  bool pipeline_writer = false;
  bool reuse_table = false;  // keep DIR/base when it holds a table (same options!)
  std::string only_mode;     // "dv" or "cow": only that mode's merge and delete, no scan
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--rows") && i + 1 < argc) rows = std::atoll(argv[++i]);
    if (!std::strcmp(argv[i], "--dir") && i + 1 < argc) dir_arg = argv[++i];
    if (!std::strcmp(argv[i], "--row-group-rows") && i + 1 < argc) {
      row_group_rows_arg = std::atoll(argv[++i]);
    }
    if (!std::strcmp(argv[i], "--target-file-mb") && i + 1 < argc) {
      target_file_mb_arg = std::atoll(argv[++i]);
    }
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
    if (!std::strcmp(argv[i], "--cdf")) cdf = true;
    if (!std::strcmp(argv[i], "--pipeline-writer")) pipeline_writer = true;
    if (!std::strcmp(argv[i], "--reuse-table")) reuse_table = true;
    if (!std::strcmp(argv[i], "--only") && i + 1 < argc) only_mode = argv[++i];
  }
  // How the table and the DML's files are written (see the top of this file).
  delta::WriteOptions table_options;
  if (pipeline_writer) {
    table_options =
        pipeline::GraphTableWriteOptions(pipeline::BuildOptions{}, "cpg_nodes", threads);
  } else {
    table_options.target_file_bytes = int64_t{16} << 20;
    table_options.parquet.row_group_rows = 8192;  // as the graph tables
    table_options.parquet.threads = threads;
  }
  table_options.mode = delta::WriteMode::kAppend;
  table_options.schema_mode = delta::SchemaMode::kStrict;
  if (target_file_mb_arg) table_options.target_file_bytes = *target_file_mb_arg << 20;
  if (row_group_rows_arg) table_options.parquet.row_group_rows = *row_group_rows_arg;
  if (cdf) table_options.properties["delta.enableChangeDataFeed"] = "true";
  const Schema schema = pipeline_writer ? cpg::NodesSchema() : SmallNodesSchema();
  const int64_t row_group_rows = table_options.parquet.row_group_rows;
  const int64_t target_file_bytes = table_options.target_file_bytes;
  std::string properties;
  for (const auto& [k, v] : table_options.properties) {
    properties += (properties.empty() ? "" : ", ") + k + "=" + v;
  }
  const fs::path root = dir_arg.empty() ? fs::temp_directory_path() /
                                              ("cpglake_dml_bench_" + std::to_string(getpid()))
                                        : fs::path(dir_arg);
  const fs::path base = root / "base";
  const bool reuse = reuse_table && fs::exists(base / "_delta_log");
  if (reuse) {
    for (const char* d : {"dv", "cow", "scan_dv"}) fs::remove_all(root / d);
  } else {
    fs::remove_all(root);
    fs::create_directories(root);
  }

  // The table: sorted by file_id, files of the target size, row groups of `row_group_rows`.
  if (!reuse &&
      InChild([&] {
        auto t = std::chrono::steady_clock::now();
        int64_t next = 0;
        const int64_t step = 200'000;
        delta::WriteDeltaTable(
            storage::OpenObjectStore(base.string()), schema,
            [&]() -> std::optional<RecordBatch> {
              if (next >= rows) return std::nullopt;
              const int64_t n = std::min(step, rows - next);
              next += n;
              return Nodes(schema, next - n, n);
            },
            table_options);
        auto snap = delta::SnapshotBuilder(storage::OpenObjectStore(base.string())).Build();
        int64_t largest = 0;
        for (const auto& f : snap->files()) largest = std::max(largest, f.size);
        std::printf(
            "table: %lld rows, %zu files (largest %.1f MB), %.1f MB, %zu columns, target file "
            "size %lld MiB, %lld-row row groups, %s writer (zstd level %d), properties {%s}, "
            "written in %.2f s\n",
            static_cast<long long>(rows), snap->files().size(), static_cast<double>(largest) / 1e6,
            static_cast<double>(snap->total_bytes()) / 1e6, schema.num_fields(),
            static_cast<long long>(target_file_bytes >> 20), static_cast<long long>(row_group_rows),
            pipeline_writer ? "pipeline" : "default", table_options.parquet.compression_level,
            properties.c_str(), Since(t));
      }) != 0) {
    return 1;
  }

  // 1% of the rows, clustered: the nodes of consecutive files in the middle of the table.
  const int64_t changed = std::max<int64_t>(1, rows / 100);
  const int64_t first_changed = (rows / 2) / kNodesPerFile * kNodesPerFile;
  std::string json =
      "{\"rows\":" + std::to_string(rows) + ",\"changed_rows\":" + std::to_string(changed) +
      ",\"row_group_rows\":" + std::to_string(row_group_rows) +
      ",\"target_file_mb\":" + std::to_string(target_file_bytes >> 20) + ",\"cdf\":" +
      (table_options.properties.count("delta.enableChangeDataFeed") ? "true" : "false") +
      ",\"pipeline_writer\":" + (pipeline_writer ? "true" : "false");
  // DML writes with the table's writer settings, as the pipeline does (GraphTableWriteOptions).
  delta::MergeOptions merge_options;
  merge_options.dml.write = table_options;
  merge_options.dml.write.properties.clear();
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
    if (only_mode == (dv ? "cow" : "dv")) continue;
    const char* mode = dv ? "deletion-vec" : "copy-on-write";
    const fs::path table = root / (dv ? "dv" : "cow");
    fs::copy(base, table, fs::copy_options::recursive);
    if (dv && !table_options.properties.count("delta.enableDeletionVectors")) {
      delta::SetTableProperties(storage::OpenObjectStore(table.string()),
                                {{"delta.enableDeletionVectors", "true"}});
    }
    merge_options.dml.use_deletion_vectors = dv;
    const std::string merge_out = (root / (dv ? "dv_merge.json" : "cow_merge.json")).string();
    const std::string delete_out = (root / (dv ? "dv_delete.json" : "cow_delete.json")).string();
    InChild([&] {
      auto store = storage::OpenObjectStore(table.string());
      const auto snapshot = delta::SnapshotBuilder(store).Build();
      const RecordBatch source = Nodes(schema, first_changed, changed, /*bump=*/1000);
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
          "%lld B, %lld cdc files), peak RSS %ld MB (%ld MB before) = %.2fx the files read\n",
          mode, merge_s, static_cast<long long>(m.scan_time_ms),
          static_cast<long long>(m.rewrite_time_ms), static_cast<long long>(m.rows_updated),
          static_cast<long long>(m.files_read), static_cast<long long>(m.files_considered),
          static_cast<double>(read_bytes) / 1e6, static_cast<long long>(m.files_touched),
          static_cast<long long>(m.row_groups_skipped), static_cast<double>(merge_bytes) / 1e6,
          static_cast<double>(m.bytes_added) / 1e6, static_cast<long long>(m.dv_bytes),
          static_cast<long long>(m.cdc_files_added), rss_merge, rss_before,
          static_cast<double>(rss_merge) * 1048576.0 /
              static_cast<double>(std::max<int64_t>(1, read_bytes)));
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
  if (only_mode.empty()) fs::copy(base, scanned, fs::copy_options::recursive);
  if (only_mode.empty())
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
