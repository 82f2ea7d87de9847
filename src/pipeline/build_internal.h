// The build's internals shared by the full build (build.cc) and the incremental build
// (build_incremental.cc): the build context, per-file work and resolution results, the
// repository-level rows, and the helpers both paths use. Not an API: only pipeline/ includes
// this header.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "columnar/record_batch.h"
#include "cpg/graph.h"
#include "cpg/scip_rows.h"
#include "delta/dml.h"
#include "delta/maintenance.h"
#include "delta/writer.h"
#include "pipeline/build.h"
#include "pipeline/build_state.h"
#include "pipeline/diagnostics.h"
#include "pipeline/manifest.h"
#include "pipeline/repo_scan.h"
#include "pipeline/scip_evidence.h"
#include "python/module_summary.h"
#include "python/resolver.h"
#include "scip/index.h"

namespace cpglake::pipeline::build_internal {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

inline double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// BuildResult::phases: each Mark records the wall time since the previous one.
class PhaseClock {
 public:
  explicit PhaseClock(BuildResult* result) : result_(result) {}
  void Mark(std::string name) {
    const auto now = Clock::now();
    result_->phases.emplace_back(std::move(name),
                                 std::chrono::duration<double>(now - last_).count());
    last_ = now;
  }

 private:
  BuildResult* result_;
  Clock::time_point last_ = Clock::now();
};

// What the build needs besides the scan.
struct BuildContext {
  const BuildOptions& options;
  fs::path repo, out;
  int threads = 1;
  std::string config_hash;
  std::function<void(const std::string&, int64_t, int64_t)> progress;
  std::map<std::string, std::string> commit_properties;  // of every output commit
  int64_t build_sequence = 1;                            // 1 + the number of builds in the manifest
  const scip::ScipIndex* scip_index = nullptr;           // the SCIP index, when one is ingested
  PhaseClock* phases = nullptr;                          // BuildResult::phases
};

// Where the scan's files sit as modules: the package directories, the root package name, and
// each file's module name and whether it is a package's __init__.
struct ModuleLayout {
  std::vector<std::string> package_dirs;
  std::string root_package;
  std::vector<std::string> module_names;
  std::vector<char> is_package;

  // Where file i of the scan sits: its id, path and module name.
  cpg::FileContext ContextOf(const std::string& repo_id, const RepoScan& scan, size_t i) const {
    cpg::FileContext ctx;
    ctx.repo_id = repo_id;
    ctx.file_id = cpg::FileId(repo_id, scan.files[i].path);
    ctx.path = scan.files[i].path;
    ctx.module_name = module_names[i];
    return ctx;
  }
};

// One file's front-end results, as rows.
struct FileWork {
  cpg::RowSet rows;  // evidence rows, the PY_FILE node and its edges and props
  python::ModuleSummary summary;
  bool has_summary = false;
  std::vector<DiagnosticRecord> diagnostics;  // the front end's
  int64_t bytes = 0;
  bool from_cache = false;
  std::optional<CacheEntry> cache_entry;      // results of a parse, for the extraction cache
  std::vector<cpg::ScipTarget> scip_targets;  // with a SCIP document: its nodes to match
};

// What cross-file resolution gives one file.
struct FileResolutionRows {
  bool resolved = false;  // false: not resolved by this build (its state is carried over)
  python::FileResolution resolution;
  std::set<std::string> externals;            // qualified names of its external targets
  std::vector<DiagnosticRecord> diagnostics;  // rows of _cpglake/diagnostics
  std::string hash;                           // cpg::ResolutionFingerprint
  std::string deps;                           // ResolutionDepsText
};

// The repository-level rows (PY_REPO, PY_QUALIFIED_NAME targets, packages and their
// PACKAGE_CONTAINS edges, scan diagnostics as DIAG nodes) and the scan's diagnostics rows.
struct RepoLevel {
  cpg::RowSet rows;
  std::vector<DiagnosticRecord> diagnostics;
};

// Records a table's write in the build's result (thread-safe).
class TableRecorder {
 public:
  TableRecorder(const BuildContext& bc, BuildResult* result) : bc_(bc), result_(*result) {}
  void Record(const std::string& name, const delta::WriteResult& r) {
    TableRecord t = DescribeTableWrite(bc_.out.string(), name, r, OrderingKeys(name));
    std::lock_guard<std::mutex> lock(mu_);
    result_.table_versions[name] = r.version;
    result_.record.tables.push_back(std::move(t));
  }
  void Record(const std::string& name, const delta::DmlResult& r) {
    delta::WriteResult w;
    w.version = r.version;
    w.skipped = !r.committed;
    w.attempts = r.attempts;
    w.totals.files_added = r.metrics.files_added;
    w.totals.files_removed = r.metrics.files_removed;
    w.totals.bytes_added = r.metrics.bytes_added;
    w.totals.bytes_removed = r.metrics.bytes_removed;
    w.totals.rows_added = r.metrics.rows_inserted + r.metrics.rows_updated;
    w.totals.rows_removed = r.metrics.rows_deleted + r.metrics.rows_updated;
    w.commit_info = r.commit_info;
    Record(name, w);
  }

