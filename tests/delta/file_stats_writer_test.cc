// File statistics as the writer renders them: read back with ParseFileStatistics, used by
// the scan's pruning, and compared with the stats Spark logged for the files of the
// acceptance corpus (our Parquet reader reads each file, our collector computes its stats).
#include "delta/file_stats_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>

#include "columnar/value.h"
#include "columnar/value_format.h"
#include "common/error.h"
#include "common/utf8.h"
#include "delta/partitioning.h"
#include "delta/scan.h"
#include "delta/snapshot.h"
#include "delta/stats.h"
#include "expr/binder.h"
#include "expr/evaluator.h"
#include "expr/parser.h"
#include "expr/pruning.h"
#include "parquet/file_reader.h"
#include "parquet/file_writer.h"
#include "storage/object_store.h"
#include "test_util.h"

namespace cpglake::delta {
namespace {

namespace fs = std::filesystem;
using columnar::Column;
using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;
using columnar::TypeId;
using columnar::TypePtr;
using columnar::Value;

StatsConfig Config(Schema schema, std::vector<std::string> partitions = {}) {
  StatsConfig c;
  c.table_schema = std::move(schema);
  c.partition_columns = std::move(partitions);
  return c;
}

std::string Collect(const StatsConfig& config, const std::vector<RecordBatch>& batches) {
  FileStatsCollector c(config);
  for (const auto& b : batches) c.Update(b);
  return c.ToJson();
}

FileStatistics Parse(const std::string& json, const Schema& schema,
                     ColumnMappingMode mode = ColumnMappingMode::kNone) {
  auto s = ParseFileStatistics(json, ToPhysicalSchema(schema, mode));
  EXPECT_TRUE(s.has_value()) << json;
  return s.value_or(FileStatistics{});
}

// Appends `v` (or null) to `c`.
void Put(Column& c, const std::optional<Value>& v) {
  if (v) {
    columnar::AppendValue(c, *v);
  } else {
    c.AppendNull();
  }
}

TEST(StatsColumnListTest, Parses) {
  EXPECT_EQ(ParseStatsColumnList(" a, b.c ,`d.e`.f, `x``y` "),
            (std::vector<std::vector<std::string>>{{"a"}, {"b", "c"}, {"d.e", "f"}, {"x`y"}}));
  EXPECT_TRUE(ParseStatsColumnList("  ").empty());
  EXPECT_THROW(ParseStatsColumnList("a,,b"), InvalidInput);
  EXPECT_THROW(ParseStatsColumnList("`a"), InvalidInput);
  EXPECT_THROW(ParseStatsColumnList("a."), InvalidInput);
  EXPECT_THROW(ParseStatsColumnList("a b"), InvalidInput);
}

Schema WideSchema() {
  return Schema({
      Field("p", DataType::Int32()),  // partition column, first
      Field("a", DataType::Int32()),
      Field("s", DataType::Struct({Field("x", DataType::Int32()), Field("y", DataType::String()),
                                   Field("t", DataType::Struct({Field("z", DataType::Int64())}))})),
      Field("b", DataType::Boolean()),
      Field("arr", DataType::List(DataType::Int32())),
      Field("m", DataType::Map(DataType::String(), DataType::Int32())),
  });
}

TEST(FileStatsCollectorTest, ColumnSelection) {
  auto indexed = [](StatsConfig c) { return FileStatsCollector(std::move(c)).IndexedColumns(); };
  using V = std::vector<std::string>;
  StatsConfig c = Config(WideSchema(), {"p"});
  // Default 32: every data leaf, struct fields one by one, arrays and maps as one leaf.
  EXPECT_EQ(indexed(c), (V{"a", "s.x", "s.y", "s.t.z", "b", "arr", "m"}));
  c.num_indexed_cols = -1;
  EXPECT_EQ(indexed(c), (V{"a", "s.x", "s.y", "s.t.z", "b", "arr", "m"}));
  // The first N leaves; the partition column does not count.
  c.num_indexed_cols = 3;
  EXPECT_EQ(indexed(c), (V{"a", "s.x", "s.y"}));
  c.num_indexed_cols = 4;
  EXPECT_EQ(indexed(c), (V{"a", "s.x", "s.y", "s.t.z"}));
  c.num_indexed_cols = 0;
  EXPECT_TRUE(indexed(c).empty());
  // dataSkippingStatsColumns wins over the count; case-insensitive; a struct means all of
  // it; partition columns, unknown names and paths below leaves select nothing.
  c.num_indexed_cols = 1;
  c.stats_columns = ParseStatsColumnList("S.T, M, p, nope, a.q, `s`.`Y`");
  EXPECT_EQ(indexed(c), (V{"s.y", "s.t.z", "m"}));
  c.stats_columns = ParseStatsColumnList("s");
  EXPECT_EQ(indexed(c), (V{"s.x", "s.y", "s.t.z"}));
  c.stats_columns = ParseStatsColumnList("");
  EXPECT_TRUE(indexed(c).empty());

  // No columns: numRecords only (and tightBounds when asked).
  c.tight_bounds = true;
  RecordBatch b = RecordBatch::MakeEmpty(WideSchema());
  EXPECT_EQ(Collect(c, {b}), "{\"numRecords\":0,\"tightBounds\":true}");
}

TEST(FileStatsCollectorTest, JsonShape) {
  Schema schema({Field("id", DataType::Int64()), Field("name", DataType::String()),
                 Field("flag", DataType::Boolean()),
                 Field("s", DataType::Struct(
                                {Field("x", DataType::Float64()), Field("b", DataType::Binary())})),
                 Field("none", DataType::Int32())});
  RecordBatch b = RecordBatch::MakeEmpty(schema);
  std::vector<std::tuple<int64_t, std::optional<std::string>, bool, double>> rows = {
      {3, "c", true, 2.0}, {1, std::nullopt, false, -0.5}, {2, "a", true, 1.0}};
  for (const auto& [id, name, flag, x] : rows) {
    b.mutable_column(0).Append<int64_t>(id);
    Put(b.mutable_column(1), name ? std::optional<Value>(Value::String(*name)) : std::nullopt);
    b.mutable_column(2).AppendBool(flag);
    auto& s = b.mutable_column(3);
    s.mutable_child(0).Append<double>(x);
    s.mutable_child(1).AppendNull();
    s.CloseStruct();
    b.mutable_column(4).AppendNull();
  }
  EXPECT_EQ(Collect(Config(schema), {b}),
            "{\"numRecords\":3,"
            "\"minValues\":{\"id\":1,\"name\":\"a\",\"s\":{\"x\":-0.5}},"
            "\"maxValues\":{\"id\":3,\"name\":\"c\",\"s\":{\"x\":2.0}},"
            "\"nullCount\":{\"id\":0,\"name\":1,\"flag\":0,\"s\":{\"x\":0,\"b\":3},\"none\":3}}");
}

// A random non-null value of `type` (small ranges so that min/max collide sometimes).
Value RandomValue(const TypePtr& type, std::mt19937_64& rng) {
  auto r = [&](int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 1));
  };
  switch (type->id()) {
    case TypeId::kInt8:
      return Value::Integer(type, r(-128, 127));
    case TypeId::kInt16:
      return Value::Integer(type, r(-32768, 32767));
    case TypeId::kInt32:
      return Value::Integer(type, r(INT32_MIN, INT32_MAX));
    case TypeId::kInt64:
      return Value::Integer(type, static_cast<int64_t>(rng()));
    case TypeId::kFloat32:
      return Value::Float32(static_cast<float>(r(-1000000, 1000000)) / 64.0f);
    case TypeId::kFloat64:
      return Value::Float64(static_cast<double>(static_cast<int64_t>(rng())) / 3.0);
    case TypeId::kDecimal: {
      __int128 v = static_cast<__int128>(static_cast<int64_t>(rng())) * 1000000007;
      if (type->precision() < 19) v = r(-99999999, 99999999);
      return Value::Decimal(v, type->precision(), type->scale());
    }
    case TypeId::kDate:
      return Value::Date(static_cast<int32_t>(r(-800000, 2932896)));
    case TypeId::kTimestamp:
    case TypeId::kTimestampNtz:
      return Value::Integer(type, r(-62135596800000000LL, 253402300799999999LL));
    case TypeId::kString: {
      std::string s;
      int n = static_cast<int>(r(0, 20));
      for (int i = 0; i < n; ++i) s.push_back(static_cast<char>(r(32, 126)));
      return Value::String(s);
    }
    default:
      ADD_FAILURE() << "no generator for " << type->ToString();
      return Value::Null(type);
  }
}

