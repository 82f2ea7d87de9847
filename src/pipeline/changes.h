// What changed in the graph between two builds of an output directory, read from the change
// data feed of the graph tables (cpg_nodes, cpg_edges, cpg_props): each build's manifest row
// records the version it left every table at (BuildRecord::TableVersions), so the changes
// from build A to build B are the feed of versions (A's + 1 .. B's) of each table. An
// incremental build shows the rows of the files it replaced; a full build overwrites the
// tables, so its feed is every old row deleted and every new row inserted. Commits that
// change no data (OPTIMIZE) add nothing.
//
// Uses the manifest (pipeline/manifest.h), delta::TableChanges and scans of
// _cpglake/repo_files (the path of a prop's file_id). Reads the feed as a stream: memory is
// bounded by one batch plus the groups.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "columnar/record_batch.h"
#include "pipeline/manifest.h"

namespace cpglake::pipeline {

// The graph tables whose changes are read, in output order.
inline constexpr const char* kChangeTables[] = {"cpg_nodes", "cpg_edges", "cpg_props"};

// One group of changed rows.
struct ChangeCount {
  std::string table;  // cpg_nodes | cpg_edges | cpg_props
  std::string kind;   // node_kind / edge_kind / prop_key ("" when grouped by file only)
  // The file: nodes/edges their `path` column; props the path of their file_id in
  // _cpglake/repo_files ("" when unknown or null, or when grouped by kind only).
  std::string path;
  int64_t added = 0, removed = 0, changed = 0;  // inserts, deletes, update pairs (postimages)
  bool operator==(const ChangeCount&) const = default;
};

struct GraphChanges {
  BuildRecord from, to;  // the two builds compared
  // table → (version at `from`, version at `to`); -1 when `from` did not record the table
  // (then every row of the table at `to` is new).
  std::map<std::string, std::pair<int64_t, int64_t>> versions;
  std::vector<ChangeCount> counts;  // sorted by table, path, kind; groups with changes only
};

// The two builds to compare and each graph table's versions, without reading any change:
// `build` (default: the latest successful build) and `since` (default: the successful build
// before it). Ids may be unique prefixes (FindBuild). NotFound for an unknown id, for an
// output without a successful build, or when no successful build precedes `build`;
// InvalidInput when a named build did not succeed, when `since` is not older than `build`,
// or when a table's version at `since` is after its version at `build`.
GraphChanges ResolveChangeRange(const std::string& out_dir,
                                const std::optional<std::string>& since_build,
                                const std::optional<std::string>& build);

// ResolveChangeRange, then the changes of the graph tables grouped by (table, path, kind).
// InvalidInput when a table's change data feed is off (tables.change_data_feed = false).
GraphChanges ReadGraphChanges(const std::string& out_dir,
                              const std::optional<std::string>& since_build,
                              const std::optional<std::string>& build);

// The changed rows of one graph table between the builds of `range` (from
// ResolveChangeRange; its counts are not used): the table's columns (schema of the `to`
// version) plus `_change_type`, `_commit_version` and `_commit_timestamp`, in commit order.
// Returns the schema of those batches, also when there are none. InvalidInput for a table
// that is not a graph table.
columnar::Schema ReadChangedRows(const std::string& out_dir, const GraphChanges& range,
                                 const std::string& table,
                                 const std::function<void(const columnar::RecordBatch&)>& sink);

// Counts regrouped by kind only (path ""), by file only (kind ""), or by neither (one row per
// table); sorted by table, path, kind.
std::vector<ChangeCount> RegroupChanges(const std::vector<ChangeCount>& counts, bool by_kind,
                                        bool by_file);

// Per table (every graph table, zeros included): the sums of its groups.
std::map<std::string, ChangeCount> ChangeTotals(const GraphChanges& changes);

}  // namespace cpglake::pipeline
