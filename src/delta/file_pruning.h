// File-level data skipping shared by scans and by the conflict checks of transactions: can
// a data file (its partition values and `stats`) hold a row satisfying a predicate?
#pragma once

#include "delta/actions.h"
#include "delta/table_configuration.h"
#include "expr/expression.h"

namespace cpglake::delta {

enum class FilePrune {
  kMaybe,            // the file may hold matching rows
  kSkipByPartition,  // its partition values rule every row out
  kSkipByStats,      // its statistics rule every row out
};

// `predicate` must be bound to config.schema() (expr::BindPredicate). Partition values
// are exact; stats are read with the default (conservative) expr::PruneOptions.
FilePrune PruneFile(const TableConfiguration& config, const AddFile& file,
                    const expr::Expr& predicate);

}  // namespace cpglake::delta
