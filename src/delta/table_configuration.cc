#include "delta/table_configuration.h"

#include <algorithm>

#include "common/error.h"

namespace cpglake::delta {

const std::set<std::string>& TableConfiguration::SupportedReaderFeatures() {
  static const std::set<std::string> kFeatures = {
      "columnMapping",        "deletionVectors", "timestampNtz",        "typeWidening",
      "typeWidening-preview", "v2Checkpoint",    "vacuumProtocolCheck",
  };
  return kFeatures;
}

TableConfiguration::TableConfiguration(Protocol protocol, Metadata metadata)
    : protocol_(std::move(protocol)), metadata_(std::move(metadata)) {
  if (protocol_.min_reader_version > 3) {
    throw Unsupported("table requires reader version " +
                      std::to_string(protocol_.min_reader_version) +
                      "; cpglake reads versions 1 to 3");
  }
  if (protocol_.min_reader_version == 3) {
    std::string missing;
    for (const auto& f : protocol_.reader_features.value_or(std::vector<std::string>{})) {
      if (!SupportedReaderFeatures().count(f)) missing += (missing.empty() ? "" : ", ") + f;
    }
    if (!missing.empty()) {
      throw Unsupported("table uses reader feature(s) cpglake does not implement: " + missing);
    }
  }
  if (metadata_.format.provider != "parquet") {
    throw Unsupported("table data format '" + metadata_.format.provider +
                      "' is not supported (only parquet)");
  }
  if (!metadata_.schema_string.empty()) schema_ = ParseDeltaSchema(metadata_.schema_string);
  auto mode = Property("delta.columnMapping.mode");
  if (mode && *mode != "none") {
    if (*mode == "name") {
      column_mapping_ = ColumnMappingMode::kName;
    } else if (*mode == "id") {
      column_mapping_ = ColumnMappingMode::kId;
    } else {
      throw Unsupported("unknown delta.columnMapping.mode '" + *mode + "'");
    }
  }
  for (const auto& p : metadata_.partition_columns) {
    if (schema_.FieldIndex(p) < 0) {
      throw CorruptData("partition column '" + p + "' is not in the table schema");
    }
  }
}

std::optional<std::string> TableConfiguration::Property(const std::string& key) const {
  auto it = metadata_.configuration.find(key);
  if (it == metadata_.configuration.end()) return std::nullopt;
  return it->second;
}

bool TableConfiguration::BoolProperty(const std::string& key, bool fallback) const {
  auto v = Property(key);
  if (!v) return fallback;
  std::string s = *v;
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s == "true";
}

bool TableConfiguration::HasReaderFeature(const std::string& name) const {
  if (protocol_.min_reader_version >= 3) {
    const auto& f = protocol_.reader_features;
    return f && std::find(f->begin(), f->end(), name) != f->end();
  }
  if (name == "columnMapping") return protocol_.min_reader_version >= 2;
  return false;
}

bool TableConfiguration::HasWriterFeature(const std::string& name) const {
  if (protocol_.min_writer_version >= 7) {
    const auto& f = protocol_.writer_features;
    return f && std::find(f->begin(), f->end(), name) != f->end();
  }
  // Legacy protocol versions imply these features.
  const int w = protocol_.min_writer_version;
  if (name == "appendOnly" || name == "invariants") return w >= 2;
  if (name == "checkConstraints") return w >= 3;
  if (name == "changeDataFeed" || name == "generatedColumns") return w >= 4;
  if (name == "columnMapping") return w >= 5;
  if (name == "identityColumns") return w >= 6;
  return false;
}

bool TableConfiguration::change_data_feed_enabled() const {
  return BoolProperty("delta.enableChangeDataFeed");
}

bool TableConfiguration::deletion_vectors_enabled() const {
  return HasReaderFeature("deletionVectors") && BoolProperty("delta.enableDeletionVectors");
}

bool TableConfiguration::in_commit_timestamps_enabled() const {
  return HasWriterFeature("inCommitTimestamp") && BoolProperty("delta.enableInCommitTimestamps");
}

std::optional<int64_t> TableConfiguration::in_commit_timestamp_enablement_version() const {
  auto v = Property("delta.inCommitTimestampEnablementVersion");
  if (!v) return std::nullopt;
  try {
    return std::stoll(*v);
  } catch (...) {
    throw CorruptData("delta.inCommitTimestampEnablementVersion is not a number: " + *v);
  }
}

}  // namespace cpglake::delta
