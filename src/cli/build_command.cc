// `cpglake build REPO`: builds the graph of a Python repository into Delta tables.
#include <unistd.h>

#include <cstdio>
#include <mutex>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "common/error.h"
#include "pipeline/build.h"

namespace cpglake::cli {

namespace {

int RunBuild(const pipeline::BuildOptions& o, const GlobalOptions& g) {
  pipeline::BuildOptions options = o;
  const bool tty = !g.quiet && !g.json && IsTerminal(stderr);
  std::mutex mu;
  if (tty) {
    options.progress = [&](const std::string& stage, int64_t done, int64_t total) {
      std::lock_guard<std::mutex> lock(mu);
      const int width = 30;
      const int filled = total > 0 ? static_cast<int>(width * done / total) : 0;
      std::fprintf(stderr, "\r%-22s [%-*s] %lld/%lld", stage.c_str(), width,
                   std::string(static_cast<size_t>(filled), '#').c_str(),
                   static_cast<long long>(done), static_cast<long long>(total));
      if (done == total) std::fprintf(stderr, "\n");
      std::fflush(stderr);
    };
  }
  auto r = pipeline::BuildGraph(options);
  int64_t nodes = 0, edges = 0;
  for (const auto& [k, n] : r.nodes_by_kind) nodes += n;
  for (const auto& [k, n] : r.edges_by_kind) edges += n;
  const double total_s = r.seconds_scan + r.seconds_extract + r.seconds_resolve + r.seconds_write;
  if (g.json) {
    nlohmann::ordered_json j;
    j["out"] = r.out;
    j["repo_id"] = r.repo_id;
    j["build_id"] = r.build_id;
    j["files"] = r.files_scanned;
    j["bytes"] = r.bytes_parsed;
    j["nodes"] = nodes;
    j["edges"] = edges;
    j["props"] = r.props;
    j["diagnostics"] = r.diagnostics;
    j["nodes_by_kind"] = r.nodes_by_kind;
    j["edges_by_kind"] = r.edges_by_kind;
    j["table_versions"] = r.table_versions;
    j["seconds"] = {{"scan", r.seconds_scan},
                    {"extract", r.seconds_extract},
                    {"resolve", r.seconds_resolve},
                    {"write", r.seconds_write},
                    {"total", total_s}};
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  if (g.quiet) return 0;
  std::printf("built %s -> %s in %.2f s (scan %.2f, extract %.2f, resolve %.2f, write %.2f)\n",
              r.repo_id.c_str(), r.out.c_str(), total_s, r.seconds_scan, r.seconds_extract,
              r.seconds_resolve, r.seconds_write);
  std::printf("files: %lld (%.1f MB), nodes: %lld, edges: %lld, props: %lld, diagnostics: %lld\n",
              static_cast<long long>(r.files_scanned), static_cast<double>(r.bytes_parsed) / 1e6,
              static_cast<long long>(nodes), static_cast<long long>(edges),
              static_cast<long long>(r.props), static_cast<long long>(r.diagnostics));
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
  static pipeline::BuildOptions o;
  static std::string out, repo_id;
  static std::vector<std::string> include, exclude;
  static int64_t max_files = -1, max_file_bytes = -1;
  static bool follow = false, no_git = false;
  auto* build = app.add_subcommand("build", "Build the Code Property Graph of a Python repository");
  build->add_option("REPO", o.repo, "Repository directory")
      ->required()
      ->check(CLI::ExistingDirectory);
  build->add_option("-o,--out", out, "Output directory (default: REPO/.cpglake)");
  build->add_option("--repo-id", repo_id, "Repository name in ids (default: the directory name)");
  build->add_option("--jobs", o.jobs, "Worker threads (default: all cores)");
  build->add_option("--include", include, "Only paths matching this glob (repeatable)");
  build->add_option("--exclude", exclude, "Skip paths matching this glob (repeatable)");
  build->add_option("--max-files", max_files, "Stop after this many files");
  build->add_option("--max-file-bytes", max_file_bytes, "Skip files larger than this");
  build->add_flag("--follow-symlinks", follow, "Follow symbolic links inside the repository");
  build->add_flag("--no-git", no_git, "Walk the file system even in a git work tree");
  build->callback([&] {
    action = [&] {
      pipeline::BuildOptions opts = o;
      if (!out.empty()) opts.out = out;
      if (!repo_id.empty()) opts.repo_id = repo_id;
      opts.scan.include = include;
      opts.scan.exclude = exclude;
      if (max_files >= 0) opts.scan.max_files = max_files;
      if (max_file_bytes >= 0) opts.scan.max_file_bytes = max_file_bytes;
      opts.scan.follow_symlinks = follow;
      opts.scan.use_git = !no_git;
      return RunBuild(opts, global);
    };
  });
}

}  // namespace cpglake::cli
