#include "pipeline/build.h"

#include <algorithm>
#include <cctype>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "columnar/record_batch.h"
#include "columnar/schema_fingerprint.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/ids.h"
#include "common/parallel.h"
#include "cpg/graph.h"
#include "cpg/ids.h"
#include "cpg/resolution_rows.h"
#include "delta/file_stats_writer.h"
#include "delta/writer.h"
#include "pipeline/diagnostics.h"
#include "python/module_summary.h"
#include "python/resolver.h"
#include "python/scopes.h"
#include "python/source_decoding.h"
#include "python/syntax.h"
#include "python/tree_sitter.h"
#include "storage/object_store.h"

namespace cpglake::pipeline {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

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

}  // namespace

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
  };
  return kStatsColumns;
}

int EffectiveCompressionLevel(parquet::Codec codec, int level) {
  if (level != 0) return level;
  return codec == parquet::Codec::kZstd ? 1 : 0;
}

namespace {
// Parquet Bloom filters (1% fpp, sized per row group) on the ids point lookups and joins
// probe: random hashes defeat min/max, a filter lets a lookup read ~one row group.
const std::map<std::string, std::vector<std::string>> kBloomColumns = {
    {"cpg_nodes", {"node_id", "qualified_name"}},
    {"cpg_edges", {"src_node_id", "dst_node_id"}},
    {"cpg_props", {"entity_id"}},
};

// The output tables a build writes, in the order of the write stage's tasks.
constexpr const char* kWrittenTables[] = {"cpg_props", "cpg_nodes", "cpg_edges",
                                          "_cpglake/repo_files", "_cpglake/diagnostics"};
constexpr int64_t kNumWrittenTables = 5;

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

// What BuildFromScan needs besides the scan.
struct BuildContext {
  const BuildOptions& options;
  fs::path repo, out;
  int threads = 1;
  std::string config_hash;
  std::function<void(const std::string&, int64_t, int64_t)> progress;
};

// Steps 2-3 of BuildGraph: extract, resolve, emit and write every output table. Each table
// committed is added to result->record.tables (so a failed build knows what it wrote).
void BuildFromScan(const BuildContext& bc, const RepoScan& scan, BuildResult* result_ptr) {
  BuildResult& result = *result_ptr;
  const fs::path& repo = bc.repo;
  const fs::path& out = bc.out;
  const int threads = bc.threads;
  const auto& progress = bc.progress;

  std::vector<std::string> package_dirs;
  for (const auto& f : scan.files) {
    const std::string base =
        f.path.substr(f.path.rfind('/') == std::string::npos ? 0 : f.path.rfind('/') + 1);
    if (base == "__init__.py" || base == "__init__.pyi") package_dirs.push_back(Dirname(f.path));
  }
  // A repository whose root is a package (building a package directory itself): its modules
  // are named under the directory's name, as Python imports them.
  std::string root_package;
  if (std::find(package_dirs.begin(), package_dirs.end(), "") != package_dirs.end()) {
    const std::string name = repo.filename().string();
    const bool identifier =
        !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
        std::all_of(name.begin(), name.end(), [](char c) {
          return c == '_' || std::isalnum(static_cast<unsigned char>(c)) || (c & 0x80);
        });
    if (identifier) root_package = name;
  }

  // 2. Extract, files in parallel (one parser per task; results in per-file slots).
  auto t1 = Clock::now();
  const std::string repo_node = cpg::StableId("PY_REPO", {result.repo_id});
  // Each file's rows, compact (ids as digests, strings interned); its evidence is freed as
  // soon as its rows are made.
  std::vector<cpg::RowSet> parts(scan.files.size() + 1);
  std::vector<std::string> module_ids(scan.files.size());
  std::vector<python::ModuleSummary> summaries(scan.files.size());
  std::vector<char> has_summary(scan.files.size(), 0);
  std::vector<cpg::FileContext> contexts(scan.files.size());
  // Each file's rows of _cpglake/diagnostics (the same diagnostics as its DIAG nodes).
  std::vector<std::vector<DiagnosticRecord>> file_diagnostics(scan.files.size());
  std::atomic<int64_t> done{0}, bytes{0};
  ParallelFor(scan.files.size(), threads, [&](size_t i) {
    const ScannedFile& f = scan.files[i];
    cpg::FileContext ctx;
    ctx.repo_id = result.repo_id;
    ctx.file_id = cpg::FileId(result.repo_id, f.path);
    ctx.path = f.path;
    ctx.module_name = ModuleNameForPath(f.path, package_dirs, root_package);
    contexts[i] = ctx;
    cpg::RowSet& rows = parts[i];
    {
      python::FileEvidence ev;
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
        const std::string base = f.path.substr(f.path.rfind('/') + 1);
        summaries[i] =
            python::SummarizeModule(text, ts_tree_root_node(tree.get()), ev, ctx.module_name,
                                    base == "__init__.py" || base == "__init__.pyi");
        if (decoded) {
          python::MapEvidenceToRaw(*decoded, &ev);
          python::MapSummaryToRaw(*decoded, &summaries[i]);
        }
        has_summary[i] = 1;
      }
      bytes += static_cast<int64_t>(source.size());
      for (const auto& d : ev.diagnostics) {
        DiagnosticRecord r;
        r.file_id = ctx.file_id;
        r.path = f.path;
        r.severity = d.severity;
        r.code = d.code;
        r.message = d.message;
        if (d.bstart >= 0 && !ev.lines.line_starts.empty()) {
          const auto [line, col] = ev.lines.Position(d.bstart);
          r.line = static_cast<int32_t>(line);
          r.col = static_cast<int32_t>(col);
        }
        r.source = diag_source::kFrontEnd;
        r.node_id = cpg::StableId("DIAG", {ctx.file_id, d.bstart, d.bend, d.code, d.message});
        file_diagnostics[i].push_back(std::move(r));
      }
      module_ids[i] = rows.AddFileEvidence(ctx, ev);
    }
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
    edge("REPO_CONTAINS", repo_node, ctx.file_id);
    if (!module_ids[i].empty()) edge("FILE_DECLARES_MODULE", ctx.file_id, module_ids[i]);
    for (const auto& [k, v] : std::initializer_list<std::pair<const char*, python::PropValue>>{
             {"size_bytes", python::PropValue(f.size)},
             {"sha256", python::PropValue(f.sha256)},
             {"encoding", python::PropValue(f.encoding)}}) {
      rows.AddProp(cpg::PropRow{"node", ctx.file_id, ctx.file_id, k, v, false});
    }
    rows.AddNode(file_node);
    rows.ShrinkToFit();
    progress("extract", ++done, static_cast<int64_t>(scan.files.size()));
  });
  result.files_parsed = static_cast<int64_t>(scan.files.size());
  result.bytes_parsed = bytes;

