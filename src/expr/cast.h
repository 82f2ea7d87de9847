// Conversions between types, for literals (DATE '...', CAST(... AS ...), string literals
// compared with date columns), for the casts Bind inserts to give both sides of a
// comparison one type, and for CAST expressions.
//
// Semantics (Spark's non-ANSI CAST, except that a value that does not fit gives NULL
// rather than wrapping): integer narrowing, float → integer (truncation toward zero),
// decimal rounding (HALF_UP) and string parsing all give NULL when the value cannot be
// represented. Timestamps are UTC microseconds; TIMESTAMP and TIMESTAMP_NTZ convert by
// keeping the microseconds (cpglake has no session time zone: it is UTC). DATE →
// TIMESTAMP is midnight; TIMESTAMP → DATE takes the day (floor).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "columnar/column.h"
#include "columnar/types.h"
#include "columnar/value.h"

namespace cpglake::expr {

// "[+-]YYYY-MM-DD" (4 to 6 year digits, 1 or 2 month/day digits) → days since the epoch.
// With `allow_time_suffix`, anything after a ' ' or 'T' following the day is ignored (as
// CAST(string AS DATE) does). nullopt when malformed or not a real date.
std::optional<int32_t> ParseDateText(std::string_view text, bool allow_time_suffix = false);

// "YYYY-MM-DD[( |T)HH:MM[:SS[.fraction]]][zone]" → microseconds since the epoch. The
// fraction may have 1 to 9 digits (beyond microseconds it is truncated). The zone, only
// when `allow_zone`, is Z, UTC, or ±HH[:MM]; the result is then UTC. nullopt when
// malformed.
std::optional<int64_t> ParseTimestampText(std::string_view text, bool allow_zone);

// A number as the parser types a literal: an integer is the smallest of INT, BIGINT and
// DECIMAL(p,0) that holds it; digits with a '.' are DECIMAL(p,s) (p = significant digits,
// at least s); an exponent, or more than 38 digits, makes a DOUBLE. Accepts a leading
// sign. nullopt when `text` is not a number (or the double overflows).
std::optional<columnar::Value> ParseNumber(std::string_view text);

// Whether a cast between the types exists (value conversion may still fail per value).
bool CanCast(const columnar::DataType& from, const columnar::DataType& to);

// `v` converted to `to`: a null of type `to` for a null; nullopt when the value cannot be
// represented in `to` or no such cast exists.
std::optional<columnar::Value> CastValue(const columnar::Value& v, const columnar::TypePtr& to);

// A column converted to `to`, row by row as CastValue; rows that fail become NULL, or
// throw InvalidInput naming the value when `error_on_failure`. The result may share
// storage with `c` (when the types are equal).
columnar::ColumnPtr CastColumn(const columnar::ColumnPtr& c, const columnar::TypePtr& to,
                               bool error_on_failure = false);

}  // namespace cpglake::expr
