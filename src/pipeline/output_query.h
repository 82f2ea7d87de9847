// Querying a build output with SQL: every table of the output registered in one
// sql::Database, pinned to the versions one build wrote (the build manifest), so a query
// never mixes tables of two builds. `cpglake query` and the named queries (callers,
// callees, imports) are thin shells over this.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/manifest.h"
#include "sql/database.h"

namespace cpglake::pipeline {

struct OutputQueryOptions {
  std::string out;                      // the build output directory
  std::optional<std::string> build_id;  // a build id or unique prefix; default: the latest
                                        // successful build
  std::map<std::string, std::string> storage_options;
  int scan_threads = 0;  // 0: one per core
  // What SQL `COPY ... TO` may write (catalog/output_policy.h). A refused sink is recorded in
  // OUT/_cpglake/diagnostics (code REFUSED_SINK, source policy) under the pinned build's id.
  catalog::OutputStoragePolicy output_policy;
};

struct OutputDatabase {
  std::unique_ptr<sql::Database> db;
  // The build the tables are pinned to (none when the output has no manifest: every table
  // is then at its latest version).
  std::optional<BuildRecord> build;
  // SQL table name → the version registered (for pinned tables) or -1 (latest).
  std::map<std::string, int64_t> tables;
  std::vector<std::string> warnings;  // e.g. "no build manifest"
};

// Opens the output for queries. Tables the build wrote are pinned to the versions it wrote;
// the bookkeeping tables it did not write (`_cpglake_builds`) are at their latest version.
// Other Delta tables directly under OUT (made by `CREATE TABLE name AS SELECT`, which
// creates OUT/name) are registered too, at their latest versions. NotFound when OUT has no tables
// or the build id matches no build; InvalidInput for an ambiguous prefix. Pinning to a failed build
// is allowed when asked for by id (with a warning): only its finished tables are pinned.
OutputDatabase OpenOutputDatabase(const OutputQueryOptions& options);

}  // namespace cpglake::pipeline
