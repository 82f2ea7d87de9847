// Partition values, Hive directories and add.path encoding, checked against what Spark
// wrote: the acceptance corpus logs and delta-kernel-rs's table of Spark-written partitions
// (kernel/src/partition/mod.rs, "derived from real Spark-written Delta tables").
#include "delta/partitioning.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <random>
#include <set>

#include "columnar/value_format.h"
#include "common/error.h"
#include "delta/actions.h"
#include "delta/schema_json.h"
#include "delta/stats.h"
#include "storage/object_store.h"
#include "test_util.h"

namespace cpglake::delta {
namespace {

namespace fs = std::filesystem;
using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;
using columnar::TypePtr;
using columnar::Value;

constexpr int64_t kMicrosPerDay = 86400000000LL;

std::optional<std::string> Ser(const Value& v, const TypePtr& t,
                               TimestampStyle style = TimestampStyle::kIso8601Utc) {
  PartitionValueOptions o;
  o.timestamp_style = style;
  return SerializePartitionValue(v, t, o);
}

// Serializes, parses back with the reader, and checks the value survived.
void ExpectRoundTrip(const Value& v, const TypePtr& t,
                     TimestampStyle style = TimestampStyle::kIso8601Utc) {
  auto text = Ser(v, t, style);
  Value back = ParsePartitionValue(text, t);
  if (t->id() == columnar::TypeId::kFloat32 || t->id() == columnar::TypeId::kFloat64) {
    if (std::isnan(v.as_double())) {
      EXPECT_TRUE(std::isnan(back.as_double())) << *text;
      return;
    }
  }
  EXPECT_TRUE(back == v) << t->ToString() << " " << v.ToString() << " -> " << text.value_or("null")
                         << " -> " << back.ToString();
}

TEST(PartitionValueTest, EveryTypeSerializesAsSparkAndRoundTrips) {
  // Integers (kernel table rows 1-14).
  EXPECT_EQ(Ser(Value::Int32(0), DataType::Int32()), "0");
  EXPECT_EQ(Ser(Value::Int32(INT32_MIN), DataType::Int32()), "-2147483648");
  EXPECT_EQ(Ser(Value::Int64(INT64_MAX), DataType::Int64()), "9223372036854775807");
  EXPECT_EQ(Ser(Value::Integer(DataType::Int8(), -128), DataType::Int8()), "-128");
  EXPECT_EQ(Ser(Value::Integer(DataType::Int16(), 32767), DataType::Int16()), "32767");
  for (int64_t v : {INT64_MIN, int64_t{-1}, int64_t{0}, INT64_MAX}) {
    ExpectRoundTrip(Value::Int64(v), DataType::Int64());
  }
  // Booleans (rows 28-29).
  EXPECT_EQ(Ser(Value::Boolean(true), DataType::Boolean()), "true");
  EXPECT_EQ(Ser(Value::Boolean(false), DataType::Boolean()), "false");
  ExpectRoundTrip(Value::Boolean(false), DataType::Boolean());
  // Doubles and floats (rows 15-26): Java's toString, -0.0 written as 0.0.
  EXPECT_EQ(Ser(Value::Float64(0.0), DataType::Float64()), "0.0");
  EXPECT_EQ(Ser(Value::Float64(-0.0), DataType::Float64()), "0.0");
  EXPECT_EQ(Ser(Value::Float64(DBL_MAX), DataType::Float64()), "1.7976931348623157E308");
  EXPECT_EQ(Ser(Value::Float64(4.9e-324), DataType::Float64()), "4.9E-324");
  EXPECT_EQ(Ser(Value::Float64(std::nan("")), DataType::Float64()), "NaN");
  EXPECT_EQ(Ser(Value::Float64(INFINITY), DataType::Float64()), "Infinity");
  EXPECT_EQ(Ser(Value::Float64(-INFINITY), DataType::Float64()), "-Infinity");
  EXPECT_EQ(Ser(Value::Float32(0.0f), DataType::Float32()), "0.0");
  EXPECT_EQ(Ser(Value::Float32(1.0f), DataType::Float32()), "1.0");
  EXPECT_EQ(Ser(Value::Float32(std::nanf("")), DataType::Float32()), "NaN");
  EXPECT_EQ(Ser(Value::Float32(-INFINITY), DataType::Float32()), "-Infinity");
  EXPECT_EQ(Ser(Value::Float32(FLT_MAX), DataType::Float32()), "3.4028235E38");
  for (double d :
       {0.0, 1.5, -2.25, 1e-300, 123456.789, DBL_MAX, 4.9e-324, (double)NAN, (double)INFINITY}) {
    ExpectRoundTrip(Value::Float64(d), DataType::Float64());
  }
  for (float f : {0.1f, 1.1f, 3.14f, FLT_MAX, FLT_MIN, 1e-45f, 16777216.0f}) {
    ExpectRoundTrip(Value::Float32(f), DataType::Float32());
  }
  // Decimals keep their scale (rows 31-33), also at 38 digits.
  auto d38 = DataType::Decimal(38, 18);
  EXPECT_EQ(Ser(Value::Decimal(0, 38, 18), d38), "0.000000000000000000");
  __int128 e18 = 1000000000000000000LL;
  EXPECT_EQ(Ser(Value::Decimal(123 * e18 / 100, 38, 18), d38), "1.230000000000000000");
  EXPECT_EQ(Ser(Value::Decimal(-123 * e18 / 100, 38, 18), d38), "-1.230000000000000000");
  EXPECT_EQ(Ser(Value::Decimal(1230, 10, 2), DataType::Decimal(10, 2)), "12.30");
  __int128 max38 = 0;
  for (int i = 0; i < 38; ++i) max38 = max38 * 10 + 9;
  for (__int128 u : {__int128{0}, __int128{-5}, max38, -max38, 123 * e18 / 100}) {
    ExpectRoundTrip(Value::Decimal(u, 38, 18), d38);
    ExpectRoundTrip(Value::Decimal(u, 38, 0), DataType::Decimal(38, 0));
  }
  // Dates (rows 35-38), including years outside 0000..9999.
  EXPECT_EQ(Ser(Value::Date(0), DataType::Date()), "1970-01-01");
  EXPECT_EQ(Ser(Value::Date(19723), DataType::Date()), "2024-01-01");
  EXPECT_EQ(Ser(Value::Date(-719162), DataType::Date()), "0001-01-01");
  EXPECT_EQ(Ser(Value::Date(2932896), DataType::Date()), "9999-12-31");
  for (int32_t d : {0, -1, -719162, 2932896, 2932897, -800000, 5000000}) {
    ExpectRoundTrip(Value::Date(d), DataType::Date());
  }
  // Timestamps (rows 40-42: Spark's UTC ISO values) and timestamp_ntz (rows 44-45).
  int64_t t40 = (19889 * 86400LL + 19 * 3600 + 30 * 60 + 45) * 1000000;  // 2024-06-15T19:30:45Z
  EXPECT_EQ(Ser(Value::Timestamp(t40), DataType::Timestamp()), "2024-06-15T19:30:45.000000Z");
  EXPECT_EQ(Ser(Value::Timestamp(8 * 3600 * 1000000LL), DataType::Timestamp()),
            "1970-01-01T08:00:00.000000Z");
  int64_t t42 = (19890 * 86400LL + 6 * 3600 + 59 * 60 + 59) * 1000000 + 999999;
  EXPECT_EQ(Ser(Value::Timestamp(t42), DataType::Timestamp()), "2024-06-16T06:59:59.999999Z");
  EXPECT_EQ(Ser(Value::Timestamp(t42), DataType::Timestamp(), TimestampStyle::kSpaceSeparated),
            "2024-06-16 06:59:59.999999");
  EXPECT_EQ(
      Ser(Value::Timestamp(t40 + 1000), DataType::Timestamp(), TimestampStyle::kSpaceSeparated),
      "2024-06-15 19:30:45.001");
  auto ntz = DataType::TimestampNtz();
  int64_t t44 = (19889 * 86400LL + 12 * 3600 + 30 * 60 + 45) * 1000000;
  EXPECT_EQ(Ser(Value::Integer(ntz, t44), ntz), "2024-06-15 12:30:45");
  EXPECT_EQ(Ser(Value::Integer(ntz, 0), ntz), "1970-01-01 00:00:00");
  EXPECT_EQ(Ser(Value::Integer(ntz, 1373043660123456), ntz), "2013-07-05 17:01:00.123456");
  for (int64_t t : {int64_t{0}, int64_t{-1}, t40, t42, -kMicrosPerDay * 800000 + 17,
                    kMicrosPerDay * 3000000 + 5}) {
    ExpectRoundTrip(Value::Timestamp(t), DataType::Timestamp());
    ExpectRoundTrip(Value::Timestamp(t), DataType::Timestamp(), TimestampStyle::kSpaceSeparated);
    ExpectRoundTrip(Value::Integer(ntz, t), ntz);
  }
  // Strings and binaries as they are; empty and null are null (rows 49, 51, 57-59, 65-67).
  EXPECT_EQ(Ser(Value::String("M\xC3\xBCnchen"), DataType::String()), "M\xC3\xBCnchen");
  EXPECT_EQ(Ser(Value::String(" "), DataType::String()), " ");
  EXPECT_EQ(Ser(Value::String(""), DataType::String()), std::nullopt);
  EXPECT_EQ(Ser(Value::Binary(""), DataType::Binary()), std::nullopt);
  EXPECT_EQ(Ser(Value::Binary("HELLO"), DataType::Binary()), "HELLO");
  EXPECT_THROW(Ser(Value::Binary("\xDE\xAD\xBE\xEF"), DataType::Binary()), InvalidInput);
  ExpectRoundTrip(Value::String("null"), DataType::String());
  ExpectRoundTrip(Value::String("a/b=c%d e"), DataType::String());
  ExpectRoundTrip(Value::Binary("\x01\x02\x03"), DataType::Binary());
  for (auto t : {DataType::Int32(), DataType::String(), DataType::Timestamp(), DataType::Date(),
                 DataType::Decimal(5, 2), DataType::Float64(), DataType::Boolean()}) {
    EXPECT_EQ(Ser(Value::Null(t), t), std::nullopt);
    EXPECT_TRUE(ParsePartitionValue(std::nullopt, t).is_null());
  }
  // Types that cannot be partition columns; values of the wrong type.
  auto st = DataType::Struct({Field("a", DataType::Int32())});
  EXPECT_THROW(Ser(Value::Null(st), st), InvalidInput);
  EXPECT_THROW(
      Ser(Value::Null(DataType::List(DataType::Int32())), DataType::List(DataType::Int32())),
      InvalidInput);
  auto mt = DataType::Map(DataType::String(), DataType::Int32());
  EXPECT_THROW(Ser(Value::Null(mt), mt), InvalidInput);
  EXPECT_THROW(Ser(Value::Int32(1), DataType::Int64()), InvalidInput);
  EXPECT_THROW(Ser(Value::Decimal(1, 10, 1), DataType::Decimal(10, 2)), InvalidInput);
}

TEST(PartitionValueTest, JavaNumberFormatting) {
  // Java's Double.toString / Float.toString.
  EXPECT_EQ(FormatJavaDouble(100.0), "100.0");
  EXPECT_EQ(FormatJavaDouble(0.1), "0.1");
  EXPECT_EQ(FormatJavaDouble(0.001), "0.001");
  EXPECT_EQ(FormatJavaDouble(9.99e-4), "9.99E-4");
  EXPECT_EQ(FormatJavaDouble(1e-5), "1.0E-5");
  EXPECT_EQ(FormatJavaDouble(9999999.0), "9999999.0");
  EXPECT_EQ(FormatJavaDouble(1e7), "1.0E7");
  EXPECT_EQ(FormatJavaDouble(123456789.0), "1.23456789E8");
  EXPECT_EQ(FormatJavaDouble(-1.5e300), "-1.5E300");
  EXPECT_EQ(FormatJavaDouble(-0.0), "-0.0");
  EXPECT_EQ(FormatJavaDouble(2342222.23454), "2342222.23454");
  EXPECT_EQ(FormatJavaFloat(0.1f), "0.1");
  EXPECT_EQ(FormatJavaFloat(3.14f), "3.14");
  EXPECT_EQ(FormatJavaFloat(16777216.0f), "1.6777216E7");
  EXPECT_EQ(FormatJavaFloat(1.4e-45f), "1.4E-45");
  // Every output parses back to the same number.
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (!std::isfinite(d)) continue;
    std::string s = FormatJavaDouble(d);
    EXPECT_EQ(std::strtod(s.c_str(), nullptr), d) << s;
    EXPECT_NE(s.find('.'), std::string::npos) << s;
    float f;
    uint32_t fbits = static_cast<uint32_t>(bits);
    std::memcpy(&f, &fbits, sizeof f);
    if (!std::isfinite(f)) continue;
    std::string fs = FormatJavaFloat(f);
    EXPECT_EQ(std::strtof(fs.c_str(), nullptr), f) << fs;
  }
}

// Kernel table rows 40, 44 and 53-68: directory names and add.path spellings Spark wrote.
TEST(HivePathTest, MatchesSparkSpellings) {
  struct Row {
    std::string value, dir, log_path;
  };
  const std::vector<Row> rows = {
      {"/=%", "p=%2F%3D%25", "p=%252F%253D%2525"},
      {"a{b", "p=a%7Bb", "p=a%257Bb"},
      {"a}b", "p=a}b", "p=a%7Db"},
      {"hello world", "p=hello world", "p=hello%20world"},
      {"M\xC3\xBCnchen", "p=M\xC3\xBCnchen", "p=M\xC3\xBCnchen"},
      {"\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", "p=\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E",
       "p=\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"},
      {"\xF0\x9F\x8E\xB5\xF0\x9F\x8E\xB6", "p=\xF0\x9F\x8E\xB5\xF0\x9F\x8E\xB6",
       "p=\xF0\x9F\x8E\xB5\xF0\x9F\x8E\xB6"},
      {"a<b>c|d", "p=a<b>c|d", "p=a%3Cb%3Ec%7Cd"},
      {"a@b!c(d)", "p=a@b!c(d)", "p=a@b!c(d)"},
      {"a&b+c$d;e,f", "p=a&b+c$d;e,f", "p=a&b+c$d;e,f"},
      {"Serbia/srb%", "p=Serbia%2Fsrb%25", "p=Serbia%252Fsrb%2525"},
      {"100%25", "p=100%2525", "p=100%252525"},
      {" ", "p= ", "p=%20"},
      {"  ", "p=  ", "p=%20%20"},
      {"2024-06-15 12:30:45", "p=2024-06-15 12%3A30%3A45", "p=2024-06-15%2012%253A30%253A45"},
  };
  for (const auto& r : rows) {
    PartitionValues pv{{"p", r.value}};
    std::string dir = HivePartitionPath({"p"}, pv);
    EXPECT_EQ(dir, r.dir + "/") << r.value;
    EXPECT_EQ(EncodeLogPath(r.dir), r.log_path) << r.value;
    EXPECT_EQ(storage::UriDecode(EncodeLogPath(dir)), dir);
    auto parsed = ParseHivePartitionPath(dir + "part-0.parquet");
    EXPECT_EQ(parsed.columns, std::vector<std::string>{"p"});
    EXPECT_EQ(parsed.values, pv) << r.value;
  }
  // Null and "" are the default partition (rows 65-66); several columns in order.
  PartitionValues pv{{"b", std::nullopt}, {"a", "1"}, {"c", ""}};
  EXPECT_EQ(HivePartitionPath({"a", "b", "c"}, pv),
            "a=1/b=__HIVE_DEFAULT_PARTITION__/c=__HIVE_DEFAULT_PARTITION__/");
  EXPECT_EQ(HivePartitionPath({}, pv), "");
  EXPECT_THROW(HivePartitionPath({"a", "zz"}, pv), InvalidInput);
  auto back = ParseHivePartitionPath("a=1/b=__HIVE_DEFAULT_PARTITION__/");
  EXPECT_EQ(back.columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(back.values, (PartitionValues{{"a", "1"}, {"b", std::nullopt}}));
  // Column names are escaped too; control bytes and NUL become %XX.
  EXPECT_EQ(EscapeHivePathName(std::string("a:b\x01\x7F", 5) + std::string(1, '\0')),
            "a%3Ab%01%7F%00");
  EXPECT_EQ(UnescapeHivePathName("a%3Ab%zz%4"), "a:b%zz%4");
  EXPECT_THROW(ParseHivePartitionPath("a=1/junk/b=2/f.parquet"), InvalidInput);
  EXPECT_THROW(ParseHivePartitionPath("a=1/a=2/"), InvalidInput);
  EXPECT_THROW(ParseHivePartitionPath("=1/x"), InvalidInput);
  EXPECT_THROW(ParseHivePartitionPath("a=/x"), InvalidInput);
  // add.path spelling: Java's URI quoting (non-ASCII kept; C1 controls, Unicode spaces and
  // invalid UTF-8 percent-encoded).
  EXPECT_EQ(EncodeLogPath("special p@#h"), "special%20p@%23h");  // log-replay-special-characters
  EXPECT_EQ(EncodeLogPath("a\xC2\xA0"
                          "b\xC2\x85"
                          "c\xFF"),
            "a%C2%A0b%C2%85c%FF");
  EXPECT_EQ(EncodeLogPath("x\"y`z[]^\\"), "x%22y%60z%5B%5D%5E%5C");
}

TEST(HivePathTest, RandomRoundTrips) {
  std::mt19937_64 rng(11);
  const std::string alphabet = std::string("ab=/%:# {}|\x01\x7F", 14) + "\xC3\xA9\xE2\x80\xA8";
  for (int i = 0; i < 2000; ++i) {
    auto gen = [&]() {
      std::string s;
      int n = static_cast<int>(rng() % 8);
      for (int k = 0; k < n; ++k) {
        if (rng() % 5 == 0) {
          s.push_back(static_cast<char>(rng() % 256));  // any byte
        } else {
          s.push_back(alphabet[rng() % alphabet.size()]);
        }
      }
      return s;
    };
    std::string col = gen();
    if (col.empty()) col = "c";
    std::string val = gen();
    PartitionValues pv{{col, val}};
    std::string dir = HivePartitionPath({col}, pv);
    auto parsed = ParseHivePartitionPath(dir);
    ASSERT_EQ(parsed.columns.size(), 1u);
    EXPECT_EQ(parsed.columns[0], col);
    std::optional<std::string> expect;
    if (!val.empty() && val != kHiveDefaultPartition) expect = val;
    EXPECT_EQ(parsed.values.at(col), expect);
    std::string path = dir + gen();
    EXPECT_EQ(storage::UriDecode(EncodeLogPath(path)), path);
  }
}

// Every add of every table in the acceptance corpus that Spark (or Databricks) wrote with
// Hive-style partition directories: our partitionValues text for the logged value, our
// directory from the logged values, and our add.path all equal what the log holds.
TEST(PartitionCorpusTest, SparkWrittenPartitionValuesAndPaths) {
  const fs::path corpus = ::cpglake::testing::TestDataDir() / "delta-acceptance";
  if (!fs::exists(corpus)) GTEST_SKIP() << "no corpus at " << corpus;
  int adds = 0, values = 0;
  std::set<std::string> tables;
  int iso_adds = 0;
  for (const auto& e : fs::recursive_directory_iterator(corpus)) {
    if (!e.is_directory() || e.path().filename() != "_delta_log") continue;
    const fs::path root = e.path().parent_path();
    std::vector<fs::path> commits;
    for (const auto& f : fs::directory_iterator(e.path())) {
      if (f.path().extension() == ".json" && f.path().stem().string().size() == 20) {
        commits.push_back(f.path());
      }
    }
    std::sort(commits.begin(), commits.end());
    std::optional<Metadata> md;
    for (const auto& c : commits) {
      std::vector<Action> actions;
      try {
        actions = ParseActionsJson(::cpglake::testing::ReadFileBytes(c), c.string());
      } catch (const Error&) {
        continue;
      }
      bool spark = false;
      for (const auto& a : actions) {
        if (auto* ci = std::get_if<CommitInfo>(&a)) {
          spark = ci->json.find("Apache-Spark") != std::string::npos ||
                  ci->json.find("Databricks-Runtime") != std::string::npos;
        }
        if (auto* m = std::get_if<Metadata>(&a)) md = *m;
      }
      if (!md || md->partition_columns.empty() || md->schema_string.empty()) continue;
      Schema schema = ParseDeltaSchema(md->schema_string);
      auto mode_it = md->configuration.find("delta.columnMapping.mode");
      ColumnMappingMode mode = mode_it == md->configuration.end()
                                   ? ColumnMappingMode::kNone
                                   : ParseColumnMappingMode(mode_it->second);
      std::vector<std::string> physical;
      std::map<std::string, TypePtr> types;
      for (const auto& p : md->partition_columns) {
        const Field& f = schema.field(static_cast<size_t>(schema.FieldIndex(p)));
        physical.push_back(mode == ColumnMappingMode::kNone ? f.name : PhysicalName(f));
        types[physical.back()] = f.type;
      }
      for (const auto& a : actions) {
        const auto* add = std::get_if<AddFile>(&a);
        if (!add || add->path.empty() || add->path[0] == '/' ||
            add->path.find(':') != std::string::npos) {
          continue;
        }
        bool iso = false;
        // Spark names the directory after the space-separated text of a timestamp even
        // when it logs the ISO-8601 form (Delta 3.4+); the corpus tables ran in UTC.
        PartitionValues dir_values = add->partition_values;
        for (const auto& [key, text] : add->partition_values) {
          if (!types.count(key) || !text) continue;
          const TypePtr& t = types[key];
          if (t->id() == columnar::TypeId::kTimestamp && text->find('T') != std::string::npos) {
            iso = true;
          }
          // Our text for the logged value is the logged text.
          PartitionValueOptions o;
          o.timestamp_style = iso ? TimestampStyle::kIso8601Utc : TimestampStyle::kSpaceSeparated;
          Value v = ParsePartitionValue(text, t);
          EXPECT_EQ(SerializePartitionValue(v, t, o), text)
              << root << " " << key << " " << t->ToString();
          o.timestamp_style = TimestampStyle::kSpaceSeparated;
          dir_values.insert_or_assign(key, SerializePartitionValue(v, t, o));
          ++values;
        }
        if (!spark) continue;
        std::string decoded = storage::UriDecode(add->path);
        size_t slash = decoded.rfind('/');
        std::string file = slash == std::string::npos ? decoded : decoded.substr(slash + 1);
        std::string dir = HivePartitionPath(physical, dir_values);
        EXPECT_EQ(EncodeLogPath(dir + file), add->path) << root;
        EXPECT_EQ(ParseHivePartitionPath(decoded).values, dir_values) << root;
        if (iso) ++iso_adds;
        ++adds;
        tables.insert(root.string());
      }
    }
  }
  // Enough of the corpus was covered (the counts are what the corpus held when written).
  EXPECT_GE(adds, 100);
  EXPECT_GE(values, 150);
  EXPECT_GE(tables.size(), 10u);
  EXPECT_EQ(iso_adds, 2);  // delta_golden/kernel-timestamp-partition-col-ISO8601
  std::cout << "checked " << adds << " add paths in " << tables.size() << " tables and " << values
            << " partition values\n";
}

Schema PartitionedSchema() {
  Field p1("Region", DataType::String());
  p1.metadata = {{"delta.columnMapping.id", "1"},
                 {"delta.columnMapping.physicalName", "\"col-region\""}};
  Field p2("day", DataType::Date());
  p2.metadata = {{"delta.columnMapping.id", "2"},
                 {"delta.columnMapping.physicalName", "\"col-day\""}};
  Field id("id", DataType::Int64());
  id.metadata = {{"delta.columnMapping.id", "3"},
                 {"delta.columnMapping.physicalName", "\"col-id\""}};
  return Schema({id, p1, p2});
}

TEST(SplitByPartitionTest, FirstAppearanceOrderAndRows) {
  Schema schema = PartitionedSchema();
  RecordBatch b = RecordBatch::MakeEmpty(schema);
  // (id, region, day): partitions appear as (eu,1), (us,1), (null,2), (eu,1) again...
  struct R {
    int64_t id;
    std::optional<std::string> region;
    int32_t day;
  };
  std::vector<R> rows = {{0, "eu", 1}, {1, "eu", 1}, {2, "us", 1}, {3, std::nullopt, 2},
                         {4, "eu", 1}, {5, "", 2},   {6, "us", 1}, {7, "eu", 2}};
  for (const auto& r : rows) {
    b.mutable_column(0).Append<int64_t>(r.id);
    if (r.region) {
      b.mutable_column(1).AppendString(*r.region);
    } else {
      b.mutable_column(1).AppendNull();
    }
    b.mutable_column(2).Append<int32_t>(r.day);
  }
  auto parts = SplitByPartition(b, schema, {"Region", "day"}, ColumnMappingMode::kNone);
  ASSERT_EQ(parts.size(), 4u);
  auto ids = [](const RecordBatch& rb) {
    std::vector<int64_t> out;
    for (int64_t i = 0; i < rb.num_rows(); ++i) out.push_back(rb.column(0).Get<int64_t>(i));
    return out;
  };
  EXPECT_EQ(parts[0].values, (PartitionValues{{"Region", "eu"}, {"day", "1970-01-02"}}));
  EXPECT_EQ(ids(parts[0].data), (std::vector<int64_t>{0, 1, 4}));
  EXPECT_EQ(parts[1].values, (PartitionValues{{"Region", "us"}, {"day", "1970-01-02"}}));
  EXPECT_EQ(ids(parts[1].data), (std::vector<int64_t>{2, 6}));
  // Null and "" share one partition, as in Spark.
  EXPECT_EQ(parts[2].values, (PartitionValues{{"Region", std::nullopt}, {"day", "1970-01-03"}}));
  EXPECT_EQ(ids(parts[2].data), (std::vector<int64_t>{3, 5}));
  EXPECT_EQ(ids(parts[3].data), (std::vector<int64_t>{7}));
  for (const auto& p : parts) {
    ASSERT_EQ(p.data.num_columns(), 1u);
    EXPECT_EQ(p.data.schema().field(0).name, "id");
  }
  // Column mapping: keys are physical names.
  auto mapped = SplitByPartition(b, schema, {"Region", "day"}, ColumnMappingMode::kName);
  EXPECT_EQ(mapped[0].values, (PartitionValues{{"col-day", "1970-01-02"}, {"col-region", "eu"}}));
  EXPECT_EQ(HivePartitionPath({"col-region", "col-day"}, mapped[2].values),
            "col-region=__HIVE_DEFAULT_PARTITION__/col-day=1970-01-03/");
  // No partition columns: one partition holding the batch.
  auto whole = SplitByPartition(b, schema, {}, ColumnMappingMode::kNone);
  ASSERT_EQ(whole.size(), 1u);
  EXPECT_TRUE(whole[0].values.empty());
  EXPECT_EQ(whole[0].data.num_rows(), 8);
  EXPECT_EQ(whole[0].data.num_columns(), 3u);
  // One partition: the data is the batch's columns (no copy).
  auto one = SplitByPartition(b.Slice(0, 2), schema, {"Region"}, ColumnMappingMode::kNone);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].data.num_rows(), 2);
  // Errors.
  EXPECT_THROW(SplitByPartition(b, schema, {"nope"}, ColumnMappingMode::kNone), InvalidInput);
  Schema nested({Field("s", DataType::Struct({Field("a", DataType::Int32())}))});
  EXPECT_THROW(
      SplitByPartition(RecordBatch::MakeEmpty(nested), nested, {"s"}, ColumnMappingMode::kNone),
      InvalidInput);
}

