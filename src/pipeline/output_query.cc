#include "pipeline/output_query.h"

#include <algorithm>
#include <filesystem>

#include "catalog/dataset_registry.h"
#include "common/error.h"
#include "pipeline/diagnostics.h"
#include "sql/graph_queries.h"

namespace cpglake::pipeline {

OutputDatabase OpenOutputDatabase(const OutputQueryOptions& options) {
  namespace fs = std::filesystem;
  if (options.out.empty()) throw InvalidInput("output directory is empty");
  if (!fs::is_directory(options.out)) {
    throw NotFound(options.out + ": no such output directory (run `cpglake build REPO -o " +
                   options.out + "` first)");
  }
  OutputDatabase result;
  catalog::DatasetRegistry registry =
      catalog::DatasetRegistry::ForOutput(options.out, options.storage_options);
  if (options.build_id) {
    result.build = FindBuild(options.out, *options.build_id);
    if (result.build->status != kBuildSucceeded) {
      result.warnings.push_back("build " + result.build->build_id + " " + result.build->status +
                                (result.build->error ? ": " + *result.build->error : "") +
                                "; only the tables it finished are pinned");
    }
  } else {
    result.build = LatestSuccessfulBuild(options.out);
    if (!result.build) {
      result.warnings.push_back(ReadBuilds(options.out).empty()
                                    ? "no build manifest: tables at their latest versions"
                                    : "no successful build: tables at their latest versions");
    }
  }
  std::map<std::string, int64_t> pins;
  if (result.build) {
    for (const auto& [name, version] : result.build->TableVersions()) {
      if (version >= 0 && registry.Contains(name)) {
        registry.PinVersion(name, version);
        pins[name] = version;
      }
    }
  }
  sql::DatabaseOptions db_options;
  db_options.write_root = options.out;
  db_options.tables.scan_threads = options.scan_threads;
  db_options.output_policy = options.output_policy;
  const std::string out = options.out;
  const std::string build_id = result.build ? result.build->build_id : std::string();
  db_options.on_refused_sink = [out, build_id](const catalog::RefusedSink& refused) {
    DiagnosticRecord d;
    d.build_id = build_id;
    d.path = refused.path;
    d.severity = "error";
    d.code = "REFUSED_SINK";
    d.message = refused.what + ": " + refused.reason;
    d.source = diag_source::kPolicy;
    try {
      AppendDiagnostics(out, build_id, {d});
    } catch (const Error&) {
      // The refusal itself is the error the user sees; failing to record it adds nothing.
    }
  };
  result.db = std::make_unique<sql::Database>(db_options);
  for (const std::string& name : registry.Names()) {
    if (!catalog::TableExists(registry.Resolve(name))) continue;
    // A derived table the build did not write (derived.enabled = false) is another build's.
    const bool derived = name == catalog::kEdgesBySrcDataset ||
                         name == catalog::kEdgesByDstDataset || name == catalog::kPropsMapDataset;
    if (derived && result.build && !pins.count(name)) continue;
    std::string sql_name = name;
    for (char& c : sql_name) {
      if (c == '/') c = '_';
    }
    result.db->RegisterTable(sql_name, registry.Resolve(name));
    auto pin = pins.find(name);
    result.tables[sql_name] = pin == pins.end() ? -1 : pin->second;
  }
  // The derived tables' unnesting views (docs/sql.md).
  std::vector<std::string> registered;
  for (const auto& [name, version] : result.tables) registered.push_back(name);
  for (const std::string& view : sql::UnnestViews(registered)) result.db->Execute(view);
  // Tables users made in the output (CREATE TABLE … AS SELECT): unpinned, by directory name.
  std::error_code ec;
  std::vector<std::string> extra;
  for (const auto& entry : fs::directory_iterator(options.out, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '_' || name[0] == '.' || registry.Contains(name)) continue;
    if (!entry.is_directory(ec) || !fs::is_directory(entry.path() / "_delta_log", ec)) continue;
    extra.push_back(name);
  }
  std::sort(extra.begin(), extra.end());
  for (const auto& name : extra) {
    catalog::DatasetLocation location;
    location.path = (fs::path(options.out) / name).string();
    location.storage_options = options.storage_options;
    if (!catalog::TableExists(location) || result.tables.count(name)) continue;
    result.db->RegisterTable(name, location);
    result.tables[name] = -1;
  }
  if (result.tables.empty()) {
    throw NotFound(options.out + " holds no cpglake tables (run `cpglake build REPO -o " +
                   options.out + "` first)");
  }
  return result;
}

}  // namespace cpglake::pipeline
