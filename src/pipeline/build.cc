#include "pipeline/build.h"

#include <algorithm>
#include <cctype>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <unordered_map>
#include <variant>

#include <nlohmann/json.hpp>

#include "catalog/dataset_registry.h"
#include "columnar/record_batch.h"
#include "columnar/schema_fingerprint.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/ids.h"
#include "common/parallel.h"
#include "cpg/derived_tables.h"
#include "cpg/graph.h"
#include "cpg/ids.h"
#include "cpg/resolution_rows.h"
#include "cpg/scip_rows.h"
#include "delta/dml.h"
#include "delta/file_stats_writer.h"
#include "delta/maintenance.h"
#include "delta/snapshot.h"
#include "delta/stats.h"
#include "delta/table_changes.h"
#include "delta/writer.h"
#include "pipeline/build_internal.h"
#include "pipeline/build_state.h"
#include "pipeline/diagnostics.h"
#include "pipeline/scip_evidence.h"
#include "python/module_summary.h"
#include "python/resolver.h"
#include "python/scopes.h"
#include "python/source_decoding.h"
#include "python/summary_codec.h"
#include "python/syntax.h"
#include "python/tree_sitter.h"
#include "storage/object_store.h"

namespace cpglake::pipeline {

namespace build_internal {

columnar::Schema RepoFilesSchema() {
  using columnar::DataType;
  using columnar::Field;
  return columnar::Schema(std::vector<Field>{
      Field("file_id", DataType::String(), false), Field("path", DataType::String(), false),
      Field("sha256", DataType::String(), true), Field("size_bytes", DataType::Int64(), true),
      Field("mtime_ns", DataType::Int64(), true), Field("encoding", DataType::String(), true),
      Field("is_tracked", DataType::Boolean(), true)});
}

// An unanchored edge the build itself knows (repo → file, file → module, package → module):
// origin "syntax", confidence 1; owner and path set by the caller when a file owns it.
cpg::EdgeRow StructuralEdge(const std::string& kind, const std::string& src,
                            const std::string& dst) {
  cpg::EdgeRow e;
  e.edge_kind = kind;
  e.src_node_id = src;
  e.dst_node_id = dst;
  e.edge_id = cpg::EdgeId(kind, src, dst, std::nullopt, std::nullopt);
  e.origin = "syntax";
  e.confidence = 1.0;
  return e;
}

std::string Dirname(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string ReadWholeFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw IoError(p.string() + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw IoError(p.string() + ": read failed");
  return ss.str();
}

}  // namespace build_internal

using namespace build_internal;  // NOLINT(build/namespaces): this file defines them

std::string ModuleNameForPath(const std::string& path, const std::vector<std::string>& package_dirs,
                              const std::string& root_package) {
  const std::set<std::string> packages(package_dirs.begin(), package_dirs.end());
  std::string stem = path;
  for (const char* ext : {".pyi", ".pyw", ".py"}) {
    const std::string e(ext);
    if (stem.size() > e.size() && stem.compare(stem.size() - e.size(), e.size(), e) == 0) {
      stem.resize(stem.size() - e.size());
      break;
    }
  }
  std::vector<std::string> parts;
  std::string base = stem.substr(stem.rfind('/') == std::string::npos ? 0 : stem.rfind('/') + 1);
  std::string dir = Dirname(stem);
  if (base != "__init__") parts.push_back(base);
  if (base == "__init__" && dir.empty()) return root_package.empty() ? "__init__" : root_package;
  // The file's own package chain.
  while (!dir.empty() && packages.count(dir)) {
    parts.push_back(dir.substr(dir.rfind('/') == std::string::npos ? 0 : dir.rfind('/') + 1));
    dir = Dirname(dir);
  }
  if (parts.empty()) parts.push_back(base);
  if (dir.empty() && !root_package.empty() && packages.count("")) parts.push_back(root_package);
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) out += (out.empty() ? "" : ".") + *it;
  return out;
}

const std::map<std::string, std::string>& DefaultStatsColumns() {
  static const std::map<std::string, std::string> kStatsColumns = {
      {"cpg_nodes", "file_id,path,node_kind,bstart,bend"},
      {"cpg_edges", "edge_owner_file_id,path,edge_kind,bstart"},
      {"cpg_props", "file_id,entity_id,prop_key"},
      {"cpg_edges_by_src", "owner_file_id,node_id"},
      {"cpg_edges_by_dst", "node_id"},
      {"cpg_props_map", "file_id,entity_id"},
  };
  return kStatsColumns;
}

int EffectiveCompressionLevel(parquet::Codec codec, int level) {
  if (level != 0) return level;
  return codec == parquet::Codec::kZstd ? 1 : 0;
}

namespace build_internal {
// Parquet Bloom filters (1% fpp, sized per row group) on the ids point lookups and joins
// probe: random hashes defeat min/max, a filter lets a lookup read ~one row group.
const std::map<std::string, std::vector<std::string>> kBloomColumns = {
    {"cpg_nodes", {"node_id", "qualified_name"}},
    {"cpg_edges", {"src_node_id", "dst_node_id"}},
    {"cpg_props", {"entity_id"}},
    // The derived tables: node lookups; cpg_edges_by_dst is sorted by node (statistics prune
    // its lookups), its owner's filter lets a file's replacement skip row groups.
    {"cpg_edges_by_src", {"node_id"}},
    {"cpg_edges_by_dst", {"owner_file_id"}},
    {"cpg_props_map", {"entity_id"}},
};
}  // namespace build_internal

delta::WriteOptions GraphTableWriteOptions(const BuildOptions& options, const std::string& table,
                                           int threads) {
  delta::WriteOptions wo;
  wo.mode = delta::WriteMode::kOverwrite;
  wo.schema_mode = delta::SchemaMode::kOverwrite;
  wo.properties = options.table_properties;
  wo.parquet.threads = std::max(1, threads);
  wo.parquet.codec = options.writer.codec;
  wo.parquet.compression_level =
      EffectiveCompressionLevel(options.writer.codec, options.writer.compression_level);
  wo.parquet.row_group_rows = options.writer.row_group_rows;
  wo.parquet.dictionary = options.writer.dictionary;
  wo.target_file_bytes = options.writer.target_file_bytes;
  // File statistics only on the columns the rows are clustered by (DefaultStatsColumns;
  // cpglake.toml [tables.stats_columns]); an explicit table property wins.
  auto stats = options.stats_columns.find(table);
  if (stats != options.stats_columns.end() && !stats->second.empty() &&
      !wo.properties.count(std::string(delta::kStatsColumnsKey))) {
    wo.properties[std::string(delta::kStatsColumnsKey)] = stats->second;
  }
  if (auto bloom = kBloomColumns.find(table); bloom != kBloomColumns.end()) {
    for (const auto& c : bloom->second) {
      parquet::BloomFilterOptions b;
      b.column = c;
      wo.parquet.bloom_filters.push_back(std::move(b));
    }
  }
  return wo;
}

namespace build_internal {
// The output tables a build writes, in the order of the write stage's tasks: cpg_edges_by_dst
// first (it keeps every part's rows until it is through), the derived tables after their
// base tables (those free most of the rows), the small tables last.
constexpr const char* kWrittenTables[] = {
    cpg::kEdgesByDstTable, "cpg_props",         "cpg_nodes",           "cpg_edges",
    cpg::kEdgesBySrcTable, cpg::kPropsMapTable, "_cpglake/repo_files", "_cpglake/diagnostics"};
constexpr size_t kNumWrittenTables = std::size(kWrittenTables);
constexpr const char* kDerivedTables[] = {cpg::kEdgesBySrcTable, cpg::kEdgesByDstTable,
                                          cpg::kPropsMapTable};

bool IsDerivedTable(std::string_view name) {
  for (const char* t : kDerivedTables) {
    if (name == t) return true;
  }
  return false;
}

// The graph tables a build writes (the derived ones when enabled).
std::vector<std::string> GraphTables(const BuildOptions& options) {
  std::vector<std::string> out = {"cpg_nodes", "cpg_edges", "cpg_props"};
  if (options.derived) out.insert(out.end(), std::begin(kDerivedTables), std::end(kDerivedTables));
  return out;
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

fs::path RepoRoot(const BuildOptions& options) {
  return fs::absolute(options.repo).lexically_normal();
}

std::string ResolvedRepoId(const BuildOptions& options, const fs::path& repo) {
  if (options.repo_id) return *options.repo_id;
  std::string dirname = repo.filename().string();
  if (dirname.empty()) dirname = repo.parent_path().filename().string();
  return dirname.empty() ? "repo" : dirname;
}

std::string Basename(const std::string& path) {
  return path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
}

ModuleLayout LayoutOf(const fs::path& repo, const RepoScan& scan) {
  ModuleLayout layout;
  for (const auto& f : scan.files) {
    const std::string base = Basename(f.path);
    if (base == "__init__.py" || base == "__init__.pyi") {
      layout.package_dirs.push_back(Dirname(f.path));
    }
  }
  // A repository whose root is a package (building a package directory itself): its modules
  // are named under the directory's name, as Python imports them.
  if (std::find(layout.package_dirs.begin(), layout.package_dirs.end(), "") !=
      layout.package_dirs.end()) {
    const std::string name = repo.filename().string();
    const bool identifier =
        !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
        std::all_of(name.begin(), name.end(), [](char c) {
          return c == '_' || std::isalnum(static_cast<unsigned char>(c)) || (c & 0x80);
        });
    if (identifier) layout.root_package = name;
  }
  for (const auto& f : scan.files) {
    layout.module_names.push_back(
        ModuleNameForPath(f.path, layout.package_dirs, layout.root_package));
    const std::string base = Basename(f.path);
    layout.is_package.push_back(base == "__init__.py" || base == "__init__.pyi");
  }
  return layout;
}

// The PY_MODULE node id of a file, from its summary ("" without one).
std::string ModuleIdOf(const cpg::FileContext& ctx, const python::ModuleSummary* summary) {
  if (summary == nullptr || summary->module_key < 0 ||
      static_cast<size_t>(summary->module_key) >= summary->keys.size()) {
    return "";
  }
  return cpg::NodeIdOf(ctx.file_id, summary->keys[static_cast<size_t>(summary->module_key)]);
}

// The _cpglake/diagnostics row of a diagnostic of a file (its DIAG node's id; no line).
DiagnosticRecord FileDiagnosticRecord(const cpg::FileContext& ctx, const python::Diagnostic& d,
                                      const char* source) {
  DiagnosticRecord r;
  r.file_id = ctx.file_id;
  r.path = ctx.path;
  r.severity = d.severity;
  r.code = d.code;
  r.message = d.message;
  r.source = source;
  r.node_id = cpg::DiagnosticNodeId(ctx, d);
  return r;
}

// Extracts file `f` — from the extraction cache entry `cached` when it has the evidence,
// else by parsing — into `out`. With `cache_evidence` a parse's results are kept for the
// cache with their evidence, else with the summary only.
void ExtractFile(const fs::path& repo, const ScannedFile& f, const cpg::FileContext& ctx,
                 bool is_package, const std::string& cache_key, const CacheEntry* cached,
                 bool cache_evidence, bool scip_targets, FileWork* out) {
  python::FileEvidence ev;
  bool have = false;
  if (cached && cached->evidence) {
    try {
      ev = python::DecodeEvidence(*cached->evidence);
      out->summary = python::DecodeSummary(cached->summary);
      ev.path = f.path;
      have = out->has_summary = out->from_cache = true;
      out->bytes = f.size;
    } catch (const Error&) {
      ev = python::FileEvidence();  // a damaged entry: parse the file again
      out->summary = python::ModuleSummary();
    }
  }
  if (!have) {
    ev.path = f.path;
    std::string source;
    try {
      source = ReadWholeFile(repo / f.path);
    } catch (const Error& e) {
      ev.diagnostics.push_back({"error", "UNREADABLE", e.what(), -1, -1});
    }
    if (ev.diagnostics.empty()) {
      // A file in another encoding is parsed as its UTF-8 decoding; spans go back to raw
      // bytes.
      std::optional<python::DecodedSource> decoded;
      if (!python::IsUtf8Encoding(f.encoding)) {
        std::string why;
        decoded = python::DecodeSource(source, f.encoding, &why);
        if (!decoded) {
          ev.diagnostics.push_back(
              {"warning", "UNDECODABLE", why + "; parsed as UTF-8 instead", -1, -1});
        }
      }
      const std::string_view text = decoded ? std::string_view(decoded->text) : source;
      thread_local python::Parser parser;
      python::TreePtr tree;
      python::ExtractSyntax(parser, text, ctx.module_name, &ev, &tree);
      python::AnalyzeScopes(text, ts_tree_root_node(tree.get()), &ev);
      out->summary = python::SummarizeModule(text, ts_tree_root_node(tree.get()), ev,
                                             ctx.module_name, is_package);
      if (decoded) {
        python::MapEvidenceToRaw(*decoded, &ev);
        python::MapSummaryToRaw(*decoded, &out->summary);
      }
      out->has_summary = true;
      CacheEntry entry;
      entry.key = cache_key;
      entry.sha256 = f.sha256;
      entry.module_name = ctx.module_name;
      entry.summary = python::EncodeSummary(out->summary);
      if (cache_evidence) entry.evidence = python::EncodeEvidence(ev);
      out->cache_entry = std::move(entry);
    }
    out->bytes = static_cast<int64_t>(source.size());
  }
  for (const auto& d : ev.diagnostics) {
    DiagnosticRecord r = FileDiagnosticRecord(ctx, d, diag_source::kFrontEnd);
    if (d.bstart >= 0 && !ev.lines.line_starts.empty()) {
      const auto [line, col] = ev.lines.Position(d.bstart);
      r.line = static_cast<int32_t>(line);
      r.col = static_cast<int32_t>(col);
    }
    out->diagnostics.push_back(std::move(r));
  }
  if (scip_targets) out->scip_targets = cpg::ScipTargetsOf(ctx, ev);
  cpg::RowSet& rows = out->rows;
  const std::string module_id = rows.AddFileEvidence(ctx, ev);
  CPGLAKE_CHECK(!out->has_summary || module_id == ModuleIdOf(ctx, &out->summary),
                "the module id of " + f.path + " differs between its evidence and its summary");
  // The file node and its links.
  cpg::NodeRow file_node;
  file_node.node_id = ctx.file_id;
  file_node.node_kind = "PY_FILE";
  file_node.file_id = ctx.file_id;
  file_node.path = f.path;
  file_node.name = f.path;
  auto edge = [&](const std::string& kind, const std::string& src, const std::string& dst) {
    cpg::EdgeRow e = StructuralEdge(kind, src, dst);
    e.edge_owner_file_id = ctx.file_id;
    e.path = f.path;
    rows.AddEdge(e);
  };
  edge("REPO_CONTAINS", cpg::StableId("PY_REPO", {ctx.repo_id}), ctx.file_id);
  if (!module_id.empty()) edge("FILE_DECLARES_MODULE", ctx.file_id, module_id);
  for (const auto& [k, v] : std::initializer_list<std::pair<const char*, python::PropValue>>{
           {"size_bytes", python::PropValue(f.size)},
           {"sha256", python::PropValue(f.sha256)},
           {"encoding", python::PropValue(f.encoding)}}) {
    rows.AddProp(cpg::PropRow{"node", ctx.file_id, ctx.file_id, k, v, false});
  }
  rows.AddNode(file_node);
  rows.ShrinkToFit();
}

// The file-state form of what a file's resolution read: the file ids of the files, then
// "sub <file id> <class key>" per class whose subclasses it searched; one per line.
std::string SubclassToken(const std::string& file_id, int32_t key) {
  return "sub " + file_id + " " + std::to_string(key);
}
std::string ResolutionDepsText(const python::ResolutionDeps& deps,
                               const std::vector<cpg::FileContext>& contexts) {
  std::vector<std::string> lines;
  for (int32_t f : deps.files) lines.push_back(contexts[static_cast<size_t>(f)].file_id);
  for (const auto& [f, k] : deps.subclass_queries) {
    lines.push_back(SubclassToken(contexts[static_cast<size_t>(f)].file_id, k));
  }
  std::sort(lines.begin(), lines.end());
  std::string text;
  for (const auto& l : lines) text += (text.empty() ? "" : "\n") + l;
  return text;
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    out.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

std::string JoinLines(const std::set<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += (text.empty() ? "" : "\n") + l;
  return text;
}

// The resolver over every file's summary (the module table and the class hierarchies need
// them all). `entries` must outlive it.
std::vector<python::ModuleEntry> ModuleEntries(
    const RepoScan& scan, const std::vector<const python::ModuleSummary*>& summary_ptrs) {
  std::vector<python::ModuleEntry> entries(scan.files.size());
  for (size_t i = 0; i < scan.files.size(); ++i) entries[i] = {summary_ptrs[i], scan.files[i].path};
  return entries;
}

// Resolves the files with `selected[i]` in parallel, recording what each read; the rows are
// made later, by FileResolutionRowsOf, only for the files whose rows are written.
std::vector<FileResolutionRows> ResolveFiles(
    const BuildContext& bc, const RepoScan& scan, const std::vector<cpg::FileContext>& contexts,
    const std::vector<const python::ModuleSummary*>& summary_ptrs, const python::Resolver& resolver,
    const std::vector<char>& selected) {
  std::vector<FileResolutionRows> out(scan.files.size());
  std::vector<size_t> files;
  for (size_t i = 0; i < scan.files.size(); ++i) {
    if (selected[i]) files.push_back(i);
  }
  std::atomic<int64_t> resolved{0};
  ParallelFor(files.size(), bc.threads, [&](size_t k) {
    const size_t i = files[k];
    FileResolutionRows& r = out[i];
    r.resolved = true;
    python::ResolutionDeps deps;
    r.resolution = resolver.ResolveFile(i, &deps);
    r.deps = ResolutionDepsText(deps, contexts);
    for (const auto& d : r.resolution.diagnostics) {
      DiagnosticRecord rec = FileDiagnosticRecord(contexts[i], d, diag_source::kResolver);
      // Anchored at a node of the summary (an import alias): its line and column, as the
      // DIAG node has them (cpg/resolution_rows.cc).
      if (summary_ptrs[i]) {
        for (const auto& key : summary_ptrs[i]->keys) {
          if (key.bstart == d.bstart && key.bend == d.bend && key.line_start >= 0) {
            rec.line = key.line_start;
            rec.col = key.col_start;
          }
        }
      }
      r.diagnostics.push_back(std::move(rec));
    }
    if (summary_ptrs[i]) {
      for (const auto& e : r.resolution.edges) {
        if (e.dst.file < 0) r.externals.insert(e.dst.external);
      }
    }
    r.hash = cpg::ResolutionFingerprint(i, contexts, summary_ptrs, r.resolution);
    bc.progress("resolve", ++resolved, static_cast<int64_t>(files.size()));
  });
  return out;
}

// The rows of file i's resolution (cpg::RowsForResolution).
cpg::GraphRows FileResolutionRowsOf(size_t i, const std::vector<cpg::FileContext>& contexts,
                                    const std::vector<const python::ModuleSummary*>& summary_ptrs,
                                    const FileResolutionRows& r) {
  std::set<std::string> unused;
  return cpg::RowsForResolution(i, contexts, summary_ptrs, r.resolution, &unused);
}

// The in-repository targets of a file's CALLS edges, in edge order: (file, key).
std::vector<std::pair<size_t, const python::NodeKey*>> InRepoCallTargets(
    const python::FileResolution& resolution,
    const std::vector<const python::ModuleSummary*>& summary_ptrs) {
  std::vector<std::pair<size_t, const python::NodeKey*>> out;
  for (const auto& e : resolution.edges) {
    if (e.kind != "CALLS" || e.dst.file < 0) continue;
    const auto f = static_cast<size_t>(e.dst.file);
    const python::ModuleSummary* s = f < summary_ptrs.size() ? summary_ptrs[f] : nullptr;
    if (s == nullptr || e.dst.key < 0 || static_cast<size_t>(e.dst.key) >= s->keys.size()) continue;
    out.emplace_back(f, &s->keys[static_cast<size_t>(e.dst.key)]);
  }
  return out;
}

// Folds each file's SCIP fingerprint (its document, the symbols its CALLS targets define) into
// its resolution hash: the file state's resolution_hash then covers every row of the file that
// is made from more than its own content, and a file whose SCIP rows change is re-emitted by
// an incremental build like a file whose resolution changed.
void AddScipFingerprints(const ScipEvidence& scip,
                         const std::vector<const python::ModuleSummary*>& summary_ptrs, int threads,
                         std::vector<FileResolutionRows>* resolutions) {
  ParallelFor(resolutions->size(), threads, [&](size_t i) {
    FileResolutionRows& r = (*resolutions)[i];
    FieldHasher h;
    h.Str(r.hash);
    h.Str(scip.FileFingerprint(i, InRepoCallTargets(r.resolution, summary_ptrs)));
    r.hash = h.Hex();
  });
}

// Appends file i's SCIP rows (cpg::RowsForScipDocument; nothing when it has no document) to
// `rows`, which hold its resolution rows (its CALLS edges get their corroboration), and its
// diagnostics to `diagnostics`.
void AddScipRows(const ScipEvidence& scip, size_t i, const std::vector<cpg::FileContext>& contexts,
                 const std::vector<const python::ModuleSummary*>& summary_ptrs,
                 const python::FileResolution& resolution, std::vector<cpg::ScipTarget> targets,
                 cpg::GraphRows* rows, std::vector<DiagnosticRecord>* diagnostics) {
  const ScipFileDocument* doc = scip.ForFile(i);
  if (doc == nullptr) return;
  const cpg::FileContext& ctx = contexts[i];
  std::unordered_map<std::string, const std::string*> defined;
  for (const auto& [f, key] : InRepoCallTargets(resolution, summary_ptrs)) {
    const std::string id = cpg::NodeIdOf(contexts[f].file_id, *key);
    if (const std::string* symbol = scip.DefinedSymbol(f, *key)) defined.emplace(id, symbol);
  }
  std::vector<cpg::EdgeRow> calls;
  for (const auto& e : rows->edges) {
    if (e.edge_kind == "CALLS") calls.push_back(e);
  }
  const cpg::ScipSpanMatcher matcher(std::move(targets));
  cpg::ScipFileRows r = cpg::RowsForScipDocument(
      ctx, *doc->document, doc->spans, matcher, calls,
      [&](const std::string& id) -> const std::string* {
        auto it = defined.find(id);
        return it == defined.end() ? nullptr : it->second;
      },
      doc->stale, &doc->local_names);
  rows->Append(std::move(r.rows));
  for (const auto& d : r.diagnostics) {
    diagnostics->push_back(FileDiagnosticRecord(ctx, d, diag_source::kScip));
  }
}

// A fingerprint of everything the repository-level rows are made from (without making them:
// ten thousand external names are as many BLAKE2b ids).
std::string RepoLevelFingerprint(const std::string& repo_id, const RepoScan& scan,
                                 const ModuleLayout& layout,
                                 const std::vector<std::string>& module_ids,
                                 const std::set<std::string>& externals, const ScipEvidence* scip) {
  FieldHasher h;
  h.Str("cpglake-repo-level-v1");
  if (scip) {
    h.Tag('S');
    h.Str(scip->RepoFingerprint());
  }
  h.Str(repo_id);
  h.Str(layout.root_package);
  h.Tag('P');
  for (const auto& dir : layout.package_dirs) h.Str(dir);
  h.Tag('M');
  for (size_t i = 0; i < scan.files.size(); ++i) {
    h.Str(scan.files[i].path);
    h.Str(module_ids[i]);
  }
  h.Tag('X');
  for (const auto& q : externals) h.Str(q);
  h.Tag('D');
  for (const auto& d : scan.diagnostics) {
    h.Str(d.path);
    h.Str(d.code);
    h.Str(d.message);
  }
  return h.Hex();
}

// With `with_rows` false only the diagnostics rows and the fingerprint are made.
RepoLevel RepoLevelRows(const std::string& repo_id, const RepoScan& scan,
                        const ModuleLayout& layout, const std::vector<std::string>& module_ids,
                        const std::set<std::string>& externals, const ScipEvidence* scip,
                        bool with_rows) {
  RepoLevel level;
  cpg::RowSet& repo_rows = level.rows;
  const std::string repo_node = cpg::StableId("PY_REPO", {repo_id});
  {
    cpg::NodeRow r;
    r.node_id = repo_node;
    r.node_kind = "PY_REPO";
    r.name = repo_id;
    repo_rows.AddNode(r);
  }
  // (Without rows the rest is cheap and left partial: only the diagnostics are used.)
  if (with_rows) {
    for (const auto& q : externals) repo_rows.AddNode(cpg::QualifiedNameNode(q));
    if (scip) repo_rows.Add(cpg::RowsForScipSymbols(repo_id, scip->symbols()));
  }
  std::map<std::string, std::string> package_ids;  // dir → id
  for (const auto& dir : layout.package_dirs) {
    const std::string dotted =
        ModuleNameForPath(dir + "/__init__.py", layout.package_dirs, layout.root_package);
    const std::string id = cpg::StableId("PY_PACKAGE", {repo_id, dotted});
    if (!package_ids.emplace(dir, id).second) continue;
    cpg::NodeRow r;
    r.node_id = id;
    r.node_kind = "PY_PACKAGE";
    r.path = dir;
    r.name = dotted.substr(dotted.rfind('.') == std::string::npos ? 0 : dotted.rfind('.') + 1);
    r.qualified_name = dotted;
    repo_rows.AddNode(r);
  }
  auto repo_edge = [&](const std::string& kind, const std::string& src, const std::string& dst) {
    repo_rows.AddEdge(StructuralEdge(kind, src, dst));
  };
  // Scan diagnostics (files skipped: too large, binary, unreadable, hostile names, limits) as
  // DIAG nodes of the repository.
  for (const auto& d : scan.diagnostics) {
    cpg::NodeRow r;
    r.node_id = cpg::StableId("DIAG", {repo_id, d.path, d.code, d.message});
    r.node_kind = "DIAG";
    if (!d.path.empty()) r.path = d.path;
    r.name = d.code;
    for (const auto& [k, v] :
         std::initializer_list<std::pair<const char*, std::string>>{{"severity", "warning"},
                                                                    {"message", d.message},
                                                                    {"code", d.code},
                                                                    {"diag_source", "scan"}}) {
      repo_rows.AddProp(
          cpg::PropRow{"node", r.node_id, std::nullopt, k, python::PropValue(v), false});
    }
    repo_edge("HAS_DIAGNOSTIC", repo_node, r.node_id);
    DiagnosticRecord row;
    // A diagnostic that accompanies a listed file (UNKNOWN_ENCODING) names its PY_FILE.
    const auto at = std::lower_bound(
        scan.files.begin(), scan.files.end(), d.path,
        [](const ScannedFile& f, const std::string& path) { return f.path < path; });
    const bool listed = at != scan.files.end() && at->path == d.path;
    if (listed) row.file_id = cpg::FileId(repo_id, d.path);
    row.path = r.path;
    row.severity = "warning";
    row.code = d.code;
    row.message = d.message;
    row.source = diag_source::kScan;
    row.node_id = r.node_id;
    level.diagnostics.push_back(std::move(row));
    repo_rows.AddNode(r);
  }
  // SCIP documents of no listed file.
  std::set<std::string> scip_seen;
  for (const auto& [path, message] :
       scip ? scip->unlisted_documents() : std::vector<std::pair<std::string, std::string>>{}) {
    const std::string code = "SCIP_DOCUMENT_NOT_IN_SCAN";
    cpg::NodeRow r;
    r.node_id = cpg::StableId("DIAG", {repo_id, path, code, message});
    if (!scip_seen.insert(r.node_id).second) continue;
    r.node_kind = "DIAG";
    r.path = path;
    r.name = code;
    for (const auto& [k, v] : std::initializer_list<std::pair<const char*, std::string>>{
             {"severity", "info"}, {"message", message}, {"code", code}, {"diag_source", "scip"}}) {
      repo_rows.AddProp(
          cpg::PropRow{"node", r.node_id, std::nullopt, k, python::PropValue(v), false});
    }
    repo_edge("HAS_DIAGNOSTIC", repo_node, r.node_id);
    DiagnosticRecord row;
    row.path = path;
    row.severity = "info";
    row.code = code;
    row.message = message;
    row.source = diag_source::kScip;
    row.node_id = r.node_id;
    level.diagnostics.push_back(std::move(row));
    repo_rows.AddNode(r);
  }
  for (const auto& [dir, id] : package_ids) {
    auto parent = package_ids.find(Dirname(dir));
    if (parent != package_ids.end() && !dir.empty()) {
      repo_edge("PACKAGE_CONTAINS", parent->second, id);
    }
  }
  for (size_t i = 0; i < scan.files.size(); ++i) {
    if (module_ids[i].empty()) continue;
    auto pkg = package_ids.find(Dirname(scan.files[i].path));
    if (pkg != package_ids.end()) repo_edge("PACKAGE_CONTAINS", pkg->second, module_ids[i]);
  }
  return level;
}

// The rows of _cpglake/repo_files.
columnar::RecordBatch RepoFilesBatch(const std::string& repo_id, const RepoScan& scan) {
  columnar::RecordBatch files = columnar::RecordBatch::MakeEmpty(RepoFilesSchema());
  for (const auto& f : scan.files) {
    files.mutable_column(0).AppendString(cpg::FileId(repo_id, f.path));
    files.mutable_column(1).AppendString(f.path);
    files.mutable_column(2).AppendString(f.sha256);
    files.mutable_column(3).Append<int64_t>(f.size);
    files.mutable_column(4).Append<int64_t>(f.mtime_ns);
    files.mutable_column(5).AppendString(f.encoding);
    files.mutable_column(6).AppendBool(f.is_tracked);
  }
  files.set_num_rows(static_cast<int64_t>(scan.files.size()));
  return files;
}

// Writer options of one output table with the build's commit properties (GraphTableWriteOptions).
delta::WriteOptions TableWriteOptions(const BuildContext& bc, const std::string& name,
                                      const columnar::Schema& schema) {
  delta::WriteOptions wo = GraphTableWriteOptions(bc.options, name, bc.threads);
  wo.commit_properties = bc.commit_properties;
  wo.commit_properties["cpglake.schema_fingerprint"] = columnar::SchemaFingerprint(schema);
  wo.commit_properties["cpglake.ordering_keys"] = OrderingKeys(name);
  return wo;
}

std::string TablePath(const BuildContext& bc, const std::string& name) {
  catalog::DatasetLocation location;  // Delta: the output storage policy lets it through
  location.path = (bc.out / name).string();
  catalog::CheckSink(bc.options.output_policy, location, "table " + name);
  return location.path;
}

// Records a write of the extraction cache; a build that added nothing records nothing (the
// cache is content-addressed: any version serves).
void RecordStateWrite(TableRecorder& recorder, const char* name, const delta::WriteResult& w) {
  if (!w.skipped) recorder.Record(name, w);
}

// The extraction cache entries of parses whose keys the cache lacks (each key once).
std::vector<CacheEntry> NewCacheEntries(std::vector<FileWork>& works,
                                        const std::set<std::string>& present) {
  std::vector<CacheEntry> out;
  std::set<std::string> seen = present;
  for (auto& w : works) {
    if (!w.cache_entry || !seen.insert(w.cache_entry->key).second) continue;
    out.push_back(std::move(*w.cache_entry));
    w.cache_entry.reset();
  }
  return out;
}

// Steps 2-3 of a full build: extract, resolve, emit and write every output table, the
// extraction cache and the file state. Each table committed is added to
// result->record.tables (so a failed build knows what it wrote).
void BuildFull(const BuildContext& bc, const RepoScan& scan, BuildResult* result_ptr) {
  BuildResult& result = *result_ptr;
  const int threads = bc.threads;
  const auto& progress = bc.progress;
  const ModuleLayout layout = LayoutOf(bc.repo, scan);
  const size_t n = scan.files.size();

  // 2. Extract, files in parallel (one parser per task; results in per-file slots).
  auto t1 = Clock::now();
  std::vector<cpg::FileContext> contexts(n);
  std::vector<std::string> cache_keys(n);
  std::vector<FileWork> works(n);
  std::atomic<int64_t> done{0}, bytes{0};
  // SCIP evidence: documents matched to files, positions converted to bytes.
  std::optional<ScipEvidence> scip;
  if (bc.scip_index) scip.emplace(*bc.scip_index, bc.repo.string(), scan, threads);
  ParallelFor(n, threads, [&](size_t i) {
    const ScannedFile& f = scan.files[i];
    const cpg::FileContext& ctx = contexts[i] = layout.ContextOf(result.repo_id, scan, i);
    cache_keys[i] = ExtractCacheKey(f.sha256, ctx.module_name, layout.is_package[i]);
    ExtractFile(bc.repo, f, ctx, layout.is_package[i], cache_keys[i], nullptr,
                bc.options.incremental.cache_evidence, scip && scip->ForFile(i), &works[i]);
    bytes += works[i].bytes;
    progress("extract", ++done, static_cast<int64_t>(n));
  });
  result.files_parsed = static_cast<int64_t>(n);
  result.bytes_parsed = bytes;
  bc.phases->Mark("extract");

  // Cross-file resolution: IMPORTS / CALLS / INHERITS edges owned by each file, external
  // targets as PY_QUALIFIED_NAME nodes (one per name).
  const auto t_resolve = Clock::now();
  std::vector<const python::ModuleSummary*> summary_ptrs(n, nullptr);
  std::vector<std::string> module_ids(n);
  for (size_t i = 0; i < n; ++i) {
    if (works[i].has_summary) summary_ptrs[i] = &works[i].summary;
    module_ids[i] = ModuleIdOf(contexts[i], summary_ptrs[i]);
  }
  const std::vector<python::ModuleEntry> entries = ModuleEntries(scan, summary_ptrs);
  const python::Resolver resolver(entries);
  std::vector<FileResolutionRows> resolutions =
      ResolveFiles(bc, scan, contexts, summary_ptrs, resolver, std::vector<char>(n, 1));
  if (scip) AddScipFingerprints(*scip, summary_ptrs, threads, &resolutions);
  bc.phases->Mark("resolve");
  // Each file's resolution rows and SCIP rows.
  std::vector<cpg::GraphRows> file_rows(n);
  std::vector<std::vector<DiagnosticRecord>> scip_diagnostics(n);
  ParallelFor(n, threads, [&](size_t i) {
    file_rows[i] = FileResolutionRowsOf(i, contexts, summary_ptrs, resolutions[i]);
    if (scip) {
      AddScipRows(*scip, i, contexts, summary_ptrs, resolutions[i].resolution,
                  std::move(works[i].scip_targets), &file_rows[i], &scip_diagnostics[i]);
    }
  });
  std::set<std::string> externals;
  std::map<std::string, FileState> states;
  std::vector<cpg::RowSet> parts(n + 1);
  std::vector<DiagnosticRecord> diagnostics;
  for (size_t i = 0; i < n; ++i) {
    externals.insert(resolutions[i].externals.begin(), resolutions[i].externals.end());
    states[contexts[i].file_id] =
        FileState{contexts[i].file_id,     scan.files[i].path,
                  contexts[i].module_name, scan.files[i].sha256,
                  cache_keys[i],           resolutions[i].hash,
                  resolutions[i].deps,     JoinLines(resolutions[i].externals)};
    parts[i] = std::move(works[i].rows);
    parts[i].Add(file_rows[i]);
    file_rows[i] = cpg::GraphRows();
    for (auto& d : works[i].diagnostics) diagnostics.push_back(std::move(d));
    for (auto& d : resolutions[i].diagnostics) diagnostics.push_back(std::move(d));
    for (auto& d : scip_diagnostics[i]) diagnostics.push_back(std::move(d));
    resolutions[i] = FileResolutionRows();
  }
  result.seconds_resolve = Since(t_resolve);

  const ScipEvidence* scip_ptr = scip ? &*scip : nullptr;
  RepoLevel level = RepoLevelRows(result.repo_id, scan, layout, module_ids, externals, scip_ptr);
  states[""] =
      FileState{"",
                "",
                "",
                "",
                "",
                RepoLevelFingerprint(result.repo_id, scan, layout, module_ids, externals, scip_ptr),
                resolver.ModuleTableFingerprint(),
                ""};
  parts.back() = std::move(level.rows);
  for (auto& d : level.diagnostics) diagnostics.push_back(std::move(d));
  result.diagnostics_by_code = CountByCode(diagnostics);
  result.diagnostics = static_cast<int64_t>(diagnostics.size());

  std::vector<CacheEntry> cache_entries;
  bool replace_cache = false;  // a damaged cache is replaced
  if (bc.options.incremental.enabled) {
    std::set<std::string> present;
    try {
      present = ExtractCacheKeys(bc.out.string());
    } catch (const Error&) {
      replace_cache = true;
    }
    cache_entries = NewCacheEntries(works, present);
  }
  std::vector<FileWork>().swap(works);
  cpg::Graph graph = cpg::Graph::Assemble(std::move(parts), threads);
  const bool derived = bc.options.derived;
  if (derived) graph.PrepareDerived(threads);
  graph.ReleaseRowsOnceStreamed(derived);  // each table is streamed once, below
#ifdef __GLIBC__
  malloc_trim(0);  // give the parsers' and the resolver's memory back before writing
#endif
  result.nodes_by_kind = graph.NodesByKind();
  result.edges_by_kind = graph.EdgesByKind();
  result.nodes = graph.num_nodes();
  result.edges = graph.num_edges();
  result.props = graph.num_props();
  result.seconds_extract = Since(t1) - result.seconds_resolve;
  bc.phases->Mark("resolution rows, cache entries, assemble");

  // 3. Write the tables (overwrite).
  auto t2 = Clock::now();
  TableRecorder recorder(bc, &result);
  std::atomic<int64_t> tables_written{0};
  std::vector<std::string> written;
  for (const char* name : kWrittenTables) {
    if (derived || !IsDerivedTable(name)) written.push_back(name);
  }
  const int64_t num_written = static_cast<int64_t>(written.size());
  // The extraction cache is appended beside the tables (content-addressed: harmless if the
  // build fails); the file state follows them.
  if (bc.options.incremental.enabled) written.push_back(catalog::kExtractCacheDataset);
  auto write = [&](const std::string& name, const columnar::Schema& schema,
                   const delta::BatchSource& batches) {
    const std::string path = TablePath(bc, name);
    recorder.Record(name, delta::WriteDeltaTable(storage::OpenObjectStore(path), schema, batches,
                                                 TableWriteOptions(bc, name, schema)));
    progress("write", ++tables_written, num_written);
  };
  // The tables are streamed from the sorted graph in row-group-sized batches (rows are
  // rendered as they are written); the tables are independent and written at once.
  const int64_t batch_rows = std::max<int64_t>(1, bc.options.writer.row_group_rows);
  progress("write", 0, num_written);
  ParallelFor(written.size(), threads, [&](size_t t) {
    const std::string& name = written[t];
    if (name == "cpg_props") {
      write(name, cpg::PropsSchema(), graph.PropBatches(batch_rows));
    } else if (name == "cpg_nodes") {
      write(name, cpg::NodesSchema(), graph.NodeBatches(batch_rows));
    } else if (name == "cpg_edges") {
      write(name, cpg::EdgesSchema(), graph.EdgeBatches(batch_rows));
    } else if (name == cpg::kEdgesBySrcTable) {
      write(name, cpg::EdgesBySrcSchema(), graph.EdgesBySrcBatches(batch_rows));
    } else if (name == cpg::kEdgesByDstTable) {
      write(name, cpg::EdgesByDstSchema(), graph.EdgesByDstBatches(batch_rows));
    } else if (name == cpg::kPropsMapTable) {
      write(name, cpg::PropsMapSchema(), graph.PropsMapBatches(batch_rows));
    } else if (name == catalog::kRepoFilesDataset) {
      const columnar::RecordBatch files = RepoFilesBatch(result.repo_id, scan);
      bool sent = false;
      write(name, files.schema(), [&]() -> std::optional<columnar::RecordBatch> {
        if (sent) return std::nullopt;
        sent = true;
        return files;
      });
    } else if (name == catalog::kExtractCacheDataset) {
      RecordStateWrite(
          recorder, catalog::kExtractCacheDataset,
          AppendExtractCache(bc.out.string(), cache_entries, bc.commit_properties, replace_cache));
      std::vector<CacheEntry>().swap(cache_entries);
    } else {
      // The build's diagnostics replace the previous build's.
      std::map<std::string, std::string> props = bc.commit_properties;
      props["cpglake.ordering_keys"] = OrderingKeys(name);
      recorder.Record(name, WriteBuildDiagnostics(bc.out.string(), result.build_id,
                                                  std::move(diagnostics), props));
      progress("write", ++tables_written, num_written);
    }
  });
  bc.phases->Mark("write tables");
  if (bc.options.incremental.enabled) {
    // The incremental state, after the graph: it describes what the tables hold.
    recorder.Record(catalog::kFileStateDataset,
                    WriteFileState(bc.out.string(), states, bc.commit_properties));
    bc.phases->Mark("write file_state");
  }
  result.seconds_write = Since(t2);
}

// The manifest row's counts and timings from what the build got to.
void FillRecord(const BuildResult& result, BuildRecord* record) {
  record->files_scanned = result.files_scanned;
  if (record->mode == "full") {
    record->files_changed = result.files_scanned;  // a full build: every file
    record->files_deleted = 0;
    record->files_impacted = 0;
  }
  record->nodes = result.nodes;
  record->edges = result.edges;
  record->props = result.props;
  record->diagnostics = result.diagnostics;
  std::sort(record->tables.begin(), record->tables.end(),
            [](const TableRecord& a, const TableRecord& b) { return a.name < b.name; });
  record->schema_fingerprint = CombinedSchemaFingerprint(record->tables);
  record->seconds_scan = result.seconds_scan;
  record->seconds_extract = result.seconds_extract;
  record->seconds_resolve = result.seconds_resolve;
  record->seconds_write = result.seconds_write;
  record->finished_at_us = NowMicros();
  record->seconds_total =
      static_cast<double>(*record->finished_at_us - record->started_at_us) / 1e6;
}

// Why the build cannot be incremental (nullopt: it can), given the output's builds.
std::optional<std::string> FullBuildReason(const BuildOptions& options, const BuildContext& bc,
                                           const ManifestHead& head, const BuildRecord** previous) {
  if (!options.incremental.enabled) return "incremental builds are disabled";
  if (options.full) return "--full";
  const BuildRecord* last = head.latest_successful ? &*head.latest_successful : nullptr;
  *previous = last;
  if (last == nullptr) return "first build";
  if (last->config_hash != bc.config_hash) return "config changed";
  if (last->schema_version != cpg::kGraphSchemaVersion) return "graph schema changed";
  if (last->tool_version != CpglakeVersion()) return "tool version changed";
  if (last->repo_id != bc.commit_properties.at("cpglake.repo_id")) return "repository id changed";
  const auto versions = last->TableVersions();
  std::vector<std::string> tables = GraphTables(options);
  tables.push_back(catalog::kRepoFilesDataset);
  tables.push_back(catalog::kDiagnosticsDataset);
  for (const std::string& t : tables) {
    if (!versions.count(t)) return "the last build did not record " + t;
    if (!catalog::TableExists(catalog::DatasetRegistry::ForOutput(bc.out.string()).Resolve(t))) {
      return "table " + t + " is missing";
    }
  }
  return std::nullopt;
}

// The scan diagnostics of the last successful build (`previous`), for a scan that starts from
// it (ScanOptions::git_range); false when repo_files or the diagnostics table was written by
// a build after it (one that failed), so that they no longer describe its scan.
bool ReadPreviousScanDiagnostics(const std::string& out, const BuildRecord& previous,
                                 std::vector<ScanDiagnostic>* diagnostics) {
  const auto versions = previous.TableVersions();
  const auto registry = catalog::DatasetRegistry::ForOutput(out);
  const auto files = versions.find(catalog::kRepoFilesDataset);
  const auto diags = versions.find(catalog::kDiagnosticsDataset);
  if (files == versions.end() || diags == versions.end()) return false;
  if (catalog::OpenSnapshot(registry.Resolve(catalog::kRepoFilesDataset), 1)->version() !=
      files->second) {
    return false;
  }
  const std::vector<DiagnosticRecord> rows = ReadDiagnostics(out);
  // Rows appended after the build (a refused sink) carry its id; an overwrite by a later
  // build leaves none of them.
  if (rows.empty() &&
      catalog::OpenSnapshot(registry.Resolve(catalog::kDiagnosticsDataset), 1)->version() !=
          diags->second) {
    return false;
  }
  for (const DiagnosticRecord& row : rows) {
    if (row.build_id != previous.build_id) return false;
    if (row.source == diag_source::kScan) {
      diagnostics->push_back({row.path.value_or(""), row.code, row.message});
    }
  }
  return true;
}

}  // namespace build_internal

std::string OrderingKeys(const std::string& table) {
  static const std::map<std::string, std::string, std::less<>> kKeys = {
      {"cpg_nodes", "path,bstart,bend,node_kind,node_id"},
      {"cpg_edges", "edge_owner_file_id,path,bstart,edge_kind,src_node_id,dst_node_id,edge_id"},
      {"cpg_props", "file_id,entity_id,prop_key"},
      {"cpg_edges_by_src", "owner_file_id,node_id"},
      {"cpg_edges_by_dst", "node_id,owner_file_id"},
      {"cpg_props_map", "file_id,entity_id"},
      {"_cpglake/repo_files", "path"},
      {"_cpglake/diagnostics", "path,line,col,source,code,message,node_id"},
      {"_cpglake/file_state", "file_id"},
      {"_cpglake/extract_cache", "cache_key"},  // within each commit (appends)
  };
  auto it = kKeys.find(table);
  return it == kKeys.end() ? std::string() : it->second;
}

std::string ConfigCanonicalJson(const BuildOptions& options) {
  nlohmann::ordered_json j;
  j["format"] = "cpglake-config-v1";
  j["repo_id"] = ResolvedRepoId(options, RepoRoot(options));
  j["graph_schema_version"] = cpg::kGraphSchemaVersion;
  const ScanOptions& s = options.scan;
  j["scan"] = {{"include", s.include},
               {"exclude", s.exclude},
               {"default_excluded_dirs", s.default_excluded_dirs},
               {"max_files", s.max_files},
               {"max_file_bytes", s.max_file_bytes},
               {"follow_symlinks", s.follow_symlinks},
               {"use_git", s.use_git}};
  j["table_properties"] = options.table_properties;  // a std::map: sorted keys
  const WriterSettings& w = options.writer;
  j["writer"] = {{"codec", std::string(parquet::CodecName(w.codec))},
                 {"compression_level", EffectiveCompressionLevel(w.codec, w.compression_level)},
                 {"row_group_rows", w.row_group_rows},
                 {"target_file_bytes", w.target_file_bytes},
                 {"dictionary", w.dictionary}};
  j["stats_columns"] = options.stats_columns;
  j["bloom_columns"] = kBloomColumns;
  // Only when on, so that switching SCIP on or off makes a full build and the hash of a
  // build without SCIP stays what it was.
  if (options.scip.enabled()) j["scip"] = true;
  // Likewise for the derived tables (off by default).
  if (options.derived) j["derived"] = true;
  return j.dump();
}

std::string ConfigHash(const BuildOptions& options) {
  return Blake2bHex(ConfigCanonicalJson(options), 16);
}

BuildResult BuildGraph(const BuildOptions& options) {
  // A build opens each of its tables several times (state, replacement, optimize, manifest):
  // a table's log is replayed again only when it changed since.
  const delta::SnapshotCacheScope snapshot_cache;
  BuildResult result;
  PhaseClock phases(&result);
  const fs::path repo = RepoRoot(options);
  if (!fs::exists(repo)) throw NotFound(options.repo + ": no such directory");
  if (!fs::is_directory(repo)) throw InvalidInput(options.repo + " is not a directory");
  const fs::path out = options.out ? fs::absolute(*options.out) : repo / ".cpglake";
  result.out = out.string();
  result.repo_id = ResolvedRepoId(options, repo);
  result.build_id = RandomUuid();
  BuildContext bc{options,
                  repo,
                  out,
                  options.jobs > 0 ? options.jobs : DefaultThreads(),
                  ConfigHash(options),
                  [&](const std::string& stage, int64_t done, int64_t total) {
                    if (options.progress) options.progress(stage, done, total);
                  },
                  {}};
  bc.phases = &phases;
  bc.commit_properties = {{"cpglake.build_id", result.build_id},
                          {"cpglake.repo_id", result.repo_id},
                          {"cpglake.tool_version", std::string(CpglakeVersion())},
                          {"cpglake.schema_version", std::to_string(cpg::kGraphSchemaVersion)},
                          {"cpglake.config_hash", bc.config_hash}};
  BuildRecord& record = result.record;
  record.build_id = result.build_id;
  record.repo_id = result.repo_id;
  record.started_at_us = NowMicros();
  record.tool_version = std::string(CpglakeVersion());
  record.config_hash = bc.config_hash;
  record.schema_version = cpg::kGraphSchemaVersion;

  // The SCIP index, before anything touches the output: a bad index (or a failing indexer) is
  // an error with the tables as they were.
  std::optional<scip::ScipIndex> scip_index;
  if (options.scip.enabled()) {
    scip_index = LoadScipIndex(options.scip, repo.string(), result.repo_id);
    bc.scip_index = &*scip_index;
  }

  phases.Mark("start");
  // Full or incremental.
  const ManifestHead head = ReadManifestHead(out.string());
  bc.build_sequence = head.builds + 1;
  const BuildRecord* previous = nullptr;
  std::optional<std::string> full_reason = FullBuildReason(options, bc, head, &previous);
  phases.Mark("previous build");
  std::map<std::string, FileState> prev_state;
  // Damaged incremental state is no reason to fail: a full build rebuilds it. The file state
  // is read while the repository is scanned (the scan needs only repo_files' records).
  std::map<std::string, PreviousFile> known;
  std::future<std::map<std::string, FileState>> state_future;
  if (!full_reason) {
    state_future = std::async(std::launch::async, [&] { return ReadFileState(out.string()); });
    try {
      known = ReadKnownFiles(out.string());
    } catch (const Error& e) {
      full_reason = std::string("incremental state unreadable: ") + e.what();
      known.clear();
    }
  }

  phases.Mark("previous state");
  // 1. Scan. An incremental build trusts the recorded hash of a file whose size and mtime
  // are unchanged (stat first, hash only when they differ); with a git range it lists only
  // what git says changed since the previous build and takes the rest as recorded.
  auto t0 = Clock::now();
  ScanOptions scan_options = options.scan;
  scan_options.output_dir = out.string();
  scan_options.threads = bc.threads;
  scan_options.git_range.reset();
  std::vector<ScanDiagnostic> known_diagnostics;
  if (!full_reason) {
    scan_options.previous = &known;
    try {
      if (options.git_range &&
          ReadPreviousScanDiagnostics(out.string(), *previous, &known_diagnostics)) {
        scan_options.git_range = options.git_range;
        scan_options.previous_diagnostics = &known_diagnostics;
      }
    } catch (const Error&) {
      // Diagnostics that cannot be read: the stat-first scan, without the git diff.
      known_diagnostics.clear();
    }
  }
  bc.progress("scan", 0, 0);
  const RepoScan scan = ScanRepository(repo.string(), scan_options);
  result.files_scanned = static_cast<int64_t>(scan.files.size());
  result.seconds_scan = Since(t0);
  bc.progress("scan", result.files_scanned, result.files_scanned);
  if (state_future.valid()) {
    try {
      prev_state = state_future.get();
      if (prev_state.empty() && !full_reason) full_reason = "no incremental state";
    } catch (const Error& e) {
      if (!full_reason) full_reason = std::string("incremental state unreadable: ") + e.what();
    }
    if (full_reason) prev_state.clear();
  }
  phases.Mark("scan");
  if (!full_reason) {
    // Most of the repository changed (a branch switch, a mass reformat): a full build writes
    // the same tables for less.
    int64_t work = 0;
    std::set<std::string> listed;
    for (const auto& f : scan.files) {
      const std::string id = cpg::FileId(result.repo_id, f.path);
      listed.insert(id);
      auto st = prev_state.find(id);
      if (st == prev_state.end() || st->second.sha256 != f.sha256) ++work;
    }
    for (const auto& [id, st] : prev_state) {
      if (!id.empty() && !listed.count(id)) ++work;
    }
    // Of the files before or after, whichever are more (deletions count as work).
    const size_t files = std::max<size_t>({scan.files.size(), prev_state.size() - 1, 1});
    const double limit = options.incremental.max_work_fraction * static_cast<double>(files);
    if (static_cast<double>(work) > limit) full_reason = "work set too large";
  }

  // 2-3. Extract, resolve, write; then the manifest row. A failure from here on is recorded.
  auto record_failure = [&](const std::string& message) {
    FillRecord(result, &record);
    record.status = kBuildFailed;
    record.error = message;
    try {
      result.manifest_version = AppendBuildRecord(out.string(), record);
    } catch (...) {
      // The original error is what the caller needs to see.
    }
  };
  try {
    if (full_reason) {
      record.mode = "full";
      record.strategy = "full";
      record.full_reason = full_reason;
      BuildFull(bc, scan, &result);
    } else {
      record.mode = "incremental";
      record.strategy = scan.git_diff ? "resolution-hash+git-diff" : "resolution-hash";
      BuildIncremental(bc, scan, *previous, prev_state, &result);
    }
    FillRecord(result, &record);
    record.status = kBuildSucceeded;
    result.manifest_version = AppendBuildRecord(out.string(), record);
    phases.Mark("manifest");
  } catch (const std::exception& e) {
    record_failure(e.what());
    throw;
  } catch (...) {
    record_failure("unknown error");
    throw;
  }
  return result;
}

}  // namespace cpglake::pipeline