int64_t FloorMs(int64_t us) {
  return (us / 1000 - (us % 1000 < 0 ? 1 : 0)) * 1000;
}

// Every stats type: random values with and without nulls, over several batches; the parsed
// stats equal the exact min/max (timestamps to the millisecond: min down, max up) and null
// count, and bound every value.
TEST(FileStatsCollectorTest, EveryTypeRoundTripsThroughTheReader) {
  const std::vector<TypePtr> types = {
      DataType::Int8(),         DataType::Int16(),        DataType::Int32(),
      DataType::Int64(),        DataType::Float32(),      DataType::Float64(),
      DataType::Decimal(10, 2), DataType::Decimal(38, 6), DataType::Date(),
      DataType::Timestamp(),    DataType::TimestampNtz(), DataType::String()};
  std::mt19937_64 rng(42);
  for (const auto& type : types) {
    for (int null_pct : {0, 30}) {
      Schema schema({Field("c", type)});
      std::vector<RecordBatch> batches;
      std::vector<Value> values;
      int64_t nulls = 0;
      for (int b = 0; b < 3; ++b) {
        RecordBatch batch = RecordBatch::MakeEmpty(schema);
        for (int i = 0; i < 200; ++i) {
          if (static_cast<int>(rng() % 100) < null_pct) {
            batch.mutable_column(0).AppendNull();
            ++nulls;
          } else {
            Value v = RandomValue(type, rng);
            columnar::AppendValue(batch.mutable_column(0), v);
            values.push_back(v);
          }
        }
        batches.push_back(std::move(batch));
      }
      // Extremes of the type's range.
      RecordBatch edge = RecordBatch::MakeEmpty(schema);
      if (columnar::IsIntegerType(type->id())) {
        int w = columnar::IntegerWidth(type->id());
        int64_t hi = w == 8 ? INT64_MAX : (int64_t{1} << (w * 8 - 1)) - 1;
        for (int64_t v : {hi, -hi - 1}) {
          columnar::AppendValue(edge.mutable_column(0), Value::Integer(type, v));
          values.push_back(Value::Integer(type, v));
        }
      }
      if (type->id() == TypeId::kDate || columnar::IsTimestampType(type->id())) {
        // Years before 0001 and after 9999 ("-2221-...", "+15659-...").
        const int64_t unit = type->id() == TypeId::kDate ? 1 : 86400000000LL;
        for (int64_t days : {int64_t{-1530000}, int64_t{5000000}}) {
          Value v = Value::Integer(type, days * unit + (unit > 1 ? 1234567 : 0));
          columnar::AppendValue(edge.mutable_column(0), v);
          values.push_back(v);
        }
      }
      batches.push_back(edge);
      std::string json = Collect(Config(schema), batches);
      FileStatistics fs = Parse(json, schema);
      ASSERT_EQ(fs.num_records, static_cast<int64_t>(values.size()) + nulls) << json;
      const auto& cs = fs.columns["c"];
      EXPECT_EQ(cs.null_count, nulls) << type->ToString();
      ASSERT_TRUE(cs.min && cs.max) << type->ToString() << " " << json;
      Value mn = values[0], mx = values[0];
      for (const auto& v : values) {
        if (columnar::CompareValues(v, mn) < 0) mn = v;
        if (columnar::CompareValues(v, mx) > 0) mx = v;
        EXPECT_LE(columnar::CompareValues(*cs.min, v), 0) << type->ToString();
        EXPECT_GE(columnar::CompareValues(*cs.max, v), 0) << type->ToString();
      }
      if (columnar::IsTimestampType(type->id())) {
        mn = Value::Integer(type, FloorMs(mn.as_int()));
        int64_t f = FloorMs(mx.as_int());
        mx = Value::Integer(type, f == mx.as_int() ? f : f + 1000);
      }
      EXPECT_EQ(columnar::CompareValues(*cs.min, mn), 0)
          << type->ToString() << " " << cs.min->ToString() << " vs " << mn.ToString();
      EXPECT_EQ(columnar::CompareValues(*cs.max, mx), 0)
          << type->ToString() << " " << cs.max->ToString() << " vs " << mx.ToString();
    }
  }
}

