// Binding: resolving an expression's column references against a schema, checking its
// types and bringing the operands of every comparison, IN and BETWEEN to one type.
//
// Name resolution (per path segment, as Spark does): an exact, case-sensitive match
// first; otherwise the one field whose name matches ignoring ASCII case. No match, or
// several case-insensitive matches, is InvalidInput naming the available fields. Later
// segments walk into struct fields.
//
// Comparison types (Bind rewrites the tree so the evaluator sees one type per comparison):
//   - A literal operand is first converted to the other operand's type when that is exact:
//     `int_col = 5L` compares INTs, `dec_col = 1.5` compares at the column's scale, and a
//     string literal against a DATE / TIMESTAMP / number / BOOLEAN column is parsed as
//     that type (InvalidInput when it does not parse).
//   - Otherwise both sides are cast to their common type: the wider integer; integers and
//     decimals to a decimal wide enough for both (when that needs more than 38 digits the
//     values are compared exactly without a cast); any float involved → DOUBLE (two
//     FLOATs stay FLOAT); DATE with TIMESTAMP → TIMESTAMP (midnight UTC); STRING with
//     BINARY → by bytes; TIMESTAMP with TIMESTAMP_NTZ → by microseconds.
//   - Anything else (a string column with a number, a boolean with a date, structs, ...) is
//     InvalidInput "cannot compare ...".
// Arithmetic: integers keep the wider operand type (overflow → NULL, see evaluator.h),
// '/' on integers gives DOUBLE, decimals follow Spark's result precision/scale rules
// (capped at 38 digits, keeping at least 6 fraction digits), any float gives DOUBLE
// (FLOAT with FLOAT stays FLOAT). AND, OR and NOT need BOOLEAN operands (or NULL).
#pragma once

#include <string>
#include <vector>

#include "columnar/types.h"
#include "expr/expression.h"

namespace cpglake::expr {

// The bound form of `e` against `schema` (see above). InvalidInput for unknown columns,
// type errors and invalid casts; the message quotes the offending sub-expression.
ExprPtr Bind(const Expr& e, const columnar::Schema& schema);

// Bind, and require a BOOLEAN (or NULL) result: InvalidInput "predicate must be boolean".
ExprPtr BindPredicate(const Expr& e, const columnar::Schema& schema);

struct ResolvedColumn {
  std::vector<std::string> path;  // the schema's spelling of each segment
  columnar::TypePtr type;
};
// Resolves one column path (see above); InvalidInput when it does not resolve.
ResolvedColumn ResolveColumn(const std::vector<std::string>& path, const columnar::Schema& schema);

}  // namespace cpglake::expr
