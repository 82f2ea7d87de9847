// Evaluation of expressions on record batches, column at a time.
//
// Semantics:
//   - SQL three-valued logic. A comparison with a NULL operand is NULL. AND is FALSE when
//     any operand is FALSE, else NULL when any is NULL, else TRUE; OR dually; NOT NULL is
//     NULL. x IN (...) is TRUE on a match, else NULL when x or any element is NULL, else
//     FALSE; NOT IN is its negation (so x NOT IN (1, NULL) is never TRUE). BETWEEN is
//     x >= low AND x <= high.
//   - Comparison types as Bind decides (binder.h); floats as Spark: NaN = NaN is TRUE and
//     NaN is greater than every other value; -0.0 = 0.0.
//   - Arithmetic: integer overflow, decimal results that do not fit their type (or whose
//     exact intermediate product/quotient exceeds 128 bits), and division by zero (of any
//     type, as Spark) give NULL by default, like Spark's try_add/try_multiply/try_divide;
//     with EvalOptions::error_on_overflow they throw InvalidInput instead (ANSI-like). The
//     same option governs CASTs that cannot convert a value.
//   - A struct field read through a NULL struct is NULL.
//
// Fast paths (no per-row allocation or dispatch): column-vs-literal and column-vs-column
// comparisons of booleans, integers, dates, timestamps, floats, same-scale decimals and
// strings/binaries; IS [NOT] NULL; [NOT] IN with a literal list; AND/OR/NOT; the widening
// casts Bind inserts; integer and float arithmetic. Everything else (mixed-scale
// decimals, generic casts, IN with non-literal elements) runs row by row on Values.
#pragma once

#include "columnar/bitmap.h"
#include "columnar/column.h"
#include "columnar/record_batch.h"
#include "expr/expression.h"

namespace cpglake::expr {

struct EvalOptions {
  // false: overflow, division by zero and failed casts give NULL; true: InvalidInput.
  bool error_on_overflow = false;
};

// The value of `e` for every row of `batch`: a column of batch.num_rows() values of the
// expression's type (BOOLEAN for predicates). An unbound `e` is bound to batch.schema()
// first (binder.h); a bound one must match the batch's column types. The result may share
// storage with the batch (a bare column reference returns the batch's own column).
columnar::ColumnPtr Evaluate(const Expr& e, const columnar::RecordBatch& batch,
                             const EvalOptions& options = {});

// The rows where predicate `e` is TRUE (not FALSE, not NULL): a bitmap of
// batch.num_rows() bits. InvalidInput when `e` is not boolean.
columnar::Bitmap EvaluateFilter(const Expr& e, const columnar::RecordBatch& batch,
                                const EvalOptions& options = {});

}  // namespace cpglake::expr