// The reader side of the round trip (delta/stats.cc): decimals keep every digit (not
// through a double), Jackson's exponent spelling of small decimals, years past 9999.
TEST(FileStatsCollectorTest, ReaderParsesExactDecimalsAndWideYears) {
  Schema schema({Field("big", DataType::Decimal(38, 2)), Field("small", DataType::Decimal(38, 18)),
                 Field("d", DataType::Date()), Field("ts", DataType::Timestamp())});
  auto fs = Parse(
      "{\"numRecords\":1,\"minValues\":{\"big\":-999999999999999999999999999999999999.99,"
      "\"small\":1.000000000E-9,\"d\":\"-0001-01-01\",\"ts\":\"+10000-01-01T00:00:00.000Z\"},"
      "\"maxValues\":{\"big\":123456789012345678901234567.89,\"small\":1E+1,"
      "\"d\":\"+10000-12-31\",\"ts\":\"-0001-01-01T00:00:00.001Z\"}}",
      schema);
  __int128 nines = 0;
  for (int i = 0; i < 38; ++i) nines = nines * 10 + 9;
  EXPECT_EQ(fs.columns["big"].min->as_decimal(), -nines);
  __int128 big = 12345678901234567LL;
  big = big * 1000000000000LL + 890123456789LL;  // 12345678901234567890123456789
  EXPECT_EQ(fs.columns["big"].max->as_decimal(), big);
  EXPECT_EQ(fs.columns["small"].min->as_decimal(), 1000000000);  // 1e-9 at scale 18
  __int128 ten = 10;
  for (int i = 0; i < 18; ++i) ten *= 10;
  EXPECT_EQ(fs.columns["small"].max->as_decimal(), ten);
  EXPECT_EQ(columnar::FormatDate(static_cast<int32_t>(fs.columns["d"].min->as_int())),
            "-0001-01-01");
  EXPECT_EQ(columnar::FormatDate(static_cast<int32_t>(fs.columns["d"].max->as_int())),
            "+10000-12-31");
  EXPECT_TRUE(fs.columns["ts"].min && fs.columns["ts"].max);
}

TEST(FileStatsCollectorTest, TimestampsRenderMillisecondsAsSpark) {
  Schema schema({Field("ts", DataType::Timestamp()), Field("ntz", DataType::TimestampNtz())});
  RecordBatch b = RecordBatch::MakeEmpty(schema);
  // 2023-06-15T12:30:00.000 and 2024-12-25T00:00:00.000123 (stats-writing-all-types).
  const int64_t t1 = 1686832200000000, t2 = 1735084800000123;
  for (int64_t t : {t2, t1}) {
    b.mutable_column(0).Append<int64_t>(t);
    b.mutable_column(1).Append<int64_t>(t);
  }
  // A value before the epoch with a sub-millisecond part: min rounds down.
  b.mutable_column(0).Append<int64_t>(-1500);
  b.mutable_column(1).AppendNull();
  EXPECT_EQ(
      Collect(Config(schema), {b}),
      "{\"numRecords\":3,"
      "\"minValues\":{\"ts\":\"1969-12-31T23:59:59.998Z\",\"ntz\":\"2023-06-15T12:30:00.000\"},"
      "\"maxValues\":{\"ts\":\"2024-12-25T00:00:00.001Z\",\"ntz\":\"2024-12-25T00:00:00.001\"},"
      "\"nullCount\":{\"ts\":0,\"ntz\":1}}");
}

