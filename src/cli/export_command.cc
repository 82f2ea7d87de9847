// `cpglake export OUT TABLE DIR`: copies a snapshot of one dataset of a build output to a new
// Delta table (the default) or to plain Parquet files (--format parquet). A thin shell over
// catalog::ExportSnapshot.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "catalog/dataset_registry.h"
#include "catalog/export.h"
#include "catalog/output_policy.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "common/error.h"

namespace cpglake::cli {

namespace {

struct ExportArgs {
  std::string out, table, dir;
  std::string format = "delta";
  int64_t version = -1;
  std::string columns, where;
  bool overwrite = false;
};

int RunExport(const ExportArgs& a, const GlobalOptions& g) {
  auto registry = catalog::DatasetRegistry::ForOutput(a.out);
  if (a.version >= 0) registry.PinVersion(a.table, a.version);
  const catalog::DatasetLocation source = registry.Resolve(a.table);

  catalog::DatasetLocation target;
  target.path = a.dir;
  target.format = catalog::ParseDatasetFormat(a.format);
  if (a.overwrite && target.format != catalog::DatasetFormat::kParquet) {
    throw InvalidInput(
        "--overwrite applies to Parquet exports only (a Delta export creates a new "
        "table and never replaces one)");
  }
  // `--format parquet` on this command is itself the explicit permission the output storage
  // policy asks for (DELTA.md "Output storage policy").
  catalog::OutputStoragePolicy policy;
  policy.allow_parquet_exports = target.format == catalog::DatasetFormat::kParquet;

  catalog::ExportOptions options;
  if (!a.columns.empty()) options.columns = SplitComma(a.columns);
  options.predicate = a.where;
  options.overwrite = a.overwrite;
  auto r = catalog::ExportSnapshot(source, target, policy, options);

  if (g.json) {
    nlohmann::ordered_json j;
    j["source"] = source.path;
    j["table"] = a.table;
    if (r.source_version) j["source_version"] = *r.source_version;
    j["target"] = r.target;
    j["format"] = std::string(catalog::DatasetFormatName(r.format));
    if (r.target_version) j["target_version"] = *r.target_version;
    j["rows"] = r.rows;
    j["bytes"] = r.bytes;
    j["files"] = nlohmann::ordered_json::array();
    for (const auto& f : r.files) {
      j["files"].push_back({{"path", f.path}, {"rows", f.rows}, {"bytes", f.bytes}});
    }
    j["schema"] = r.schema;
    j["schema_fingerprint"] = r.schema_fingerprint;
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  if (g.quiet) return 0;
  std::printf("exported %lld rows of %s (version %lld) to %s as %s: %zu file%s, %lld bytes\n",
              static_cast<long long>(r.rows), a.table.c_str(),
              static_cast<long long>(r.source_version.value_or(-1)), r.target.c_str(),
              std::string(catalog::DatasetFormatName(r.format)).c_str(), r.files.size(),
              r.files.size() == 1 ? "" : "s", static_cast<long long>(r.bytes));
  return 0;
}

}  // namespace

void RegisterExportCommand(CLI::App& app, GlobalOptions& global, Action& action) {
  static ExportArgs a;
  auto* cmd = app.add_subcommand(
      "export", "Copy a snapshot of a build dataset to a new Delta table or to Parquet files");
  cmd->footer(
      "Delta is cpglake's output format: by default the snapshot becomes a NEW Delta table at\n"
      "DIR (refused when one exists), whose commit records the source and its version.\n"
      "--format parquet writes plain Parquet files part-00000.parquet, ... into DIR instead:\n"
      "giving it on this command is the explicit permission the output storage policy asks\n"
      "for (elsewhere Parquet sinks need `[output] allow_parquet_exports = true` in\n"
      "cpglake.toml). DIR must be new or empty, or hold a previous export with --overwrite.");
  cmd->add_option("OUT", a.out, "Build output directory (e.g. REPO/.cpglake)")->required();
  cmd->add_option("TABLE", a.table,
                  "Dataset name: cpg_nodes, cpg_edges, cpg_props, _cpglake/repo_files, ...")
      ->required();
  cmd->add_option("DIR", a.dir, "Target directory (a new Delta table, or Parquet files)")
      ->required();
  cmd->add_option("--format", a.format, "delta or parquet")->capture_default_str();
  cmd->add_option("--version", a.version, "Export the dataset as of this version");
  cmd->add_option("--columns", a.columns, "Comma-separated columns to export (default: all)");
  cmd->add_option("--where", a.where, "Only rows matching this predicate");
  cmd->add_flag("--overwrite", a.overwrite, "Parquet: replace a previous export in DIR");
  cmd->callback([&] { action = [&] { return RunExport(a, global); }; });
}

}  // namespace cpglake::cli
