// Comparison of scalar values as predicates see them, across the types a comparison may
// mix: integers, decimals and floats by numeric value (exactly, unless a float is
// involved: then as doubles, as Spark does); DATE with TIMESTAMP (the date is midnight
// UTC); TIMESTAMP with TIMESTAMP_NTZ by their microseconds; STRING with BINARY by bytes;
// and a STRING with a number, boolean, date or timestamp by parsing the string as that.
//
// Floats follow Spark: NaN equals NaN and is greater than every other value; -0.0 equals
// 0.0. Strings compare by unsigned bytes (UTF-8 code point order).
#pragma once

#include <optional>

#include "columnar/types.h"
#include "columnar/value.h"
#include "expr/expression.h"

namespace cpglake::expr {

// -1, 0 or 1 for two non-null values; nullopt when either is null or they are not
// comparable (different kinds, or a string that does not parse as the other's type).
std::optional<int> CompareScalars(const columnar::Value& a, const columnar::Value& b);

// Whether `cmp` (a CompareScalars result) satisfies `op`.
inline bool CompareResultMatches(CompareOp op, int cmp) {
  switch (op) {
    case CompareOp::kEq:
      return cmp == 0;
    case CompareOp::kNe:
      return cmp != 0;
    case CompareOp::kLt:
      return cmp < 0;
    case CompareOp::kLe:
      return cmp <= 0;
    case CompareOp::kGt:
      return cmp > 0;
    case CompareOp::kGe:
      return cmp >= 0;
  }
  return false;
}

}  // namespace cpglake::expr
