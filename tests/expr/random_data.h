// Test helpers for expr/: seeded random batches over a schema with every primitive type,
// random predicates over them, and a slow row-by-row reference evaluator written
// independently of the library's evaluator (it works on columnar::Value and
// columnar::CompareValues).
#pragma once

#include <cstdint>
#include <random>

#include "columnar/record_batch.h"
#include "columnar/value.h"
#include "expr/expression.h"

namespace cpglake::expr::testing {

// i8 tinyint, i16 smallint, i32 int, i64 bigint, f32 float, f64 double, dec decimal(10,2),
// s string, bin binary, d date, ts timestamp, ntz timestamp_ntz, b boolean,
// st struct<x:int, y:string>.
columnar::Schema TestSchema();

// Values are drawn from small domains so that comparisons hit equal values often; floats
// include NaN, ±0.0 and ±infinity; strings include 40-byte strings sharing 34-byte
// prefixes (to exercise 32-character stats truncation); timestamps differ by
// sub-millisecond amounts. `null_probability` per value (struct rows too).
columnar::RecordBatch RandomBatch(std::mt19937_64& rng, int64_t rows, double null_probability);

// A random value of `type` (never null); with `sample` (a column of that type with at
// least one row), often one of its values or a neighbour of one.
columnar::Value RandomValue(std::mt19937_64& rng, const columnar::TypePtr& type,
                            const columnar::Column* sample);

// A random predicate over `batch`'s columns: comparisons with literals (of the column's
// type, another integer width, or DOUBLE for numbers), column-vs-column comparisons of
// one type, IS [NOT] NULL, [NOT] IN lists (with NULLs sometimes), [NOT] BETWEEN, bare
// boolean columns, simple arithmetic on i64/f64, nested struct fields, NULL literals,
// combined with AND/OR/NOT up to `depth` levels.
ExprPtr RandomPredicate(std::mt19937_64& rng, const columnar::RecordBatch& batch, int depth);

// The reference: the value of (unbound) `e` at `row`, by SQL semantics written out
// directly. Supports the constructs RandomPredicate produces plus literal-only trees.
columnar::Value ReferenceEval(const Expr& e, const columnar::RecordBatch& batch, int64_t row);

}  // namespace cpglake::expr::testing