TEST(FileStatsCollectorTest, FloatsNanInfinityAndSignedZero) {
  Schema schema({Field("d", DataType::Float64()), Field("f", DataType::Float32()),
                 Field("n", DataType::Float64()), Field("z", DataType::Float64())});
  RecordBatch b = RecordBatch::MakeEmpty(schema);
  const double nan = std::nan("");
  std::vector<std::tuple<double, float, double, double>> rows = {
      {1.5, INFINITY, nan, 0.0}, {nan, -INFINITY, nan, -0.0}, {-2.0, 3.14f, nan, 0.0}};
  for (const auto& [d, f, n, z] : rows) {
    b.mutable_column(0).Append<double>(d);
    b.mutable_column(1).Append<float>(f);
    b.mutable_column(2).Append<double>(n);
    b.mutable_column(3).Append<double>(z);
  }
  std::string json = Collect(Config(schema), {b});
  EXPECT_EQ(json,
            "{\"numRecords\":3,"
            "\"minValues\":{\"d\":-2.0,\"f\":\"-Infinity\",\"n\":\"NaN\",\"z\":-0.0},"
            "\"maxValues\":{\"d\":\"NaN\",\"f\":\"Infinity\",\"n\":\"NaN\",\"z\":0.0},"
            "\"nullCount\":{\"d\":0,\"f\":0,\"n\":0,\"z\":0}}");
  FileStatistics fs = Parse(json, schema);
  EXPECT_EQ(fs.columns["d"].min->as_double(), -2.0);
  EXPECT_TRUE(std::isnan(fs.columns["d"].max->as_double()));
  EXPECT_EQ(fs.columns["f"].max->as_double(), INFINITY);
  // A NaN max keeps the file for `d > 100` (Spark orders NaN above every number).
  auto scan_keeps = [&](const std::string& pred) {
    expr::ColumnStats cs{fs.columns["d"].min, fs.columns["d"].max, fs.columns["d"].null_count,
                         std::nullopt};
    auto lookup = [&](const std::vector<std::string>& p) -> const expr::ColumnStats* {
      return p.size() == 1 && p[0] == "d" ? &cs : nullptr;
    };
    auto e = expr::Bind(*expr::ParsePredicate(pred), schema);
    return expr::CanSkip(*e, lookup, 3) == expr::PruneResult::kMaybe;
  };
  EXPECT_TRUE(scan_keeps("d > 100"));
  EXPECT_TRUE(scan_keeps("d < -1"));
}

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

std::string MinMax(const std::vector<std::string>& values, int prefix = 32) {
  Schema schema({Field("s", DataType::String())});
  RecordBatch b = RecordBatch::MakeEmpty(schema);
  for (const auto& v : values) b.mutable_column(0).AppendString(v);
  StatsConfig c = Config(schema);
  c.string_prefix_length = prefix;
  return Collect(c, {b});
}

TEST(FileStatsCollectorTest, StringTruncation) {
  const std::string fffd = "\xEF\xBF\xBD", ffff = "\xEF\xBF\xBF", u10000 = "\xF0\x90\x80\x80",
                    e_acute = "\xC3\xA9", top = "\xF4\x8F\xBF\xBF";
  auto expect = [](const std::string& json, const std::string& mn, const std::string& mx) {
    std::string want_min, want_max;
    columnar::AppendJsonString(mn, &want_min);
    columnar::AppendJsonString(mx, &want_max);
    EXPECT_NE(json.find("\"minValues\":{\"s\":" + want_min + "}"), std::string::npos) << json;
    EXPECT_NE(json.find("\"maxValues\":{\"s\":" + want_max + "}"), std::string::npos) << json;
  };
  // Up to 32 characters: exact.
  std::string a32 = Repeat("a", 32);
  expect(MinMax({a32, "b"}), a32, "b");
  // Longer: the min is cut to 32 characters, the max gets Spark's U+FFFD tie-breaker.
  expect(MinMax({a32 + "xyz", a32 + "b"}), a32, a32 + fffd);
  // Characters, not bytes: 40 two-byte characters are cut after 32 of them.
  expect(MinMax({Repeat(e_acute, 40)}), Repeat(e_acute, 32), Repeat(e_acute, 32) + fffd);
  // Characters >= U+FFFD after the cut stay in the max (else the bound would be too low).
  expect(MinMax({a32 + ffff + u10000 + "b"}), a32, a32 + ffff + u10000 + fffd);
  expect(MinMax({a32 + fffd + "b"}), a32, a32 + fffd + fffd);
  // Only such characters after the cut: the max is the whole value.
  expect(MinMax({a32 + top}), a32, a32 + top);
  // More of them than the prefix length: the last prefix character is incremented instead.
  expect(MinMax({a32 + Repeat(top, 40) + "b"}), a32, Repeat("a", 31) + "b");
  // A value that is not valid UTF-8 has no bound (the JSON could not hold it).
  std::string json = MinMax({"ok", "z\xFF"});
  EXPECT_NE(json.find("\"minValues\":{\"s\":\"ok\"}"), std::string::npos) << json;
  EXPECT_NE(json.find("\"maxValues\":{}"), std::string::npos) << json;
  // Other prefix lengths.
  expect(MinMax({"abcdef"}, 3), "abc", std::string("abc") + fffd);
}

