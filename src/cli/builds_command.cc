// `cpglake builds OUT [BUILD]`: the build manifest (_cpglake/builds) of an output directory —
// a list of builds, newest first, or one build in full (its id or a unique prefix of it).
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "common/error.h"
#include "pipeline/manifest.h"

namespace cpglake::cli {

namespace {

using nlohmann::ordered_json;

void PrintBuild(const pipeline::BuildRecord& b) {
  std::printf("build:       %s\n", b.build_id.c_str());
  std::printf("repository:  %s\n", b.repo_id.c_str());
  std::printf("started:     %s UTC\n", FormatUtcTime(b.started_at_us).c_str());
  std::printf("mode:        %s\n", b.mode.c_str());
  std::printf("status:      %s\n", b.status.c_str());
  if (b.error) std::printf("error:       %s\n", b.error->c_str());
  std::printf("files:       %lld scanned, %lld changed, %lld deleted, %lld impacted\n",
              static_cast<long long>(b.files_scanned), static_cast<long long>(b.files_changed),
              static_cast<long long>(b.files_deleted), static_cast<long long>(b.files_impacted));
  std::printf("graph:       %lld nodes, %lld edges, %lld props, %lld diagnostics\n",
              static_cast<long long>(b.nodes), static_cast<long long>(b.edges),
              static_cast<long long>(b.props), static_cast<long long>(b.diagnostics));
  std::printf("seconds:     %.2f (scan %.2f, extract %.2f, resolve %.2f, write %.2f)\n",
              b.seconds_total, b.seconds_scan, b.seconds_extract, b.seconds_resolve,
              b.seconds_write);
  std::printf("tool:        cpglake %s, graph schema %d\n", b.tool_version.c_str(),
              b.schema_version);
  std::printf("config hash: %s\nschema:      %s\n", b.config_hash.c_str(),
              b.schema_fingerprint.c_str());
  std::printf("tables:\n");
  for (const auto& t : b.tables) {
    std::printf("  %-22s v%-5lld %lld rows, %lld files, %.1f MB\n", t.name.c_str(),
                static_cast<long long>(t.version), static_cast<long long>(t.rows_added),
                static_cast<long long>(t.files_added), static_cast<double>(t.bytes_added) / 1e6);
  }
}

int RunBuilds(const std::string& out, const std::string& build, int64_t limit,
              const GlobalOptions& g) {
  if (!build.empty()) {
    const auto b = pipeline::FindBuild(out, build);
    if (g.json) {
      std::printf("%s\n", ordered_json::parse(pipeline::BuildRecordJson(b)).dump(2).c_str());
    } else {
      PrintBuild(b);
    }
    return 0;
  }
  if (limit < 0) throw InvalidInput("--limit must be 0 or more");
  auto builds = pipeline::ReadBuilds(out);
  std::vector<const pipeline::BuildRecord*> shown;  // newest first
  for (auto it = builds.rbegin(); it != builds.rend(); ++it) {
    if (limit > 0 && static_cast<int64_t>(shown.size()) >= limit) break;
    shown.push_back(&*it);
  }
  if (g.json) {
    ordered_json a = ordered_json::array();
    for (const auto* b : shown) a.push_back(ordered_json::parse(pipeline::BuildRecordJson(*b)));
    std::printf("%s\n", a.dump(2).c_str());
    return 0;
  }
  if (shown.empty()) {
    if (!g.quiet) std::printf("no builds recorded in %s\n", out.c_str());
    return 0;
  }
  std::printf("%-8s  %-19s  %-11s  %-9s  %7s  %9s  %9s  %8s\n", "build", "started (UTC)", "mode",
              "status", "files", "nodes", "edges", "seconds");
  for (const auto* b : shown) {
    std::printf("%-8s  %-19s  %-11s  %-9s  %7lld  %9lld  %9lld  %8.2f\n",
                b->build_id.substr(0, 8).c_str(), FormatUtcTime(b->started_at_us).c_str(),
                b->mode.c_str(), b->status.c_str(), static_cast<long long>(b->files_scanned),
                static_cast<long long>(b->nodes), static_cast<long long>(b->edges),
                b->seconds_total);
  }
  return 0;
}

}  // namespace

void RegisterBuildsCommand(CLI::App& app, GlobalOptions& global, Action& action) {
  static std::string out, build;
  static int64_t limit = 0;
  auto* cmd = app.add_subcommand(
      "builds", "List the builds recorded in an output directory's manifest, newest first");
  cmd->add_option("OUT", out, "Output directory of `cpglake build` (e.g. REPO/.cpglake)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("BUILD", build, "Show this build in full (its id, or a unique prefix)");
  cmd->add_option("--limit", limit, "Show at most N builds (0: all)");
  cmd->callback([&] { action = [&] { return RunBuilds(out, build, limit, global); }; });
}

}  // namespace cpglake::cli
