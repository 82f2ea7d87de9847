// TableConfiguration: the protocol, metadata and table properties of one snapshot read
// through one place: which features are on, which column mapping mode applies, whether
// this reader may read the table. Checked before every scan (and, later, every write).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "columnar/types.h"
#include "delta/actions.h"
#include "delta/schema_json.h"

namespace cpglake::delta {

class TableConfiguration {
 public:
  // Throws Unsupported naming every reader feature (or reader version) we cannot read,
  // CorruptData for a schema string that does not parse.
  TableConfiguration(Protocol protocol, Metadata metadata);

  const Protocol& protocol() const { return protocol_; }
  const Metadata& metadata() const { return metadata_; }
  const columnar::Schema& schema() const { return schema_; }
  const std::vector<std::string>& partition_columns() const { return metadata_.partition_columns; }
  // Table property, or nullopt.
  std::optional<std::string> Property(const std::string& key) const;
  bool BoolProperty(const std::string& key, bool fallback = false) const;

  // Whether a feature is supported by the protocol (explicitly listed for reader 3 /
  // writer 7, implied by legacy versions otherwise) and, where it has one, enabled.
  bool HasReaderFeature(const std::string& name) const;
  bool HasWriterFeature(const std::string& name) const;
  ColumnMappingMode column_mapping_mode() const { return column_mapping_; }
  bool change_data_feed_enabled() const;
  bool deletion_vectors_enabled() const;
  bool in_commit_timestamps_enabled() const;
  // Version from which in-commit timestamps are valid (when enabled after creation).
  std::optional<int64_t> in_commit_timestamp_enablement_version() const;

  // The reader features this implementation understands.
  static const std::set<std::string>& SupportedReaderFeatures();

 private:
  Protocol protocol_;
  Metadata metadata_;
  columnar::Schema schema_;
  ColumnMappingMode column_mapping_ = ColumnMappingMode::kNone;
};

}  // namespace cpglake::delta