TEST(FileStatsCollectorTest, StringBoundsHoldForRandomUnicode) {
  const std::vector<std::string> alphabet = {"a",
                                             "b",
                                             "z",
                                             "\x7F",
                                             "\xC3\xA9",
                                             "\xE2\x82\xAC",
                                             "\xEF\xBF\xBC",
                                             "\xEF\xBF\xBD",
                                             "\xEF\xBF\xBF",
                                             "\xF0\x9F\x8E\xB5",
                                             "\xF4\x8F\xBF\xBF"};
  std::mt19937_64 rng(5);
  Schema schema({Field("s", DataType::String())});
  for (int round = 0; round < 300; ++round) {
    std::vector<std::string> values;
    int n = 1 + static_cast<int>(rng() % 6);
    for (int i = 0; i < n; ++i) {
      std::string v;
      int len = static_cast<int>(rng() % 45);
      for (int k = 0; k < len; ++k) v += alphabet[rng() % alphabet.size()];
      values.push_back(v);
    }
    int prefix = 1 + static_cast<int>(rng() % 34);
    std::string json = MinMax(values, prefix);
    FileStatistics fs = Parse(json, schema);
    const auto& cs = fs.columns["s"];
    ASSERT_TRUE(cs.min) << json;
    const std::string& mn = cs.min->as_string();
    EXPECT_TRUE(IsValidUtf8(mn));
    std::string true_min = *std::min_element(values.begin(), values.end());
    EXPECT_EQ(true_min.compare(0, mn.size(), mn), 0) << "min is a prefix of the smallest value";
    for (const auto& v : values) {
      EXPECT_LE(std::string_view(mn), std::string_view(v));
      if (cs.max) {
        EXPECT_TRUE(IsValidUtf8(cs.max->as_string()));
        EXPECT_GE(std::string_view(cs.max->as_string()), std::string_view(v)) << json;
      }
    }
  }
}

TEST(FileStatsCollectorTest, NullsNestedStructsAndMissingColumns) {
  // Spark's stats-writing-all-types: a null struct counts as null for each of its fields.
  Schema schema({Field("s", DataType::Struct(
                                {Field("i", DataType::Int32()), Field("str", DataType::String())})),
                 Field("allnull", DataType::String()), Field("gone", DataType::Int64()),
                 Field("arr", DataType::List(DataType::Int32())), Field("v", DataType::Null())});
  Schema written({schema.field(0), schema.field(1), schema.field(3), schema.field(4)});
  RecordBatch b = RecordBatch::MakeEmpty(written);
  auto& s = b.mutable_column(0);
  // rows: {1,"x"}, null struct, {null,"y"}, {3,null}
  s.mutable_child(0).Append<int32_t>(1);
  s.mutable_child(1).AppendString("x");
  s.CloseStruct();
  s.AppendNull();
  s.mutable_child(0).AppendNull();
  s.mutable_child(1).AppendString("y");
  s.CloseStruct();
  s.mutable_child(0).Append<int32_t>(3);
  s.mutable_child(1).AppendNull();
  s.CloseStruct();
  for (int i = 0; i < 4; ++i) b.mutable_column(1).AppendNull();
  auto& arr = b.mutable_column(2);
  arr.AppendNull();
  arr.CloseList();  // empty list: not null
  arr.mutable_child(0).AppendNull();
  arr.CloseList();  // [null]: not null
  arr.AppendNull();
  b.mutable_column(3).AppendNulls(4);
  EXPECT_EQ(Collect(Config(schema), {b}),
            "{\"numRecords\":4,"
            "\"minValues\":{\"s\":{\"i\":1,\"str\":\"x\"}},"
            "\"maxValues\":{\"s\":{\"i\":3,\"str\":\"y\"}},"
            "\"nullCount\":{\"s\":{\"i\":2,\"str\":2},\"allnull\":4,\"gone\":4,\"arr\":2,"
            "\"v\":4}}");
  // A struct whose fields are all null still has its (empty) object, as Spark writes it.
  RecordBatch nulls = RecordBatch::MakeEmpty(written);
  nulls.mutable_column(0).AppendNull();
  nulls.mutable_column(1).AppendNull();
  nulls.mutable_column(2).AppendNull();
  nulls.mutable_column(3).AppendNull();
  EXPECT_EQ(
      Collect(Config(schema), {nulls}),
      "{\"numRecords\":1,\"minValues\":{\"s\":{}},\"maxValues\":{\"s\":{}},"
      "\"nullCount\":{\"s\":{\"i\":1,\"str\":1},\"allnull\":1,\"gone\":1,\"arr\":1,\"v\":1}}");
}

Schema MappedSchema() {
  auto mapped = [](std::string name, TypePtr t, int id) {
    Field f(std::move(name), std::move(t));
    f.metadata = {{"delta.columnMapping.id", std::to_string(id)},
                  {"delta.columnMapping.physicalName", "\"col-" + std::to_string(id) + "\""}};
    return f;
  };
  return Schema({mapped("id", DataType::Int64(), 1),
                 mapped("s", DataType::Struct({mapped("x", DataType::String(), 3)}), 2),
                 mapped("part", DataType::String(), 4)});
}

