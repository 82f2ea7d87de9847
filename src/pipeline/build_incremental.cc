// The incremental build (docs/incremental.md): repo_files MERGE and its change feed, the
// work set, dependency-tracked re-resolution, per-file replacement of the graph tables.
#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "catalog/dataset_registry.h"
#include "common/error.h"
#include "common/parallel.h"
#include "cpg/derived_tables.h"
#include "cpg/graph.h"
#include "cpg/resolution_rows.h"
#include "delta/dml.h"
#include "delta/maintenance.h"
#include "delta/snapshot.h"
#include "delta/stats.h"
#include "delta/table_changes.h"
#include "pipeline/build_internal.h"
#include "pipeline/build_state.h"
#include "pipeline/diagnostics.h"
#include "python/summary_codec.h"
#include "storage/object_store.h"

namespace cpglake::pipeline::build_internal {

namespace {

// The extraction cache's entries for `keys`; nothing when the cache cannot be read (damaged
// files): the files are parsed instead, the result is the same.
// `*damaged` is set then (the build replaces the cache with what it parsed).
std::map<std::string, CacheEntry> ReadCacheOrNothing(const std::string& out,
                                                     const std::set<std::string>& keys,
                                                     bool with_evidence, int threads,
                                                     bool* damaged) {
  try {
    return ReadExtractCache(out, keys, with_evidence, threads);
  } catch (const Error&) {
    *damaged = true;
    return {};
  }
}

// OPTIMIZE (bin-packing, dataChange=false) of a graph table whose data files have grown too
// many or hold too many deleted rows (incremental.optimize_*). Returns the new version, or
// nullopt when the table is fine.
std::optional<delta::OptimizeResult> MaybeOptimize(
    const BuildContext& bc, const std::string& name,
    const parquet::WriterOptions* parquet = nullptr) {
  const IncrementalSettings& inc = bc.options.incremental;
  const std::string path = TablePath(bc, name);
  const auto store = storage::OpenObjectStore(path);
  const auto snapshot = delta::SnapshotBuilder(store).WithThreads(1).Build();
  int64_t rows = 0, deleted = 0;
  for (const auto& f : snapshot->files()) {
    rows += delta::NumRecordsFromStats(f.stats).value_or(0);
    if (f.deletion_vector) deleted += f.deletion_vector->cardinality;
  }
  const int64_t files = static_cast<int64_t>(snapshot->files().size());
  const bool too_many = inc.optimize_max_files > 0 && files > inc.optimize_max_files;
  const bool too_deleted =
      inc.optimize_deleted_fraction > 0 && rows > 0 &&
      static_cast<double>(deleted) / static_cast<double>(rows) > inc.optimize_deleted_fraction;
  if (!too_many && !too_deleted) return std::nullopt;
  delta::OptimizeOptions oo;
  const delta::WriteOptions wo = TableWriteOptions(bc, name, snapshot->schema());
  oo.parquet = parquet ? *parquet : wo.parquet;
  oo.target_file_bytes = wo.target_file_bytes;
  // The rows keep the table's order (a file's rows together), which file skipping relies on.
  const std::string keys = OrderingKeys(name);
  for (size_t start = 0; start <= keys.size();) {
    size_t comma = keys.find(',', start);
    if (comma == std::string::npos) comma = keys.size();
    if (comma > start) oo.sort_by.push_back(keys.substr(start, comma - start));
    start = comma + 1;
  }
  delta::OptimizeResult r = delta::Optimize(store, oo);
  if (r.version < 0) return std::nullopt;
  return r;
}

// Steps 2-3 of an incremental build (docs/incremental.md): repo_files MERGE, the work set
// from its change feed and the file state, extraction of the work set (cache or parse),
// resolution of every file (summaries from the cache), the files whose resolution changed,
// and one ReplaceRows commit per graph table; then diagnostics, cache and state.
}  // namespace

void BuildIncremental(const BuildContext& bc, const RepoScan& scan, const BuildRecord& previous,
                      const std::map<std::string, FileState>& prev_state, BuildResult* result_ptr) {
  BuildResult& result = *result_ptr;
  BuildRecord& record = result.record;
  const int threads = bc.threads;
  const auto& progress = bc.progress;
  const std::string out = bc.out.string();
  const ModuleLayout layout = LayoutOf(bc.repo, scan);
  const size_t n = scan.files.size();
  TableRecorder recorder(bc, &result);
  auto t1 = Clock::now();

  // The work set, first from the file state alone: files whose content, path or module name
  // differ from what the graph holds. (repo_files' change feed, below, may add files.)
  std::vector<cpg::FileContext> contexts(n);
  std::vector<std::string> cache_keys(n);
  std::vector<char> in_work(n, 0);
  std::set<std::string> current_ids;
  int64_t added = 0;
  for (size_t i = 0; i < n; ++i) {
    const ScannedFile& f = scan.files[i];
    const cpg::FileContext& ctx = contexts[i] = layout.ContextOf(result.repo_id, scan, i);
    cache_keys[i] = ExtractCacheKey(f.sha256, ctx.module_name, layout.is_package[i]);
    current_ids.insert(ctx.file_id);
    auto st = prev_state.find(ctx.file_id);
    if (st == prev_state.end()) ++added;
    if (st == prev_state.end() || st->second.sha256 != f.sha256 ||
        st->second.module_name != ctx.module_name || st->second.path != f.path ||
        st->second.cache_key != cache_keys[i]) {
      in_work[i] = 1;
    }
  }

  // Summaries of every file (the resolver needs them all): the others' from the cache, read
  // and decoded while repo_files is merged; the work set's from extraction, below.
  struct CachedSummaries {
    std::map<std::string, CacheEntry> entries;
    std::vector<python::ModuleSummary> summaries;
    std::vector<char> has_summary, unusable;  // unusable: no entry, or a damaged one
    bool damaged = false;
  };
  std::future<CachedSummaries> cached_future =
      std::async(std::launch::async, [&, provisional = in_work]() {
        CachedSummaries c;
        std::set<std::string> keys;
        for (size_t i = 0; i < n; ++i) {
          if (!provisional[i]) keys.insert(cache_keys[i]);
        }
        c.entries = ReadCacheOrNothing(out, keys, /*with_evidence=*/false, threads, &c.damaged);
        c.summaries.resize(n);
        c.has_summary.assign(n, 0);
        c.unusable.assign(n, 0);
        ParallelFor(n, threads, [&](size_t i) {
          if (provisional[i]) return;
          auto it = c.entries.find(cache_keys[i]);
          if (it == c.entries.end()) {
            // The state names content the cache lacks (an unreadable file has no summary):
            // the file is extracted again.
            c.unusable[i] = 1;
            return;
          }
          try {
            // Only what other files' resolution reads of it; the few files resolved again get
            // the rest below.
            c.summaries[i] = python::DecodeSharedSummary(it->second.summary);
            c.has_summary[i] = 1;
          } catch (const Error&) {
            c.unusable[i] = 1;  // a damaged entry: parse again
          }
        });
        return c;
      });
  // (A future of std::async waits for its task when destroyed: if the merge below throws,
  // the prefetch ends before the vectors it reads, declared above, go away.)

  // repo_files: MERGE on file_id (changed rows updated, new inserted, vanished deleted).
  const std::string rf_name = catalog::kRepoFilesDataset;
  const auto rf_store = storage::OpenObjectStore(TablePath(bc, rf_name));
  delta::MergeOptions mo;
  mo.dml.write = TableWriteOptions(bc, rf_name, RepoFilesSchema());
  mo.dml.write.mode = delta::WriteMode::kAppend;
  mo.dml.write.schema_mode = delta::SchemaMode::kStrict;
  const delta::DmlResult rf = delta::Merge(
      rf_store, RepoFilesBatch(result.repo_id, scan), "target.file_id = source.file_id",
      {delta::WhenMatchedUpdateAll(
           "target.path <> source.path OR target.sha256 <> source.sha256 OR "
           "target.size_bytes <> source.size_bytes OR target.mtime_ns <> source.mtime_ns OR "
           "target.encoding <> source.encoding OR target.is_tracked <> source.is_tracked"),
       delta::WhenNotMatchedInsertAll(), delta::WhenNotMatchedBySourceDelete()},
      mo);
  recorder.Record(rf_name, rf);
  bc.phases->Mark("merge repo_files");

  // The files changed since the last successful build, from repo_files' change feed (a
  // failed build in between is covered: its changes are in the range too). An update that
  // keeps path and content (a touch) is no change.
  std::set<std::string> changed_ids;
  std::map<std::string, std::set<std::string>> changed_paths;  // id → paths the feed shows
  const auto prev_rf = previous.TableVersions().find(rf_name);
  const int64_t from = prev_rf->second + 1;
  if (rf.version >= from) {
    delta::TableChanges changes(rf_store, from, rf.version);
    const columnar::RecordBatch c = changes.ReadAll();
    const columnar::Column* id = c.ColumnByName("file_id");
    const columnar::Column* path = c.ColumnByName("path");
    const columnar::Column* sha = c.ColumnByName("sha256");
    const columnar::Column* type = c.ColumnByName("_change_type");
    const columnar::Column* version = c.ColumnByName("_commit_version");
    // Update pre/post images pair up by (version, file_id).
    std::map<std::pair<int64_t, std::string>, std::pair<std::string, std::string>> updates;
    for (int64_t i = 0; i < c.num_rows(); ++i) {
      const std::string fid(id->GetString(i));
      const std::string_view t = type->GetString(i);
      changed_paths[fid].emplace(path->GetString(i));
      const std::string content = std::string(path->GetString(i)) + "\n" +
                                  (sha->IsNull(i) ? "" : std::string(sha->GetString(i)));
      if (t == "update_preimage" || t == "update_postimage") {
        auto& pair = updates[{version->Get<int64_t>(i), fid}];
        (t == "update_preimage" ? pair.first : pair.second) = content;
      } else {
        changed_ids.insert(fid);
      }
    }
    for (const auto& [key, pair] : updates) {
      if (pair.first != pair.second) changed_ids.insert(key.second);
    }
  }
  bc.phases->Mark("repo_files change feed");

  // The work set: also the files the change feed names; and the files the state has that
  // are gone.
  for (size_t i = 0; i < n; ++i) {
    if (changed_ids.count(contexts[i].file_id)) in_work[i] = 1;
  }
  std::vector<std::string> deleted_ids, deleted_paths;
  std::set<std::string> deleted_content;
  for (const auto& [fid, s] : prev_state) {
    if (fid.empty() || current_ids.count(fid)) continue;
    deleted_ids.push_back(fid);
    deleted_paths.push_back(s.path);
    deleted_content.insert(s.sha256);
  }
  // Changed-feed ids that are neither listed nor in the state (added and removed again while
  // a build failed): their rows, if any were written, go too.
  for (const auto& fid : changed_ids) {
    if (!current_ids.count(fid) && !prev_state.count(fid)) {
      deleted_ids.push_back(fid);
      for (const auto& p : changed_paths[fid]) deleted_paths.push_back(p);
    }
  }
  int64_t renamed = 0;
  for (size_t i = 0; i < n; ++i) {
    if (in_work[i] && !prev_state.count(contexts[i].file_id) &&
        deleted_content.count(scan.files[i].sha256)) {
      ++renamed;
    }
  }

  // The cached summaries (prefetched above); a file whose entry is missing or damaged joins
  // the work set, and the work set's summaries come from extraction.
  CachedSummaries cached = cached_future.get();
  const std::map<std::string, CacheEntry>& summaries_cached = cached.entries;
  std::vector<python::ModuleSummary>& summaries = cached.summaries;
  std::vector<char>& has_summary = cached.has_summary;
  bool cache_damaged = cached.damaged;
  std::set<std::string> work_keys;
  for (size_t i = 0; i < n; ++i) {
    if (cached.unusable[i]) in_work[i] = 1;
    if (!in_work[i]) continue;
    work_keys.insert(cache_keys[i]);
    has_summary[i] = 0;
    summaries[i] = python::ModuleSummary();
  }
  const bool with_evidence = bc.options.incremental.cache_evidence;
  // CPGLAKE_CHECK_IMPACT=1 (tests): resolve every file and fail if one that the dependency
  // records left out would have changed.
  const char* check_env = std::getenv("CPGLAKE_CHECK_IMPACT");
  const bool check_impact = check_env && std::string_view(check_env) == "1";
  bc.phases->Mark("cached summaries");

  std::vector<FileWork> works(n);
  std::atomic<int64_t> extracted{0}, bytes{0}, cached_files{0};
  // SCIP evidence: every document is matched to its file and its positions converted (cheap);
  // only the files whose SCIP fingerprint changed are re-emitted.
  std::optional<ScipEvidence> scip;
  if (bc.scip_index) scip.emplace(*bc.scip_index, bc.repo.string(), scan, threads);
  const ScipEvidence* scip_ptr = scip ? &*scip : nullptr;
  auto extract = [&](const std::vector<size_t>& files,
                     const std::map<std::string, CacheEntry>& cache) {
    std::atomic<int64_t> done{0};
    ParallelFor(files.size(), threads, [&](size_t k) {
      const size_t i = files[k];
      auto it = cache.find(cache_keys[i]);
      ExtractFile(bc.repo, scan.files[i], contexts[i], layout.is_package[i], cache_keys[i],
                  it == cache.end() ? nullptr : &it->second, with_evidence,
                  scip && scip->ForFile(i), &works[i]);
      bytes += works[i].bytes;
      if (works[i].from_cache) ++cached_files;
      ++extracted;
      progress("extract", ++done, static_cast<int64_t>(files.size()));
    });
  };
  std::vector<size_t> work_files;
  for (size_t i = 0; i < n; ++i) {
    if (in_work[i]) work_files.push_back(i);
  }
  extract(work_files,
          ReadCacheOrNothing(out, work_keys, /*with_evidence=*/true, threads, &cache_damaged));
  for (size_t i : work_files) {
    if (works[i].has_summary) {
      summaries[i] = works[i].summary;
      has_summary[i] = 1;
    }
  }
  bc.phases->Mark("extract work set");

  // Resolution. A file outside the work set is resolved again only when something its last
  // resolution read changed (python::ResolutionDeps: a file of the work set or gone, or a
  // class whose subclasses it searched gained one in the work set), or when the module table
  // changed (then every file is). Of those, a file whose resolver rows differ from what the
  // state recorded is impacted: re-emitted too. The others keep their state and rows.
  const auto t_resolve = Clock::now();
  std::vector<const python::ModuleSummary*> summary_ptrs(n, nullptr);
  std::vector<std::string> module_ids(n);
  for (size_t i = 0; i < n; ++i) {
    if (has_summary[i]) summary_ptrs[i] = &summaries[i];
    module_ids[i] = ModuleIdOf(contexts[i], summary_ptrs[i]);
  }
  const std::vector<python::ModuleEntry> entries = ModuleEntries(scan, summary_ptrs);
  const python::Resolver resolver(entries);
  const std::string module_table = resolver.ModuleTableFingerprint();
  bc.phases->Mark("module table");
  auto prev_level = prev_state.find("");
  // With SCIP evidence every file is resolved again too: a file's SCIP rows depend on its
  // document and on the symbols of its CALLS targets, which the dependency records do not
  // cover (docs/scip.md; running the indexer dominates such a build anyway).
  const bool all_files = prev_level == prev_state.end() ||
                         prev_level->second.resolution_deps != module_table || scip.has_value();
  // The manifest's strategy: "resolution-hash" when every file was resolved (the module table
  // changed), "dependencies+resolution-hash" when the dependency records chose the files.
  if (!all_files) record.strategy = "dependencies+" + record.strategy;
  std::vector<char> to_resolve(n, 0);
  {
    std::set<std::string, std::less<>> changed(deleted_ids.begin(), deleted_ids.end());
    for (size_t i = 0; i < n; ++i) {
      if (!in_work[i]) continue;
      changed.insert(contexts[i].file_id);
      for (const auto& [f, k] : resolver.AncestorsOfClassesIn(i)) {
        changed.insert(SubclassToken(contexts[static_cast<size_t>(f)].file_id, k));
      }
    }
    for (size_t i = 0; i < n; ++i) {
      auto st = prev_state.find(contexts[i].file_id);
      if (all_files || in_work[i] || st == prev_state.end() || st->second.resolution_deps.empty()) {
        to_resolve[i] = 1;
        continue;
      }
      for (std::string_view dep : SplitLines(st->second.resolution_deps)) {
        if (changed.count(dep)) {
          to_resolve[i] = 1;
          break;
        }
      }
    }
  }
  // The files resolved again whose summaries were decoded in part: the rest of them.
  ParallelFor(n, threads, [&](size_t i) {
    if (!to_resolve[i] || !has_summary[i] || summaries[i].complete) return;
    // The blob's checksum passed above: a failure here is a cache written wrongly.
    try {
      summaries[i] = python::DecodeSummary(summaries_cached.at(cache_keys[i]).summary);
    } catch (const Error& e) {
      throw CorruptData("the extraction cache entry of " + scan.files[i].path +
                        " cannot be decoded (" + e.what() + "); run cpglake build --full");
    }
  });
  std::vector<FileResolutionRows> resolutions =
      ResolveFiles(bc, scan, contexts, summary_ptrs, resolver, to_resolve);
  if (scip) AddScipFingerprints(*scip, summary_ptrs, threads, &resolutions);
  if (check_impact) {
    // Every summary whole, every file resolved: the files left out must resolve as the state
    // says (the dependency records), the others as above (the summaries decoded in part).
    std::vector<python::ModuleSummary> whole(n);
    std::vector<const python::ModuleSummary*> whole_ptrs(n, nullptr);
    for (size_t i = 0; i < n; ++i) {
      if (!has_summary[i]) continue;
      whole[i] = summaries[i].complete
                     ? summaries[i]
                     : python::DecodeSummary(summaries_cached.at(cache_keys[i]).summary);
      whole_ptrs[i] = &whole[i];
    }
    const std::vector<python::ModuleEntry> whole_entries = ModuleEntries(scan, whole_ptrs);
    const python::Resolver whole_resolver(whole_entries);
    std::vector<FileResolutionRows> all =
        ResolveFiles(bc, scan, contexts, whole_ptrs, whole_resolver, std::vector<char>(n, 1));
    if (scip) AddScipFingerprints(*scip, whole_ptrs, threads, &all);
    for (size_t i = 0; i < n; ++i) {
      auto st = prev_state.find(contexts[i].file_id);
      const bool left_out = !to_resolve[i] && st != prev_state.end();
      const std::string& hash = left_out ? st->second.resolution_hash : resolutions[i].hash;
      const std::string externals =
          left_out ? st->second.externals : JoinLines(resolutions[i].externals);
      if (hash != all[i].hash || externals != JoinLines(all[i].externals)) {
        throw InternalError("impact check: " + scan.files[i].path +
                            (left_out ? " was not re-resolved but its resolution changed"
                                      : " resolves differently from partly decoded summaries"));
      }
    }
  }
  result.seconds_resolve = Since(t_resolve);
  bc.phases->Mark("resolve");
  std::vector<size_t> impacted;
  std::set<std::string> impacted_keys;
  for (size_t i = 0; i < n; ++i) {
    if (in_work[i] || !resolutions[i].resolved) continue;
    auto st = prev_state.find(contexts[i].file_id);
    if (st == prev_state.end() || st->second.resolution_hash != resolutions[i].hash) {
      impacted.push_back(i);
      impacted_keys.insert(cache_keys[i]);
    }
  }
  extract(impacted,
          ReadCacheOrNothing(out, impacted_keys, /*with_evidence=*/true, threads, &cache_damaged));
  bc.phases->Mark("extract impacted");

  std::set<std::string> externals;
  std::map<std::string, FileState> states;
  std::vector<DiagnosticRecord> resolver_diagnostics;
  std::set<std::string> resolved_ids;  // files whose resolver diagnostics are new
  for (size_t i = 0; i < n; ++i) {
    const FileResolutionRows& r = resolutions[i];
    if (!r.resolved) {
      FileState st = prev_state.at(contexts[i].file_id);  // unchanged file, same id and path
      for (std::string_view q : SplitLines(st.externals)) externals.emplace(q);
      states[contexts[i].file_id] = std::move(st);
      continue;
    }
    resolved_ids.insert(contexts[i].file_id);
    externals.insert(r.externals.begin(), r.externals.end());
    states[contexts[i].file_id] = FileState{contexts[i].file_id,
                                            scan.files[i].path,
                                            contexts[i].module_name,
                                            scan.files[i].sha256,
                                            cache_keys[i],
                                            r.hash,
                                            r.deps,
                                            JoinLines(r.externals)};
    for (auto& d : resolutions[i].diagnostics) resolver_diagnostics.push_back(std::move(d));
  }
  const std::string level_hash =
      RepoLevelFingerprint(result.repo_id, scan, layout, module_ids, externals, scip_ptr);
  const bool repo_changed =
      prev_level == prev_state.end() || prev_level->second.resolution_hash != level_hash;
  RepoLevel level =
      RepoLevelRows(result.repo_id, scan, layout, module_ids, externals, scip_ptr, repo_changed);
  states[""] = FileState{"", "", "", "", "", level_hash, module_table, ""};

  // The rows of the files replaced: the work set and the impacted files (all their rows, so
  // that the replacement is exact), and the repository level when it changed.
  std::vector<cpg::RowSet> parts;
  std::vector<std::string> owners = deleted_ids, owner_paths = deleted_paths;
  std::set<std::string> replaced_ids(deleted_ids.begin(), deleted_ids.end());
  std::vector<DiagnosticRecord> front_end_diagnostics;
  std::vector<size_t> replaced = work_files;
  replaced.insert(replaced.end(), impacted.begin(), impacted.end());
  std::vector<DiagnosticRecord> scip_diagnostics;
  for (size_t i : replaced) {
    parts.push_back(std::move(works[i].rows));
    cpg::GraphRows rows = FileResolutionRowsOf(i, contexts, summary_ptrs, resolutions[i]);
    if (scip) {
      AddScipRows(*scip, i, contexts, summary_ptrs, resolutions[i].resolution,
                  std::move(works[i].scip_targets), &rows, &scip_diagnostics);
    }
    parts.back().Add(rows);
    owners.push_back(contexts[i].file_id);
    owner_paths.push_back(scan.files[i].path);
    replaced_ids.insert(contexts[i].file_id);
    for (auto& d : works[i].diagnostics) front_end_diagnostics.push_back(std::move(d));
  }
  if (repo_changed) parts.push_back(std::move(level.rows));
  std::vector<CacheEntry> cache_entries = NewCacheEntries(works, {});
  std::vector<FileWork>().swap(works);
  std::vector<FileResolutionRows>().swap(resolutions);
  cpg::Graph graph = cpg::Graph::Assemble(std::move(parts), threads);
  if (bc.options.derived) graph.PrepareDerived(threads);
  result.files_parsed = extracted.load();
  result.bytes_parsed = bytes.load();
  result.seconds_extract = Since(t1) - result.seconds_resolve;
  bc.phases->Mark("assemble");

  record.files_changed = static_cast<int64_t>(work_files.size());
  record.files_deleted = static_cast<int64_t>(deleted_ids.size());
  record.files_impacted = static_cast<int64_t>(impacted.size());
  record.files_added = added;
  record.files_renamed = renamed;
  record.files_cached = cached_files.load();

  // 3. Write: the extraction cache (content-addressed: harmless if the build fails) and the
  // diagnostics while one ReplaceRows commit per graph table is made, then the state (which
  // describes what the graph tables hold: last). The tables are independent until the
  // manifest names their versions, and mostly wait on file syncs: they are written at once.
  auto t2 = Clock::now();
  std::future<void> cache_written = std::async(std::launch::async, [&] {
    if (!cache_entries.empty()) {
      std::set<std::string> keys;
      for (const auto& e : cache_entries) keys.insert(e.key);
      const auto present = ReadCacheOrNothing(out, keys, false, threads, &cache_damaged);
      std::erase_if(cache_entries, [&](const CacheEntry& e) { return present.count(e.key) > 0; });
    }
    // A damaged cache is replaced by what this build parsed (every file whose summary it
    // could not read: all of them).
    RecordStateWrite(recorder, catalog::kExtractCacheDataset,
                     AppendExtractCache(out, cache_entries, bc.commit_properties, cache_damaged));
  });
  std::atomic<int64_t> tables_written{0};
  std::vector<std::string> replaced_tables = {"cpg_props", "cpg_nodes", "cpg_edges"};
  if (bc.options.derived) {
    // cpg_edges_by_dst first: sorted by node, a file's rows are in many row groups.
    replaced_tables.insert(replaced_tables.begin(), cpg::kEdgesByDstTable);
    replaced_tables.push_back(cpg::kEdgesBySrcTable);
    replaced_tables.push_back(cpg::kPropsMapTable);
  }
  const int64_t num_written = static_cast<int64_t>(replaced_tables.size()) + 1;
  progress("write", 0, num_written);
  // Diagnostics: the front end's of files not replaced and the resolver's of files not
  // resolved are kept; the replaced files', the resolved files' and the scan's are new.
  std::future<void> diagnostics_written = std::async(std::launch::async, [&] {
    std::vector<DiagnosticRecord> diagnostics;
    for (auto& d : ReadDiagnostics(out)) {
      if (!d.file_id || !current_ids.count(*d.file_id)) continue;
      // A file's own (front end) and its SCIP document's rows, of files not replaced; the
      // resolver's, of files not resolved.
      if (((d.source == diag_source::kFrontEnd || d.source == diag_source::kScip) &&
           !replaced_ids.count(*d.file_id)) ||
          (d.source == diag_source::kResolver && !resolved_ids.count(*d.file_id))) {
        diagnostics.push_back(std::move(d));
      }
    }
    for (auto& d : front_end_diagnostics) diagnostics.push_back(std::move(d));
    for (auto& d : scip_diagnostics) diagnostics.push_back(std::move(d));
    for (auto& d : resolver_diagnostics) diagnostics.push_back(std::move(d));
    for (auto& d : level.diagnostics) diagnostics.push_back(std::move(d));
    result.diagnostics_by_code = CountByCode(diagnostics);
    result.diagnostics = static_cast<int64_t>(diagnostics.size());
    std::map<std::string, std::string> props = bc.commit_properties;
    props["cpglake.ordering_keys"] = OrderingKeys(catalog::kDiagnosticsDataset);
    recorder.Record(catalog::kDiagnosticsDataset,
                    WriteBuildDiagnostics(out, result.build_id, std::move(diagnostics), props));
    progress("write", ++tables_written, num_written);
  });
  std::vector<std::string> owner_list(owners.begin(), owners.end());
  auto quoted_list = [](const std::vector<std::string>& values) {
    std::string text;
    for (const auto& v : values) {
      text += text.empty() ? "'" : ", '";
      for (char ch : v) text += ch == '\'' ? std::string("''") : std::string(1, ch);
      text += "'";
    }
    return text;
  };
  std::mutex counts_mu;
  int64_t rows_net[3] = {0, 0, 0};
  const int table_threads = std::min(static_cast<int>(replaced_tables.size()), 2 * threads);
  ParallelFor(replaced_tables.size(), table_threads, [&](size_t k) {
    const std::string& name = replaced_tables[k];
    const int t = name == "cpg_props" ? 0 : name == "cpg_nodes" ? 1 : name == "cpg_edges" ? 2 : -1;
    const columnar::RecordBatch rows = t == 0                          ? graph.PropsBatch()
                                       : t == 1                        ? graph.NodesBatch()
                                       : t == 2                        ? graph.EdgesBatch()
                                       : name == cpg::kEdgesBySrcTable ? graph.EdgesBySrcBatch()
                                       : name == cpg::kEdgesByDstTable ? graph.EdgesByDstBatch()
                                                                       : graph.PropsMapBatch();
    delta::ReplaceSpec spec;
    spec.owner_column = t == 2                        ? "edge_owner_file_id"
                        : t >= 0                      ? "file_id"
                        : name == cpg::kPropsMapTable ? "file_id"
                                                      : "owner_file_id";
    spec.owners = owner_list;
    spec.null_owner = repo_changed;
    if (t == 1 && !owner_list.empty()) {
      // Nodes are clustered by path: a file's nodes carry its path.
      spec.prune_predicate = "(file_id IN (" + quoted_list(owner_list) + ") AND path IN (" +
                             quoted_list(owner_paths) + "))" +
                             (repo_changed ? " OR file_id IS NULL" : "");
    }
    // The derived tables: one row per (node, owner); cpg_edges_by_dst's row groups without a
    // replaced owner are skipped by the Bloom filter on owner_file_id.
    spec.key_columns = t == 0   ? std::vector<std::string>{"entity_id", "prop_key"}
                       : t == 1 ? std::vector<std::string>{"node_id"}
                       : t == 2 ? std::vector<std::string>{"edge_id"}
                       : name == cpg::kPropsMapTable
                           ? std::vector<std::string>{"entity_id", "file_id"}
                           : std::vector<std::string>{"node_id", "owner_file_id"};
    delta::DmlOptions dml;
    dml.write = TableWriteOptions(bc, name, rows.schema());
    // The commit names the build that made it (a txn action per table): a retry of the same
    // build's commit is skipped.
    dml.write.app_id = std::string("cpglake:") + name;
    dml.write.app_version = bc.build_sequence;
    const delta::DmlResult r =
        owner_list.empty() && !repo_changed
            ? delta::DmlResult{}
            : delta::ReplaceRows(storage::OpenObjectStore(TablePath(bc, name)), spec, rows, dml);
    if (r.version >= 0) {
      recorder.Record(name, r);
    } else {
      // Nothing to replace: the table stays at its version.
      delta::WriteResult w;
      w.version = catalog::OpenSnapshot(catalog::DatasetRegistry::ForOutput(out).Resolve(name), 1)
                      ->version();
      w.skipped = true;
      recorder.Record(name, w);
    }
    {
      std::lock_guard<std::mutex> lock(counts_mu);
      if (t >= 0) rows_net[t] = r.metrics.rows_inserted - r.metrics.rows_deleted;
      TableChange& c = result.changes[name];
      c.inserted = r.metrics.rows_inserted;
      c.deleted = r.metrics.rows_deleted;
      c.updated = r.metrics.rows_updated;
    }
    progress("write", ++tables_written, num_written);
  });
  result.nodes = previous.nodes + rows_net[1];
  result.edges = previous.edges + rows_net[2];
  result.props = previous.props + rows_net[0];
  bc.phases->Mark("replace graph rows");
  cache_written.get();
  diagnostics_written.get();
  bc.phases->Mark("extract_cache, diagnostics");
  // Compaction when the replacements have left too many small files or deleted rows; the
  // build records the optimized version (queries pin it).
  // The state tables and the manifest grow by a small file per build too.
  const parquet::WriterOptions cache_parquet = StateWriterOptions(catalog::kExtractCacheDataset);
  std::vector<std::string> compacted = replaced_tables;
  for (const char* name :
       {catalog::kRepoFilesDataset, catalog::kExtractCacheDataset, catalog::kBuildsDataset}) {
    compacted.push_back(name);
  }
  for (const std::string& name : compacted) {
    const bool cache = name == catalog::kExtractCacheDataset;
    if (cache && !catalog::TableExists(catalog::DatasetRegistry::ForOutput(out).Resolve(name))) {
      continue;
    }
    // The manifest gains a file per build (appended after this): compacted, it is not
    // recorded as a table of the build.
    if (name == catalog::kBuildsDataset) {
      MaybeOptimize(bc, name);
      continue;
    }
    if (auto optimized = MaybeOptimize(bc, name, cache ? &cache_parquet : nullptr)) {
      delta::WriteResult w;
      w.version = optimized->version;
      w.totals.files_added = optimized->files_added;
      w.totals.files_removed = optimized->files_removed;
      w.totals.bytes_added = optimized->bytes_added;
      w.totals.bytes_removed = optimized->bytes_removed;
      w.commit_info = optimized->commit_info;
      std::erase_if(result.record.tables, [&](const TableRecord& t) { return t.name == name; });
      recorder.Record(name, w);
      result.optimized.push_back(name);
    }
  }

  bc.phases->Mark("optimize check");
  recorder.Record(catalog::kFileStateDataset, WriteFileState(out, states, bc.commit_properties));
  bc.phases->Mark("write file_state");
  result.seconds_write = Since(t2);
}

}  // namespace cpglake::pipeline::build_internal
