#include "catalog/dataset_registry.h"

#include <utility>

#include "common/error.h"
#include "delta/log_segment.h"

namespace cpglake::catalog {

std::string_view DatasetFormatName(DatasetFormat format) {
  return format == DatasetFormat::kParquet ? "parquet" : "delta";
}

DatasetFormat ParseDatasetFormat(std::string_view text) {
  if (text == "delta") return DatasetFormat::kDelta;
  if (text == "parquet") return DatasetFormat::kParquet;
  throw InvalidInput("unknown dataset format '" + std::string(text) +
                     "': expected delta or parquet");
}

DatasetRegistry DatasetRegistry::ForOutput(
    const std::string& out_dir, const std::map<std::string, std::string>& storage_options) {
  if (out_dir.empty()) throw InvalidInput("output directory is empty");
  DatasetRegistry registry;
  std::string base = out_dir;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  for (const char* name : {kNodesDataset, kEdgesDataset, kPropsDataset, kEdgesBySrcDataset,
                           kEdgesByDstDataset, kPropsMapDataset, kRepoFilesDataset, kBuildsDataset,
                           kDiagnosticsDataset, kFileStateDataset, kExtractCacheDataset}) {
    DatasetLocation location;
    location.path = base + "/" + name;
    location.storage_options = storage_options;
    registry.Register(name, std::move(location));
  }
  return registry;
}

namespace {
void CheckCommon(const std::string& name, const DatasetLocation& location) {
  if (name.empty()) throw InvalidInput("dataset name is empty");
  if (location.path.empty()) throw InvalidInput("dataset '" + name + "' has an empty path");
  if (location.delta_version && location.delta_timestamp_ms) {
    throw InvalidInput("dataset '" + name + "' is pinned to both a version and a timestamp");
  }
  if (location.delta_version && *location.delta_version < 0) {
    throw InvalidInput("dataset '" + name + "' is pinned to a negative version");
  }
}
}  // namespace

void DatasetRegistry::Register(const std::string& name, DatasetLocation location) {
  CheckCommon(name, location);
  if (location.format != DatasetFormat::kDelta) {
    throw InvalidInput("dataset '" + name +
                       "': Parquet locations are only export targets (Delta is the format of "
                       "every dataset); use an explicit export");
  }
  datasets_[name] = std::move(location);
}

void DatasetRegistry::RegisterExport(const std::string& name, DatasetLocation location) {
  CheckCommon(name, location);
  if (location.delta_version || location.delta_timestamp_ms) {
    throw InvalidInput("export target '" + name + "' cannot be pinned to a version");
  }
  datasets_[name] = std::move(location);
}

const DatasetLocation& DatasetRegistry::Resolve(const std::string& name) const {
  auto it = datasets_.find(name);
  if (it != datasets_.end()) return it->second;
  std::string known;
  for (const auto& [n, l] : datasets_) known += (known.empty() ? "" : ", ") + n;
  throw NotFound(
      "no dataset named '" + name + "'" +
      (known.empty() ? std::string(" (the registry is empty)") : " (known: " + known + ")"));
}

std::vector<std::string> DatasetRegistry::Names() const {
  std::vector<std::string> names;
  names.reserve(datasets_.size());
  for (const auto& [n, l] : datasets_) names.push_back(n);
  return names;
}

DatasetLocation& DatasetRegistry::PinnableLocation(const std::string& name) {
  Resolve(name);  // NotFound with the known names
  DatasetLocation& location = datasets_.at(name);
  if (location.format != DatasetFormat::kDelta) {
    throw InvalidInput("dataset '" + name + "' is an export target and has no versions");
  }
  return location;
}

void DatasetRegistry::PinVersion(const std::string& name, int64_t version) {
  if (version < 0) throw InvalidInput("version must be >= 0, got " + std::to_string(version));
  DatasetLocation& location = PinnableLocation(name);
  location.delta_version = version;
  location.delta_timestamp_ms.reset();
}

void DatasetRegistry::PinTimestamp(const std::string& name, int64_t timestamp_ms) {
  DatasetLocation& location = PinnableLocation(name);
  location.delta_timestamp_ms = timestamp_ms;
  location.delta_version.reset();
}

std::shared_ptr<storage::ObjectStore> OpenStore(const DatasetLocation& location) {
  return storage::OpenObjectStore(location.path, location.storage_options);
}

std::shared_ptr<const delta::Snapshot> OpenSnapshot(const DatasetLocation& location, int threads) {
  if (location.format != DatasetFormat::kDelta) {
    throw InvalidInput(location.path + " is a Parquet export target, not a Delta table");
  }
  delta::SnapshotBuilder builder(OpenStore(location));
  builder.WithThreads(threads);
  if (location.delta_version) builder.AtVersion(*location.delta_version);
  if (location.delta_timestamp_ms) builder.AtTimestamp(*location.delta_timestamp_ms);
  return builder.Build();
}

bool TableExists(const DatasetLocation& location) {
  if (location.format != DatasetFormat::kDelta) return false;
  try {
    delta::BuildLogSegment(*OpenStore(location), std::nullopt);
    return true;
  } catch (const NotFound&) {
    return false;
  }
}

}  // namespace cpglake::catalog