TEST(FileStatsCollectorTest, ColumnMappingUsesPhysicalNames) {
  Schema logical = MappedSchema();
  StatsConfig c = Config(logical, {"part"});
  c.column_mapping = ColumnMappingMode::kName;
  const std::string want =
      "{\"numRecords\":1,\"minValues\":{\"col-1\":7,\"col-2\":{\"col-3\":\"q\"}},"
      "\"maxValues\":{\"col-1\":7,\"col-2\":{\"col-3\":\"q\"}},"
      "\"nullCount\":{\"col-1\":0,\"col-2\":{\"col-3\":0}}}";
  // Batches named logically (before the rename) or physically (as written) give the same.
  for (const Schema& s : {logical, ToPhysicalSchema(logical, ColumnMappingMode::kName)}) {
    Schema data({s.field(0), s.field(1)});
    RecordBatch b = RecordBatch::MakeEmpty(data);
    b.mutable_column(0).Append<int64_t>(7);
    b.mutable_column(1).mutable_child(0).AppendString("q");
    b.mutable_column(1).CloseStruct();
    std::string json = Collect(c, {b});
    EXPECT_EQ(json, want);
    FileStatistics fs = Parse(json, logical, ColumnMappingMode::kName);
    EXPECT_EQ(fs.columns["col-1"].max->as_int(), 7);
    EXPECT_EQ(fs.columns["col-2.col-3"].min->as_string(), "q");
  }
  FileStatsCollector col(c);
  EXPECT_EQ(col.IndexedColumns(), (std::vector<std::string>{"id", "s.x"}));
  // A column of another type than the table's is refused.
  Schema wrong({Field("id", DataType::Int32())});
  RecordBatch b = RecordBatch::MakeEmpty(wrong);
  b.mutable_column(0).Append<int32_t>(1);
  EXPECT_THROW(col.Update(b), InvalidInput);
}

TEST(FileStatsCollectorTest, ConfigFromTableProperties) {
  Metadata md;
  md.schema_string = SerializeDeltaSchema(WideSchema());
  md.partition_columns = {"p"};
  md.configuration = {{"delta.dataSkippingNumIndexedCols", "2"}};
  StatsConfig c = StatsConfigForMetadata(md, false);
  EXPECT_EQ(c.num_indexed_cols, 2);
  EXPECT_FALSE(c.stats_columns.has_value());
  EXPECT_FALSE(c.tight_bounds);
  EXPECT_EQ(FileStatsCollector(c).IndexedColumns(), (std::vector<std::string>{"a", "s.x"}));
  md.configuration["delta.dataSkippingStatsColumns"] = "b,s.y";
  c = StatsConfigForMetadata(md, true);
  EXPECT_EQ(FileStatsCollector(c).IndexedColumns(), (std::vector<std::string>{"s.y", "b"}));
  EXPECT_TRUE(c.tight_bounds);
  md.configuration = {{"delta.dataSkippingNumIndexedCols", "-2"}};
  EXPECT_THROW(StatsConfigForMetadata(md, false), InvalidInput);
  md.configuration = {{"delta.dataSkippingNumIndexedCols", "x"}};
  EXPECT_THROW(StatsConfigForMetadata(md, false), InvalidInput);
  md.configuration = {{"delta.dataSkippingStatsColumns", "`a"}};
  EXPECT_THROW(StatsConfigForMetadata(md, false), InvalidInput);

  // tightBounds follows the protocol's support for deletion vectors.
  md.configuration = {{"delta.columnMapping.mode", "name"}};
  md.schema_string = SerializeDeltaSchema(MappedSchema());
  md.partition_columns = {"part"};
  Protocol dv{3, 7, std::vector<std::string>{"deletionVectors", "columnMapping"},
              std::vector<std::string>{"deletionVectors", "columnMapping"}};
  StatsConfig t = StatsConfigForTable(TableConfiguration(dv, md));
  EXPECT_TRUE(t.tight_bounds);
  EXPECT_EQ(t.column_mapping, ColumnMappingMode::kName);
  EXPECT_EQ(t.partition_columns, std::vector<std::string>{"part"});
  StatsConfig legacy = StatsConfigForTable(TableConfiguration(Protocol{2, 5, {}, {}}, md));
  EXPECT_FALSE(legacy.tight_bounds);
  RecordBatch empty = RecordBatch::MakeEmpty(Schema(std::vector<Field>{}));
  EXPECT_NE(Collect(t, {empty}).find(",\"tightBounds\":true}"), std::string::npos);
  EXPECT_EQ(Collect(legacy, {empty}).find("tightBounds"), std::string::npos);
}

