#include "delta/file_pruning.h"

#include <map>
#include <set>
#include <string>

#include "delta/schema_json.h"
#include "delta/stats.h"
#include "expr/pruning.h"

namespace cpglake::delta {

FilePruner::FilePruner(const TableConfiguration& config, const expr::Expr& predicate)
    : config_(config),
      predicate_(predicate),
      physical_(ToPhysicalSchema(config.schema(), config.column_mapping_mode())),
      partition_cols_(config.partition_columns().begin(), config.partition_columns().end()) {}

FilePrune PruneFile(const TableConfiguration& config, const AddFile& file,
                    const expr::Expr& predicate) {
  return FilePruner(config, predicate).Prune(file);
}

FilePrune FilePruner::Prune(const AddFile& file) const {
  const auto& schema = config_.schema();
  const columnar::Schema& physical = physical_;
  const std::set<std::string>& partition_cols = partition_cols_;
  const expr::Expr& predicate = predicate_;
  auto stats = ParseFileStatistics(file.stats, physical);
  const int64_t num_records = stats && stats->num_records ? *stats->num_records : -1;
  std::map<std::string, expr::ColumnStats> by_logical;
  for (size_t i = 0; i < schema.num_fields(); ++i) {
    const auto& f = schema.field(i);
    expr::ColumnStats cs;
    cs.num_records = num_records >= 0 ? std::optional<int64_t>(num_records) : std::nullopt;
    if (partition_cols.count(f.name)) {
      auto it = file.partition_values.find(PhysicalName(physical.field(i)));
      if (it == file.partition_values.end()) it = file.partition_values.find(f.name);
      std::optional<std::string> text =
          it == file.partition_values.end() ? std::nullopt : it->second;
      auto v = ParsePartitionValue(text, f.type);
      cs.exact = true;
      if (v.is_null()) {
        cs.null_count = num_records >= 0 ? num_records : 1;
      } else {
        cs.min = v;
        cs.max = v;
        cs.null_count = 0;
      }
    } else if (stats) {
      auto it = stats->columns.find(physical.field(i).name);
      if (it != stats->columns.end()) {
        // Without tight bounds (DVs), minima/maxima still bound the live rows.
        cs.min = it->second.min;
        cs.max = it->second.max;
        cs.null_count = it->second.null_count;
      }
    }
    by_logical.emplace(f.name, std::move(cs));
  }
  // Partition values alone first (to report why a file was skipped), then with stats.
  auto lookup_in = [&](bool partitions_only) {
    return [&, partitions_only](const std::vector<std::string>& path) -> const expr::ColumnStats* {
      if (path.size() != 1) return nullptr;
      if (partitions_only && !partition_cols.count(path[0])) return nullptr;
      auto it = by_logical.find(path[0]);
      return it == by_logical.end() ? nullptr : &it->second;
    };
  };
  if (!partition_cols.empty() &&
      expr::CanSkip(predicate, lookup_in(true), num_records, expr::PruneOptions::Exact()) ==
          expr::PruneResult::kNone) {
    return FilePrune::kSkipByPartition;
  }
  if (expr::CanSkip(predicate, lookup_in(false), num_records) == expr::PruneResult::kNone) {
    return FilePrune::kSkipByStats;
  }
  return FilePrune::kMaybe;
}

}  // namespace cpglake::delta
