// pipeline/ — the build: repository scan → parse and extract (files in parallel) → graph
// rows → Delta tables. `cpglake build` is a thin shell over BuildGraph.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/repo_scan.h"

namespace cpglake::pipeline {

struct BuildOptions {
  std::string repo;                    // repository root
  std::optional<std::string> out;      // default: <repo>/.cpglake
  std::optional<std::string> repo_id;  // default: the repository directory's name
  int jobs = 0;                        // 0: one per core
  ScanOptions scan;
  // Table properties of the graph tables when created (CPG_MODEL.md defaults: deletion
  // vectors, change data feed, row tracking, in-commit timestamps).
  std::map<std::string, std::string> table_properties = {
      {"delta.enableDeletionVectors", "true"},
      {"delta.enableChangeDataFeed", "true"},
      {"delta.enableRowTracking", "true"},
      {"delta.enableInCommitTimestamps", "true"},
  };
  // Called with (stage, done, total) as work progresses (for progress bars).
  std::function<void(const std::string&, int64_t, int64_t)> progress;
};

struct BuildResult {
  std::string out;
  std::string repo_id;
  std::string build_id;
  int64_t files_scanned = 0;
  int64_t files_parsed = 0;
  int64_t bytes_parsed = 0;
  std::map<std::string, int64_t> nodes_by_kind, edges_by_kind;
  int64_t props = 0;
  int64_t diagnostics = 0;
  std::map<std::string, int64_t> table_versions;  // table path (relative to out) → version
  double seconds_scan = 0, seconds_extract = 0, seconds_resolve = 0, seconds_write = 0;
};

BuildResult BuildGraph(const BuildOptions& options);

// The dotted module name of a repository-relative path, given the directories that are
// packages (hold an __init__.py): walk up while the directory is a package. "pkg/__init__.py"
// → "pkg"; "pkg/sub/m.py" → "pkg.sub.m" when pkg and pkg/sub are packages; "scripts/x.py"
// → "x" when scripts is not. When the repository root itself is a package (an __init__.py at
// the top, "" among package_dirs), `root_package` (the root directory's name) heads the names
// that reach it: building /usr/lib/python3.11/email gives "email.mime.text", as Python sees it.
std::string ModuleNameForPath(const std::string& path, const std::vector<std::string>& package_dirs,
                              const std::string& root_package = "");

}  // namespace cpglake::pipeline