// A partitioned table written with the writer's pieces (SplitByPartition, the collector,
// HivePartitionPath, EncodeLogPath, our Parquet writer) and read back by the scan: every
// predicate returns exactly the rows a full filter returns, and the stats skip files.
TEST(FileStatsCollectorTest, ScanPrunesWithOurStatsAndPaths) {
  ::cpglake::testing::TempDir tmp;
  const fs::path root = tmp.path() / "t";
  fs::create_directories(root / "_delta_log");
  Schema schema({Field("id", DataType::Int64()), Field("kind", DataType::String()),
                 Field("amount", DataType::Decimal(12, 2)), Field("ts", DataType::Timestamp()),
                 Field("part", DataType::String())});
  const std::vector<std::string> parts = {"a/b c%", "x:y", "", "plain"};
  std::mt19937_64 rng(9);
  std::vector<AddFile> adds;
  int64_t next_id = 0;
  for (int file = 0; file < 12; ++file) {
    RecordBatch b = RecordBatch::MakeEmpty(schema);
    for (int i = 0; i < 50; ++i, ++next_id) {
      b.mutable_column(0).Append<int64_t>(next_id);  // ids grow file by file
      b.mutable_column(1).AppendString(file % 3 == 0 ? "DEF" : (file % 3 == 1 ? "CALL" : "zz"));
      b.mutable_column(2).Append<__int128>(static_cast<__int128>(file) * 10000 + i);
      b.mutable_column(3).Append<int64_t>(1700000000000000 + next_id * 1000000 + 123);
      b.mutable_column(4).AppendString(parts[static_cast<size_t>(file) % parts.size()]);
    }
    for (auto& pb : SplitByPartition(b, schema, {"part"}, ColumnMappingMode::kNone)) {
      FileStatsCollector collector(Config(schema, {"part"}));
      collector.Update(pb.data);
      std::string rel =
          HivePartitionPath({"part"}, pb.values) + "part-" + std::to_string(file) + ".parquet";
      fs::create_directories((root / rel).parent_path());
      parquet::WriteParquetFile((root / rel).string(), pb.data.schema(), {pb.data});
      AddFile a;
      a.path = EncodeLogPath(rel);
      a.partition_values = pb.values;
      a.size = static_cast<int64_t>(fs::file_size(root / rel));
      a.stats = collector.ToJson();
      adds.push_back(a);
    }
  }
  Metadata md;
  md.id = "t";
  md.schema_string = SerializeDeltaSchema(schema);
  md.partition_columns = {"part"};
  {
    std::ofstream log(root / "_delta_log/00000000000000000000.json");
    log << SerializeActionJson(Protocol{}) << "\n" << SerializeActionJson(md) << "\n";
    for (const auto& a : adds) log << SerializeActionJson(a) << "\n";
  }
  auto snap = OpenSnapshot(root.string());
  RecordBatch all = ScanBuilder(snap).Build().ReadAll();
  ASSERT_EQ(all.num_rows(), next_id);
  const std::vector<std::pair<std::string, int>> predicates = {
      {"id >= 120 AND id < 140", 10},
      {"kind = 'DEF'", 6},
      {"kind > 'zy'", 4},
      {"amount > 110000.00", 10},
      {"ts < TIMESTAMP '2023-11-14 22:14:00'", 9},
      {"part = 'x:y'", 9},
      {"part IS NULL", 9},
      {"part = 'a/b c%' AND id > 400", 11},
      {"id < 0", 12},
      {"kind IS NULL", 12},
  };
  for (const auto& [text, min_skipped] : predicates) {
    auto pred = expr::ParsePredicate(text);
    auto scan = ScanBuilder(snap).WithPredicate(pred).Build();
    RecordBatch got = scan.ReadAll();
    // The same predicate evaluated on every row.
    auto keep = expr::EvaluateFilter(*pred, all);
    EXPECT_EQ(got.num_rows(), keep.CountSet()) << text;
    const int64_t skipped =
        scan.metrics().files_skipped_by_stats + scan.metrics().files_skipped_by_partition;
    EXPECT_GE(skipped, min_skipped) << text;
  }
}

// ---------------------------------------------------------------------------------------
// Spark's stats in the acceptance corpus.

struct CorpusResult {
  int files = 0;
  int timestamp_max_rounded = 0;
  int string_max_differs = 0;
  int identical_json = 0;  // our stats text equals Spark's byte for byte
  std::set<std::string> tables;
};