 private:
  const BuildContext& bc_;
  BuildResult& result_;
  std::mutex mu_;
};

// The build's table writers and paths.
columnar::Schema RepoFilesSchema();
columnar::RecordBatch RepoFilesBatch(const std::string& repo_id, const RepoScan& scan);
delta::WriteOptions TableWriteOptions(const BuildContext& bc, const std::string& name,
                                      const columnar::Schema& schema);
std::string TablePath(const BuildContext& bc, const std::string& name);
// Records a write of the extraction cache; a build that added nothing records nothing.
void RecordStateWrite(TableRecorder& recorder, const char* name, const delta::WriteResult& w);

// Modules and extraction.
ModuleLayout LayoutOf(const fs::path& repo, const RepoScan& scan);
std::string ModuleIdOf(const cpg::FileContext& ctx, const python::ModuleSummary* summary);
void ExtractFile(const fs::path& repo, const ScannedFile& f, const cpg::FileContext& ctx,
                 bool is_package, const std::string& cache_key, const CacheEntry* cached,
                 bool cache_evidence, bool scip_targets, FileWork* out);
std::vector<CacheEntry> NewCacheEntries(std::vector<FileWork>& works,
                                        const std::set<std::string>& present);

// Resolution and its file-state form.
std::string SubclassToken(const std::string& file_id, int32_t key);
std::vector<std::string_view> SplitLines(std::string_view text);
std::string JoinLines(const std::set<std::string>& lines);
std::vector<python::ModuleEntry> ModuleEntries(
    const RepoScan& scan, const std::vector<const python::ModuleSummary*>& summary_ptrs);
std::vector<FileResolutionRows> ResolveFiles(
    const BuildContext& bc, const RepoScan& scan, const std::vector<cpg::FileContext>& contexts,
    const std::vector<const python::ModuleSummary*>& summary_ptrs, const python::Resolver& resolver,
    const std::vector<char>& selected);
cpg::GraphRows FileResolutionRowsOf(size_t i, const std::vector<cpg::FileContext>& contexts,
                                    const std::vector<const python::ModuleSummary*>& summary_ptrs,
                                    const FileResolutionRows& r);
void AddScipFingerprints(const ScipEvidence& scip,
                         const std::vector<const python::ModuleSummary*>& summary_ptrs, int threads,
                         std::vector<FileResolutionRows>* resolutions);
void AddScipRows(const ScipEvidence& scip, size_t i, const std::vector<cpg::FileContext>& contexts,
                 const std::vector<const python::ModuleSummary*>& summary_ptrs,
                 const python::FileResolution& resolution, std::vector<cpg::ScipTarget> targets,
                 cpg::GraphRows* rows, std::vector<DiagnosticRecord>* diagnostics);
std::string RepoLevelFingerprint(const std::string& repo_id, const RepoScan& scan,
                                 const ModuleLayout& layout,
                                 const std::vector<std::string>& module_ids,
                                 const std::set<std::string>& externals, const ScipEvidence* scip);
RepoLevel RepoLevelRows(const std::string& repo_id, const RepoScan& scan,
                        const ModuleLayout& layout, const std::vector<std::string>& module_ids,
                        const std::set<std::string>& externals, const ScipEvidence* scip,
                        bool with_rows = true);

// Steps 2-3 of an incremental build (build_incremental.cc).
void BuildIncremental(const BuildContext& bc, const RepoScan& scan, const BuildRecord& previous,
                      const std::map<std::string, FileState>& prev_state, BuildResult* result_ptr);

}  // namespace cpglake::pipeline::build_internal
