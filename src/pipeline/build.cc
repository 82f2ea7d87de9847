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

#include "columnar/record_batch.h"
#include "common/error.h"
#include "common/ids.h"
#include "common/parallel.h"
#include "cpg/graph.h"
#include "cpg/ids.h"
#include "cpg/resolution_rows.h"
#include "delta/file_stats_writer.h"
#include "delta/writer.h"
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

namespace {
const std::map<std::string, std::string> kStatsColumns = {
    {"cpg_nodes", "file_id,path,node_kind,bstart,bend"},
    {"cpg_edges", "edge_owner_file_id,path,edge_kind,bstart"},
    {"cpg_props", "file_id,entity_id,prop_key"},
};
}  // namespace

BuildResult BuildGraph(const BuildOptions& options) {
  BuildResult result;
  const fs::path repo = fs::absolute(options.repo).lexically_normal();
  if (!fs::exists(repo)) throw NotFound(options.repo + ": no such directory");
  if (!fs::is_directory(repo)) throw InvalidInput(options.repo + " is not a directory");
  const fs::path out = options.out ? fs::absolute(*options.out) : repo / ".cpglake";
  result.out = out.string();
  std::string dirname = repo.filename().string();
  if (dirname.empty()) dirname = repo.parent_path().filename().string();
  result.repo_id = options.repo_id.value_or(dirname.empty() ? "repo" : dirname);
  result.build_id = RandomUuid();
  const int threads = options.jobs > 0 ? options.jobs : DefaultThreads();
  auto progress = [&](const std::string& stage, int64_t done, int64_t total) {
    if (options.progress) options.progress(stage, done, total);
  };

  // 1. Scan.
  auto t0 = Clock::now();
  ScanOptions scan_options = options.scan;
  scan_options.output_dir = out.string();
  scan_options.threads = threads;
  RepoScan scan = ScanRepository(repo.string(), scan_options);
  result.files_scanned = static_cast<int64_t>(scan.files.size());
  result.seconds_scan = Since(t0);

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
      parts[i].Add(cpg::RowsForResolution(i, contexts, summary_ptrs, resolver.ResolveFile(i),
                                          &file_externals[i]));
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
  cpg::Graph graph = cpg::Graph::Assemble(std::move(parts), threads);
  graph.ReleaseRowsOnceStreamed();  // each table is streamed once, below
#ifdef __GLIBC__
  malloc_trim(0);  // give the parsers' and the resolver's memory back before writing
#endif
  result.nodes_by_kind = graph.NodesByKind();
  result.edges_by_kind = graph.EdgesByKind();
  result.props = graph.num_props();
  result.diagnostics = result.nodes_by_kind.count("DIAG") ? result.nodes_by_kind["DIAG"] : 0;
  result.seconds_extract = Since(t1) - result.seconds_resolve;

  // 3. Write the tables (overwrite; incremental builds come later).
  auto t2 = Clock::now();
  delta::WriteOptions wo;
  wo.mode = delta::WriteMode::kOverwrite;
  wo.schema_mode = delta::SchemaMode::kOverwrite;
  wo.properties = options.table_properties;
  wo.commit_properties = {{"cpglake.build_id", result.build_id},
                          {"cpglake.repo_id", result.repo_id},
                          {"cpglake.version", std::string(CpglakeVersion())},
                          {"cpglake.schema_version", std::to_string(cpg::kGraphSchemaVersion)}};
  wo.parquet.threads = threads;
  // zstd level 1: ~10% less CPU for the whole build than the default 3, and on these tables
  // (hex ids, dictionary-encoded kinds and paths) the files come out no larger.
  wo.parquet.compression_level = 1;
  // Row groups of 128k rows (DuckDB writes 122,880): three tables' batches are in flight at
  // once, and 1M-row batches were a third of the build's peak memory.
  wo.parquet.row_group_rows = 1 << 17;
  std::mutex versions_mu;
  auto write = [&](const std::string& name, const columnar::Schema& schema,
                   const delta::BatchSource& batches) {
    progress("write " + name, 0, 1);
    auto store = storage::OpenObjectStore((out / name).string());
    delta::WriteOptions table_options = wo;
    // File statistics only on the columns the rows are clustered by (and so can skip files):
    // min/max of unique ids and names cost a third of the write and never prune a file.
    auto stats = kStatsColumns.find(name);
    if (stats != kStatsColumns.end() &&
        !table_options.properties.count(std::string(delta::kStatsColumnsKey))) {
      table_options.properties[std::string(delta::kStatsColumnsKey)] = stats->second;
    }
    auto r = delta::WriteDeltaTable(store, schema, batches, table_options);
    {
      std::lock_guard<std::mutex> lock(versions_mu);
      result.table_versions[name] = r.version;
    }
    progress("write " + name, 1, 1);
  };
  // The tables are streamed from the sorted graph in row-group-sized batches (rows are
  // rendered as they are written); the four tables are independent and written at once.
  const int64_t batch_rows = std::max<int64_t>(1, wo.parquet.row_group_rows);
  ParallelFor(4, threads, [&](size_t t) {
    switch (t) {
      case 0:
        write("cpg_props", cpg::PropsSchema(), graph.PropBatches(batch_rows));
        break;
      case 1:
        write("cpg_nodes", cpg::NodesSchema(), graph.NodeBatches(batch_rows));
        break;
      case 2:
        write("cpg_edges", cpg::EdgesSchema(), graph.EdgeBatches(batch_rows));
        break;
      default: {
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
        write("_cpglake/repo_files", files.schema(), [&]() -> std::optional<columnar::RecordBatch> {
          if (sent) return std::nullopt;
          sent = true;
          return files;
        });
      }
    }
  });
  result.seconds_write = Since(t2);
  return result;
}

}  // namespace cpglake::pipeline
