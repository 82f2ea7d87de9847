#include "expr/pruning.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include "common/error.h"
#include "expr/binder.h"
#include "expr/evaluator.h"
#include "expr/parser.h"
#include "random_data.h"

namespace cpglake::expr {
namespace {

using columnar::Column;
using columnar::DataType;
using columnar::RecordBatch;
using columnar::TypeId;
using columnar::Value;

using StatsMap = std::map<std::vector<std::string>, ColumnStats>;

StatsLookup LookupIn(const StatsMap& m) {
  return [&m](const std::vector<std::string>& path) -> const ColumnStats* {
    auto it = m.find(path);
    return it == m.end() ? nullptr : &it->second;
  };
}

ColumnStats Stats(std::optional<Value> min, std::optional<Value> max,
                  std::optional<int64_t> null_count = 0) {
  ColumnStats s;
  s.min = std::move(min);
  s.max = std::move(max);
  s.null_count = null_count;
  return s;
}

// "skip" or "read" for `sql` over the stats of column `x` (and more), 100 records.
std::string Prune(std::string_view sql, const StatsMap& stats,
                  const PruneOptions& options = PruneOptions(), int64_t num_records = 100) {
  PruneResult r = CanSkip(*ParsePredicate(sql), LookupIn(stats), num_records, options);
  return r == PruneResult::kNone ? "skip" : "read";
}

TEST(PruningTest, MinMaxRulesForEachComparison) {
  StatsMap s = {{{"x"}, Stats(Value::Int32(10), Value::Int32(20))}};
  EXPECT_EQ(Prune("x = 9", s), "skip");
  EXPECT_EQ(Prune("x = 10", s), "read");
  EXPECT_EQ(Prune("x = 20", s), "read");
  EXPECT_EQ(Prune("x = 21", s), "skip");
  EXPECT_EQ(Prune("x < 10", s), "skip");
  EXPECT_EQ(Prune("x < 11", s), "read");
  EXPECT_EQ(Prune("x <= 9", s), "skip");
  EXPECT_EQ(Prune("x <= 10", s), "read");
  EXPECT_EQ(Prune("x > 20", s), "skip");
  EXPECT_EQ(Prune("x > 19", s), "read");
  EXPECT_EQ(Prune("x >= 21", s), "skip");
  EXPECT_EQ(Prune("x >= 20", s), "read");
  EXPECT_EQ(Prune("x != 15", s), "read");
  // Literal on the left.
  EXPECT_EQ(Prune("9 = x", s), "skip");
  EXPECT_EQ(Prune("10 > x", s), "skip");
  EXPECT_EQ(Prune("21 <= x", s), "skip");
  EXPECT_EQ(Prune("20 <= x", s), "read");
  // Cross-type literals compare by value.
  EXPECT_EQ(Prune("x = 20.5", s), "skip");
  EXPECT_EQ(Prune("x < 10.0D", s), "skip");
  EXPECT_EQ(Prune("x > 5000000000", s), "skip");
  EXPECT_EQ(Prune("x = '21'", s), "skip");
  // != needs min = max = literal.
  StatsMap one = {{{"x"}, Stats(Value::Int32(7), Value::Int32(7), 3)}};
  EXPECT_EQ(Prune("x != 7", one), "skip");
  EXPECT_EQ(Prune("x != 8", one), "read");
  EXPECT_EQ(Prune("x <> 7 OR x IS NULL", one), "read");
  // One bound alone is used.
  StatsMap only_min = {{{"x"}, Stats(Value::Int32(10), std::nullopt)}};
  EXPECT_EQ(Prune("x < 10", only_min), "skip");
  EXPECT_EQ(Prune("x > 100", only_min), "read");
  StatsMap only_max = {{{"x"}, Stats(std::nullopt, Value::Int32(20))}};
  EXPECT_EQ(Prune("x > 20", only_max), "skip");
  EXPECT_EQ(Prune("x < 0", only_max), "read");
}

TEST(PruningTest, MissingStatsAndUnknownExpressionsRead) {
  StatsMap s = {{{"x"}, Stats(Value::Int32(10), Value::Int32(20))}};
  EXPECT_EQ(Prune("y = 1", s), "read");
  EXPECT_EQ(Prune("x + 1 = 100", s), "read");
  EXPECT_EQ(Prune("x = y", s), "read");
  EXPECT_EQ(Prune("-x = 100", s), "read");
  EXPECT_EQ(Prune("NOT (x + 1 = 100)", s), "read");
  EXPECT_EQ(Prune("x IN (y, 100)", s), "read");
  EXPECT_EQ(Prune("CAST(x AS STRING) = 'a'", s), "read");  // unbound cast: type unknown
  StatsMap no_values = {{{"x"}, Stats(std::nullopt, std::nullopt, 5)}};
  EXPECT_EQ(Prune("x = 100", no_values), "read");
  StatsMap nulls_unknown = {{{"x"}, Stats(std::nullopt, std::nullopt, std::nullopt)}};
  EXPECT_EQ(Prune("x IS NULL", nulls_unknown), "read");
  EXPECT_EQ(Prune("x IS NOT NULL", nulls_unknown), "read");
  // Incomparable stats (a string that is not a number) are not used.
  StatsMap junk = {{{"x"}, Stats(Value::String("abc"), Value::String("abd"))}};
  EXPECT_EQ(Prune("x = 5", junk), "read");
}

TEST(PruningTest, Nulls) {
  StatsMap all_null = {{{"x"}, Stats(std::nullopt, std::nullopt, 100)}};
  EXPECT_EQ(Prune("x = 1", all_null), "skip");
  EXPECT_EQ(Prune("x != 1", all_null), "skip");
  EXPECT_EQ(Prune("x IN (1, 2)", all_null), "skip");
  EXPECT_EQ(Prune("x NOT IN (1, 2)", all_null), "skip");
  EXPECT_EQ(Prune("x BETWEEN 1 AND 2", all_null), "skip");
  EXPECT_EQ(Prune("x IS NOT NULL", all_null), "skip");
  EXPECT_EQ(Prune("x IS NULL", all_null), "read");
  EXPECT_EQ(Prune("NOT (x IS NULL)", all_null), "skip");
  // With the file's record count unknown, "all null" cannot be known...
  EXPECT_EQ(Prune("x = 1", all_null, PruneOptions(), -1), "read");
  // ...unless the column stats say how many records they cover.
  StatsMap counted = all_null;
  counted[{"x"}].num_records = 100;
  EXPECT_EQ(Prune("x = 1", counted, PruneOptions(), -1), "skip");
  counted[{"x"}].num_records = 101;
  EXPECT_EQ(Prune("x = 1", counted), "read");
  StatsMap no_nulls = {{{"x"}, Stats(Value::Int32(1), Value::Int32(2), 0)}};
  EXPECT_EQ(Prune("x IS NULL", no_nulls), "skip");
  EXPECT_EQ(Prune("x IS NOT NULL", no_nulls), "read");
  EXPECT_EQ(Prune("NOT (x IS NOT NULL)", no_nulls), "skip");
  StatsMap some_nulls = {{{"x"}, Stats(Value::Int32(1), Value::Int32(2), 5)}};
  EXPECT_EQ(Prune("x IS NULL", some_nulls), "read");
  EXPECT_EQ(Prune("x IS NOT NULL", some_nulls), "read");
  // Comparisons with NULL are never TRUE.
  EXPECT_EQ(Prune("x = NULL", some_nulls), "skip");
  EXPECT_EQ(Prune("NOT (x = NULL)", some_nulls), "skip");
  EXPECT_EQ(Prune("y + 1 > NULL", some_nulls), "skip");
  EXPECT_EQ(Prune("x IN (NULL)", some_nulls), "skip");
  EXPECT_EQ(Prune("x NOT IN (1, NULL)", some_nulls), "skip");
  EXPECT_EQ(Prune("x NOT IN (y, NULL)", {}), "skip");
  EXPECT_EQ(Prune("x IN (1, NULL)", some_nulls), "read");
  EXPECT_EQ(Prune("NULL", {}), "skip");
  EXPECT_EQ(Prune("NOT NULL", {}), "skip");
  EXPECT_EQ(Prune("NULL IS NULL", {}), "read");
  EXPECT_EQ(Prune("5 IS NULL", {}), "skip");
}

TEST(PruningTest, LogicAndNotPushdown) {
  StatsMap s = {{{"x"}, Stats(Value::Int32(10), Value::Int32(20))},
                {{"y"}, Stats(Value::String("m"), Value::String("p"))}};
  EXPECT_EQ(Prune("x = 5 AND y = 'n'", s), "skip");
  EXPECT_EQ(Prune("x = 15 AND y = 'n'", s), "read");
  EXPECT_EQ(Prune("x = 5 OR y = 'a'", s), "skip");
  EXPECT_EQ(Prune("x = 5 OR y = 'n'", s), "read");
  EXPECT_EQ(Prune("x = 5 OR z = 1", s), "read");
  EXPECT_EQ(Prune("x = 5 AND z = 1", s), "skip");
  EXPECT_EQ(Prune("NOT (x <= 20)", s), "skip");             // x > 20
  EXPECT_EQ(Prune("NOT (x < 10)", s), "read");              // x >= 10
  EXPECT_EQ(Prune("NOT (x >= 10)", s), "skip");             // x < 10
  EXPECT_EQ(Prune("NOT (x < 5 OR x > 1)", s), "skip");      // x >= 5 AND x <= 1
  EXPECT_EQ(Prune("NOT (x >= 5 AND x <= 30)", s), "skip");  // x < 5 OR x > 30
  EXPECT_EQ(Prune("NOT (x >= 5 AND x <= 15)", s), "read");
  EXPECT_EQ(Prune("NOT NOT (x = 5)", s), "skip");
  EXPECT_EQ(Prune("NOT (x != 5)", s), "skip");
  EXPECT_EQ(Prune("NOT (x IN (1, 15))", s), "read");
  EXPECT_EQ(Prune("NOT (x NOT IN (1, 2))", s), "skip");
  EXPECT_EQ(Prune("NOT (x BETWEEN 1 AND 30)", s), "skip");
  EXPECT_EQ(Prune("NOT (x NOT BETWEEN 12 AND 14)", s), "read");
  EXPECT_EQ(Prune("NOT (x NOT BETWEEN 21 AND 24)", s), "skip");
  EXPECT_EQ(Prune("FALSE", s), "skip");
  EXPECT_EQ(Prune("TRUE", s), "read");
  EXPECT_EQ(Prune("NOT TRUE", s), "skip");
  EXPECT_EQ(Prune("1 = 2", s), "skip");
  EXPECT_EQ(Prune("1 < 2", s), "read");
  EXPECT_EQ(Prune("NOT (1 < 2)", s), "skip");
  EXPECT_EQ(Prune("x = 15", s, PruneOptions(), 0), "skip");  // an empty file
}

TEST(PruningTest, InAndBetween) {
  StatsMap s = {{{"x"}, Stats(Value::Int32(10), Value::Int32(20))}};
  EXPECT_EQ(Prune("x IN (1, 2, 30)", s), "skip");
  EXPECT_EQ(Prune("x IN (1, 15)", s), "read");
  EXPECT_EQ(Prune("x IN (1, NULL)", s), "skip");
  EXPECT_EQ(Prune("x NOT IN (1, 2)", s), "read");
  EXPECT_EQ(Prune("x BETWEEN 21 AND 30", s), "skip");
  EXPECT_EQ(Prune("x BETWEEN 1 AND 9", s), "skip");
  EXPECT_EQ(Prune("x BETWEEN 1 AND 10", s), "read");
  EXPECT_EQ(Prune("x BETWEEN 15 AND 12", s), "read");  // empty range: not known from stats
  EXPECT_EQ(Prune("x NOT BETWEEN 5 AND 25", s), "skip");
  EXPECT_EQ(Prune("x NOT BETWEEN 10 AND 19", s), "read");
  StatsMap one = {{{"x"}, Stats(Value::Int32(7), Value::Int32(7))}};
  EXPECT_EQ(Prune("x NOT IN (7, 8)", one), "skip");
  EXPECT_EQ(Prune("x NOT IN (8, 9)", one), "read");
}

TEST(PruningTest, MembershipTestForEqualityOnly) {
  // A membership test (a Bloom filter) that holds the strings "a" and "m"; it records what
  // it was asked.
  std::vector<std::string> asked;
  ColumnStats st = Stats(Value::String("a"), Value::String("z"));
  st.may_contain = [&asked](const Value& v) {
    asked.push_back(v.as_string());
    return v.as_string() == "a" || v.as_string() == "m";
  };
  StatsMap s = {{{"x"}, st}};
  EXPECT_EQ(Prune("x = 'm'", s), "read");
  EXPECT_EQ(Prune("x = 'q'", s), "skip");
  EXPECT_EQ(Prune("'q' = x", s), "skip");
  EXPECT_EQ(Prune("NOT (x != 'q')", s), "skip");
  EXPECT_EQ(Prune("x IN ('b', 'c')", s), "skip");
  EXPECT_EQ(Prune("x IN ('b', 'm')", s), "read");
  EXPECT_EQ(Prune("x = 'q' AND y = 1", s), "skip");
  EXPECT_EQ(Prune("x = 'q' OR y = 1", s), "read");
  asked.clear();
  // Min/max decide first: the test is not asked for a literal outside [min, max].
  EXPECT_EQ(Prune("x = '0'", s), "skip");
  // Never asked for other comparisons, NOT IN or NULL.
  EXPECT_EQ(Prune("x != 'q'", s), "read");
  EXPECT_EQ(Prune("x > 'q'", s), "read");
  EXPECT_EQ(Prune("x NOT IN ('q')", s), "read");
  EXPECT_EQ(Prune("x = NULL", s), "skip");
  EXPECT_TRUE(asked.empty());
  // Without min/max the test still applies.
  ColumnStats bare;
  bare.may_contain = st.may_contain;
  StatsMap b = {{{"x"}, bare}};
  EXPECT_EQ(Prune("x = 'q'", b), "skip");
  EXPECT_EQ(Prune("x = 'a'", b), "read");
}

TEST(PruningTest, TruncatedStringMaxima) {
  // "abc" may be the 32-character prefix of longer values: 'abcd' may exist.
  StatsMap s = {{{"s"}, Stats(Value::String("abb"), Value::String("abc"))}};
  EXPECT_EQ(Prune("s = 'abcd'", s), "read");
  EXPECT_EQ(Prune("s = 'abd'", s), "skip");
  EXPECT_EQ(Prune("s > 'abc'", s), "read");
  EXPECT_EQ(Prune("s >= 'abca'", s), "read");
  EXPECT_EQ(Prune("s > 'abd'", s), "skip");
  EXPECT_EQ(Prune("s < 'abb'", s), "skip");  // a min is a prefix: always a lower bound
  EXPECT_EQ(Prune("s <= 'abaz'", s), "skip");
  EXPECT_EQ(Prune("s = 'ab'", s), "skip");
  EXPECT_EQ(Prune("s IN ('abcz', 'zzz')", s), "read");
  // Exact stats (partition values, short strings): the max is the max.
  EXPECT_EQ(Prune("s = 'abcd'", s, PruneOptions::Exact()), "skip");
  EXPECT_EQ(Prune("s > 'abc'", s, PruneOptions::Exact()), "skip");
  EXPECT_EQ(Prune("s >= 'abc'", s, PruneOptions::Exact()), "read");
  // Delta appends U+FFFF to truncated maxima; values with 4-byte UTF-8 characters sort
  // above it, so the prefix before the tie-breaker still counts.
  StatsMap delta = {{{"s"}, Stats(Value::String("a"), Value::String("abc\xef\xbf\xbf"))}};
  EXPECT_EQ(Prune("s = 'abc\xf0\x9f\x98\x80'", delta), "read");
  EXPECT_EQ(Prune("s = 'abd'", delta), "skip");
  EXPECT_EQ(Prune("s = 'abc\xef\xbf\xbf'", delta), "read");
  // != can never skip on a possibly truncated max.
  StatsMap same = {{{"s"}, Stats(Value::String("abc"), Value::String("abc"))}};
  EXPECT_EQ(Prune("s != 'abc'", same), "read");
  EXPECT_EQ(Prune("s != 'abc'", same, PruneOptions::Exact()), "skip");
}

TEST(PruningTest, TimestampMaxIsWidenedBySlack) {
  const int64_t t = 1704103200123000LL;  // 2024-01-01 10:00:00.123
  StatsMap s = {{{"ts"}, Stats(Value::Timestamp(t - 5000), Value::Timestamp(t))}};
  EXPECT_EQ(Prune("ts > TIMESTAMP '2024-01-01 10:00:00.123500'", s), "read");
  EXPECT_EQ(Prune("ts = TIMESTAMP '2024-01-01 10:00:00.123999'", s), "read");
  EXPECT_EQ(Prune("ts = TIMESTAMP '2024-01-01 10:00:00.124'", s), "skip");
  EXPECT_EQ(Prune("ts >= TIMESTAMP '2024-01-01 10:00:00.124'", s), "skip");
  EXPECT_EQ(Prune("ts < TIMESTAMP '2024-01-01 10:00:00.118'", s), "skip");
  PruneOptions strict;
  strict.timestamp_max_slack_micros = 0;
  EXPECT_EQ(Prune("ts > TIMESTAMP '2024-01-01 10:00:00.123500'", s, strict), "skip");
  // TIMESTAMP_NTZ too; dates are not widened.
  StatsMap ntz = {{{"n"}, Stats(std::nullopt, Value::Integer(DataType::TimestampNtz(), t))}};
  EXPECT_EQ(Prune("n > TIMESTAMP_NTZ '2024-01-01 10:00:00.123500'", ntz), "read");
  StatsMap d = {{{"d"}, Stats(Value::Date(19723), Value::Date(19723))}};
  EXPECT_EQ(Prune("d > DATE '2024-01-01'", d), "skip");
  EXPECT_EQ(Prune("d >= TIMESTAMP '2024-01-01 00:00:01'", d), "skip");
  EXPECT_EQ(Prune("d = '2024-01-01'", d), "read");
  // Saturating near the end of time.
  StatsMap edge = {{{"ts"}, Stats(std::nullopt, Value::Timestamp(INT64_MAX - 10))}};
  EXPECT_EQ(Prune("ts > TIMESTAMP '2024-01-01'", edge), "read");
}

TEST(PruningTest, FloatsAndNaN) {
  StatsMap s = {{{"f"}, Stats(Value::Float64(1), Value::Float64(5))}};
  // A NaN may hide from min/max (Parquet writers leave it out), and NaN > 10 is TRUE.
  EXPECT_EQ(Prune("f > 10", s), "read");
  EXPECT_EQ(Prune("f >= 10", s), "read");
  EXPECT_EQ(Prune("f != 3", s), "read");
  EXPECT_EQ(Prune("f = 10", s), "skip");
  EXPECT_EQ(Prune("f < 1", s), "skip");
  EXPECT_EQ(Prune("f <= 0.5", s), "skip");
  EXPECT_EQ(Prune("f = CAST('NaN' AS DOUBLE)", s), "read");
  EXPECT_EQ(Prune("f < CAST('NaN' AS DOUBLE)", s), "read");
  PruneOptions with_nan;
  with_nan.float_stats_may_omit_nan = false;
  EXPECT_EQ(Prune("f > 10", s, with_nan), "skip");
  EXPECT_EQ(Prune("f = CAST('NaN' AS DOUBLE)", s, with_nan), "skip");
  EXPECT_EQ(Prune("f < CAST('NaN' AS DOUBLE)", s, with_nan), "read");
  // A NaN bound makes min/max unusable.
  StatsMap nan_max = {{{"f"}, Stats(Value::Float64(1), Value::Float64(std::nan("")))}};
  EXPECT_EQ(Prune("f < 0", nan_max, with_nan), "read");
  EXPECT_EQ(Prune("f = 0", nan_max, with_nan), "read");
  StatsMap nan_min = {{{"f"}, Stats(Value::Float32(std::nanf("")), Value::Float32(3))}};
  EXPECT_EQ(Prune("f > 4", nan_min, with_nan), "read");
  // Zeros: -0.0 = 0.0.
  StatsMap zeros = {{{"f"}, Stats(Value::Float64(-0.0), Value::Float64(-0.0))}};
  EXPECT_EQ(Prune("f = 0", zeros), "read");
  EXPECT_EQ(Prune("f < 0", zeros), "skip");
}

TEST(PruningTest, PartitionValues) {
  // Partition values as the log stores them (strings), min = max = value.
  auto partition = [](std::optional<std::string> v) {
    ColumnStats s;
    if (v) {
      s.min = Value::String(*v);
      s.max = Value::String(*v);
      s.null_count = 0;
    } else {
      s.null_count = 10;
    }
    return s;
  };
  StatsMap day = {{{"day"}, partition("2024-01-01")}, {{"n"}, partition("42")}};
  PruneOptions exact = PruneOptions::Exact();
  EXPECT_EQ(Prune("day = DATE '2024-01-02'", day, exact, 10), "skip");
  EXPECT_EQ(Prune("day = DATE '2024-01-01'", day, exact, 10), "read");
  EXPECT_EQ(Prune("day >= TIMESTAMP '2024-01-01 00:00:01'", day, exact, 10), "skip");
  EXPECT_EQ(Prune("n IN (1, 2)", day, exact, 10), "skip");
  EXPECT_EQ(Prune("n > 41.5", day, exact, 10), "read");
  EXPECT_EQ(Prune("n != 42", day, exact, 10), "skip");
  EXPECT_EQ(Prune("day IS NULL", day, exact, 10), "skip");
  StatsMap null_part = {{{"day"}, partition(std::nullopt)}};
  EXPECT_EQ(Prune("day = DATE '2024-01-01'", null_part, exact, 10), "skip");
  EXPECT_EQ(Prune("day IS NULL", null_part, exact, 10), "read");
  EXPECT_EQ(Prune("day IS NOT NULL", null_part, exact, 10), "skip");
  // Typed partition values work the same.
  StatsMap typed = {{{"day"}, Stats(Value::Date(19723), Value::Date(19723))}};
  EXPECT_EQ(Prune("day < '2024-01-01'", typed, exact, 10), "skip");
  EXPECT_EQ(Prune("day <= '2024-01-01'", typed, exact, 10), "read");
}

TEST(PruningTest, BooleanColumnsAndNestedFields) {
  StatsMap s = {{{"flag"}, Stats(Value::Boolean(false), Value::Boolean(false))},
                {{"st", "x"}, Stats(Value::Int32(1), Value::Int32(3))}};
  EXPECT_EQ(Prune("flag", s), "skip");
  EXPECT_EQ(Prune("NOT flag", s), "read");
  EXPECT_EQ(Prune("flag = TRUE", s), "skip");
  EXPECT_EQ(Prune("st.x > 3", s), "skip");
  EXPECT_EQ(Prune("st.x > 2", s), "read");
  EXPECT_EQ(Prune("st IS NULL", s), "read");
}

TEST(PruningTest, BoundPredicatesPruneThroughWideningCasts) {
  columnar::Schema schema({columnar::Field("i", DataType::Int32()),
                           columnar::Field("d", DataType::Date()),
                           columnar::Field("Price", DataType::Decimal(10, 2)),
                           columnar::Field("f", DataType::Float32())});
  StatsMap s = {{{"i"}, Stats(Value::Int32(1), Value::Int32(10))},
                {{"d"}, Stats(Value::Date(19723), Value::Date(19724))},
                {{"Price"}, Stats(Value::Decimal(100, 10, 2), Value::Decimal(500, 10, 2))},
                {{"f"}, Stats(Value::Float32(1), Value::Float32(2))}};
  auto prune_bound = [&](std::string_view sql) {
    ExprPtr b = BindPredicate(*ParsePredicate(sql), schema);
    return CanSkip(*b, LookupIn(s), 100) == PruneResult::kNone ? "skip" : "read";
  };
  EXPECT_STREQ(prune_bound("i = 5000000000"), "skip");  // CAST(i AS BIGINT)
  EXPECT_STREQ(prune_bound("i < 0.5"), "skip");         // CAST(i AS DECIMAL(11,1))
  EXPECT_STREQ(prune_bound("i < 1.5D"), "read");        // CAST(i AS DOUBLE)
  EXPECT_STREQ(prune_bound("d > TIMESTAMP '2024-01-03 00:00:00'"), "skip");
  EXPECT_STREQ(prune_bound("d = '2024-01-05'"), "skip");
  EXPECT_STREQ(prune_bound("price > 5.001"), "skip");  // resolved name, CAST to (11,3)
  EXPECT_STREQ(prune_bound("price BETWEEN 1 AND 1.5"), "read");
  EXPECT_STREQ(prune_bound("f < 0.1"), "skip");                       // CAST(f AS DOUBLE) < 0.1D
  EXPECT_STREQ(prune_bound("CAST(i AS SMALLINT) = 100"), "read");     // narrowing: not monotone
  EXPECT_STREQ(prune_bound("CAST(i AS BIGINT) IS NULL"), "skip");     // widening never fails
  EXPECT_STREQ(prune_bound("CAST(d AS TIMESTAMP) IS NULL"), "read");  // may overflow
}

// --- The soundness property -----------------------------------------------------------------

// How a writer's stats may deviate from the exact extremes.
struct WriterModel {
  bool nan_in_stats;      // Spark: NaN is the max; Parquet: NaN left out
  int string_truncation;  // 0 exact, 1 32-byte prefix for min and max, 2 max + U+FFFF
  bool timestamp_millis;  // min/max floored to milliseconds
  bool drop_some;         // leave some stats out
};

// Stats of one leaf column as the model writer would compute them.
ColumnStats WriterStats(const Column& c, const WriterModel& m, std::mt19937_64& rng) {
  ColumnStats s;
  s.null_count = c.null_count();
  std::optional<Value> min, max;
  for (int64_t i = 0; i < c.length(); ++i) {
    Value v = columnar::GetValue(c, i);
    if (v.is_null()) continue;
    bool is_float = v.type_id() == TypeId::kFloat32 || v.type_id() == TypeId::kFloat64;
    if (is_float && std::isnan(v.as_double()) && !m.nan_in_stats) continue;
    if (!min || columnar::CompareValues(v, *min) < 0) min = v;
    if (!max || columnar::CompareValues(v, *max) > 0) max = v;
  }
  if (min && min->type_id() == TypeId::kString && m.string_truncation > 0) {
    if (min->as_string().size() > 32) min = Value::String(min->as_string().substr(0, 32));
    if (max->as_string().size() > 32) {
      std::string p = max->as_string().substr(0, 32);
      if (m.string_truncation == 2) p += "\xef\xbf\xbf";
      max = Value::String(p);
    }
  }
  if (min && (min->type_id() == TypeId::kTimestamp || min->type_id() == TypeId::kTimestampNtz) &&
      m.timestamp_millis) {
    auto floor_ms = [](const Value& v) {
      int64_t x = v.as_int(), q = x / 1000;
      if (x % 1000 < 0) --q;
      return Value::Integer(v.type(), q * 1000);
    };
    min = floor_ms(*min);
    max = floor_ms(*max);
  }
  s.min = min;
  s.max = max;
  if (m.drop_some) {
    int r = static_cast<int>(rng() % 6);
    if (r == 0) s.min.reset();
    if (r == 1) s.max.reset();
    if (r == 2) s.null_count.reset();
  }
  return s;
}

StatsMap BatchStats(const RecordBatch& b, const WriterModel& m, std::mt19937_64& rng) {
  StatsMap out;
  for (size_t i = 0; i < b.num_columns(); ++i) {
    const auto& f = b.schema().field(i);
    if (m.drop_some && rng() % 8 == 0) continue;
    if (f.type->id() == TypeId::kStruct) {
      // Delta has no stats for a struct itself, only for its leaves (null under a null
      // struct counts as null).
      for (size_t k = 0; k < f.type->fields().size(); ++k) {
        out[{f.name, f.type->fields()[k].name}] = WriterStats(b.column(i).child(k), m, rng);
      }
    } else {
      out[{f.name}] = WriterStats(b.column(i), m, rng);
    }
  }
  return out;
}

TEST(PruningTest, SoundOnRandomDataAndPredicates) {
  std::mt19937_64 rng(8675309);
  int cases = 0, skipped = 0;
  for (int trial = 0; trial < 1500; ++trial) {
    const int64_t rows = 1 + static_cast<int64_t>(rng() % 30);
    RecordBatch b = testing::RandomBatch(rng, rows, std::vector<double>{0.0, 0.2, 0.6}[rng() % 3]);
    WriterModel model{rng() % 2 == 0, static_cast<int>(rng() % 3), rng() % 2 == 0, rng() % 3 == 0};
    StatsMap stats = BatchStats(b, model, rng);
    // Exact stats where the model is exact: then the Exact options must be sound too.
    const bool exact = model.nan_in_stats && model.string_truncation == 0 &&
                       !model.timestamp_millis && !model.drop_some;
    for (int k = 0; k < 10; ++k) {
      ExprPtr e = testing::RandomPredicate(rng, b, 3);
      ExprPtr bound = BindPredicate(*e, b.schema());
      const int64_t matches = EvaluateFilter(*e, b).CountSet();
      for (const Expr* p : {e.get(), bound.get()}) {
        for (bool use_exact : {false, true}) {
          if (use_exact && !exact) continue;
          PruneOptions options = use_exact ? PruneOptions::Exact() : PruneOptions();
          PruneResult r = CanSkip(*p, LookupIn(stats), rows, options);
          ++cases;
          if (r == PruneResult::kNone) {
            ++skipped;
            ASSERT_EQ(matches, 0) << "skipped a file with " << matches
                                  << " matching rows: " << p->ToString() << " (model "
                                  << model.nan_in_stats << model.string_truncation
                                  << model.timestamp_millis << model.drop_some << ", exact "
                                  << use_exact << ")";
          }
        }
      }
    }
  }
  EXPECT_GT(cases, 30000);
  // The property is only meaningful if pruning happens often.
  EXPECT_GT(skipped, cases / 5) << skipped << " of " << cases;
}

TEST(PruningTest, SoundForPartitionStyleConstantColumns) {
  // Every column constant (one value or all NULL): min = max = the value, exact options.
  std::mt19937_64 rng(1234);
  int cases = 0, skipped = 0;
  for (int trial = 0; trial < 1500; ++trial) {
    const int64_t rows = 1 + static_cast<int64_t>(rng() % 5);
    RecordBatch source = testing::RandomBatch(rng, 1, 0.2);
    std::vector<columnar::ColumnPtr> cols;
    for (size_t i = 0; i < source.num_columns(); ++i) {
      auto c = Column::Make(source.schema().field(i).type);
      for (int64_t r = 0; r < rows; ++r) c->AppendRange(source.column(i), 0, 1);
      cols.push_back(std::move(c));
    }
    RecordBatch b(source.schema(), std::move(cols));
    StatsMap stats;
    for (size_t i = 0; i < b.num_columns(); ++i) {
      const auto& f = b.schema().field(i);
      if (f.type->id() == TypeId::kStruct) continue;
      Value v = columnar::GetValue(b.column(i), 0);
      ColumnStats s;
      if (!v.is_null()) {
        // As the log stores partition values: text, sometimes typed.
        Value stored = v;
        if (rng() % 2 == 0 && (f.type->id() == TypeId::kInt32 || f.type->id() == TypeId::kDate)) {
          stored = Value::String(v.ToString());
        }
        s.min = stored;
        s.max = stored;
      }
      s.null_count = v.is_null() ? rows : 0;
      stats[{f.name}] = s;
    }
    for (int k = 0; k < 10; ++k) {
      ExprPtr e = testing::RandomPredicate(rng, b, 2);
      const int64_t matches = EvaluateFilter(*e, b).CountSet();
      PruneResult r = CanSkip(*e, LookupIn(stats), rows, PruneOptions::Exact());
      ++cases;
      if (r == PruneResult::kNone) {
        ++skipped;
        ASSERT_EQ(matches, 0) << e->ToString();
      }
    }
  }
  EXPECT_GT(skipped, cases / 5) << skipped << " of " << cases;
}

}  // namespace
}  // namespace cpglake::expr