void CompareFile(const fs::path& table, const AddFile& add, const Metadata& md, bool dv_supported,
                 bool delta2, CorpusResult* result) {
  const std::string where = table.string() + " " + add.path;
  StatsConfig config = StatsConfigForMetadata(md, dv_supported);
  const Schema physical = ToPhysicalSchema(config.table_schema, config.column_mapping);
  FileStatsCollector collector(config);
  auto reader =
      parquet::ParquetFileReader::OpenPath((table / storage::UriDecode(add.path)).string());
  for (int rg = 0; rg < reader->num_row_groups(); ++rg) collector.Update(reader->ReadRowGroup(rg));
  const std::string ours_json = collector.ToJson();
  auto ours = ParseFileStatistics(ours_json, physical);
  auto theirs = ParseFileStatistics(add.stats, physical);
  ASSERT_TRUE(ours && theirs) << where;
  EXPECT_EQ(ours->num_records, theirs->num_records) << where;
  // tightBounds on every new file of a table supporting deletion vectors, since Delta 3.0
  // (Delta 2.x, which had deletion vectors already, did not write the field).
  if (!delta2) {
    EXPECT_EQ(ours_json.find("tightBounds") != std::string::npos,
              add.stats->find("tightBounds") != std::string::npos)
        << where << "\nours:  " << ours_json << "\nspark: " << *add.stats;
  }
  std::set<std::string> keys;
  for (const auto& [k, v] : ours->columns) keys.insert(k);
  for (const auto& [k, v] : theirs->columns) keys.insert(k);
  for (const auto& key : keys) {
    const std::string at =
        where + " column " + key + "\nours:  " + ours_json + "\nspark: " + *add.stats;
    auto o = ours->columns.find(key), t = theirs->columns.find(key);
    ASSERT_TRUE(o != ours->columns.end() && t != theirs->columns.end()) << at;
    EXPECT_EQ(o->second.null_count, t->second.null_count) << at;
    EXPECT_EQ(o->second.min.has_value(), t->second.min.has_value()) << at;
    EXPECT_EQ(o->second.max.has_value(), t->second.max.has_value()) << at;
    if (o->second.min && t->second.min) {
      EXPECT_EQ(columnar::CompareValues(*o->second.min, *t->second.min), 0)
          << at << "\n"
          << o->second.min->ToString() << " vs " << t->second.min->ToString();
    }
    if (o->second.max && t->second.max) {
      const Value& om = *o->second.max;
      const Value& tm = *t->second.max;
      if (columnar::IsTimestampType(om.type_id()) && om.as_int() == tm.as_int() + 1000) {
        ++result->timestamp_max_rounded;  // Spark truncated a sub-millisecond max down
      } else if (om.type_id() == TypeId::kString && columnar::CompareValues(om, tm) != 0) {
        // Spark cuts the max after 32 UTF-16 units; we cut after 32 code points.
        ++result->string_max_differs;
        EXPECT_GE(columnar::CompareValues(om, tm), 0) << at;
      } else {
        EXPECT_EQ(columnar::CompareValues(om, tm), 0) << at << "\n"
                                                      << om.ToString() << " vs " << tm.ToString();
      }
    }
  }
  ++result->files;
  if (ours_json == *add.stats) ++result->identical_json;
  result->tables.insert(table.string());
}

TEST(FileStatsCorpusTest, MatchesSparkWrittenStats) {
  const fs::path corpus = ::cpglake::testing::TestDataDir() / "delta-acceptance";
  if (!fs::exists(corpus)) GTEST_SKIP() << "no corpus at " << corpus;
  // Tables whose logged stats cannot be recomputed from the file: type widening (the files
  // hold the old types), a variant column (not implemented).
  // parsed-stats: its hand-edited log gives stats for a column (ts_col) its files do not have.
  const std::set<std::string> kSkip = {"type-widening", "type-widening-nested",
                                       "spark-variant-checkpoint", "unshredded-variant",
                                       "parsed-stats"};
  CorpusResult result;
  for (const auto& e : fs::recursive_directory_iterator(corpus)) {
    if (!e.is_directory() || e.path().filename() != "_delta_log") continue;
    const fs::path root = e.path().parent_path();
    std::string name = root.filename() == "delta" ? root.parent_path().filename().string()
                                                  : root.filename().string();
    if (kSkip.count(name)) continue;
    std::vector<fs::path> commits;
    for (const auto& f : fs::directory_iterator(e.path())) {
      if (f.path().extension() == ".json" && f.path().stem().string().size() == 20) {
        commits.push_back(f.path());
      }
    }
    std::sort(commits.begin(), commits.end());
    std::optional<Metadata> md;
    std::optional<Protocol> protocol;
    std::set<std::string> seen;
    for (const auto& c : commits) {
      std::vector<Action> actions;
      try {
        actions = ParseActionsJson(::cpglake::testing::ReadFileBytes(c), c.string());
      } catch (const Error&) {
        continue;
      }
      bool spark = false, delta2 = false;
      for (const auto& a : actions) {
        if (auto* ci = std::get_if<CommitInfo>(&a)) {
          spark = ci->json.find("\"Apache-Spark/") != std::string::npos ||
                  ci->json.find("\"Databricks-Runtime/") != std::string::npos;
          delta2 = ci->json.find(" Delta-Lake/2.") != std::string::npos;
        }
        if (auto* m = std::get_if<Metadata>(&a)) md = *m;
        if (auto* p = std::get_if<Protocol>(&a)) protocol = *p;
      }
      for (const auto& a : actions) {
        const auto* add = std::get_if<AddFile>(&a);
        if (!add) continue;
        const bool first = seen.insert(add->path).second;
        if (!spark || !first || !md || !protocol || !add->stats || add->deletion_vector ||
            add->stats->find("nullCount") == std::string::npos || add->path[0] == '/' ||
            add->path.find(':') != std::string::npos ||
            !fs::exists(root / storage::UriDecode(add->path))) {
          continue;
        }
        TableConfiguration tc(*protocol, *md);
        CompareFile(root, *add, *md, tc.HasWriterFeature("deletionVectors"), delta2, &result);
      }
    }
  }
  std::cout << "compared " << result.files << " Spark-written files in " << result.tables.size()
            << " tables; timestamp maxima rounded up: " << result.timestamp_max_rounded
            << "; string maxima differing: " << result.string_max_differs
            << "; identical JSON text: " << result.identical_json << "\n";
  // The rest differ only in spelling: Spark's exponent form of small decimals ("0E-10"),
  // time zone offsets, timestamp maxima rounded up, Delta 2.x without tightBounds.
  EXPECT_GE(result.identical_json, 500);
  EXPECT_GE(result.files, 300);
  EXPECT_GE(result.tables.size(), 40u);
}

}  // namespace
}  // namespace cpglake::delta
