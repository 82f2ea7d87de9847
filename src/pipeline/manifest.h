// The build manifest `_cpglake/builds` (catalog::kBuildsDataset): a Delta table with one row
// per build — when it ran, what it read, what it wrote (the Delta version of every output
// table, with protocol, properties, metrics and commitInfo), whether it succeeded — so a
// reader can pin a consistent graph ("the tables as of build X") and a tool can say which
// build produced a version. docs/graph_model.md "Build manifest" documents the columns.
//
// Rows are appended, one commit per build (blind appends: concurrent builds both land). The
// table has in-commit timestamps on and no change data feed. A failed build has a row too
// (status "failed", the error message, the versions of the tables it did write); it is never
// the default: LatestSuccessfulBuild skips it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "columnar/types.h"

namespace cpglake::delta {
struct WriteResult;
}  // namespace cpglake::delta

namespace cpglake::pipeline {

// What one build did to one output table.
struct TableRecord {
  std::string name;  // relative to the output directory: "cpg_nodes", "_cpglake/repo_files"
  std::string path;  // absolute
  int64_t version = -1;
  int32_t min_reader_version = 1, min_writer_version = 2;
  std::vector<std::string> reader_features, writer_features;  // (3, 7) tables only
  std::map<std::string, std::string> properties;              // metaData.configuration
  int64_t files_added = 0, rows_added = 0, bytes_added = 0;
  int64_t files_removed = 0, rows_removed = 0, bytes_removed = 0;
  // The columns with data-skipping statistics (delta.dataSkippingStatsColumns, else the first
  // delta.dataSkippingNumIndexedCols = 32 top-level columns).
  std::vector<std::string> stats_columns;
  std::string schema_fingerprint;  // columnar::SchemaFingerprint of the table schema
  std::string ordering_keys;       // "path,bstart,…" ("" when rows have no defined order)
  std::string commit_info;         // the commitInfo JSON object as written
  bool operator==(const TableRecord&) const = default;
};

struct BuildRecord {
  std::string build_id;  // a random UUID
  std::string repo_id;
  int64_t started_at_us = 0;  // µs since the epoch (UTC)
  std::optional<int64_t> finished_at_us;
  std::string mode = "full";         // "full" | "incremental"
  std::string status;                // "succeeded" | "failed"
  std::optional<std::string> error;  // the error of a failed build
  int64_t files_scanned = 0, files_changed = 0, files_deleted = 0, files_impacted = 0;
  // Incremental builds: files added / renamed (same content under a new path) among the
  // changed, and files whose front-end results came from the extraction cache (not parsed).
  int64_t files_added = 0, files_renamed = 0, files_cached = 0;
  // How the work set was chosen ("full" for a full build; docs/incremental.md) and, for a
  // full build, why it was not incremental ("first build", "--full", "config changed", ...).
  std::string strategy = "full";
  std::optional<std::string> full_reason;
  int64_t nodes = 0, edges = 0, props = 0, diagnostics = 0;
  std::vector<TableRecord> tables;  // sorted by name
  std::string tool_version;
  std::string config_hash;         // pipeline::ConfigHash of the build options
  std::string schema_fingerprint;  // over every table's fingerprint (name=fingerprint, sorted)
  int32_t schema_version = 0;      // cpg::kGraphSchemaVersion
  double seconds_scan = 0, seconds_extract = 0, seconds_resolve = 0, seconds_write = 0;
  double seconds_total = 0;
  bool operator==(const BuildRecord&) const = default;

  // table name → version written.
  std::map<std::string, int64_t> TableVersions() const;
};

inline constexpr const char* kBuildSucceeded = "succeeded";
inline constexpr const char* kBuildFailed = "failed";

// The record of a write to OUT/<name>: version, metrics and commitInfo from the write's
// result; protocol, properties, stats columns and schema fingerprint from the table at the
// version written.
TableRecord DescribeTableWrite(const std::string& out_dir, const std::string& name,
                               const delta::WriteResult& write, const std::string& ordering_keys);

// The schema of `_cpglake/builds`.
columnar::Schema BuildsSchema();

// The combined fingerprint of a build's tables: BLAKE2b-128 hex of "name=fingerprint\n" lines
// sorted by name; the incremental state (_cpglake/file_state, _cpglake/extract_cache) left out.
std::string CombinedSchemaFingerprint(const std::vector<TableRecord>& tables);

// Appends one row to OUT/_cpglake/builds (creating the table). Returns the version written.
int64_t AppendBuildRecord(const std::string& out_dir, const BuildRecord& record);

// Every build of the output, oldest first (by started_at, then build_id); empty when there
// is no manifest. CorruptData when a row's tables_json does not parse.
std::vector<BuildRecord> ReadBuilds(const std::string& out_dir);

// The number of builds and the most recent successful one (what a new build starts from), read
// without parsing every build's tables.
struct ManifestHead {
  int64_t builds = 0;
  std::optional<BuildRecord> latest_successful;
};
ManifestHead ReadManifestHead(const std::string& out_dir);

// The most recently started build that succeeded; nullopt when there is none.
std::optional<BuildRecord> LatestSuccessfulBuild(const std::string& out_dir);

// The build whose id is `id_or_prefix`, or the only one whose id starts with it (like git's
// abbreviated hashes; at least 4 characters). NotFound naming the nearest ids when none
// matches; InvalidInput listing the candidates when a prefix is ambiguous.
BuildRecord FindBuild(const std::string& out_dir, const std::string& id_or_prefix);

// The record as JSON text (the manifest's columns, with `tables` as an array of objects and
// `table_versions` as an object), for `--json` outputs.
std::string BuildRecordJson(const BuildRecord& record);

}  // namespace cpglake::pipeline
