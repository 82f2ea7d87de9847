// Data skipping: deciding from per-column statistics (Delta file stats: minValues,
// maxValues, nullCount, numRecords; Parquet row-group statistics; partition values) that
// no row of a file or row group can satisfy a predicate, so it need not be read.
//
// CanSkip is conservative: kNone means "certainly no row makes the predicate TRUE"; any
// doubt (missing or unusable stats, expressions it does not understand) is kMaybe. The
// rules:
//   - NOT is pushed down first (De Morgan through AND/OR; NOT (a < b) is a >= b; NOT IN,
//     NOT BETWEEN, IS NOT NULL flip); AND skips when any operand skips, OR when all do.
//   - `col op literal` (either side; through widening casts Bind inserts): skips when the
//     column is all NULL (null_count == num_records), when the literal is NULL, or by
//     min/max: `=` when lit < min or lit > max; `<` when min >= lit; `<=` when min > lit;
//     `>` when max <= lit; `>=` when max < lit; `!=` when min = max = lit.
//   - IS NULL skips when null_count == 0; IS NOT NULL when null_count == num_records.
//   - IN skips when every element would (NULL elements never match); NOT IN when the list
//     holds a NULL (never TRUE) or when some `!=` element skips. BETWEEN is >= AND <=.
//   - Literal predicates: FALSE and NULL skip; comparisons of literals are folded.
//   - num_records == 0 skips.
//   - `=` (and so IN, and NOT !=) also skips when the column's membership test
//     (ColumnStats::may_contain, a Bloom filter) says the literal is certainly absent;
//     it is asked only when min/max could not decide.
// Where stats are weaker than exact, the PruneOptions below say how they are read.
// Partition values are pruned with the same function: give min = max = the value and
// null_count = (value is NULL ? num_records : 0), with PruneOptions::Exact(). Stats
// values may be typed as the column or given as strings (partition values); strings are
// parsed as the literal's type when compared with it (unparseable: kMaybe).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "columnar/value.h"
#include "expr/expression.h"

namespace cpglake::expr {

struct ColumnStats {
  std::optional<columnar::Value> min, max;
  std::optional<int64_t> null_count;
  // Rows these stats cover, when it differs from (or is known better than) the
  // num_records given to CanSkip.
  std::optional<int64_t> num_records;
  // min/max are exact values (a partition value): PruneOptions' allowances for truncated
  // strings, millisecond timestamps and NaN-free float stats do not apply to this column.
  bool exact = false;
  // Optional membership test for `col = literal` (a Bloom filter): false only when no row
  // holds a value equal to the (non-null) literal; true when it may, or when it cannot
  // tell (a literal of a type it does not handle). Not copied into partition stats.
  std::function<bool(const columnar::Value& literal)> may_contain = nullptr;
};

// Stats for a column path (as written in the expression: bind it first to get the
// schema's spelling); nullptr when there are none. Called during CanSkip only.
using StatsLookup = std::function<const ColumnStats*(const std::vector<std::string>& column_path)>;

enum class PruneResult {
  kMaybe,  // some row may match: read the file
  kNone,   // no row can match: skip the file
};

struct PruneOptions {
  // A STRING/BINARY max may be a truncated prefix of the real max (Delta truncates string
  // stats to 32 characters; a writer that does not bump the last character leaves a max
  // below real values), and Delta's tie-breaker character U+FFFF may have been appended.
  // Then any value starting with the max (without trailing U+FFFF) may exist, so the max
  // only rules out literals that are above it *and* do not start with it. Min values are
  // prefixes, which are always valid lower bounds.
  bool string_max_may_be_truncated = true;
  // Delta stores timestamp stats as milliseconds: the max of a file holding
  // ...:00.123999 reads ...:00.123. The max of TIMESTAMP / TIMESTAMP_NTZ columns is
  // widened by this many microseconds (the min is truncated down, so it stays valid).
  int64_t timestamp_max_slack_micros = 999;
  // Writers following the Parquet spec leave NaN out of float min/max (delta-rs derives
  // Delta stats from those), so a file whose max is 5.0 may still hold NaN, which Spark
  // orders above every number. When true, predicates that a NaN would satisfy (>, >=, !=
  // a number; =, <=, >= NaN) are never skipped for FLOAT/DOUBLE columns by min/max.
  // Independently of this, a NaN min or max makes the min/max rule give up.
  bool float_stats_may_omit_nan = true;

  // Stats that are exact values (partition values): no truncation, no slack, no NaN.
  static PruneOptions Exact() {
    PruneOptions o;
    o.string_max_may_be_truncated = false;
    o.timestamp_max_slack_micros = 0;
    o.float_stats_may_omit_nan = false;
    return o;
  }
};

// Whether any row of a file (row group, partition) of `num_records` rows (negative:
// unknown) with the given stats can satisfy predicate `e` (bound or unbound).
PruneResult CanSkip(const Expr& e, const StatsLookup& stats, int64_t num_records,
                    const PruneOptions& options = {});

}  // namespace cpglake::expr
