#include "expr/cast.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "columnar/value_format.h"
#include "common/error.h"
#include "expr/compare.h"

namespace cpglake::expr {
namespace {

using columnar::Column;
using columnar::DataType;
using columnar::TypeId;
using columnar::Value;

TEST(CastTest, DateText) {
  EXPECT_EQ(ParseDateText("1970-01-01"), 0);
  EXPECT_EQ(ParseDateText("2024-02-29"), 19782);
  EXPECT_EQ(ParseDateText("2024-2-9"), 19762);
  EXPECT_EQ(ParseDateText("-0001-01-01"), columnar::DaysFromCivil(-1, 1, 1));
  EXPECT_EQ(ParseDateText("+10000-01-01"), columnar::DaysFromCivil(10000, 1, 1));
  EXPECT_FALSE(ParseDateText("2023-02-29"));
  EXPECT_FALSE(ParseDateText("2024-13-01"));
  EXPECT_FALSE(ParseDateText("2024-00-01"));
  EXPECT_FALSE(ParseDateText("24-01-01"));
  EXPECT_FALSE(ParseDateText("2024-01-01 10:00"));
  EXPECT_EQ(ParseDateText("2024-01-01 10:00", true), 19723);
  EXPECT_EQ(ParseDateText("2024-01-01T10:00", true), 19723);
  EXPECT_FALSE(ParseDateText("2024-01-01x", true));
  EXPECT_FALSE(ParseDateText(""));
}

TEST(CastTest, TimestampText) {
  EXPECT_EQ(ParseTimestampText("1970-01-01 00:00:00", false), 0);
  EXPECT_EQ(ParseTimestampText("1970-01-01T00:00:00.000001", false), 1);
  EXPECT_EQ(ParseTimestampText("1970-01-01 00:00:00.1", false), 100000);
  EXPECT_EQ(ParseTimestampText("1970-01-01 00:00:00.123456789", false), 123456);
  EXPECT_EQ(ParseTimestampText("1969-12-31 23:59:59.999999", false), -1);
  EXPECT_EQ(ParseTimestampText("1970-01-01 01:00:00+01:00", true), 0);
  EXPECT_EQ(ParseTimestampText("1970-01-01 01:00:00+0100", true), 0);
  EXPECT_EQ(ParseTimestampText("1970-01-01 00:00:00-01", true), 3600000000LL);
  EXPECT_EQ(ParseTimestampText("1970-01-01 00:00:00 UTC", true), 0);
  EXPECT_EQ(ParseTimestampText("1970-01-01 00:00:00Z", true), 0);
  EXPECT_FALSE(ParseTimestampText("1970-01-01 00:00:00Z", false));
  EXPECT_FALSE(ParseTimestampText("1970-01-01 24:00:00", false));
  EXPECT_FALSE(ParseTimestampText("1970-01-01 00:60", false));
  EXPECT_FALSE(ParseTimestampText("1970-01-01 00:00:00.", false));
  EXPECT_FALSE(ParseTimestampText("1970-01-01 00:00:00.1234567890", false));
  EXPECT_FALSE(ParseTimestampText("1970-01-01 00:00:00+25:00", true));
  EXPECT_FALSE(ParseTimestampText("+999999-12-31 00:00:00", false));  // overflows micros
}

TEST(CastTest, NumberText) {
  EXPECT_EQ(*ParseNumber("12"), Value::Int32(12));
  EXPECT_EQ(*ParseNumber("-12"), Value::Int32(-12));
  EXPECT_EQ(*ParseNumber("+12"), Value::Int32(12));
  EXPECT_EQ(*ParseNumber("3000000000"), Value::Int64(3000000000LL));
  EXPECT_EQ(ParseNumber("1.250")->type()->ToString(), "decimal(4,3)");
  EXPECT_EQ(ParseNumber("-0.001")->type()->ToString(), "decimal(3,3)");
  EXPECT_EQ(ParseNumber("0.001")->as_decimal(), 1);
  EXPECT_EQ(*ParseNumber("2e2"), Value::Float64(200));
  EXPECT_FALSE(ParseNumber(""));
  EXPECT_FALSE(ParseNumber("-"));
  EXPECT_FALSE(ParseNumber("."));
  EXPECT_FALSE(ParseNumber("1e"));
  EXPECT_FALSE(ParseNumber("1x"));
  EXPECT_FALSE(ParseNumber("1e400"));
}

TEST(CastTest, Values) {
  auto cast = [](const Value& v, const columnar::TypePtr& t) { return CastValue(v, t); };
  EXPECT_EQ(*cast(Value::Int32(300), DataType::Int64()), Value::Int64(300));
  EXPECT_FALSE(cast(Value::Int32(300), DataType::Int8()));
  EXPECT_EQ(*cast(Value::Float64(-2.9), DataType::Int32()), Value::Int32(-2));
  EXPECT_FALSE(cast(Value::Float64(std::nan("")), DataType::Int32()));
  EXPECT_FALSE(cast(Value::Float64(1e19), DataType::Int64()));
  EXPECT_EQ(*cast(Value::Float64(-9.2233720368547758e18), DataType::Int64()),
            Value::Int64(std::numeric_limits<int64_t>::min()));
  EXPECT_EQ(*cast(Value::Decimal(-2999, 5, 3), DataType::Int32()), Value::Int32(-2));
  EXPECT_EQ(*cast(Value::Decimal(125, 3, 2), DataType::Decimal(2, 1)), Value::Decimal(13, 2, 1));
  EXPECT_EQ(*cast(Value::Decimal(-125, 3, 2), DataType::Decimal(2, 1)), Value::Decimal(-13, 2, 1));
  EXPECT_FALSE(cast(Value::Decimal(12345, 5, 0), DataType::Decimal(4, 0)));
  EXPECT_EQ(*cast(Value::Float64(0.125), DataType::Decimal(3, 2)), Value::Decimal(13, 3, 2));
  EXPECT_EQ(*cast(Value::Float64(0.1 + 0.2), DataType::Decimal(5, 4)), Value::Decimal(3000, 5, 4));
  EXPECT_EQ(*cast(Value::Int32(7), DataType::Decimal(5, 2)), Value::Decimal(700, 5, 2));
  EXPECT_EQ(*cast(Value::Decimal(1, 1, 1), DataType::Float64()), Value::Float64(0.1));
  EXPECT_EQ(*cast(Value::String(" 42 "), DataType::Int32()), Value::Int32(42));
  EXPECT_EQ(*cast(Value::String("1.5"), DataType::Int32()), Value::Int32(1));
  EXPECT_FALSE(cast(Value::String("x"), DataType::Int32()));
  EXPECT_TRUE(std::isnan(cast(Value::String("NaN"), DataType::Float64())->as_double()));
  EXPECT_EQ(*cast(Value::String("-Infinity"), DataType::Float32()),
            Value::Float32(-std::numeric_limits<float>::infinity()));
  EXPECT_EQ(*cast(Value::String("0.1"), DataType::Float32()), Value::Float32(0.1f));
  EXPECT_EQ(*cast(Value::String("yes"), DataType::Boolean()), Value::Boolean(true));
  EXPECT_EQ(*cast(Value::String("2024-01-01 10:00:00"), DataType::Date()), Value::Date(19723));
  EXPECT_EQ(*cast(Value::String("2024-01-01"), DataType::Timestamp()),
            Value::Timestamp(1704067200000000LL));
  EXPECT_EQ(*cast(Value::Date(1), DataType::Timestamp()), Value::Timestamp(86400000000LL));
  EXPECT_EQ(*cast(Value::Timestamp(-1), DataType::Date()), Value::Date(-1));
  EXPECT_EQ(*cast(Value::Timestamp(5), DataType::TimestampNtz()),
            Value::Integer(DataType::TimestampNtz(), 5));
  EXPECT_EQ(*cast(Value::Float64(1), DataType::String()), Value::String("1.0"));
  EXPECT_EQ(*cast(Value::Timestamp(1704103200100000LL), DataType::String()),
            Value::String("2024-01-01 10:00:00.1"));
  EXPECT_EQ(*cast(Value::Decimal(-5, 3, 2), DataType::String()), Value::String("-0.05"));
  EXPECT_TRUE(cast(Value(), DataType::Int32())->is_null());
  EXPECT_FALSE(cast(Value::Date(1), DataType::Int32()));
  EXPECT_FALSE(CanCast(*DataType::Date(), *DataType::Int32()));
  EXPECT_TRUE(CanCast(*DataType::String(), *DataType::Date()));
  EXPECT_TRUE(CanCast(*DataType::Null(), *DataType::Date()));
  EXPECT_FALSE(CanCast(*DataType::Struct({}), *DataType::String()));
}

TEST(CastTest, ColumnsMatchValueCasts) {
  struct Case {
    columnar::TypePtr from, to;
    std::vector<Value> values;
  };
  std::vector<Case> cases = {
      {DataType::Int32(), DataType::Int64(), {Value::Int32(-5), Value::Int32(2147483647)}},
      {DataType::Int64(), DataType::Int16(), {Value::Int64(-5), Value::Int64(40000)}},
      {DataType::Int32(), DataType::Float64(), {Value::Int32(-5), Value::Int32(7)}},
      {DataType::Float32(), DataType::Float64(), {Value::Float32(0.1f)}},
      {DataType::Int64(), DataType::Decimal(5, 2), {Value::Int64(999), Value::Int64(1000)}},
      {DataType::Decimal(5, 2), DataType::Decimal(10, 4), {Value::Decimal(-12345, 5, 2)}},
      {DataType::Decimal(5, 2), DataType::Decimal(4, 1), {Value::Decimal(-12345, 5, 2)}},
      {DataType::Decimal(5, 2), DataType::Float64(), {Value::Decimal(-12345, 5, 2)}},
      {DataType::Date(), DataType::Timestamp(), {Value::Date(-3), Value::Date(2147483647)}},
      {DataType::Timestamp(), DataType::TimestampNtz(), {Value::Timestamp(42)}},
      {DataType::String(), DataType::Binary(), {Value::String("ab")}},
      {DataType::String(), DataType::Date(), {Value::String("2024-01-01"), Value::String("x")}},
      {DataType::Float64(), DataType::Int32(), {Value::Float64(3.9), Value::Float64(1e10)}},
  };
  for (const auto& c : cases) {
    auto col = Column::Make(c.from);
    for (const auto& v : c.values) columnar::AppendValue(*col, v);
    col->AppendNull();
    auto out = CastColumn(col, c.to);
    ASSERT_EQ(out->length(), col->length());
    EXPECT_TRUE(out->type()->Equals(*c.to));
    for (size_t i = 0; i < c.values.size(); ++i) {
      auto expect = CastValue(c.values[i], c.to);
      Value got = columnar::GetValue(*out, static_cast<int64_t>(i));
      if (!expect) {
        EXPECT_TRUE(got.is_null()) << c.values[i].ToString() << " -> " << c.to->ToString();
        EXPECT_THROW(CastColumn(col, c.to, true), InvalidInput);
      } else {
        EXPECT_EQ(got, *expect) << c.values[i].ToString() << " -> " << c.to->ToString();
      }
    }
    EXPECT_TRUE(out->IsNull(out->length() - 1));
  }
}

TEST(CastTest, CompareScalarsAcrossTypes) {
  auto cmp = [](const Value& a, const Value& b) { return CompareScalars(a, b); };
  EXPECT_EQ(cmp(Value::Int32(1), Value::Int64(1)), 0);
  EXPECT_EQ(cmp(Value::Int32(1), Value::Decimal(101, 3, 2)), -1);
  EXPECT_EQ(cmp(Value::Decimal(1, 38, 0), Value::Decimal(1, 38, 38)), 1);  // rescale overflows
  EXPECT_EQ(cmp(Value::Decimal(-1, 38, 0), Value::Decimal(1, 38, 38)), -1);
  EXPECT_EQ(cmp(Value::Decimal(5, 2, 1), Value::Float64(0.5)), 0);
  EXPECT_EQ(cmp(Value::Float64(std::nan("")), Value::Float64(std::nan(""))), 0);
  EXPECT_EQ(cmp(Value::Float64(std::nan("")), Value::Float64(INFINITY)), 1);
  EXPECT_EQ(cmp(Value::Float64(-0.0), Value::Float32(0.0f)), 0);
  EXPECT_EQ(cmp(Value::Date(1), Value::Timestamp(86400000000LL)), 0);
  EXPECT_EQ(cmp(Value::Date(1), Value::Timestamp(86400000001LL)), -1);
  EXPECT_EQ(cmp(Value::Timestamp(5), Value::Integer(DataType::TimestampNtz(), 5)), 0);
  EXPECT_EQ(cmp(Value::String("b"), Value::Binary("a")), 1);
  EXPECT_EQ(cmp(Value::String("\xc3\xa9"), Value::String("z")), 1);  // unsigned bytes
  EXPECT_EQ(cmp(Value::String("2024-01-01"), Value::Date(19723)), 0);
  EXPECT_EQ(cmp(Value::String("10"), Value::Int32(9)), 1);
  EXPECT_EQ(cmp(Value::Boolean(true), Value::String("false")), 1);
  EXPECT_FALSE(cmp(Value::String("x"), Value::Int32(9)));
  EXPECT_FALSE(cmp(Value::Int32(1), Value::Date(1)));
  EXPECT_FALSE(cmp(Value(), Value::Int32(1)));
}

}  // namespace
}  // namespace cpglake::expr