TEST(SplitByPartitionTest, LargeBatchKeepsEveryRow) {
  Schema schema({Field("k", DataType::Int32()), Field("v", DataType::String())});
  RecordBatch b = RecordBatch::MakeEmpty(schema);
  std::mt19937 rng(3);
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    b.mutable_column(0).Append<int32_t>(static_cast<int32_t>(rng() % 37));
    b.mutable_column(1).AppendString("row" + std::to_string(i));
  }
  auto parts = SplitByPartition(b, schema, {"k"}, ColumnMappingMode::kNone);
  EXPECT_EQ(parts.size(), 37u);
  int64_t total = 0;
  std::set<std::string> seen;
  for (const auto& p : parts) {
    total += p.data.num_rows();
    int prev = -1;
    for (int64_t i = 0; i < p.data.num_rows(); ++i) {
      std::string v(p.data.column(0).GetString(i));
      int idx = std::stoi(v.substr(3));
      EXPECT_GT(idx, prev);  // batch order kept
      prev = idx;
      EXPECT_EQ(std::to_string(b.column(0).Get<int32_t>(idx)), *p.values.at("k"));
      seen.insert(v);
    }
  }
  EXPECT_EQ(total, n);
  EXPECT_EQ(seen.size(), static_cast<size_t>(n));
}

}  // namespace
}  // namespace cpglake::delta