  // Cross-file resolution: IMPORTS / CALLS / INHERITS edges owned by each file, external
  // targets as PY_QUALIFIED_NAME nodes (one per name).
  std::set<std::string> externals;
  const auto t_resolve = Clock::now();
  {
    std::vector<python::ModuleEntry> entries(scan.files.size());
    std::vector<const python::ModuleSummary*> summary_ptrs(scan.files.size(), nullptr);
    for (size_t i = 0; i < scan.files.size(); ++i) {
      if (has_summary[i]) summary_ptrs[i] = &summaries[i];
      entries[i] = {summary_ptrs[i], scan.files[i].path};
    }
    const python::Resolver resolver(entries);
    std::vector<std::set<std::string>> file_externals(scan.files.size());
    std::atomic<int64_t> resolved{0};
    ParallelFor(scan.files.size(), threads, [&](size_t i) {
      const python::FileResolution resolution = resolver.ResolveFile(i);
      for (const auto& d : resolution.diagnostics) {
        DiagnosticRecord r;
        r.file_id = contexts[i].file_id;
        r.path = scan.files[i].path;
        r.severity = d.severity;
        r.code = d.code;
        r.message = d.message;
        // Anchored at a node of the summary (an import alias): its line and column, as the
        // DIAG node has them (cpg/resolution_rows.cc).
        if (summary_ptrs[i]) {
          for (const auto& k : summary_ptrs[i]->keys) {
            if (k.bstart == d.bstart && k.bend == d.bend && k.line_start >= 0) {
              r.line = k.line_start;
              r.col = k.col_start;
            }
          }
        }
        r.source = diag_source::kResolver;
        r.node_id =
            cpg::StableId("DIAG", {contexts[i].file_id, d.bstart, d.bend, d.code, d.message});
        file_diagnostics[i].push_back(std::move(r));
      }
      parts[i].Add(
          cpg::RowsForResolution(i, contexts, summary_ptrs, resolution, &file_externals[i]));
      progress("resolve", ++resolved, static_cast<int64_t>(scan.files.size()));
    });
    for (auto& e : file_externals) externals.merge(e);
  }
  std::vector<python::ModuleSummary>().swap(summaries);
  result.seconds_resolve = Since(t_resolve);

