// Per-file statistics of add actions (`stats` JSON: numRecords, minValues, maxValues,
// nullCount, tightBounds), typed by the table schema for data skipping.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "columnar/types.h"
#include "columnar/value.h"

namespace cpglake::delta {

// numRecords without parsing the rest; nullopt when absent or unreadable.
std::optional<int64_t> NumRecordsFromStats(const std::optional<std::string>& stats);

struct ColumnStatistics {
  std::optional<columnar::Value> min;
  std::optional<columnar::Value> max;
  std::optional<int64_t> null_count;
};

struct FileStatistics {
  std::optional<int64_t> num_records;
  bool tight_bounds = true;
  // Keyed by the dotted path of *stats* names (physical names under column mapping).
  std::map<std::string, ColumnStatistics> columns;
};

// Parses stats JSON; values are converted to the type of the matching field of
// `stats_schema` (physical names). Values that do not parse for their type are dropped
// (a missing bound never skips data). nullopt for absent/unparseable stats.
std::optional<FileStatistics> ParseFileStatistics(const std::optional<std::string>& stats,
                                                  const columnar::Schema& stats_schema);

// A partition value (its string form in the log) as a typed Value; null stays null.
// InvalidInput/CorruptData when the text does not parse as the type.
columnar::Value ParsePartitionValue(const std::optional<std::string>& text,
                                    const columnar::TypePtr& type);

}  // namespace cpglake::delta
