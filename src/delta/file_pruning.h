// File-level data skipping shared by scans and by the conflict checks of transactions: can
// a data file (its partition values and `stats`) hold a row satisfying a predicate?
#pragma once

#include <set>
#include <string>

#include "columnar/types.h"
#include "delta/actions.h"
#include "delta/table_configuration.h"
#include "expr/expression.h"

namespace cpglake::delta {

enum class FilePrune {
  kMaybe,            // the file may hold matching rows
  kSkipByPartition,  // its partition values rule every row out
  kSkipByStats,      // its statistics rule every row out
};

// Decides for many files of one table: the physical schema and partition columns are
// resolved once. `predicate` must be bound to config.schema() (expr::BindPredicate) and, like
// `config`, outlive the pruner. Partition values are exact; stats are read with the default
// (conservative) expr::PruneOptions.
class FilePruner {
 public:
  FilePruner(const TableConfiguration& config, const expr::Expr& predicate);
  FilePrune Prune(const AddFile& file) const;

 private:
  const TableConfiguration& config_;
  const expr::Expr& predicate_;
  columnar::Schema physical_;
  std::set<std::string> partition_cols_;
};

// One file (conflict checks, where few files are asked about).
FilePrune PruneFile(const TableConfiguration& config, const AddFile& file,
                    const expr::Expr& predicate);

}  // namespace cpglake::delta
