// catalog/ — the dataset registry: a logical dataset name → where and how it is stored.
// Everything that reads or writes a dataset (build outputs, SQL registration, tools)
// resolves it here, so storage options and version pins flow from one place to the object
// store and the snapshot.
//
// Delta is the format of every dataset; a Parquet location exists only as an explicit
// export target (RegisterExport), and opening one as a table is refused.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "delta/snapshot.h"
#include "storage/object_store.h"

namespace cpglake::catalog {

enum class DatasetFormat { kDelta, kParquet };
std::string_view DatasetFormatName(DatasetFormat format);  // "delta" | "parquet"
DatasetFormat ParseDatasetFormat(std::string_view text);   // InvalidInput otherwise

struct DatasetLocation {
  std::string path;  // a local path or URI (storage::OpenObjectStore)
  DatasetFormat format = DatasetFormat::kDelta;
  std::vector<std::string> partitioning;               // partition columns (when written)
  std::map<std::string, std::string> storage_options;  // passed to the object store
  // At most one pin: the snapshot at this version, or the latest at or before this
  // timestamp (ms since the epoch). Neither: the latest version.
  std::optional<int64_t> delta_version;
  std::optional<int64_t> delta_timestamp_ms;

  bool operator==(const DatasetLocation&) const = default;
};

// The datasets of one build output directory, by logical name.
inline constexpr const char* kNodesDataset = "cpg_nodes";
inline constexpr const char* kEdgesDataset = "cpg_edges";
inline constexpr const char* kPropsDataset = "cpg_props";
// The derived tables (cpg/derived_tables.h: the same names).
inline constexpr const char* kEdgesBySrcDataset = "cpg_edges_by_src";
inline constexpr const char* kEdgesByDstDataset = "cpg_edges_by_dst";
inline constexpr const char* kPropsMapDataset = "cpg_props_map";
inline constexpr const char* kRepoFilesDataset = "_cpglake/repo_files";
inline constexpr const char* kBuildsDataset = "_cpglake/builds";
inline constexpr const char* kDiagnosticsDataset = "_cpglake/diagnostics";
// Incremental-build state (pipeline/build_state.h).
inline constexpr const char* kFileStateDataset = "_cpglake/file_state";
inline constexpr const char* kExtractCacheDataset = "_cpglake/extract_cache";

class DatasetRegistry {
 public:
  // The registry of a build output: every dataset a build writes, at OUT/<name>, with the
  // given storage options. Names are the relative paths ("cpg_nodes", "_cpglake/builds").
  static DatasetRegistry ForOutput(const std::string& out_dir,
                                   const std::map<std::string, std::string>& storage_options = {});

  // Registers (or replaces) a Delta dataset. InvalidInput for an empty name or path, a
  // Parquet location (use RegisterExport), or both a version and a timestamp pin.
  void Register(const std::string& name, DatasetLocation location);
  // Registers a Parquet export target. Only export code writes to such a location.
  void RegisterExport(const std::string& name, DatasetLocation location);

  bool Contains(const std::string& name) const { return datasets_.count(name) > 0; }
  // NotFound naming the known datasets when the name is not registered.
  const DatasetLocation& Resolve(const std::string& name) const;
  // Registered names, sorted.
  std::vector<std::string> Names() const;

  // Pins a registered Delta dataset to a version (clearing any timestamp pin), or to a
  // timestamp (clearing any version pin).
  void PinVersion(const std::string& name, int64_t version);
  void PinTimestamp(const std::string& name, int64_t timestamp_ms);

 private:
  // The registered Delta location `name` (NotFound; InvalidInput for an export target).
  DatasetLocation& PinnableLocation(const std::string& name);
  std::map<std::string, DatasetLocation> datasets_;
};

// The object store of a location (its storage options applied).
std::shared_ptr<storage::ObjectStore> OpenStore(const DatasetLocation& location);
// The snapshot a Delta location names (version or timestamp pin applied). InvalidInput for
// a Parquet location; NotFound when the table or the pinned version does not exist.
std::shared_ptr<const delta::Snapshot> OpenSnapshot(const DatasetLocation& location,
                                                    int threads = 0);
// True when a Delta table exists at the location (it has a _delta_log with a commit).
bool TableExists(const DatasetLocation& location);

}  // namespace cpglake::catalog
