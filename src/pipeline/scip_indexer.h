// pipeline/ — where a build's SCIP index comes from (docs/scip.md): an existing index file
// (`cpglake build --scip INDEX.scip`) or one written for the build by scip-python
// (`--scip-python`: npm @sourcegraph/scip-python, pinned in package.json, run with node under a
// wall-clock timeout and a heap cap). cpglake.toml [scip] holds the settings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "scip/index.h"

namespace cpglake::pipeline {

struct ScipSettings {
  std::optional<std::string> index;  // an existing index file (--scip)
  bool run_indexer = false;          // run scip-python (--scip-python)
  std::string node = "node";         // the node executable (looked up in PATH)
  // scip-python's entry point (its package's index.js); "": node_modules/@sourcegraph/
  // scip-python/index.js in the first directory holding one, from the cpglake executable's
  // directory upwards, then from the working directory upwards.
  std::string indexer;
  int64_t timeout_seconds = 1800;  // the indexer is killed after this long
  int64_t max_memory_mb = 4096;    // node --max-old-space-size
  // A JSON file listing the Python packages installed (scip-python --environment); "": an
  // empty list, so that scip-python does not run pip (it indexes the repository alone, and
  // works without a network or a Python environment).
  std::string environment;
  std::string project_name;           // "": the repository id
  std::string project_version = "0";  // part of every global symbol string
  bool enabled() const { return index.has_value() || run_indexer; }
};

// Runs scip-python on `repo`, writing the index to `output`. Throws NotFound when node or
// scip-python cannot be found, InvalidInput (naming the indexer's last line of output) when it
// fails, times out or writes nothing.
void RunScipPython(const ScipSettings& settings, const std::string& repo,
                   const std::string& repo_id, const std::string& output);

// The index of a build: read from settings.index, or written by RunScipPython into a
// temporary directory (removed afterwards) and read.
scip::ScipIndex LoadScipIndex(const ScipSettings& settings, const std::string& repo,
                              const std::string& repo_id);

// The scip-python entry point settings.indexer names or the search finds; "" when none.
std::string FindScipPython(const ScipSettings& settings);

}  // namespace cpglake::pipeline
