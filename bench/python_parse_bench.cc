// Bare tree-sitter parsing of every .py file under the given directories, one thread: the
// peer that `cpglake build` is measured against (bench/build_vs_peers.sh). Prints files,
// bytes and seconds as one JSON line. With --extract, also runs syntax extraction and scope
// analysis (what the build does per file before rows), and the module summary that cross-file
// resolution reads (its own time reported as summary_seconds).
//
//   python_parse_bench [--extract] [--exclude-dir NAME]... DIR...
// (directories named NAME are skipped, as are __pycache__ directories).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "python/module_summary.h"
#include "python/scopes.h"
#include "python/syntax.h"
#include "python/tree_sitter.h"

namespace fs = std::filesystem;
using namespace cpglake;

int main(int argc, char** argv) {
  bool extract = false;
  std::vector<std::string> dirs, excluded = {"__pycache__"};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--extract") {
      extract = true;
    } else if (a == "--exclude-dir" && i + 1 < argc) {
      excluded.push_back(argv[++i]);
    } else {
      dirs.push_back(a);
    }
  }
  if (dirs.empty()) {
    std::fprintf(stderr, "usage: %s [--extract] [--exclude-dir NAME]... DIR...\n", argv[0]);
    return 2;
  }
  std::vector<std::string> sources;
  size_t bytes = 0;
  for (const auto& d : dirs) {
    fs::recursive_directory_iterator it(d, fs::directory_options::skip_permission_denied), end;
    for (; it != end; ++it) {
      const auto& e = *it;
      if (e.is_directory() &&
          std::find(excluded.begin(), excluded.end(), e.path().filename()) != excluded.end()) {
        it.disable_recursion_pending();
        continue;
      }
      if (!e.is_regular_file() || e.path().extension() != ".py") continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      sources.push_back(ss.str());
      bytes += sources.back().size();
    }
  }
  python::Parser parser;
  size_t nodes = 0;
  double summary_sec = 0;
  auto t = std::chrono::steady_clock::now();
  for (const auto& s : sources) {
    if (extract) {
      python::FileEvidence ev;
      python::TreePtr tree;
      python::ExtractSyntax(parser, s, "m", &ev, &tree);
      python::AnalyzeScopes(s, ts_tree_root_node(tree.get()), &ev);
      nodes += ev.nodes.size();
      const auto t0 = std::chrono::steady_clock::now();
      auto summary = python::SummarizeModule(s, ts_tree_root_node(tree.get()), ev, "m", false);
      summary_sec += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    } else {
      auto tree = parser.Parse(s);
      nodes += ts_node_child_count(ts_tree_root_node(tree.get()));
    }
  }
  double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  std::printf(
      "{\"bench\":\"python_parse\",\"extract\":%s,\"files\":%zu,\"bytes\":%zu,\"seconds\":%.3f,"
      "\"mb_per_s\":%.2f,\"nodes\":%zu,\"summary_seconds\":%.3f}\n",
      extract ? "true" : "false", sources.size(), bytes, sec, bytes / sec / 1e6, nodes,
      summary_sec);
  return 0;
}