  // Repository-level nodes: the repo, packages (PACKAGE_CONTAINS package → module/subpackage).
  // They go into their own RowSet (any RowSet would do; see cpg/graph.h).
  cpg::RowSet& repo_rows = parts.back();
  {
    cpg::NodeRow r;
    r.node_id = repo_node;
    r.node_kind = "PY_REPO";
    r.name = result.repo_id;
    repo_rows.AddNode(r);
  }
  for (const auto& q : externals) repo_rows.AddNode(cpg::QualifiedNameNode(q));
  std::map<std::string, std::string> package_ids;  // dir → id
  for (const auto& dir : package_dirs) {
    const std::string dotted = ModuleNameForPath(dir + "/__init__.py", package_dirs, root_package);
    const std::string id = cpg::StableId("PY_PACKAGE", {result.repo_id, dotted});
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
  std::vector<DiagnosticRecord> diagnostics;
  for (const auto& d : scan.diagnostics) {
    cpg::NodeRow r;
    r.node_id = cpg::StableId("DIAG", {result.repo_id, d.path, d.code, d.message});
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
    if (listed) row.file_id = cpg::FileId(result.repo_id, d.path);
    row.path = r.path;
    row.severity = "warning";
    row.code = d.code;
    row.message = d.message;
    row.source = diag_source::kScan;
    row.node_id = r.node_id;
    diagnostics.push_back(std::move(row));
    repo_rows.AddNode(r);
  }
  for (auto& per_file : file_diagnostics) {
    for (auto& d : per_file) diagnostics.push_back(std::move(d));
  }
  std::vector<std::vector<DiagnosticRecord>>().swap(file_diagnostics);
  result.diagnostics_by_code = CountByCode(diagnostics);
  result.diagnostics = static_cast<int64_t>(diagnostics.size());
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
  cpg::Graph graph = cpg::Graph::Assemble(std::move(parts), threads);
  graph.ReleaseRowsOnceStreamed();  // each table is streamed once, below
#ifdef __GLIBC__
  malloc_trim(0);  // give the parsers' and the resolver's memory back before writing
#endif
  result.nodes_by_kind = graph.NodesByKind();
  result.edges_by_kind = graph.EdgesByKind();
  result.props = graph.num_props();
  result.seconds_extract = Since(t1) - result.seconds_resolve;

  // 3. Write the tables (overwrite; incremental builds come later).
  auto t2 = Clock::now();
  delta::WriteOptions wo;
  wo.mode = delta::WriteMode::kOverwrite;
  wo.schema_mode = delta::SchemaMode::kOverwrite;
  wo.properties = bc.options.table_properties;
  const std::map<std::string, std::string> commit_properties = {
      {"cpglake.build_id", result.build_id},
      {"cpglake.repo_id", result.repo_id},
      {"cpglake.tool_version", std::string(CpglakeVersion())},
      {"cpglake.schema_version", std::to_string(cpg::kGraphSchemaVersion)},
      {"cpglake.config_hash", bc.config_hash}};
  wo.parquet.threads = threads;
  // Writer settings (build.h WriterSettings: zstd level 1, row groups of 32k rows, 128 MiB
  // files by default; cpglake.toml [writer]).
  wo.parquet.codec = bc.options.writer.codec;
  wo.parquet.compression_level =
      EffectiveCompressionLevel(bc.options.writer.codec, bc.options.writer.compression_level);
  wo.parquet.row_group_rows = bc.options.writer.row_group_rows;
  wo.parquet.dictionary = bc.options.writer.dictionary;
  wo.target_file_bytes = bc.options.writer.target_file_bytes;
  std::mutex tables_mu;
  std::atomic<int64_t> tables_written{0};
  auto record = [&](const std::string& name, const delta::WriteResult& r) {
    TableRecord t = DescribeTableWrite(out.string(), name, r, OrderingKeys(name));
    std::lock_guard<std::mutex> lock(tables_mu);
    result.table_versions[name] = r.version;
    result.record.tables.push_back(std::move(t));
  };
  auto write = [&](const std::string& name, const columnar::Schema& schema,
                   const delta::BatchSource& batches) {
    catalog::DatasetLocation location;  // Delta: the output storage policy lets it through
    location.path = (out / name).string();
    catalog::CheckSink(bc.options.output_policy, location, "table " + name);
    auto store = storage::OpenObjectStore(location.path);
    delta::WriteOptions table_options = wo;
    // File statistics only on the columns the rows are clustered by (DefaultStatsColumns;
    // cpglake.toml [tables.stats_columns]); an explicit table property wins.
    auto stats = bc.options.stats_columns.find(name);
    if (stats != bc.options.stats_columns.end() && !stats->second.empty() &&
        !table_options.properties.count(std::string(delta::kStatsColumnsKey))) {
      table_options.properties[std::string(delta::kStatsColumnsKey)] = stats->second;
    }
    if (auto bloom = kBloomColumns.find(name); bloom != kBloomColumns.end()) {
      for (const auto& c : bloom->second) {
        parquet::BloomFilterOptions b;
        b.column = c;
        table_options.parquet.bloom_filters.push_back(std::move(b));
      }
    }
    table_options.commit_properties = commit_properties;
    table_options.commit_properties["cpglake.schema_fingerprint"] =
        columnar::SchemaFingerprint(schema);
    table_options.commit_properties["cpglake.ordering_keys"] = OrderingKeys(name);
    record(name, delta::WriteDeltaTable(store, schema, batches, table_options));
    progress("write", ++tables_written, kNumWrittenTables);
  };
  // The tables are streamed from the sorted graph in row-group-sized batches (rows are
  // rendered as they are written); the tables are independent and written at once.
  const int64_t batch_rows = std::max<int64_t>(1, wo.parquet.row_group_rows);
  progress("write", 0, kNumWrittenTables);
  ParallelFor(kNumWrittenTables, threads, [&](size_t t) {
    const std::string name = kWrittenTables[t];
    switch (t) {
      case 0:
        write(name, cpg::PropsSchema(), graph.PropBatches(batch_rows));
        break;
      case 1:
        write(name, cpg::NodesSchema(), graph.NodeBatches(batch_rows));
        break;
      case 2:
        write(name, cpg::EdgesSchema(), graph.EdgeBatches(batch_rows));
        break;
      case 3: {
        columnar::RecordBatch files = columnar::RecordBatch::MakeEmpty(RepoFilesSchema());
        for (const auto& f : scan.files) {
          files.mutable_column(0).AppendString(cpg::FileId(result.repo_id, f.path));
          files.mutable_column(1).AppendString(f.path);
          files.mutable_column(2).AppendString(f.sha256);
          files.mutable_column(3).Append<int64_t>(f.size);
          files.mutable_column(4).Append<int64_t>(f.mtime_ns);
          files.mutable_column(5).AppendString(f.encoding);
          files.mutable_column(6).AppendBool(f.is_tracked);
        }
        files.set_num_rows(static_cast<int64_t>(scan.files.size()));
        bool sent = false;
        write(name, files.schema(), [&]() -> std::optional<columnar::RecordBatch> {
          if (sent) return std::nullopt;
          sent = true;
          return files;
        });
        break;
      }
      default: {
        // The build's diagnostics replace the previous build's (incremental builds will
        // keep the rows of unchanged files).
        std::map<std::string, std::string> props = commit_properties;
        props["cpglake.ordering_keys"] = OrderingKeys(name);
        record(name,
               WriteBuildDiagnostics(out.string(), result.build_id, std::move(diagnostics), props));
        progress("write", ++tables_written, kNumWrittenTables);
      }
    }
  });
  result.seconds_write = Since(t2);
}

// The manifest row's counts and timings from what the build got to.
void FillRecord(const BuildResult& result, BuildRecord* record) {
  record->files_scanned = result.files_scanned;
  record->files_changed = result.files_scanned;  // a full build: every file
  record->files_deleted = 0;
  record->files_impacted = 0;
  record->nodes = record->edges = 0;
  for (const auto& [k, n] : result.nodes_by_kind) record->nodes += n;
  for (const auto& [k, n] : result.edges_by_kind) record->edges += n;
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

}  // namespace

std::string OrderingKeys(const std::string& table) {
  static const std::map<std::string, std::string, std::less<>> kKeys = {
      {"cpg_nodes", "path,bstart,bend,node_kind,node_id"},
      {"cpg_edges", "edge_owner_file_id,path,bstart,edge_kind,src_node_id,dst_node_id,edge_id"},
      {"cpg_props", "file_id,entity_id,prop_key"},
      {"_cpglake/repo_files", "path"},
      {"_cpglake/diagnostics", "path,line,col,source,code,message,node_id"},
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
  return j.dump();
}

std::string ConfigHash(const BuildOptions& options) {
  return Blake2bHex(ConfigCanonicalJson(options), 16);
}

BuildResult BuildGraph(const BuildOptions& options) {
  BuildResult result;
  const fs::path repo = RepoRoot(options);
  if (!fs::exists(repo)) throw NotFound(options.repo + ": no such directory");
  if (!fs::is_directory(repo)) throw InvalidInput(options.repo + " is not a directory");
  const fs::path out = options.out ? fs::absolute(*options.out) : repo / ".cpglake";
  result.out = out.string();
  result.repo_id = ResolvedRepoId(options, repo);
  result.build_id = RandomUuid();
  const BuildContext bc{options,
                        repo,
                        out,
                        options.jobs > 0 ? options.jobs : DefaultThreads(),
                        ConfigHash(options),
                        [&](const std::string& stage, int64_t done, int64_t total) {
                          if (options.progress) options.progress(stage, done, total);
                        }};
  BuildRecord& record = result.record;
  record.build_id = result.build_id;
  record.repo_id = result.repo_id;
  record.started_at_us = NowMicros();
  record.mode = "full";
  record.tool_version = std::string(CpglakeVersion());
  record.config_hash = bc.config_hash;
  record.schema_version = cpg::kGraphSchemaVersion;

  // 1. Scan.
  auto t0 = Clock::now();
  ScanOptions scan_options = options.scan;
  scan_options.output_dir = out.string();
  scan_options.threads = bc.threads;
  bc.progress("scan", 0, 0);
  const RepoScan scan = ScanRepository(repo.string(), scan_options);
  result.files_scanned = static_cast<int64_t>(scan.files.size());
  result.seconds_scan = Since(t0);
  bc.progress("scan", result.files_scanned, result.files_scanned);

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
    BuildFromScan(bc, scan, &result);
    FillRecord(result, &record);
    record.status = kBuildSucceeded;
    result.manifest_version = AppendBuildRecord(out.string(), record);
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
