// `cpglake build REPO`: builds the graph of a Python repository into Delta tables.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "common/error.h"
#include "common/progress.h"
#include "pipeline/build.h"
#include "pipeline/config.h"
#include "pipeline/manifest.h"

namespace cpglake::cli {

namespace {

int RunBuild(const pipeline::BuildOptions& o, const GlobalOptions& g) {
  pipeline::BuildOptions options = o;
  ProgressOptions progress_options;
  progress_options.enabled = !g.quiet && !g.json && IsTerminal(stderr);
  progress_options.units = {{"write", "tables"}};
  ProgressReporter progress(progress_options);
  if (progress_options.enabled) options.progress = progress.Callback();
  auto r = pipeline::BuildGraph(options);
  progress.Finish();
  const int64_t nodes = r.nodes, edges = r.edges;
  const bool incremental = r.record.mode == "incremental";
  nlohmann::ordered_json changes = nlohmann::ordered_json::object();
  for (const auto& [table, c] : r.changes) {
    changes[table] = {{"inserted", c.inserted}, {"deleted", c.deleted}, {"updated", c.updated}};
  }
  const double total_s = r.seconds_scan + r.seconds_extract + r.seconds_resolve + r.seconds_write;
  if (g.json) {
    nlohmann::ordered_json j;
    j["out"] = r.out;
    j["repo_id"] = r.repo_id;
    j["build_id"] = r.build_id;
    j["status"] = r.record.status;
    j["mode"] = r.record.mode;
    if (r.record.full_reason) j["full_reason"] = *r.record.full_reason;
    j["files_changed"] = r.record.files_changed;
    j["files_deleted"] = r.record.files_deleted;
    j["files_impacted"] = r.record.files_impacted;
    j["files_parsed"] = r.files_parsed - r.record.files_cached;
    j["files_cached"] = r.record.files_cached;
    j["changes"] = changes;
    j["optimized"] = r.optimized;
    j["files"] = r.files_scanned;
    j["bytes"] = r.bytes_parsed;
    j["nodes"] = nodes;
    j["edges"] = edges;
    j["props"] = r.props;
    j["diagnostics"] = r.diagnostics;
    j["diagnostics_by_code"] = r.diagnostics_by_code;
    j["nodes_by_kind"] = r.nodes_by_kind;
    j["edges_by_kind"] = r.edges_by_kind;
    j["table_versions"] = r.table_versions;
    j["manifest_version"] = r.manifest_version;
    j["seconds"] = {{"scan", r.seconds_scan},
                    {"extract", r.seconds_extract},
                    {"resolve", r.seconds_resolve},
                    {"write", r.seconds_write},
                    {"total", total_s}};
    j["phases"] = nlohmann::ordered_json::array();
    for (const auto& [name, seconds] : r.phases) {
      j["phases"].push_back({{"phase", name}, {"seconds", seconds}});
    }
    j["build"] = nlohmann::ordered_json::parse(pipeline::BuildRecordJson(r.record));
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  if (g.quiet) return 0;
  std::printf("built %s -> %s in %.2f s (scan %.2f, extract %.2f, resolve %.2f, write %.2f)\n",
              r.repo_id.c_str(), r.out.c_str(), total_s, r.seconds_scan, r.seconds_extract,
              r.seconds_resolve, r.seconds_write);
  std::printf("build: %s (%s%s)\n", r.build_id.c_str(), r.record.mode.c_str(),
              r.record.full_reason ? (": " + *r.record.full_reason).c_str() : "");
  if (incremental) {
    std::printf("files: %lld changed, %lld deleted, %lld impacted (%lld parsed, %lld from cache)\n",
                static_cast<long long>(r.record.files_changed),
                static_cast<long long>(r.record.files_deleted),
                static_cast<long long>(r.record.files_impacted),
                static_cast<long long>(r.files_parsed - r.record.files_cached),
                static_cast<long long>(r.record.files_cached));
    for (const auto& [table, c] : r.changes) {
      std::printf("  %-10s +%lld -%lld ~%lld rows\n", table.c_str(),
                  static_cast<long long>(c.inserted), static_cast<long long>(c.deleted),
                  static_cast<long long>(c.updated));
    }
    if (!r.optimized.empty()) {
      std::string names;
      for (const auto& t : r.optimized) names += (names.empty() ? "" : ", ") + t;
      std::printf("optimized: %s\n", names.c_str());
    }
  }
  std::printf("files: %lld (%.1f MB), nodes: %lld, edges: %lld, props: %lld\n",
              static_cast<long long>(r.files_scanned), static_cast<double>(r.bytes_parsed) / 1e6,
              static_cast<long long>(nodes), static_cast<long long>(edges),
              static_cast<long long>(r.props));
  // Most frequent codes first.
  std::vector<std::pair<std::string, int64_t>> codes(r.diagnostics_by_code.begin(),
                                                     r.diagnostics_by_code.end());
  std::stable_sort(codes.begin(), codes.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string by_code;
  for (const auto& [code, n] : codes) {
    by_code += fmt::format("{}{} {}", by_code.empty() ? "" : ", ", code, n);
  }
  std::printf("diagnostics: %lld%s\n", static_cast<long long>(r.diagnostics),
              by_code.empty() ? "" : (" (" + by_code + ")").c_str());
  if (incremental) {
    std::printf("\nchanges: cpglake changes %s\n", r.out.c_str());
    return 0;
  }
  // Nodes and edges by kind side by side: the summary fits one screen.
  std::printf("\n  %-33s    %s\n", "nodes by kind", "edges by kind");
  auto node = r.nodes_by_kind.begin();
  auto edge = r.edges_by_kind.begin();
  while (node != r.nodes_by_kind.end() || edge != r.edges_by_kind.end()) {
    std::string left, right;
    if (node != r.nodes_by_kind.end()) {
      left = fmt::format("{:<22} {:>10}", node->first, node->second);
      ++node;
    }
    if (edge != r.edges_by_kind.end()) {
      right = fmt::format("{:<22} {:>10}", edge->first, edge->second);
      ++edge;
    }
    if (right.empty()) {
      std::printf("  %s\n", left.c_str());
    } else {
      std::printf("  %-33s    %s\n", left.c_str(), right.c_str());
    }
  }
  std::printf(
      "\nquery: cpglake delta scan %s/cpg_nodes --where \"node_kind = 'CST_FUNCTION_DEF'\"\n",
      r.out.c_str());
  return 0;
}

}  // namespace

void RegisterBuildCommand(CLI::App& app, GlobalOptions& global, Action& action) {
  static std::string repo, config_file, out, repo_id, since, git_base, git_head, scip_index;
  static int64_t jobs = 0, max_files = -1, max_file_bytes = -1;
  static std::vector<std::string> include, exclude;
  static bool follow = false, no_git = false, full = false, scip_python = false,
              derived_tables = false;
  auto* build = app.add_subcommand("build", "Build the Code Property Graph of a Python repository");
  build->footer(
      "Settings come from command-line flags > CPGLAKE_* environment variables > cpglake.toml\n"
      "(REPO/cpglake.toml or --config FILE) > defaults; only the flags given override.\n"
      "See `cpglake config show REPO --with-sources` and docs/configuration.md.");
  build->add_option("REPO", repo, "Repository directory")
      ->required()
      ->check(CLI::ExistingDirectory);
  build->add_option("--config", config_file, "Configuration file (default: REPO/cpglake.toml)");
  auto* out_opt = build->add_option("-o,--out", out, "Output directory (default: REPO/.cpglake)");
  auto* repo_id_opt = build->add_option("--repo-id", repo_id,
                                        "Repository name in ids (default: the directory name)");
  auto* jobs_opt = build->add_option("--jobs", jobs, "Worker threads (default: all cores)");
  auto* include_opt =
      build->add_option("--include", include, "Only paths matching this glob (repeatable)");
  auto* exclude_opt =
      build->add_option("--exclude", exclude, "Skip paths matching this glob (repeatable)");
  auto* max_files_opt = build->add_option("--max-files", max_files, "Stop after this many files");
  auto* max_bytes_opt =
      build->add_option("--max-file-bytes", max_file_bytes, "Skip files larger than this");
  auto* follow_opt =
      build->add_flag("--follow-symlinks", follow, "Follow symbolic links inside the repository");
  auto* no_git_opt =
      build->add_flag("--no-git", no_git, "Walk the file system even in a git work tree");
  auto* scip_opt = build->add_option(
      "--scip", scip_index,
      "Ingest this SCIP index (index.scip) as evidence: occurrences become PY_*_SYMBOL edges "
      "to SCIP_SYMBOL nodes (docs/scip.md)");
  scip_opt->type_name("INDEX");
  auto* scip_python_opt = build->add_flag(
      "--scip-python", scip_python,
      "Run scip-python (npm @sourcegraph/scip-python, with node) on REPO and ingest its index");
  scip_python_opt->excludes(scip_opt);
  auto* derived_opt = build->add_flag(
      "--derived-tables", derived_tables,
      "Also write cpg_edges_by_src, cpg_edges_by_dst and cpg_props_map (fast callers/callees; "
      "a costlier build) — [derived] enabled");
  build->add_flag("--full", full,
                  "Build everything, even when an incremental build could start from the output");
  auto* since_opt = build->add_option(
      "--since", since,
      "Incremental builds: list only the files that differ between REF (what the last build "
      "saw) and the work tree, untracked ones included, instead of scanning every file");
  auto* base_opt = build->add_option(
      "--git-base", git_base,
      "Incremental builds: list only the files that differ between the trees of this revision "
      "(what the last build saw) and --git-head");
  auto* head_opt =
      build
          ->add_option("--git-head", git_head,
                       "With --git-base (default: HEAD). The work tree must be at this revision: "
                       "its local changes and new untracked files are not seen")
          ->needs(base_opt)
          ->type_name("REF");
  since_opt->type_name("REF")->excludes(base_opt)->excludes(head_opt);
  base_opt->type_name("REF");
  build->callback([&, out_opt, repo_id_opt, jobs_opt, include_opt, exclude_opt, max_files_opt,
                   max_bytes_opt, follow_opt, no_git_opt, since_opt, base_opt, head_opt, scip_opt,
                   scip_python_opt, derived_opt] {
    action = [&, out_opt, repo_id_opt, jobs_opt, include_opt, exclude_opt, max_files_opt,
              max_bytes_opt, follow_opt, no_git_opt, since_opt, base_opt, head_opt, scip_opt,
              scip_python_opt, derived_opt] {
      pipeline::LoadConfigOptions load;
      load.repo = repo;
      if (!config_file.empty()) load.config_file = config_file;
      load.env = pipeline::CpglakeEnvironment();
      pipeline::Config config = pipeline::LoadConfig(load);
      if (global.verbose) {
        for (const auto& w : config.warnings())
          std::fprintf(stderr, "cpglake: warning: %s\n", w.c_str());
      }
      // Only the flags the user gave override the file and the environment.
      if (out_opt->count()) config.ApplyFlag("output.dir", out, "--out");
      if (repo_id_opt->count()) config.ApplyFlag("build.repo_id", repo_id, "--repo-id");
      if (jobs_opt->count()) config.ApplyFlag("build.jobs", jobs, "--jobs");
      if (include_opt->count()) config.ApplyFlag("scan.include", include, "--include");
      if (exclude_opt->count()) config.ApplyFlag("scan.exclude", exclude, "--exclude");
      if (max_files_opt->count()) config.ApplyFlag("scan.max_files", max_files, "--max-files");
      if (max_bytes_opt->count()) {
        config.ApplyFlag("scan.max_file_bytes", max_file_bytes, "--max-file-bytes");
      }
      if (follow_opt->count())
        config.ApplyFlag("scan.follow_symlinks", follow, "--follow-symlinks");
      if (no_git_opt->count()) config.ApplyFlag("scan.use_git", !no_git, "--no-git");
      // Either flag replaces what the file or the environment say about the other.
      if (scip_opt->count()) {
        config.ApplyFlag("scip.index", scip_index, "--scip");
        config.ApplyFlag("scip.run_indexer", false, "--scip");
      }
      if (scip_python_opt->count()) {
        config.ApplyFlag("scip.run_indexer", true, "--scip-python");
        config.ApplyFlag("scip.index", std::string(), "--scip-python");
      }
      if (derived_opt->count()) config.ApplyFlag("derived.enabled", true, "--derived-tables");
      pipeline::BuildOptions options = config.ToBuildOptions(repo);
      options.full = full;
      if (since_opt->count()) options.git_range = pipeline::GitRange{since, std::nullopt};
      if (base_opt->count()) {
        options.git_range =
            pipeline::GitRange{git_base, head_opt->count() ? git_head : std::string("HEAD")};
      }
      return RunBuild(options, global);
    };
  });
}

}  // namespace cpglake::cli
